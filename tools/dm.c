// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: all device-mapper access, through libdevmapper.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm.h"
#include "wcachectl.h"

static void dm_log(int level, const char *file, int line, int dm_errno_or_class,
		   const char *f, ...) __attribute__((format(printf, 5, 6)));
static void dm_log(int level, const char *file, int line, int dm_errno_or_class,
		   const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno_or_class;
	/* libdevmapper levels: 3 error, 4 warn, 5 notice, 7 debug; high bits are flags */
	level &= 0x0f;
	if (level > (wc_verbose > 1 ? 7 : wc_verbose ? 5 : 3))
		return;
	va_start(ap, f);
	fprintf(stderr, "wcachectl: device-mapper: ");
	vfprintf(stderr, f, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int last_errno;

int wc_dm_errno(void)
{
	return last_errno;
}

/* the kernel's errno of a failed task */
static void failed(struct dm_task *dmt)
{
	last_errno = dm_task_get_errno(dmt);
}

void wc_dm_init(void)
{
	dm_log_with_errno_init(dm_log);
	/* libdevmapper checks itself whether udev is running */
	dm_udev_set_sync_support(1);
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

static int list_versions(const char *name, uint32_t version[3])
{
	struct dm_task *dmt = task(DM_DEVICE_LIST_VERSIONS, NULL);
	struct dm_versions *t, *last;
	int found = 0;

	if (!dmt)
		return 0;
	if (!dm_task_run(dmt)) {
		dm_task_destroy(dmt);
		return 0;
	}
	t = dm_task_get_versions(dmt);
	do {
		last = t;
		if (!strcmp(t->name, name)) {
			found = 1;
			if (version)
				memcpy(version, t->version, 3 * sizeof(uint32_t));
		}
		t = (struct dm_versions *)((char *)t + t->next);
	} while (last != t);
	dm_task_destroy(dmt);
	return found;
}

/* load dm-<name> with modprobe (quietly; absence is not an error here) */
static void load_module(const char *name)
{
	char mod[64];
	pid_t pid;
	int st;

	snprintf(mod, sizeof(mod), "dm-%s", name);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		char *const argv[] = { "modprobe", "-q", mod, NULL };

		execv("/sbin/modprobe", argv);
		execv("/usr/sbin/modprobe", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int wc_dm_target_present(const char *name, uint32_t version[3])
{
	if (list_versions(name, version))
		return 1;
	load_module(name);
	return list_versions(name, version);
}

int wc_dm_info(const char *name, struct wc_dm_info *info)
{
	struct dm_task *dmt = task(DM_DEVICE_INFO, name);
	struct dm_info di;
	const char *uuid;
	uint64_t start, length;
	char *type, *params;
	int r = WC_EDM;

	memset(info, 0, sizeof(*info));
	if (!dmt)
		return WC_EDM;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &di))
		goto out;
	r = 0;
	if (!di.exists)
		goto out;
	info->exists = 1;
	info->suspended = di.suspended;
	info->open_count = di.open_count;
	info->read_only = di.read_only;
	info->major = di.major;
	info->minor = di.minor;
	uuid = dm_task_get_uuid(dmt);
	if (uuid)
		wc_strlcpy(info->uuid, uuid, sizeof(info->uuid));
	dm_task_destroy(dmt);

	/* size of the live table */
	dmt = task(DM_DEVICE_TABLE, name);
	if (!dmt)
		return WC_EDM;
	if (dm_task_run(dmt)) {
		void *next = NULL;

		do {
			next = dm_get_next_target(dmt, next, &start, &length, &type, &params);
			info->sectors += length;
		} while (next);
	}
out:
	dm_task_destroy(dmt);
	return r;
}

static int add_target(struct dm_task *dmt, uint64_t sectors, const char *target,
		      const char *params)
{
	return dm_task_add_target(dmt, 0, sectors, target, params);
}

int wc_dm_read_only;

int wc_dm_create(const char *name, const char *uuid, uint64_t sectors,
		 const char *target, const char *params)
{
	struct dm_task *dmt = task(DM_DEVICE_CREATE, name);
	uint32_t cookie = 0;
	int ok;

	if (!dmt)
		return WC_EDM;
	last_errno = 0;
	wc_debug("dm create %s uuid %s: 0 %llu %s %s%s", name, uuid,
		 (unsigned long long)sectors, target, params,
		 wc_dm_read_only ? " (read-only)" : "");
	ok = (!uuid || dm_task_set_uuid(dmt, uuid)) &&
	     (!wc_dm_read_only || dm_task_set_ro(dmt)) &&
	     add_target(dmt, sectors, target, params) &&
	     dm_task_set_cookie(dmt, &cookie, 0) &&
	     dm_task_run(dmt);
	if (!ok)
		failed(dmt);
	if (cookie)
		dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	if (ok)
		wc_step_done("dm create");
	return ok ? 0 : WC_EDM;
}

static int simple(int type, const char *name, int flush)
{
	struct dm_task *dmt = task(type, name);
	uint32_t cookie = 0;
	int ok;

	if (!dmt)
		return WC_EDM;
	if (!flush)
		dm_task_no_flush(dmt);
	/* udev's blkid may hold a just-created device open for a moment */
	if (type == DM_DEVICE_REMOVE && !dm_task_retry_remove(dmt)) {
		dm_task_destroy(dmt);
		return WC_EDM;
	}
	if (type == DM_DEVICE_REMOVE || type == DM_DEVICE_RESUME)
		ok = dm_task_set_cookie(dmt, &cookie, 0) && dm_task_run(dmt);
	else
		ok = dm_task_run(dmt);
	if (!ok)
		failed(dmt);
	if (cookie)
		dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	return ok ? 0 : WC_EDM;
}

int wc_dm_load(const char *name, uint64_t sectors, const char *target,
	       const char *params)
{
	struct dm_task *dmt = task(DM_DEVICE_RELOAD, name);
	int ok;

	if (!dmt)
		return WC_EDM;
	wc_debug("dm load %s: 0 %llu %s %s", name, (unsigned long long)sectors,
		 target, params);
	ok = add_target(dmt, sectors, target, params) && dm_task_run(dmt);
	if (!ok)
		failed(dmt);
	dm_task_destroy(dmt);
	return ok ? 0 : WC_EDM;
}

/*
 * While a device is suspended, a page fault of this process that needs
 * I/O on it (swap on the cached LV, or a page of wcachectl itself read
 * from it) would wait forever: keep all our memory locked, as LVM does.
 */
static int lock_memory(void)
{
	if (!mlockall(MCL_CURRENT | MCL_FUTURE))
		return 1;
	wc_warn("cannot lock wcachectl's memory (%s); suspending anyway", strerror(errno));
	return 0;
}

/* the live table of a one-target device: its length, type and parameters */
static int live_table(const char *name, uint64_t *len, char *type, size_t tlen,
		      char **params)
{
	struct dm_task *dmt = task(DM_DEVICE_TABLE, name);
	uint64_t start = 0;
	char *ttype = NULL, *p = NULL;
	int r = WC_EDM;

	*params = NULL;
	if (!dmt)
		return WC_EDM;
	if (dm_task_run(dmt) &&
	    !dm_get_next_target(dmt, NULL, &start, len, &ttype, &p) && ttype && !start) {
		wc_strlcpy(type, ttype, tlen);
		*params = strdup(p ? p : "");
		r = *params ? 0 : WC_EFAIL;
	}
	dm_task_destroy(dmt);
	return r;
}

/*
 * Swap in the inactive table: suspend (with flush), resume. A resume that
 * fails has already made the new table live (the kernel destroys the old
 * one at the swap), and the device stays suspended: every I/O on it would
 * wait for ever. So the old table is loaded again and resumed; if even that
 * fails (the cache device itself fails), the device gets an error table, so
 * that I/O fails instead of hanging: the dirty data stays in the cache for
 * the next activation. Returns 0 only when the new table is live.
 */
int wc_dm_swap(const char *name)
{
	char old_type[64], *old = NULL;
	uint64_t len = 0;
	int r, locked, have_old;

	wc_debug("dm suspend+resume %s", name);
	have_old = !live_table(name, &len, old_type, sizeof(old_type), &old);
	locked = lock_memory();
	r = simple(DM_DEVICE_SUSPEND, name, 1);
	if (r)
		goto out;
	r = simple(DM_DEVICE_RESUME, name, 1);
	if (r) {
		wc_warn("resume of %s failed; trying again", name);
		r = simple(DM_DEVICE_RESUME, name, 1);
	}
	if (r && have_old) {
		wc_warn("resume of %s with the new table failed; resuming the previous table", name);
		if (!wc_dm_load(name, len, old_type, old) && !simple(DM_DEVICE_RESUME, name, 1))
			goto out;
	}
	if (r && len) {
		wc_warn("%s cannot be resumed with any cache table: it now fails every I/O instead of hanging. The dirty data stays in the cache; fix the cause (see the kernel log), then deactivate and activate it again",
			name);
		if (!wc_dm_load(name, len, "error", "") && !simple(DM_DEVICE_RESUME, name, 1))
			goto out;
	}
	if (r)
		wc_warn("%s stays suspended: 'dmsetup resume %s' once the cause is fixed",
			name, name);
out:
	if (!r)
		wc_step_done("dm swap");
	if (locked)
		munlockall();
	free(old);
	return r;
}

int wc_dm_clear(const char *name)
{
	return simple(DM_DEVICE_CLEAR, name, 1);
}

int wc_dm_reload(const char *name, uint64_t sectors, const char *target,
		 const char *params)
{
	int r = wc_dm_load(name, sectors, target, params);

	return r ? r : wc_dm_swap(name);
}

int wc_dm_remove(const char *name)
{
	int r;

	wc_debug("dm remove %s", name);
	r = simple(DM_DEVICE_REMOVE, name, 1);
	if (!r)
		wc_step_done("dm remove");
	return r;
}

int wc_dm_rename(const char *name, const char *newname)
{
	struct dm_task *dmt = task(DM_DEVICE_RENAME, name);
	uint32_t cookie = 0;
	int ok;

	if (!dmt)
		return WC_EDM;
	wc_debug("dm rename %s %s", name, newname);
	ok = dm_task_set_newname(dmt, newname) && dm_task_set_cookie(dmt, &cookie, 0) &&
	     dm_task_run(dmt);
	if (!ok)
		failed(dmt);
	if (cookie)
		dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	if (ok)
		wc_step_done("dm rename");
	return ok ? 0 : WC_EDM;
}

int wc_dm_name_of_uuid(const char *uuid, char *name, size_t len, int *found)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info di;
	const char *n;
	int r = WC_EDM;

	*found = 0;
	if (!dmt)
		return WC_EDM;
	if (dm_task_set_uuid(dmt, uuid) && dm_task_run(dmt) && dm_task_get_info(dmt, &di)) {
		r = 0;
		n = di.exists ? dm_task_get_name(dmt) : NULL;
		if (n) {
			wc_strlcpy(name, n, len);
			*found = 1;
		}
	}
	dm_task_destroy(dmt);
	return r;
}

static int first_target(int type, const char *name, char *tbuf, size_t tlen,
			char *pbuf, size_t plen)
{
	struct dm_task *dmt = task(type, name);
	uint64_t start, length;
	char *ttype = NULL, *params = NULL;
	int r = WC_EDM;

	if (!dmt)
		return WC_EDM;
	if (dm_task_run(dmt)) {
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &params);
		if (ttype) {
			wc_strlcpy(tbuf, ttype, tlen);
			wc_strlcpy(pbuf, params ? params : "", plen);
			r = 0;
		} else {
			r = WC_ENOENT;
		}
	}
	dm_task_destroy(dmt);
	return r;
}

int wc_dm_table(const char *name, char *type, size_t tlen, char *params, size_t plen)
{
	return first_target(DM_DEVICE_TABLE, name, type, tlen, params, plen);
}

int wc_dm_status(const char *name, char *type, size_t tlen, char *params, size_t plen)
{
	return first_target(DM_DEVICE_STATUS, name, type, tlen, params, plen);
}

int wc_dm_message(const char *name, const char *msg)
{
	struct dm_task *dmt = task(DM_DEVICE_TARGET_MSG, name);
	int ok;

	if (!dmt)
		return WC_EDM;
	wc_debug("dm message %s 0 %s", name, msg);
	ok = dm_task_set_sector(dmt, 0) && dm_task_set_message(dmt, msg) &&
	     dm_task_run(dmt);
	if (!ok)
		failed(dmt);
	dm_task_destroy(dmt);
	if (ok)
		wc_step_done("dm message");
	return ok ? 0 : WC_EDM;
}

int wc_dm_list(const char *uuid_prefix,
	       int (*fn)(const char *name, const char *uuid, void *arg), void *arg)
{
	struct dm_task *dmt = task(DM_DEVICE_LIST, NULL);
	struct dm_names *names;
	unsigned int next = 0;
	int r = 0;

	if (!dmt)
		return WC_EDM;
	if (!dm_task_run(dmt)) {
		dm_task_destroy(dmt);
		return WC_EDM;
	}
	names = dm_task_get_names(dmt);
	if (names && names->dev) {
		do {
			struct wc_dm_info info;

			names = (struct dm_names *)((char *)names + next);
			if (!wc_dm_info(names->name, &info) && info.exists &&
			    !strncmp(info.uuid, uuid_prefix, strlen(uuid_prefix))) {
				r = fn(names->name, info.uuid, arg);
				if (r)
					break;
			}
			next = names->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	return r;
}

int wc_dm_lv_name(const char *vg, const char *lv, char *buf, size_t len)
{
	size_t o = 0;
	const char *p;
	int part;

	for (part = 0; part < 2; part++) {
		for (p = part ? lv : vg; *p; p++) {
			if (o + 3 > len)
				return WC_EUSAGE;
			buf[o++] = *p;
			if (*p == '-')
				buf[o++] = '-';
		}
		if (!part) {
			if (o + 2 > len)
				return WC_EUSAGE;
			buf[o++] = '-';
		}
	}
	buf[o] = '\0';
	return 0;
}

int wc_dm_lv_path(const char *vg, const char *lv, char *buf, size_t len)
{
	static const char dir[] = "/dev/mapper/";

	if (len <= sizeof(dir))
		return WC_EUSAGE;
	memcpy(buf, dir, sizeof(dir) - 1);
	return wc_dm_lv_name(vg, lv, buf + sizeof(dir) - 1, len - (sizeof(dir) - 1));
}

/*
 * LVM configuration text is parsed with libdevmapper's dm_config, the
 * parser LVM itself uses for lvm.conf and profiles.
 */
static const char *cfg_value(const struct dm_config_value *v, char *buf, size_t len)
{
	if (!v || v->next)
		return NULL;		/* an array */
	switch (v->type) {
	case DM_CFG_INT:
		snprintf(buf, len, "%lld", (long long)v->v.i);
		return buf;
	case DM_CFG_STRING:
		return v->v.str;
	default:
		return NULL;		/* float or empty array */
	}
}

int wc_dm_config_walk(const char *text, const char *path,
		      int (*fn)(const char *section, const char *key, const char *val,
				void *arg),
		      void *arg, char *err, size_t errlen)
{
	struct dm_config_tree *cft;
	const struct dm_config_node *top, *cn, *kn;
	char vbuf[32];
	int r = 0;

	cft = dm_config_from_string(text);
	if (!cft) {
		snprintf(err, errlen, "cannot parse the configuration text");
		return WC_ELVM;
	}
	top = dm_config_find_node(cft->root, path);
	if (!top || top->v) {
		snprintf(err, errlen, "no section %s", path);
		r = WC_ELVM;
		goto out;
	}
	for (cn = top->child; cn && !r; cn = cn->sib) {
		if (cn->v) {
			/* a value directly in @path */
			r = fn(NULL, cn->key, cfg_value(cn->v, vbuf, sizeof(vbuf)), arg);
			continue;
		}
		for (kn = cn->child; kn && !r; kn = kn->sib)
			r = fn(cn->key, kn->key, kn->v ? cfg_value(kn->v, vbuf, sizeof(vbuf)) : NULL,
			       arg);
	}
out:
	dm_config_destroy(cft);
	return r;
}
