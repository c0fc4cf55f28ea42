// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl deactivate: remove the cache mapping, then deactivate origin
 * and cachevol.
 */
#include <stdio.h>

#include "cmd.h"
#include "pair.h"

int cmd_deactivate(struct wc_opts *o)
{
	struct wc_pair p;
	int r;

	r = wc_lock();
	if (r)
		return r;
	r = wc_pair_load_cached(o->vg, o->lv, &p);
	if (r)
		goto out;
	r = wc_pair_unmap(&p);
	if (r)
		goto out;
	if (p.origin->active) {
		r = wc_lvm_run("lvchange -an %s/%s", p.vg, p.origin->name);
		if (r) {
			r = wc_err(r, "cannot deactivate %s/%s: %s", p.vg, p.origin->name,
				   wc_lvm_error());
			goto out;
		}
	}
	if (p.cache && p.cache->active) {
		r = wc_lvm_run("lvchange -an %s/%s", p.vg, p.cache->name);
		if (r) {
			r = wc_err(r, "cannot deactivate %s/%s: %s", p.vg, p.cache->name,
				   wc_lvm_error());
			goto out;
		}
	}
	printf("%s/%s is inactive\n", o->vg, o->lv);
out:
	wc_pair_free(&p);
	return r;
}
