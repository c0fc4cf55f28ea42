// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: the geometry -> table policy.
 *
 * One pure function: everything it needs comes in struct wc_geometry,
 * everything it decides goes out in struct wc_plan with one line of
 * reasoning per value. No I/O, no globals; unit-tested in tests/unit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define KIB	(1024ULL)
#define MIB	(1024ULL * KIB)
#define GIB	(1024ULL * MIB)

#define WCS	WC_SECTION_WRITECACHE
#define OWN	WC_SECTION_WCACHE
#define WCACHE_ONLY	WC_TMASK(WC_TARGET_WCACHE)

/*
 * Ranges are those both kernel targets accept (dm-wcache's constructor and
 * dm-writecache's), so a value accepted here never fails the table load.
 */
const struct wc_key_info wc_keys[WC_NKEYS] = {
	[WC_K_HIGH_WM]	 = { "high_watermark", 0, 100, WC_TALL, "%", 0, WCS,
			     "start writeback above this share of the cache in use" },
	[WC_K_LOW_WM]	 = { "low_watermark", 0, 100, WC_TALL, "%", 0, WCS,
			     "stop writeback at this share (not above high_watermark)" },
	[WC_K_WB_JOBS]	 = { "writeback_jobs", 1, 65536, WC_TALL, "blocks", 0, WCS,
			     "blocks in flight to the origin during writeback" },
	[WC_K_AC_BLOCKS] = { "autocommit_blocks", 1, 1u << 30, WC_TALL, "blocks", 0, WCS,
			     "commit after this many writes without a FLUSH" },
	[WC_K_AC_TIME]	 = { "autocommit_time", 1, 3600000, WC_TALL, "ms", 0, WCS,
			     "commit at least this often" },
	[WC_K_MAX_AGE]	 = { "max_age", 1, 86400000, WC_TALL, "ms", 0, WCS,
			     "write back blocks older than this" },
	[WC_K_PAUSE_WB]	 = { "pause_writeback", 0, 60000, WC_TALL, "ms", 0, WCS,
			     "between the watermarks, pause writeback this long after user I/O" },
	[WC_K_SEQ_CUTOFF] = { "sequential_cutoff", 0, 1ULL << 40, WCACHE_ONLY, "bytes", 0, OWN,
			      "sequential streams longer than this bypass the cache (0 off)" },
	[WC_K_CLEANER]	 = { "cleaner", 0, 1, WC_TALL, "(flag)", WC_KF_FLAG | WC_KF_MSG_ON, WCS,
			     "1: write everything back, new writes go to the origin" },
	[WC_K_FLUSH_ON_SUSPEND] = { "flush_on_suspend", 0, 1, WCACHE_ONLY, "(flag)",
				    WC_KF_FLAG | WC_KF_MSG_ON, OWN,
				    "1: write everything back on every suspend" },
};

int wc_key_lookup(const char *name)
{
	int i;

	for (i = 0; i < WC_NKEYS; i++)
		if (!strcmp(wc_keys[i].name, name))
			return i;
	return -1;
}

int wc_settings_set_value(struct wc_settings *s, int k, const char *val,
			  char *err, size_t errlen)
{
	const struct wc_key_info *ki = &wc_keys[k];
	uint64_t v;
	int r;

	if (k == WC_K_SEQ_CUTOFF)
		r = wc_parse_size(val, &v);
	else
		r = wc_parse_u64(val, 0, UINT64_MAX, &v);
	/* digits that overflow are out of range; anything else is not a number */
	if (r && *val != '-' && strspn(val, "0123456789") != strlen(val)) {
		snprintf(err, errlen, "setting %s: '%.32s' is not a number (valid: %llu..%llu %s)",
			 ki->name, val, (unsigned long long)ki->min,
			 (unsigned long long)ki->max, ki->unit);
		return WC_EUSAGE;
	}
	if (r || v < ki->min || v > ki->max) {
		snprintf(err, errlen, "setting %s=%.32s out of range (valid: %llu..%llu %s)",
			 ki->name, val, (unsigned long long)ki->min,
			 (unsigned long long)ki->max, ki->unit);
		return WC_EUSAGE;
	}
	s->val[k] = v;
	s->mask |= 1u << k;
	return 0;
}

static void key_list(unsigned int targets, const char *section, char *buf, size_t len)
{
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < WC_NKEYS && off < len; k++) {
		if (!(wc_keys[k].targets & targets))
			continue;
		if (section && strcmp(wc_keys[k].section, section))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? " " : "", wc_keys[k].name);
	}
}

