// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl split: flush the cache and give the origin back.
 *
 *   attaching            -> (nothing was cached) restore
 *   wiped/attached/
 *   splitting            -> load the mapping if needed, state splitting,
 *                           cleaner mode, wait for 0 dirty blocks,
 *                           remove the mapping, state detached
 *   detached             -> restore: cachevol flags and tags (or remove it
 *                           with --uncache), rename the origin back, its
 *                           activation skip, and finally drop its tags
 *
 * Ctrl-C while waiting leaves the mapping in cleaner mode (state
 * splitting); running split again continues.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "offline.h"
#include "pair.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void progress(int tty, uint64_t dirty, uint64_t start_dirty, uint32_t bs, double rate,
		     int final)
{
	char sz[32], rt[32], eta[16];
	double frac = start_dirty ? 1.0 - (double)dirty / start_dirty : 1.0;
	int i, w = 30, fill;

	if (frac < 0)
		frac = 0;
	fill = (int)(frac * w + 0.5);
	wc_human_size(dirty * bs, sz, sizeof(sz));
	wc_human_size((uint64_t)(rate * bs), rt, sizeof(rt));
	wc_fmt_eta(rate > 0 ? dirty / rate : INFINITY, eta, sizeof(eta));
	if (tty) {
		printf("\rflushing [");
		for (i = 0; i < w; i++)
			putchar(i < fill ? '#' : '.');
		printf("] %3.0f%% %llu dirty blocks (%s), %s/s, ETA %s  ", frac * 100,
		       (unsigned long long)dirty, sz, rt, eta);
		if (final)
			putchar('\n');
	} else {
		printf("flushing: %llu dirty blocks (%s) left, %s/s, ETA %s\n",
		       (unsigned long long)dirty, sz, rt, eta);
	}
	fflush(stdout);
}

/* wait in cleaner mode until nothing is dirty; 0, WC_EINTR or error */
/* split gives up when writeback fails and makes no progress this long */
#define WC_SPLIT_STALL_SECS	10

