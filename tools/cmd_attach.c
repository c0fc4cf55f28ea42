// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl attach and plan.
 *
 * attach is a sequence of steps, each recorded in the origin's
 * wcache.state tag before the next one starts:
 *
 *   (untagged) -> tag the origin, state attaching
 *   attaching  -> tag the cachevol, set its activation skip, wipe it,
 *                 state wiped
 *   wiped      -> rename the origin to <lv>_wco, set its activation skip,
 *                 load the mapping VG-LV, state attached
 *
 * Killed at any point, the same command continues from the recorded state.
 * The cachevol is only ever wiped in state attaching, before any mapping
 * could have written to it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "pair.h"
#include "policy.h"
#include "probe.h"
#include "profile.h"

#define WIPE_BYTES	(1ULL << 20)

struct geo_ctx {
	struct wc_devgeom og, cg;
	struct wc_geometry g;
	struct wc_plan plan;
	char o_dev[32], c_dev[32];
	int activated_o, activated_c;
};

static int choose_target(enum wc_target want, enum wc_target *out)
{
	uint32_t ver[3];

	if (want != WC_TARGET_NONE) {
		if (!wc_dm_target_present(wc_target_name(want), ver))
			return wc_err(WC_ENOTARGET, "the kernel has no %s target (module dm-%s not available)",
				      wc_target_name(want), wc_target_name(want));
		*out = want;
		return 0;
	}
	if (wc_dm_target_present("wcache", ver)) {
		*out = WC_TARGET_WCACHE;
		return 0;
	}
	if (wc_dm_target_present("writecache", ver)) {
		*out = WC_TARGET_WRITECACHE;
		return 0;
	}
	return wc_err(WC_ENOTARGET, "the kernel has neither the wcache nor the writecache target");
}

static int lv_activate(struct wc_pair *p, struct wc_lv *l, int *activated)
{
	int r;

	if (l->active)
		return 0;
	r = wc_lvm_run("lvchange -ay -K %s/%s", p->vg, l->name);
	if (r)
		return wc_err(r, "cannot activate %s/%s: %s", p->vg, l->name, wc_lvm_error());
	l->active = 1;
	*activated = 1;
	return 0;
}

static void lv_deactivate(struct wc_pair *p, const char *name)
{
	if (wc_lvm_run("lvchange -an %s/%s", p->vg, name))
		wc_warn("cannot deactivate %s/%s again: %s", p->vg, name, wc_lvm_error());
}

/* LV types that can be an origin (lv_attr[0]) */
static int origin_type_ok(const struct wc_lv *l)
{
	return strchr("-rmV", l->attr[0]) != NULL;
}

/* checks that do not change anything; fills the geometry and the plan */
static int prepare(struct wc_opts *o, struct wc_pair *p, struct wc_lv **cvp,
		   struct geo_ctx *gx)
{
	char err[WC_ERR_MAX], path[WC_PATH_MAX];
	struct wc_lv *ol = p->origin, *cl;
	struct wc_tags t;
	int r, i;

	if (!ol)
		return wc_err(WC_ENOENT, "LV %s/%s not found", p->vg, p->lv);
	cl = wc_find_lv(p, o->cachevol);
	if (!cl)
		return wc_err(WC_ENOENT, "cachevol %s/%s not found", p->vg, o->cachevol);
	/* udev probes devices after every change: give short opens time to end */
	for (i = 0; i < 15 && (ol->open || cl->open); i++) {
		usleep(200000);
		r = wc_pair_reload(p);
		if (r)
			return r;
		ol = p->origin;
		cl = wc_find_lv(p, o->cachevol);
		if (!ol || !cl)
			return wc_err(WC_ENOENT, "%s/%s or %s/%s disappeared", p->vg, p->lv,
				      p->vg, o->cachevol);
	}
	*cvp = cl;
	if (ol->name[0] == '[' || !origin_type_ok(ol))
		return wc_err(WC_EREFUSED, "%s/%s cannot be cached (LV type %s, attr %s)",
			      p->vg, ol->name, ol->segtype, ol->attr);
	r = wc_tags_parse(ol->tags, &t, err, sizeof(err));
	if (r)
		return wc_err(r, "%s/%s: %s", p->vg, ol->name, err);
	if (t.role == WC_ROLE_CACHEVOL)
		return wc_err(WC_EREFUSED, "%s/%s is the cachevol of another cached LV",
			      p->vg, ol->name);
	if (wc_find_lv(p, p->wco_name))
		return wc_err(WC_EREFUSED, "%s/%s already exists; it is the name wcachectl gives the origin",
			      p->vg, p->wco_name);
	if (ol->open)
		return wc_err(WC_EREFUSED, "%s/%s is open (mounted or in use); close it before attach",
			      p->vg, ol->name);

