// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by replay-log, replay-stamp and dmfuzz: libdevmapper helpers and
 * CRC-32C (see dmtest.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <libdevmapper.h>

#include "dmtest.h"

uint32_t crc32c(const void *buf, size_t n)
{
	static uint32_t table[256];
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		uint32_t i, j, v;

		for (i = 0; i < 256; i++) {
			v = i;
			for (j = 0; j < 8; j++)
				v = (v >> 1) ^ (v & 1 ? 0x82f63b78u : 0);
			table[i] = v;
		}
	}
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static bool log_verbose, log_errors;

static void dmt_log(int level, const char *file, int line, int dm_errno,
		    const char *f, ...)
{
	va_list ap;
	char msg[512];

	(void)file;
	(void)line;
	(void)dm_errno;
	/* levels up to 3 (_LOG_ERR) are errors and warnings */
	if (!log_verbose && (!log_errors || level > 3))
		return;
	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	if (strstr(msg, "Udev is running"))
		return;
	fprintf(stderr, "libdevmapper: %s\n", msg);
}

void dmt_init(bool verbose, bool errors)
{
	log_verbose = verbose;
	log_errors = errors;
	setenv("DM_DISABLE_UDEV", "1", 1);
	dm_log_with_errno_init(dmt_log);
	dm_udev_set_sync_support(0);
}

bool dmt_exists(const char *name)
{
	struct dm_task *t = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	bool e = false;

	if (t && dm_task_set_name(t, name) && dm_task_run(t) &&
	    dm_task_get_info(t, &info))
		e = info.exists;
	if (t)
		dm_task_destroy(t);
	return e;
}

int dmt_simple(int type, const char *name, const char *msg, char *out,
	       size_t outlen)
{
	struct dm_task *t = dm_task_create(type);
	uint64_t start, len;
	char *ttype = NULL, *params = NULL;
	int ok;

	if (!t)
		return -1;
	ok = dm_task_set_name(t, name);
	if (ok && msg)
		ok = dm_task_set_sector(t, 0) && dm_task_set_message(t, msg);
	ok = ok && dm_task_run(t);
	if (ok && out) {
		dm_get_next_target(t, NULL, &start, &len, &ttype, &params);
		snprintf(out, outlen, "%s", params ? params : "");
	}
	dm_task_destroy(t);
	return ok ? 0 : -1;
}

int dmt_create(const char *name, uint64_t len, const char *type,
	       const char *params, dev_t *dev)
{
	struct dm_task *t = dm_task_create(DM_DEVICE_CREATE);
	struct dm_info info;
	int ok;

	if (!t)
		return -1;
	ok = dm_task_set_name(t, name) &&
	     dm_task_add_target(t, 0, len, type, params) && dm_task_run(t) &&
	     dm_task_get_info(t, &info) && info.exists;
	dm_task_destroy(t);
	if (!ok)
		return -1;
	if (dev)
		*dev = makedev(info.major, info.minor);
	return 0;
}

int dmt_mknod(const char *path, dev_t dev)
{
	unlink(path);
	return mknod(path, S_IFBLK | 0600, dev) ? -1 : 0;
}

int dmt_remove(const char *name)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (!dmt_exists(name) ||
		    !dmt_simple(DM_DEVICE_REMOVE, name, NULL, NULL, 0))
			return 0;
		usleep(10000);
	}
	return -1;
}

long long dmt_field(const char *status, int n)
{
	const char *p = status;

	while (--n > 0) {
		p = strchr(p, ' ');
		if (!p)
			return -1000000;
		p++;
	}
	return strtoll(p, NULL, 10);
}
