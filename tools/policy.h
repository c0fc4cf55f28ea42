/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: the geometry -> table policy. Pure: no I/O, no globals.
 */
#ifndef WC_POLICY_H
#define WC_POLICY_H

#include <stdint.h>
#include "wcachectl.h"

enum wc_key {
	WC_K_HIGH_WM,
	WC_K_LOW_WM,
	WC_K_WB_JOBS,
	WC_K_AC_BLOCKS,
	WC_K_AC_TIME,
	WC_K_MAX_AGE,
	WC_K_PAUSE_WB,
	WC_K_SEQ_CUTOFF,
	WC_K_CLEANER,
	WC_K_FLUSH_ON_SUSPEND,
	WC_NKEYS,
};

#define WC_TMASK(t)	(1u << (t))
#define WC_TALL		(WC_TMASK(WC_TARGET_WCACHE) | WC_TMASK(WC_TARGET_WRITECACHE))

/* a key that is a bare word in the table (present when 1) */
#define WC_KF_FLAG	(1u << 0)
/* wcache accepts it as a message when it goes from 0 to 1 */
#define WC_KF_MSG_ON	(1u << 1)

struct wc_key_info {
	const char *name;
	uint64_t min, max;
	unsigned int targets;	/* WC_TMASK() bits of targets accepting it */
	const char *unit;
	unsigned int flags;	/* WC_KF_* */
	const char *section;	/* profile section: allocation/cache_settings/<section> */
	const char *help;	/* one line for --help and wcache-profiles(5) */
};

/* the two sections of allocation/cache_settings that profiles use */
#define WC_SECTION_WRITECACHE	"writecache"	/* dm-writecache's own keys */
#define WC_SECTION_WCACHE	"wcache"	/* what writecache lacks */

extern const struct wc_key_info wc_keys[WC_NKEYS];

int wc_key_lookup(const char *name);

/* a set of optional table arguments; only keys in @mask are set */
struct wc_settings {
	uint64_t val[WC_NKEYS];
	uint32_t mask;
};

/* parse "key=value" into @s; returns 0 or WC_EUSAGE with a message in @err */
int wc_settings_set(struct wc_settings *s, const char *kv, enum wc_target t,
		    char *err, size_t errlen);

/*
 * Set key @k from the text @val (range-checked, the valid range in @err
 * when not). Returns 0 or WC_EUSAGE.
 */
int wc_settings_set_value(struct wc_settings *s, int k, const char *val,
			  char *err, size_t errlen);

/*
 * Check a complete set for target @t: every key supported by @t, values in
 * range, low_watermark <= high_watermark. 0 or WC_EUSAGE with @err.
 */
int wc_settings_check(const struct wc_settings *s, enum wc_target t,
		      char *err, size_t errlen);

/* keys set in @src overwrite those in @dst */
void wc_settings_merge(struct wc_settings *dst, const struct wc_settings *src);

/* "key=value key=value..." of the keys in @s */
void wc_settings_format(const struct wc_settings *s, char *buf, size_t len);

/*
 * A key read from profile section allocation/cache_settings/@section.
 * Returns the key index, -1 when the key is to be ignored for target @t
 * (a wcache-only key while the target is writecache), or -2 with @err set
 * (unknown key, or a key of the other section).
 */
int wc_profile_key(const char *section, const char *key, enum wc_target t,
		   char *err, size_t errlen);

/* the two settings a table line shows for a key the table omits */
int wc_key_implicit_zero(int k, enum wc_target t);

/*
 * How to change a live cache whose table shows @live into @want (both
 * complete for the target). Keys that differ go into *@changed.
 */
enum wc_tune_method {
	WC_TUNE_NONE = 0,	/* nothing differs */
	WC_TUNE_MESSAGE,	/* every change is a target message */
	WC_TUNE_RELOAD,		/* a table reload is needed */
};

enum wc_tune_method wc_tune_method(const struct wc_settings *live,
				   const struct wc_settings *want, enum wc_target t,
				   uint32_t *changed);

struct wc_geometry {
	enum wc_target target;
	uint32_t fs_block_size;		/* 0: no filesystem found on origin */
	char fs_type[32];
	uint32_t origin_lbs, origin_pbs;
	uint32_t cache_lbs, cache_pbs;
	uint64_t origin_bytes, cache_bytes;
	uint64_t ram_bytes;
	uint32_t page_size;
	int origin_rotational, cache_rotational;
	uint32_t req_block_size;	/* --block-size, 0: choose */
	struct wc_settings profile;	/* --profile NAME */
	const char *profile_name;
	struct wc_settings user;	/* --set key=val */
	int force;
};

#define WC_REASON_MAX	256
#define WC_MAX_WARN	4

struct wc_plan {
	enum wc_target target;
	char mode;			/* 's': SSD cache */
	uint32_t block_size;
	struct wc_settings s;		/* every value written to the table */
	uint64_t cache_blocks;		/* estimated number of cache blocks */
	uint64_t ram_needed;		/* estimated kernel RAM for the cache */
	char mode_reason[WC_REASON_MAX];
	char bs_reason[WC_REASON_MAX];
	char reason[WC_NKEYS][WC_REASON_MAX];
	char warn[WC_MAX_WARN][WC_REASON_MAX];
	unsigned int nwarn;
	char error[WC_REASON_MAX];	/* set when wc_policy() refuses */
};

/* RAM per cache block the kernel target needs (estimate, bytes) */
#define WC_RAM_PER_BLOCK_WCACHE		32
#define WC_RAM_PER_BLOCK_WRITECACHE	80
/* on-disk metadata per block in SSD mode */
#define WC_META_PER_BLOCK		16

/*
 * Compute a table from geometry. Returns WC_OK, or WC_EGEOMETRY /
 * WC_EUSAGE / WC_EREFUSED with @p->error set.
 */
int wc_policy(const struct wc_geometry *g, struct wc_plan *p);

/*
 * Format the table parameters (after the target name) for @p:
 * "s <origin> <cache> <bs> <n> args...". @cleaner adds "cleaner",
 * @origin_uuid (may be NULL) adds "origin_uuid <hex>" (wcache only).
 * Returns 0, or -1 when @len is too small.
 */
int wc_plan_params(const struct wc_plan *p, const char *origin, const char *cache,
		   int cleaner, const char *origin_uuid, char *buf, size_t len);

#endif /* WC_POLICY_H */
