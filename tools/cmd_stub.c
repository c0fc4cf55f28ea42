// SPDX-License-Identifier: GPL-2.0
/* wcachectl: subcommands not written yet (temporary, skeleton only) */
#include "cmd.h"
#include "dm.h"
#include "lvm.h"

static int todo(const char *what)
{
	return wc_err(WC_EFAIL, "%s: not implemented yet", what);
}

int cmd_attach(struct wc_opts *o) { (void)o; return todo("attach"); }
int cmd_plan(struct wc_opts *o) { (void)o; return todo("plan"); }
int cmd_split(struct wc_opts *o) { (void)o; return todo("split"); }
int cmd_status(struct wc_opts *o) { (void)o; return todo("status"); }
int cmd_list(struct wc_opts *o) { (void)o; return todo("list"); }
int cmd_activate(struct wc_opts *o) { (void)o; return todo("activate"); }
int cmd_deactivate(struct wc_opts *o) { (void)o; return todo("deactivate"); }
