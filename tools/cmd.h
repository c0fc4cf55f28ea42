/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: subcommands and their parsed options.
 */
#ifndef WC_CMD_H
#define WC_CMD_H

#include "policy.h"
#include "wcachectl.h"

struct wc_pair;

struct wc_opts {
	char vg[WC_NAME_MAX + 1];
	char lv[WC_NAME_MAX + 1];
	char cachevol[WC_NAME_MAX + 1];
	enum wc_target target;		/* WC_TARGET_NONE: choose */
	uint32_t block_size;		/* 0: choose */
	struct wc_settings set;
	const char *profile;
	int dry_run;
	int yes;
	int force;
	int json;
	int prometheus;			/* status --prometheus */
	int uncache;
	int cancel;			/* split --cancel */
	int read_only;			/* activate --read-only */
	int has_lv;
	double interval;		/* split progress interval, seconds */
	unsigned int wait;		/* activate VG: seconds to wait for missing PVs */
	int argc;			/* commands that parse their own options */
	char **argv;
};

int cmd_attach(struct wc_opts *o);
int cmd_plan(struct wc_opts *o);
int cmd_split(struct wc_opts *o);
int cmd_status(struct wc_opts *o);
int cmd_list(struct wc_opts *o);
int cmd_activate(struct wc_opts *o);
int cmd_deactivate(struct wc_opts *o);
int cmd_tune(struct wc_opts *o);
int cmd_profile(struct wc_opts *o);
/* offline tools (own option parsing: o->argc, o->argv) */
int cmd_check(struct wc_opts *o);
int cmd_dump(struct wc_opts *o);
int cmd_writeback(struct wc_opts *o);

/*
 * cmd_status.c: the status object of "status --json" for VG/LV, or NULL
 * when VG/LV is not (or no longer) a cached LV or cannot be read.
 */
struct json_object *wc_status_object(const char *vg, const char *lv);

/* cmd_split.c: a split in progress goes back to caching (state attached) */
int wc_split_cancel(struct wc_pair *p);

/* cmd_doctor.c: parses its own arguments (argv[0] is "doctor") */
int cmd_doctor_main(int argc, char **argv);
int cmd_doctor(struct wc_opts *o);

/* cmd_activate.c: why VG/LV could not be activated (for status) */
void wc_activation_note(const char *vg, const char *lv, const char *msg);
int wc_activation_failure(const char *vg, const char *lv, char *buf, size_t len);

#endif /* WC_CMD_H */
