// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: parsing of status and table lines of the wcache and
 * writecache targets.
 *
 * writecache status: <error> <blocks> <free> <under writeback>, then since
 * Linux 5.15 ten counters: reads, read hits, writes, write hits on
 * uncommitted blocks, write hits on committed blocks, writes around the
 * cache, writes allocated in the cache, writes blocked on the freelist,
 * flushes, discards.
 *
 * wcache status (man/dm-wcache.7): the same four fields first, then dirty
 * blocks and the counters reads, read hits, writes, write hits, bypassed
 * sequential, bypassed other, blocked on free space, flushes, FUA writes,
 * discards, writeback I/Os, written-back blocks, commits, cache flushes,
 * then (issue 15) draining, origin errors, cache read errors, writeback
 * errors.  Fields a target version does not report are simply absent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

const char *const wc_counter_names[WC_NCOUNTERS] = {
	[WC_C_READS] = "reads",
	[WC_C_READ_HITS] = "read_hits",
	[WC_C_WRITES] = "writes",
	[WC_C_WRITE_HITS_UNCOMMITTED] = "write_hits_uncommitted",
	[WC_C_WRITE_HITS] = "write_hits",
	[WC_C_WRITES_AROUND] = "writes_around",
	[WC_C_WRITES_ALLOCATE] = "writes_allocate",
	[WC_C_BLOCKED_FREELIST] = "blocked_on_free_space",
	[WC_C_FLUSHES] = "flushes",
	[WC_C_DISCARDS] = "discards",
	[WC_C_BYPASS_SEQ] = "bypassed_sequential",
	[WC_C_BYPASS_OTHER] = "bypassed_other",
	[WC_C_FUA] = "fua_writes",
	[WC_C_WB_IOS] = "writeback_ios",
	[WC_C_WRITTEN_BACK] = "written_back_blocks",
	[WC_C_COMMITS] = "commits",
	[WC_C_CACHE_FLUSHES] = "cache_flushes",
	[WC_C_DRAINING] = "draining",
	[WC_C_ORIGIN_ERRORS] = "origin_errors",
	[WC_C_CACHE_READ_ERRORS] = "cache_read_errors",
	[WC_C_WB_ERRORS] = "writeback_errors",
};

static const enum wc_counter writecache_order[] = {
	WC_C_READS, WC_C_READ_HITS, WC_C_WRITES, WC_C_WRITE_HITS_UNCOMMITTED,
	WC_C_WRITE_HITS, WC_C_WRITES_AROUND, WC_C_WRITES_ALLOCATE,
	WC_C_BLOCKED_FREELIST, WC_C_FLUSHES, WC_C_DISCARDS,
};

static const enum wc_counter wcache_order[] = {
	WC_C_READS, WC_C_READ_HITS, WC_C_WRITES, WC_C_WRITE_HITS,
	WC_C_BYPASS_SEQ, WC_C_BYPASS_OTHER, WC_C_BLOCKED_FREELIST, WC_C_FLUSHES,
	WC_C_FUA, WC_C_DISCARDS, WC_C_WB_IOS, WC_C_WRITTEN_BACK, WC_C_COMMITS,
	WC_C_CACHE_FLUSHES, WC_C_DRAINING, WC_C_ORIGIN_ERRORS,
	WC_C_CACHE_READ_ERRORS, WC_C_WB_ERRORS,
};

#define MAX_FIELDS	64

