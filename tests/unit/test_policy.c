// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the pure geometry -> table policy (tools/policy.c). */
#include <stdint.h>
#include <string.h>

#include "policy.h"
#include "unit.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)

static struct wc_geometry base(void)
{
	struct wc_geometry g;

	memset(&g, 0, sizeof(g));
	g.target = WC_TARGET_WRITECACHE;
	g.origin_lbs = g.origin_pbs = 512;
	g.cache_lbs = g.cache_pbs = 512;
	g.origin_bytes = 100 * GIB;
	g.cache_bytes = 10 * GIB;
	g.ram_bytes = 16 * GIB;
	g.page_size = 4096;
	g.origin_rotational = 1;
	return g;
}

static void test_block_size(void)
{
	struct wc_geometry g = base();
	struct wc_plan p;

	/* no filesystem: 4096 */
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.block_size == 4096);
	CHECK(strstr(p.bs_reason, "no filesystem") != NULL);

	/* ext4 with 1k blocks: follow the filesystem */
	g.fs_block_size = 1024;
	strcpy(g.fs_type, "ext4");
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.block_size == 1024);
	CHECK(strstr(p.bs_reason, "ext4") != NULL);

	/* xfs with 512-byte sectors */
	g.fs_block_size = 512;
	strcpy(g.fs_type, "xfs");
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.block_size == 512);

	/* requested larger than the filesystem's block: refused */
	g.req_block_size = 4096;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);
	CHECK(strstr(p.error, "larger than") != NULL);

	/* fs block 512 but a 4k-logical cache: impossible */
	g.req_block_size = 0;
	g.cache_lbs = 4096;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);
	CHECK(strstr(p.error, "logical block size") != NULL);

	/* fs with 64k blocks on a 4k-page machine: capped to the page */
	g = base();
	g.fs_block_size = 65536;
	strcpy(g.fs_type, "ext4");
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.block_size == 4096);

	/* requested not a power of two / below logical block size */
	g = base();
	g.req_block_size = 3000;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);
	g.req_block_size = 512;
	g.origin_lbs = 4096;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);
	g.req_block_size = 8192;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);

	/* block below physical block size: allowed with a warning */
	g = base();
	g.req_block_size = 512;
	g.cache_pbs = 4096;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.nwarn == 1 && strstr(p.warn[0], "physical") != NULL);
}

static void test_ram(void)
{
	struct wc_geometry g = base();
	struct wc_plan p;

	/* 1 TiB cache, 4k blocks, 80 B/block ~ 20 GiB RAM > 16/2 GiB */
	g.cache_bytes = 1024 * GIB;
	CHECK(wc_policy(&g, &p) == WC_EREFUSED);
	CHECK(strstr(p.error, "half of") != NULL);
	g.force = 1;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.nwarn >= 1 && strstr(p.warn[0], "--force") != NULL);

	/* warn early at > 1/8 of RAM (3 GiB for 16 GiB): 160 GiB cache ~ 3.1 GiB */
	g.force = 0;
	g.cache_bytes = 160 * GIB;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.nwarn == 1 && strstr(p.warn[0], "1/8") != NULL);

	/* our target needs less RAM per block: no warning there */
	g.target = WC_TARGET_WCACHE;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.nwarn == 0);
	CHECK(p.ram_needed == p.cache_blocks * WC_RAM_PER_BLOCK_WCACHE);

	/* a tiny cache is refused */
	g.cache_bytes = 64 * 1024;
	CHECK(wc_policy(&g, &p) == WC_EGEOMETRY);
}