static int drain(struct wc_opts *o, struct wc_pair *p)
{
	struct wc_status st;
	struct wc_table tb;
	struct sigaction sa;
	double t0, tprev, tgood, rate = 0;
	uint64_t start, prev, wb_err0;
	int tty = isatty(STDOUT_FILENO), r, mapped, first = 1;

	r = wc_pair_mapped(p, &mapped, &st, &tb);
	if (r)
		return r;
	if (!mapped)
		return wc_err(WC_EREFUSED, "the mapping %s is not loaded", p->dm_name);
	if (!tb.cleaner) {
		if (wc_dm_message(p->dm_name, "cleaner")) {
			char target[32], params[4096];
			uint64_t sectors;

			wc_warn("the cleaner message failed; reloading the table with cleaner");
			r = wc_pair_table(p, 1, target, sizeof(target), params, sizeof(params),
					  &sectors);
			if (r)
				return r;
			if (wc_dm_reload(p->dm_name, sectors, target, params))
				return wc_err(WC_EDM, "cannot switch %s to cleaner mode", p->dm_name);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	start = prev = st.dirty_blocks + st.writeback_blocks;
	t0 = tprev = tgood = wc_now();
	wb_err0 = st.c[WC_C_WB_ERRORS];
	for (;;) {
		uint64_t dirty;
		double t;

		r = wc_pair_mapped(p, &mapped, &st, NULL);
		if (r)
			return r;
		if (!mapped)
			return wc_err(WC_EREFUSED, "the mapping %s disappeared while flushing",
				      p->dm_name);
		if (st.error && !o->force)
			return wc_err(WC_EREFUSED, "the cache reports error %lld while flushing; %llu dirty blocks cannot be written back (--force drops them)",
				      (long long)st.error,
				      (unsigned long long)st.dirty_blocks);
		if (st.error)
			break;
		dirty = st.dirty_blocks;
		if (st.writeback_blocks > dirty)
			dirty = st.writeback_blocks;
		t = wc_now();
		if (t - tprev > 0.01 && !first) {
			double inst = prev > dirty ? (prev - dirty) / (t - tprev) : 0;

			rate = rate > 0 ? 0.7 * rate + 0.3 * inst : inst;
		}
		first = 0;
		if (dirty < prev)
			tgood = t;
		prev = dirty;
		tprev = t;
		/*
		 * The target retries failed writeback for ever (the blocks stay
		 * dirty): when it fails and nothing reached the origin for a
		 * while, stop instead of waiting for a repair.
		 */
		if (st.c[WC_C_WB_ERRORS] > wb_err0 && dirty &&
		    t - tgood >= WC_SPLIT_STALL_SECS) {
			if (!o->force) {
				if (tty)
					putchar('\n');
				return wc_err(WC_EREFUSED, "writeback to the origin of %s/%s fails (%llu failed attempts) and nothing was written back for %d s; the %llu dirty blocks stay in the cache, which stays in cleaner mode. Repair the origin and run 'wcachectl split %s/%s' again ('wcachectl split --cancel %s/%s' keeps caching; --force drops the dirty blocks)",
					      p->vg, p->lv,
					      (unsigned long long)(st.c[WC_C_WB_ERRORS] - wb_err0),
					      WC_SPLIT_STALL_SECS, (unsigned long long)dirty,
					      p->vg, p->lv, p->vg, p->lv);
			}
			wc_warn("--force: writeback to the origin fails; dropping %llu dirty blocks of %s/%s",
				(unsigned long long)dirty, p->vg, p->lv);
			break;
		}
		if (dirty == 0 && st.writeback_blocks == 0) {
			if (start)
				progress(tty, 0, start, p->ot.block_size,
					 t > t0 ? start / (t - t0) : 0, 1);
			return 0;
		}
		progress(tty, dirty, start, p->ot.block_size, rate, 0);
		if (interrupted)
			break;
		usleep((useconds_t)(o->interval * 1e6));
		if (interrupted)
			break;
	}
	if (interrupted) {
		if (tty)
			putchar('\n');
		return wc_err(WC_EINTR, "interrupted with %llu dirty blocks left; %s/%s stays in cleaner mode, run 'wcachectl split %s/%s' again to continue",
			      (unsigned long long)st.dirty_blocks, p->vg, p->lv, p->vg, p->lv);
	}
	return 0;
}

static int restore(struct wc_opts *o, struct wc_pair *p)
{
	char args[4096];
	int r;

	/* restored LVs are ordinary again: udev may probe them */
	wc_pair_hide(p, p->origin, 0);
	if (p->cache)
		wc_pair_hide(p, p->cache, 0);
	if (p->cache && o->uncache) {
		r = wc_lvm_run("lvremove -f %s/%s", p->vg, p->cache->name);
		if (r)
			return wc_err(r, "cannot remove the cachevol %s/%s: %s", p->vg,
				      p->cache->name, wc_lvm_error());
	} else if (p->cache) {
		if (p->cache->active) {
			r = wc_lvm_run("lvchange -an %s/%s", p->vg, p->cache->name);
			if (r)
				return wc_err(r, "cannot deactivate %s/%s: %s", p->vg,
					      p->cache->name, wc_lvm_error());
		}
		if (p->ct.role == WC_ROLE_CACHEVOL) {
			if (!p->ct.skip && p->cache->skip) {
				r = wc_lvm_run("lvchange -kn %s/%s", p->vg, p->cache->name);
				if (r)
					return wc_err(r, "cannot clear activation skip of %s/%s: %s",
						      p->vg, p->cache->name, wc_lvm_error());
			}
			if (wc_tags_deltag_args(p->cache->tags, args, sizeof(args)))
				return wc_err(WC_EFAIL, "tag list too long");
			r = wc_lvm_run("lvchange%s %s/%s", args, p->vg, p->cache->name);
			if (r)
				return wc_err(r, "cannot remove the tags of %s/%s: %s", p->vg,
					      p->cache->name, wc_lvm_error());
		}
	}
	if (strcmp(p->origin->name, p->lv)) {
		r = wc_lvm_run("lvrename %s %s %s", p->vg, p->origin->name, p->lv);
		if (r)
			return wc_err(r, "cannot rename %s/%s back to %s: %s", p->vg,
				      p->origin->name, p->lv, wc_lvm_error());
		r = wc_pair_reload(p);
		if (r)
			return r;
	}
	if (!p->ot.skip && p->origin->skip) {
		r = wc_lvm_run("lvchange -kn %s/%s", p->vg, p->origin->name);
		if (r)
			return wc_err(r, "cannot clear activation skip of %s/%s: %s", p->vg,
				      p->origin->name, wc_lvm_error());
	}
	/* the last step: without its tags the origin is an ordinary LV again */
	if (wc_tags_deltag_args(p->origin->tags, args, sizeof(args)))
		return wc_err(WC_EFAIL, "tag list too long");
	r = wc_lvm_run("lvchange%s %s/%s", args, p->vg, p->origin->name);
	if (r)
		return wc_err(r, "cannot remove the tags of %s/%s: %s", p->vg, p->origin->name,
			      wc_lvm_error());
	return 0;
}

/*
 * A cachevol left tagged after its origin was restored (should not
 * happen): restore it. *@found tells whether there was one.
 */
static int leftover_cachevol(struct wc_opts *o, struct wc_pair *p, int *found)
{
	char err[WC_ERR_MAX];
	int i;

	*found = 0;
	if (!p->origin)
		return 0;
	for (i = 0; i < p->nlvs; i++) {
		struct wc_tags t;

		if (wc_tags_parse(p->lvs[i].tags, &t, err, sizeof(err)) ||
		    t.role != WC_ROLE_CACHEVOL || strcmp(t.origin_uuid, p->origin->uuid))
			continue;
		p->cache = &p->lvs[i];
		p->ct = t;
		p->ot.skip = p->origin->skip;
		wc_info("finishing the restore of cachevol %s/%s", p->vg, p->cache->name);
		*found = 1;
		return restore(o, p);
	}
	return 0;
}

int wc_split_cancel(struct wc_pair *p)
{
	char target[32], params[4096];
	struct wc_table tb;
	uint64_t sectors;
	int r, mapped;

	switch (wc_pair_state(p)) {
	case WC_ST_ATTACHED:
		printf("%s/%s is not being split; nothing to cancel\n", p->vg, p->lv);
		return 0;
	case WC_ST_SPLITTING:
		break;
	case WC_ST_DETACHED:
		return wc_err(WC_EREFUSED, "the split of %s/%s has already flushed the cache and removed the mapping; finish it with 'wcachectl split %s/%s' (or 'wcachectl activate %s/%s') and attach again",
			      p->vg, p->lv, p->vg, p->lv, p->vg, p->lv);
	default:
		return wc_err(WC_EREFUSED, "%s/%s is being attached (state %s), not split",
			      p->vg, p->lv, wc_state_name(p->ot.state));
	}
	/* the mapping in normal mode, loaded or reloaded; then the state */
	r = wc_pair_mapped(p, &mapped, NULL, &tb);
	if (r)
		return r;
	if (!mapped) {
		r = wc_pair_map(p, 0);
		if (r)
			return r;
	} else if (tb.cleaner || p->ot.target == WC_TARGET_WRITECACHE) {
		/* writecache does not show a cleaner set by message in its table */
		r = wc_pair_table(p, 0, target, sizeof(target), params, sizeof(params), &sectors);
		if (r)
			return r;
		if (wc_dm_reload(p->dm_name, sectors, target, params))
			return wc_err(WC_EDM, "cannot switch %s out of cleaner mode", p->dm_name);
	}
	r = wc_pair_set_state(p, WC_ST_ATTACHED);
	if (r)
		return r;
	printf("%s/%s: split cancelled; the cache is in use again\n", p->vg, p->lv);
	return 0;
}

int cmd_split(struct wc_opts *o)
{
	struct wc_pair p;
	struct wc_status st;
	int r, mapped, found, had_cache, clean;

	r = wc_lock();
	if (r)
		return r;
	r = wc_pair_load(o->vg, o->lv, &p);
	if (r)
		goto out;
	if (p.ot.role != WC_ROLE_ORIGIN) {
		r = leftover_cachevol(o, &p, &found);
		if (!r && !found)
			r = wc_err(WC_ENOENT, "%s/%s is not a cached LV", o->vg, o->lv);
		goto out;
	}
	if (o->cancel) {
		r = wc_split_cancel(&p);
		goto out;
	}
	had_cache = p.cache != NULL;
	/* the mapping needs the renamed origin: before the rename nothing was cached */
	if (wc_pair_state(&p) == WC_ST_ATTACHING) {
		wc_info("%s/%s: attach did not get to use the cache; rolling it back", o->vg, o->lv);
		r = restore(o, &p);
		goto done;
	}
	if (p.ot.state != WC_ST_DETACHED) {
		if (!p.cache) {
			if (!o->force) {
				r = wc_err(WC_EREFUSED, "the cachevol of %s/%s (uuid %s) is missing: the dirty data it held would be lost and the origin may be inconsistent; --force accepts that",
					   o->vg, o->lv, p.ot.cachevol_uuid);
				goto out;
			}
			wc_warn("--force: dropping a missing cachevol; whatever it held that was not written back is lost and the origin may be inconsistent");
			r = wc_pair_mapped(&p, &mapped, NULL, NULL);
			if (r)
				goto out;
			if (mapped && wc_dm_remove(p.dm_name)) {
				r = wc_err(WC_EDM, "cannot remove the mapping %s", p.dm_name);
				goto out;
			}
			r = wc_pair_set_state(&p, WC_ST_DETACHED);
			if (r)
				goto out;
		}
	}
	if (p.ot.state != WC_ST_DETACHED) {
		struct wc_dm_info info;

		if (!wc_dm_info(p.dm_name, &info) && info.exists && info.open_count) {
			r = wc_err(WC_EREFUSED, "%s/%s is in use (open %d times); unmount it before split",
				   o->vg, o->lv, info.open_count);
			goto out;
		}
		r = wc_pair_map(&p, 1);
		clean = 0;
		if (r == WC_ENOTARGET && p.ot.target == WC_TARGET_WCACHE) {
			/* no module: nothing to flush if the cache is clean (offline.c) */
			r = wc_offline_split_check(&p);
			clean = !r;
		}
		if (r && o->force) {
			char reason[WC_ERR_MAX];

			/* only a cache the kernel refuses may be given up */
			if (r == WC_ENOTARGET) {
				r = wc_err(WC_EREFUSED, "the %s target is missing, but the cache of %s/%s is not broken: --force does not give up its dirty data. Load the module (build it for this kernel) and run split again, or write the dirty data back without the target: 'wcachectl writeback --offline %s/%s'",
					   wc_target_name(p.ot.target), o->vg, o->lv, o->vg, o->lv);
				goto out;
			}
			if (r != WC_EDM ||
			    wc_pair_refusal(&p, reason, sizeof(reason)) != WC_REFUSAL_METADATA) {
				r = wc_err(WC_EREFUSED, "the cache of %s/%s cannot be loaded (%s), but the kernel did not refuse its metadata: --force does not give up its dirty data. Fix the cause and run split again, or write the data back with 'wcachectl writeback --offline %s/%s'",
					   o->vg, o->lv, r == WC_EDM ? reason : wc_last_error(),
					   o->vg, o->lv);
				goto out;
			}
			wc_warn("the kernel refuses the cache of %s/%s: %s", o->vg, o->lv, reason);
		}
		if (r && !o->force)
			goto out;
		mapped = !r && !clean;
		if (!mapped && !clean)
			wc_warn("--force: the mapping cannot be loaded; dirty data in the cache is lost");
		if (mapped) {
			r = wc_pair_mapped(&p, &mapped, &st, NULL);
			if (r)
				goto out;
			if (st.error && !o->force) {
				r = wc_err(WC_EREFUSED, "the cache of %s/%s reports error %lld; %llu dirty blocks cannot be written back (--force drops them)",
					   o->vg, o->lv, (long long)st.error,
					   (unsigned long long)st.dirty_blocks);
				goto out;
			}
			r = wc_pair_set_state(&p, WC_ST_SPLITTING);
			if (r)
				goto out;
			if (!st.error) {
				r = drain(o, &p);
				if (r)
					goto out;
			} else {
				wc_warn("--force: dropping %llu dirty blocks of %s/%s (cache error %lld)",
					(unsigned long long)st.dirty_blocks, o->vg, o->lv,
					(long long)st.error);
			}
			r = wc_pair_unmap(&p);
			if (r)
				goto out;
		}
		r = wc_pair_set_state(&p, WC_ST_DETACHED);
		if (r)
			goto out;
	}
	r = restore(o, &p);
done:
	if (!r)
		printf("%s/%s is no longer cached; cachevol %s\n", o->vg, o->lv,
		       !had_cache ? "was missing" : o->uncache ? "removed" : "kept (inactive)");
out:
	wc_pair_free(&p);
	return r;
}