	if (cl->name[0] == '[' || strcmp(cl->segtype, "linear") || cl->attr[0] != '-')
		return wc_err(WC_EREFUSED, "cachevol %s/%s must be a plain linear LV (it is %s, attr %s)",
			      p->vg, cl->name, cl->segtype, cl->attr);
	r = wc_tags_parse(cl->tags, &t, err, sizeof(err));
	if (r)
		return wc_err(r, "%s/%s: %s", p->vg, cl->name, err);
	if (t.role != WC_ROLE_NONE)
		return wc_err(WC_EREFUSED, "cachevol %s/%s is already part of a cached LV",
			      p->vg, cl->name);
	if (cl->open)
		return wc_err(WC_EREFUSED, "cachevol %s/%s is open (mounted or in use)",
			      p->vg, cl->name);

	r = choose_target(o->target, &gx->g.target);
	if (r)
		return r;
	if (o->profile) {
		struct wc_profile pr;

		r = wc_profile_load(o->profile, gx->g.target, &pr);
		if (r)
			return r;
		if (pr.ignored)
			wc_info("profile %s: ignoring the wcache-only settings for target %s",
				o->profile, wc_target_name(gx->g.target));
		gx->g.profile = pr.s;
		gx->g.profile_name = o->profile;
	}

	r = lv_activate(p, ol, &gx->activated_o);
	if (!r)
		r = lv_activate(p, cl, &gx->activated_c);
	if (r)
		return r;

	if (wc_dm_lv_name(p->vg, ol->name, path + 12, sizeof(path) - 12))
		return WC_EFAIL;
	memcpy(path, "/dev/mapper/", 12);
	r = wc_probe_dev(path, &gx->og, err, sizeof(err));
	if (r)
		return wc_err(r, "%s", err);
	if (wc_dm_lv_name(p->vg, cl->name, path + 12, sizeof(path) - 12))
		return WC_EFAIL;
	r = wc_probe_dev(path, &gx->cg, err, sizeof(err));
	if (r)
		return wc_err(r, "%s", err);
	snprintf(gx->o_dev, sizeof(gx->o_dev), "%u:%u", gx->og.major, gx->og.minor);
	snprintf(gx->c_dev, sizeof(gx->c_dev), "%u:%u", gx->cg.major, gx->cg.minor);

	gx->g.fs_block_size = gx->og.fs_block_size;
	wc_strlcpy(gx->g.fs_type, gx->og.fs_type, sizeof(gx->g.fs_type));
	gx->g.origin_lbs = gx->og.lbs;
	gx->g.origin_pbs = gx->og.pbs;
	gx->g.cache_lbs = gx->cg.lbs;
	gx->g.cache_pbs = gx->cg.pbs;
	gx->g.origin_bytes = gx->og.bytes;
	gx->g.cache_bytes = gx->cg.bytes;
	gx->g.origin_rotational = gx->og.rotational;
	gx->g.cache_rotational = gx->cg.rotational;
	gx->g.ram_bytes = wc_probe_ram();
	gx->g.page_size = wc_probe_page_size();
	gx->g.req_block_size = o->block_size;
	gx->g.user = o->set;
	gx->g.force = o->force;

	r = wc_policy(&gx->g, &gx->plan);
	if (r)
		return wc_err(r, "%s", gx->plan.error);
	return 0;
}

