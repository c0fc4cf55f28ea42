/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-wcache: differences between the kernel APIs it builds against
 * (Linux 6.1 to the newest Debian kernel, README.md "Supported kernels").
 *
 * Each difference is decided by a WC_HAVE_* macro that kernel/Makefile
 * (the Kbuild file) sets by reading the target kernel's own headers, not
 * by LINUX_VERSION_CODE: stable series backport API changes (dm_io()'s
 * ioprio argument is in 6.1.83, 6.6.23 and 6.8.2 but not in 6.8.1), and
 * distribution kernels carry more backports still.  The code uses the
 * newest kernel's names; this file supplies them on older kernels.
 */
#ifndef DM_WCACHE_COMPAT_H
#define DM_WCACHE_COMPAT_H

#include <linux/timer.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/ioprio.h>

/*
 * crc32c(): <linux/crc32c.h> (library module libcrc32c, a wrapper around
 * the crypto API) until 6.14; since then <linux/crc32.h> declares it
 * (lib/crc32, usually built in) and crc32c.h went away.
 */
#ifdef WC_HAVE_CRC32C_H
#include <linux/crc32c.h>
#else
#include <linux/crc32.h>
#endif

/* del_timer_sync() became timer_delete_sync() in 6.2 (in 6.1.y too) and
 * was removed in 6.15. */
#ifndef WC_HAVE_TIMER_DELETE_SYNC
#define timer_delete_sync(timer) del_timer_sync(timer)
#endif

/* from_timer() was renamed timer_container_of() in 6.16. */
#ifndef WC_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/* hex_to_bin() and friends moved from <linux/kernel.h> to <linux/hex.h>
 * (6.x), which <linux/kernel.h> stopped including in 7.x. */
#ifdef WC_HAVE_HEX_H
#include <linux/hex.h>
#endif

/*
 * dm_io() takes the I/O priority since 6.9 (backported to 6.1.83, 6.6.23,
 * 6.8.2), and since 7.x a second optional bitmap, sync_unsup_bits, for the
 * regions whose synchronous I/O the device does not support; dm-wcache
 * treats every failure alike and passes NULL, as for the error bits.
 */
static inline int wc_dm_io(struct dm_io_request *req, unsigned int num_regions,
			   struct dm_io_region *where,
			   unsigned long *error_bits, unsigned short ioprio)
{
#if defined(WC_HAVE_DM_IO_UNSUP_BITS)
	return dm_io(req, num_regions, where, error_bits, NULL, ioprio);
#elif defined(WC_HAVE_DM_IO_IOPRIO)
	return dm_io(req, num_regions, where, error_bits, ioprio);
#else
	return dm_io(req, num_regions, where, error_bits);
#endif
}

/*
 * Since 7.x dm_io()'s completion callback (io_notify_fn) also gets the
 * bitmap of regions whose I/O was not supported.  WC_DEFINE_IO_NOTIFY(name,
 * fn) defines an io_notify_fn "name" for a callback fn(error, context); an
 * unsupported region counts as failed.
 */
#ifdef WC_HAVE_DM_IO_UNSUP_BITS
#define WC_DEFINE_IO_NOTIFY(name, fn)					\
static void name(unsigned long error, unsigned long unsup, void *context) \
{									\
	fn(error | unsup, context);					\
}
#else
#define WC_DEFINE_IO_NOTIFY(name, fn)					\
static void name(unsigned long error, void *context)			\
{									\
	fn(error, context);						\
}
#endif

/*
 * dm_table_get_mode() returns a blk_mode_t (BLK_OPEN_*) since 6.5, an
 * fmode_t (FMODE_*) before.
 */
static inline bool wc_table_writable(struct dm_table *t)
{
#ifdef WC_HAVE_BLK_OPEN_WRITE
	return dm_table_get_mode(t) & BLK_OPEN_WRITE;
#else
	return dm_table_get_mode(t) & FMODE_WRITE;
#endif
}

#endif /* DM_WCACHE_COMPAT_H */
