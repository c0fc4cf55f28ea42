// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl doctor: the rules that turn a live table, our plan for the same
 * devices and two status samples into findings, each with its evidence,
 * its expected effect and the command that fixes it.
 *
 * Pure: no I/O, no globals besides constant tables. The command side
 * (cmd_doctor.c) gathers the inputs; tests/unit/test_doctor.c runs these
 * rules on status samples recorded from real runs.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"

const struct wc_doc_id wc_doc_ids[] = {
	{ "error_state", WC_F_CAUSE,
	  "the target reports an I/O error in its status line: the cache device failed, I/O fails" },
	{ "cleaner_on", WC_F_CAUSE,
	  "cleaner mode is on: every write goes to the origin and the cache only drains" },
	{ "writeback_paused", WC_F_CAUSE,
	  "dm-writecache: writes that found the cache full went to the origin, and pause_writeback stops writeback after each: the cache never drains" },
	{ "cache_full", WC_F_CAUSE,
	  "writes waited for a free cache block (dm-wcache), or found none and went to the origin (dm-writecache): the write rate is the origin's" },
	{ "above_high_watermark", WC_F_CAUSE,
	  "dirty data above high_watermark: writeback to the origin runs all the time (a warning when the cache is not filling)" },
	{ "filling", WC_F_WARNING,
	  "more is written than written back: the cache is full in the time given, then writes wait" },
	{ "commit_bound", WC_F_CAUSE,
	  "autocommit_blocks makes the target commit (a metadata write and a FLUSH) many times a second" },
	{ "flush_bound", WC_F_WARNING,
	  "the application sends many FLUSH requests; each one commits the cache's metadata" },
	{ "writes_bypassed", WC_F_WARNING,
	  "a share of the writes went around the cache (metadata_only or cleaner)" },
	{ "block_size_below_fs", WC_F_CAUSE,
	  "the cache block is smaller than the filesystem's block: several cache entries per filesystem write" },
	{ "block_size_differs", WC_F_DIFFERENCE,
	  "the table's block size is not the one the plan picks for these devices" },
	{ "setting_differs", WC_F_DIFFERENCE,
	  "a setting in effect is not the plan's value (the target's default counts when the table omits it)" },
};

const unsigned int wc_doc_nids = sizeof(wc_doc_ids) / sizeof(wc_doc_ids[0]);

const char *wc_doc_kind_name(enum wc_doc_kind k)
{
	switch (k) {
	case WC_DOC_LVM:
		return "lvm";
	case WC_DOC_OURS:
		return "wcachectl";
	default:
		return "dmsetup";
	}
}

const char *wc_doc_class_name(enum wc_doc_class c)
{
	switch (c) {
	case WC_F_CAUSE:
		return "cause";
	case WC_F_WARNING:
		return "warning";
	default:
		return "difference";
	}
}

/*
 * Defaults of each target for a key the table omits (dm-writecache:
 * Documentation/admin-guide/device-mapper/writecache.rst and its source;
 * dm-wcache: dm-wcache(7)). UINT64_MAX: no limit.
 */
uint64_t wc_doc_effective(enum wc_target t, const struct wc_table *tb, int k, int *unlimited)
{
	uint64_t v = 0;

	*unlimited = 0;
	if (tb->set.mask & (1u << k))
		return tb->set.val[k];
	switch (k) {
	case WC_K_HIGH_WM:
		v = 50;
		break;
	case WC_K_LOW_WM:
		v = 45;
		break;
	case WC_K_WB_JOBS:
		if (t == WC_TARGET_WRITECACHE)
			*unlimited = 1;	/* MAX_WRITEBACK_JOBS 0: no limit */
		else
			v = 1024;
		break;
	case WC_K_AC_BLOCKS:
		v = tb->mode == 'p' ? 64 : 65536;
		break;
	case WC_K_AC_TIME:
		v = 1000;
		break;
	case WC_K_MAX_AGE:
		*unlimited = 1;
		break;
	case WC_K_PAUSE_WB:
		v = t == WC_TARGET_WRITECACHE ? 3000 : 0;
		break;
	default:
		v = 0;	/* sequential_cutoff, cleaner, flush_on_suspend: off */
		break;
	}
	return v;
}

static struct wc_finding *add(struct wc_doc_report *r, const char *id)
{
	struct wc_finding *f;
	unsigned int i;

	if (r->n >= WC_DOC_MAX)
		return NULL;
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	for (i = 0; i < wc_doc_nids; i++)
		if (!strcmp(wc_doc_ids[i].id, id))
			f->cls = wc_doc_ids[i].cls;
	return f;
}

static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static size_t cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;

	if (off >= len)
		return off;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	return strlen(buf);
}

static double pct(double a, double b)
{
	return b > 0 ? 100.0 * a / b : 0.0;
}

