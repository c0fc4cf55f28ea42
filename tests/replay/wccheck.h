/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wcache crash-point check built into replay-log (--wcache): doing the
 * device-mapper work in-process with libdevmapper instead of one dmsetup
 * process per step makes a point cost ~0.1 s instead of seconds under TCG.
 *
 * At a crash point the replayed image R holds origin (first osect sectors)
 * and cache (the next csect sectors).  The check
 *   - puts a transient dm-snapshot over R (COW on a scratch device), so that
 *     loading the target, which writes, leaves R as replayed;
 *   - optionally applies a random subset of the entries logged after the
 *     point and before the next FLUSH/FUA (a volatile cache that kept some);
 *   - carves origin and cache with dm-linear, loads "wcache s o c 4096 0":
 *     it must load, and report error 0;
 *   - checks every block through the target (replay-stamp's rules);
 *   - every Nth point: writeback message, 0 dirty, remove, check the bare
 *     origin, load again and check again.
 * Test code: everything is static in this header (libdevmapper helpers:
 * dmtest.c).
 */
#ifndef REPLAY_WCCHECK_H
#define REPLAY_WCCHECK_H

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <libdevmapper.h>
#include "dmtest.h"
#include "stamp.h"

struct wccfg {
	const char *cow;	/* scratch device for the snapshot */
	const char *journal;	/* replay-stamp journal */
	const char *work;	/* directory for device nodes */
	uint64_t osect, csect;	/* origin and cache sizes in sectors */
	uint64_t blocks;	/* stamped blocks */
	unsigned int subset;	/* percent of post-point entries applied */
	unsigned int drain;	/* drain check every N points, 0 = never */
	unsigned int bs;	/* wcache block size */
	uint64_t drains;	/* drain checks done */
};

#include <time.h>

static int wc_profile;

static void wc_t(const char *what)
{
	static struct timespec last;
	struct timespec now;

	if (!wc_profile)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (what)
		fprintf(stderr, "  %-10s %6.1f ms\n", what,
			(now.tv_sec - last.tv_sec) * 1e3 +
			(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

/* no udev; libdevmapper errors to stderr; RP_PROFILE: time each step */
static void wc_init(void)
{
	dmt_init(false, true);
	wc_profile = getenv("RP_PROFILE") != NULL;
}

/* Create NAME with one target; make a node WORK/NAME; 0 on success. */
static int wc_create(const struct wccfg *c, const char *name, uint64_t len,
		     const char *type, const char *params, char *node,
		     size_t nodelen)
{
	dev_t dev;

	if (dmt_create(name, len, type, params, &dev))
		return -1;
	snprintf(node, nodelen, "%s/%s", c->work, name);
	return dmt_mknod(node, dev);
}

static int wc_remove(const struct wccfg *c, const char *name)
{
	char node[256];

	snprintf(node, sizeof(node), "%s/%s", c->work, name);
	unlink(node);
	return dmt_remove(name);
}

static void wc_cleanup(const struct wccfg *c)
{
	static const char *const names[] = { "rp-cw", "rp-co", "rp-cc",
					     "rp-snap" };
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (dmt_exists(names[i]))
			wc_remove(c, names[i]);
}

static int wc_fail(const struct wccfg *c, const char *why, const char *st)
{
	fprintf(stderr, "crash point: %s%s%s\n", why, st ? "; status: " : "",
		st ? st : "");
	wc_cleanup(c);
	return 1;
}

/*
 * One crash point.  DEV_PATH is the replayed image (R), ACKED the
 * acknowledged generation, EXTRA/NEXTRA the entries that may be added
 * (applied by APPLY_FN with the subset probability).
 */
static int wc_point(struct wccfg *c, const char *dev_path, uint64_t point,
		    uint64_t acked, int (*apply_fn)(void *, const char *),
		    void *apply_arg)
{
	char params[1024], snap[256], onode[256], cnode[256], wnode[256];
	char st[512];
	struct stat sb;
	int rc;

	wc_t(NULL);
	wc_cleanup(c);
	wc_t("cleanup");
	snprintf(params, sizeof(params), "%s %s N 8", dev_path, c->cow);
	if (wc_create(c, "rp-snap", c->osect + c->csect, "snapshot", params,
		      snap, sizeof(snap)))
		return wc_fail(c, "cannot snapshot the image", NULL);
	wc_t("snapshot");
	if (apply_fn && apply_fn(apply_arg, snap))
		return wc_fail(c, "cannot apply the extra writes", NULL);
	if (stat(snap, &sb))
		return wc_fail(c, "snapshot node", NULL);
	snprintf(params, sizeof(params), "%u:%u 0", major(sb.st_rdev),
		 minor(sb.st_rdev));
	if (wc_create(c, "rp-co", c->osect, "linear", params, onode,
		      sizeof(onode)))
		return wc_fail(c, "cannot carve the origin", NULL);
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(sb.st_rdev),
		 minor(sb.st_rdev), c->osect);
	if (wc_create(c, "rp-cc", c->csect, "linear", params, cnode,
		      sizeof(cnode)))
		return wc_fail(c, "cannot carve the cache", NULL);
	snprintf(params, sizeof(params), "s %s %s %u 0", onode, cnode, c->bs);
	if (wc_create(c, "rp-cw", c->osect, "wcache", params, wnode,
		      sizeof(wnode)))
		return wc_fail(c, "the target refused to load the image", NULL);
	wc_t("carve+load");
	if (dmt_simple(DM_DEVICE_STATUS, "rp-cw", NULL, st, sizeof(st)) ||
	    dmt_field(st, 1) != 0)
		return wc_fail(c, "error reported after load", st);
	rc = do_check(wnode, c->journal, c->blocks, acked, 0, 1);
	wc_t("check");
	if (rc)
		return wc_fail(c, "bad data through the target", st);
	if (c->drain && point % c->drain == 0) {
		c->drains++;
		if (dmt_simple(DM_DEVICE_TARGET_MSG, "rp-cw", "writeback", NULL, 0))
			return wc_fail(c, "writeback message failed", NULL);
		/* the drain runs in the background: status field 20 is 1 */
		for (int i = 0; i < 3000; i++) {
			if (dmt_simple(DM_DEVICE_STATUS, "rp-cw", NULL, st, sizeof(st)))
				return wc_fail(c, "no status during writeback", NULL);
			if (dmt_field(st, 20) != 1)
				break;
			nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
		}
		if (dmt_simple(DM_DEVICE_STATUS, "rp-cw", NULL, st, sizeof(st)) ||
		    dmt_field(st, 1) != 0 || dmt_field(st, 5) != 0)
			return wc_fail(c, "dirty blocks or error after writeback",
				       st);
		if (wc_remove(c, "rp-cw"))
			return wc_fail(c, "cannot remove the target", NULL);
		if (do_check(onode, c->journal, c->blocks, acked, 0, 1))
			return wc_fail(c, "bad data on the bare origin after drain",
				       st);
		snprintf(params, sizeof(params), "s %s %s %u 0", onode, cnode,
			 c->bs);
		if (wc_create(c, "rp-cw", c->osect, "wcache", params, wnode,
			      sizeof(wnode)))
			return wc_fail(c, "the target refused a second load", NULL);
		if (do_check(wnode, c->journal, c->blocks, acked, 0, 1))
			return wc_fail(c, "bad data after the second load", st);
	}
	wc_t("drain");
	wc_cleanup(c);
	wc_t("teardown");
	return 0;
}

#endif /* REPLAY_WCCHECK_H */