int wc_settings_set(struct wc_settings *s, const char *kv, enum wc_target t,
		    char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char key[64], keys[256];
	size_t n;
	int k;

	if (!eq || eq == kv) {
		snprintf(err, errlen, "setting '%.64s' is not key=value", kv);
		return WC_EUSAGE;
	}
	n = eq - kv;
	k = -1;
	if (n < sizeof(key)) {
		memcpy(key, kv, n);
		key[n] = '\0';
		k = wc_key_lookup(key);
	}
	if (k < 0) {
		key_list(WC_TALL, NULL, keys, sizeof(keys));
		snprintf(err, errlen, "unknown setting '%.*s' (valid: %s)",
			 (int)(n < 64 ? n : 64), kv, keys);
		return WC_EUSAGE;
	}
	if (t != WC_TARGET_NONE && !(wc_keys[k].targets & WC_TMASK(t))) {
		snprintf(err, errlen, "setting '%s' is not supported by target %s",
			 key, wc_target_name(t));
		return WC_EUSAGE;
	}
	return wc_settings_set_value(s, k, eq + 1, err, errlen);
}

int wc_settings_check(const struct wc_settings *s, enum wc_target t,
		      char *err, size_t errlen)
{
	int k;

	for (k = 0; k < WC_NKEYS; k++) {
		if (!(s->mask & (1u << k)))
			continue;
		if (!(wc_keys[k].targets & WC_TMASK(t))) {
			snprintf(err, errlen, "setting '%s' is not supported by target %s",
				 wc_keys[k].name, wc_target_name(t));
			return WC_EUSAGE;
		}
		if (s->val[k] < wc_keys[k].min || s->val[k] > wc_keys[k].max) {
			snprintf(err, errlen, "setting %s=%llu out of range (valid: %llu..%llu %s)",
				 wc_keys[k].name, (unsigned long long)s->val[k],
				 (unsigned long long)wc_keys[k].min,
				 (unsigned long long)wc_keys[k].max, wc_keys[k].unit);
			return WC_EUSAGE;
		}
	}
	if ((s->mask & (1u << WC_K_LOW_WM)) && (s->mask & (1u << WC_K_HIGH_WM)) &&
	    s->val[WC_K_LOW_WM] > s->val[WC_K_HIGH_WM]) {
		snprintf(err, errlen, "low_watermark %llu is above high_watermark %llu (valid: low_watermark 0..%llu)",
			 (unsigned long long)s->val[WC_K_LOW_WM],
			 (unsigned long long)s->val[WC_K_HIGH_WM],
			 (unsigned long long)s->val[WC_K_HIGH_WM]);
		return WC_EUSAGE;
	}
	return 0;
}

void wc_settings_merge(struct wc_settings *dst, const struct wc_settings *src)
{
	int k;

	for (k = 0; k < WC_NKEYS; k++) {
		if (!(src->mask & (1u << k)))
			continue;
		dst->val[k] = src->val[k];
		dst->mask |= 1u << k;
	}
}

void wc_settings_format(const struct wc_settings *s, char *buf, size_t len)
{
	size_t off = 0;
	int k;

	if (len)
		buf[0] = '\0';
	for (k = 0; k < WC_NKEYS && off < len; k++)
		if (s->mask & (1u << k))
			off += snprintf(buf + off, len - off, "%s%s=%llu", off ? " " : "",
					wc_keys[k].name, (unsigned long long)s->val[k]);
}

int wc_profile_key(const char *section, const char *key, enum wc_target t,
		   char *err, size_t errlen)
{
	char keys[256];
	int k = wc_key_lookup(key);

	if (strcmp(section, WC_SECTION_WRITECACHE) && strcmp(section, WC_SECTION_WCACHE)) {
		snprintf(err, errlen, "unknown section cache_settings/%.64s (valid: %s, %s)",
			 section, WC_SECTION_WRITECACHE, WC_SECTION_WCACHE);
		return -2;
	}
	if (k < 0 || strcmp(wc_keys[k].section, section)) {
		key_list(WC_TALL, section, keys, sizeof(keys));
		if (k >= 0)
			snprintf(err, errlen, "setting '%s' belongs in section cache_settings/%s, not %s",
				 key, wc_keys[k].section, section);
		else
			snprintf(err, errlen, "unknown setting '%.64s' in section cache_settings/%s (valid: %s)",
				 key, section, keys);
		return -2;
	}
	if (t != WC_TARGET_NONE && !(wc_keys[k].targets & WC_TMASK(t)))
		return -1;
	return k;
}

int wc_key_implicit_zero(int k, enum wc_target t)
{
	if (wc_keys[k].flags & WC_KF_FLAG)
		return 1;
	/* dm-wcache omits sequential_cutoff 0 from its table */
	return k == WC_K_SEQ_CUTOFF && t == WC_TARGET_WCACHE;
}