static uint64_t delta(const struct wc_doc_in *in, enum wc_counter c)
{
	if (!(in->st0->have & in->st1->have & (1u << c)))
		return 0;
	return in->st1->c[c] >= in->st0->c[c] ? in->st1->c[c] - in->st0->c[c] : 0;
}

static int have(const struct wc_doc_in *in, enum wc_counter c)
{
	return !!(in->st1->have & (1u << c));
}

/* "1,234" for figures people read */
static const char *num(char *buf, size_t len, double v)
{
	unsigned long long n = v < 0 ? 0 : (unsigned long long)(v + 0.5);

	if (n >= 1000000)
		snprintf(buf, len, "%llu,%03llu,%03llu", n / 1000000, n / 1000 % 1000, n % 1000);
	else if (n >= 1000)
		snprintf(buf, len, "%llu,%03llu", n / 1000, n % 1000);
	else
		snprintf(buf, len, "%llu", n);
	return buf;
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ULL << 30) && !(b % (1ULL << 30)))
		snprintf(buf, len, "%lluG", (unsigned long long)(b >> 30));
	else if (b >= (1ULL << 20))
		snprintf(buf, len, "%lluM", (unsigned long long)((b + (1ULL << 20) - 1) >> 20));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)((b + 1023) >> 10));
}

/* ---- fix commands ------------------------------------------------------ */

/* "k=v k=v" of the keys in @mask taken from @s */
static void kv_list(const struct wc_settings *s, uint32_t mask, char *buf, size_t len)
{
	int k;

	buf[0] = '\0';
	for (k = 0; k < WC_NKEYS; k++)
		if (mask & (1u << k))
			cat(buf, len, "%s%s=%llu", buf[0] ? " " : "", wc_keys[k].name,
			    (unsigned long long)s->val[k]);
}

/* the live table's parameters with the keys of @mask set from @s */
static void live_params_with(const struct wc_doc_in *in, const struct wc_settings *s,
			     uint32_t mask, char *buf, size_t len)
{
	struct wc_plan tmp;
	int k;

	memset(&tmp, 0, sizeof(tmp));
	tmp.mode = in->tb->mode;
	tmp.block_size = in->tb->block_size;
	tmp.s = in->tb->set;
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(mask & (1u << k)))
			continue;
		tmp.s.val[k] = s->val[k];
		tmp.s.mask |= 1u << k;
	}
	if (wc_plan_params(&tmp, in->tb->origin, in->tb->cache, 0,
			   in->tb->origin_uuid[0] ? in->tb->origin_uuid : NULL, buf, len))
		buf[0] = '\0';
}

/* the command that sets the keys of @mask to their values in @s, live */
static void fix_settings(const struct wc_doc_in *in, const struct wc_settings *s,
			 uint32_t mask, char *fix, size_t len)
{
	char kv[512], params[2048];

	kv_list(s, mask, kv, sizeof(kv));
	switch (in->kind) {
	case WC_DOC_OURS:
		put(fix, len, "wcachectl tune %s/%s %s", in->vg, in->lv, kv);
		break;
	case WC_DOC_LVM:
		put(fix, len, "lvchange --cachesettings '%s' %s/%s", kv, in->vg, in->lv);
		/* LVM before 2.03.17 does not know pause_writeback (lvchange
		 * asks, then leaves it out of the table) */
		if (mask & (1u << WC_K_PAUSE_WB))
			cat(fix, len, "   (LVM before 2.03.17 cannot set pause_writeback: lvconvert --splitcache %s/%s && wcachectl attach %s/%s --cachevol %s --yes)",
			    in->vg, in->lv, in->vg, in->lv,
			    in->cachevol && *in->cachevol ? in->cachevol : "CACHEVOL");
		break;
	default:
		live_params_with(in, s, mask, params, sizeof(params));
		put(fix, len, "dmsetup reload %s --table '0 %llu %s %s' && dmsetup suspend %s && dmsetup resume %s",
		    in->dm_name, (unsigned long long)in->sectors, wc_target_name(in->target),
		    params, in->dm_name, in->dm_name);
		break;
	}
}

/* same VG for both LVs of a hand-made table: our attach can take over */
static int hand_over_lvs(const struct wc_doc_in *in, char *vg, size_t vlen)
{
	const char *a = in->origin_lv, *b = in->cache_lv, *sa, *sb;

	if (!a || !b || !*a || !*b)
		return 0;
	sa = strchr(a, '/');
	sb = strchr(b, '/');
	if (!sa || !sb || sa - a != sb - b || strncmp(a, b, sa - a) || (size_t)(sa - a) >= vlen)
		return 0;
	memcpy(vg, a, sa - a);
	vg[sa - a] = '\0';
	return 1;
}

