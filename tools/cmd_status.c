// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl status.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pair.h"
#include "vgscan.h"

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * a / b : 0.0;
}

static void settings_str(const struct wc_settings *s, char *buf, size_t len)
{
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < WC_NKEYS && off < len; k++)
		if (s->mask & (1u << k))
			off += snprintf(buf + off, len - off, "%s%s=%llu", off ? " " : "",
					wc_keys[k].name, (unsigned long long)s->val[k]);
}

static struct json_object *status_json(struct wc_pair *p, int mapped, struct wc_status *st,
				       struct wc_table *tb)
{
	struct json_object *o = json_object_new_object(), *set = json_object_new_object();
	const struct wc_settings *s = mapped ? &tb->set : &p->ot.set;
	uint64_t bs = p->ot.block_size;
	int k;

	json_object_object_add(o, "vg", json_object_new_string(p->vg));
	json_object_object_add(o, "lv", json_object_new_string(p->lv));
	json_object_object_add(o, "origin_lv", json_object_new_string(p->origin->name));
	json_object_object_add(o, "cachevol_lv",
			       p->cache ? json_object_new_string(p->cache->name) : NULL);
	json_object_object_add(o, "state", json_object_new_string(wc_state_name(p->ot.state)));
	json_object_object_add(o, "target", json_object_new_string(wc_target_name(p->ot.target)));
	json_object_object_add(o, "active", json_object_new_boolean(mapped));
	json_object_object_add(o, "device", json_object_new_string(p->dm_name));
	json_object_object_add(o, "block_size", json_object_new_int64(bs));
	json_object_object_add(o, "origin_size_bytes", json_object_new_int64(p->origin->size));
	if (p->cache)
		json_object_object_add(o, "cachevol_size_bytes", json_object_new_int64(p->cache->size));
	for (k = 0; k < WC_NKEYS; k++)
		if (s->mask & (1u << k))
			json_object_object_add(set, wc_keys[k].name, json_object_new_int64(s->val[k]));
	json_object_object_add(o, "settings", set);
	if (!mapped) {
		char why[WC_ERR_MAX];

		json_object_object_add(o, "cachevol_missing", json_object_new_boolean(!p->cache));
		json_object_object_add(o, "size_changed",
				       json_object_new_boolean(wc_pair_size_changed(p)));
		json_object_object_add(o, "loaded_as",
				       wc_pair_loaded_as(p, why, sizeof(why)) ?
				       json_object_new_string(why) : NULL);
		json_object_object_add(o, "partial",
				       json_object_new_boolean((p->cache && wc_lv_partial(p->cache)) ||
							       wc_lv_partial(p->origin)));
		json_object_object_add(o, "activation_error",
				       wc_activation_failure(p->vg, p->lv, why, sizeof(why)) ?
				       json_object_new_string(why) : NULL);
		return o;
	}
	/* writecache does not show a cleaner set by message in its table */
	json_object_object_add(o, "cleaner",
			       json_object_new_boolean(tb->cleaner ||
						       p->ot.state == WC_ST_SPLITTING));
	json_object_object_add(o, "error", json_object_new_int64(st->error));
	json_object_object_add(o, "total_blocks", json_object_new_int64(st->total_blocks));
	json_object_object_add(o, "free_blocks", json_object_new_int64(st->free_blocks));
	json_object_object_add(o, "used_blocks",
			       json_object_new_int64(st->total_blocks - st->free_blocks));
	json_object_object_add(o, "dirty_blocks", json_object_new_int64(st->dirty_blocks));
	json_object_object_add(o, "writeback_blocks", json_object_new_int64(st->writeback_blocks));
	json_object_object_add(o, "cache_size_bytes", json_object_new_int64(st->total_blocks * bs));
	json_object_object_add(o, "dirty_bytes", json_object_new_int64(st->dirty_blocks * bs));
	json_object_object_add(o, "used_percent",
			       json_object_new_double(pct(st->total_blocks - st->free_blocks,
							  st->total_blocks)));
	json_object_object_add(o, "dirty_percent",
			       json_object_new_double(pct(st->dirty_blocks, st->total_blocks)));
	for (k = 0; k < WC_NCOUNTERS; k++)
		if (st->have & (1u << k))
			json_object_object_add(o, wc_counter_names[k], json_object_new_int64(st->c[k]));
	if (st->have & (1u << WC_C_READ_HITS))
		json_object_object_add(o, "read_hit_percent",
				       json_object_new_double(pct(st->c[WC_C_READ_HITS],
								  st->c[WC_C_READS])));
	if (st->have & (1u << WC_C_WRITE_HITS))
		json_object_object_add(o, "write_hit_percent",
				       json_object_new_double(pct(st->c[WC_C_WRITE_HITS] +
								  st->c[WC_C_WRITE_HITS_UNCOMMITTED],
								  st->c[WC_C_WRITES])));
	return o;
}

