// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl check DEVICE|VG/LV: validate a dm-wcache cache without the
 * kernel (superblock, every metadata sector, every entry against the
 * geometry) and report what the kernel would load.  Exit status as
 * thin_check's: 0 the kernel loads this cache, 1 it would refuse it (or
 * parts cannot be read); other codes as every wcachectl command.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmd.h"
#include "offline.h"

#define CHECK_DAMAGED	1	/* thin_check: errors found */
#define LIST_MAX	20	/* bad sectors listed in the text report */

static const struct wc_offopt check_opts[] = {
	{ "json", 'j', 0, NULL, "machine-readable output" },
	{ "read-only", 0, 0, NULL, "check a live cache that cannot change (mapped read-only or suspended)" },
	{ NULL, 0, 0, NULL, NULL },
};

#define CHECK_USAGE	"check DEVICE|VG/LV [--json] [--read-only]"
#define CHECK_HELP	"validate a dm-wcache cache without the kernel and report what it would load"

static const char *sb_state_name(int s)
{
	static const char *const n[] = { "ok", "blank", "bad", "unreadable" };

	return s >= 0 && s <= WCF_SB_UNREADABLE ? n[s] : "?";
}

static json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* the superblock as JSON (shared with dump) */
json_object *wc_check_sb_json(const struct wcf_cache *c)
{
	json_object *o = json_object_new_object();
	char uuid[33];

	json_object_object_add(o, "state", json_object_new_string(sb_state_name(c->sb_state)));
	if (c->sb_reason)
		json_object_object_add(o, "reason", json_object_new_string(c->sb_reason));
	if (c->sb_state != WCF_SB_OK)
		return o;
	wcf_hex16(c->sb.origin_uuid, uuid);
	json_object_object_add(o, "version", j_u64(le32toh(c->sb.version)));
	json_object_object_add(o, "flags", j_u64(le32toh(c->sb.flags)));
	json_object_object_add(o, "features_compat", j_u64(le64toh(c->sb.features_compat)));
	json_object_object_add(o, "features_incompat", j_u64(le64toh(c->sb.features_incompat)));
	json_object_object_add(o, "features_ro_compat", j_u64(le64toh(c->sb.features_ro_compat)));
	json_object_object_add(o, "block_size", j_u64(c->block_size));
	json_object_object_add(o, "n_blocks", j_u64(c->n_blocks));
	json_object_object_add(o, "md_offset", j_u64(c->md_offset));
	json_object_object_add(o, "md_sectors", j_u64(c->md_sectors));
	json_object_object_add(o, "data_offset", j_u64(c->data_offset));
	json_object_object_add(o, "cache_sectors", j_u64(c->cache_sectors));
	json_object_object_add(o, "origin_sectors", j_u64(c->origin_sectors));
	json_object_object_add(o, "origin_uuid", json_object_new_string(uuid));
	json_object_object_add(o, "format_nonce", j_u64(c->format_nonce));
	json_object_object_add(o, "durable_seq", j_u64(c->durable_seq));
	json_object_object_add(o, "sb_seq", j_u64(c->sb_seq));
	json_object_object_add(o, "format_time", j_u64(le64toh(c->sb.format_time)));
	return o;
}

json_object *wc_check_problems_json(const struct wcf_cache *c)
{
	json_object *a = json_object_new_array();
	uint64_t i;

	for (i = 0; i < c->n_probs; i++) {
		const struct wcf_problem *p = &c->probs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "md_sector", j_u64(p->sector));
		json_object_object_add(o, "device_sector", j_u64(c->md_offset + p->sector));
		json_object_object_add(o, "error", json_object_new_string(wcf_md_err_name(p->err)));
		if (p->entry >= 0)
			json_object_object_add(o, "entry", json_object_new_int(p->entry));
		json_object_object_add(o, "why", json_object_new_string(p->why));
		json_object_array_add(a, o);
	}
	return a;
}

