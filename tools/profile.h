/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: settings from LVM profiles. LVM finds, parses and validates
 * the profile (lvm.c); its allocation/cache_settings/{writecache,wcache}
 * sections are read with LVM's config parser (dm.c) and range-checked by
 * the policy (policy.c).
 */
#ifndef WC_PROFILE_H
#define WC_PROFILE_H

#include "policy.h"
#include "wcachectl.h"

struct wc_profile {
	char name[WC_NAME_MAX + 1];
	struct wc_settings s;		/* the keys target t accepts */
	uint32_t ignored;		/* keys of the profile target t lacks */
	int sections;			/* writecache/wcache sections found */
};

/*
 * Load profile @name for target @t (WC_TARGET_NONE: every key). Prints
 * the error and returns WC_ENOENT, WC_EUSAGE (unknown key, bad value, no
 * settings) or WC_ELVM.
 */
int wc_profile_load(const char *name, enum wc_target t, struct wc_profile *pr);

#endif /* WC_PROFILE_H */
