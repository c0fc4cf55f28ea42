/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the test programs that drive device-mapper themselves
 * (tests/replay: replay-log, replay-stamp; tests/fuzz: dmfuzz): the
 * libdevmapper calls they all make, and the CRC-32C of the on-disk format
 * and of the stamped blocks.  dmtest.c holds the code.
 */
#ifndef TESTS_DMTEST_H
#define TESTS_DMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CRC-32C (Castagnoli; initial value and final XOR 0xffffffff) */
uint32_t crc32c(const void *buf, size_t n);

/*
 * No udev: libdevmapper neither waits for udev nor expects it to make
 * /dev/mapper nodes (callers make their own with dmt_mknod).  libdevmapper
 * errors and warnings go to stderr when VERBOSE, or when not VERBOSE and
 * ERRORS (nothing at all when neither).
 */
void dmt_init(bool verbose, bool errors);

bool dmt_exists(const char *name);

/*
 * One DM_DEVICE_* task on NAME (TARGET_MSG: with message MSG to sector 0).
 * OUT, if given, gets the parameters of the first target (table or status).
 * 0 on success.
 */
int dmt_simple(int type, const char *name, const char *msg, char *out,
	       size_t outlen);

/* Create NAME with one target; its device number in *DEV.  0 on success. */
int dmt_create(const char *name, uint64_t len, const char *type,
	       const char *params, dev_t *dev);

/* Block device node PATH for DEV (replaced if it exists).  0 on success. */
int dmt_mknod(const char *path, dev_t dev);

/* Remove NAME if it exists, retrying while it is busy (~3 s).  0 on success. */
int dmt_remove(const char *name);

/* Field N (1-based) of a status line as a number; -1000000 if missing. */
long long dmt_field(const char *status, int n);

#endif /* TESTS_DMTEST_H */
