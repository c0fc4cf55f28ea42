/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: which pairings a volume group records, for boot-time
 * activation of a whole VG. Pure code over the LV list LVM reported for
 * that VG: tag values come from disk and are untrusted, so a pairing is
 * only accepted when it is complete, unambiguous and entirely inside the
 * VG (the cachevol is named by LV uuid and looked up among the VG's own
 * LVs only; names are plain LV names, never paths).
 */
#ifndef WC_VGSCAN_H
#define WC_VGSCAN_H

#include "lvm.h"
#include "tags.h"

#define WC_VG_PAIRS_MAX	256	/* pairings of one VG we act on */

enum wc_vg_pair_state {
	WC_VP_READY = 0,	/* origin and cachevol present, not partial */
	WC_VP_NO_CACHE,		/* the cachevol LV is not in the VG */
	WC_VP_PARTIAL,		/* origin or cachevol has extents on a missing PV */
	WC_VP_BAD,		/* refused: reason in @why */
};

struct wc_vg_pair {
	char lv[WC_NAME_MAX + 1];	/* the name users know */
	int origin;			/* index into the LV list */
	int cache;			/* index, or -1 */
	enum wc_vg_pair_state state;
	char why[WC_ERR_MAX];
};

/*
 * Find the pairings recorded in the LVs of @vg (@lvs as reported by LVM;
 * entries of other VGs are ignored). Fills at most @max entries of @out
 * and returns how many, or -1 when there are more than @max.
 */
int wc_vg_pairings(const char *vg, const struct wc_lv *lvs, int n,
		   struct wc_vg_pair *out, int max);

/* 1 when an LV's attributes say it has extents on a missing PV */
int wc_lv_partial(const struct wc_lv *l);

#endif /* WC_VGSCAN_H */
