/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: a cache pairing (origin LV + cachevol LV) as recorded in LVM
 * tags, and the steps shared by attach, split, activate and deactivate.
 */
#ifndef WC_PAIR_H
#define WC_PAIR_H

#include "dm.h"
#include "lvm.h"
#include "status.h"
#include "tags.h"

#define WC_ORIGIN_SUFFIX	"_wco"

struct wc_pair {
	char vg[WC_NAME_MAX + 1];
	char lv[WC_NAME_MAX + 1];	/* the name users know */
	struct wc_lv *lvs;
	int nlvs;
	struct wc_lv *origin;		/* tagged origin, or the plain LV named lv */
	struct wc_lv *cache;		/* cachevol of a pairing (NULL: missing) */
	struct wc_tags ot;		/* origin tags (role NONE: not paired) */
	struct wc_tags ct;		/* cachevol tags */
	char dm_name[WC_DM_NAME_MAX];	/* VG-LV: the cached device */
	char dm_uuid[WC_DM_UUID_MAX];	/* WCACHE-<origin uuid> */
	char wco_name[WC_NAME_MAX + 1];	/* <lv>_wco */
};

/*
 * Load the LVs of @vg and find the pairing of @lv. Returns 0 with
 * p->ot.role == WC_ROLE_ORIGIN when paired, or with p->origin the plain LV
 * (or NULL) when not; WC_ENOENT when the VG does not exist; WC_ETAGS
 * for malformed tags; WC_ELVM.
 */
int wc_pair_load(const char *vg, const char *lv, struct wc_pair *p);
/* wc_pair_load, and WC_ENOENT unless VG/LV is the origin of a pairing. */
int wc_pair_load_cached(const char *vg, const char *lv, struct wc_pair *p);
void wc_pair_free(struct wc_pair *p);
int wc_pair_reload(struct wc_pair *p);

struct wc_lv *wc_find_lv(struct wc_pair *p, const char *name);
struct wc_lv *wc_find_lv_uuid(struct wc_pair *p, const char *uuid);

/* change the origin's state tag (one metadata commit) */
int wc_pair_set_state(struct wc_pair *p, enum wc_state s);

/* udev marker files: LVs of a pairing that udev hides (12-wcache-hide.rules) */
#define WC_HIDE_DIR		"/run/wcachectl/hide"
/* why the last activation of VG-LV failed (one line), for wcachectl status */
#define WC_FAIL_DIR		"/run/wcachectl/failed"
/* create (1 when newly created) or remove the marker of @l */
int wc_pair_hide(struct wc_pair *p, struct wc_lv *l, int hide);

/* activate origin and cachevol (ignoring activation skip) */
int wc_pair_activate_lvs(struct wc_pair *p);

/*
 * Compare the sizes of origin and cachevol with those recorded at attach
 * (LVM may resize either while the pairing is inactive). 0, or
 * WC_EREFUSED with the message and the exact recovery steps.
 */
int wc_pair_check_sizes(struct wc_pair *p);
/* the same question without a message: 1 if a size changed */
int wc_pair_size_changed(const struct wc_pair *p);

/* the table (target, params) for the pairing's recorded settings */
int wc_pair_table(struct wc_pair *p, int cleaner, char *target, size_t tlen,
		  char *params, size_t plen, uint64_t *sectors);

/*
 * 1 (and its name in @name) if the mapping exists under a name other than
 * p->dm_name (the VG was renamed while it was loaded)
 */
int wc_pair_loaded_as(struct wc_pair *p, char *name, size_t len);

/* load the mapping if missing (activating the LVs), or rename it; 0 or error code */
int wc_pair_map(struct wc_pair *p, int cleaner);

/* remove the mapping if present; refuses when it is open */
int wc_pair_unmap(struct wc_pair *p);

/*
 * Is the cache mapping loaded? *@mapped is 1 (and @st, @tb filled when
 * given) or 0. Returns 0 or a WC_E* code.
 */
int wc_pair_mapped(struct wc_pair *p, int *mapped, struct wc_status *st,
		   struct wc_table *tb);

/*
 * The recorded state, except that "wiped" before the origin was renamed
 * means the attach stopped early: nothing was cached yet (attaching).
 */
enum wc_state wc_pair_state(const struct wc_pair *p);

/* VG and user-visible LV name of every pairing of every VG */
struct wc_origin_ref {
	char vg[WC_NAME_MAX + 1];
	char lv[WC_NAME_MAX + 1];
	char error[2 * WC_ERR_MAX];	/* malformed tags: why (lv is the LV's name) */
};

/* malloc'ed *@out (free() it); LVs with malformed tags come with an error */
int wc_all_origins(struct wc_origin_ref **out, int *n);

/* one pairing that could not be looked at, for a per-pairing report */
struct json_object;
struct json_object *wc_error_json(const char *vg, const char *lv, int code, const char *msg);

/*
 * The kernel's reason for the last refused table of @target: the last
 * "device-mapper: table: ...: <target>: reason" line of the last minute
 * of its log. 1 if found.
 */
int wc_kernel_reason(const char *target, char *buf, size_t len);

/*
 * Why did wc_pair_map() fail with WC_EDM? @reason gets the kernel's words
 * (or the errno's). Only WC_REFUSAL_METADATA (EINVAL, and the target
 * named its superblock or metadata) allows formatting the cache again:
 * EBUSY, ENOMEM, a missing device or an LV of another size are not the
 * cache's fault.
 */
enum {
	WC_REFUSAL_OTHER = 0,
	WC_REFUSAL_METADATA,
	WC_REFUSAL_SIZE,
};
int wc_pair_refusal(struct wc_pair *p, char *reason, size_t len);

/* serialize wcachectl instances that change things */
int wc_lock(void);

#endif /* WC_PAIR_H */