/*
 * Rebuild the cache with our plan: needed for what a live change cannot do
 * (block size, target). Dirty data is written back first in every variant.
 * @cache_grow: also suggest a larger cachevol (bytes to add, 0: no).
 */
static void fix_rebuild(const struct wc_doc_in *in, uint64_t cache_grow, char *fix, size_t len)
{
	const struct wc_plan *p = in->plan;
	char vg[WC_NAME_MAX + 1], kv[512], grow[96] = "", g[32];

	if (cache_grow) {
		human_bytes(cache_grow, g, sizeof(g));
		if (in->kind == WC_DOC_HAND && hand_over_lvs(in, vg, sizeof(vg)))
			put(grow, sizeof(grow), " && lvextend -L +%s %s", g, in->cache_lv);
		else if (in->kind != WC_DOC_HAND && in->cachevol && *in->cachevol)
			put(grow, sizeof(grow), " && lvextend -L +%s %s/%s", g, in->vg, in->cachevol);
	}
	switch (in->kind) {
	case WC_DOC_OURS:
		put(fix, len, "wcachectl split %s/%s%s && wcachectl attach %s/%s --cachevol %s --yes",
		    in->vg, in->lv, grow, in->vg, in->lv,
		    in->cachevol && *in->cachevol ? in->cachevol : "CACHEVOL");
		return;
	case WC_DOC_LVM:
		/* ours reads the same devices' geometry; plan shows the table first */
		put(fix, len, "lvconvert --splitcache %s/%s%s && wcachectl attach %s/%s --cachevol %s --yes",
		    in->vg, in->lv, grow, in->vg, in->lv,
		    in->cachevol && *in->cachevol ? in->cachevol : "CACHEVOL");
		if (p && in->target == WC_TARGET_WRITECACHE && !cache_grow) {
			kv_list(&p->s, p->s.mask, kv, sizeof(kv));
			cat(fix, len, "   (or, staying with lvm: lvconvert --splitcache %s/%s && lvconvert --type writecache --cachevol %s --cachesettings 'block_size=%u %s' %s/%s)",
			    in->vg, in->lv,
			    in->cachevol && *in->cachevol ? in->cachevol : "CACHEVOL",
			    p->block_size, kv, in->vg, in->lv);
		}
		return;
	default:
		break;
	}
	/* hand-made: write everything back on suspend, then remove */
	put(fix, len, "dmsetup message %s 0 flush_on_suspend && dmsetup suspend %s && dmsetup remove %s",
	    in->dm_name, in->dm_name, in->dm_name);
	if (hand_over_lvs(in, vg, sizeof(vg))) {
		const char *clv = strchr(in->cache_lv, '/') + 1;

		cat(fix, len, "%s && wcachectl attach %s --cachevol %s --yes", grow, in->origin_lv, clv);
	} else if (p && in->plan_params && *in->plan_params) {
		cat(fix, len, " && dd if=/dev/zero of=%s bs=1M count=1 oflag=direct && dmsetup create %s --table '0 %llu %s %s'",
		    in->cache_path && *in->cache_path ? in->cache_path : in->tb->cache,
		    in->dm_name, (unsigned long long)in->sectors, wc_target_name(p->target),
		    in->plan_params);
	}
}

/* ---- the rules ---------------------------------------------------------- */