static void print_plan(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx, FILE *f)
{
	struct wc_plan *pl = &gx->plan;
	char a[32], b[32], params[4096];
	unsigned int i;
	int k;

	wc_human_size(gx->og.bytes, a, sizeof(a));
	fprintf(f, "origin:  %s/%s (%s) %s, logical/physical block %u/%u, %s, %s",
		p->vg, p->lv, gx->o_dev, a, gx->og.lbs, gx->og.pbs,
		gx->og.rotational ? "rotational" : "non-rotational",
		gx->og.fs_type[0] ? gx->og.fs_type : "no filesystem");
	if (gx->og.fs_block_size)
		fprintf(f, " (block %u)", gx->og.fs_block_size);
	wc_human_size(gx->cg.bytes, a, sizeof(a));
	fprintf(f, "\ncache:   %s/%s (%s) %s, logical/physical block %u/%u, %s\n",
		p->vg, cl->name, gx->c_dev, a, gx->cg.lbs, gx->cg.pbs,
		gx->cg.rotational ? "rotational" : "non-rotational");
	wc_human_size(gx->g.ram_bytes, a, sizeof(a));
	wc_human_size(pl->ram_needed, b, sizeof(b));
	fprintf(f, "memory:  %s RAM; %llu cache blocks need about %s in the kernel\n", a,
		(unsigned long long)pl->cache_blocks, b);
	wc_plan_params(pl, gx->o_dev, gx->c_dev, 0,
		       pl->target == WC_TARGET_WCACHE ? "<origin_uuid>" : NULL,
		       params, sizeof(params));
	fprintf(f, "table:   0 %llu %s %s\n", (unsigned long long)(gx->og.bytes / 512),
		wc_target_name(pl->target), params);
	fprintf(f, "  target %s: %s\n", wc_target_name(pl->target),
		pl->target == WC_TARGET_WCACHE ? "dm-wcache module available" :
		"in-kernel dm-writecache");
	fprintf(f, "  mode %s\n", pl->mode_reason);
	fprintf(f, "  block_size %s\n", pl->bs_reason);
	for (k = 0; k < WC_NKEYS; k++)
		if (pl->s.mask & (1u << k))
			fprintf(f, "  %s %s\n", wc_keys[k].name, pl->reason[k]);
	if (pl->target == WC_TARGET_WCACHE)
		fprintf(f, "  origin_uuid: random at attach, recorded in the tags; ties the cache to this origin\n");
	for (i = 0; i < pl->nwarn; i++)
		fprintf(f, "warning: %s\n", pl->warn[i]);
}

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
	json_object_object_add(geo, "fs_block_size", json_object_new_int(gx->og.fs_block_size));
	json_object_object_add(geo, "ram_bytes", json_object_new_int64(gx->g.ram_bytes));
	json_object_object_add(geo, "page_size", json_object_new_int(gx->g.page_size));
	json_object_object_add(root, "geometry", geo);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void undo_activation(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	if (gx->activated_o)
		lv_deactivate(p, p->origin->name);
	if (gx->activated_c && cl)
		lv_deactivate(p, cl->name);
}

int cmd_plan(struct wc_opts *o)
{
	struct wc_pair p;
	struct wc_lv *cl = NULL;
	struct geo_ctx gx;
	int r;

	memset(&gx, 0, sizeof(gx));
	r = wc_pair_load(o->vg, o->lv, &p);
	if (r)
		goto out;
	if (p.ot.role == WC_ROLE_ORIGIN) {
		r = wc_err(WC_EREFUSED, "%s/%s is already cached (state %s); see wcachectl status",
			   o->vg, o->lv, wc_state_name(p.ot.state));
		goto out;
	}
	r = prepare(o, &p, &cl, &gx);
	if (!r) {
		if (o->json)
			print_plan_json(&p, cl, &gx);
		else
			print_plan(&p, cl, &gx, stdout);
	}
	undo_activation(&p, cl, &gx);
out:
	wc_pair_free(&p);
	return r;
}

static int confirm(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return wc_err(WC_EABORT, "refusing to wipe %s/%s without confirmation: standard input is not a terminal (use --yes)",
			      p->vg, cl->name);
	fprintf(stderr, "All data on %s/%s%s%s%s will be destroyed. Continue? [y/N] ",
		p->vg, cl->name, gx->cg.fs_type[0] ? " (it holds " : "", gx->cg.fs_type,
		gx->cg.fs_type[0] ? ")" : "");
	if (!fgets(line, sizeof(line), stdin) ||
	    (strcmp(line, "y\n") && strcmp(line, "yes\n") && strcmp(line, "Y\n")))
		return wc_err(WC_EABORT, "declined; nothing changed");
	return 0;
}

