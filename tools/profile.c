// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: settings from LVM metadata profiles.
 *
 * A profile is an ordinary LVM profile in LVM's profile_dir:
 *
 *   allocation {
 *       cache_settings {
 *           writecache { high_watermark = 50 ... }   dm-writecache's keys
 *           wcache { sequential_cutoff = 4194304 }   what writecache lacks
 *       }
 *   }
 *
 * cache_settings/<name> is where LVM keeps per-policy settings, a section
 * LVM accepts in metadata profiles without checking its keys; wcachectl
 * checks them here: unknown keys and out-of-range values are refused.
 */
#include <stdio.h>
#include <string.h>

#include "dm.h"
#include "lvm.h"
#include "profile.h"

#define PROFILE_TEXT_MAX	65536

struct walk {
	struct wc_profile *pr;
	enum wc_target t;
	char err[WC_ERR_MAX];
};

static int on_key(const char *section, const char *key, const char *val, void *arg)
{
	struct walk *w = arg;
	int k;

	if (!section) {
		snprintf(w->err, sizeof(w->err),
			 "'%.64s' is directly in cache_settings; put it in cache_settings/%s or cache_settings/%s",
			 key, WC_SECTION_WRITECACHE, WC_SECTION_WCACHE);
		return WC_EUSAGE;
	}
	/* sections of other cache policies (dm-cache's smq, ...) are not ours */
	if (strcmp(section, WC_SECTION_WRITECACHE) && strcmp(section, WC_SECTION_WCACHE)) {
		wc_debug("profile %s: ignoring section cache_settings/%s", w->pr->name, section);
		return 0;
	}
	w->pr->sections |= !strcmp(section, WC_SECTION_WRITECACHE) ? 1 : 2;
	k = wc_profile_key(section, key, w->t, w->err, sizeof(w->err));
	if (k == -2)
		return WC_EUSAGE;
	if (!val) {
		snprintf(w->err, sizeof(w->err), "setting %s in cache_settings/%s must be a number",
			 key, section);
		return WC_EUSAGE;
	}
	if (k == -1) {
		w->pr->ignored |= 1u << wc_key_lookup(key);
		return 0;
	}
	return wc_settings_set_value(&w->pr->s, k, val, w->err, sizeof(w->err));
}

int wc_profile_load(const char *name, enum wc_target t, struct wc_profile *pr)
{
	static char text[PROFILE_TEXT_MAX];
	char dir[WC_PATH_MAX], err[WC_ERR_MAX];
	struct walk w;
	int r;

	memset(pr, 0, sizeof(*pr));
	wc_strlcpy(pr->name, name, sizeof(pr->name));
	r = wc_lvm_profile_text(name, text, sizeof(text));
	if (r == WC_ENOENT) {
		if (wc_lvm_profile_dir(dir, sizeof(dir)))
			wc_strlcpy(dir, "LVM's profile directory", sizeof(dir));
		return wc_err(r, "profile %s not found: no %s/%s.profile (wcachectl profile lists them)",
			      name, dir, name);
	}
	if (r)
		return wc_err(r, "LVM refuses profile %s: %s", name, wc_lvm_error());
	memset(&w, 0, sizeof(w));
	w.pr = pr;
	w.t = t;
	err[0] = '\0';
	r = wc_dm_config_walk(text, "cache_settings", on_key, &w, err, sizeof(err));
	if (r)
		return wc_err(r, "profile %s: %s", name, err[0] ? err : w.err);
	if (!pr->sections)
		return wc_err(WC_EUSAGE, "profile %s has no allocation/cache_settings/%s or /%s section",
			      name, WC_SECTION_WRITECACHE, WC_SECTION_WCACHE);
	/* wcache accepts every key: checks the ranges and watermark order */
	r = wc_settings_check(&pr->s, t == WC_TARGET_NONE ? WC_TARGET_WCACHE : t, err, sizeof(err));
	if (r)
		return wc_err(r, "profile %s: %s", name, err);
	return 0;
}