static void metrics(const struct wc_doc_in *in, struct wc_doc_metrics *m)
{
	const struct wc_status *a = in->st0, *b = in->st1;
	uint64_t used0 = a->total_blocks - a->free_blocks, used1 = b->total_blocks - b->free_blocks;
	int unl;

	memset(m, 0, sizeof(*m));
	m->error = b->error;
	m->used_pct = pct(used1, b->total_blocks);
	m->dirty_pct = pct(b->dirty_blocks, b->total_blocks);
	m->max_dirty_pct = pct(in->max_dirty > b->dirty_blocks ? in->max_dirty : b->dirty_blocks,
			       b->total_blocks);
	m->high_wm = wc_doc_effective(in->target, in->tb, WC_K_HIGH_WM, &unl);
	m->low_wm = wc_doc_effective(in->target, in->tb, WC_K_LOW_WM, &unl);
	m->secs_to_full = -1;
	m->origin_busy_pct = in->origin_measured ? 100.0 * in->origin_busy : -1;
	if (in->origin_measured && in->origin_busy >= 0.5 && in->secs > 0) {
		/* busy most of the time: what it completed is what it can do */
		m->origin_speed = in->origin_writes / (in->secs * in->origin_busy);
		m->origin_speed_measured = 1;
	} else if (in->origin_rotational) {
		m->origin_speed = WC_DOC_HDD_MODEL_IOPS;
	}
	if (in->secs <= 0)
		return;
	m->rates = 1;
	m->writes_ps = delta(in, WC_C_WRITES) / in->secs;
	m->blocked_ps = delta(in, WC_C_BLOCKED_FREELIST) / in->secs;
	m->bypass_ps = (delta(in, WC_C_WRITES_AROUND) + delta(in, WC_C_BYPASS_SEQ) +
			delta(in, WC_C_BYPASS_OTHER)) / in->secs;
	m->flushes_ps = delta(in, WC_C_FLUSHES) / in->secs;
	/* blocked counts requests, writes counts blocks: a share, capped */
	m->blocked_pct = m->writes_ps > 0 ? pct(m->blocked_ps, m->writes_ps) : 0;
	if (m->blocked_pct > 100)
		m->blocked_pct = 100;
	m->bypass_pct = pct(m->bypass_ps, m->writes_ps);
	/*
	 * dm-writecache in SSD mode does not wait when no block is free: a
	 * write that misses goes straight to the origin and counts as written
	 * around (so does every write with cleaner or metadata_only set)
	 */
	if (in->target == WC_TARGET_WRITECACHE && !in->tb->cleaner && !in->tb->metadata_only)
		m->full_around_ps = delta(in, WC_C_WRITES_AROUND) / in->secs;
	m->fill_ps = ((double)used1 - (double)used0) / in->secs;
	if (have(in, WC_C_WRITTEN_BACK)) {
		m->writeback_ps = delta(in, WC_C_WRITTEN_BACK) / in->secs;
	} else if (have(in, WC_C_WRITES_ALLOCATE)) {
		/* writecache: every allocated block not still in use was written back */
		double wb = (double)delta(in, WC_C_WRITES_ALLOCATE) - ((double)used1 - (double)used0);

		m->writeback_ps = wb > 0 ? wb / in->secs : 0;
	}
	if (have(in, WC_C_COMMITS)) {
		m->commits_ps = delta(in, WC_C_COMMITS) / in->secs;
	} else {
		uint64_t ac = wc_doc_effective(in->target, in->tb, WC_K_AC_BLOCKS, &unl);
		uint64_t at = wc_doc_effective(in->target, in->tb, WC_K_AC_TIME, &unl);
		double by_blocks = ac ? m->writes_ps / ac : 0, by_time = at ? 1000.0 / at : 0;

		/* a FLUSH commits; so does every autocommit_blocks-th write */
		m->commits_ps = m->flushes_ps + (by_blocks > by_time ? by_blocks : by_time);
		m->commits_estimated = 1;
	}
	if (m->fill_ps > 0.5)
		m->secs_to_full = b->free_blocks / m->fill_ps;
}

static const char *rot(const struct wc_doc_in *in)
{
	return in->origin_rotational ? "a rotational origin" : "the origin";
}

static void speed_evidence(const struct wc_doc_in *in, const struct wc_doc_metrics *m,
			   char *buf, size_t len)
{
	char a[32], b[32];

	cat(buf, len, "writeback %s blocks/s", num(a, sizeof(a), m->writeback_ps));
	if (m->origin_speed_measured)
		cat(buf, len, " (the origin completed %s writes/s while busy, %.0f%% of the time)",
		    num(b, sizeof(b), m->origin_speed), m->origin_busy_pct);
	else if (m->origin_speed > 0)
		cat(buf, len, " (a rotational origin takes about %s random writes/s: modelled)",
		    num(b, sizeof(b), m->origin_speed));
	(void)in;
}

static void rule_error(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	struct wc_finding *f;

	if (!in->st1->error)
		return;
	f = add(r, "error_state");
	if (!f)
		return;
	/* dm-writecache shows a flag (1), dm-wcache the -errno */
	if (in->target == WC_TARGET_WRITECACHE)
		put(f->evidence, sizeof(f->evidence),
		    "error state: the status line's error flag is set; a write to the cache or the origin failed (writeback or commit)");
	else
		put(f->evidence, sizeof(f->evidence),
		    "error state: the status line's error field is %lld%s; a write to the cache or the origin failed (writeback or commit)",
		    (long long)in->st1->error, in->st1->error == -5 ? " (EIO)" : "");
	put(f->effect, sizeof(f->effect),
	    "the target refuses I/O: reads and writes of the mapping fail until it is rebuilt; dirty blocks only the cache held may be lost");
	switch (in->kind) {
	case WC_DOC_OURS:
		put(f->fix, sizeof(f->fix), "journalctl -k | grep -iE 'wcache|I/O error'; then, once the cache device is checked: wcachectl split %s/%s --force",
		    in->vg, in->lv);
		break;
	case WC_DOC_LVM:
		put(f->fix, sizeof(f->fix), "journalctl -k | grep -iE 'writecache|I/O error'; then, once the cache device is checked: lvconvert --splitcache --force %s/%s",
		    in->vg, in->lv);
		break;
	default:
		put(f->fix, sizeof(f->fix), "journalctl -k | grep -iE '%s|I/O error'; then, once the cache device is checked: dmsetup remove %s",
		    wc_target_name(in->target), in->dm_name);
		break;
	}
}

