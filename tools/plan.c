// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: the checks and the plan shared by attach and plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "profile.h"

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

/*
 * Geometry of @l: of its device, activating it unless @no_activate; an
 * inactive LV with @no_activate (plan changes nothing) is probed through
 * its physical volumes: sizes and rotation, no filesystem.
 */
static int probe_lv(struct wc_pair *p, struct wc_lv *l, int no_activate, int *activated,
		    struct wc_devgeom *g, int *inactive, char *dev, size_t devlen)
{
	char pvs[WC_LV_PVS_MAX][WC_PATH_MAX], err[WC_ERR_MAX], path[WC_PATH_MAX];
	struct wc_devgeom pg;
	int r, n, i;

	if (l->active || !no_activate) {
		r = lv_activate(p, l, activated);
		if (r)
			return r;
		if (wc_dm_lv_path(p->vg, l->name, path, sizeof(path)))
			return WC_EFAIL;
		r = wc_probe_dev(path, g, err, sizeof(err));
		if (r)
			return wc_err(r, "%s", err);
		snprintf(dev, devlen, "%u:%u", g->major, g->minor);
		return 0;
	}
	r = wc_lvm_lv_pvs(p->vg, l->name, pvs, WC_LV_PVS_MAX, &n);
	if (r)
		return wc_err(r, "cannot find the physical volumes of %s/%s: %s", p->vg, l->name,
			      wc_lvm_error());
	if (!n)
		return wc_err(WC_EREFUSED, "%s/%s is inactive and LVM names no physical volume under it; activate it and run plan again",
			      p->vg, l->name);
	memset(g, 0, sizeof(*g));
	for (i = 0; i < n; i++) {
		r = wc_probe_dev(pvs[i], &pg, err, sizeof(err));
		if (r)
			return wc_err(r, "%s", err);
		g->lbs = pg.lbs > g->lbs ? pg.lbs : g->lbs;
		g->pbs = pg.pbs > g->pbs ? pg.pbs : g->pbs;
		g->rotational |= pg.rotational;
	}
	g->bytes = l->size;
	*inactive = 1;
	if (wc_dm_lv_path(p->vg, l->name, dev, devlen))
		return WC_EFAIL;
	return 0;
}

/* a physical volume both @a and @b use: *@pv ("" if none) */
static int share_pv(struct wc_pair *p, struct wc_lv *a, struct wc_lv *b, char *pv, size_t len)
{
	char pa[WC_LV_PVS_MAX][WC_PATH_MAX], pb[WC_LV_PVS_MAX][WC_PATH_MAX];
	int na, nb, i, j;

	pv[0] = '\0';
	if (wc_lvm_lv_pvs(p->vg, a->name, pa, WC_LV_PVS_MAX, &na) ||
	    wc_lvm_lv_pvs(p->vg, b->name, pb, WC_LV_PVS_MAX, &nb))
		return wc_err(WC_ELVM, "cannot find the physical volumes of %s/%s and %s/%s: %s",
			      p->vg, a->name, p->vg, b->name, wc_lvm_error());
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (!strcmp(pa[i], pb[j])) {
				wc_strlcpy(pv, pa[i], len);
				return 0;
			}
	return 0;
}

/*
 * A cache slower than, or on the same disk as, its origin, or bigger than
 * it, is almost surely a mistake (--force); contents whose block size
 * cannot be read are only warned about (attach asks).
 */
static int check_devices(struct wc_opts *o, struct wc_pair *p, struct wc_lv *ol,
			 struct wc_lv *cl, struct geo_ctx *gx)
{
	char pv[WC_PATH_MAX], a[32], b[32];
	int r;

	if (gx->cg.rotational && !o->force)
		return wc_err(WC_EREFUSED, "cachevol %s/%s is on a rotational device: a cache must be faster than its origin (--force uses it anyway)",
			      p->vg, cl->name);
	if (cl->size > ol->size && !o->force) {
		wc_human_size(cl->size, a, sizeof(a));
		wc_human_size(ol->size, b, sizeof(b));
		return wc_err(WC_EREFUSED, "cachevol %s/%s (%s) is bigger than the origin %s/%s (%s) (--force uses it anyway)",
			      p->vg, cl->name, a, p->vg, ol->name, b);
	}
	if (!o->force) {
		r = share_pv(p, ol, cl, pv, sizeof(pv));
		if (r)
			return r;
		if (pv[0])
			return wc_err(WC_EREFUSED, "cachevol %s/%s and the origin %s/%s are both on %s: the cache would not be faster (--force uses it anyway)",
				      p->vg, cl->name, p->vg, ol->name, pv);
	}
	if (gx->og.fs_type[0] && !gx->og.fs_block_size) {
		gx->fs_unknown = 1;
		wc_warn("%s/%s holds %s, whose block size wcachectl cannot read: if what it holds (a filesystem inside encryption or a partition) writes blocks smaller than the cache block size, it becomes slower and a crash can tear its writes",
			p->vg, p->lv, gx->og.fs_type);
	}
	return 0;
}

int wc_prepare(struct wc_opts *o, struct wc_pair *p, struct wc_lv **cvp, struct geo_ctx *gx)
{
	char err[WC_ERR_MAX];
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

	r = probe_lv(p, ol, gx->no_activate, &gx->activated_o, &gx->og, &gx->o_inactive,
		     gx->o_dev, sizeof(gx->o_dev));
	if (!r)
		r = probe_lv(p, cl, gx->no_activate, &gx->activated_c, &gx->cg, &gx->c_inactive,
			     gx->c_dev, sizeof(gx->c_dev));
	if (r)
		return r;
	r = check_devices(o, p, ol, cl, gx);
	if (r)
		return r;

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

void wc_print_plan(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx, FILE *f)
{
	struct wc_plan *pl = &gx->plan;
	char a[32], b[32], params[4096];
	unsigned int i;
	int k;

	wc_human_size(gx->og.bytes, a, sizeof(a));
	fprintf(f, "origin:  %s/%s (%s) %s, logical/physical block %u/%u, %s, %s",
		p->vg, p->lv, gx->o_dev, a, gx->og.lbs, gx->og.pbs,
		gx->og.rotational ? "rotational" : "non-rotational",
		gx->o_inactive ? "inactive: filesystem not probed" :
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
	if (gx->fs_unknown)
		fprintf(f, "warning: the origin holds %s, whose block size cannot be read\n",
			gx->og.fs_type);
	if (gx->o_inactive || gx->c_inactive)
		fprintf(f, "note: inactive LVs were probed through their physical volumes; the filesystem is not known until the origin is active\n");
}

void wc_undo_activation(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	if (gx->activated_o)
		lv_deactivate(p, p->origin->name);
	if (gx->activated_c && cl)
		lv_deactivate(p, cl->name);
}