static void status_text(struct wc_pair *p, int mapped, struct wc_status *st,
			struct wc_table *tb)
{
	uint64_t bs = p->ot.block_size, used;
	char a[32], b[32], set[1024];

	printf("%s/%s: %s, target %s, cachevol %s/%s, origin %s/%s\n", p->vg, p->lv,
	       wc_state_name(p->ot.state), wc_target_name(p->ot.target), p->vg,
	       p->cache ? p->cache->name : "(missing)", p->vg, p->origin->name);
	if (!mapped) {
		char why[WC_ERR_MAX];

		settings_str(&p->ot.set, set, sizeof(set));
		printf("  mapping     not loaded (wcachectl activate %s/%s)\n", p->vg, p->lv);
		if (!p->cache)
			printf("  problem     the cachevol (LV uuid %s) is missing; the origin stays inactive. Restore it, or 'wcachectl activate --force %s/%s' gives up the data only the cache held\n",
			       p->ot.cachevol_uuid, p->vg, p->lv);
		else if (wc_lv_partial(p->cache) || wc_lv_partial(p->origin))
			printf("  problem     the %s %s/%s is on a missing physical volume; the origin stays inactive. Connect the disk and run 'wcachectl activate %s/%s'\n",
			       wc_lv_partial(p->cache) ? "cachevol" : "origin", p->vg,
			       wc_lv_partial(p->cache) ? p->cache->name : p->origin->name,
			       p->vg, p->lv);
		else if (wc_pair_loaded_as(p, why, sizeof(why)))
			printf("  problem     the mapping is loaded as %s (the VG was renamed while it was active); 'wcachectl activate %s/%s' renames it\n",
			       why, p->vg, p->lv);
		else if (wc_pair_size_changed(p))
			printf("  problem     the origin or the cachevol changed size since the attach (lvextend/lvreduce while inactive); the origin stays inactive. 'wcachectl activate %s/%s' says how to give it back its size\n",
			       p->vg, p->lv);
		if (wc_activation_failure(p->vg, p->lv, why, sizeof(why)))
			printf("  activation  failed: %s\n", why);
		printf("  settings    block_size=%llu %s (recorded)\n", (unsigned long long)bs, set);
		return;
	}
	used = st->total_blocks - st->free_blocks;
	wc_human_size(p->origin->size, a, sizeof(a));
	printf("  device      /dev/%s/%s (/dev/mapper/%s), %s\n", p->vg, p->lv, p->dm_name, a);
	wc_human_size(st->total_blocks * bs, a, sizeof(a));
	printf("  cache       %s in %llu blocks of %llu bytes\n", a,
	       (unsigned long long)st->total_blocks, (unsigned long long)bs);
	wc_human_size(used * bs, a, sizeof(a));
	wc_human_size(st->dirty_blocks * bs, b, sizeof(b));
	printf("  used        %s (%.1f%%), dirty %s (%.1f%%), under writeback %llu blocks\n",
	       a, pct(used, st->total_blocks), b, pct(st->dirty_blocks, st->total_blocks),
	       (unsigned long long)st->writeback_blocks);
	if (st->have & (1u << WC_C_READS))
		printf("  reads       %llu blocks, %llu hits (%.1f%%)\n",
		       (unsigned long long)st->c[WC_C_READS],
		       (unsigned long long)st->c[WC_C_READ_HITS],
		       pct(st->c[WC_C_READ_HITS], st->c[WC_C_READS]));
	if (st->have & (1u << WC_C_WRITES))
		printf("  writes      %llu blocks, %llu hits (%.1f%%), %llu bypassed the cache\n",
		       (unsigned long long)st->c[WC_C_WRITES],
		       (unsigned long long)(st->c[WC_C_WRITE_HITS] +
					    st->c[WC_C_WRITE_HITS_UNCOMMITTED]),
		       pct(st->c[WC_C_WRITE_HITS] + st->c[WC_C_WRITE_HITS_UNCOMMITTED],
			   st->c[WC_C_WRITES]),
		       (unsigned long long)(st->c[WC_C_WRITES_AROUND] + st->c[WC_C_BYPASS_SEQ] +
					    st->c[WC_C_BYPASS_OTHER]));
	if (st->have & (1u << WC_C_FLUSHES))
		printf("  other       %llu flushes, %llu discarded blocks, %llu writes blocked on free space\n",
		       (unsigned long long)st->c[WC_C_FLUSHES],
		       (unsigned long long)st->c[WC_C_DISCARDS],
		       (unsigned long long)st->c[WC_C_BLOCKED_FREELIST]);
	if (st->have & (1u << WC_C_WRITTEN_BACK))
		printf("  writeback   %llu I/Os, %llu blocks written back\n",
		       (unsigned long long)st->c[WC_C_WB_IOS],
		       (unsigned long long)st->c[WC_C_WRITTEN_BACK]);
	if (st->have & (1u << WC_C_CACHE_FLUSHES))
		printf("  commits     %llu commits, %llu cache flushes, %llu FUA writes\n",
		       (unsigned long long)st->c[WC_C_COMMITS],
		       (unsigned long long)st->c[WC_C_CACHE_FLUSHES],
		       (unsigned long long)st->c[WC_C_FUA]);
	if (st->error)
		printf("  errors      error %lld: the cache failed; see the kernel log\n",
		       (long long)st->error);
	else if (st->c[WC_C_ORIGIN_ERRORS] || st->c[WC_C_CACHE_READ_ERRORS] ||
		 st->c[WC_C_WB_ERRORS])
		printf("  errors      %llu origin I/O errors, %llu cache read errors, %llu failed writeback attempts (retried); see the kernel log\n",
		       (unsigned long long)st->c[WC_C_ORIGIN_ERRORS],
		       (unsigned long long)st->c[WC_C_CACHE_READ_ERRORS],
		       (unsigned long long)st->c[WC_C_WB_ERRORS]);
	else
		printf("  errors      none\n");
	settings_str(&tb->set, set, sizeof(set));
	/* a cleaner set by message is not in the table of writecache */
	printf("  settings    block_size=%llu %s%s\n", (unsigned long long)bs, set,
	       !tb->cleaner && p->ot.state == WC_ST_SPLITTING ? " cleaner" : "");
}

