// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl dump DEVICE|VG/LV: the superblock and the entries the kernel
 * would load (dirty blocks, by origin block); --all also the entries it
 * would not (superseded, dropped, unverified, in refused sectors), in cache
 * block order, for support cases.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmd.h"
#include "offline.h"

static const struct wc_offopt dump_opts[] = {
	{ "json", 'j', 0, NULL, "machine-readable output" },
	{ "all", 'a', 0, NULL, "also the entries the kernel would not load" },
	{ "read-only", 0, 0, NULL, "dump a live cache that cannot change (mapped read-only or suspended)" },
	{ NULL, 0, 0, NULL, NULL },
};

#define DUMP_USAGE	"dump DEVICE|VG/LV [--json] [--all] [--read-only]"
#define DUMP_HELP	"print the superblock and the entries of a dm-wcache cache"

json_object *wc_check_sb_json(const struct wcf_cache *c);
json_object *wc_check_problems_json(const struct wcf_cache *c);

static const char *flags_str(uint8_t f)
{
	return f == WCACHE_ENTRY_VALID ? "valid" :
	       f == (WCACHE_ENTRY_VALID | WCACHE_ENTRY_STABLE) ? "valid,stable" : "invalid";
}

static void entry_out(json_object *arr, const struct wcf_cache *c, uint64_t b)
{
	const struct wcf_entry *e = &c->e[b];

	if (arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "cache_block", json_object_new_uint64(b));
		json_object_object_add(o, "origin_block", json_object_new_uint64(e->oblock));
		json_object_object_add(o, "seq", json_object_new_uint64(e->seq));
		json_object_object_add(o, "data_csum", json_object_new_uint64(e->csum));
		json_object_object_add(o, "flags", json_object_new_string(flags_str(e->flags)));
		json_object_object_add(o, "state", json_object_new_string(wcf_estate_name(e->state)));
		json_object_array_add(arr, o);
	} else {
		printf("%12llu %14llu %14llu   %08x %-13s %s\n", (unsigned long long)b,
		       (unsigned long long)e->oblock, (unsigned long long)e->seq, e->csum,
		       flags_str(e->flags), wcf_estate_name(e->state));
	}
}

int cmd_dump(struct wc_opts *o)
{
	const char *vals[4] = { NULL, NULL, NULL, NULL }, *target;
	json_object *j = NULL, *arr = NULL;
	struct wc_offline w;
	struct wcf_cache c;
	uint64_t i;
	int r, rc = 0;

	r = wc_offline_getopt(o->argc, o->argv, dump_opts, DUMP_USAGE, DUMP_HELP, vals, &target);
	if (r)
		return r < 0 ? 0 : r;
	r = wc_offline_load("dump", DUMP_USAGE, target, vals[2] ? WC_OFF_LIVE_OK : 0, &w, &c);
	if (r)
		return r;
	if (c.sb_state != WCF_SB_OK && !vals[0]) {
		rc = wc_err(c.sb_state == WCF_SB_BLANK ? 0 : WC_EREFUSED, "%s: superblock %s: %s",
			    wc_offline_name(&w), c.sb_state == WCF_SB_BLANK ? "blank" : "refused",
			    c.sb_reason);
		goto out;
	}
	if (vals[0]) {
		j = json_object_new_object();
		json_object_object_add(j, "device", json_object_new_string(wc_offline_name(&w)));
		json_object_object_add(j, "superblock", wc_check_sb_json(&c));
		json_object_object_add(j, "loadable", json_object_new_boolean(c.loadable));
		arr = json_object_new_array();
	} else {
		char uuid[33];

		wcf_hex16(c.sb.origin_uuid, uuid);
		printf("superblock:\n");
		printf("  magic %08x version %u flags %#x\n", le32toh(c.sb.magic),
		       le32toh(c.sb.version), le32toh(c.sb.flags));
		printf("  features compat %#llx incompat %#llx ro_compat %#llx\n",
		       (unsigned long long)le64toh(c.sb.features_compat),
		       (unsigned long long)le64toh(c.sb.features_incompat),
		       (unsigned long long)le64toh(c.sb.features_ro_compat));
		printf("  block_size %u n_blocks %llu md_offset %llu md_sectors %llu data_offset %llu\n",
		       c.block_size, (unsigned long long)c.n_blocks, (unsigned long long)c.md_offset,
		       (unsigned long long)c.md_sectors, (unsigned long long)c.data_offset);
		printf("  cache_sectors %llu origin_sectors %llu origin_uuid %s\n",
		       (unsigned long long)c.cache_sectors, (unsigned long long)c.origin_sectors, uuid);
		printf("  format_nonce %#llx durable_seq %llu sb_seq %llu format_time %llu\n",
		       (unsigned long long)c.format_nonce, (unsigned long long)c.durable_seq,
		       (unsigned long long)c.sb_seq,
		       (unsigned long long)le64toh(c.sb.format_time));
		if (!c.loadable)
			printf("the kernel would refuse this cache: %s\n", c.refuse);
		printf("%12s %14s %14s   %-8s %-13s %s\n", "cache_block", "origin_block", "seq",
		       "csum", "flags", "state");
	}
	if (c.sb_state == WCF_SB_OK) {
		if (vals[1]) {
			for (i = 0; i < c.n_blocks; i++)
				if (c.e[i].state != WCF_E_FREE)
					entry_out(arr, &c, i);
		} else {
			for (i = 0; i < c.n_dirty; i++)
				entry_out(arr, &c, c.dirty[i]);
		}
	}
	if (j) {
		json_object_object_add(j, "entries", arr);
		if (c.sb_state == WCF_SB_OK)
			json_object_object_add(j, "bad_md_sectors", wc_check_problems_json(&c));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	}
out:
	wcf_free(&c);
	r = wc_offline_teardown(&w);
	return rc ? rc : r;
}
