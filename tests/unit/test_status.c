// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the status and table line parsers (tools/status.c). */
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "unit.h"

static void test_writecache(void)
{
	struct wc_status st;
	char err[256];

	/* Linux 6.1: 14 fields */
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 64527 11200 3 1044 132 5120 1 2 3 5117 4 5 6",
			      &st, err, sizeof(err)) == 0);
	CHECK(st.error == 0 && st.total_blocks == 64527 && st.free_blocks == 11200);
	CHECK(st.writeback_blocks == 3 && st.dirty_blocks == 64527 - 11200);
	CHECK(st.c[WC_C_READS] == 1044 && st.c[WC_C_READ_HITS] == 132);
	CHECK(st.c[WC_C_WRITES] == 5120 && st.c[WC_C_WRITE_HITS_UNCOMMITTED] == 1);
	CHECK(st.c[WC_C_WRITE_HITS] == 2 && st.c[WC_C_WRITES_AROUND] == 3);
	CHECK(st.c[WC_C_WRITES_ALLOCATE] == 5117 && st.c[WC_C_BLOCKED_FREELIST] == 4);
	CHECK(st.c[WC_C_FLUSHES] == 5 && st.c[WC_C_DISCARDS] == 6);
	CHECK(!(st.have & (1u << WC_C_WB_IOS)));

	/* older kernels: 4 fields */
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 100 100 0", &st, err, sizeof(err)) == 0);
	CHECK(st.have == 0 && st.dirty_blocks == 0);

	/* error state */
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "-5 100 40 0", &st, err, sizeof(err)) == 0);
	CHECK(st.error == -5 && st.dirty_blocks == 60);

	/* malformed */
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "", &st, err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 100 100", &st, err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 100 101 0", &st, err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 100 x 0", &st, err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "0 100 10 0 99999999999999999999999", &st,
			      err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, "--5 100 10 0", &st, err, sizeof(err)) == WC_EDM);
	CHECK(wc_status_parse(WC_TARGET_WRITECACHE, NULL, &st, err, sizeof(err)) == WC_EDM);
	CHECK(strstr(err, "malformed") != NULL);
}

static void test_wcache(void)
{
	struct wc_status st;
	char err[256];

	/* the 19 fields of man/dm-wcache.7 */
	CHECK(wc_status_parse(WC_TARGET_WCACHE,
			      "-5 1000 900 5 80 11 12 13 14 15 16 17 18 19 20 21 22 23 24",
			      &st, err, sizeof(err)) == 0);
	CHECK(st.error == -5);
	CHECK(st.dirty_reported && st.dirty_blocks == 80);
	CHECK(st.c[WC_C_READS] == 11 && st.c[WC_C_READ_HITS] == 12 && st.c[WC_C_WRITES] == 13);
	CHECK(st.c[WC_C_WRITE_HITS] == 14 && st.c[WC_C_BYPASS_SEQ] == 15);
	CHECK(st.c[WC_C_BYPASS_OTHER] == 16 && st.c[WC_C_BLOCKED_FREELIST] == 17);
	CHECK(st.c[WC_C_FLUSHES] == 18 && st.c[WC_C_FUA] == 19 && st.c[WC_C_DISCARDS] == 20);
	CHECK(st.c[WC_C_WB_IOS] == 21 && st.c[WC_C_WRITTEN_BACK] == 22);
	CHECK(st.c[WC_C_COMMITS] == 23 && st.c[WC_C_CACHE_FLUSHES] == 24);
	CHECK(!(st.have & (1u << WC_C_WRITES_ALLOCATE)));
	CHECK(!(st.have & (1u << WC_C_WB_ERRORS)));
	/* the 23 fields since issue 15: draining and error counters appended */
	CHECK(wc_status_parse(WC_TARGET_WCACHE,
			      "0 1000 900 5 80 11 12 13 14 15 16 17 18 19 20 21 22 23 24 1 26 27 28",
			      &st, err, sizeof(err)) == 0);
	CHECK(st.error == 0 && st.c[WC_C_CACHE_FLUSHES] == 24);
	CHECK(st.c[WC_C_DRAINING] == 1 && st.c[WC_C_ORIGIN_ERRORS] == 26);
	CHECK(st.c[WC_C_CACHE_READ_ERRORS] == 27 && st.c[WC_C_WB_ERRORS] == 28);
	CHECK(st.have & (1u << WC_C_WB_ERRORS));
	/* the skeleton's four fields */
	CHECK(wc_status_parse(WC_TARGET_WCACHE, "0 0 0 0", &st, err, sizeof(err)) == 0);
	CHECK(!st.dirty_reported && st.dirty_blocks == 0);
	/* dirty above total is refused */
	CHECK(wc_status_parse(WC_TARGET_WCACHE, "0 10 5 0 11", &st, err, sizeof(err)) == WC_EDM);
}

