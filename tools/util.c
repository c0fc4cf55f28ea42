// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: small helpers without library dependencies: messages,
 * strict number and size parsing, VG/LV name checks.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wcachectl.h"

int wc_verbose;

void wc_step_done(const char *what)
{
	static unsigned long steps;
	const char *env = getenv("WCACHECTL_KILL_AFTER");
	uint64_t n;

	steps++;
	wc_debug("step %lu done: %s", steps, what);
	if (env && !wc_parse_u64(env, 1, 1000000, &n) && n == steps) {
		fprintf(stderr, "wcachectl: test: killed after step %lu (%s)\n", steps, what);
		kill(getpid(), SIGKILL);
	}
	env = getenv("WCACHECTL_STOP_AFTER");
	if (env && !wc_parse_u64(env, 1, 1000000, &n) && n == steps) {
		fprintf(stderr, "wcachectl: test: stopped after step %lu (%s)\n", steps, what);
		raise(SIGSTOP);
	}
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "wcachectl: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static char last_error[WC_ERR_MAX];

int wc_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

const char *wc_last_error(void)
{
	return last_error;
}

void wc_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void wc_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void wc_debug(const char *fmt, ...)
{
	va_list ap;

	if (!wc_verbose)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

int wc_confirm(int yes, const char *fmt, ...)
{
	char what[WC_ERR_MAX], line[16];
	va_list ap;

	if (yes)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!isatty(STDIN_FILENO))
		return wc_err(WC_EABORT, "refusing to %s without confirmation: standard input is not a terminal (use --yes)",
			      what);
	fprintf(stderr, "wcachectl: about to %s. Continue? [y/N] ", what);
	if (!fgets(line, sizeof(line), stdin) ||
	    (strcmp(line, "y\n") && strcmp(line, "yes\n") && strcmp(line, "Y\n")))
		return wc_err(WC_EABORT, "declined; nothing changed");
	return 0;
}

const char *wc_target_name(enum wc_target t)
{
	switch (t) {
	case WC_TARGET_WCACHE:
		return "wcache";
	case WC_TARGET_WRITECACHE:
		return "writecache";
	default:
		return "none";
	}
}

enum wc_target wc_target_parse(const char *s)
{
	if (!strcmp(s, "wcache"))
		return WC_TARGET_WCACHE;
	if (!strcmp(s, "writecache"))
		return WC_TARGET_WRITECACHE;
	return WC_TARGET_NONE;
}

size_t wc_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/*
 * Strict unsigned decimal: digits only, no sign, no spaces, no leading
 * zeros except "0" itself, within [min, max]. Returns 0 or WC_EUSAGE.
 */
int wc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s || strlen(s) > 20)
		return WC_EUSAGE;
	if (s[0] == '0' && s[1])
		return WC_EUSAGE;
	for (p = s; *p; p++) {
		unsigned int d;

		if (*p < '0' || *p > '9')
			return WC_EUSAGE;
		d = *p - '0';
		if (v > (UINT64_MAX - d) / 10)
			return WC_EUSAGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return WC_EUSAGE;
	*out = v;
	return 0;
}

/*
 * Size with optional binary suffix: 512, 4k, 4K, 4KiB, 1m, 2G, 1T.
 * A bare number is bytes.
 */
int wc_parse_size(const char *s, uint64_t *bytes)
{
	char num[24];
	size_t n = 0;
	unsigned int shift = 0;
	const char *suf;
	uint64_t v;
	int r;

	if (!s)
		return WC_EUSAGE;
	while (s[n] >= '0' && s[n] <= '9') {
		if (n + 1 >= sizeof(num))
			return WC_EUSAGE;
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	suf = s + n;
	if (*suf) {
		switch (tolower((unsigned char)*suf)) {
		case 'k':
			shift = 10;
			break;
		case 'm':
			shift = 20;
			break;
		case 'g':
			shift = 30;
			break;
		case 't':
			shift = 40;
			break;
		default:
			return WC_EUSAGE;
		}
		suf++;
		if (!strcmp(suf, "iB") || !strcmp(suf, "ib") || !strcmp(suf, "B") ||
		    !strcmp(suf, "b"))
			suf = "";
		if (*suf)
			return WC_EUSAGE;
	}
	r = wc_parse_u64(num, 0, UINT64_MAX, &v);
	if (r)
		return r;
	if (shift && v > (UINT64_MAX >> shift))
		return WC_EUSAGE;
	*bytes = v << shift;
	return 0;
}

void wc_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/*
 * LVM VG/LV name rules: [A-Za-z0-9+_.-], not starting with '-',
 * not "." or "..", at most WC_NAME_MAX characters.
 */
int wc_valid_name(const char *s)
{
	size_t n = 0;

	if (!s || !*s || s[0] == '-')
		return 0;
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; s[n]; n++) {
		unsigned char c = s[n];

		if (n >= WC_NAME_MAX)
			return 0;
		if (!isalnum(c) && c != '+' && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

/*
 * "VG/LV" (optionally "/dev/VG/LV") into its parts. Buffers must hold
 * WC_NAME_MAX + 1 bytes. Returns 0 or WC_EUSAGE.
 */
int wc_split_vglv(const char *arg, char *vg, char *lv)
{
	const char *slash;
	size_t n;

	if (!arg)
		return WC_EUSAGE;
	if (!strncmp(arg, "/dev/", 5))
		arg += 5;
	slash = strchr(arg, '/');
	if (!slash || strchr(slash + 1, '/'))
		return WC_EUSAGE;
	n = slash - arg;
	if (n == 0 || n > WC_NAME_MAX)
		return WC_EUSAGE;
	memcpy(vg, arg, n);
	vg[n] = '\0';
	if (strlen(slash + 1) > WC_NAME_MAX)
		return WC_EUSAGE;
	strcpy(lv, slash + 1);
	if (!wc_valid_name(vg) || !wc_valid_name(lv))
		return WC_EUSAGE;
	return 0;
}

double wc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void wc_fmt_eta(double s, char *buf, size_t len)
{
	if (!isfinite(s) || s < 0 || s > 99 * 3600)
		snprintf(buf, len, "--:--");
	else if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
}
