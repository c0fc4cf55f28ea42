// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl status, list, activate and deactivate.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pair.h"
#include "vgscan.h"

/* names of the origins of all pairings in all VGs */
struct origin_ref {
	char vg[WC_NAME_MAX + 1];
	char lv[WC_NAME_MAX + 1];
};

static int all_origins(struct origin_ref **out, int *n)
{
	struct wc_lv *lvs;
	char err[WC_ERR_MAX];
	int nlvs, i, r;

	*out = NULL;
	*n = 0;
	r = wc_lvm_lvs(NULL, &lvs, &nlvs);
	if (r)
		return wc_err(r, "cannot list LVs: %s", wc_lvm_error());
	*out = calloc(nlvs ? nlvs : 1, sizeof(**out));
	if (!*out) {
		free(lvs);
		return wc_err(WC_EFAIL, "out of memory");
	}
	for (i = 0; i < nlvs; i++) {
		struct wc_tags t;

		if (!strstr(lvs[i].tags, WC_TAG_PREFIX))
			continue;
		if (wc_tags_parse(lvs[i].tags, &t, err, sizeof(err))) {
			wc_warn("%s/%s: %s", lvs[i].vg, lvs[i].name, err);
			continue;
		}
		if (t.role != WC_ROLE_ORIGIN)
			continue;
		wc_strlcpy((*out)[*n].vg, lvs[i].vg, sizeof((*out)[*n].vg));
		wc_strlcpy((*out)[*n].lv, t.name, sizeof((*out)[*n].lv));
		(*n)++;
	}
	free(lvs);
	return 0;
}

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
	mapped = wc_pair_mapped(&p, &st, &tb);
	if (mapped < 0) {
		r = -mapped;
		goto out;
	}
	if (o->json)
		json_object_array_add(arr, status_json(&p, mapped, &st, &tb));
	else
		status_text(&p, mapped, &st, &tb);
out:
	wc_pair_free(&p);
	return r;
}

int cmd_status(struct wc_opts *o)
{
	struct json_object *arr = json_object_new_array();
	struct origin_ref *refs = NULL;
	int n = 0, i, r = 0, r1;

	if (o->has_lv) {
		r = status_one(o, o->vg, o->lv, arr);
		if (!r && o->json)
			printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(arr, 0),
								     JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
		return r;
	}
	r = all_origins(&refs, &n);
	for (i = 0; !r && i < n; i++) {
		r1 = status_one(o, refs[i].vg, refs[i].lv, arr);
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

int cmd_list(struct wc_opts *o)
{
	struct json_object *arr = json_object_new_array();
	struct origin_ref *refs = NULL;
	int n = 0, i, r;

	r = all_origins(&refs, &n);
	if (!r && !o->json)
		printf("%-32s %-20s %-10s %-10s %s\n", "LV", "CACHEVOL", "TARGET", "STATE",
		       "ACTIVE");
	for (i = 0; !r && i < n; i++) {
		struct wc_pair p;
		int mapped;

		r = wc_pair_load(refs[i].vg, refs[i].lv, &p);
		if (r)
			break;
		mapped = wc_pair_mapped(&p, NULL, NULL);
		if (o->json) {
			struct json_object *j = json_object_new_object();

			json_object_object_add(j, "vg", json_object_new_string(p.vg));
			json_object_object_add(j, "lv", json_object_new_string(p.lv));
			json_object_object_add(j, "cachevol_lv", p.cache ?
					       json_object_new_string(p.cache->name) : NULL);
			json_object_object_add(j, "target",
					       json_object_new_string(wc_target_name(p.ot.target)));
			json_object_object_add(j, "state",
					       json_object_new_string(wc_state_name(p.ot.state)));
			json_object_object_add(j, "active", json_object_new_boolean(mapped == 1));
			json_object_array_add(arr, j);
		} else {
			char full[2 * WC_NAME_MAX + 2];

			snprintf(full, sizeof(full), "%s/%s", p.vg, p.lv);
			printf("%-32s %-20s %-10s %-10s %s\n", full,
			       p.cache ? p.cache->name : "(missing)", wc_target_name(p.ot.target),
			       wc_state_name(p.ot.state), mapped == 1 ? "yes" : "no");
		}
		wc_pair_free(&p);
	}
	if (!r && o->json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
	free(refs);
	return r;
}

int cmd_deactivate(struct wc_opts *o)
{
	struct wc_pair p;
	int r;

	r = wc_lock();
	if (r)
		return r;
	r = wc_pair_load_cached(o->vg, o->lv, &p);
	if (r)
		goto out;
	r = wc_pair_unmap(&p);
	if (r)
		goto out;
	if (p.origin->active) {
		r = wc_lvm_run("lvchange -an %s/%s", p.vg, p.origin->name);
		if (r) {
			r = wc_err(r, "cannot deactivate %s/%s: %s", p.vg, p.origin->name,
				   wc_lvm_error());
			goto out;
		}
	}
	if (p.cache && p.cache->active) {
		r = wc_lvm_run("lvchange -an %s/%s", p.vg, p.cache->name);
		if (r) {
			r = wc_err(r, "cannot deactivate %s/%s: %s", p.vg, p.cache->name,
				   wc_lvm_error());
			goto out;
		}
	}
	printf("%s/%s is inactive\n", o->vg, o->lv);
out:
	wc_pair_free(&p);
	return r;
}
