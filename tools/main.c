// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: command line parsing and subcommand dispatch.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dm.h"
#include "lvm.h"
#include "policy.h"
#include "wcachectl.h"

enum {
	O_CACHEVOL = 'c',
	O_BLOCK_SIZE = 'b',
	O_SET = 's',
	O_TARGET = 't',
	O_DRY_RUN = 'n',
	O_YES = 'y',
	O_FORCE = 'f',
	O_JSON = 'j',
	O_HELP = 'h',
	O_VERBOSE = 'v',
	O_PROFILE = 0x100,
	O_UNCACHE,
	O_INTERVAL,
	O_WAIT,
	O_CANCEL,
	O_PROMETHEUS,
	O_READ_ONLY,
};

/* which options each subcommand takes */
#define F_CACHEVOL	(1u << 0)
#define F_BLOCK_SIZE	(1u << 1)
#define F_DRY_RUN	(1u << 2)
#define F_YES		(1u << 3)
#define F_FORCE		(1u << 4)
#define F_JSON		(1u << 5)
#define F_UNCACHE	(1u << 6)
#define F_INTERVAL	(1u << 7)
#define F_SET		(1u << 8)
#define F_TARGET	(1u << 9)
#define F_PROFILE	(1u << 10)
#define F_WAIT		(1u << 11)
#define F_CANCEL	(1u << 12)
#define F_PROMETHEUS	(1u << 13)
#define F_JSON_RESULT	(1u << 14)
#define F_READ_ONLY	(1u << 15)	/* --json: one result object (see json_result) */
#define F_ALWAYS	(1u << 31)	/* --verbose, --help */

/* what the positional arguments are */
#define LV_REQUIRED	1	/* VG/LV */
#define LV_OPTIONAL	2	/* [VG/LV] */
#define LV_NONE		3	/* none */
#define LV_TUNE		4	/* VG/LV [key=val]... */
#define LV_PROFILE	5	/* [NAME] */
#define LV_OWN		6	/* the command parses its own arguments */

struct wc_cmd {
	const char *name;
	int (*fn)(struct wc_opts *o);
	unsigned int flags;
	int lv;
	int needs_root;
	const char *usage;
	const char *help;
};

