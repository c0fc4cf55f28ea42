// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl attach.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"

#define WIPE_BYTES	(1ULL << 20)

static int confirm(struct wc_pair *p, struct wc_lv *cl, struct geo_ctx *gx)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return wc_err(WC_EABORT, "refusing to wipe %s/%s%s without confirmation: standard input is not a terminal (use --yes)",
			      p->vg, cl->name, gx->fs_unknown ?
			      " and cache an origin whose block size cannot be read" : "");
	if (gx->fs_unknown)
		fprintf(stderr, "%s/%s holds %s: wcachectl cannot read the block size of what it contains; the cache block size is %u.\n",
			p->vg, p->lv, gx->og.fs_type, gx->plan.block_size);
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
	int n, r;

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
	/* LVM may resize either while the pairing is inactive: activation checks */
	t.origin_size = p->origin->size;
	t.cache_size = cl->size;
	n = wc_tags_format(&t, tags, WC_MAX_OUT_TAGS);
	args[0] = '\0';
	if (n < 0 || wc_tags_args("--addtag", tags, n, args, sizeof(args)))
		return wc_err(WC_EFAIL, "cannot format the tags");
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
	int n, r;

	if (!p->cache)
		return wc_err(WC_ENOENT, "the cachevol of %s/%s is gone; run 'wcachectl split %s/%s' to roll back",
			      p->vg, p->lv, p->vg, p->lv);
	if (p->ct.role == WC_ROLE_NONE) {
		memset(&t, 0, sizeof(t));
		t.role = WC_ROLE_CACHEVOL;
		t.skip = p->cache->skip;
		wc_strlcpy(t.origin_uuid, p->origin->uuid, sizeof(t.origin_uuid));
		n = wc_tags_format(&t, tags, WC_MAX_OUT_TAGS);
		args[0] = '\0';
		if (n < 0 || wc_tags_args("--addtag", tags, n, args, sizeof(args)))
			return wc_err(WC_EFAIL, "cannot format the tags");
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
	if (wc_dm_lv_path(p->vg, p->cache->name, path, sizeof(path)))
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
	r = wc_prepare(o, &p, &cl, &gx);
	if (r) {
		wc_undo_activation(&p, cl, &gx);
		goto out;
	}
	wc_print_plan(&p, cl, &gx, o->dry_run ? stdout : stderr);
	if (o->dry_run) {
		printf("would: tag %s/%s and %s/%s (wcache.*), set activation skip on both,\n"
		       "       wipe the first %llu KiB of %s/%s, rename %s/%s to %s,\n"
		       "       load %s as /dev/%s/%s\n",
		       o->vg, o->lv, o->vg, cl->name, (unsigned long long)(WIPE_BYTES >> 10),
		       o->vg, cl->name, o->vg, o->lv, p.wco_name, p.dm_name, o->vg, o->lv);
		wc_undo_activation(&p, cl, &gx);
		goto out;
	}
	if (!o->yes) {
		r = confirm(&p, cl, &gx);
		if (r) {
			wc_undo_activation(&p, cl, &gx);
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