static void rule_cleaner(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	struct wc_settings s;
	struct wc_finding *f;

	if (!in->tb->cleaner)
		return;
	f = add(r, "cleaner_on");
	if (!f)
		return;
	put(f->evidence, sizeof(f->evidence), "cleaner is set in the table%s",
	    in->st1->dirty_blocks ? ", and the cache still holds dirty blocks" : "; the cache is clean");
	put(f->effect, sizeof(f->effect),
	    "every write goes to the origin at its speed; the cache only drains");
	memset(&s, 0, sizeof(s));
	s.val[WC_K_CLEANER] = 0;
	if (in->kind == WC_DOC_HAND) {
		struct wc_doc_in tmp = *in;
		struct wc_table tb = *in->tb;
		char params[2048];

		tb.cleaner = 0;
		tb.set.mask &= ~(1u << WC_K_CLEANER);
		tmp.tb = &tb;
		live_params_with(&tmp, &s, 0, params, sizeof(params));
		put(f->fix, sizeof(f->fix), "dmsetup reload %s --table '0 %llu %s %s' && dmsetup suspend %s && dmsetup resume %s",
		    in->dm_name, (unsigned long long)in->sectors, wc_target_name(in->target),
		    params, in->dm_name, in->dm_name);
	} else {
		fix_settings(in, &s, 1u << WC_K_CLEANER, f->fix, sizeof(f->fix));
	}
}

/* the cache cannot keep up: bigger cache, or faster (sorted) writeback */
static void fix_capacity(const struct wc_doc_in *in, char *fix, size_t len)
{
	uint64_t bytes = in->st1->total_blocks * in->tb->block_size;

	if (in->target == WC_TARGET_WRITECACHE && in->origin_rotational)
		fix_rebuild(in, 0, fix, len);
	else
		fix_rebuild(in, bytes, fix, len);
}

static void capacity_effect(const struct wc_doc_in *in, char *buf, size_t len)
{
	if (in->target == WC_TARGET_WRITECACHE && in->origin_rotational)
		put(buf, len, "writes run at the origin's speed, not the cache device's (random writes, when they go around a full dm-writecache); dm-wcache waits for a free block instead and writes back in sorted batches that a rotational origin takes several times faster, and a larger cache holds more of the working set");
	else
		put(buf, len, "writes run at the origin's writeback rate, not the cache device's; a cache larger than the working set keeps writes on the cache device");
}