enum wc_tune_method wc_tune_method(const struct wc_settings *live,
				   const struct wc_settings *want, enum wc_target t,
				   uint32_t *changed)
{
	enum wc_tune_method m = WC_TUNE_NONE;
	int k;

	*changed = 0;
	for (k = 0; k < WC_NKEYS; k++) {
		int lhas = !!(live->mask & (1u << k)), whas = !!(want->mask & (1u << k));
		uint64_t lv = lhas ? live->val[k] : 0, wv = whas ? want->val[k] : 0;

		if (!(wc_keys[k].targets & WC_TMASK(t)))
			continue;
		if (!lhas && !whas)
			continue;
		if (lhas != whas && !wc_key_implicit_zero(k, t)) {
			/* the table has no value where we want one, or one too many */
			*changed |= 1u << k;
			m = WC_TUNE_RELOAD;
			continue;
		}
		if (lv == wv)
			continue;
		*changed |= 1u << k;
		/*
		 * dm-wcache switches cleaner and flush_on_suspend on by message
		 * and shows them in its table; dm-writecache hides a cleaner set
		 * by message, so it gets a reload.
		 */
		if (t == WC_TARGET_WCACHE && (wc_keys[k].flags & WC_KF_MSG_ON) && wv == 1) {
			if (m == WC_TUNE_NONE)
				m = WC_TUNE_MESSAGE;
		} else {
			m = WC_TUNE_RELOAD;
		}
	}
	return m;
}

static void say(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, WC_REASON_MAX, fmt, ap);
	va_end(ap);
}

