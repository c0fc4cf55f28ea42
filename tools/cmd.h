/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: subcommands and their parsed options.
 */
#ifndef WC_CMD_H
#define WC_CMD_H

#include "policy.h"
#include "wcachectl.h"

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
	int uncache;
	int has_lv;
	double interval;		/* split progress interval, seconds */
	unsigned int wait;		/* activate VG: seconds to wait for missing PVs */
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
/* cmd_doctor.c: parses its own arguments (argv[0] is "doctor") */
int cmd_doctor_main(int argc, char **argv);

/* cmd_activate.c: why VG/LV could not be activated (for status) */
void wc_activation_note(const char *vg, const char *lv, const char *msg);
int wc_activation_failure(const char *vg, const char *lv, char *buf, size_t len);

#endif /* WC_CMD_H */
