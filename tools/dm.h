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
	uint32_t major, minor;
	uint64_t sectors;		/* of the live table */
	char uuid[WC_DM_UUID_MAX];
};

void wc_dm_init(void);

/* 1 if the kernel knows target @name (tries to load its module first) */
int wc_dm_target_present(const char *name, uint32_t version[3]);

int wc_dm_info(const char *name, struct wc_dm_info *info);

/* create, load and resume a one-target device, waiting for udev */
int wc_dm_create(const char *name, const char *uuid, uint64_t sectors,
		 const char *target, const char *params);

/* load a new table and swap it in (suspend with flush, resume) */
int wc_dm_reload(const char *name, uint64_t sectors, const char *target,
		 const char *params);

int wc_dm_remove(const char *name);

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

/* "VG-LV" with '-' doubled as LVM names DM devices */
int wc_dm_lv_name(const char *vg, const char *lv, char *buf, size_t len);

#endif /* WC_DM_H */
