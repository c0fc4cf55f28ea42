/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: device geometry (libblkid and sysfs) and raw device access.
 */
#ifndef WC_PROBE_H
#define WC_PROBE_H

#include <stdint.h>

struct wc_devgeom {
	uint64_t bytes;
	uint32_t lbs, pbs;
	int rotational;
	uint32_t major, minor;
	uint32_t fs_block_size;		/* 0: no filesystem */
	char fs_type[32];		/* any signature libblkid found */
};

/* Returns 0 or WC_EIO with @err set. */
int wc_probe_dev(const char *path, struct wc_devgeom *g, char *err, size_t errlen);

uint64_t wc_probe_ram(void);
uint32_t wc_probe_page_size(void);

/* zero the first @bytes of @path and flush; 0 or WC_EIO */
int wc_wipe_start(const char *path, uint64_t bytes, char *err, size_t errlen);

/* 128 random bits as 32 lowercase hex digits */
int wc_random_hex32(char out[33]);

#endif /* WC_PROBE_H */