static int tag_origin(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	char tags[WC_MAX_OUT_TAGS][WC_TAG_MAX], args[8192];
	struct wc_tags t;
	size_t off = 0;
	int n, i, r;

	memset(&t, 0, sizeof(t));
	t.role = WC_ROLE_ORIGIN;
	t.version = WC_TAG_VERSION;
	t.skip = p->origin->skip;
	wc_strlcpy(t.name, p->lv, sizeof(t.name));
	wc_strlcpy(t.cachevol_uuid, cl->uuid, sizeof(t.cachevol_uuid));
	if (wc_random_hex32(t.uuid))
		return wc_err(WC_EFAIL, "cannot get random bytes");
	t.state = WC_ST_ATTACHING;
	t.target = gx->plan.target;
	t.mode = gx->plan.mode;
	t.block_size = gx->plan.block_size;
	t.set = gx->plan.s;
	n = wc_tags_format(&t, tags, WC_MAX_OUT_TAGS);
	if (n < 0)
		return wc_err(WC_EFAIL, "cannot format the tags");
	for (i = 0; i < n; i++)
		off += snprintf(args + off, sizeof(args) - off, " --addtag %s", tags[i]);
	r = wc_lvm_run("lvchange%s %s/%s", args, p->vg, p->origin->name);
	if (r)
		return wc_err(r, "cannot tag %s/%s: %s", p->vg, p->origin->name, wc_lvm_error());
	return 0;
}

static int step_attaching(struct wc_pair *p)
{
	char tags[WC_MAX_OUT_TAGS][WC_TAG_MAX], args[2048], err[WC_ERR_MAX];
	char path[WC_PATH_MAX];
	struct wc_tags t;
	uint64_t bytes;
	size_t off = 0;
	int n, i, r;

	if (!p->cache)
		return wc_err(WC_ENOENT, "the cachevol of %s/%s is gone; run 'wcachectl split %s/%s' to roll back",
			      p->vg, p->lv, p->vg, p->lv);
	if (p->ct.role == WC_ROLE_NONE) {
		memset(&t, 0, sizeof(t));
		t.role = WC_ROLE_CACHEVOL;
		t.skip = p->cache->skip;
		wc_strlcpy(t.origin_uuid, p->origin->uuid, sizeof(t.origin_uuid));
		n = wc_tags_format(&t, tags, WC_MAX_OUT_TAGS);
		if (n < 0)
			return wc_err(WC_EFAIL, "cannot format the tags");
		for (i = 0; i < n; i++)
			off += snprintf(args + off, sizeof(args) - off, " --addtag %s", tags[i]);
		r = wc_lvm_run("lvchange%s %s/%s", args, p->vg, p->cache->name);
		if (r)
			return wc_err(r, "cannot tag %s/%s: %s", p->vg, p->cache->name,
				      wc_lvm_error());
	}
	if (!p->cache->skip) {
		r = wc_lvm_run("lvchange -ky %s/%s", p->vg, p->cache->name);
		if (r)
			return wc_err(r, "cannot set activation skip on %s/%s: %s", p->vg,
				      p->cache->name, wc_lvm_error());
	}
	r = wc_pair_reload(p);
	if (r)
		return r;
	if (!p->cache->active) {
		r = wc_lvm_run("lvchange -ay -K %s/%s", p->vg, p->cache->name);
		if (r)
			return wc_err(r, "cannot activate %s/%s: %s", p->vg, p->cache->name,
				      wc_lvm_error());
	}
	memcpy(path, "/dev/mapper/", 12);
	if (wc_dm_lv_name(p->vg, p->cache->name, path + 12, sizeof(path) - 12))
		return WC_EFAIL;
	bytes = p->cache->size < WIPE_BYTES ? p->cache->size : WIPE_BYTES;
	wc_info("wiping the start of %s/%s", p->vg, p->cache->name);
	r = wc_wipe_start(path, bytes, err, sizeof(err));
	if (r)
		return wc_err(r, "%s", err);
	return wc_pair_set_state(p, WC_ST_WIPED);
}

static int step_wiped(struct wc_pair *p)
{
	int r;

	if (!p->cache)
		return wc_err(WC_ENOENT, "the cachevol of %s/%s is gone; run 'wcachectl split %s/%s --force' to give up the cache",
			      p->vg, p->lv, p->vg, p->lv);
	if (!strcmp(p->origin->name, p->lv)) {
		if (p->origin->open)
			return wc_err(WC_EREFUSED, "%s/%s was opened during attach; close it and run attach again",
				      p->vg, p->lv);
		r = wc_lvm_run("lvrename %s %s %s", p->vg, p->lv, p->wco_name);
		if (r)
			return wc_err(r, "cannot rename %s/%s to %s: %s", p->vg, p->lv,
				      p->wco_name, wc_lvm_error());
		r = wc_pair_reload(p);
		if (r)
			return r;
	}
	if (!p->origin->skip) {
		r = wc_lvm_run("lvchange -ky %s/%s", p->vg, p->origin->name);
		if (r)
			return wc_err(r, "cannot set activation skip on %s/%s: %s", p->vg,
				      p->origin->name, wc_lvm_error());
		r = wc_pair_reload(p);
		if (r)
			return r;
	}
	r = wc_pair_map(p, 0);
	if (r)
		return r;
	return wc_pair_set_state(p, WC_ST_ATTACHED);
}

