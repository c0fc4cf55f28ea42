// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl writeback --offline VG/LV | --cache PATH --origin PATH: write
 * every dirty block the kernel would load back to the origin, without the
 * kernel module, then mark the cache clean.
 *
 *   1. load the cache with the kernel's rules (tools/wcformat.c); refuse a
 *      cache whose metadata the kernel would refuse, unless --force (then
 *      salvage what the good sectors describe);
 *   2. copy each dirty block to the origin, sorted by origin block; a block
 *      that cannot be read is reported and skipped;
 *   3. fsync the origin;
 *   4. only then free the entries: first every entry that is not the
 *      current version of its block (so that what is left always resolves
 *      to the same data), flush; then the written-back ones, flush; then
 *      record every seq seen as durable in the superblock.
 *
 * Killed at any point and run again, it writes the same data again (the
 * cache is unchanged until the origin is flushed, and each metadata step
 * leaves a cache whose load gives the same or a smaller dirty set with the
 * same data) and ends with the same origin and a clean cache.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "offline.h"

static const struct wc_offopt wb_opts[] = {
	{ "offline", 0, 0, NULL, "write back without the kernel module (required)" },
	{ "cache", 0, 1, "PATH", "the cache device or image file" },
	{ "origin", 0, 1, "PATH", "the origin device or image file" },
	{ "force", 'f', 0, NULL, "salvage a cache the kernel would refuse; mark clean despite unreadable blocks" },
	{ NULL, 0, 0, NULL, NULL },
};

#define WB_USAGE	"writeback --offline VG/LV | --offline --cache PATH --origin PATH [--force]"
#define WB_HELP		"write a cache's dirty blocks back without the kernel module, then mark it clean"

struct progress {
	int tty;
	uint64_t total, bs;
	double t0, last;
	int last_pct;
};

static void progress(struct progress *p, uint64_t done, int final)
{
	double t = wc_now(), rate, frac = p->total ? (double)done / p->total : 1.0;
	char sz[32], rt[32], eta[16];
	int i, w = 30, fill = (int)(frac * w + 0.5), pct = (int)(frac * 100);

	if (!final && (p->tty ? t - p->last < 0.25 : pct / 10 == p->last_pct / 10))
		return;
	p->last = t;
	p->last_pct = pct;
	rate = t > p->t0 ? done / (t - p->t0) : 0;
	wc_human_size((p->total - done) * p->bs, sz, sizeof(sz));
	wc_human_size((uint64_t)(rate * p->bs), rt, sizeof(rt));
	wc_fmt_eta(rate > 0 ? (p->total - done) / rate : INFINITY, eta, sizeof(eta));
	if (p->tty) {
		printf("\rwriting back [");
		for (i = 0; i < w; i++)
			putchar(i < fill ? '#' : '.');
		printf("] %3d%% %llu/%llu blocks (%s left), %s/s, ETA %s  ", pct,
		       (unsigned long long)done, (unsigned long long)p->total, sz, rt, eta);
		if (final)
			putchar('\n');
	} else {
		printf("writing back: %3d%% %llu/%llu blocks (%s left), %s/s, ETA %s\n", pct,
		       (unsigned long long)done, (unsigned long long)p->total, sz, rt, eta);
	}
	fflush(stdout);
}

static void step(const char *what)
{
	wc_step_done(what);
}

#define UNREADABLE_LIST	20

