/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: shared definitions (exit codes, limits, messages).
 */
#ifndef WCACHECTL_H
#define WCACHECTL_H

#include <stddef.h>
#include <stdint.h>

#ifndef WCACHECTL_VERSION
#define WCACHECTL_VERSION "0.0.0"
#endif

/*
 * Exit codes. Documented in man/wcachectl.8; keep both in sync.
 *
 * The one error convention of tools/: a function that can fail returns 0
 * or one of these codes (positive), never an errno or a negated code;
 * results such as "mapped or not" go through pointer arguments. Only
 * functions documented to return a count or an index use -1 for "does
 * not fit" or "not found". wc_err() prints the message and returns the
 * code, so "return wc_err(WC_E..., ...)" reports and fails in one step.
 */
enum wc_exit {
	WC_OK = 0,		/* success */
	WC_EFAIL = 1,		/* unexpected internal failure */
	WC_EUSAGE = 2,		/* bad command line */
	WC_EPERM = 3,		/* needs root */
	WC_ENOENT = 4,		/* VG, LV or cache pairing not found */
	WC_EREFUSED = 5,	/* refused: unsafe, busy, dirty data, bad state */
	WC_EGEOMETRY = 6,	/* device geometry does not allow the table */
	WC_ELVM = 7,		/* an LVM command failed */
	WC_EDM = 8,		/* a device-mapper operation failed */
	WC_EABORT = 9,		/* the user declined the confirmation */
	WC_EINTR = 10,		/* interrupted; re-run the command to continue */
	WC_ENOTARGET = 11,	/* requested target type not in the kernel */
	WC_EIO = 12,		/* reading or writing a device failed */
	WC_ETAGS = 13,		/* LVM tags of a pairing are malformed */
};

#define WC_NAME_MAX	127	/* LVM's limit for VG and LV names */
#define WC_UUID_LEN	38	/* LVM uuid, printed with hyphens */
#define WC_PATH_MAX	512
#define WC_ERR_MAX	512

enum wc_target {
	WC_TARGET_NONE = 0,
	WC_TARGET_WCACHE,	/* our dm-wcache */
	WC_TARGET_WRITECACHE,	/* upstream dm-writecache */
};

const char *wc_target_name(enum wc_target t);
enum wc_target wc_target_parse(const char *s);

extern int wc_verbose;

/* print "wcachectl: <msg>" on stderr and return @code */
int wc_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the text of the last wc_err() message ("" when none) */
const char *wc_last_error(void);
void wc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wc_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wc_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Crash testing: with WCACHECTL_KILL_AFTER=N in the environment, the
 * process kills itself with SIGKILL right after its N-th change to LVM
 * metadata or device-mapper state (tests/vm/wcachectl-crash.bats).
 * WCACHECTL_STOP_AFTER=N stops it there (SIGSTOP) instead, so that a test
 * can fail a device at that point and let it go on with SIGCONT.
 */
void wc_step_done(const char *what);

/*
 * Ask "<what>. Continue? [y/N]" on the terminal: 0 when confirmed or
 * @yes, WC_EABORT (with the message) when declined or stdin is no terminal.
 */
int wc_confirm(int yes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* util.c: pure helpers */
int wc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int wc_parse_size(const char *s, uint64_t *bytes);
void wc_human_size(uint64_t bytes, char *buf, size_t len);

/* seconds on the monotonic clock */
double wc_now(void);

/* a time left as M:SS or H:MM:SS, "--:--" when unknown or absurd */
void wc_fmt_eta(double s, char *buf, size_t len);
int wc_valid_name(const char *s);
int wc_split_vglv(const char *arg, char *vg, char *lv);
size_t wc_strlcpy(char *dst, const char *src, size_t size);

#endif /* WCACHECTL_H */
