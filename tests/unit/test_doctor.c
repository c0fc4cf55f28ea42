// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of wcachectl doctor's rules (tools/doctor.c) on the inputs
 * doctor recorded in real runs (WCACHECTL_DOCTOR_RECORD, tests/vm/doctor.bats
 * and bench/demo-guest.sh in the VM): tests/unit/data/doctor/NAME.rec holds
 * the live table, two status lines, the sampled seconds, the origin's
 * counters and the geometry; the plan is recomputed here with wc_policy()
 * from that geometry, as the command does. Some cases change one recorded
 * value to reach a rule the runs did not (commit_bound, flush_bound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "policy.h"
#include "status.h"
#include "unit.h"

#ifndef DATA_DIR
#define DATA_DIR	"../tests/unit/data/doctor"
#endif

#define MAXKV	64

struct rec {
	char key[MAXKV][32];
	char val[MAXKV][512];
	int n;
	/* the rules' inputs built from it */
	struct wc_table tb;
	struct wc_status st0, st1;
	struct wc_geometry g;
	struct wc_plan plan;
	char plan_params[2048];
	struct wc_doc_in in;
	struct wc_doc_report rep;
};

static const char *get(const struct rec *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return "";
}

static void set(struct rec *r, const char *key, const char *val)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key)) {
			snprintf(r->val[i], sizeof(r->val[i]), "%s", val);
			return;
		}
	if (r->n < MAXKV) {
		snprintf(r->key[r->n], sizeof(r->key[0]), "%s", key);
		snprintf(r->val[r->n++], sizeof(r->val[0]), "%s", val);
	}
}

static unsigned long long num(const struct rec *r, const char *key)
{
	return strtoull(get(r, key), NULL, 10);
}

static int load(const char *name, struct rec *r)
{
	char path[512], line[700], *eq;
	const char *dir = getenv("WC_UNIT_DATA") ? getenv("WC_UNIT_DATA") : DATA_DIR;
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s.rec", dir, name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && r->n < MAXKV) {
		line[strcspn(line, "\n")] = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		set(r, line, eq + 1);
	}
	fclose(f);
	return 0;
}

/* the command's steps, from the recorded values */
static int analyse(struct rec *r)
{
	char err[256];
	enum wc_target t = wc_target_parse(get(r, "target"));
	const char *kind = get(r, "kind");

	if (wc_table_parse(get(r, "table"), &r->tb, err, sizeof(err)) ||
	    wc_status_parse(t, get(r, "status0"), &r->st0, err, sizeof(err)) ||
	    wc_status_parse(t, get(r, "status1"), &r->st1, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", get(r, "name"), err);
		return -1;
	}
	memset(&r->g, 0, sizeof(r->g));
	r->g.target = t;
	r->g.fs_block_size = num(r, "fs_block_size");
	snprintf(r->g.fs_type, sizeof(r->g.fs_type), "%s", get(r, "fs_type"));
	r->g.origin_lbs = num(r, "origin_lbs");
	r->g.origin_pbs = num(r, "origin_pbs");
	r->g.cache_lbs = num(r, "cache_lbs");
	r->g.cache_pbs = num(r, "cache_pbs");
	r->g.origin_bytes = num(r, "origin_bytes");
	r->g.cache_bytes = num(r, "cache_bytes");
	r->g.origin_rotational = num(r, "origin_rotational");
	r->g.cache_rotational = num(r, "cache_rotational");
	r->g.ram_bytes = num(r, "ram_bytes");
	r->g.page_size = num(r, "page_size");
	r->g.force = 1;
	memset(&r->in, 0, sizeof(r->in));
	if (wc_policy(&r->g, &r->plan) == WC_OK &&
	    !wc_plan_params(&r->plan, r->tb.origin, r->tb.cache, 0,
			    r->tb.origin_uuid[0] ? r->tb.origin_uuid : NULL, r->plan_params,
			    sizeof(r->plan_params)))
		r->in.plan = &r->plan;
	r->in.plan_params = r->plan_params;
	r->in.dm_name = get(r, "name");
	r->in.kind = !strcmp(kind, "lvm") ? WC_DOC_LVM : !strcmp(kind, "wcachectl") ? WC_DOC_OURS :
		     WC_DOC_HAND;
	r->in.vg = get(r, "vg");
	r->in.lv = get(r, "lv");
	r->in.cachevol = get(r, "cachevol");
	r->in.origin_lv = get(r, "origin_lv");
	r->in.cache_lv = get(r, "cache_lv");
	r->in.cache_path = get(r, "cache_path");
	r->in.sectors = num(r, "sectors");
	r->in.target = t;
	r->in.tb = &r->tb;
	r->in.fs_block_size = r->g.fs_block_size;
	r->in.fs_type = r->g.fs_type;
	r->in.origin_rotational = r->g.origin_rotational;
	r->in.st0 = &r->st0;
	r->in.st1 = &r->st1;
	r->in.secs = strtod(get(r, "secs"), NULL);
	r->in.max_dirty = num(r, "max_dirty");
	r->in.origin_measured = num(r, "origin_measured");
	r->in.origin_writes = num(r, "origin_writes");
	r->in.origin_busy = strtod(get(r, "origin_busy"), NULL);
	wc_doctor(&r->in, &r->rep);
	return 0;
}

static const struct wc_finding *find(const struct rec *r, const char *id, const char *setting)
{
	unsigned int i;

	for (i = 0; i < r->rep.n; i++)
		if (!strcmp(r->rep.f[i].id, id) &&
		    (!setting || (r->rep.f[i].setting && !strcmp(r->rep.f[i].setting, setting))))
			return &r->rep.f[i];
	return NULL;
}

static int count(const struct rec *r, const char *id)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < r->rep.n; i++)
		n += !strcmp(r->rep.f[i].id, id);
	return n;
}