int cmd_writeback(struct wc_opts *o)
{
	const char *vals[5] = { NULL, NULL, NULL, NULL, NULL }, *target;
	uint64_t i, written = 0, unreadable = 0;
	struct progress pg;
	struct wc_offline w;
	struct wcf_cache c;
	unsigned char *buf = NULL;
	int r, rc = 0, force;

	r = wc_offline_getopt(o->argc, o->argv, wb_opts, WB_USAGE, WB_HELP, vals, &target);
	if (r)
		return r < 0 ? 0 : r;
	force = vals[3] != NULL;
	if (!vals[0]) {
		fprintf(stderr, "wcachectl: writeback needs --offline (a live cache is written back by its target: 'wcachectl split')\nUsage: wcachectl %s\n",
			WB_USAGE);
		return WC_EUSAGE;
	}
	if (target ? vals[1] || vals[2] : !vals[1] || !vals[2]) {
		fprintf(stderr, "wcachectl: writeback --offline needs VG/LV, or --cache PATH and --origin PATH\nUsage: wcachectl %s\n",
			WB_USAGE);
		return WC_EUSAGE;
	}
	if (target && (target[0] == '/' || target[0] == '.' || !strchr(target, '/'))) {
		fprintf(stderr, "wcachectl: '%s' is not VG/LV; for devices and image files use --cache PATH --origin PATH\n",
			target);
		return WC_EUSAGE;
	}
	memset(&c, 0, sizeof(c));
	r = wc_offline_setup(&w, target, vals[1], vals[2], WC_OFF_WRITE | WC_OFF_ORIGIN);
	if (r) {
		rc = r;
		goto out;
	}
	w.x.writable = 1;
	r = wcf_open(&c, &w.cache.dev, &w.x);
	if (r && c.sb_state != WCF_SB_UNREADABLE) {
		rc = wc_err(WC_EFAIL, "cannot load the cache: %s", strerror(-r));
		goto out;
	}
	if (c.sb_state == WCF_SB_BLANK) {
		printf("%s: blank cache, nothing to write back\n", wc_offline_name(&w));
		goto out;
	}
	if (c.sb_state != WCF_SB_OK) {
		rc = wc_err(c.sb_state == WCF_SB_UNREADABLE ? WC_EIO : WC_EREFUSED,
			    "%s: %s; nothing can be written back without a valid superblock",
			    wc_offline_name(&w), c.sb_reason);
		goto out;
	}
	r = wcf_load(&c, &w.cache.dev);
	if (r) {
		rc = wc_err(WC_EFAIL, "cannot load the cache: %s", strerror(-r));
		goto out;
	}
	if (!c.loadable && !c.n_bad_sectors) {
		/* only data blocks that cannot be read: reported below, one by one */
		wc_warn("%s: %llu dirty blocks newer than durable_seq cannot be read to verify them (the kernel would refuse the cache); writing back the others",
			wc_offline_name(&w), (unsigned long long)c.n_unverified);
	} else if (!c.loadable) {
		if (!force) {
			rc = wc_err(WC_EREFUSED, "%s: the kernel would refuse this cache (%s; %llu metadata sectors refused, %llu data blocks unreadable); see 'wcachectl check'. --force writes back what the readable metadata describes (a block whose newest entry is lost may get an older version) and then marks the cache clean",
				    wc_offline_name(&w), c.refuse,
				    (unsigned long long)c.n_bad_sectors,
				    (unsigned long long)c.n_unverified);
			goto out;
		}
		wc_warn("--force: salvaging a cache the kernel would refuse (%s): %llu metadata sectors refused, %llu entries in them ignored",
			c.refuse, (unsigned long long)c.n_bad_sectors,
			(unsigned long long)c.n_ignored);
	}
	buf = aligned_alloc(4096, c.block_size < 4096 ? 4096 : c.block_size);
	if (!buf) {
		rc = wc_err(WC_EFAIL, "out of memory");
		goto out;
	}
	memset(&pg, 0, sizeof(pg));
	pg.tty = isatty(STDOUT_FILENO);
	pg.total = c.n_dirty;
	pg.bs = c.block_size;
	pg.t0 = wc_now();
	pg.last_pct = -100;
	printf("%s: %llu dirty blocks to write back to %s\n", wc_offline_name(&w),
	       (unsigned long long)c.n_dirty, w.origin.path);
	for (i = 0; i < c.n_dirty; i++) {
		uint64_t b = c.dirty[i];
		const struct wcf_entry *e = &c.e[b];

		progress(&pg, i, 0);
		if (e->state == WCF_E_UNVERIFIED ||
		    w.cache.dev.read(w.cache.dev.ctx, buf, wcf_block_sector(&c, b), c.block_sectors)) {
			if (unreadable++ < UNREADABLE_LIST)
				fprintf(stderr, "%swcachectl: cannot read cache block %llu (origin block %llu, origin sector %llu): not written back\n",
					pg.tty ? "\n" : "", (unsigned long long)b,
					(unsigned long long)e->oblock,
					(unsigned long long)(e->oblock * c.block_sectors));
			continue;
		}
		r = w.origin.dev.write(w.origin.dev.ctx, buf, e->oblock * c.block_sectors,
				       c.block_sectors);
		if (r) {
			rc = wc_err(WC_EIO, "cannot write origin block %llu to %s: %s; the cache is unchanged, run the command again when the origin works",
				    (unsigned long long)e->oblock, w.origin.path, strerror(-r));
			goto out;
		}
		written++;
		wc_step_done("write back one block (offline)");
	}
	progress(&pg, c.n_dirty, 1);
	/* the origin holds the data before any entry is freed */
	r = w.origin.dev.flush(w.origin.dev.ctx);
	if (r) {
		rc = wc_err(WC_EIO, "cannot flush %s: %s; the cache is unchanged", w.origin.path,
			    strerror(-r));
		goto out;
	}
	wc_step_done("flush the origin (offline)");
	if (unreadable) {
		if (unreadable > UNREADABLE_LIST)
			fprintf(stderr, "wcachectl: ... %llu unreadable blocks in all\n",
				(unsigned long long)unreadable);
		if (!force) {
			rc = wc_err(WC_EIO, "%llu of %llu dirty blocks could not be read from the cache and were not written back; the other %llu are on the origin. The cache is left as it was: run again to retry, or with --force to mark it clean anyway (the unreadable blocks keep their old contents on the origin)",
				    (unsigned long long)unreadable, (unsigned long long)c.n_dirty,
				    (unsigned long long)written);
			goto out;
		}
		wc_warn("--force: marking the cache clean; %llu unreadable blocks keep their old contents on the origin",
			(unsigned long long)unreadable);
	}
	r = wcf_clean_pass(&c, &w.cache.dev, 1, force, step);
	if (!r)
		r = wcf_clean_pass(&c, &w.cache.dev, 2, force, step);
	if (!r)
		r = wcf_mark_clean_sb(&c, &w.cache.dev);
	if (r) {
		rc = wc_err(WC_EIO, "cannot mark the cache clean: %s; the origin has the data, run the command again",
			    strerror(-r));
		goto out;
	}
	wc_step_done("mark the cache clean (offline)");
	{
		char sz[32];

		wc_human_size(written * c.block_size, sz, sizeof(sz));
		printf("%s: wrote back %llu blocks (%s) in %.1f s; the cache is clean\n",
		       wc_offline_name(&w), (unsigned long long)written, sz, wc_now() - pg.t0);
	}
	if (w.lvm)
		printf("%s: activate it again when the module is available, or 'wcachectl split %s' (nothing is dirty any more)\n",
		       wc_offline_name(&w), wc_offline_name(&w));
out:
	free(buf);
	wcf_free(&c);
	r = wc_offline_teardown(&w);
	return rc ? rc : r;
}