/* a pairing that cannot be shown: one entry (the message went to stderr) */
static void status_error(struct wc_opts *o, const char *vg, const char *lv, int code,
			 const char *msg, struct json_object *arr)
{
	if (o->json)
		json_object_array_add(arr, wc_error_json(vg, lv, code, msg));
	else
		printf("%s/%s: cannot be shown: %s\n", vg, lv, msg);
}

static int status_one(struct wc_opts *o, const char *vg, const char *lv,
		      struct json_object *arr)
{
	struct wc_pair p;
	struct wc_status st;
	struct wc_table tb;
	int r, mapped;

	r = wc_pair_load_cached(vg, lv, &p);
	if (r)
		goto out;
	r = wc_pair_mapped(&p, &mapped, &st, &tb);
	if (r)
		goto out;
	if (o->json)
		json_object_array_add(arr, status_json(&p, mapped, &st, &tb));
	else
		status_text(&p, mapped, &st, &tb);
out:
	wc_pair_free(&p);
	if (r)
		status_error(o, vg, lv, r, wc_last_error(), arr);
	return r;
}

struct json_object *wc_status_object(const char *vg, const char *lv)
{
	struct json_object *j = NULL;
	struct wc_status st;
	struct wc_table tb;
	struct wc_pair p;
	int mapped;