static void dump(const struct rec *r)
{
	unsigned int i;

	for (i = 0; i < r->rep.n; i++)
		fprintf(stderr, "  %s [%s] %s | %s | %s\n", r->rep.f[i].id,
			wc_doc_class_name(r->rep.f[i].cls), r->rep.f[i].evidence,
			r->rep.f[i].effect, r->rep.f[i].fix);
}

/* every finding has an id the man page lists, evidence and an effect */
static void check_well_formed(const struct rec *r)
{
	unsigned int i, j;

	for (i = 0; i < r->rep.n; i++) {
		int known = 0;

		for (j = 0; j < wc_doc_nids; j++)
			known |= !strcmp(wc_doc_ids[j].id, r->rep.f[i].id);
		CHECK(known);
		CHECK(r->rep.f[i].evidence[0] && r->rep.f[i].effect[0]);
		CHECK(strlen(r->rep.f[i].fix) < WC_DOC_FIX - 1);
	}
}

/*
 * A hand-made "writecache s ... 4096 0" over the HDD model, fio's working
 * set 4x the cache (tests/vm/doctor.bats): the cache is full, and
 * dm-writecache in SSD mode sends every write that finds no free block
 * straight to the origin (written around), at the HDD's random-write speed.
 */
static void test_hand_full(void)
{
	struct rec r;
	const struct wc_finding *f;

	if (load("hand-writecache-full", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	check_well_formed(&r);
	CHECK(r.rep.m.rates);
	CHECK(r.rep.m.high_wm == 50 && r.rep.m.low_wm == 45);
	CHECK(r.rep.m.max_dirty_pct > 99);
	CHECK(r.rep.m.full_around_ps > 300 && r.rep.m.full_around_ps < 400);
	CHECK(r.rep.m.origin_speed_measured && r.rep.m.origin_speed > 300);
	CHECK(r.rep.m.writeback_ps < 1);
	f = find(&r, "cache_full", NULL);
	CHECK(f && f->cls == WC_F_CAUSE);
	if (f) {
		CHECK(strstr(f->evidence, "found no free cache block and went around the cache to a rotational origin") != NULL);
		CHECK(strstr(f->fix, "dmsetup message wchand 0 flush_on_suspend && dmsetup suspend wchand && dmsetup remove wchand") == f->fix);
	}
	f = find(&r, "above_high_watermark", NULL);
	CHECK(f && f->cls == WC_F_CAUSE);
	if (f)
		CHECK(strstr(f->evidence, "100% dirty, above high_watermark 50: the cache is full and every new write goes to a rotational origin at its speed") == f->evidence);
	/* and the cause of the stall: pause_writeback (3000 by default) */
	f = find(&r, "writeback_paused", NULL);
	CHECK(f && f->cls == WC_F_CAUSE && r.rep.f[0].id == f->id);
	if (f) {
		CHECK(strstr(f->evidence, "pause_writeback 3000 (the target's default) stops writeback for 3000 ms after each: writeback 0 blocks/s, the cache never drains") != NULL);
		CHECK_STR(f->fix, "dmsetup reload wchand --table '0 407552 writecache s 254:1 254:2 4096 2 pause_writeback 0' && dmsetup suspend wchand && dmsetup resume wchand");
		CHECK_STR(f->live, "3000");
	}
	/* written around because full, not bypassed for another reason */
	CHECK(!find(&r, "writes_bypassed", NULL));
	/* the bare table against the plan: writeback_jobs, autocommit_blocks */
	f = find(&r, "setting_differs", "writeback_jobs");
	CHECK(f && !strcmp(f->live, "unlimited"));
	f = find(&r, "setting_differs", "autocommit_blocks");
	CHECK(f && !strcmp(f->live, "65536"));
	if (f)
		CHECK(strstr(f->fix, "dmsetup reload wchand --table '0 407552 writecache s 254:1 254:2 4096 2 autocommit_blocks ") == f->fix);
	CHECK(!find(&r, "setting_differs", "high_watermark"));
	CHECK(!find(&r, "error_state", NULL));
	if (unit_fail)
		dump(&r);

	/* the same samples if the origin and cache were LVs of one VG: our attach */
	set(&r, "origin_lv", "vg/slow_bare");
	set(&r, "cache_lv", "vg/fast_bare");
	if (analyse(&r)) {
		CHECK(0);
		return;
	}
	f = find(&r, "cache_full", NULL);
	CHECK(f && strstr(f->fix, "dmsetup remove wchand && wcachectl attach vg/slow_bare --cachevol fast_bare --yes"));
}

/* an LVM writecache LV (lvconvert): table "4096 0", idle */
static void test_lvm(void)
{
	struct rec r;
	const struct wc_finding *f;

	if (load("lvm-writecache", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	check_well_formed(&r);
	CHECK(r.in.kind == WC_DOC_LVM);
	f = find(&r, "setting_differs", "autocommit_blocks");
	CHECK(f && f->cls == WC_F_DIFFERENCE);
	if (f) {
		char want[128];

		snprintf(want, sizeof(want), "lvchange --cachesettings 'autocommit_blocks=%s' wcvg/slow",
			 f->planned);
		CHECK_STR(f->fix, want);
	}
	CHECK(find(&r, "setting_differs", "writeback_jobs") != NULL);
	/* idle: no cause */
	CHECK(!find(&r, "cache_full", NULL) && !find(&r, "above_high_watermark", NULL));
	CHECK(!find(&r, "commit_bound", NULL) && !find(&r, "filling", NULL));

	/* block size 512 under a 4 KiB filesystem, on the same LV */
	set(&r, "table", "s 254:3 254:4 512 0");
	set(&r, "fs_block_size", "4096");
	set(&r, "fs_type", "xfs");
	if (analyse(&r)) {
		CHECK(0);
		return;
	}
	f = find(&r, "block_size_below_fs", NULL);
	CHECK(f && f->cls == WC_F_CAUSE);
	if (f) {
		CHECK_STR(f->evidence, "block size 512 on a 4 KiB xfs filesystem: 8 cache entries per filesystem block");
		CHECK(strstr(f->fix, "lvconvert --splitcache wcvg/slow && wcachectl attach wcvg/slow --cachevol fast --yes") == f->fix);
		CHECK(strstr(f->fix, "--cachesettings 'block_size=4096 ") != NULL);
	}
	CHECK(!find(&r, "block_size_differs", NULL));
}

/* ours, attached with --block-size 512 over ext4 (tests/vm/doctor.bats) */
static void test_ours_small_blocks(void)
{
	struct rec r;
	const struct wc_finding *f;

	if (load("wcache-bs512-ext4", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	check_well_formed(&r);
	f = find(&r, "block_size_below_fs", NULL);
	CHECK(f && f->cls == WC_F_CAUSE);
	if (f) {
		CHECK_STR(f->evidence, "block size 512 on a 4 KiB ext4 filesystem: 8 cache entries per filesystem block");
		CHECK_STR(f->fix, "wcachectl split wcvg/slow && wcachectl attach wcvg/slow --cachevol fast --yes");
		CHECK_STR(f->live, "512");
		CHECK_STR(f->planned, "4096");
	}
	/* the plan's other settings depend on the block count: they differ too */
	f = find(&r, "setting_differs", "autocommit_blocks");
	CHECK(!f || strstr(f->fix, "wcachectl tune wcvg/slow autocommit_blocks=") == f->fix);
	if (unit_fail)
		dump(&r);
}

/* ours after the fix: the healthy case, no findings */
static void test_ours_healthy(void)
{
	struct rec r;

	if (load("wcache-healthy", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	CHECK(r.in.plan != NULL);
	CHECK(r.rep.n == 0);
	if (r.rep.n)
		dump(&r);

	/* the same cache with autocommit_blocks 64 under 5,000 writes/s: commit-bound */
	{
		char s1[512];
		struct wc_status st;
		char err[128];
		unsigned long long w;

		wc_status_parse(WC_TARGET_WCACHE, get(&r, "status0"), &st, err, sizeof(err));
		w = st.c[WC_C_WRITES] + (unsigned long long)(5000 * strtod(get(&r, "secs"), NULL));
		/* fields: error total free wb dirty reads read_hits writes ... */
		snprintf(s1, sizeof(s1), "%lld %llu %llu %llu %llu %llu %llu %llu 0 0 0 0 %llu 0 0 0 0 0 0",
			 (long long)st.error, (unsigned long long)st.total_blocks,
			 (unsigned long long)st.free_blocks, 0ULL,
			 (unsigned long long)st.dirty_blocks, (unsigned long long)st.c[WC_C_READS],
			 (unsigned long long)st.c[WC_C_READ_HITS], w,
			 (unsigned long long)st.c[WC_C_FLUSHES]);
		set(&r, "status1", s1);
		/* status0 in the same 19-field form, so every counter has a delta */
		snprintf(s1, sizeof(s1), "%lld %llu %llu %llu %llu %llu %llu %llu 0 0 0 0 %llu 0 0 0 0 0 0",
			 (long long)st.error, (unsigned long long)st.total_blocks,
			 (unsigned long long)st.free_blocks, 0ULL,
			 (unsigned long long)st.dirty_blocks, (unsigned long long)st.c[WC_C_READS],
			 (unsigned long long)st.c[WC_C_READ_HITS],
			 (unsigned long long)st.c[WC_C_WRITES],
			 (unsigned long long)st.c[WC_C_FLUSHES]);
		set(&r, "status0", s1);
		if (analyse(&r)) {
			CHECK(0);
			return;
		}
		CHECK(r.rep.n == 0);	/* the plan's autocommit_blocks: not commit-bound */
		snprintf(s1, sizeof(s1), "%s", get(&r, "table"));
		{
			/* the same table with autocommit_blocks 64 */
			char *p = strstr(s1, "autocommit_blocks ");
			char t2[1024];

			CHECK(p != NULL);
			if (!p)
				return;
			*p = '\0';
			p += strlen("autocommit_blocks ");
			p += strcspn(p, " ");
			snprintf(t2, sizeof(t2), "%sautocommit_blocks 64%s", s1, p);
			set(&r, "table", t2);
		}
		if (analyse(&r)) {
			CHECK(0);
			return;
		}
		CHECK(find(&r, "commit_bound", NULL) != NULL);
		if (find(&r, "commit_bound", NULL))
			CHECK(strstr(find(&r, "commit_bound", NULL)->evidence,
				     "autocommit_blocks 64 with 5,000 writes/s") == find(&r, "commit_bound", NULL)->evidence);
		CHECK(find(&r, "setting_differs", "autocommit_blocks") != NULL);
	}
}

/* writecache over a dm-flakey origin that fails writes: error state */
static void test_error(void)
{
	struct rec r;
	const struct wc_finding *f;

	if (load("writecache-error", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	check_well_formed(&r);
	CHECK(r.rep.m.error != 0);
	CHECK(!r.rep.m.rates);
	f = find(&r, "error_state", NULL);
	CHECK(f && f->cls == WC_F_CAUSE && r.rep.f[0].id == f->id);
	if (f) {
		CHECK(strstr(f->evidence, "error state: the status line's error flag is set") == f->evidence);
		CHECK(strstr(f->fix, "dmsetup remove wcerr") != NULL);
	}
	CHECK(count(&r, "error_state") == 1);
}

/*
 * The demo's article case (bench/demo.sh article, under fio): the same
 * hand-made table over two LVs of one VG, cache 64 MiB under a 128 MiB
 * working set. Cause and fix: pause_writeback; the rebuild is our attach.
 */
static void test_demo_article(void)
{
	struct rec r;
	const struct wc_finding *f;

	if (load("demo-article-dmsetup", &r) || analyse(&r)) {
		CHECK(0);
		return;
	}
	check_well_formed(&r);
	CHECK(r.in.kind == WC_DOC_HAND);
	CHECK(r.rep.n > 0 && !strcmp(r.rep.f[0].id, "writeback_paused"));
	f = find(&r, "writeback_paused", NULL);
	CHECK(f && strstr(f->fix, "dmsetup reload art_dmsetup --table '0 2097152 writecache s 254:11 254:12 4096 2 pause_writeback 0'") == f->fix);
	f = find(&r, "cache_full", NULL);
	CHECK(f && strstr(f->fix, "dmsetup remove art_dmsetup && wcachectl attach vg/slow_ah --cachevol fast_ah --yes") != NULL);
	CHECK(r.rep.m.writeback_ps < 1 && r.rep.m.full_around_ps > 100);
	CHECK(r.rep.m.origin_speed_measured);
	if (unit_fail)
		dump(&r);
}

static void test_split_name(void)
{
	char vg[64], lv[64];

	CHECK(wc_doc_split_dm_name("wcvg-slow", vg, sizeof(vg), lv, sizeof(lv)) == 0);
	CHECK_STR(vg, "wcvg");
	CHECK_STR(lv, "slow");
	CHECK(wc_doc_split_dm_name("my--vg-lv--a-b", vg, sizeof(vg), lv, sizeof(lv)) == -1);
	CHECK(wc_doc_split_dm_name("my--vg-lv--ab", vg, sizeof(vg), lv, sizeof(lv)) == 0);
	CHECK_STR(vg, "my-vg");
	CHECK_STR(lv, "lv-ab");
	CHECK(wc_doc_split_dm_name("bare", vg, sizeof(vg), lv, sizeof(lv)) == -1);
	CHECK(wc_doc_split_dm_name("-x", vg, sizeof(vg), lv, sizeof(lv)) == -1);
	CHECK(wc_doc_split_dm_name("x-", vg, sizeof(vg), lv, sizeof(lv)) == -1);
}

static void test_defaults(void)
{
	struct wc_table tb;
	char err[128];
	int unl;

	CHECK(wc_table_parse("s 1:2 3:4 4096 0", &tb, err, sizeof(err)) == 0);
	CHECK(wc_doc_effective(WC_TARGET_WRITECACHE, &tb, WC_K_AC_BLOCKS, &unl) == 65536 && !unl);
	wc_doc_effective(WC_TARGET_WRITECACHE, &tb, WC_K_WB_JOBS, &unl);
	CHECK(unl);
	CHECK(wc_doc_effective(WC_TARGET_WCACHE, &tb, WC_K_WB_JOBS, &unl) == 1024 && !unl);
	CHECK(wc_table_parse("p 1:2 3:4 4096 2 high_watermark 70", &tb, err, sizeof(err)) == 0);
	CHECK(wc_doc_effective(WC_TARGET_WRITECACHE, &tb, WC_K_AC_BLOCKS, &unl) == 64);
	CHECK(wc_doc_effective(WC_TARGET_WRITECACHE, &tb, WC_K_HIGH_WM, &unl) == 70);
}

int main(void)
{
	test_split_name();
	test_defaults();
	test_hand_full();
	test_lvm();
	test_ours_small_blocks();
	test_ours_healthy();
	test_error();
	test_demo_article();
	return unit_done("test_doctor");
}
