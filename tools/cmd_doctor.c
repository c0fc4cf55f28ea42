// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl doctor: why is this cache mapping slow or unsafe?
 *
 * Works on any writecache or wcache mapping: one of ours, an LVM writecache
 * LV (lvconvert --type writecache), or a hand-made dmsetup table. Reads the
 * live table, computes our plan for the same two devices (geometry,
 * filesystem, RAM), samples the status line and the origin's block-layer
 * counters for a few seconds, and hands all of it to the pure rules in
 * doctor.c. Prints each finding with its evidence, effect and fix.
 *
 * Exit: 0 nothing found, 1 findings, WC_ENOENT no such cache mapping,
 * WC_EDM the mapping could not be read, WC_EUSAGE, WC_EPERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dm.h"
#include "doctor.h"
#include "policy.h"
#include "probe.h"
#include "status.h"

#define DOC_FINDINGS	1	/* exit status with findings */

struct devref {
	char field[64];			/* as the table names it */
	char path[WC_PATH_MAX];		/* a block device node for it */
	uint32_t major, minor;
	char dm_name[WC_DM_NAME_MAX];	/* "" when not a DM device */
	char dm_uuid[WC_DM_UUID_MAX];
	char lv[2 * WC_NAME_MAX + 2];	/* "vg/lv" when an LVM LV */
};

static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int devref_resolve(const char *field, struct devref *d)
{
	char sys[128], buf[256];
	unsigned int ma, mi;
	struct stat st;

	memset(d, 0, sizeof(*d));
	wc_strlcpy(d->field, field, sizeof(d->field));
	if (sscanf(field, "%u:%u", &ma, &mi) == 2) {
		d->major = ma;
		d->minor = mi;
	} else if (!stat(field, &st) && S_ISBLK(st.st_mode)) {
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
	} else {
		return -ENOENT;
	}
	snprintf(d->path, sizeof(d->path), "/dev/block/%u:%u", d->major, d->minor);
	if (stat(d->path, &st) || !S_ISBLK(st.st_mode)) {
		char *dn;

		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent", d->major, d->minor);
		FILE *f = fopen(sys, "re");

		d->path[0] = '\0';
		while (f && fgets(buf, sizeof(buf), f)) {
			if (strncmp(buf, "DEVNAME=", 8))
				continue;
			dn = buf + 8;
			dn[strcspn(dn, "\n")] = '\0';
			snprintf(d->path, sizeof(d->path), "/dev/%s", dn);
		}
		if (f)
			fclose(f);
		if (!d->path[0])
			return -ENOENT;
	}
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/dm/name", d->major, d->minor);
	if (!read_line(sys, d->dm_name, sizeof(d->dm_name))) {
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/dm/uuid", d->major, d->minor);
		read_line(sys, d->dm_uuid, sizeof(d->dm_uuid));
		if (!strncmp(d->dm_uuid, "LVM-", 4)) {
			char vg[WC_NAME_MAX + 1], lv[WC_NAME_MAX + 1];

			if (!wc_doc_split_dm_name(d->dm_name, vg, sizeof(vg), lv, sizeof(lv)))
				snprintf(d->lv, sizeof(d->lv), "%s/%s", vg, lv);
		}
	}
	return 0;
}