static void rule_capacity(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_doc_metrics *m = &r->m;
	struct wc_finding *f;
	char a[32], b[32], c[32];
	int over = m->max_dirty_pct > (double)m->high_wm && m->high_wm < 100;
	int blocked = m->rates && (m->blocked_ps > 0 || m->full_around_ps > 0);
	int filling = m->rates && m->secs_to_full >= 0 && m->secs_to_full < 600;

	if (blocked) {
		f = add(r, "cache_full");
		if (!f)
			return;
		if (m->full_around_ps > 0)
			put(f->evidence, sizeof(f->evidence),
			    "%s writes/s (%.0f%% of %s writes/s) found no free cache block and went around the cache to %s; %.0f%% of the cache in use, ",
			    num(a, sizeof(a), m->full_around_ps), pct(m->full_around_ps, m->writes_ps),
			    num(b, sizeof(b), m->writes_ps), rot(in), m->used_pct);
		else
			put(f->evidence, sizeof(f->evidence),
			    "%s writes/s waited for a free cache block (%.0f%% of %s writes/s); %.0f%% of the cache in use, ",
			    num(a, sizeof(a), m->blocked_ps), m->blocked_pct,
			    num(b, sizeof(b), m->writes_ps), m->used_pct);
		speed_evidence(in, m, f->evidence, sizeof(f->evidence));
		capacity_effect(in, f->effect, sizeof(f->effect));
		fix_capacity(in, f->fix, sizeof(f->fix));
	}
	if (over) {
		f = add(r, "above_high_watermark");
		if (!f)
			return;
		put(f->evidence, sizeof(f->evidence), "%.0f%% dirty, above high_watermark %llu",
		    m->max_dirty_pct, (unsigned long long)m->high_wm);
		if (blocked && m->full_around_ps > 0)
			cat(f->evidence, sizeof(f->evidence),
			    ": the cache is full and every new write goes to %s at its speed (", rot(in));
		else if (blocked)
			cat(f->evidence, sizeof(f->evidence),
			    ": every new write waits for writeback to %s (", rot(in));
		else if (filling)
			cat(f->evidence, sizeof(f->evidence),
			    ": writeback to %s cannot keep up, the cache is full in %.0f s (", rot(in),
			    m->secs_to_full);
		else
			cat(f->evidence, sizeof(f->evidence),
			    ": writeback to %s runs all the time, down to low_watermark %llu (", rot(in),
			    (unsigned long long)m->low_wm);
		speed_evidence(in, m, f->evidence, sizeof(f->evidence));
		cat(f->evidence, sizeof(f->evidence), ")");
		if (blocked || filling) {
			capacity_effect(in, f->effect, sizeof(f->effect));
			fix_capacity(in, f->fix, sizeof(f->fix));
		} else {
			/* the working set fits: let it stay in the cache */
			struct wc_settings s;
			uint64_t h = (uint64_t)ceil(m->max_dirty_pct) + 10;

			f->cls = WC_F_WARNING;
			if (h > 95)
				h = 95;
			memset(&s, 0, sizeof(s));
			s.val[WC_K_HIGH_WM] = h;
			s.val[WC_K_LOW_WM] = h - 5;
			if (h <= m->high_wm) {
				put(f->effect, sizeof(f->effect),
				    "the origin is kept busy; the cache is nearly full, so only a larger cache helps");
				fix_capacity(in, f->fix, sizeof(f->fix));
			} else {
				put(f->effect, sizeof(f->effect),
				    "the origin is kept busy and overwrites of written-back blocks allocate again; the data in use fits below %llu%%",
				    (unsigned long long)h);
				fix_settings(in, &s, (1u << WC_K_HIGH_WM) | (1u << WC_K_LOW_WM),
					     f->fix, sizeof(f->fix));
			}
		}
	}
	if (filling && !blocked && !over) {
		f = add(r, "filling");
		if (!f)
			return;
		put(f->evidence, sizeof(f->evidence),
		    "%s writes/s in, %s blocks/s written back: used grows by %s blocks/s, the cache is full in %.0f s",
		    num(a, sizeof(a), m->writes_ps), num(b, sizeof(b), m->writeback_ps),
		    num(c, sizeof(c), m->fill_ps), m->secs_to_full);
		capacity_effect(in, f->effect, sizeof(f->effect));
		fix_capacity(in, f->fix, sizeof(f->fix));
	}
}

/*
 * dm-writecache pauses writeback for pause_writeback ms (default 3000)
 * after any write it redirected to the origin. A full cache redirects every
 * write that misses, so under steady load writeback never resumes and the
 * cache never drains: the write rate stays the origin's random-write rate.
 */
static void rule_paused(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_doc_metrics *m = &r->m;
	struct wc_settings s;
	struct wc_finding *f;
	char a[32], b[32];
	uint64_t pause;
	int unl;

	if (in->target != WC_TARGET_WRITECACHE || !m->rates || m->full_around_ps <= 0)
		return;
	pause = wc_doc_effective(in->target, in->tb, WC_K_PAUSE_WB, &unl);
	if (!pause || m->writeback_ps * 10 > m->full_around_ps)
		return;
	f = add(r, "writeback_paused");
	if (!f)
		return;
	f->setting = "pause_writeback";
	snprintf(f->live, sizeof(f->live), "%llu", (unsigned long long)pause);
	snprintf(f->planned, sizeof(f->planned), "0");
	put(f->evidence, sizeof(f->evidence),
	    "%s writes/s went around the full cache to the origin, and pause_writeback %llu%s stops writeback for %llu ms after each: writeback %s blocks/s, the cache never drains",
	    num(a, sizeof(a), m->full_around_ps), (unsigned long long)pause,
	    (in->tb->set.mask & (1u << WC_K_PAUSE_WB)) ? "" : " (the target's default)",
	    (unsigned long long)pause, num(b, sizeof(b), m->writeback_ps));
	put(f->effect, sizeof(f->effect),
	    "every write runs at the origin's random-write speed for as long as the load lasts; with pause_writeback 0 writeback frees blocks while writes go on");
	memset(&s, 0, sizeof(s));
	s.val[WC_K_PAUSE_WB] = 0;
	fix_settings(in, &s, 1u << WC_K_PAUSE_WB, f->fix, sizeof(f->fix));
}