static void test_values(void)
{
	struct wc_geometry g = base();
	struct wc_plan p;
	char buf[512];
	int k;

	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.mode == 's');
	CHECK(p.s.val[WC_K_HIGH_WM] == 50 && p.s.val[WC_K_LOW_WM] == 45);
	/* 16 GiB / 256 = 64 MiB cap -> 16384 4k blocks */
	CHECK(p.s.val[WC_K_WB_JOBS] == 16384);
	CHECK(p.s.val[WC_K_AC_BLOCKS] == 65536);
	CHECK(p.s.val[WC_K_AC_TIME] == 1000);
	CHECK(!(p.s.mask & (1u << WC_K_SEQ_CUTOFF)));
	/* dm-writecache: pause_writeback 0, or a full cache never drains */
	CHECK((p.s.mask & (1u << WC_K_PAUSE_WB)) && p.s.val[WC_K_PAUSE_WB] == 0);
	for (k = 0; k < WC_NKEYS; k++)
		if (p.s.mask & (1u << k))
			CHECK(p.reason[k][0] != '\0');
	CHECK(p.bs_reason[0] && p.mode_reason[0]);

	CHECK(wc_plan_params(&p, "253:1", "253:2", 0, NULL, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "s 253:1 253:2 4096 12 high_watermark 50 low_watermark 45 "
		       "writeback_jobs 16384 autocommit_blocks 65536 autocommit_time 1000 "
		       "pause_writeback 0");
	CHECK(wc_plan_params(&p, "253:1", "253:2", 1, NULL, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, " 13 high_watermark") && strstr(buf, " cleaner"));
	CHECK(wc_plan_params(&p, "253:1", "253:2", 1, "0123456789abcdef0123456789abcdef", buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, " 15 high_watermark") && strstr(buf, "pause_writeback 0 origin_uuid 0123456789abcdef0123456789abcdef cleaner"));
	CHECK(wc_plan_params(&p, "253:1", "253:2", 0, NULL, buf, 20) == -1);

	/* small cache: autocommit bounded by 1/8 of the blocks */
	g.cache_bytes = 64 * MIB;
	g.ram_bytes = 2 * GIB;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.val[WC_K_AC_BLOCKS] == p.cache_blocks / 8);
	CHECK(p.s.val[WC_K_WB_JOBS] == 2048);

	/* non-rotational origin */
	g.origin_rotational = 0;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.val[WC_K_HIGH_WM] == 80 && p.s.val[WC_K_LOW_WM] == 70);

	/* wcache target adds sequential_cutoff */
	g.target = WC_TARGET_WCACHE;
	g.origin_rotational = 1;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.mask & (1u << WC_K_SEQ_CUTOFF));
	CHECK(p.s.val[WC_K_SEQ_CUTOFF] == 4 * MIB);
	/* dm-wcache's default is 0 already: not in the table */
	CHECK(!(p.s.mask & (1u << WC_K_PAUSE_WB)));

	/* no target */
	g.target = WC_TARGET_NONE;
	CHECK(wc_policy(&g, &p) == WC_EUSAGE);
}