/* writes completed and io_ticks (ms) of a block device */
static int diskstat(const struct devref *d, uint64_t *writes, uint64_t *ticks)
{
	unsigned long long v[11];
	char path[128], buf[512];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat", d->major, d->minor);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	if (sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]) != 11)
		return -1;
	*writes = v[4];
	*ticks = v[9];
	return 0;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int read_status(const char *name, enum wc_target t, struct wc_status *st,
		       char *params, size_t plen)
{
	char type[64], err[WC_ERR_MAX];

	if (wc_dm_status(name, type, sizeof(type), params, plen))
		return wc_err(WC_EDM, "cannot read the status of %s", name);
	if (wc_target_parse(type) != t)
		return wc_err(WC_EDM, "%s changed its target to '%s' while sampled", name, type);
	if (wc_status_parse(t, params, st, err, sizeof(err)))
		return wc_err(WC_EDM, "%s: %s", name, err);
	return 0;
}

/*
 * WCACHECTL_DOCTOR_RECORD=DIR: write the rules' inputs to DIR/NAME.rec, the
 * format tests/unit/test_doctor.c replays (the unit tests' data files are
 * such recordings from real runs).
 */
static void record(const struct wc_doc_in *in, const struct wc_geometry *g, const char *params,
		   const char *s0, const char *s1)
{
	const char *dir = getenv("WCACHECTL_DOCTOR_RECORD");
	char path[WC_PATH_MAX];
	FILE *f;
	int n;

	if (!dir || !*dir)
		return;
	/* NAME.rec, then NAME-2.rec...: every run of a test is kept */
	snprintf(path, sizeof(path), "%s/%s.rec", dir, in->dm_name);
	f = fopen(path, "wxe");
	for (n = 2; !f && errno == EEXIST && n < 100; n++) {
		snprintf(path, sizeof(path), "%s/%s-%d.rec", dir, in->dm_name, n);
		f = fopen(path, "wxe");
	}
	if (!f) {
		wc_warn("cannot write %s", path);
		return;
	}
	fprintf(f, "name=%s\nkind=%s\ntarget=%s\nvg=%s\nlv=%s\ncachevol=%s\n", in->dm_name,
		wc_doc_kind_name(in->kind), wc_target_name(in->target), in->vg, in->lv,
		in->cachevol);
	fprintf(f, "origin_lv=%s\ncache_lv=%s\ncache_path=%s\nsectors=%llu\ntable=%s\n",
		in->origin_lv, in->cache_lv, in->cache_path, (unsigned long long)in->sectors, params);
	fprintf(f, "status0=%s\nstatus1=%s\nsecs=%.3f\nmax_dirty=%llu\n", s0, s1, in->secs,
		(unsigned long long)in->max_dirty);
	fprintf(f, "origin_measured=%d\norigin_writes=%llu\norigin_busy=%.4f\n",
		in->origin_measured, (unsigned long long)in->origin_writes, in->origin_busy);
	fprintf(f, "fs_block_size=%u\nfs_type=%s\norigin_rotational=%d\ncache_rotational=%d\n",
		g->fs_block_size, g->fs_type, g->origin_rotational, g->cache_rotational);
	fprintf(f, "origin_lbs=%u\norigin_pbs=%u\ncache_lbs=%u\ncache_pbs=%u\n", g->origin_lbs,
		g->origin_pbs, g->cache_lbs, g->cache_pbs);
	fprintf(f, "origin_bytes=%llu\ncache_bytes=%llu\nram_bytes=%llu\npage_size=%u\n",
		(unsigned long long)g->origin_bytes, (unsigned long long)g->cache_bytes,
		(unsigned long long)g->ram_bytes, g->page_size);
	fclose(f);
}

struct doc_ctx {
	double secs;
	int json;
	struct json_object *arr;
};

static void print_text(const struct wc_doc_in *in, const struct wc_doc_report *r,
		       const char *table, const char *plan_table, const char *plan_note)
{
	const struct wc_doc_metrics *m = &r->m;
	unsigned int i;

	printf("%s (/dev/mapper/%s): %s, %s", in->dm_name, in->dm_name,
	       wc_target_name(in->target),
	       in->kind == WC_DOC_OURS ? "made by wcachectl attach" :
	       in->kind == WC_DOC_LVM ? "an LVM writecache LV (lvconvert)" : "a hand-made dmsetup table");
	if (in->kind != WC_DOC_HAND)
		printf(" %s/%s", in->vg, in->lv);
	printf("\n  table     %s\n", table);
	if (plan_table[0])
		printf("  plan      %s\n", plan_table);
	else
		printf("  plan      none: %s\n", plan_note);
	printf("  state     %.1f%% used, %.1f%% dirty (highest %.1f%%), high_watermark %llu, low_watermark %llu, error %lld\n",
	       m->used_pct, m->dirty_pct, m->max_dirty_pct, (unsigned long long)m->high_wm,
	       (unsigned long long)m->low_wm, (long long)m->error);
	if (m->rates) {
		printf("  sampled   %.1f s: %.0f writes/s, writeback %.0f blocks/s, %.0f blocked on free space/s (%.0f%%), %.0f bypassed/s (%.0f of them for want of a free block), %.0f flushes/s, %.0f commits/s%s\n",
		       in->secs, m->writes_ps, m->writeback_ps, m->blocked_ps, m->blocked_pct,
		       m->bypass_ps, m->full_around_ps, m->flushes_ps, m->commits_ps,
		       m->commits_estimated ? " (estimated)" : "");
		if (m->secs_to_full >= 0)
			printf("  full in   %.0f s at the current rate (%.0f blocks/s more in use)\n",
			       m->secs_to_full, m->fill_ps);
		else
			printf("  full in   never at the current rate\n");
	}
	printf("  origin    %s", in->origin_rotational ? "rotational" : "non-rotational");
	if (m->origin_speed > 0)
		printf(", about %.0f writes/s (%s)", m->origin_speed,
		       m->origin_speed_measured ? "measured" : "modelled");
	if (m->origin_busy_pct >= 0)
		printf(", busy %.0f%% of the sample", m->origin_busy_pct);
	printf("\n");
	if (!r->n) {
		printf("  no findings: the table matches the plan and the cache keeps up\n");
		return;
	}
	for (i = 0; i < r->n; i++) {
		const struct wc_finding *f = &r->f[i];

		printf("  %u. [%s] %s%s%s: %s\n", i + 1, wc_doc_class_name(f->cls), f->id,
		       f->setting ? " " : "", f->setting ? f->setting : "", f->evidence);
		printf("     effect: %s\n", f->effect);
		printf("     fix:    %s\n", f->fix[0] ? f->fix : "(no table change helps; see effect)");
	}
}

static struct json_object *jdbl(double v)
{
	return json_object_new_double(round(v * 10) / 10);
}

static struct json_object *to_json(const struct wc_doc_in *in, const struct wc_doc_report *r,
				   const char *table, const char *plan_table, const char *plan_note)
{
	const struct wc_doc_metrics *m = &r->m;
	struct json_object *o = json_object_new_object(), *jm = json_object_new_object();
	struct json_object *fa = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "name", json_object_new_string(in->dm_name));
	json_object_object_add(o, "kind", json_object_new_string(wc_doc_kind_name(in->kind)));
	json_object_object_add(o, "target", json_object_new_string(wc_target_name(in->target)));
	json_object_object_add(o, "vg", in->kind != WC_DOC_HAND ? json_object_new_string(in->vg) : NULL);
	json_object_object_add(o, "lv", in->kind != WC_DOC_HAND ? json_object_new_string(in->lv) : NULL);
	json_object_object_add(o, "table", json_object_new_string(table));
	json_object_object_add(o, "plan", plan_table[0] ? json_object_new_string(plan_table) : NULL);
	if (!plan_table[0])
		json_object_object_add(o, "plan_error", json_object_new_string(plan_note));
	json_object_object_add(o, "seconds", jdbl(in->secs));
	json_object_object_add(jm, "used_percent", jdbl(m->used_pct));
	json_object_object_add(jm, "dirty_percent", jdbl(m->dirty_pct));
	json_object_object_add(jm, "max_dirty_percent", jdbl(m->max_dirty_pct));
	json_object_object_add(jm, "high_watermark", json_object_new_int64(m->high_wm));
	json_object_object_add(jm, "low_watermark", json_object_new_int64(m->low_wm));
	json_object_object_add(jm, "error", json_object_new_int64(m->error));
	json_object_object_add(jm, "total_blocks", json_object_new_int64(in->st1->total_blocks));
	json_object_object_add(jm, "free_blocks", json_object_new_int64(in->st1->free_blocks));
	json_object_object_add(jm, "dirty_blocks", json_object_new_int64(in->st1->dirty_blocks));
	if (m->rates) {
		json_object_object_add(jm, "writes_per_s", jdbl(m->writes_ps));
		json_object_object_add(jm, "writeback_per_s", jdbl(m->writeback_ps));
		json_object_object_add(jm, "blocked_per_s", jdbl(m->blocked_ps));
		json_object_object_add(jm, "blocked_percent", jdbl(m->blocked_pct));
		json_object_object_add(jm, "bypassed_per_s", jdbl(m->bypass_ps));
		json_object_object_add(jm, "around_full_per_s", jdbl(m->full_around_ps));
		json_object_object_add(jm, "flushes_per_s", jdbl(m->flushes_ps));
		json_object_object_add(jm, "commits_per_s", jdbl(m->commits_ps));
		json_object_object_add(jm, "commits_estimated",
				       json_object_new_boolean(m->commits_estimated));
		json_object_object_add(jm, "fill_per_s", jdbl(m->fill_ps));
		json_object_object_add(jm, "seconds_to_full",
				       m->secs_to_full >= 0 ? jdbl(m->secs_to_full) : NULL);
	}
	json_object_object_add(jm, "origin_rotational", json_object_new_boolean(in->origin_rotational));
	json_object_object_add(jm, "origin_writes_per_s",
			       m->origin_speed > 0 ? jdbl(m->origin_speed) : NULL);
	json_object_object_add(jm, "origin_speed_source",
			       m->origin_speed > 0 ? json_object_new_string(m->origin_speed_measured ?
									    "measured" : "modelled") : NULL);
	json_object_object_add(jm, "origin_busy_percent",
			       m->origin_busy_pct >= 0 ? jdbl(m->origin_busy_pct) : NULL);
	json_object_object_add(o, "metrics", jm);
	for (i = 0; i < r->n; i++) {
		const struct wc_finding *f = &r->f[i];
		struct json_object *jf = json_object_new_object();

		json_object_object_add(jf, "id", json_object_new_string(f->id));
		json_object_object_add(jf, "class", json_object_new_string(wc_doc_class_name(f->cls)));
		json_object_object_add(jf, "setting", f->setting ? json_object_new_string(f->setting) : NULL);
		json_object_object_add(jf, "live", f->setting ? json_object_new_string(f->live) : NULL);
		json_object_object_add(jf, "planned", f->setting ? json_object_new_string(f->planned) : NULL);
		json_object_object_add(jf, "evidence", json_object_new_string(f->evidence));
		json_object_object_add(jf, "effect", json_object_new_string(f->effect));
		json_object_object_add(jf, "fix", f->fix[0] ? json_object_new_string(f->fix) : NULL);
		json_object_array_add(fa, jf);
	}
	json_object_object_add(o, "findings", fa);
	return o;
}