static void rule_commits(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_doc_metrics *m = &r->m;
	const struct wc_plan *p = in->plan;
	struct wc_finding *f;
	char a[32], b[32], c[32];
	int unl;
	uint64_t ac = wc_doc_effective(in->target, in->tb, WC_K_AC_BLOCKS, &unl);
	double by_blocks = ac ? m->writes_ps / ac : 0;

	if (!m->rates)
		return;
	/* commits forced by autocommit_blocks, beyond what the FLUSHes force */
	if (by_blocks >= 50 && p && p->s.val[WC_K_AC_BLOCKS] > ac) {
		struct wc_settings s;

		f = add(r, "commit_bound");
		if (!f)
			return;
		put(f->evidence, sizeof(f->evidence),
		    "autocommit_blocks %llu with %s writes/s and %s flushes/s: %s commits/s%s, each a metadata write and a FLUSH to the cache device: commit-bound",
		    (unsigned long long)ac, num(a, sizeof(a), m->writes_ps),
		    num(b, sizeof(b), m->flushes_ps), num(c, sizeof(c), m->commits_ps),
		    m->commits_estimated ? " (estimated)" : "");
		put(f->effect, sizeof(f->effect),
		    "the cache device spends its time on commits; with autocommit_blocks %llu a commit comes every %llu writes instead",
		    (unsigned long long)p->s.val[WC_K_AC_BLOCKS],
		    (unsigned long long)p->s.val[WC_K_AC_BLOCKS]);
		memset(&s, 0, sizeof(s));
		s.val[WC_K_AC_BLOCKS] = p->s.val[WC_K_AC_BLOCKS];
		fix_settings(in, &s, 1u << WC_K_AC_BLOCKS, f->fix, sizeof(f->fix));
	}
	if (m->flushes_ps >= 100) {
		f = add(r, "flush_bound");
		if (!f)
			return;
		put(f->evidence, sizeof(f->evidence),
		    "%s flushes/s (%s writes/s): each FLUSH commits the cache's metadata",
		    num(a, sizeof(a), m->flushes_ps), num(b, sizeof(b), m->writes_ps));
		put(f->effect, sizeof(f->effect),
		    "the write rate is bound by the cache device's FLUSH latency, whatever the table says; a cache device with power-loss protection (no volatile write cache) makes a FLUSH cheap");
		f->fix[0] = '\0';
	}
}

static void rule_bypass(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_doc_metrics *m = &r->m;
	struct wc_finding *f;
	char a[32];
	double other;

	if (!m->rates || in->tb->cleaner)
		return;
	/* sequential_cutoff bypasses on purpose; anything else is not wanted */
	other = (delta(in, WC_C_WRITES_AROUND) + delta(in, WC_C_BYPASS_OTHER)) / in->secs -
		m->full_around_ps;
	if (other <= 0 || pct(other, m->writes_ps) < 10)
		return;
	f = add(r, "writes_bypassed");
	if (!f)
		return;
	put(f->evidence, sizeof(f->evidence), "%s writes/s (%.0f%% of writes) went around the cache%s",
	    num(a, sizeof(a), other), pct(other, m->writes_ps),
	    in->tb->metadata_only ? ": metadata_only is set" : "");
	put(f->effect, sizeof(f->effect), "those writes run at the origin's speed");
	fix_rebuild(in, 0, f->fix, sizeof(f->fix));
}

static void rule_block_size(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_plan *p = in->plan;
	struct wc_finding *f;
	uint32_t bs = in->tb->block_size;

	if (in->fs_block_size > bs) {
		f = add(r, "block_size_below_fs");
		if (!f)
			return;
		f->setting = "block_size";
		snprintf(f->live, sizeof(f->live), "%u", bs);
		snprintf(f->planned, sizeof(f->planned), "%u", p ? p->block_size : in->fs_block_size);
		if (in->fs_block_size % 1024 == 0)
			put(f->evidence, sizeof(f->evidence),
			    "block size %u on a %u KiB %s filesystem: %u cache entries per filesystem block",
			    bs, in->fs_block_size / 1024, in->fs_type && *in->fs_type ? in->fs_type : "",
			    in->fs_block_size / bs);
		else
			put(f->evidence, sizeof(f->evidence),
			    "block size %u on a %u-byte %s filesystem: %u cache entries per filesystem block",
			    bs, in->fs_block_size, in->fs_type && *in->fs_type ? in->fs_type : "",
			    in->fs_block_size / bs);
		put(f->effect, sizeof(f->effect),
		    "every filesystem block takes %u cache entries: %ux the metadata, kernel RAM and lookups per byte cached, and writeback in %u-byte pieces",
		    in->fs_block_size / bs, in->fs_block_size / bs, bs);
		fix_rebuild(in, 0, f->fix, sizeof(f->fix));
	} else if (p && p->block_size != bs) {
		f = add(r, "block_size_differs");
		if (!f)
			return;
		f->setting = "block_size";
		snprintf(f->live, sizeof(f->live), "%u", bs);
		snprintf(f->planned, sizeof(f->planned), "%u", p->block_size);
		put(f->evidence, sizeof(f->evidence), "block_size %u, the plan: %s", bs, p->bs_reason);
		if (bs < p->block_size)
			put(f->effect, sizeof(f->effect),
			    "%ux the cache entries per page: more metadata and kernel RAM per byte cached, smaller writeback I/Os",
			    p->block_size / bs);
		else
			put(f->effect, sizeof(f->effect),
			    "writes smaller than %u bytes need a read of the rest of the block", bs);
		fix_rebuild(in, 0, f->fix, sizeof(f->fix));
	}
}