static const struct wc_cmd cmds[] = {
	{ "attach", cmd_attach, F_CACHEVOL | F_BLOCK_SIZE | F_PROFILE | F_SET | F_TARGET |
	  F_DRY_RUN | F_YES | F_FORCE | F_JSON | F_JSON_RESULT, LV_REQUIRED, 1,
	  "attach VG/LV --cachevol LV [--block-size N] [--profile NAME] [--set key=val]... [--target T] [--dry-run] [--yes] [--force] [--json]",
	  "convert VG/LV into a cached LV using the cachevol LV of the same VG" },
	{ "plan", cmd_plan, F_CACHEVOL | F_BLOCK_SIZE | F_PROFILE | F_SET | F_TARGET | F_JSON |
	  F_FORCE, LV_REQUIRED, 1,
	  "plan VG/LV --cachevol LV [--block-size N] [--profile NAME] [--set key=val]... [--target T] [--json] [--force]",
	  "print the table attach would load, with one line of reasoning per value" },
	{ "tune", cmd_tune, F_PROFILE | F_SET | F_DRY_RUN | F_JSON | F_JSON_RESULT, LV_TUNE, 1,
	  "tune VG/LV [key=val]... [--profile NAME] [--set key=val]... [--dry-run] [--json]",
	  "change settings of a cached LV, live, and record them for activation" },
	{ "split", cmd_split, F_UNCACHE | F_FORCE | F_YES | F_INTERVAL | F_CANCEL | F_JSON |
	  F_JSON_RESULT, LV_REQUIRED, 1,
	  "split VG/LV [--uncache] [--force] [--yes] [--interval SEC] [--json] | split VG/LV --cancel",
	  "flush the cache, remove it and restore the original LVs (--cancel: keep caching)" },
	{ "status", cmd_status, F_JSON | F_PROMETHEUS, LV_OPTIONAL, 1,
	  "status [VG/LV] [--json] | status --prometheus",
	  "show state, usage, dirty data, hit rates, errors and settings" },
	{ "list", cmd_list, F_JSON, LV_NONE, 1,
	  "list [--json]",
	  "list the cached LVs of all VGs" },
	{ "profile", cmd_profile, F_TARGET | F_JSON, LV_PROFILE, 0,
	  "profile [NAME] [--target T] [--json]",
	  "show the settings of an LVM profile, or of every wcache profile" },
	{ "activate", cmd_activate, F_FORCE | F_YES | F_WAIT | F_READ_ONLY | F_JSON | F_JSON_RESULT, LV_REQUIRED, 1,
	  "activate VG/LV [--force] [--yes] [--read-only] [--json] | activate VG [--wait SEC] [--read-only] [--json]",
	  "activate origin and cachevol and load the cache mapping (VG: every cached LV of VG, as at boot)" },
	{ "deactivate", cmd_deactivate, F_JSON | F_JSON_RESULT, LV_REQUIRED, 1,
	  "deactivate VG/LV [--json]",
	  "remove the cache mapping and deactivate origin and cachevol" },
	{ "check", cmd_check, 0, LV_OWN, 0,
	  "check DEVICE|VG/LV [--json] [--read-only]",
	  "validate a dm-wcache cache without the kernel and report what it would load" },
	{ "dump", cmd_dump, 0, LV_OWN, 0,
	  "dump DEVICE|VG/LV [--json] [--all] [--read-only]",
	  "print the superblock and the entries of a dm-wcache cache" },
	{ "writeback", cmd_writeback, 0, LV_OWN, 0,
	  "writeback --offline VG/LV | --offline --cache PATH --origin PATH [--force]",
	  "write a cache's dirty blocks back without the kernel module, then mark it clean" },
	{ "doctor", cmd_doctor, 0, LV_OWN, 1,
	  "doctor [VG/LV | /dev/mapper/NAME | --all] [--seconds N] [--watch SEC] [--json]",
	  "explain why a writecache or wcache mapping is slow or unsafe, and the fix" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

struct wc_opt_help {
	char shrt;
	const char *lng;
	const char *arg;
	unsigned int flag;
	const char *help;
};

static const struct wc_opt_help opt_help[] = {
	{ 'c', "cachevol", "LV", F_CACHEVOL, "LV (same VG) that becomes the cache; it is wiped" },
	{ 'b', "block-size", "N", F_BLOCK_SIZE, "cache block size in bytes (default: from geometry)" },
	{ 0, "profile", "NAME", F_PROFILE, "take settings from LVM profile NAME (wcache-profiles(5))" },
	{ 's', "set", "key=val", F_SET, "one setting, overrides the profile (repeatable)" },
	{ 't', "target", "T", F_TARGET, "wcache or writecache (default: wcache if available)" },
	{ 'n', "dry-run", NULL, F_DRY_RUN, "print what would be done, change nothing" },
	{ 'y', "yes", NULL, F_YES, "do not ask before wiping or formatting a cache" },
	{ 'f', "force", NULL, F_FORCE, "allow an operation that loses data or needs much RAM" },
	{ 0, "uncache", NULL, F_UNCACHE, "split: also remove the cachevol LV" },
	{ 0, "interval", "SEC", F_INTERVAL, "split: progress update interval (default 1)" },
	{ 0, "cancel", NULL, F_CANCEL, "split: stop a split and keep caching" },
	{ 0, "wait", "SEC", F_WAIT, "activate VG: wait for missing PVs (default 0)" },
	{ 0, "read-only", NULL, F_READ_ONLY, "activate: load wcache mappings read-only (before a resume)" },
	{ 'j', "json", NULL, F_JSON, "machine-readable output" },
	{ 0, "prometheus", NULL, F_PROMETHEUS, "status: node_exporter textfile metrics" },
	{ 'v', "verbose", NULL, F_ALWAYS, "print every LVM and device-mapper step" },
	{ 'h', "help", NULL, F_ALWAYS, "this help" },
};

#define NOPTS	(sizeof(opt_help) / sizeof(opt_help[0]))

static void print_opts(FILE *f, unsigned int flags)
{
	char lhs[40];
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct wc_opt_help *h = &opt_help[i];

		if (!(h->flag & flags))
			continue;
		snprintf(lhs, sizeof(lhs), "%c%c%c --%s%s%s", h->shrt ? '-' : ' ',
			 h->shrt ? h->shrt : ' ', h->shrt ? ',' : ' ', h->lng,
			 h->arg ? " " : "", h->arg ? h->arg : "");
		fprintf(f, "  %-22s%s\n", lhs, h->help);
	}
}

/* one line per setting: name, range, unit, targets (shell completion reads these) */
static void print_settings(FILE *f)
{
	char range[48];
	int k;

	fprintf(f, "\nSettings (key=val for tune and --set; see wcache-profiles(5)):\n");
	for (k = 0; k < WC_NKEYS; k++) {
		const struct wc_key_info *ki = &wc_keys[k];

		snprintf(range, sizeof(range), "%llu..%llu %s", (unsigned long long)ki->min,
			 (unsigned long long)ki->max, ki->unit);
		fprintf(f, "  %-18s %-22s %s%s\n", ki->name, range, ki->help,
			ki->targets == WC_TALL ? "" : " (wcache only)");
	}
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: wcachectl [--verbose] COMMAND [ARGS]\n"
		   "       wcachectl --help | --version\n"
		   "       wcachectl COMMAND --help\n\n"
		   "Write-back caching for LVM logical volumes with dm-wcache or dm-writecache.\n\n"
		   "Commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-11s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nOptions:\n");
	print_opts(f, ~0u);
	fprintf(f, "  -V, --version         print the version\n");
	print_settings(f);
	fprintf(f, "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 not root, 4 not found,\n"
		   "  5 refused, 6 geometry, 7 LVM failed, 8 device-mapper failed,\n"
		   "  9 declined, 10 interrupted, 11 target unavailable, 12 I/O error,\n"
		   "  13 malformed tags. See wcachectl(8).\n");
}