/* one mapping: 0 no findings, DOC_FINDINGS, or a WC_E* code */
static int doctor_one(const char *name, struct doc_ctx *cx)
{
	char type[64], params[4096], err[WC_ERR_MAX], table[4300], plan_table[4300] = "";
	char plan_params[4096] = "", plan_note[WC_REASON_MAX] = "";
	char vg[WC_NAME_MAX + 1] = "", lv[WC_NAME_MAX + 1] = "", cv[WC_NAME_MAX + 1] = "";
	char top[WC_PATH_MAX], raw0[1024], raw1[1024], rawx[1024];
	struct devref od, cd;
	struct wc_dm_info info;
	struct wc_table tb;
	struct wc_status st0, st1, sx;
	struct wc_devgeom og, cg, tg;
	struct wc_geometry g;
	struct wc_plan plan;
	struct wc_doc_in in;
	struct wc_doc_report rep;
	uint64_t w0 = 0, t0k = 0, w1 = 0, t1k = 0, maxd;
	enum wc_target t;
	double t0, t1;
	int r, have_plan = 0, have_disk;

	if (wc_dm_info(name, &info))
		return wc_err(WC_EDM, "cannot query device-mapper device %s", name);
	if (!info.exists)
		return wc_err(WC_ENOENT, "no device-mapper device %s", name);
	if (wc_dm_table(name, type, sizeof(type), params, sizeof(params)))
		return wc_err(WC_EDM, "cannot read the table of %s", name);
	t = wc_target_parse(type);
	if (t == WC_TARGET_NONE)
		return wc_err(WC_ENOENT, "%s is a %s mapping, not writecache or wcache", name,
			      type[0] ? type : "table-less");
	if (wc_table_parse(params, &tb, err, sizeof(err)))
		return wc_err(WC_EDM, "%s: %s", name, err);
	snprintf(table, sizeof(table), "0 %llu %s %s", (unsigned long long)info.sectors, type, params);

	memset(&in, 0, sizeof(in));
	in.dm_name = name;
	in.kind = !strncmp(info.uuid, WC_DM_UUID_PREFIX, strlen(WC_DM_UUID_PREFIX)) ? WC_DOC_OURS :
		  !strncmp(info.uuid, "LVM-", 4) ? WC_DOC_LVM : WC_DOC_HAND;
	if (in.kind != WC_DOC_HAND && wc_doc_split_dm_name(name, vg, sizeof(vg), lv, sizeof(lv)))
		in.kind = WC_DOC_HAND;
	in.vg = vg;
	in.lv = lv;
	in.target = t;
	in.tb = &tb;
	in.sectors = info.sectors;

	if (devref_resolve(tb.origin, &od) || devref_resolve(tb.cache, &cd))
		return wc_err(WC_EDM, "%s: cannot find the devices %s and %s of its table", name,
			      tb.origin, tb.cache);
	if (cd.dm_name[0]) {
		char cvg[WC_NAME_MAX + 1], clv[WC_NAME_MAX + 1];

		if (!wc_doc_split_dm_name(cd.dm_name, cvg, sizeof(cvg), clv, sizeof(clv))) {
			size_t l = strlen(clv);

			/* lvconvert hides the cachevol as <name>_cvol; split gives the name back */
			if (in.kind == WC_DOC_LVM && l > 5 && !strcmp(clv + l - 5, "_cvol"))
				clv[l - 5] = '\0';
			wc_strlcpy(cv, clv, sizeof(cv));
		}
	}
	in.cachevol = cv;
	in.origin_lv = od.lv;
	in.cache_lv = cd.lv;
	in.cache_path = cd.path;

	/* geometry and our plan for the same two devices */
	r = wc_probe_dev(od.path, &og, err, sizeof(err));
	if (!r)
		r = wc_probe_dev(cd.path, &cg, err, sizeof(err));
	if (r)
		return wc_err(WC_EDM, "%s: %s", name, err);
	snprintf(top, sizeof(top), "/dev/block/%u:%u", info.major, info.minor);
	if (wc_probe_dev(top, &tg, err, sizeof(err))) {
		snprintf(top, sizeof(top), "/dev/mapper/%s", name);
		if (wc_probe_dev(top, &tg, err, sizeof(err)))
			memset(&tg, 0, sizeof(tg));
	}
	in.fs_block_size = tg.fs_block_size;
	in.fs_type = tg.fs_type;
	in.origin_rotational = og.rotational;
	memset(&g, 0, sizeof(g));
	g.target = t;
	g.fs_block_size = tg.fs_block_size;
	wc_strlcpy(g.fs_type, tg.fs_type, sizeof(g.fs_type));
	g.origin_lbs = og.lbs;
	g.origin_pbs = og.pbs;
	g.cache_lbs = cg.lbs;
	g.cache_pbs = cg.pbs;
	g.origin_bytes = info.sectors * 512;
	g.cache_bytes = cg.bytes;
	g.origin_rotational = og.rotational;
	g.cache_rotational = cg.rotational;
	g.ram_bytes = wc_probe_ram();
	g.page_size = wc_probe_page_size();
	g.force = 1;	/* the plan is a yardstick here, not a table to load */
	if (wc_policy(&g, &plan) == WC_OK &&
	    !wc_plan_params(&plan, tb.origin, tb.cache, 0,
			    t == WC_TARGET_WCACHE && tb.origin_uuid[0] ? tb.origin_uuid : NULL,
			    plan_params, sizeof(plan_params))) {
		have_plan = 1;
		snprintf(plan_table, sizeof(plan_table), "0 %llu %s %s",
			 (unsigned long long)info.sectors, type, plan_params);
	} else {
		wc_strlcpy(plan_note, plan.error[0] ? plan.error : "the plan does not fit in a table line",
			   sizeof(plan_note));
	}
	in.plan = have_plan ? &plan : NULL;
	in.plan_params = plan_params;

	/* sample */
	r = read_status(name, t, &st0, raw0, sizeof(raw0));
	if (r)
		return r;
	have_disk = !diskstat(&od, &w0, &t0k);
	t0 = wc_now();
	maxd = st0.dirty_blocks;
	st1 = st0;
	memcpy(raw1, raw0, sizeof(raw1));
	t1 = t0;
	while (cx->secs > 0 && t1 - t0 < cx->secs) {
		double left = cx->secs - (wc_now() - t0);

		sleep_s(left < 0.5 ? left : 0.5);
		r = read_status(name, t, &sx, rawx, sizeof(rawx));
		if (r)
			return r;
		t1 = wc_now();
		if (sx.dirty_blocks > maxd)
			maxd = sx.dirty_blocks;
		st1 = sx;
		memcpy(raw1, rawx, sizeof(raw1));
	}
	if (have_disk && cx->secs > 0 && !diskstat(&od, &w1, &t1k)) {
		in.origin_measured = 1;
		in.origin_writes = w1 - w0;
		in.origin_busy = (t1k - t0k) / 1000.0 / (t1 - t0);
		if (in.origin_busy > 1)
			in.origin_busy = 1;
	}
	in.st0 = &st0;
	in.st1 = &st1;
	in.secs = cx->secs > 0 ? t1 - t0 : 0;
	in.max_dirty = maxd;
	wc_doctor(&in, &rep);
	record(&in, &g, params, raw0, raw1);
	if (cx->json)
		json_object_array_add(cx->arr, to_json(&in, &rep, table, plan_table, plan_note));
	else
		print_text(&in, &rep, table, plan_table, plan_note);
	return rep.n ? DOC_FINDINGS : 0;
}