static void print_text(const char *name, const struct wcf_cache *c)
{
	char sz[32], uuid[33];
	uint64_t i;

	printf("cache: %s\n", name);
	if (c->sb_state != WCF_SB_OK) {
		printf("superblock: %s: %s\n", sb_state_name(c->sb_state), c->sb_reason);
		return;
	}
	wcf_hex16(c->sb.origin_uuid, uuid);
	printf("superblock: ok (format %u, sb_seq %llu, durable_seq %llu%s)\n",
	       le32toh(c->sb.version), (unsigned long long)c->sb_seq,
	       (unsigned long long)c->durable_seq, c->stable_ok ? ", STABLE entries allowed" : "");
	printf("geometry: %llu blocks of %u bytes, metadata %llu sectors at %llu, data at sector %llu\n",
	       (unsigned long long)c->n_blocks, c->block_size, (unsigned long long)c->md_sectors,
	       (unsigned long long)c->md_offset, (unsigned long long)c->data_offset);
	printf("origin: %llu sectors (%llu blocks), origin_uuid %s\n",
	       (unsigned long long)c->origin_sectors, (unsigned long long)c->origin_blocks, uuid);
	printf("metadata sectors: %llu, %llu refused\n", (unsigned long long)c->md_sectors,
	       (unsigned long long)c->n_bad_sectors);
	for (i = 0; i < c->n_probs && i < LIST_MAX; i++) {
		const struct wcf_problem *p = &c->probs[i];

		printf("  metadata sector %llu (device sector %llu): %s: %s",
		       (unsigned long long)p->sector, (unsigned long long)(c->md_offset + p->sector),
		       wcf_md_err_name(p->err), p->why);
		if (p->entry >= 0)
			printf(" (entry %d)", p->entry);
		putchar('\n');
	}
	if (c->n_probs > LIST_MAX)
		printf("  ... and %llu more (--json lists them all)\n",
		       (unsigned long long)(c->n_probs - LIST_MAX));
	printf("entries: %llu used: %llu dirty, %llu superseded, %llu dropped (newer than durable_seq, data checksum mismatch), %llu unverified (data unreadable), %llu in refused sectors\n",
	       (unsigned long long)c->n_used, (unsigned long long)c->n_dirty,
	       (unsigned long long)c->n_superseded, (unsigned long long)c->n_dropped,
	       (unsigned long long)c->n_unverified, (unsigned long long)c->n_ignored);
	printf("checked data: %llu verified, %llu stable (no checksum); highest seq %llu\n",
	       (unsigned long long)c->n_verified, (unsigned long long)c->n_stable,
	       (unsigned long long)c->max_seq);
	if (c->n_same_seq)
		printf("warning: %llu origin blocks have two entries of one commit (the kernel warns too)\n",
		       (unsigned long long)c->n_same_seq);
	wc_human_size(c->n_dirty * c->block_size, sz, sizeof(sz));
	printf("dirty: %llu blocks (%s)\n", (unsigned long long)c->n_dirty, sz);
}

int cmd_check(struct wc_opts *o)
{
	const char *vals[3] = { NULL, NULL, NULL }, *target;
	struct wc_offline w;
	struct wcf_cache c;
	int r, rc;

	r = wc_offline_getopt(o->argc, o->argv, check_opts, CHECK_USAGE, CHECK_HELP, vals, &target);
	if (r)
		return r < 0 ? 0 : r;
	r = wc_offline_load("check", CHECK_USAGE, target, vals[1] ? WC_OFF_LIVE_OK : 0, &w, &c);
	if (r)
		return r;
	rc = c.loadable ? 0 : CHECK_DAMAGED;
	if (vals[0]) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "device", json_object_new_string(wc_offline_name(&w)));
		json_object_object_add(j, "superblock", wc_check_sb_json(&c));
		json_object_object_add(j, "loadable", json_object_new_boolean(c.loadable));
		if (c.refuse)
			json_object_object_add(j, "refused", json_object_new_string(c.refuse));
		if (c.sb_state == WCF_SB_OK) {
			json_object_object_add(j, "entries_used", j_u64(c.n_used));
			json_object_object_add(j, "dirty_blocks", j_u64(c.n_dirty));
			json_object_object_add(j, "dirty_bytes", j_u64(c.n_dirty * c.block_size));
			json_object_object_add(j, "superseded", j_u64(c.n_superseded));
			json_object_object_add(j, "dropped", j_u64(c.n_dropped));
			json_object_object_add(j, "unverified", j_u64(c.n_unverified));
			json_object_object_add(j, "ignored", j_u64(c.n_ignored));
			json_object_object_add(j, "verified", j_u64(c.n_verified));
			json_object_object_add(j, "stable", j_u64(c.n_stable));
			json_object_object_add(j, "same_seq", j_u64(c.n_same_seq));
			json_object_object_add(j, "max_seq", j_u64(c.max_seq));
			json_object_object_add(j, "bad_md_sectors", wc_check_problems_json(&c));
		}
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else {
		print_text(wc_offline_name(&w), &c);
		if (c.sb_state == WCF_SB_BLANK)
			printf("result: blank cache; the target formats it on its next load\n");
		else if (c.loadable)
			printf("result: ok; the kernel loads this cache with %llu dirty blocks\n",
			       (unsigned long long)c.n_dirty);
		else
			printf("result: DAMAGED; the kernel refuses this cache: %s\n", c.refuse);
	}
	wcf_free(&c);
	r = wc_offline_teardown(&w);
	return rc ? rc : r;
}
