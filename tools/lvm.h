/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: every LVM query and change goes through this interface
 * (implemented with liblvm2cmd in lvm.c; nothing else calls lvm2_*).
 */
#ifndef WC_LVM_H
#define WC_LVM_H

#include <stdint.h>
#include "wcachectl.h"

#define WC_TAGS_RAW_MAX	8192	/* longer tag lists keep only their wcache.* tags */
#define WC_TAG_PREFIX_LVM	"wcache."	/* = WC_TAG_PREFIX of tags.h */

struct wc_lv {
	char vg[WC_NAME_MAX + 1];
	char name[WC_NAME_MAX + 1];
	char uuid[WC_UUID_LEN + 1];
	char attr[16];
	char segtype[32];
	char layout[64];
	char dm_path[WC_PATH_MAX];
	uint64_t size;			/* bytes */
	unsigned int seg_count;
	int active;
	int open;
	int skip;			/* activation skip flag */
	char tags[WC_TAGS_RAW_MAX];	/* comma-separated, as reported */
};

int wc_lvm_init(void);
void wc_lvm_exit(void);

/*
 * Run one LVM command line (e.g. "lvchange -ay vg/lv"). Arguments must not
 * contain white space. Returns 0, or WC_ELVM with the error in
 * wc_lvm_error().
 */
int wc_lvm_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *wc_lvm_error(void);

/*
 * Report the LVs of @vg (NULL: every VG). *@lvs is malloc'ed, free() it.
 * Returns 0, WC_ENOENT (no such VG) or WC_ELVM.
 */
int wc_lvm_lvs(const char *vg, struct wc_lv **lvs, int *n);

/* JSON report of "lvs" parsed into @lvs (exposed for unit tests) */
int wc_lvm_parse_report(const char *json, struct wc_lv **lvs, int *n);

/*
 * The physical volumes LV @lv of @vg lies on, following the sub-LVs of
 * RAID, mirror and similar LVs: at most @max paths into @pvs, *@n of them.
 * Returns 0 or WC_ELVM.
 */
#define WC_LV_PVS_MAX	32
int wc_lvm_lv_pvs(const char *vg, const char *lv, char pvs[][WC_PATH_MAX], int max, int *n);

/* the same from the JSON of "lvs -a --segments -o lv_name,devices" (unit tests) */
int wc_lvm_parse_pvs(const char *json, const char *lv, char pvs[][WC_PATH_MAX], int max,
		     int *n);

/* LVM's activation/activation_mode: "complete", "degraded" or "partial" */
int wc_lvm_activation_mode(char *buf, size_t len);

/* LVM's profile directory (config/profile_dir), e.g. /etc/lvm/profile */
int wc_lvm_profile_dir(char *buf, size_t len);

/*
 * The allocation/cache_settings section of metadata profile @name, as LVM
 * parsed, validated and printed it (lvmconfig --metadataprofile). Returns 0,
 * WC_ENOENT (no such profile), WC_EUSAGE (bad name) or WC_ELVM (LVM refused
 * the profile: wc_lvm_error() says why).
 */
int wc_lvm_profile_text(const char *name, char *buf, size_t len);

#endif /* WC_LVM_H */
