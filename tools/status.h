/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: parsing of the status and table lines of the wcache and
 * writecache targets. Pure; unit-tested.
 */
#ifndef WC_STATUS_H
#define WC_STATUS_H

#include <stdint.h>
#include "policy.h"
#include "wcachectl.h"

/* counters after the four common fields, in the order of each target */
enum wc_counter {
	WC_C_READS,
	WC_C_READ_HITS,
	WC_C_WRITES,
	WC_C_WRITE_HITS_UNCOMMITTED,	/* writecache only */
	WC_C_WRITE_HITS,		/* writecache: hits on committed blocks */
	WC_C_WRITES_AROUND,		/* bypassed the cache */
	WC_C_WRITES_ALLOCATE,		/* writecache only */
	WC_C_BLOCKED_FREELIST,
	WC_C_FLUSHES,
	WC_C_DISCARDS,
	WC_C_BYPASS_SEQ,		/* wcache only */
	WC_C_BYPASS_OTHER,		/* wcache only: cleaner, metadata_only */
	WC_C_FUA,			/* wcache only */
	WC_C_WB_IOS,			/* wcache only */
	WC_C_WRITTEN_BACK,		/* wcache only */
	WC_C_COMMITS,			/* wcache only */
	WC_C_CACHE_FLUSHES,		/* wcache only: flushes sent to the cache */
	WC_C_DRAINING,			/* wcache only: writeback message running */
	WC_C_ORIGIN_ERRORS,		/* wcache only */
	WC_C_CACHE_READ_ERRORS,		/* wcache only */
	WC_C_WB_ERRORS,			/* wcache only: failed writeback batches */
	WC_NCOUNTERS,
};

extern const char *const wc_counter_names[WC_NCOUNTERS];

struct wc_status {
	enum wc_target target;
	int64_t error;			/* 0 or -errno reported by the target */
	uint64_t total_blocks;
	uint64_t free_blocks;
	uint64_t writeback_blocks;
	uint64_t dirty_blocks;		/* wcache: reported; writecache: used */
	int dirty_reported;
	uint64_t c[WC_NCOUNTERS];
	uint32_t have;			/* bit per counter present */
};

/* Returns 0 or WC_EDM with @err set. */
int wc_status_parse(enum wc_target t, const char *line, struct wc_status *st,
		    char *err, size_t errlen);

struct wc_table {
	char mode;
	char origin[64];
	char cache[64];
	uint32_t block_size;
	struct wc_settings set;
	int cleaner;
	int metadata_only;
	int flush_on_suspend;
	char origin_uuid[33];
};

/* parameters of a table line (after the target name) */
int wc_table_parse(const char *params, struct wc_table *tb, char *err, size_t errlen);

#endif /* WC_STATUS_H */
