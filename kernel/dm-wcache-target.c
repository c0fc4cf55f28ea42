// SPDX-License-Identifier: GPL-2.0
/*
 * dm-wcache: device-mapper write-back cache target (skeleton: table parsing
 * and pass-through to the origin).
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/device-mapper.h>

#include "dm-wcache-format.h"

#define DM_MSG_PREFIX "wcache"

struct wcache_args {
	unsigned int block_size;
	unsigned int high_wm;
	unsigned int low_wm;
	unsigned int writeback_jobs;
	unsigned int autocommit_blocks;
	unsigned int autocommit_ms;
	unsigned int max_age_ms;	/* 0 = off */
	unsigned int pause_ms;
	unsigned long long seq_cutoff;	/* bytes, 0 = off */
	bool cleaner;
	bool metadata_only;
	bool flush_on_suspend;
	bool have_uuid;
	u8 origin_uuid[16];
};

struct wcache {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct dm_dev *cache;
	struct wcache_args a;
};

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned int v;

	if (kstrtouint(s, 10, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uuid(const char *s, u8 *uuid)
{
	int i, n = 0;

	for (i = 0; s[i] && n < 32; i++) {
		int v;

		if (s[i] == '-')
			continue;
		v = hex_to_bin(s[i]);
		if (v < 0)
			return -EINVAL;
		if (n & 1)
			uuid[n / 2] |= v;
		else
			uuid[n / 2] = v << 4;
		n++;
	}
	if (n != 32 || s[i])
		return -EINVAL;
	return 0;
}

static int wcache_parse_opts(struct dm_target *ti, struct wcache_args *a,
			     unsigned int argc, char **argv)
{
	unsigned int i;

	for (i = 0; i < argc; i++) {
		const char *k = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
		int r = 0;

		if (!strcasecmp(k, "cleaner")) {
			a->cleaner = true;
			continue;
		}
		if (!strcasecmp(k, "metadata_only")) {
			a->metadata_only = true;
			continue;
		}
		if (!strcasecmp(k, "flush_on_suspend")) {
			a->flush_on_suspend = true;
			continue;
		}
		if (strcasecmp(k, "high_watermark") &&
		    strcasecmp(k, "low_watermark") &&
		    strcasecmp(k, "writeback_jobs") &&
		    strcasecmp(k, "autocommit_blocks") &&
		    strcasecmp(k, "autocommit_time") &&
		    strcasecmp(k, "max_age") &&
		    strcasecmp(k, "pause_writeback") &&
		    strcasecmp(k, "sequential_cutoff") &&
		    strcasecmp(k, "origin_uuid")) {
			ti->error = "Unknown optional argument";
			return -EINVAL;
		}
		if (!v) {
			ti->error = "Optional argument is missing its value";
			return -EINVAL;
		}
		i++;
		if (!strcasecmp(k, "high_watermark")) {
			r = parse_uint(v, 0, 100, &a->high_wm);
		} else if (!strcasecmp(k, "low_watermark")) {
			r = parse_uint(v, 0, 100, &a->low_wm);
		} else if (!strcasecmp(k, "writeback_jobs")) {
			r = parse_uint(v, 1, 1U << 20, &a->writeback_jobs);
		} else if (!strcasecmp(k, "autocommit_blocks")) {
			r = parse_uint(v, 1, 1U << 30, &a->autocommit_blocks);
		} else if (!strcasecmp(k, "autocommit_time")) {
			r = parse_uint(v, 1, 3600000, &a->autocommit_ms);
		} else if (!strcasecmp(k, "max_age")) {
			r = parse_uint(v, 1, 86400000, &a->max_age_ms);
		} else if (!strcasecmp(k, "pause_writeback")) {
			r = parse_uint(v, 0, 60000, &a->pause_ms);
		} else if (!strcasecmp(k, "sequential_cutoff")) {
			if (kstrtoull(v, 10, &a->seq_cutoff) ||
			    a->seq_cutoff > (1ULL << 40))
				r = -EINVAL;
		} else if (!strcasecmp(k, "origin_uuid")) {
			r = parse_uuid(v, a->origin_uuid);
			a->have_uuid = true;
		}
		if (r) {
			ti->error = "Invalid value for optional argument";
			return r;
		}
	}
	if (a->low_wm > a->high_wm) {
		ti->error = "low_watermark must not exceed high_watermark";
		return -EINVAL;
	}
	return 0;
}

/*
 * wcache <s|p> <origin> <cache> <block_size> <#opt_args> [opt_args...]
 */
static int wcache_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct wcache *wc;
	unsigned int nopt, lbs;
	int r;

	if (argc < 5) {
		ti->error = "Not enough arguments: <s|p> <origin> <cache> <block_size> <#opt_args> [opt_args...]";
		return -EINVAL;
	}
	if (!strcmp(argv[0], "p")) {
		ti->error = "Persistent memory mode 'p' is not supported yet; use 's'";
		return -EINVAL;
	}
	if (strcmp(argv[0], "s")) {
		ti->error = "First argument must be 's' (SSD) or 'p' (pmem)";
		return -EINVAL;
	}

	wc = kzalloc(sizeof(*wc), GFP_KERNEL);
	if (!wc) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	wc->ti = ti;
	ti->private = wc;
	wc->a.high_wm = 50;
	wc->a.low_wm = 45;
	wc->a.writeback_jobs = 1024;
	wc->a.autocommit_blocks = 65536;
	wc->a.autocommit_ms = 1000;

	if (kstrtouint(argv[3], 10, &wc->a.block_size) ||
	    wc->a.block_size < 512 || wc->a.block_size > PAGE_SIZE ||
	    !is_power_of_2(wc->a.block_size)) {
		ti->error = "Invalid block size (power of two from 512 to PAGE_SIZE)";
		r = -EINVAL;
		goto bad;
	}
	if (kstrtouint(argv[4], 10, &nopt) || nopt != argc - 5) {
		ti->error = "Number of optional arguments does not match the table";
		r = -EINVAL;
		goto bad;
	}
	r = wcache_parse_opts(ti, &wc->a, nopt, argv + 5);
	if (r)
		goto bad;

	r = dm_get_device(ti, argv[1], dm_table_get_mode(ti->table), &wc->origin);
	if (r) {
		ti->error = "Origin device lookup failed";
		goto bad;
	}
	r = dm_get_device(ti, argv[2], dm_table_get_mode(ti->table), &wc->cache);
	if (r) {
		ti->error = "Cache device lookup failed";
		goto bad;
	}
	if (wc->origin->bdev == wc->cache->bdev) {
		ti->error = "Origin and cache must be different devices";
		r = -EINVAL;
		goto bad;
	}
	lbs = max(bdev_logical_block_size(wc->origin->bdev),
		  bdev_logical_block_size(wc->cache->bdev));
	if (wc->a.block_size < lbs) {
		ti->error = "Block size is smaller than a device's logical block size";
		r = -EINVAL;
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	return 0;

bad:
	if (wc->cache)
		dm_put_device(ti, wc->cache);
	if (wc->origin)
		dm_put_device(ti, wc->origin);
	kfree(wc);
	ti->private = NULL;
	return r;
}

static void wcache_dtr(struct dm_target *ti)
{
	struct wcache *wc = ti->private;

	dm_put_device(ti, wc->cache);
	dm_put_device(ti, wc->origin);
	kfree(wc);
}

static int wcache_map(struct dm_target *ti, struct bio *bio)
{
	struct wcache *wc = ti->private;

	bio_set_dev(bio, wc->origin->bdev);
	if (bio_sectors(bio) || op_is_zone_mgmt(bio_op(bio)))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

static void wcache_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct wcache *wc = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("0 0 0 0");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("s %s %s %u 0", wc->origin->name, wc->cache->name,
		       wc->a.block_size);
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int wcache_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct wcache *wc = ti->private;

	return fn(ti, wc->origin, 0, ti->len, data);
}

static void wcache_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct wcache *wc = ti->private;

	if (limits->logical_block_size < wc->a.block_size)
		limits->logical_block_size = wc->a.block_size;
	if (limits->physical_block_size < wc->a.block_size)
		limits->physical_block_size = wc->a.block_size;
	if (limits->io_min < wc->a.block_size)
		limits->io_min = wc->a.block_size;
}

static struct target_type wcache_target = {
	.name = "wcache",
	.version = {0, 1, 0},
	.module = THIS_MODULE,
	.ctr = wcache_ctr,
	.dtr = wcache_dtr,
	.map = wcache_map,
	.status = wcache_status,
	.iterate_devices = wcache_iterate_devices,
	.io_hints = wcache_io_hints,
};

static int __init dm_wcache_init(void)
{
	return dm_register_target(&wcache_target);
}

static void __exit dm_wcache_exit(void)
{
	dm_unregister_target(&wcache_target);
}

module_init(dm_wcache_init);
module_exit(dm_wcache_exit);

MODULE_DESCRIPTION(DM_NAME " write-back cache target");
MODULE_AUTHOR("dm-wcache developers");
MODULE_LICENSE("GPL");