static int cmd_usage(const struct wc_cmd *c, FILE *f)
{
	fprintf(f, "Usage: wcachectl %s\n\n%s.\n\nOptions:\n", c->usage, c->help);
	print_opts(f, c->flags | F_ALWAYS);
	if (c->flags & F_SET)
		print_settings(f);
	return 0;
}

static const struct wc_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int bad(const struct wc_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(const struct wc_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "wcachectl: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: wcachectl %s\n", c->usage);
	return WC_EUSAGE;
}

/*
 * --json for a command that changes things: what it prints for people
 * goes to stderr, and standard output gets one JSON object: the command,
 * VG and LV, exit code, the error message (null on success) and the
 * pairing's status afterwards (as "status --json"; null when VG/LV is not
 * cached, e.g. after a split).
 */
static int json_result(const struct wc_cmd *c, struct wc_opts *o)
{
	struct json_object *j = json_object_new_object();
	int saved, r;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return wc_err(WC_EFAIL, "cannot redirect standard output");
	r = c->fn(o);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	json_object_object_add(j, "command", json_object_new_string(c->name));
	json_object_object_add(j, "vg", json_object_new_string(o->vg));
	json_object_object_add(j, "lv", o->has_lv ? json_object_new_string(o->lv) : NULL);
	json_object_object_add(j, "exit_code", json_object_new_int(r));
	json_object_object_add(j, "error", r ? json_object_new_string(wc_last_error()) : NULL);
	if (o->has_lv)
		json_object_object_add(j, "status", wc_status_object(o->vg, o->lv));
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return r;
}

