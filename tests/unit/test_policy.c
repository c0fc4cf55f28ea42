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
	for (k = 0; k < WC_NKEYS; k++)
		if (p.s.mask & (1u << k))
			CHECK(p.reason[k][0] != '\0');
	CHECK(p.bs_reason[0] && p.mode_reason[0]);

	CHECK(wc_plan_params(&p, "253:1", "253:2", 0, NULL, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "s 253:1 253:2 4096 10 high_watermark 50 low_watermark 45 "
		       "writeback_jobs 16384 autocommit_blocks 65536 autocommit_time 1000");
	CHECK(wc_plan_params(&p, "253:1", "253:2", 1, NULL, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, " 11 high_watermark") && strstr(buf, " cleaner"));
	CHECK(wc_plan_params(&p, "253:1", "253:2", 1, "0123456789abcdef0123456789abcdef", buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, " 13 high_watermark") && strstr(buf, "1000 origin_uuid 0123456789abcdef0123456789abcdef cleaner"));
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

int main(void)
{
	test_block_size();
	test_ram();
	test_values();
	test_settings();
	test_util();
	return unit_done("test_policy");
}
