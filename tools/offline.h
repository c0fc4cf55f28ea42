/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: the offline commands' devices (check, dump, writeback
 * --offline).  A cache is reached either as a raw device or image file
 * (--cache PATH, --origin PATH, or DEVICE for check and dump) or as an LVM
 * pairing VG/LV, whose origin and cachevol are activated as the plain
 * linear LVs they are for the duration.  No device-mapper target and no
 * module is involved: plain file or block-device I/O.
 */
#ifndef WC_OFFLINE_H
#define WC_OFFLINE_H

#include <stdio.h>

#include "pair.h"
#include "wcformat.h"

struct wc_odev {
	char path[WC_PATH_MAX];
	int fd;
	int is_blk;
	uint64_t bytes;
	uint32_t lbs;
	uint64_t read_errors, write_errors;
	struct wcf_dev dev;
};

struct wc_offline {
	struct wc_odev cache, origin;
	int has_origin;
	struct wcf_expect x;
	uint8_t uuid[16];
	/* the LVM form */
	int lvm;
	struct wc_pair pair;
	int act_cache, act_origin;	/* activated here: deactivate at the end */
};

/* what the command needs */
#define WC_OFF_WRITE	0x1	/* opens both devices for writing */
#define WC_OFF_ORIGIN	0x2	/* needs the origin */
#define WC_OFF_LIVE_OK	0x4	/* the user said the live device does not change */

/*
 * Set up from VG/LV (@target with a '/' that is not a path) or from the
 * cache PATH (@target or @cache) and origin PATH.  Returns 0 or an exit
 * code (message printed).
 */
int wc_offline_setup(struct wc_offline *w, const char *target, const char *cache,
		     const char *origin, unsigned int flags);
/* close the devices and deactivate what setup activated */
int wc_offline_teardown(struct wc_offline *w);

/*
 * check and dump: set up @target (the one positional argument of COMMAND)
 * and read its cache's metadata into @c.  Returns 0, or an exit code
 * (message printed) after which nothing is left to free.  On 0 the caller
 * ends with wcf_free(c) and wc_offline_teardown(w).
 */
int wc_offline_load(const char *command, const char *usage, const char *target,
		    unsigned int flags, struct wc_offline *w, struct wcf_cache *c);

/* "VG/LV" of an LVM form, or the cache path, for messages */
const char *wc_offline_name(const struct wc_offline *w);

/*
 * The pairing's cache as the kernel would load it, without the kernel
 * (split and activate when the module is missing): 0 with *dirty set, or an
 * exit code (message printed).  Activates the cachevol as a linear LV if
 * it is not active, and deactivates it again.
 */
int wc_offline_pair_dirty(struct wc_pair *p, uint64_t *dirty, int *loadable);

/*
 * split when the module is missing: 0 when the pairing's cache holds no
 * dirty data (nothing to flush), else WC_ENOTARGET with the message naming
 * the writeback --offline command.
 */
int wc_offline_split_check(struct wc_pair *p);

/* the command that writes a pairing's dirty data back without the module */
void wc_offline_hint(const char *vg, const char *lv, char *buf, size_t len);

/* small option parser shared by check, dump and writeback */
struct wc_offopt {
	const char *name;	/* long name without -- */
	char shrt;		/* short form or 0 */
	int has_arg;
	const char *arg;	/* metavariable */
	const char *help;
};

/* the option list of "COMMAND --help", in the format of the other commands */
void wc_offline_usage(FILE *f, const char *usage, const char *help,
		      const struct wc_offopt *opts);
/*
 * Parse argv (argv[0] the command) against @opts (ended by a NULL name):
 * vals[i] is the value of opts[i] ("1" for a flag), *pos the one positional
 * argument.  Returns 0, -1 after --help, or WC_EUSAGE (message printed).
 */
int wc_offline_getopt(int argc, char **argv, const struct wc_offopt *opts, const char *usage,
		      const char *help, const char **vals, const char **pos);

#endif /* WC_OFFLINE_H */
