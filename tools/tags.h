/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: the wcache.* LVM tags that record a pairing. Tag values come
 * from disk and are untrusted: parsing is strict and bounded.
 *
 * Origin LV:   wcache.v=1 wcache.name=<LV> wcache.cachevol=<LV uuid>
 *              wcache.uuid=<32 hex> wcache.state=<state> wcache.target=<T>
 *              wcache.mode=s wcache.bs=<N> wcache.skip=<0|1>
 *              wcache.set.<key>=<N>...
 *              wcache.osize=<bytes> wcache.csize=<bytes> (sizes of origin and
 *              cachevol at attach; absent on pairings made before them)
 * Cachevol LV: wcache.v=1 wcache.cachevol_of=<origin LV uuid> wcache.skip=<0|1>
 */
#ifndef WC_TAGS_H
#define WC_TAGS_H

#include <stdint.h>
#include "policy.h"
#include "wcachectl.h"

#define WC_TAG_PREFIX		"wcache."
#define WC_TAG_VERSION		1
#define WC_TAG_MAX		256	/* longest wcache.* tag we write or accept */
#define WC_TAGS_MAX_COUNT	256	/* tags on one LV we look at */
#define WC_MAX_OUT_TAGS		(16 + WC_NKEYS)

enum wc_state {
	WC_ST_NONE = 0,
	WC_ST_ATTACHING,	/* tags written, cachevol not wiped yet */
	WC_ST_WIPED,		/* cachevol wiped; mapping may exist */
	WC_ST_ATTACHED,
	WC_ST_SPLITTING,	/* cleaner mode, flushing */
	WC_ST_DETACHED,		/* mapping removed, cache clean; restoring LVs */
};

enum wc_role {
	WC_ROLE_NONE = 0,	/* no wcache.* tags */
	WC_ROLE_ORIGIN,
	WC_ROLE_CACHEVOL,
};

struct wc_tags {
	enum wc_role role;
	unsigned int version;
	int skip;				/* original activation skip */
	/* origin */
	char name[WC_NAME_MAX + 1];		/* original LV name */
	char cachevol_uuid[WC_UUID_LEN + 1];
	char uuid[33];				/* ties cache to origin (hex) */
	enum wc_state state;
	enum wc_target target;
	char mode;
	uint32_t block_size;
	struct wc_settings set;
	uint64_t origin_size, cache_size;	/* bytes at attach; 0: not recorded */
	/* cachevol */
	char origin_uuid[WC_UUID_LEN + 1];
};

const char *wc_state_name(enum wc_state s);
enum wc_state wc_state_parse(const char *s);

int wc_valid_lvm_uuid(const char *s);

/*
 * Parse the comma-separated tag list of one LV as reported by LVM.
 * Tags without the wcache. prefix are ignored. Returns 0, or WC_ETAGS
 * with a one-line reason in @err.
 */
int wc_tags_parse(const char *raw, struct wc_tags *t, char *err, size_t errlen);

/*
 * Produce the tags for @t (role decides which). Returns the number of tags
 * written into @out, or -1 if something does not fit or is invalid.
 */
int wc_tags_format(const struct wc_tags *t, char out[][WC_TAG_MAX], int max);

/* "wcache.state=<s>" */
void wc_tag_state(enum wc_state s, char *buf, size_t len);

/* every tag of @raw starting with wcache. as " --deltag T" arguments; WC_EFAIL if too long */
int wc_tags_deltag_args(const char *raw, char *buf, size_t len);

/*
 * Append " @opt T" (opt: "--addtag" or "--deltag") for each of the @n
 * tags to @buf, which holds a string already. Returns 0, or WC_EFAIL
 * (nothing appended) when it does not fit.
 */
int wc_tags_args(const char *opt, char tags[][WC_TAG_MAX], int n, char *buf, size_t len);

/* the same for one tag made from a format */
int wc_tag_arg(const char *opt, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* WC_TAGS_H */
