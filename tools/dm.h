/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: every device-mapper call goes through this interface
 * (implemented with libdevmapper in dm.c; nothing else calls dm_*).
 */
#ifndef WC_DM_H
#define WC_DM_H

#include <stdint.h>
#include <sys/types.h>

#define WC_DM_UUID_PREFIX	"WCACHE-"
#define WC_DM_NAME_MAX		128
#define WC_DM_UUID_MAX		129

struct wc_dm_info {
	int exists;
	int suspended;
	int open_count;
	int read_only;			/* the live table is read-only */
	uint32_t major, minor;
	uint64_t sectors;		/* of the live table */
	char uuid[WC_DM_UUID_MAX];
};

/*
 * Every function here returns 0 or a WC_E* code (WC_EDM for a failed
 * device-mapper call; the kernel's errno of the last failed ioctl is then
 * in wc_dm_errno()), except where a comment says otherwise.
 */
void wc_dm_init(void);

/* errno the kernel returned for the last failed call (0: none or unknown) */
int wc_dm_errno(void);

/* "/dev/mapper/VG-LV": where the device of LV @lv of @vg appears */
int wc_dm_lv_path(const char *vg, const char *lv, char *buf, size_t len);

/* 1 if the kernel knows target @name (tries to load its module first) */
int wc_dm_target_present(const char *name, uint32_t version[3]);

int wc_dm_info(const char *name, struct wc_dm_info *info);

/*
 * activate --read-only: wc_dm_create() loads read-only tables (the target
 * writes nothing to either device), for the initramfs before a resume from
 * hibernation
 */
extern int wc_dm_read_only;

/* create, load and resume a one-target device, waiting for udev */
int wc_dm_create(const char *name, const char *uuid, uint64_t sectors,
		 const char *target, const char *params);

/* load a new table and swap it in (suspend with flush, resume) */
int wc_dm_reload(const char *name, uint64_t sectors, const char *target,
		 const char *params);

/*
 * The same in steps: load the inactive table (the target's constructor
 * checks it, the live table keeps running), then swap it in (suspend with
 * flush: in-flight I/O completes, new I/O waits; resume). wc_dm_clear()
 * drops an inactive table that is not wanted.
 */
int wc_dm_load(const char *name, uint64_t sectors, const char *target,
	       const char *params);
int wc_dm_swap(const char *name);
int wc_dm_clear(const char *name);

int wc_dm_remove(const char *name);

/* rename device @name to @newname, waiting for udev */
int wc_dm_rename(const char *name, const char *newname);

/* the name of the device with DM uuid @uuid: *@found 0 if there is none */
int wc_dm_name_of_uuid(const char *uuid, char *name, size_t len, int *found);

/* first target's type and parameters of the live table or its status */
int wc_dm_table(const char *name, char *type, size_t tlen, char *params, size_t plen);
int wc_dm_status(const char *name, char *type, size_t tlen, char *params, size_t plen);

int wc_dm_message(const char *name, const char *msg);

/*
 * Call @fn for every DM device whose uuid starts with @uuid_prefix.
 * Stops and returns the first non-zero value @fn returns.
 */
int wc_dm_list(const char *uuid_prefix,
	       int (*fn)(const char *name, const char *uuid, void *arg), void *arg);

/* "VG-LV" with '-' doubled as LVM names DM devices; WC_EUSAGE if too long */
int wc_dm_lv_name(const char *vg, const char *lv, char *buf, size_t len);

/*
 * Parse LVM configuration text (lvm.conf syntax) with libdevmapper's
 * dm_config and call @fn(section, key, value) for every key of every
 * subsection of @path ("cache_settings"): section NULL for a key directly
 * in @path, value NULL for a subsection, an array or a float. Stops at the
 * first non-zero @fn result (a WC_E* code) and returns it; WC_ELVM with
 * @err when the text cannot be parsed or has no @path.
 */
int wc_dm_config_walk(const char *text, const char *path,
		      int (*fn)(const char *section, const char *key, const char *val,
				void *arg),
		      void *arg, char *err, size_t errlen);

#endif /* WC_DM_H */