static void test_table(void)
{
	struct wc_table tb;
	char err[256];

	CHECK(wc_table_parse("s 254:0 254:1 4096 10 high_watermark 80 low_watermark 70 writeback_jobs 1964 autocommit_blocks 2039 autocommit_time 1000",
			     &tb, err, sizeof(err)) == 0);
	CHECK(tb.mode == 's' && tb.block_size == 4096 && !tb.cleaner);
	CHECK_STR(tb.origin, "254:0");
	CHECK_STR(tb.cache, "254:1");
	CHECK(tb.set.val[WC_K_HIGH_WM] == 80 && tb.set.val[WC_K_AC_TIME] == 1000);
	CHECK(tb.set.mask == ((1u << WC_K_HIGH_WM) | (1u << WC_K_LOW_WM) | (1u << WC_K_WB_JOBS) |
			      (1u << WC_K_AC_BLOCKS) | (1u << WC_K_AC_TIME)));
	CHECK(wc_table_parse("s 254:0 254:1 4096 3 cleaner max_age 100", &tb, err,
			     sizeof(err)) == 0);
	CHECK(tb.cleaner && tb.set.val[WC_K_MAX_AGE] == 100);
	CHECK(wc_table_parse("s 254:0 254:1 4096 2 origin_uuid 0123456789abcdef0123456789abcdef",
			     &tb, err, sizeof(err)) == 0);
	CHECK_STR(tb.origin_uuid, "0123456789abcdef0123456789abcdef");
	CHECK(wc_table_parse("s 254:0 254:1 4096 0", &tb, err, sizeof(err)) == 0);
	/* malformed */
	CHECK(wc_table_parse("x 254:0 254:1 4096 0", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 4096 1 high_watermark", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 4096 2 high_watermark", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 4096 2 nosuch 5", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 4096 0 extra", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 100 0", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse(NULL, &tb, err, sizeof(err)) == WC_EDM);
}


/* the flags of a table are settings too; a flag never takes a value */
static void test_table_flags(void)
{
	char err[WC_ERR_MAX];
	struct wc_table tb;

	CHECK(wc_table_parse("s 254:0 254:1 4096 6 high_watermark 50 sequential_cutoff 4194304 flush_on_suspend cleaner",
			     &tb, err, sizeof(err)) == 0);
	CHECK(tb.cleaner && tb.flush_on_suspend);
	CHECK((tb.set.mask & (1u << WC_K_CLEANER)) && tb.set.val[WC_K_CLEANER] == 1);
	CHECK((tb.set.mask & (1u << WC_K_FLUSH_ON_SUSPEND)) && tb.set.val[WC_K_FLUSH_ON_SUSPEND] == 1);
	CHECK(tb.set.val[WC_K_SEQ_CUTOFF] == 4194304);
	CHECK(wc_table_parse("s 254:0 254:1 4096 2 flush_on_suspend 1", &tb, err, sizeof(err)) == WC_EDM);
	CHECK(wc_table_parse("s 254:0 254:1 4096 0", &tb, err, sizeof(err)) == 0);
	CHECK(!(tb.set.mask & (1u << WC_K_CLEANER)));
}

int main(void)
{
	test_table_flags();
	test_writecache();
	test_wcache();
	test_table();
	return unit_done("test_status");
}
