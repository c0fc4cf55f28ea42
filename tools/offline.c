// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: devices of the offline commands (offline.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "offline.h"

/* ---------------------------------------------------------------------- */
/* Raw I/O */

static int o_read(void *ctx, void *buf, uint64_t sector, uint64_t count)
{
	struct wc_odev *d = ctx;
	size_t len = count * 512, done = 0;

	while (done < len) {
		ssize_t n = pread(d->fd, (char *)buf + done, len - done,
				  (off_t)(sector * 512 + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->read_errors++;
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	return 0;
}

static int o_write(void *ctx, const void *buf, uint64_t sector, uint64_t count)
{
	struct wc_odev *d = ctx;
	size_t len = count * 512, done = 0;

	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   (off_t)(sector * 512 + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->write_errors++;
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	return 0;
}

static int o_flush(void *ctx)
{
	struct wc_odev *d = ctx;

	return fsync(d->fd) ? -errno : 0;
}

/* is a block device (or the loop device over a file) held by a mapping or mounted? */
static int blk_busy(dev_t rdev, char *why, size_t len)
{
	char path[WC_PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd, busy = 0;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(rdev), minor(rdev));
	dir = opendir(path);
	if (dir) {
		while ((de = readdir(dir)))
			if (de->d_name[0] != '.') {
				snprintf(why, len, "it is held by %s", de->d_name);
				busy = 1;
				break;
			}
		closedir(dir);
	}
	if (busy)
		return 1;
	/* mounted, or opened exclusively by anything else */
	snprintf(path, sizeof(path), "/dev/block/%u:%u", major(rdev), minor(rdev));
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY) {
		snprintf(why, len, "it is in use (mounted or opened exclusively)");
		return 1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* an image file behind a loop device that is in use */
static int file_busy(const char *path, char *why, size_t len)
{
	char real[PATH_MAX], p[WC_PATH_MAX], back[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int busy = 0;

	if (!realpath(path, real))
		return 0;
	dir = opendir("/sys/block");
	if (!dir)
		return 0;
	while (!busy && (de = readdir(dir))) {
		struct stat st;
		FILE *f;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f)) {
			back[strcspn(back, "\n")] = '\0';
			snprintf(p, sizeof(p), "/dev/%s", de->d_name);
			if (!strcmp(back, real) && !stat(p, &st) && S_ISBLK(st.st_mode) &&
			    blk_busy(st.st_rdev, why, len)) {
				size_t n = strlen(why);

				snprintf(why + n, len - n, " (through %s)", p);
				busy = 1;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return busy;
}

static int odev_open(struct wc_odev *d, const char *path, int write, int live_ok)
{
	char why[WC_ERR_MAX];
	struct stat st;
	int flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	wc_strlcpy(d->path, path, sizeof(d->path));
	if (stat(path, &st))
		return wc_err(errno == ENOENT ? WC_ENOENT : WC_EIO, "cannot open %s: %s", path,
			      strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return wc_err(WC_EUSAGE, "%s is neither a block device nor a file", path);
	d->is_blk = S_ISBLK(st.st_mode);
	why[0] = '\0';
	if (d->is_blk ? blk_busy(st.st_rdev, why, sizeof(why)) : file_busy(path, why, sizeof(why))) {
		if (write || !live_ok)
			return wc_err(WC_EREFUSED, "%s is live: %s. Remove the mapping first (or, for check and dump of a mapping known not to change, use --read-only)",
				      path, why);
		wc_warn("%s is live (%s); reading it anyway (--read-only)", path, why);
	} else if (d->is_blk) {
		/* keep others from mapping it while it is written to */
		if (write)
			flags |= O_EXCL;
	}
	if (d->is_blk)
		flags |= O_DIRECT;
	d->fd = open(path, flags);
	if (d->fd < 0)
		return wc_err(errno == EBUSY ? WC_EREFUSED : WC_EIO, "cannot open %s: %s", path,
			      strerror(errno));
	if (d->is_blk) {
		int lbs = 512;

		if (ioctl(d->fd, BLKGETSIZE64, &d->bytes) || ioctl(d->fd, BLKSSZGET, &lbs))
			return wc_err(WC_EIO, "cannot get the size of %s: %s", path,
				      strerror(errno));
		d->lbs = lbs;
	} else {
		d->bytes = st.st_size;
		d->lbs = 512;
	}
	d->dev.read = o_read;
	d->dev.write = o_write;
	d->dev.flush = o_flush;
	d->dev.ctx = d;
	d->dev.sectors = d->bytes / 512;
	d->dev.lbs = d->lbs;
	return 0;
}

static void odev_close(struct wc_odev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* ---------------------------------------------------------------------- */
/* The LVM form */

static int lv_path(struct wc_pair *p, struct wc_lv *l, char *buf, size_t len)
{
	char name[WC_DM_NAME_MAX];

	if (wc_dm_lv_name(p->vg, l->name, name, sizeof(name)))
		return wc_err(WC_EUSAGE, "%s/%s: name too long", p->vg, l->name);
	snprintf(buf, len, "/dev/mapper/%s", name);
	return 0;
}

static int lv_up(struct wc_pair *p, struct wc_lv *l, int *activated)
{
	int r;

	*activated = 0;
	if (l->active)
		return 0;
	/* the origin carries the cached filesystem: keep udev and systemd off it */
	wc_pair_hide(p, l, 1);
	r = wc_lvm_run("lvchange -ay -K %s/%s", p->vg, l->name);
	if (r)
		return wc_err(r, "cannot activate %s/%s: %s", p->vg, l->name, wc_lvm_error());
	wc_step_done("activate LV (offline)");
	*activated = 1;
	l->active = 1;
	return 0;
}

static int lv_down(struct wc_pair *p, struct wc_lv *l)
{
	int r = wc_lvm_run("lvchange -an %s/%s", p->vg, l->name);

	if (r)
		return wc_err(r, "cannot deactivate %s/%s: %s", p->vg, l->name, wc_lvm_error());
	l->active = 0;
	return 0;
}

static int setup_lvm(struct wc_offline *w, const char *target, unsigned int flags)
{
	char vg[WC_NAME_MAX + 1], lv[WC_NAME_MAX + 1], path[WC_PATH_MAX];
	struct wc_pair *p = &w->pair;
	int r, mapped;

	if (wc_split_vglv(target, vg, lv))
		return wc_err(WC_EUSAGE, "'%s' is neither VG/LV nor an existing device or file", target);
	if (geteuid() != 0)
		return wc_err(WC_EPERM, "VG/LV needs root privileges (LVM)");
	w->lvm = 1;
	r = wc_pair_load_cached(vg, lv, p);
	if (r)
		return r;
	if (p->ot.target != WC_TARGET_WCACHE)
		return wc_err(WC_EREFUSED, "%s/%s uses the %s target; the offline tools read dm-wcache caches only",
			      vg, lv, wc_target_name(p->ot.target));
	if (!p->cache)
		return wc_err(WC_EREFUSED, "the cachevol of %s/%s (LV uuid %s) is missing",
			      vg, lv, p->ot.cachevol_uuid);
	if (p->ot.state == WC_ST_ATTACHING ||
	    (p->ot.state == WC_ST_WIPED && !strcmp(p->origin->name, p->lv)))
		return wc_err(WC_EREFUSED, "the attach of %s/%s did not finish: nothing was cached yet",
			      vg, lv);
	if (p->ot.state == WC_ST_DETACHED)
		return wc_err(WC_EREFUSED, "%s/%s was split (its cache was flushed); run 'wcachectl split %s/%s' to finish",
			      vg, lv, vg, lv);
	r = wc_pair_mapped(p, &mapped, NULL, NULL);
	if (r)
		return r;
	r = mapped;
	if (r == 1 && (!(flags & WC_OFF_LIVE_OK) || (flags & WC_OFF_WRITE)))
		return wc_err(WC_EREFUSED, "%s/%s is mapped and live (%s): %s. Deactivate it first%s",
			      vg, lv, p->dm_name,
			      flags & WC_OFF_WRITE ? "the target owns its cache" :
			      "its metadata changes while it runs",
			      flags & WC_OFF_WRITE ? " ('wcachectl deactivate'), or use 'wcachectl split' while the module is loaded" :
			      ", or use --read-only if it cannot change (suspended or read-only)");
	if (r == 1)
		wc_warn("%s/%s is live; reading its cache anyway (--read-only)", vg, lv);
	if (wcf_parse_hex16(p->ot.uuid, w->uuid) == 0)
		w->x.origin_uuid = w->uuid;
	w->x.block_size = p->ot.block_size;
	w->x.origin_sectors = p->origin->size / 512;
	w->x.writable = 1;	/* the tables wcachectl loads are writable */
	r = lv_up(p, p->cache, &w->act_cache);
	if (!r && (flags & WC_OFF_ORIGIN))
		r = lv_up(p, p->origin, &w->act_origin);
	if (r)
		return r;
	r = lv_path(p, p->cache, path, sizeof(path));
	if (!r)
		r = odev_open(&w->cache, path, flags & WC_OFF_WRITE, flags & WC_OFF_LIVE_OK);
	if (r || !(flags & WC_OFF_ORIGIN))
		return r;
	r = lv_path(p, p->origin, path, sizeof(path));
	if (!r)
		r = odev_open(&w->origin, path, flags & WC_OFF_WRITE, 0);
	if (!r)
		w->has_origin = 1;
	return r;
}

int wc_offline_setup(struct wc_offline *w, const char *target, const char *cache,
		     const char *origin, unsigned int flags)
{
	struct stat st;
	int r;

	memset(w, 0, sizeof(*w));
	w->cache.fd = w->origin.fd = -1;
	if (target && (cache || origin))
		return wc_err(WC_EUSAGE, "give VG/LV or --cache and --origin, not both");
	/* a path (absolute, relative, or any existing file): the cache device */
	if (target && (target[0] == '/' || target[0] == '.' || !strchr(target, '/') ||
		       !stat(target, &st))) {
		cache = target;
		target = NULL;
	}
	if (target)
		return setup_lvm(w, target, flags);
	if (!cache)
		return wc_err(WC_EUSAGE, "no cache device: give DEVICE, --cache PATH or VG/LV");
	if ((flags & WC_OFF_ORIGIN) && !origin)
		return wc_err(WC_EUSAGE, "--cache needs --origin PATH");
	r = odev_open(&w->cache, cache, flags & WC_OFF_WRITE, flags & WC_OFF_LIVE_OK);
	if (r)
		return r;
	if (origin) {
		r = odev_open(&w->origin, origin, flags & WC_OFF_WRITE, 0);
		if (r)
			return r;
		if (w->origin.is_blk == w->cache.is_blk && !stat(cache, &st)) {
			struct stat so;

			if (!stat(origin, &so) &&
			    (w->cache.is_blk ? st.st_rdev == so.st_rdev :
			     st.st_ino == so.st_ino && st.st_dev == so.st_dev))
				return wc_err(WC_EUSAGE, "the origin and the cache are the same device");
		}
		w->has_origin = 1;
		/* the table could be no longer than the origin device */
		w->x.origin_min_sectors = w->origin.bytes / 512;
	}
	return 0;
}

int wc_offline_load(const char *command, const char *usage, const char *target,
		    unsigned int flags, struct wc_offline *w, struct wcf_cache *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (!target) {
		fprintf(stderr, "wcachectl: %s needs DEVICE or VG/LV\nUsage: wcachectl %s\n",
			command, usage);
		return WC_EUSAGE;
	}
	r = wc_offline_setup(w, target, NULL, NULL, flags);
	if (!r)
		r = wcf_open(c, &w->cache.dev, w->lvm ? &w->x : NULL);
	if (!r)
		r = wcf_load(c, &w->cache.dev);
	if (r == -12)
		r = wc_err(WC_EFAIL, "out of memory");
	else if (r < 0)
		r = 0;	/* the cache's own faults are in c: the caller reports them */
	if (r) {
		wcf_free(c);
		wc_offline_teardown(w);
	}
	return r;
}

int wc_offline_teardown(struct wc_offline *w)
{
	int r = 0, r1;

	odev_close(&w->cache);
	odev_close(&w->origin);
	if (w->lvm) {
		if (w->act_origin) {
			r1 = lv_down(&w->pair, w->pair.origin);
			r = r ? r : r1;
		}
		if (w->act_cache) {
			r1 = lv_down(&w->pair, w->pair.cache);
			r = r ? r : r1;
		}
		wc_pair_free(&w->pair);
	}
	return r;
}

const char *wc_offline_name(const struct wc_offline *w)
{
	static char buf[2 * WC_NAME_MAX + 2];

	if (!w->lvm)
		return w->cache.path;
	snprintf(buf, sizeof(buf), "%s/%s", w->pair.vg, w->pair.lv);
	return buf;
}

void wc_offline_hint(const char *vg, const char *lv, char *buf, size_t len)
{
	snprintf(buf, len, "wcachectl writeback --offline %s/%s", vg, lv);
}

int wc_offline_pair_dirty(struct wc_pair *p, uint64_t *dirty, int *loadable)
{
	char path[WC_PATH_MAX];
	struct wc_odev d;
	struct wcf_cache c;
	struct wcf_expect x;
	uint8_t uuid[16];
	int act = 0, r, r1;

	*dirty = 0;
	*loadable = 0;
	if (!p->cache)
		return wc_err(WC_EREFUSED, "the cachevol of %s/%s is missing", p->vg, p->lv);
	memset(&x, 0, sizeof(x));
	if (wcf_parse_hex16(p->ot.uuid, uuid) == 0)
		x.origin_uuid = uuid;
	x.block_size = p->ot.block_size;
	x.origin_sectors = p->origin->size / 512;
	x.writable = 1;
	r = lv_up(p, p->cache, &act);
	if (r)
		return r;
	r = lv_path(p, p->cache, path, sizeof(path));
	if (!r)
		r = odev_open(&d, path, 0, 0);
	if (!r) {
		memset(&c, 0, sizeof(c));
		r = wcf_open(&c, &d.dev, &x);
		if (!r)
			r = wcf_load(&c, &d.dev);
		if (r)
			r = wc_err(WC_EIO, "cannot read the cache of %s/%s: %s", p->vg, p->lv,
				   strerror(-r));
		else if (c.sb_state == WCF_SB_OK || c.sb_state == WCF_SB_BLANK) {
			*dirty = c.n_dirty;
			*loadable = c.loadable;
		}
		wcf_free(&c);
		odev_close(&d);
	}
	if (act) {
		r1 = lv_down(p, p->cache);
		r = r ? r : r1;
	}
	return r;
}

void wc_offline_usage(FILE *f, const char *usage, const char *help,
		      const struct wc_offopt *opts)
{
	static const struct wc_offopt always[] = {
		{ "verbose", 'v', 0, NULL, "print every LVM and device-mapper step" },
		{ "help", 'h', 0, NULL, "this help" },
		{ NULL, 0, 0, NULL, NULL },
	};
	const struct wc_offopt *o;
	char lhs[40];
	int pass;

	fprintf(f, "Usage: wcachectl %s\n\n%s.\n\nOptions:\n", usage, help);
	for (pass = 0; pass < 2; pass++)
		for (o = pass ? always : opts; o->name; o++) {
			snprintf(lhs, sizeof(lhs), "%c%c%c --%s%s%s", o->shrt ? '-' : ' ',
				 o->shrt ? o->shrt : ' ', o->shrt ? ',' : ' ', o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
			fprintf(f, "  %-22s%s\n", lhs, o->help);
		}
}

int wc_offline_getopt(int argc, char **argv, const struct wc_offopt *opts, const char *usage,
		      const char *help, const char **vals, const char **pos)
{
	struct option lo[16];
	char shorts[40];
	int n = 0, k = 0, opt, i;

	shorts[k++] = ':';
	for (i = 0; opts[i].name && n < 13; i++, n++) {
		lo[n].name = opts[i].name;
		lo[n].has_arg = opts[i].has_arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 0x100 + i;
		if (opts[i].shrt) {
			shorts[k++] = opts[i].shrt;
			if (opts[i].has_arg)
				shorts[k++] = ':';
		}
	}
	lo[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[k++] = 'v';
	shorts[k++] = 'h';
	shorts[k] = '\0';
	*pos = NULL;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (opt == 'v') {
			wc_verbose++;
			continue;
		}
		if (opt == 'h') {
			wc_offline_usage(stdout, usage, help, opts);
			return -1;
		}
		if (opt == ':' || opt == '?') {
			fprintf(stderr, "wcachectl: %s '%s'\nUsage: wcachectl %s\n",
				opt == ':' ? "option needs a value:" : "unknown option",
				argv[optind - 1], usage);
			return WC_EUSAGE;
		}
		for (i = 0; opts[i].name; i++)
			if (opt == 0x100 + i || (opts[i].shrt && opt == opts[i].shrt))
				vals[i] = opts[i].has_arg ? optarg : "1";
	}
	if (optind < argc)
		*pos = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "wcachectl: unexpected argument '%s'\nUsage: wcachectl %s\n",
			argv[optind], usage);
		return WC_EUSAGE;
	}
	return 0;
}

int wc_offline_split_check(struct wc_pair *p)
{
	char hint[2 * WC_NAME_MAX + 64];
	uint64_t dirty;
	int loadable, r;

	wc_offline_hint(p->vg, p->lv, hint, sizeof(hint));
	r = wc_offline_pair_dirty(p, &dirty, &loadable);
	if (r)
		return r;
	if (!loadable)
		return wc_err(WC_ENOTARGET, "the dm-wcache module is missing and the cache of %s/%s fails its check ('wcachectl check %s/%s' says why); '%s --force' writes back what can be read",
			      p->vg, p->lv, p->vg, p->lv, hint);
	if (dirty)
		return wc_err(WC_ENOTARGET, "the dm-wcache module is missing and the cache of %s/%s holds %llu dirty blocks; write them back without the module with '%s', then run split again",
			      p->vg, p->lv, (unsigned long long)dirty, hint);
	wc_info("the dm-wcache module is missing; the cache of %s/%s holds no dirty data (checked without the module)",
		p->vg, p->lv);
	return 0;
}