/* split on single spaces into at most MAX_FIELDS tokens of digits */
static int split_numbers(const char *line, uint64_t *v, int *n, int allow_neg_first,
			 int64_t *first)
{
	const char *p = line;
	char tok[24];
	int i = 0;

	while (*p == ' ')
		p++;
	while (*p) {
		size_t l = strcspn(p, " \n");
		const char *t = tok;

		if (l == 0 || l >= sizeof(tok) || i >= MAX_FIELDS)
			return WC_EDM;
		memcpy(tok, p, l);
		tok[l] = '\0';
		if (i == 0 && allow_neg_first && tok[0] == '-') {
			uint64_t e;

			if (wc_parse_u64(tok + 1, 1, 4095, &e))
				return WC_EDM;
			*first = -(int64_t)e;
			v[i++] = 0;
		} else {
			if (wc_parse_u64(t, 0, UINT64_MAX, &v[i]))
				return WC_EDM;
			if (i == 0)
				*first = (int64_t)(v[0] > 4095 ? 4095 : v[0]);
			i++;
		}
		p += l;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	*n = i;
	return 0;
}

int wc_status_parse(enum wc_target t, const char *line, struct wc_status *st,
		    char *err, size_t errlen)
{
	uint64_t v[MAX_FIELDS];
	int64_t first = 0;
	int n, i, off;

	memset(st, 0, sizeof(*st));
	st->target = t;
	if (!line || split_numbers(line, v, &n, 1, &first)) {
		snprintf(err, errlen, "malformed %s status line '%.80s'", wc_target_name(t),
			 line ? line : "");
		return WC_EDM;
	}
	if (n < 4) {
		snprintf(err, errlen, "%s status line has %d fields, expected at least 4",
			 wc_target_name(t), n);
		return WC_EDM;
	}
	/*
	 * wcache prints a negative errno; dm-writecache only a flag (1: it
	 * failed), which becomes -1 (documented in wcachectl(8))
	 */
	st->error = first > 0 ? -first : first;
	st->total_blocks = v[1];
	st->free_blocks = v[2];
	st->writeback_blocks = v[3];
	if (st->free_blocks > st->total_blocks || st->writeback_blocks > st->total_blocks) {
		snprintf(err, errlen, "inconsistent %s status line '%.80s'", wc_target_name(t), line);
		return WC_EDM;
	}
	if (t == WC_TARGET_WRITECACHE) {
		/* a block is in use until written back: used == dirty */
		st->dirty_blocks = st->total_blocks - st->free_blocks;
		for (i = 0; i < (int)(sizeof(writecache_order) / sizeof(writecache_order[0])) &&
			    4 + i < n; i++) {
			st->c[writecache_order[i]] = v[4 + i];
			st->have |= 1u << writecache_order[i];
		}
		return 0;
	}
	if (n >= 5) {
		st->dirty_blocks = v[4];
		st->dirty_reported = 1;
		if (st->dirty_blocks > st->total_blocks) {
			snprintf(err, errlen, "inconsistent %s status line '%.80s'",
				 wc_target_name(t), line);
			return WC_EDM;
		}
	} else {
		st->dirty_blocks = st->total_blocks - st->free_blocks;
	}
	off = 5;
	for (i = 0; i < (int)(sizeof(wcache_order) / sizeof(wcache_order[0])) && off + i < n; i++) {
		st->c[wcache_order[i]] = v[off + i];
		st->have |= 1u << wcache_order[i];
	}
	return 0;
}

static int next_tok(const char **p, char *buf, size_t len)
{
	size_t l;

	while (**p == ' ')
		(*p)++;
	l = strcspn(*p, " \n");
	if (l == 0 || l >= len)
		return -1;
	memcpy(buf, *p, l);
	buf[l] = '\0';
	*p += l;
	return 0;
}

int wc_table_parse(const char *params, struct wc_table *tb, char *err, size_t errlen)
{
	const char *p = params;
	char tok[64];
	uint64_t v, nopt, i;
	int k;

	memset(tb, 0, sizeof(*tb));
	if (!p || next_tok(&p, tok, sizeof(tok)) || (strcmp(tok, "s") && strcmp(tok, "p")))
		goto bad;
	tb->mode = tok[0];
	if (next_tok(&p, tb->origin, sizeof(tb->origin)) ||
	    next_tok(&p, tb->cache, sizeof(tb->cache)) || next_tok(&p, tok, sizeof(tok)) ||
	    wc_parse_u64(tok, 512, 65536, &v))
		goto bad;
	tb->block_size = v;
	if (next_tok(&p, tok, sizeof(tok)) || wc_parse_u64(tok, 0, 64, &nopt))
		goto bad;
	for (i = 0; i < nopt; i++) {
		if (next_tok(&p, tok, sizeof(tok)))
			goto bad;
		if (!strcmp(tok, "cleaner")) {
			tb->cleaner = 1;
			tb->set.val[WC_K_CLEANER] = 1;
			tb->set.mask |= 1u << WC_K_CLEANER;
			continue;
		}
		if (!strcmp(tok, "metadata_only")) {
			tb->metadata_only = 1;
			continue;
		}
		if (!strcmp(tok, "flush_on_suspend")) {
			tb->flush_on_suspend = 1;
			tb->set.val[WC_K_FLUSH_ON_SUSPEND] = 1;
			tb->set.mask |= 1u << WC_K_FLUSH_ON_SUSPEND;
			continue;
		}
		if (!strcmp(tok, "origin_uuid")) {
			if (++i >= nopt || next_tok(&p, tb->origin_uuid, sizeof(tb->origin_uuid)))
				goto bad;
			continue;
		}
		if (!strcmp(tok, "start_sector")) {
			if (++i >= nopt || next_tok(&p, tok, sizeof(tok)))
				goto bad;
			continue;
		}
		k = wc_key_lookup(tok);
		if (k >= 0 && (wc_keys[k].flags & WC_KF_FLAG))
			goto bad;
		if (k < 0 || ++i >= nopt || next_tok(&p, tok, sizeof(tok)) ||
		    wc_parse_u64(tok, 0, UINT64_MAX, &v))
			goto bad;
		tb->set.val[k] = v;
		tb->set.mask |= 1u << k;
	}
	while (*p == ' ' || *p == '\n')
		p++;
	if (*p)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "malformed table line '%.100s'", params ? params : "");
	return WC_EDM;
}