	if (!wc_pair_load(vg, lv, &p) && p.ot.role == WC_ROLE_ORIGIN &&
	    !wc_pair_mapped(&p, &mapped, &st, &tb))
		j = status_json(&p, mapped, &st, &tb);
	wc_pair_free(&p);
	return j;
}

/*
 * status --prometheus: the node_exporter textfile collector's format.
 * Every metric is printed once with its HELP and TYPE, then one sample
 * per pairing; a pairing that cannot be read has wcache_scrape_error 1.
 */
struct prom_pair {
	char labels[3 * WC_NAME_MAX + 64];
	int ok, mapped;
	uint64_t bs;
	struct wc_status st;
};

enum prom_value {
	PV_UP, PV_ERROR, PV_SIZE, PV_FREE, PV_DIRTY, PV_WRITEBACK,
	PV_READ_HITS, PV_READ_MISSES, PV_WRITE_HITS, PV_WRITE_MISSES, PV_WRITTEN_BACK,
};

static const struct {
	const char *name, *type, *help;
	int need_map;
	uint32_t need;		/* counters the value needs (wc_status.have) */
} prom_metrics[] = {
	[PV_UP] = { "wcache_up", "gauge", "1 when the cache mapping is loaded", 0, 0 },
	[PV_ERROR] = { "wcache_error", "gauge", "error the cache reports (negative errno), 0 for none", 1, 0 },
	[PV_SIZE] = { "wcache_size_bytes", "gauge", "cache data space", 1, 0 },
	[PV_FREE] = { "wcache_free_bytes", "gauge", "free cache space", 1, 0 },
	[PV_DIRTY] = { "wcache_dirty_bytes", "gauge", "data in the cache not yet written to the origin", 1, 0 },
	[PV_WRITEBACK] = { "wcache_writeback_bytes", "gauge", "data being written back now", 1, 0 },
	[PV_READ_HITS] = { "wcache_read_hits_total", "counter", "block reads served by the cache", 1,
			   1u << WC_C_READ_HITS },
	[PV_READ_MISSES] = { "wcache_read_misses_total", "counter", "block reads that went to the origin", 1,
			     1u << WC_C_READ_HITS },
	[PV_WRITE_HITS] = { "wcache_write_hits_total", "counter", "block writes to blocks already in the cache", 1,
			    1u << WC_C_WRITE_HITS },
	[PV_WRITE_MISSES] = { "wcache_write_misses_total", "counter", "block writes to blocks not in the cache", 1,
			      1u << WC_C_WRITE_HITS },
	[PV_WRITTEN_BACK] = { "wcache_written_back_bytes_total", "counter",
			      "data written back to the origin; rate() of it is the writeback rate", 1,
			      1u << WC_C_WRITTEN_BACK },
};

static double prom_value(const struct prom_pair *pp, enum prom_value v)
{
	const struct wc_status *st = &pp->st;
	uint64_t wh = st->c[WC_C_WRITE_HITS] + st->c[WC_C_WRITE_HITS_UNCOMMITTED];

	switch (v) {
	case PV_UP:
		return pp->mapped;
	case PV_ERROR:
		return (double)st->error;
	case PV_SIZE:
		return (double)(st->total_blocks * pp->bs);
	case PV_FREE:
		return (double)(st->free_blocks * pp->bs);
	case PV_DIRTY:
		return (double)(st->dirty_blocks * pp->bs);
	case PV_WRITEBACK:
		return (double)(st->writeback_blocks * pp->bs);
	case PV_READ_HITS:
		return (double)st->c[WC_C_READ_HITS];
	case PV_READ_MISSES:
		return (double)(st->c[WC_C_READS] > st->c[WC_C_READ_HITS] ?
				st->c[WC_C_READS] - st->c[WC_C_READ_HITS] : 0);
	case PV_WRITE_HITS:
		return (double)wh;
	case PV_WRITE_MISSES:
		return (double)(st->c[WC_C_WRITES] > wh ? st->c[WC_C_WRITES] - wh : 0);
	case PV_WRITTEN_BACK:
		return (double)(st->c[WC_C_WRITTEN_BACK] * pp->bs);
	}
	return 0;
}