static int run_cmd(const struct wc_cmd *c, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cachevol", required_argument, NULL, O_CACHEVOL },
		{ "block-size", required_argument, NULL, O_BLOCK_SIZE },
		{ "set", required_argument, NULL, O_SET },
		{ "target", required_argument, NULL, O_TARGET },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "yes", no_argument, NULL, O_YES },
		{ "force", no_argument, NULL, O_FORCE },
		{ "json", no_argument, NULL, O_JSON },
		{ "uncache", no_argument, NULL, O_UNCACHE },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "cancel", no_argument, NULL, O_CANCEL },
		{ "prometheus", no_argument, NULL, O_PROMETHEUS },
		{ "read-only", no_argument, NULL, O_READ_ONLY },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct wc_opts o;
	char err[WC_ERR_MAX];
	uint64_t v;
	int opt, r, i;

	memset(&o, 0, sizeof(o));
	o.interval = 1.0;
	if (c->lv == LV_OWN) {
		o.argc = argc;
		o.argv = argv;
		wc_dm_init();
		r = c->fn(&o);
		wc_lvm_exit();
		return r;
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:b:s:t:nyfjvh", lopts, NULL)) != -1) {
		unsigned int need = 0;

		switch (opt) {
		case O_CACHEVOL:
			need = F_CACHEVOL;
			break;
		case O_BLOCK_SIZE:
			need = F_BLOCK_SIZE;
			break;
		case O_SET:
			need = F_SET;
			break;
		case O_TARGET:
			need = F_TARGET;
			break;
		case O_PROFILE:
			need = F_PROFILE;
			break;
		case O_DRY_RUN:
			need = F_DRY_RUN;
			break;
		case O_YES:
			need = F_YES;
			break;
		case O_FORCE:
			need = F_FORCE;
			break;
		case O_JSON:
			need = F_JSON;
			break;
		case O_UNCACHE:
			need = F_UNCACHE;
			break;
		case O_INTERVAL:
			need = F_INTERVAL;
			break;
		case O_WAIT:
			need = F_WAIT;
			break;
		case O_CANCEL:
			need = F_CANCEL;
			break;
		case O_PROMETHEUS:
			need = F_PROMETHEUS;
			break;
		case O_READ_ONLY:
			need = F_READ_ONLY;
			break;
		case O_VERBOSE:
			wc_verbose++;
			continue;
		case O_HELP:
			return cmd_usage(c, stdout);
		case ':':
			return bad(c, "option %s needs a value", argv[optind - 1]);
		default:
			return bad(c, "unknown option '%s'", argv[optind - 1]);
		}
		if (!(c->flags & need))
			return bad(c, "option '%s' does not apply to this command",
				   argv[optind - 1]);
		switch (opt) {
		case O_CACHEVOL:
			if (!wc_valid_name(optarg))
				return bad(c, "invalid cachevol LV name '%s'", optarg);
			wc_strlcpy(o.cachevol, optarg, sizeof(o.cachevol));
			break;
		case O_BLOCK_SIZE:
			if (wc_parse_size(optarg, &v) || v < 512 || v > 65536 ||
			    (v & (v - 1)))
				return bad(c, "invalid block size '%s' (a power of two, 512 to 65536)",
					   optarg);
			o.block_size = v;
			break;
		case O_SET:
			r = wc_settings_set(&o.set, optarg, WC_TARGET_NONE, err, sizeof(err));
			if (r)
				return bad(c, "%s", err);
			break;
		case O_TARGET:
			o.target = wc_target_parse(optarg);
			if (o.target == WC_TARGET_NONE)
				return bad(c, "unknown target '%s' (wcache or writecache)", optarg);
			break;
		case O_PROFILE:
			if (!wc_valid_name(optarg))
				return bad(c, "invalid profile name '%s'", optarg);
			o.profile = optarg;
			break;
		case O_DRY_RUN:
			o.dry_run = 1;
			break;
		case O_YES:
			o.yes = 1;
			break;
		case O_FORCE:
			o.force = 1;
			break;
		case O_JSON:
			o.json = 1;
			break;
		case O_UNCACHE:
			o.uncache = 1;
			break;
		case O_CANCEL:
			o.cancel = 1;
			break;
		case O_PROMETHEUS:
			o.prometheus = 1;
			break;
		case O_READ_ONLY:
			o.read_only = 1;
			break;
		case O_INTERVAL:
			if (wc_parse_u64(optarg, 1, 3600, &v))
				return bad(c, "invalid interval '%s' (1 to 3600 seconds)", optarg);
			o.interval = v;
			break;
		case O_WAIT:
			if (wc_parse_u64(optarg, 0, 3600, &v))
				return bad(c, "invalid wait '%s' (0 to 3600 seconds)", optarg);
			o.wait = v;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (c->lv == LV_PROFILE) {
		if (argc > 1)
			return bad(c, "unexpected argument '%s'", argv[1]);
		if (argc == 1) {
			if (!wc_valid_name(argv[0]))
				return bad(c, "invalid profile name '%s'", argv[0]);
			o.profile = argv[0];
		}
		argc = 0;
	}
	if (c->lv == LV_TUNE) {
		for (i = 1; i < argc; i++) {
			r = wc_settings_set(&o.set, argv[i], WC_TARGET_NONE, err, sizeof(err));
			if (r)
				return bad(c, "%s", err);
		}
		if (argc > 1)
			argc = 1;
		if (argc == 1 && !o.set.mask && !o.profile)
			return bad(c, "tune needs key=val settings or --profile NAME");
	}
	if (argc > 1)
		return bad(c, "unexpected argument '%s'", argv[1]);
	if (argc == 1) {
		if (c->lv == LV_NONE)
			return bad(c, "unexpected argument '%s'", argv[0]);
		if (c->fn == cmd_activate && !strchr(argv[0], '/')) {
			/* activate VG: every pairing of the VG (the boot unit) */
			if (!wc_valid_name(argv[0]))
				return bad(c, "'%s' is not a VG name", argv[0]);
			wc_strlcpy(o.vg, argv[0], sizeof(o.vg));
		} else {
			if (wc_split_vglv(argv[0], o.vg, o.lv))
				return bad(c, "'%s' is not VG/LV", argv[0]);
			o.has_lv = 1;
		}
	} else if (c->lv == LV_REQUIRED || c->lv == LV_TUNE) {
		return bad(c, "%s needs VG/LV", c->name);
	}
	if ((c->flags & F_CACHEVOL) && !o.cachevol[0])
		return bad(c, "%s needs --cachevol LV", c->name);
	if (o.prometheus && (o.json || o.has_lv))
		return bad(c, "--prometheus reports every cached LV and goes without --json");
	if (o.cancel && (o.uncache || o.force))
		return bad(c, "--cancel goes with neither --uncache nor --force");
	if (o.cachevol[0] && !strcmp(o.cachevol, o.lv))
		return bad(c, "the cachevol '%s' is the origin itself", o.cachevol);
	if (c->needs_root && geteuid() != 0)
		return wc_err(WC_EPERM, "%s needs root privileges (device-mapper and LVM metadata)",
			      c->name);
	wc_dm_init();
	if (o.json && (c->flags & F_JSON_RESULT))
		r = json_result(c, &o);
	else
		r = c->fn(&o);
	wc_lvm_exit();
	return r;
}

int main(int argc, char **argv)
{
	const struct wc_cmd *c;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			wc_verbose++;
		else
			break;
	}
	if (i >= argc) {
		usage(stderr);
		return WC_EUSAGE;
	}
	if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
		if (i + 1 < argc && (c = find_cmd(argv[i + 1]))) {
			char *hv[] = { argv[i + 1], "--help", NULL };

			if (c->lv == LV_OWN)
				return run_cmd(c, 2, hv);
			return cmd_usage(c, stdout);
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V") ||
	    !strcmp(argv[i], "version")) {
		printf("wcachectl %s\n", WCACHECTL_VERSION);
		return 0;
	}
	c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "wcachectl: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return WC_EUSAGE;
	}
	return run_cmd(c, argc - i, argv + i);
}