static const char *key_effect(int k, int lower)
{
	switch (k) {
	case WC_K_HIGH_WM:
		return lower ? "writeback starts earlier: the origin is kept busier and fewer overwrites hit the cache" :
			       "writeback starts later: less of the cache is left to absorb a burst before writes wait";
	case WC_K_LOW_WM:
		return lower ? "each writeback round runs longer, keeping the origin busy" :
			       "writeback rounds are short, with less to sort and merge per round";
	case WC_K_WB_JOBS:
		return lower ? "fewer blocks in flight to the origin: less for it to sort and merge, slower writeback" :
			       "more blocks in flight during writeback: more kernel memory held, longer queues before reads";
	case WC_K_AC_BLOCKS:
		return lower ? "more commits (each a metadata write and a FLUSH to the cache device) for the same writes" :
			       "uncommitted blocks can pin more of the cache; they cannot be written back until committed";
	case WC_K_AC_TIME:
		return lower ? "more commits when the application sends no FLUSH" :
			       "writes without FLUSH stay uncommitted longer: more to lose in a crash";
	case WC_K_MAX_AGE:
		return lower ? "blocks are written back sooner, keeping the origin busier" :
			       "blocks stay dirty longer";
	case WC_K_PAUSE_WB:
		return lower ? "writeback competes with user I/O between the watermarks" :
			       "between the watermarks writeback waits longer after user I/O, so dirty data builds up";
	case WC_K_SEQ_CUTOFF:
		return lower ? "sequential streams fill the cache instead of going to the origin, which writes them at full speed" :
			       "more sequential writes bypass the cache";
	default:
		return lower ? "off where the plan has it on" : "on where the plan has it off";
	}
}

static void rule_settings(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	const struct wc_plan *p = in->plan;
	int k;

	if (!p || p->target != in->target)
		return;
	for (k = 0; k < WC_NKEYS; k++) {
		struct wc_finding *f;
		struct wc_settings s;
		uint64_t live;
		int unl, lower;

		if (!(p->s.mask & (1u << k)) || k == WC_K_CLEANER)
			continue;
		if (!(wc_keys[k].targets & WC_TMASK(in->target)))
			continue;
		live = wc_doc_effective(in->target, in->tb, k, &unl);
		if (!unl && live == p->s.val[k])
			continue;
		f = add(r, "setting_differs");
		if (!f)
			return;
		f->setting = wc_keys[k].name;
		if (unl)
			snprintf(f->live, sizeof(f->live), "unlimited");
		else
			snprintf(f->live, sizeof(f->live), "%llu", (unsigned long long)live);
		snprintf(f->planned, sizeof(f->planned), "%llu", (unsigned long long)p->s.val[k]);
		lower = !unl && live < p->s.val[k];
		put(f->evidence, sizeof(f->evidence), "%s %s%s, the plan: %s", wc_keys[k].name,
		    f->live, (in->tb->set.mask & (1u << k)) ? "" : " (the target's default)",
		    p->reason[k]);
		put(f->effect, sizeof(f->effect), "%s", key_effect(k, lower));
		memset(&s, 0, sizeof(s));
		s.val[k] = p->s.val[k];
		fix_settings(in, &s, 1u << k, f->fix, sizeof(f->fix));
	}
}

void wc_doctor(const struct wc_doc_in *in, struct wc_doc_report *r)
{
	memset(r, 0, sizeof(*r));
	metrics(in, &r->m);
	rule_error(in, r);
	rule_cleaner(in, r);
	rule_paused(in, r);
	rule_capacity(in, r);
	rule_commits(in, r);
	rule_bypass(in, r);
	rule_block_size(in, r);
	rule_settings(in, r);
}

int wc_doc_split_dm_name(const char *name, char *vg, size_t vlen, char *lv, size_t llen)
{
	const char *p;
	size_t o = 0;
	char *out = vg;
	size_t olen = vlen;
	int part = 0;

	for (p = name; *p; p++) {
		if (*p == '-' && p[1] == '-') {
			p++;
		} else if (*p == '-') {
			if (part || o == 0)
				return -1;
			out[o] = '\0';
			out = lv;
			olen = llen;
			o = 0;
			part = 1;
			continue;
		}
		if (o + 1 >= olen)
			return -1;
		out[o++] = *p;
	}
	if (!part || o == 0)
		return -1;
	out[o] = '\0';
	return 0;
}