static int status_prometheus(void)
{
	struct wc_origin_ref *refs = NULL;
	struct prom_pair *pp;
	int n = 0, i, r, r1;
	size_t m;

	r = wc_all_origins(&refs, &n);
	pp = calloc(n ? n : 1, sizeof(*pp));
	if (!pp) {
		free(refs);
		return wc_err(WC_EFAIL, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct wc_table tb;
		struct wc_pair p;

		r1 = WC_ETAGS;
		snprintf(pp[i].labels, sizeof(pp[i].labels), "vg=\"%s\",lv=\"%s\"", refs[i].vg,
			 refs[i].lv);
		if (refs[i].error[0]) {
			wc_err(WC_ETAGS, "%s", refs[i].error);
		} else {
			r1 = wc_pair_load_cached(refs[i].vg, refs[i].lv, &p);
			if (!r1)
				r1 = wc_pair_mapped(&p, &pp[i].mapped, &pp[i].st, &tb);
			if (!r1) {
				pp[i].ok = 1;
				pp[i].bs = p.ot.block_size;
				snprintf(pp[i].labels, sizeof(pp[i].labels),
					 "vg=\"%s\",lv=\"%s\",target=\"%s\",state=\"%s\"", p.vg,
					 p.lv, wc_target_name(p.ot.target), wc_state_name(p.ot.state));
			}
			wc_pair_free(&p);
		}
		if (r1 && !r)
			r = r1;
	}
	printf("# HELP wcache_scrape_error 1 when wcachectl could not read the pairing\n"
	       "# TYPE wcache_scrape_error gauge\n");
	for (i = 0; i < n; i++)
		printf("wcache_scrape_error{vg=\"%s\",lv=\"%s\"} %d\n", refs[i].vg, refs[i].lv,
		       !pp[i].ok);
	for (m = 0; m < sizeof(prom_metrics) / sizeof(prom_metrics[0]); m++) {
		int head = 0;

		for (i = 0; i < n; i++) {
			if (!pp[i].ok || (prom_metrics[m].need_map && !pp[i].mapped) ||
			    (pp[i].st.have & prom_metrics[m].need) != prom_metrics[m].need)
				continue;
			if (!head++)
				printf("# HELP %s %s\n# TYPE %s %s\n", prom_metrics[m].name,
				       prom_metrics[m].help, prom_metrics[m].name,
				       prom_metrics[m].type);
			printf("%s{%s} %.17g\n", prom_metrics[m].name, pp[i].labels,
			       prom_value(&pp[i], m));
		}
	}
	free(pp);
	free(refs);
	return r;
}

int cmd_status(struct wc_opts *o)
{
	struct json_object *arr = json_object_new_array();
	struct wc_origin_ref *refs = NULL;
	int n = 0, i, r = 0, r1;

	if (o->prometheus) {
		json_object_put(arr);
		return status_prometheus();
	}
	if (o->has_lv) {
		r = status_one(o, o->vg, o->lv, arr);
		if (o->json)
			printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(arr, 0),
								     JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
		return r;
	}
	/* one pairing that cannot be read does not hide the others */
	r = wc_all_origins(&refs, &n);
	for (i = 0; i < n; i++) {
		if (refs[i].error[0]) {
			wc_err(WC_ETAGS, "%s", refs[i].error);
			status_error(o, refs[i].vg, refs[i].lv, WC_ETAGS, refs[i].error, arr);
			r1 = WC_ETAGS;
		} else {
			r1 = status_one(o, refs[i].vg, refs[i].lv, arr);
		}
		if (r1 && !r)
			r = r1;
	}
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	else if (!r && n == 0)
		printf("no cached LVs\n");
	json_object_put(arr);
	free(refs);
	return r;
}