static void warn(struct wc_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct wc_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nwarn >= WC_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(p->warn[p->nwarn++], WC_REASON_MAX, fmt, ap);
	va_end(ap);
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t clamp64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void human(uint64_t b, char *buf, size_t len)
{
	wc_human_size(b, buf, len);
}

static int choose_block_size(const struct wc_geometry *g, struct wc_plan *p)
{
	uint32_t lbs = g->origin_lbs > g->cache_lbs ? g->origin_lbs : g->cache_lbs;
	uint32_t pbs = g->origin_pbs > g->cache_pbs ? g->origin_pbs : g->cache_pbs;
	uint32_t page = g->page_size ? g->page_size : 4096;
	uint32_t bs;

	if (lbs < 512)
		lbs = 512;
	if (g->req_block_size) {
		bs = g->req_block_size;
		if (!is_pow2(bs) || bs < 512 || bs > page) {
			say(p->error, "block size %u must be a power of two from 512 to the page size %u",
			    bs, page);
			return WC_EGEOMETRY;
		}
		if (bs < lbs) {
			say(p->error, "block size %u is smaller than the logical block size %u of origin or cache",
			    bs, lbs);
			return WC_EGEOMETRY;
		}
		if (g->fs_block_size && bs > g->fs_block_size) {
			say(p->error, "block size %u is larger than the %s filesystem's block size %u",
			    bs, g->fs_type[0] ? g->fs_type : "origin", g->fs_block_size);
			return WC_EGEOMETRY;
		}
		say(p->bs_reason, "%u: set by --block-size (logical block sizes origin %u, cache %u%s)",
		    bs, g->origin_lbs, g->cache_lbs,
		    g->fs_block_size ? ", within the filesystem's block size" : "");
	} else if (g->fs_block_size) {
		bs = g->fs_block_size < page ? g->fs_block_size : page;
		if (!is_pow2(bs) || bs < 512) {
			say(p->error, "filesystem block size %u is not usable as cache block size",
			    g->fs_block_size);
			return WC_EGEOMETRY;
		}
		if (bs < lbs) {
			say(p->error, "the %s filesystem's block size %u is smaller than the logical block size %u of origin or cache",
			    g->fs_type, g->fs_block_size, lbs);
			return WC_EGEOMETRY;
		}
		say(p->bs_reason, "%u: the %s filesystem on the origin uses %u-byte blocks%s; one cache block per filesystem block, no read-modify-write",
		    bs, g->fs_type, g->fs_block_size,
		    g->fs_block_size > page ? " (capped at the page size)" : "");
	} else {
		bs = page < 4096 ? page : 4096;
		if (bs < lbs) {
			say(p->error, "logical block size %u of origin or cache exceeds the page size %u",
			    lbs, page);
			return WC_EGEOMETRY;
		}
		say(p->bs_reason, "%u: no filesystem on the origin; 4096 matches the page cache and what mkfs picks (logical block sizes origin %u, cache %u)",
		    bs, g->origin_lbs, g->cache_lbs);
	}
	if (bs < pbs)
		warn(p, "block size %u is below the physical block size %u: the device does read-modify-write for every cache block",
		     bs, pbs);
	p->block_size = bs;
	return 0;
}

int wc_policy(const struct wc_geometry *g, struct wc_plan *p)
{
	char a[32], b[32];
	uint64_t per_block, blocks, jobs_bytes;
	const struct wc_settings *u = &g->user;
	int k, r;

	memset(p, 0, sizeof(*p));
	p->target = g->target;
	if (g->target != WC_TARGET_WCACHE && g->target != WC_TARGET_WRITECACHE) {
		say(p->error, "no target type chosen");
		return WC_EUSAGE;
	}
	for (k = 0; k < WC_NKEYS; k++) {
		if (((u->mask | g->profile.mask) & (1u << k)) &&
		    !(wc_keys[k].targets & WC_TMASK(g->target))) {
			say(p->error, "setting '%s' is not supported by target %s",
			    wc_keys[k].name, wc_target_name(g->target));
			return WC_EUSAGE;
		}
	}
	if (!g->cache_bytes || !g->origin_bytes) {
		say(p->error, "origin or cache has size 0");
		return WC_EGEOMETRY;
	}

	p->mode = 's';
	say(p->mode_reason, "s: the cache is a block device (SSD mode: metadata and data on the cache device, commits on FLUSH)");

	r = choose_block_size(g, p);
	if (r)
		return r;

	/* SSD mode: one 16-byte metadata entry per block on the cache device */
	if (g->cache_bytes < 2ULL * p->block_size + 64 * (p->block_size + WC_META_PER_BLOCK)) {
		human(g->cache_bytes, a, sizeof(a));
		say(p->error, "cache of %s is too small for block size %u", a, p->block_size);
		return WC_EGEOMETRY;
	}
	blocks = (g->cache_bytes - p->block_size) / (p->block_size + WC_META_PER_BLOCK);
	p->cache_blocks = blocks;
	per_block = g->target == WC_TARGET_WCACHE ? WC_RAM_PER_BLOCK_WCACHE :
						   WC_RAM_PER_BLOCK_WRITECACHE;
	p->ram_needed = blocks * per_block;
	human(p->ram_needed, a, sizeof(a));
	human(g->ram_bytes, b, sizeof(b));
	if (g->ram_bytes && p->ram_needed > g->ram_bytes / 2) {
		if (!g->force) {
			say(p->error, "the cache's metadata needs %s of RAM, more than half of the %s installed; use a larger block size or --force",
			    a, b);
			return WC_EREFUSED;
		}
		warn(p, "--force: the cache's metadata needs %s of RAM, more than half of the %s installed",
		     a, b);
	} else if (g->ram_bytes && p->ram_needed > g->ram_bytes / 8) {
		warn(p, "the cache's metadata needs %s of RAM, more than 1/8 of the %s installed",
		     a, b);
	}

	/* watermarks */
	if (g->origin_rotational) {
		p->s.val[WC_K_HIGH_WM] = 50;
		say(p->reason[WC_K_HIGH_WM], "50: the origin is rotational and drains slowly, so writeback starts at half full and the other half absorbs bursts");
		p->s.val[WC_K_LOW_WM] = 45;
		say(p->reason[WC_K_LOW_WM], "45: writeback stops 5%% below the high watermark, so the slow origin is not kept busy longer than needed");
	} else {
		p->s.val[WC_K_HIGH_WM] = 80;
		say(p->reason[WC_K_HIGH_WM], "80: the origin is not rotational and drains fast, so more of the cache can hold data (more overwrites hit the cache)");
		p->s.val[WC_K_LOW_WM] = 70;
		say(p->reason[WC_K_LOW_WM], "70: writeback stops 10%% below the high watermark, in batches large enough to merge adjacent blocks");
	}

	/* in-flight writeback bounded by memory: RAM/256, at most 64 MiB */
	jobs_bytes = g->ram_bytes ? g->ram_bytes / 256 : 16 * MIB;
	if (jobs_bytes > 64 * MIB)
		jobs_bytes = 64 * MIB;
	p->s.val[WC_K_WB_JOBS] = clamp64(jobs_bytes / p->block_size, 64, 65536);
	human(p->s.val[WC_K_WB_JOBS] * p->block_size, a, sizeof(a));
	say(p->reason[WC_K_WB_JOBS], "%llu: at most %s of writeback in flight (1/256 of RAM, capped at 64 MiB)%s",
	    (unsigned long long)p->s.val[WC_K_WB_JOBS], a,
	    g->origin_rotational ? "; a deep queue lets the rotational origin sort and merge" : "");

	/* autocommit: never let uncommitted blocks pin more than 1/8 of the cache */
	p->s.val[WC_K_AC_BLOCKS] = clamp64(blocks / 8, 256, 65536);
	say(p->reason[WC_K_AC_BLOCKS], "%llu: commit after 1/8 of the cache's %llu blocks (bounded to 256..65536) without a FLUSH, so uncommitted data never pins much of the cache",
	    (unsigned long long)p->s.val[WC_K_AC_BLOCKS], (unsigned long long)blocks);
	p->s.val[WC_K_AC_TIME] = 1000;
	say(p->reason[WC_K_AC_TIME], "1000: writes without FLUSH are committed within 1 s, like the page cache's own writeback granularity");
	p->s.mask = (1u << WC_K_HIGH_WM) | (1u << WC_K_LOW_WM) | (1u << WC_K_WB_JOBS) |
		    (1u << WC_K_AC_BLOCKS) | (1u << WC_K_AC_TIME);

	if (g->target == WC_TARGET_WRITECACHE) {
		/* dm-wcache's own default is 0 already */
		p->s.val[WC_K_PAUSE_WB] = 0;
		say(p->reason[WC_K_PAUSE_WB], "0: with dm-writecache's default (3000 ms), each write that finds the cache full goes to the origin and stops writeback for 3 s, so under a steady load the cache never drains (doctor's writeback_paused)");
		p->s.mask |= 1u << WC_K_PAUSE_WB;
	}
	if (g->target == WC_TARGET_WCACHE) {
		if (g->origin_rotational) {
			p->s.val[WC_K_SEQ_CUTOFF] = 4 * MIB;
			say(p->reason[WC_K_SEQ_CUTOFF], "4194304: sequential streams longer than 4 MiB go straight to the rotational origin, which writes them at full speed");
		} else {
			p->s.val[WC_K_SEQ_CUTOFF] = 0;
			say(p->reason[WC_K_SEQ_CUTOFF], "0: the origin is not rotational, sequential writes are cached too");
		}
		p->s.mask |= 1u << WC_K_SEQ_CUTOFF;
	}

	/* then the profile, then --set, each with its own reason */
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(g->profile.mask & (1u << k)))
			continue;
		p->s.val[k] = g->profile.val[k];
		p->s.mask |= 1u << k;
		say(p->reason[k], "%llu: set by profile %s", (unsigned long long)g->profile.val[k],
		    g->profile_name ? g->profile_name : "(unnamed)");
	}
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(u->mask & (1u << k)))
			continue;
		p->s.val[k] = u->val[k];
		p->s.mask |= 1u << k;
		say(p->reason[k], "%llu: set by --set", (unsigned long long)u->val[k]);
	}
	if (wc_settings_check(&p->s, g->target, p->error, sizeof(p->error)))
		return WC_EUSAGE;
	return WC_OK;
}