static void test_settings(void)
{
	struct wc_geometry g = base();
	struct wc_settings s;
	struct wc_plan p;
	char err[256];

	memset(&s, 0, sizeof(s));
	CHECK(wc_settings_set(&s, "high_watermark=90", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(s.val[WC_K_HIGH_WM] == 90 && (s.mask & (1u << WC_K_HIGH_WM)));
	CHECK(wc_settings_set(&s, "high_watermark=101", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "0..100") != NULL);
	CHECK(wc_settings_set(&s, "high_watermark=-1", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "high_watermark=", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "high_watermark=1x", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "=5", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "nonsense=5", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "unknown") != NULL);
	CHECK(wc_settings_set(&s, "writeback_jobs=0", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "sequential_cutoff=1M", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(s.val[WC_K_SEQ_CUTOFF] == MIB);
	CHECK(wc_settings_set(&s, "sequential_cutoff=1M", WC_TARGET_WRITECACHE, err,
			      sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "autocommit_time=99999999999999999999999", WC_TARGET_NONE,
			      err, sizeof(err)) == WC_EUSAGE);

	/* policy: user values win, with their reason; wrong target refused */
	g.user = s;
	CHECK(wc_policy(&g, &p) == WC_EUSAGE);	/* sequential_cutoff on writecache */
	g.target = WC_TARGET_WCACHE;
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.val[WC_K_HIGH_WM] == 90);
	CHECK(strstr(p.reason[WC_K_HIGH_WM], "--set") != NULL);
	CHECK(p.s.val[WC_K_SEQ_CUTOFF] == MIB);

	/* low above high refused */
	memset(&g.user, 0, sizeof(g.user));
	CHECK(wc_settings_set(&g.user, "low_watermark=60", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_EUSAGE);
	CHECK(strstr(p.error, "above") != NULL);

	/* max_age / pause_writeback only when set */
	memset(&g.user, 0, sizeof(g.user));
	CHECK(wc_settings_set(&g.user, "max_age=60000", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.mask & (1u << WC_K_MAX_AGE));
	CHECK(!(p.s.mask & (1u << WC_K_PAUSE_WB)));
}

static void test_util(void)
{
	uint64_t v;
	char vg[WC_NAME_MAX + 1], lv[WC_NAME_MAX + 1];

	CHECK(wc_parse_size("4k", &v) == 0 && v == 4096);
	CHECK(wc_parse_size("4KiB", &v) == 0 && v == 4096);
	CHECK(wc_parse_size("2G", &v) == 0 && v == 2 * GIB);
	CHECK(wc_parse_size("512", &v) == 0 && v == 512);
	CHECK(wc_parse_size("", &v) != 0);
	CHECK(wc_parse_size("4q", &v) != 0);
	CHECK(wc_parse_size("k", &v) != 0);
	CHECK(wc_parse_size("99999999999T", &v) != 0);
	CHECK(wc_parse_u64("007", 0, 100, &v) != 0);
	CHECK(wc_parse_u64("18446744073709551616", 0, UINT64_MAX, &v) != 0);
	CHECK(wc_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CHECK(wc_split_vglv("vg/lv", vg, lv) == 0 && !strcmp(vg, "vg") && !strcmp(lv, "lv"));
	CHECK(wc_split_vglv("/dev/vg0/my-lv", vg, lv) == 0 && !strcmp(lv, "my-lv"));
	CHECK(wc_split_vglv("vg", vg, lv) != 0);
	CHECK(wc_split_vglv("vg/lv/x", vg, lv) != 0);
	CHECK(wc_split_vglv("vg/-lv", vg, lv) != 0);
	CHECK(wc_split_vglv("vg/l v", vg, lv) != 0);
	CHECK(wc_split_vglv("../x", vg, lv) != 0);
	CHECK(wc_split_vglv("/x", vg, lv) != 0);
	CHECK(wc_valid_name("a+b_c.d-e"));
	CHECK(!wc_valid_name(".."));
	CHECK(!wc_valid_name("a/b"));
}


/* every key: range edges accepted, one past refused with the range */
static void test_ranges(void)
{
	char err[WC_ERR_MAX], v[32];
	struct wc_settings s;
	int k;

	for (k = 0; k < WC_NKEYS; k++) {
		memset(&s, 0, sizeof(s));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)wc_keys[k].min);
		CHECK(wc_settings_set_value(&s, k, v, err, sizeof(err)) == 0);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)wc_keys[k].max);
		CHECK(wc_settings_set_value(&s, k, v, err, sizeof(err)) == 0);
		CHECK(s.val[k] == wc_keys[k].max && (s.mask & (1u << k)));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)wc_keys[k].max + 1);
		CHECK(wc_settings_set_value(&s, k, v, err, sizeof(err)) == WC_EUSAGE);
		CHECK(strstr(err, "valid: ") != NULL);
		if (wc_keys[k].min > 0) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)wc_keys[k].min - 1);
			CHECK(wc_settings_set_value(&s, k, v, err, sizeof(err)) == WC_EUSAGE);
		}
		CHECK(wc_settings_set_value(&s, k, "-1", err, sizeof(err)) == WC_EUSAGE);
		CHECK(wc_settings_set_value(&s, k, "abc", err, sizeof(err)) == WC_EUSAGE);
		CHECK(strstr(err, "valid: ") != NULL);
		/* a key in its own profile section only */
		CHECK(wc_profile_key(wc_keys[k].section, wc_keys[k].name, WC_TARGET_NONE,
				     err, sizeof(err)) == k);
		CHECK(wc_profile_key(strcmp(wc_keys[k].section, "wcache") ? "wcache" : "writecache",
				     wc_keys[k].name, WC_TARGET_NONE, err, sizeof(err)) == -2);
		CHECK(strstr(err, "belongs in section") != NULL);
	}
	/* kernel limits: both targets accept these and nothing more */
	CHECK(wc_keys[WC_K_WB_JOBS].max == 65536);
	CHECK(wc_keys[WC_K_MAX_AGE].max == 86400000);
	CHECK(wc_keys[WC_K_AC_TIME].max == 3600000);
	CHECK(wc_keys[WC_K_PAUSE_WB].max == 60000);
	memset(&s, 0, sizeof(s));
	CHECK(wc_settings_set(&s, "high_watermark=101", WC_TARGET_WCACHE, err, sizeof(err)) == WC_EUSAGE);
	CHECK_STR(err, "setting high_watermark=101 out of range (valid: 0..100 %)");
	CHECK(wc_settings_set(&s, "bogus=1", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "unknown setting 'bogus' (valid: high_watermark") != NULL);
	CHECK(wc_settings_set(&s, "cleaner=2", WC_TARGET_NONE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(wc_settings_set(&s, "flush_on_suspend=1", WC_TARGET_WRITECACHE, err,
			      sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "not supported by target writecache") != NULL);
	CHECK(wc_profile_key("smq", "high_watermark", WC_TARGET_NONE, err, sizeof(err)) == -2);
	CHECK(wc_profile_key("writecache", "high_watermak", WC_TARGET_NONE, err, sizeof(err)) == -2);
	CHECK(strstr(err, "unknown setting 'high_watermak'") != NULL);
	/* the wcache section is skipped, not refused, for writecache */
	CHECK(wc_profile_key("wcache", "sequential_cutoff", WC_TARGET_WRITECACHE, err,
			     sizeof(err)) == -1);
}

static void test_check_merge(void)
{
	char err[WC_ERR_MAX], buf[256];
	struct wc_settings a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK(wc_settings_set(&a, "high_watermark=50", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_set(&a, "low_watermark=40", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_check(&a, WC_TARGET_WRITECACHE, err, sizeof(err)) == 0);
	CHECK(wc_settings_set(&b, "low_watermark=60", WC_TARGET_NONE, err, sizeof(err)) == 0);
	wc_settings_merge(&a, &b);
	CHECK(a.val[WC_K_LOW_WM] == 60 && a.val[WC_K_HIGH_WM] == 50);
	CHECK(wc_settings_check(&a, WC_TARGET_WCACHE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "low_watermark 60 is above high_watermark 50 (valid: low_watermark 0..50)") != NULL);
	CHECK(wc_settings_set(&a, "high_watermark=60", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_check(&a, WC_TARGET_WCACHE, err, sizeof(err)) == 0);
	CHECK(wc_settings_set(&a, "sequential_cutoff=4M", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_check(&a, WC_TARGET_WCACHE, err, sizeof(err)) == 0);
	CHECK(wc_settings_check(&a, WC_TARGET_WRITECACHE, err, sizeof(err)) == WC_EUSAGE);
	wc_settings_format(&a, buf, sizeof(buf));
	CHECK_STR(buf, "high_watermark=60 low_watermark=60 sequential_cutoff=4194304");
	/* out of range values that did not come through set_value */
	a.val[WC_K_HIGH_WM] = 200;
	CHECK(wc_settings_check(&a, WC_TARGET_WCACHE, err, sizeof(err)) == WC_EUSAGE);
	CHECK(strstr(err, "valid: 0..100") != NULL);
}

static void test_tune_method(void)
{
	struct wc_settings live, want;
	uint32_t ch;

	memset(&live, 0, sizeof(live));
	live.mask = (1u << WC_K_HIGH_WM) | (1u << WC_K_LOW_WM);
	live.val[WC_K_HIGH_WM] = 50;
	live.val[WC_K_LOW_WM] = 45;
	want = live;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_NONE && !ch);
	/* flags and sequential_cutoff 0 are what an absent word means */
	want.mask |= (1u << WC_K_CLEANER) | (1u << WC_K_FLUSH_ON_SUSPEND) |
		     (1u << WC_K_SEQ_CUTOFF);
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_NONE && !ch);
	/* switching flags on: a message for wcache, a reload for writecache */
	want.val[WC_K_CLEANER] = 1;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_MESSAGE);
	CHECK(ch == 1u << WC_K_CLEANER);
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WRITECACHE, &ch) == WC_TUNE_RELOAD);
	want.val[WC_K_FLUSH_ON_SUSPEND] = 1;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_MESSAGE);
	CHECK(ch == ((1u << WC_K_CLEANER) | (1u << WC_K_FLUSH_ON_SUSPEND)));
	/* any value change needs a reload */
	want.val[WC_K_HIGH_WM] = 60;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_RELOAD);
	CHECK(ch & (1u << WC_K_HIGH_WM));
	/* switching a flag off: reload */
	live.mask |= 1u << WC_K_CLEANER;
	live.val[WC_K_CLEANER] = 1;
	want = live;
	want.val[WC_K_CLEANER] = 0;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WCACHE, &ch) == WC_TUNE_RELOAD);
	/* a value the table lacks */
	want = live;
	want.mask |= 1u << WC_K_MAX_AGE;
	want.val[WC_K_MAX_AGE] = 1000;
	CHECK(wc_tune_method(&live, &want, WC_TARGET_WRITECACHE, &ch) == WC_TUNE_RELOAD);
	CHECK(ch == 1u << WC_K_MAX_AGE);
}

