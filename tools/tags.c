// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: strict parsing and formatting of the wcache.* LVM tags.
 * Input is untrusted (read from disk metadata): every value is checked
 * for syntax and range, duplicates and unknown wcache.* tags are refused,
 * and nothing is copied without a length check.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tags.h"

static const char *const state_names[] = {
	[WC_ST_NONE] = "none",
	[WC_ST_ATTACHING] = "attaching",
	[WC_ST_WIPED] = "wiped",
	[WC_ST_ATTACHED] = "attached",
	[WC_ST_SPLITTING] = "splitting",
	[WC_ST_DETACHED] = "detached",
};

const char *wc_state_name(enum wc_state s)
{
	if ((unsigned int)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "invalid";
	return state_names[s];
}

enum wc_state wc_state_parse(const char *s)
{
	unsigned int i;

	for (i = WC_ST_ATTACHING; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return WC_ST_NONE;
}

/* LVM uuid: 6-4-4-4-4-4-6 characters of [A-Za-z0-9!#] separated by '-' */
int wc_valid_lvm_uuid(const char *s)
{
	static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
	unsigned int g;
	int i;

	for (g = 0; g < 7; g++) {
		for (i = 0; i < groups[g]; i++, s++)
			if (!isalnum((unsigned char)*s) && *s != '!' && *s != '#')
				return 0;
		if (g < 6 && *s++ != '-')
			return 0;
	}
	return *s == '\0';
}

static int valid_hex32(const char *s)
{
	int i;

	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[32] == '\0';
}

/* bits of struct wc_tags seen, to refuse duplicates and find missing ones */
enum {
	S_V = 1u << 0,
	S_SKIP = 1u << 1,
	S_NAME = 1u << 2,
	S_CACHEVOL = 1u << 3,
	S_UUID = 1u << 4,
	S_STATE = 1u << 5,
	S_TARGET = 1u << 6,
	S_MODE = 1u << 7,
	S_BS = 1u << 8,
	S_OF = 1u << 9,
	S_OSIZE = 1u << 10,
	S_CSIZE = 1u << 11,
};

#define ORIGIN_REQUIRED	(S_V | S_SKIP | S_NAME | S_CACHEVOL | S_UUID | S_STATE | \
			 S_TARGET | S_MODE | S_BS)
#define CACHE_REQUIRED	(S_V | S_SKIP | S_OF)

static int parse_one(const char *tag, struct wc_tags *t, unsigned int *seen,
		     char *err, size_t errlen)
{
	const char *key = tag + strlen(WC_TAG_PREFIX);
	const char *val = strchr(key, '=');
	char k[32];
	unsigned int bit;
	uint64_t v;
	size_t kl;

	if (!val) {
		snprintf(err, errlen, "tag '%.64s' has no value", tag);
		return WC_ETAGS;
	}
	kl = val - key;
	val++;
	if (kl == 0 || kl >= sizeof(k)) {
		snprintf(err, errlen, "unknown tag '%.64s'", tag);
		return WC_ETAGS;
	}
	memcpy(k, key, kl);
	k[kl] = '\0';

	if (!strncmp(k, "set.", 4)) {
		int idx = wc_key_lookup(k + 4);
		uint64_t bit64;

		if (idx < 0) {
			snprintf(err, errlen, "unknown setting in tag '%.64s'", tag);
			return WC_ETAGS;
		}
		bit64 = 1u << idx;
		if (t->set.mask & bit64) {
			snprintf(err, errlen, "duplicate tag '%.64s'", tag);
			return WC_ETAGS;
		}
		if (wc_parse_u64(val, wc_keys[idx].min, wc_keys[idx].max, &v)) {
			snprintf(err, errlen, "bad value in tag '%.64s'", tag);
			return WC_ETAGS;
		}
		t->set.val[idx] = v;
		t->set.mask |= bit64;
		return 0;
	}

	if (!strcmp(k, "v"))
		bit = S_V;
	else if (!strcmp(k, "skip"))
		bit = S_SKIP;
	else if (!strcmp(k, "name"))
		bit = S_NAME;
	else if (!strcmp(k, "cachevol"))
		bit = S_CACHEVOL;
	else if (!strcmp(k, "uuid"))
		bit = S_UUID;
	else if (!strcmp(k, "state"))
		bit = S_STATE;
	else if (!strcmp(k, "target"))
		bit = S_TARGET;
	else if (!strcmp(k, "mode"))
		bit = S_MODE;
	else if (!strcmp(k, "bs"))
		bit = S_BS;
	else if (!strcmp(k, "cachevol_of"))
		bit = S_OF;
	else if (!strcmp(k, "osize"))
		bit = S_OSIZE;
	else if (!strcmp(k, "csize"))
		bit = S_CSIZE;
	else {
		snprintf(err, errlen, "unknown tag '%.64s'", tag);
		return WC_ETAGS;
	}
	if (*seen & bit) {
		snprintf(err, errlen, "duplicate tag '%.64s'", tag);
		return WC_ETAGS;
	}
	*seen |= bit;

	switch (bit) {
	case S_V:
		if (wc_parse_u64(val, 1, 1000, &v))
			goto bad;
		if (v != WC_TAG_VERSION) {
			snprintf(err, errlen, "tags of version %llu are not supported (this is version %d)",
				 (unsigned long long)v, WC_TAG_VERSION);
			return WC_ETAGS;
		}
		t->version = v;
		break;
	case S_SKIP:
		if (wc_parse_u64(val, 0, 1, &v))
			goto bad;
		t->skip = v;
		break;
	case S_NAME:
		if (!wc_valid_name(val))
			goto bad;
		strcpy(t->name, val);
		break;
	case S_CACHEVOL:
		if (!wc_valid_lvm_uuid(val))
			goto bad;
		strcpy(t->cachevol_uuid, val);
		break;
	case S_OF:
		if (!wc_valid_lvm_uuid(val))
			goto bad;
		strcpy(t->origin_uuid, val);
		break;
	case S_UUID:
		if (!valid_hex32(val))
			goto bad;
		strcpy(t->uuid, val);
		break;
	case S_STATE:
		t->state = wc_state_parse(val);
		if (t->state == WC_ST_NONE)
			goto bad;
		break;
	case S_TARGET:
		t->target = wc_target_parse(val);
		if (t->target == WC_TARGET_NONE)
			goto bad;
		break;
	case S_MODE:
		if (strcmp(val, "s"))
			goto bad;
		t->mode = 's';
		break;
	case S_BS:
		if (wc_parse_u64(val, 512, 65536, &v) || (v & (v - 1)))
			goto bad;
		t->block_size = v;
		break;
	case S_OSIZE:
	case S_CSIZE:
		if (wc_parse_u64(val, 512, UINT64_MAX, &v) || (v & 511))
			goto bad;
		if (bit == S_OSIZE)
			t->origin_size = v;
		else
			t->cache_size = v;
		break;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad value in tag '%.64s'", tag);
	return WC_ETAGS;
}

int wc_tags_parse(const char *raw, struct wc_tags *t, char *err, size_t errlen)
{
	char tag[WC_TAG_MAX + 1];
	unsigned int seen = 0, count = 0;
	const char *p = raw, *end;
	int r;

	memset(t, 0, sizeof(*t));
	if (err && errlen)
		err[0] = '\0';
	if (!raw)
		return 0;
	if (strlen(raw) > 65536) {
		snprintf(err, errlen, "tag list too long");
		return WC_ETAGS;
	}
	while (*p) {
		size_t n;

		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (++count > WC_TAGS_MAX_COUNT) {
			snprintf(err, errlen, "too many tags");
			return WC_ETAGS;
		}
		if (n > strlen(WC_TAG_PREFIX) && !strncmp(p, WC_TAG_PREFIX, strlen(WC_TAG_PREFIX))) {
			if (n > WC_TAG_MAX) {
				snprintf(err, errlen, "tag '%.48s...' too long", p);
				return WC_ETAGS;
			}
			memcpy(tag, p, n);
			tag[n] = '\0';
			r = parse_one(tag, t, &seen, err, errlen);
			if (r)
				return r;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (!seen && !t->set.mask)
		return 0;

	if ((seen & S_OF) && (seen & (S_NAME | S_CACHEVOL | S_STATE | S_OSIZE | S_CSIZE))) {
		snprintf(err, errlen, "tags claim both origin and cachevol roles");
		return WC_ETAGS;
	}
	if (seen & S_OF) {
		if ((seen & CACHE_REQUIRED) != CACHE_REQUIRED || t->set.mask ||
		    (seen & ~CACHE_REQUIRED)) {
			snprintf(err, errlen, "incomplete or mixed cachevol tags");
			return WC_ETAGS;
		}
		t->role = WC_ROLE_CACHEVOL;
		return 0;
	}
	if ((seen & ORIGIN_REQUIRED) != ORIGIN_REQUIRED) {
		snprintf(err, errlen, "incomplete wcache tags (missing %s)",
			 !(seen & S_V) ? "wcache.v" : !(seen & S_NAME) ? "wcache.name" :
			 !(seen & S_CACHEVOL) ? "wcache.cachevol" :
			 !(seen & S_STATE) ? "wcache.state" : !(seen & S_TARGET) ?
			 "wcache.target" : !(seen & S_BS) ? "wcache.bs" :
			 !(seen & S_UUID) ? "wcache.uuid" : !(seen & S_MODE) ?
			 "wcache.mode" : "wcache.skip");
		return WC_ETAGS;
	}
	for (r = 0; r < WC_NKEYS; r++) {
		if ((t->set.mask & (1u << r)) && !(wc_keys[r].targets & WC_TMASK(t->target))) {
			snprintf(err, errlen, "setting %s not valid for target %s",
				 wc_keys[r].name, wc_target_name(t->target));
			return WC_ETAGS;
		}
	}
	if ((t->set.mask & (1u << WC_K_LOW_WM)) && (t->set.mask & (1u << WC_K_HIGH_WM)) &&
	    t->set.val[WC_K_LOW_WM] > t->set.val[WC_K_HIGH_WM]) {
		snprintf(err, errlen, "low_watermark above high_watermark in tags");
		return WC_ETAGS;
	}
	t->role = WC_ROLE_ORIGIN;
	return 0;
}

void wc_tag_state(enum wc_state s, char *buf, size_t len)
{
	snprintf(buf, len, WC_TAG_PREFIX "state=%s", wc_state_name(s));
}

#define ADD(...) do {							\
	int _n;								\
	if (n >= max)							\
		return -1;						\
	_n = snprintf(out[n], WC_TAG_MAX, __VA_ARGS__);			\
	if (_n < 0 || _n >= WC_TAG_MAX)					\
		return -1;						\
	n++;								\
} while (0)

int wc_tags_format(const struct wc_tags *t, char out[][WC_TAG_MAX], int max)
{
	int n = 0, k;

	if (t->role == WC_ROLE_CACHEVOL) {
		if (!wc_valid_lvm_uuid(t->origin_uuid))
			return -1;
		ADD(WC_TAG_PREFIX "v=%d", WC_TAG_VERSION);
		ADD(WC_TAG_PREFIX "cachevol_of=%s", t->origin_uuid);
		ADD(WC_TAG_PREFIX "skip=%d", t->skip ? 1 : 0);
		return n;
	}
	if (t->role != WC_ROLE_ORIGIN || !wc_valid_name(t->name) ||
	    !wc_valid_lvm_uuid(t->cachevol_uuid) || !valid_hex32(t->uuid) ||
	    t->state == WC_ST_NONE || t->target == WC_TARGET_NONE || t->mode != 's' ||
	    !t->block_size)
		return -1;
	ADD(WC_TAG_PREFIX "v=%d", WC_TAG_VERSION);
	ADD(WC_TAG_PREFIX "name=%s", t->name);
	ADD(WC_TAG_PREFIX "cachevol=%s", t->cachevol_uuid);
	ADD(WC_TAG_PREFIX "uuid=%s", t->uuid);
	ADD(WC_TAG_PREFIX "state=%s", wc_state_name(t->state));
	ADD(WC_TAG_PREFIX "target=%s", wc_target_name(t->target));
	ADD(WC_TAG_PREFIX "mode=%c", t->mode);
	ADD(WC_TAG_PREFIX "bs=%u", t->block_size);
	ADD(WC_TAG_PREFIX "skip=%d", t->skip ? 1 : 0);
	if (t->origin_size)
		ADD(WC_TAG_PREFIX "osize=%llu", (unsigned long long)t->origin_size);
	if (t->cache_size)
		ADD(WC_TAG_PREFIX "csize=%llu", (unsigned long long)t->cache_size);
	for (k = 0; k < WC_NKEYS; k++)
		if (t->set.mask & (1u << k))
			ADD(WC_TAG_PREFIX "set.%s=%llu", wc_keys[k].name,
			    (unsigned long long)t->set.val[k]);
	return n;
}

int wc_tags_args(const char *opt, char tags[][WC_TAG_MAX], int n, char *buf, size_t len)
{
	size_t start = strlen(buf), off = start;
	int i, w;

	for (i = 0; i < n; i++) {
		w = snprintf(buf + off, len - off, " %s %s", opt, tags[i]);
		if (w < 0 || (size_t)w >= len - off) {
			buf[start] = '\0';
			return WC_EFAIL;
		}
		off += w;
	}
	return 0;
}

int wc_tag_arg(const char *opt, char *buf, size_t len, const char *fmt, ...)
{
	char tag[1][WC_TAG_MAX];
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(tag[0], sizeof(tag[0]), fmt, ap);
	va_end(ap);
	if (w < 0 || w >= WC_TAG_MAX)
		return WC_EFAIL;
	return wc_tags_args(opt, tag, 1, buf, len);
}

int wc_tags_deltag_args(const char *raw, char *buf, size_t len)
{
	const char *p = raw, *end;
	size_t off = 0;

	buf[0] = '\0';
	while (p && *p) {
		size_t n;

		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > strlen(WC_TAG_PREFIX) && n <= WC_TAG_MAX &&
		    !strncmp(p, WC_TAG_PREFIX, strlen(WC_TAG_PREFIX))) {
			if (off + n + 10 >= len)
				return WC_EFAIL;
			memcpy(buf + off, " --deltag ", 10);
			off += 10;
			memcpy(buf + off, p, n);
			off += n;
			buf[off] = '\0';
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