int wc_plan_params(const struct wc_plan *p, const char *origin, const char *cache,
		   int cleaner, const char *origin_uuid, char *buf, size_t len)
{
	unsigned int nargs = (origin_uuid ? 2 : 0);
	size_t off;
	int k, n;

	if (p->s.mask & (1u << WC_K_CLEANER) && p->s.val[WC_K_CLEANER])
		cleaner = 1;
	nargs += cleaner ? 1 : 0;
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(p->s.mask & (1u << k)) || k == WC_K_CLEANER)
			continue;
		if (wc_keys[k].flags & WC_KF_FLAG)
			nargs += p->s.val[k] ? 1 : 0;
		else
			nargs += 2;
	}
	n = snprintf(buf, len, "%c %s %s %u %u", p->mode, origin, cache, p->block_size, nargs);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = n;
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(p->s.mask & (1u << k)) || k == WC_K_CLEANER)
			continue;
		if (wc_keys[k].flags & WC_KF_FLAG) {
			if (!p->s.val[k])
				continue;
			n = snprintf(buf + off, len - off, " %s", wc_keys[k].name);
		} else {
			n = snprintf(buf + off, len - off, " %s %llu", wc_keys[k].name,
				     (unsigned long long)p->s.val[k]);
		}
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += n;
	}
	if (origin_uuid) {
		n = snprintf(buf + off, len - off, " origin_uuid %s", origin_uuid);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += n;
	}
	if (cleaner) {
		n = snprintf(buf + off, len - off, " cleaner");
		if (n < 0 || (size_t)n >= len - off)
			return -1;
	}
	return 0;
}
