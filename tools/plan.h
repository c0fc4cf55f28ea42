/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: what attach and plan share: the checks on origin and
 * cachevol, their geometry, and the plan the policy makes from it.
 */
#ifndef WC_PLAN_H
#define WC_PLAN_H

#include <stdio.h>

#include "cmd.h"
#include "pair.h"
#include "policy.h"
#include "probe.h"

struct geo_ctx {
	struct wc_devgeom og, cg;
	struct wc_geometry g;
	struct wc_plan plan;
	char o_dev[WC_PATH_MAX], c_dev[WC_PATH_MAX];	/* major:minor, or the path */
	int activated_o, activated_c;
	int no_activate;		/* plan: probe inactive LVs through their PVs */
	int o_inactive, c_inactive;	/* probed that way: no filesystem seen */
	int fs_unknown;			/* the origin holds something without a block size */
};

/* checks that do not change anything; fills the geometry and the plan */
int wc_prepare(struct wc_opts *o, struct wc_pair *p, struct wc_lv **cvp, struct geo_ctx *gx);

/* the plan as text, one line of reasoning per value */
void wc_print_plan(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx, FILE *f);

/* deactivate what wc_prepare() activated */
void wc_undo_activation(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx);

#endif /* WC_PLAN_H */