static int attach_continue(struct wc_pair *p)
{
	int r;

	for (;;) {
		switch (p->ot.state) {
		case WC_ST_ATTACHING:
			r = step_attaching(p);
			break;
		case WC_ST_WIPED:
			r = step_wiped(p);
			break;
		case WC_ST_ATTACHED:
			return wc_pair_map(p, 0);
		default:
			return wc_err(WC_EREFUSED, "%s/%s is being split (state %s); run 'wcachectl split %s/%s' to finish",
				      p->vg, p->lv, wc_state_name(p->ot.state), p->vg, p->lv);
		}
		if (r)
			return r;
		r = wc_pair_reload(p);
		if (r)
			return r;
		if (p->ot.role != WC_ROLE_ORIGIN)
			return wc_err(WC_EFAIL, "the tags of %s/%s disappeared during attach",
				      p->vg, p->lv);
	}
}

int cmd_attach(struct wc_opts *o)
{
	struct wc_pair p;
	struct wc_lv *cl = NULL;
	struct geo_ctx gx;
	int r;

	r = wc_lock();
	if (r)
		return r;
	memset(&gx, 0, sizeof(gx));
	r = wc_pair_load(o->vg, o->lv, &p);
	if (r)
		goto out;
	if (p.ot.role == WC_ROLE_ORIGIN) {
		/* a recorded pairing: continue it */
		if (!p.cache || strcmp(p.cache->name, o->cachevol)) {
			r = wc_err(WC_EREFUSED, "%s/%s is already paired with another cachevol (%s)",
				   o->vg, o->lv, p.cache ? p.cache->name : "missing");
			goto out;
		}
		if (o->dry_run) {
			printf("%s/%s: attach interrupted in state %s; would continue it\n",
			       o->vg, o->lv, wc_state_name(p.ot.state));
			goto out;
		}
		if (p.ot.state != WC_ST_ATTACHED)
			wc_info("continuing the attach of %s/%s from state %s", o->vg, o->lv,
				wc_state_name(p.ot.state));
		else
			wc_info("%s/%s is already cached by %s/%s", o->vg, o->lv, o->vg,
				p.cache->name);
		r = attach_continue(&p);
		goto out;
	}
	r = prepare(o, &p, &cl, &gx);
	if (r) {
		undo_activation(&p, cl, &gx);
		goto out;
	}
	print_plan(&p, cl, &gx, o->dry_run ? stdout : stderr);
	if (o->dry_run) {
		printf("would: tag %s/%s and %s/%s (wcache.*), set activation skip on both,\n"
		       "       wipe the first %llu KiB of %s/%s, rename %s/%s to %s,\n"
		       "       load %s as /dev/%s/%s\n",
		       o->vg, o->lv, o->vg, cl->name, (unsigned long long)(WIPE_BYTES >> 10),
		       o->vg, cl->name, o->vg, o->lv, p.wco_name, p.dm_name, o->vg, o->lv);
		undo_activation(&p, cl, &gx);
		goto out;
	}
	if (!o->yes) {
		r = confirm(&p, cl, &gx);
		if (r) {
			undo_activation(&p, cl, &gx);
			goto out;
		}
	}
	r = tag_origin(&p, cl, &gx);
	if (r)
		goto out;
	r = wc_pair_reload(&p);
	if (r)
		goto out;
	if (p.ot.role != WC_ROLE_ORIGIN) {
		r = wc_err(WC_EFAIL, "the tags just written to %s/%s are not visible", o->vg, o->lv);
		goto out;
	}
	r = attach_continue(&p);
out:
	if (!r && !o->dry_run && p.ot.role == WC_ROLE_ORIGIN)
		printf("%s/%s is cached by %s/%s (target %s, block size %u); use /dev/%s/%s\n",
		       o->vg, o->lv, o->vg, p.cache ? p.cache->name : "?",
		       wc_target_name(p.ot.target), p.ot.block_size, o->vg, o->lv);
	wc_pair_free(&p);
	return r;
}