struct all_ctx {
	char (*names)[WC_DM_NAME_MAX];
	int n, cap;
};

static int collect(const char *name, const char *uuid, void *arg)
{
	struct all_ctx *a = arg;
	char type[64], params[4096];

	(void)uuid;
	if (wc_dm_table(name, type, sizeof(type), params, sizeof(params)) ||
	    wc_target_parse(type) == WC_TARGET_NONE)
		return 0;
	if (a->n == a->cap) {
		int cap = a->cap ? 2 * a->cap : 16;
		void *p = realloc(a->names, cap * sizeof(*a->names));

		if (!p)
			return -ENOMEM;
		a->names = p;
		a->cap = cap;
	}
	wc_strlcpy(a->names[a->n++], name, WC_DM_NAME_MAX);
	return 0;
}

/* VG/LV, /dev/mapper/NAME, /dev/VG/LV, /dev/dm-N or a bare DM name */
static int resolve_arg(const char *arg, char *name, size_t len)
{
	char vg[WC_NAME_MAX + 1], lv[WC_NAME_MAX + 1], sys[128];
	struct stat st;

	if (arg[0] == '/') {
		if (stat(arg, &st) || !S_ISBLK(st.st_mode))
			return wc_err(WC_ENOENT, "%s is not a block device", arg);
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/dm/name", major(st.st_rdev),
			 minor(st.st_rdev));
		if (read_line(sys, name, len))
			return wc_err(WC_ENOENT, "%s is not a device-mapper device", arg);
		return 0;
	}
	if (strchr(arg, '/')) {
		if (wc_split_vglv(arg, vg, lv) || wc_dm_lv_name(vg, lv, name, len))
			return wc_err(WC_EUSAGE, "'%s' is not VG/LV", arg);
		return 0;
	}
	wc_strlcpy(name, arg, len);
	return 0;
}