static void test_profile_layers(void)
{
	struct wc_geometry g = base();
	char err[WC_ERR_MAX], params[1024];
	struct wc_plan p;

	g.target = WC_TARGET_WCACHE;
	CHECK(wc_settings_set(&g.profile, "high_watermark=90", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_set(&g.profile, "low_watermark=60", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_settings_set(&g.profile, "flush_on_suspend=1", WC_TARGET_NONE, err, sizeof(err)) == 0);
	g.profile_name = "wcache-burst-absorb";
	CHECK(wc_settings_set(&g.user, "low_watermark=70", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(p.s.val[WC_K_HIGH_WM] == 90 && p.s.val[WC_K_LOW_WM] == 70);
	CHECK(strstr(p.reason[WC_K_HIGH_WM], "profile wcache-burst-absorb") != NULL);
	CHECK(strstr(p.reason[WC_K_LOW_WM], "--set") != NULL);
	/* geometry still decides what the profile leaves out */
	CHECK(p.s.mask & (1u << WC_K_WB_JOBS));
	CHECK(wc_plan_params(&p, "1:2", "3:4", 0, NULL, params, sizeof(params)) == 0);
	CHECK(strstr(params, " high_watermark 90 low_watermark 70 ") != NULL);
	CHECK(strstr(params, " flush_on_suspend") != NULL);
	CHECK(strstr(params, "flush_on_suspend 1") == NULL);
	/* the count of optional words matches the words */
	{
		const char *q = params;
		int words = 0, n = -1;

		sscanf(params, "s 1:2 3:4 %*u %d", &n);
		for (q = params; *q; q++)
			if (*q == ' ')
				words++;
		CHECK(n == words - 4);
	}
	/* cleaner from the settings and from split: one word */
	CHECK(wc_settings_set(&g.user, "cleaner=1", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_OK);
	CHECK(wc_plan_params(&p, "1:2", "3:4", 1, NULL, params, sizeof(params)) == 0);
	CHECK(strstr(params, "cleaner") == strrchr(params, ' ') + 1);
	CHECK(strstr(params, "cleaner cleaner") == NULL);
	/* a profile with low above high (after --set) is refused */
	CHECK(wc_settings_set(&g.user, "high_watermark=50", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_EUSAGE);
	CHECK(strstr(p.error, "above high_watermark") != NULL);
	/* wcache-only keys from a profile: refused for writecache by the policy */
	g = base();
	CHECK(wc_settings_set(&g.profile, "sequential_cutoff=1M", WC_TARGET_NONE, err, sizeof(err)) == 0);
	CHECK(wc_policy(&g, &p) == WC_EUSAGE);
}

int main(void)
{
	test_ranges();
	test_check_merge();
	test_tune_method();
	test_profile_layers();
	test_block_size();
	test_ram();
	test_values();
	test_settings();
	test_util();
	return unit_done("test_policy");
}
