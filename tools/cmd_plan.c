// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl plan: the table attach would load, with one line of
 * reasoning per value.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

static void print_plan_json(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	struct wc_plan *pl = &gx->plan;
	struct json_object *root = json_object_new_object();
	struct json_object *set = json_object_new_object();
	struct json_object *why = json_object_new_object();
	struct json_object *warn = json_object_new_array();
	struct json_object *geo = json_object_new_object();
	char params[4096], table[4200];
	unsigned int i;
	int k;

	wc_plan_params(pl, gx->o_dev, gx->c_dev, 0,
		       pl->target == WC_TARGET_WCACHE ? "<origin_uuid>" : NULL,
		       params, sizeof(params));
	snprintf(table, sizeof(table), "0 %llu %s %s", (unsigned long long)(gx->og.bytes / 512),
		 wc_target_name(pl->target), params);
	json_object_object_add(root, "vg", json_object_new_string(p->vg));
	json_object_object_add(root, "lv", json_object_new_string(p->lv));
	json_object_object_add(root, "cachevol", json_object_new_string(cl->name));
	json_object_object_add(root, "target", json_object_new_string(wc_target_name(pl->target)));
	json_object_object_add(root, "table", json_object_new_string(table));
	json_object_object_add(root, "mode", json_object_new_string("s"));
	json_object_object_add(root, "block_size", json_object_new_int64(pl->block_size));
	json_object_object_add(why, "mode", json_object_new_string(pl->mode_reason));
	json_object_object_add(why, "block_size", json_object_new_string(pl->bs_reason));
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(pl->s.mask & (1u << k)))
			continue;
		json_object_object_add(set, wc_keys[k].name, json_object_new_int64(pl->s.val[k]));
		json_object_object_add(why, wc_keys[k].name, json_object_new_string(pl->reason[k]));
	}
	json_object_object_add(root, "settings", set);
	json_object_object_add(root, "reasons", why);
	for (i = 0; i < pl->nwarn; i++)
		json_object_array_add(warn, json_object_new_string(pl->warn[i]));
	json_object_object_add(root, "warnings", warn);
	json_object_object_add(root, "cache_blocks", json_object_new_int64(pl->cache_blocks));
	json_object_object_add(root, "ram_needed_bytes", json_object_new_int64(pl->ram_needed));
	json_object_object_add(geo, "origin_bytes", json_object_new_int64(gx->og.bytes));
	json_object_object_add(geo, "cache_bytes", json_object_new_int64(gx->cg.bytes));
	json_object_object_add(geo, "origin_logical_block_size", json_object_new_int(gx->og.lbs));
	json_object_object_add(geo, "origin_physical_block_size", json_object_new_int(gx->og.pbs));
	json_object_object_add(geo, "cache_logical_block_size", json_object_new_int(gx->cg.lbs));
	json_object_object_add(geo, "cache_physical_block_size", json_object_new_int(gx->cg.pbs));
	json_object_object_add(geo, "origin_rotational", json_object_new_boolean(gx->og.rotational));
	json_object_object_add(geo, "cache_rotational", json_object_new_boolean(gx->cg.rotational));
	json_object_object_add(geo, "filesystem", json_object_new_string(gx->og.fs_type));
	json_object_object_add(geo, "filesystem_probed", json_object_new_boolean(!gx->o_inactive));
	json_object_object_add(geo, "filesystem_block_size_unknown",
			       json_object_new_boolean(gx->fs_unknown));
	json_object_object_add(geo, "fs_block_size", json_object_new_int(gx->og.fs_block_size));
	json_object_object_add(geo, "ram_bytes", json_object_new_int64(gx->g.ram_bytes));
	json_object_object_add(geo, "page_size", json_object_new_int(gx->g.page_size));
	json_object_object_add(root, "geometry", geo);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int cmd_plan(struct wc_opts *o)
{
	struct wc_pair p;
	struct wc_lv *cl = NULL;
	struct geo_ctx gx;
	int r;

	memset(&gx, 0, sizeof(gx));
	gx.no_activate = 1;	/* plan changes nothing, not even activation */
	r = wc_pair_load(o->vg, o->lv, &p);
	if (r)
		goto out;
	if (p.ot.role == WC_ROLE_ORIGIN) {
		r = wc_err(WC_EREFUSED, "%s/%s is already cached (state %s); see wcachectl status",
			   o->vg, o->lv, wc_state_name(p.ot.state));
		goto out;
	}
	r = wc_prepare(o, &p, &cl, &gx);
	if (!r) {
		if (o->json)
			print_plan_json(&p, cl, &gx);
		else
			wc_print_plan(&p, cl, &gx, stdout);
	}
	wc_undo_activation(&p, cl, &gx);
out:
	wc_pair_free(&p);
	return r;
}