static void doctor_usage(FILE *f)
{
	fprintf(f, "Usage: wcachectl doctor [VG/LV | /dev/mapper/NAME | NAME | --all] [--seconds N] [--watch SEC] [--json]\n\n"
		   "Explain why a writecache or wcache mapping (ours, lvconvert's or a hand-made\n"
		   "dmsetup table) is slow or unsafe: compare its table with wcachectl's plan for\n"
		   "the same devices, sample its status, name each cause with its evidence and\n"
		   "the command that fixes it.\n\n"
		   "Options:\n"
		   "      --all             every writecache and wcache mapping\n"
		   "      --seconds N       sample the status for N seconds (default 5; 0: read once)\n"
		   "      --watch SEC       repeat every SEC seconds, sampling over SEC, until interrupted\n"
		   "  -j, --json            machine-readable output (schema in wcachectl(8))\n"
		   "  -v, --verbose         print every device-mapper step\n"
		   "  -h, --help            this help\n\n"
		   "Exit: 0 nothing found, 1 findings, 4 no such cache mapping, 8 the mapping\n"
		   "cannot be read, 2 usage, 3 not root.\n");
}

int cmd_doctor_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "watch", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doc_ctx cx = { .secs = 5 };
	struct all_ctx all = { NULL, 0, 0 };
	char name[WC_DM_NAME_MAX];
	uint64_t v;
	int opt, do_all = 0, i, r, worst;
	unsigned int watch = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jvh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			do_all = 1;
			break;
		case 'S':
			if (wc_parse_u64(optarg, 0, 3600, &v)) {
				fprintf(stderr, "wcachectl: invalid --seconds '%s' (0 to 3600)\n", optarg);
				return WC_EUSAGE;
			}
			cx.secs = v;
			break;
		case 'w':
			if (wc_parse_u64(optarg, 1, 3600, &v)) {
				fprintf(stderr, "wcachectl: invalid --watch '%s' (1 to 3600 seconds)\n", optarg);
				return WC_EUSAGE;
			}
			watch = v;
			break;
		case 'j':
			cx.json = 1;
			break;
		case 'v':
			wc_verbose++;
			break;
		case 'h':
			doctor_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "wcachectl: option %s needs a value\n", argv[optind - 1]);
			doctor_usage(stderr);
			return WC_EUSAGE;
		default:
			fprintf(stderr, "wcachectl: unknown option '%s'\n", argv[optind - 1]);
			doctor_usage(stderr);
			return WC_EUSAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if ((do_all && argc) || (!do_all && argc != 1) || argc > 1) {
		fprintf(stderr, "wcachectl: doctor needs one mapping (VG/LV, /dev/mapper/NAME) or --all\n");
		doctor_usage(stderr);
		return WC_EUSAGE;
	}
	if (watch)
		cx.secs = watch;
	if (geteuid() != 0)
		return wc_err(WC_EPERM, "doctor needs root privileges (device-mapper status)");
	wc_dm_init();
	if (!do_all) {
		r = resolve_arg(argv[0], name, sizeof(name));
		if (r)
			return r;
	}
	do {
		cx.arr = json_object_new_array();
		worst = 0;
		if (do_all) {
			all.n = 0;
			if (wc_dm_list("", collect, &all) < 0) {
				json_object_put(cx.arr);
				free(all.names);
				return wc_err(WC_EDM, "cannot list device-mapper devices");
			}
			for (i = 0; i < all.n; i++) {
				r = doctor_one(all.names[i], &cx);
				/* a read error outranks findings */
				if (r && (worst == 0 || worst == DOC_FINDINGS))
					worst = r;
				if (!cx.json && i + 1 < all.n)
					printf("\n");
			}
			if (!all.n && !cx.json)
				printf("no writecache or wcache mappings\n");
		} else {
			worst = doctor_one(name, &cx);
		}
		if (cx.json && (do_all || json_object_array_length(cx.arr)))
			printf("%s\n", json_object_to_json_string_ext(
				       do_all ? cx.arr : json_object_array_get_idx(cx.arr, 0),
				       JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(cx.arr);
		if (watch) {
			printf("\n");
			fflush(stdout);
		}
	} while (watch && (worst == 0 || worst == DOC_FINDINGS));
	free(all.names);
	return worst;
}

int cmd_doctor(struct wc_opts *o)
{
	return cmd_doctor_main(o->argc, o->argv);
}
