// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: command line parsing and subcommand dispatch.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dm.h"
#include "lvm.h"
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
};

/* which options each subcommand takes */
#define F_CACHEVOL	(1u << 0)
#define F_GEOM		(1u << 1)	/* --block-size --set --target --profile */
#define F_DRY_RUN	(1u << 2)
#define F_YES		(1u << 3)
#define F_FORCE		(1u << 4)
#define F_JSON		(1u << 5)
#define F_UNCACHE	(1u << 6)
#define F_INTERVAL	(1u << 7)
#define F_WAIT		(1u << 8)

#define LV_REQUIRED	1
#define LV_OPTIONAL	2
#define LV_NONE		3

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
	{ "attach", cmd_attach, F_CACHEVOL | F_GEOM | F_DRY_RUN | F_YES | F_FORCE,
	  LV_REQUIRED, 1,
	  "attach VG/LV --cachevol LV [--block-size N] [--profile NAME] [--set key=val]... [--target T] [--dry-run] [--yes] [--force]",
	  "convert VG/LV into a cached LV using the cachevol LV of the same VG" },
	{ "plan", cmd_plan, F_CACHEVOL | F_GEOM | F_JSON | F_FORCE, LV_REQUIRED, 1,
	  "plan VG/LV --cachevol LV [--block-size N] [--set key=val]... [--target T] [--json]",
	  "print the table attach would load, with one line of reasoning per value" },
	{ "split", cmd_split, F_UNCACHE | F_FORCE | F_YES | F_INTERVAL, LV_REQUIRED, 1,
	  "split VG/LV [--uncache] [--force] [--interval SEC]",
	  "flush the cache, remove it and restore the original LVs" },
	{ "status", cmd_status, F_JSON, LV_OPTIONAL, 1,
	  "status [VG/LV] [--json]",
	  "show state, usage, dirty data, hit rates, errors and settings" },
	{ "list", cmd_list, F_JSON, LV_NONE, 1,
	  "list [--json]",
	  "list the cached LVs of all VGs" },
	{ "activate", cmd_activate, F_FORCE | F_WAIT, LV_REQUIRED, 1,
	  "activate VG/LV [--force] | activate VG [--wait SEC]",
	  "activate origin and cachevol and load the cache mapping (VG: every cached LV of VG, as at boot)" },
	{ "deactivate", cmd_deactivate, 0, LV_REQUIRED, 1,
	  "deactivate VG/LV",
	  "remove the cache mapping and deactivate origin and cachevol" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

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
	fprintf(f, "\nOptions:\n"
		   "  -c, --cachevol LV     LV (same VG) that becomes the cache; it is wiped\n"
		   "  -b, --block-size N    cache block size in bytes (default: from geometry)\n"
		   "      --profile NAME    take settings from an LVM profile\n"
		   "  -s, --set key=val     override one table setting (repeatable)\n"
		   "  -t, --target T        wcache or writecache (default: wcache if available)\n"
		   "  -n, --dry-run         print what would be done, change nothing\n"
		   "  -y, --yes             do not ask before wiping the cachevol\n"
		   "  -f, --force           allow an operation that loses data or needs much RAM\n"
		   "      --uncache         split: also remove the cachevol LV\n"
		   "      --interval SEC    split: progress update interval (default 1)\n"
		   "      --wait SEC        activate VG: wait for missing PVs (default 0)\n"
		   "  -j, --json            machine-readable output\n"
		   "  -v, --verbose         print every LVM and device-mapper step\n"
		   "  -h, --help            this help\n"
		   "  -V, --version         print the version\n"
		   "\nSettings (--set): high_watermark low_watermark writeback_jobs\n"
		   "  autocommit_blocks autocommit_time max_age pause_writeback\n"
		   "  sequential_cutoff (wcache only)\n"
		   "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 not root, 4 not found,\n"
		   "  5 refused, 6 geometry, 7 LVM failed, 8 device-mapper failed,\n"
		   "  9 declined, 10 interrupted, 11 target unavailable, 12 I/O error,\n"
		   "  13 malformed tags. See wcachectl(8).\n");
}

static int cmd_usage(const struct wc_cmd *c, FILE *f)
{
	fprintf(f, "Usage: wcachectl %s\n\n%s.\n", c->usage, c->help);
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
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct wc_opts o;
	char err[WC_ERR_MAX];
	uint64_t v;
	int opt, r;

	memset(&o, 0, sizeof(o));
	o.interval = 1.0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:b:s:t:nyfjvh", lopts, NULL)) != -1) {
		unsigned int need = 0;

		switch (opt) {
		case O_CACHEVOL:
			need = F_CACHEVOL;
			break;
		case O_BLOCK_SIZE:
		case O_SET:
		case O_TARGET:
		case O_PROFILE:
			need = F_GEOM;
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
	} else if (c->lv == LV_REQUIRED) {
		return bad(c, "%s needs VG/LV", c->name);
	}
	if ((c->flags & F_CACHEVOL) && !o.cachevol[0])
		return bad(c, "%s needs --cachevol LV", c->name);
	if (o.cachevol[0] && !strcmp(o.cachevol, o.lv))
		return bad(c, "the cachevol '%s' is the origin itself", o.cachevol);
	if (c->needs_root && geteuid() != 0)
		return wc_err(WC_EPERM, "%s needs root privileges (device-mapper and LVM metadata)",
			      c->name);
	wc_dm_init();
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
		if (i + 1 < argc && (c = find_cmd(argv[i + 1])))
			return cmd_usage(c, stdout);
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
