// SPDX-License-Identifier: GPL-2.0
/*
 * dm-wcache: device-mapper write-back cache target.
 *
 * This file holds the target glue: table parsing, the bio paths (reads,
 * cached writes, flushes, FUA, discards), suspend/resume, status and
 * messages.  The on-disk format and the commit protocol live in
 * dm-wcache-metadata.c, writeback in dm-wcache-writeback.c.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/hash.h>
#include <linux/xxhash.h>
#include <linux/highmem.h>

#include "dm-wcache.h"

#define DM_MSG_PREFIX "wcache"

enum wc_bio_kind { WK_PASS = 0, WK_READ, WK_WRITE, WK_ORIGIN };

struct wc_bio {
	u64 oblock;
	u32 block;
	u32 csum;
	u8 kind;
	bool fua;
	bool stable;
};

/* ---------------------------------------------------------------------- */
/* Table parsing */

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

static const struct {
	const char *name;
	unsigned int bit;
} wc_valued_args[] = {
	{ "high_watermark", WA_HIGH },
	{ "low_watermark", WA_LOW },
	{ "writeback_jobs", WA_JOBS },
	{ "autocommit_blocks", WA_ACBLOCKS },
	{ "autocommit_time", WA_ACTIME },
	{ "max_age", WA_MAXAGE },
	{ "pause_writeback", WA_PAUSE },
	{ "sequential_cutoff", WA_SEQ },
	{ "origin_uuid", 0 },
};

static int wcache_parse_opts(struct dm_target *ti, struct wc_args *a,
			     unsigned int argc, char **argv)
{
	unsigned int i, j;

	for (i = 0; i < argc; i++) {
		const char *k = argv[i];
		const char *v;
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
		for (j = 0; j < ARRAY_SIZE(wc_valued_args); j++)
			if (!strcasecmp(k, wc_valued_args[j].name))
				break;
		if (j == ARRAY_SIZE(wc_valued_args)) {
			ti->error = "Unknown optional argument";
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			ti->error = "Optional argument is missing its value";
			return -EINVAL;
		}
		v = argv[++i];
		a->given |= wc_valued_args[j].bit;
		if (!strcasecmp(k, "high_watermark")) {
			r = parse_uint(v, 0, 100, &a->high_wm);
		} else if (!strcasecmp(k, "low_watermark")) {
			r = parse_uint(v, 0, 100, &a->low_wm);
		} else if (!strcasecmp(k, "writeback_jobs")) {
			r = parse_uint(v, 1, 65536, &a->writeback_jobs);
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

static void wcache_free(struct wcache *wc)
{
	struct dm_target *ti = wc->ti;

	if (wc->wq)
		destroy_workqueue(wc->wq);
	wc_free_state(wc);
	if (wc->io)
		dm_io_client_destroy(wc->io);
	vfree(wc->cbuf);
	vfree(wc->wb_buf);
	kvfree(wc->wb_cand);
	free_page((unsigned long)wc->sb_buf);
	free_percpu(wc->stats);
	free_percpu(wc->unc_pcpu);
	kfree(wc->streams);
	if (wc->cache)
		dm_put_device(ti, wc->cache);
	if (wc->origin)
		dm_put_device(ti, wc->origin);
	kfree(wc);
}

/*
 * wcache <s|p> <origin> <cache> <block_size> <#opt_args> [opt_args...]
 */
static int wcache_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct wcache_disk_sb sb;
	const char *reason = NULL;
	struct wcache *wc;
	unsigned int nopt, lbs, i;
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
	wc->read_only = !wc_table_writable(ti->table);
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
	wc->block_sectors = wc->a.block_size >> SECTOR_SHIFT;
	wc->block_shift = ilog2(wc->a.block_size);
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
	wc->io_sectors = bdev_logical_block_size(wc->cache->bdev) >> SECTOR_SHIFT;
	if (WCACHE_MD_OFFSET & (wc->io_sectors - 1)) {
		ti->error = "Cache device's logical block size is above 4 KiB";
		r = -EINVAL;
		goto bad;
	}
	if (ti->len & (wc->block_sectors - 1)) {
		ti->error = "Target length is not a multiple of the block size";
		r = -EINVAL;
		goto bad;
	}
	if (ti->len > bdev_nr_sectors(wc->origin->bdev)) {
		ti->error = "Target is larger than the origin device";
		r = -EINVAL;
		goto bad;
	}
	wc->origin_blocks = ti->len >> (wc->block_shift - SECTOR_SHIFT);

	r = -ENOMEM;
	ti->error = "Cannot allocate memory";
	wc->io = dm_io_client_create();
	if (IS_ERR(wc->io)) {
		r = PTR_ERR(wc->io);
		wc->io = NULL;
		goto bad;
	}
	wc->cbuf = vmalloc(WC_COMMIT_BUF_SECTORS * WCACHE_SECTOR_SIZE);
	wc->sb_buf = (void *)get_zeroed_page(GFP_KERNEL);
	wc->stats = alloc_percpu(struct wc_stats);
	wc->streams = kcalloc(WC_SEQ_SLOTS, sizeof(*wc->streams), GFP_KERNEL);
	wc->unc_pcpu = alloc_percpu(unsigned int);
	wc->unc_batched = wc->a.autocommit_blocks >=
			  WC_UNC_BATCH * 4 * num_possible_cpus();
	wc->wq = alloc_workqueue("dm-wcache", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!wc->cbuf || !wc->sb_buf || !wc->stats || !wc->streams ||
	    !wc->unc_pcpu || !wc->wq)
		goto bad;

	for (i = 0; i < WC_NR_LOCKS; i++)
		spin_lock_init(&wc->locks[i]);
	init_waitqueue_head(&wc->free_wait);
	init_waitqueue_head(&wc->commit_wait);
	mutex_init(&wc->commit_lock);
	mutex_init(&wc->wb_lock);
	mutex_init(&wc->msg_lock);
	spin_lock_init(&wc->flush_lock);
	spin_lock_init(&wc->age_lock);
	bio_list_init(&wc->flush_bios);
	bio_list_init(&wc->fua_bios);
	INIT_WORK(&wc->commit_work, wc_commit_work);
	INIT_WORK(&wc->wb_work, wc_wb_work);
	INIT_WORK(&wc->wb_drain_work, wc_wb_drain_work);
	INIT_DELAYED_WORK(&wc->wb_delayed, wc_wb_retry_work);
	timer_setup(&wc->commit_timer, wc_commit_timer_fn, 0);
	wc->suspended = true;

	/*
	 * Validate what is on the cache device now, so that foreign or
	 * corrupt metadata is refused here with a clear message.  The state
	 * itself is (re)loaded in preresume, after any previous table using
	 * this cache has been suspended and has committed.
	 */
	r = wc_read_sb(wc, &sb);
	if (r) {
		ti->error = "Cannot read the cache superblock";
		goto bad;
	}
	r = wc_check_sb(wc, &sb, &reason);
	if (r == -ENODATA) {
		r = wc_check_new_geometry(wc, &reason);
		if (r) {
			ti->error = (char *)reason;
			goto bad;
		}
	} else if (r) {
		ti->error = (char *)reason;
		goto bad;
	} else {
		wc_apply_sb(wc, &sb);
		r = wc_check_metadata(wc, &reason);
		if (r) {
			ti->error = (char *)reason;
			goto bad;
		}
	}
	/* allocate here, not in preresume: see wc_alloc_state() */
	r = wc_alloc_state(wc);
	if (!r)
		r = wc_wb_alloc(wc);
	if (r) {
		ti->error = "Cannot allocate memory for the cache's state";
		goto bad;
	}
	ti->error = NULL;

	ti->private = wc;
	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct wc_bio);
	/*
	 * No max_io_len: bios that go to the origin (misses, bypassed writes)
	 * stay whole; the map function trims the others to one block.
	 */
	return 0;

bad:
	wcache_free(wc);
	ti->private = NULL;
	return r;
}

static void wcache_dtr(struct dm_target *ti)
{
	struct wcache *wc = ti->private;

	timer_delete_sync(&wc->commit_timer);
	if (wc->wq) {
		WRITE_ONCE(wc->wb_stop, true);
		cancel_work_sync(&wc->wb_drain_work);
		cancel_work_sync(&wc->wb_work);
		cancel_delayed_work_sync(&wc->wb_delayed);
		cancel_work_sync(&wc->commit_work);
	}
	wcache_free(wc);
}

/* ---------------------------------------------------------------------- */
/* Bio paths */

static void wc_remap(struct bio *bio, struct dm_dev *dev, sector_t sector)
{
	bio_set_dev(bio, dev->bdev);
	bio->bi_iter.bi_sector = sector;
}

static u32 wc_bio_csum(struct bio *bio)
{
	struct xxh64_state st;
	struct bvec_iter iter;
	struct bio_vec bv;

	xxh64_reset(&st, 0);
	bio_for_each_segment(bv, bio, iter) {
		void *p = bvec_kmap_local(&bv);

		xxh64_update(&st, p, bv.bv_len);
		kunmap_local(p);
	}
	return (u32)xxh64_digest(&st);
}

/*
 * For a read: is oblock's current version in the cache?  For a write
 * (@any): does oblock have any version on the cache device that a crash
 * could bring back?  Such a write must go through the cache, so that its
 * newer entry wins over that version on load.
 */
static bool wc_is_cached(struct wcache *wc, u64 oblock, bool any)
{
	spinlock_t *lock = wc_lock_for(wc, oblock);
	unsigned long flags;
	bool r;

	spin_lock_irqsave(lock, flags);
	if (any)
		r = wc_has_version(wc, oblock);
	else
		r = wc_find_current(wc, oblock) != WC_NIL;
	spin_unlock_irqrestore(lock, flags);
	return r;
}

/*
 * Number of sectors from @sector (within the bio) up to the first block
 * from @sector on whose cached state is @cached, at most @sectors.
 */
static sector_t wc_run_sectors(struct wcache *wc, sector_t sector,
			       sector_t sectors, bool cached, bool any)
{
	u64 ob = sector >> (wc->block_shift - SECTOR_SHIFT);
	sector_t run = 0, step;

	while (run < sectors && wc_is_cached(wc, ob, any) == cached) {
		step = wc->block_sectors -
		       ((sector + run) & (wc->block_sectors - 1));
		run += step;
		ob++;
	}
	return min(run, sectors);
}

/*
 * Keep only the first @n sectors of @bio in this map call; device-mapper
 * sends the rest to the target again.
 */
static void wc_trim_bio(struct bio *bio, sector_t n)
{
	if (n < bio_sectors(bio))
		dm_accept_partial_bio(bio, n);
}

/*
 * Sequential stream detection for sequential_cutoff.  A small table of
 * streams, each filed under the sector where it ends: a write that starts
 * where a stream ended continues it, wherever it was submitted from (the
 * submitting task moves between CPUs; per-CPU state lost the stream then).
 * Lockless: a race only makes the heuristic less exact.
 */
static bool wc_seq_bypass(struct wcache *wc, struct bio *bio)
{
	sector_t start, end;
	struct wc_seq_stream *prev, *next;
	u64 bytes;

	if (!wc->a.seq_cutoff)
		return false;
	start = bio->bi_iter.bi_sector;
	end = bio_end_sector(bio);
	prev = &wc->streams[hash_64(start, WC_SEQ_BITS)];
	next = &wc->streams[hash_64(end, WC_SEQ_BITS)];
	bytes = bio->bi_iter.bi_size;
	if (start && READ_ONCE(prev->next) == start)
		bytes += READ_ONCE(prev->bytes);
	else if (READ_ONCE(next->next) == end)
		/* the rest of a bio the map function trimmed */
		bytes = max(bytes, READ_ONCE(next->bytes));
	WRITE_ONCE(next->bytes, bytes);
	WRITE_ONCE(next->next, end);
	return bytes > wc->a.seq_cutoff;
}

static int wc_map_flush(struct wcache *wc, struct bio *bio)
{
	wc_stat_inc(wc, flushes);
	if (READ_ONCE(wc->error))
		return DM_MAPIO_KILL;
	spin_lock_irq(&wc->flush_lock);
	bio_list_add(&wc->flush_bios, bio);
	spin_unlock_irq(&wc->flush_lock);
	wc_queue_commit(wc);
	return DM_MAPIO_SUBMITTED;
}

/* Drop the cached copy of origin block @ob, if any, for a discard. */
static void wc_discard_block(struct wcache *wc, u64 ob)
{
	spinlock_t *lock = wc_lock_for(wc, ob);
	unsigned long flags;
	u32 b;

	spin_lock_irqsave(lock, flags);
	b = wc_find_current(wc, ob);
	if (b != WC_NIL) {
		u64 m = wc->entries[b].meta;

		if (wm_seq(m)) {
			/* keep it as an old version until durable */
			WRITE_ONCE(wc->entries[b].meta,
				   wm_make(WS_OLD, wm_flags(m) & WF_STABLE,
					   wm_inflight(m), wm_seq(m)));
			wc_mark_dirty(wc, b);
		} else {
			wc_retire_locked(wc, b);
			wc_free_olds_locked(wc, ob);
		}
	}
	spin_unlock_irqrestore(lock, flags);
}

static int wc_map_discard(struct wcache *wc, struct bio *bio, sector_t sector)
{
	u64 first = DIV_ROUND_UP_ULL(sector, wc->block_sectors);
	u64 end = (sector + bio_sectors(bio)) >> (wc->block_shift - SECTOR_SHIFT);
	u64 i;

	wc_stat_inc(wc, discards);
	if (READ_ONCE(wc->error))
		return DM_MAPIO_KILL;
	/*
	 * Only blocks the discard covers completely lose their cached copy.
	 * A range larger than the cache (mkfs discards the whole device) is
	 * handled by one pass over the cache's entries instead of one lookup
	 * per origin block; wc_discard_block looks the block up again under
	 * its lock.
	 */
	if (first < end && end - first > wc->n_blocks) {
		for (i = 0; i < wc->n_blocks; i++) {
			struct wc_entry *e = &wc->entries[i];
			u64 ob = READ_ONCE(e->oblock);

			if (wm_state(READ_ONCE(e->meta)) == WS_CURRENT &&
			    ob >= first && ob < end)
				wc_discard_block(wc, ob);
			if (!(i & 4095))
				cond_resched();
		}
	} else {
		for (i = first; i < end; i++) {
			wc_discard_block(wc, i);
			if (!(i & 4095))
				cond_resched();
		}
	}
	if (!bdev_max_discard_sectors(wc->origin->bdev)) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	wc_remap(bio, wc->origin, sector);
	return DM_MAPIO_REMAPPED;
}

static int wc_map_read(struct wcache *wc, struct bio *bio, struct wc_bio *pb,
		       sector_t sector)
{
	u64 oblock = sector >> (wc->block_shift - SECTOR_SHIFT);
	spinlock_t *lock = wc_lock_for(wc, oblock);
	sector_t n = bio_sectors(bio);
	unsigned long flags;
	u32 b;

	/*
	 * Uncached blocks from the start of the bio go to the origin in one
	 * piece; a cached block is read from the cache on its own.
	 */
	if (n > wc->block_sectors - (sector & (wc->block_sectors - 1))) {
		sector_t run = wc_run_sectors(wc, sector, n, false, false);

		if (run) {
			wc_trim_bio(bio, run);
			wc_stat_add(wc, reads, DIV_ROUND_UP_ULL(run, wc->block_sectors));
			pb->kind = WK_ORIGIN;
			wc_remap(bio, wc->origin, sector);
			return DM_MAPIO_REMAPPED;
		}
		wc_trim_bio(bio, wc->block_sectors -
				 (sector & (wc->block_sectors - 1)));
	}
	wc_stat_inc(wc, reads);
again:
	spin_lock_irqsave(lock, flags);
	b = wc_find_current(wc, oblock);
	if (b != WC_NIL) {
		struct wc_entry *e = &wc->entries[b];

		if (wm_inflight(e->meta) == WM_INFL_MAX) {
			/*
			 * Too many reads of this block in flight: wait for
			 * one (a requeue outside a noflush suspend is EIO).
			 */
			spin_unlock_irqrestore(lock, flags);
			schedule_timeout_uninterruptible(1);
			goto again;
		}
		WRITE_ONCE(e->meta, e->meta + (1ULL << WM_INFL_SHIFT));
	}
	spin_unlock_irqrestore(lock, flags);

	if (b == WC_NIL) {
		pb->kind = WK_ORIGIN;
		wc_remap(bio, wc->origin, sector);
		return DM_MAPIO_REMAPPED;
	}
	wc_stat_inc(wc, read_hits);
	pb->kind = WK_READ;
	pb->block = b;
	pb->oblock = oblock;
	wc_remap(bio, wc->cache, wc_block_to_sector(wc, b) +
		 (sector & (wc->block_sectors - 1)));
	return DM_MAPIO_REMAPPED;
}

static int wc_map_write(struct wcache *wc, struct bio *bio, struct wc_bio *pb,
			sector_t sector)
{
	u64 oblock = sector >> (wc->block_shift - SECTOR_SHIFT);
	sector_t n = bio_sectors(bio), run = 0;
	bool waited = false;
	u32 b;

	if (READ_ONCE(wc->error))
		return DM_MAPIO_KILL;
	if ((sector & (wc->block_sectors - 1)) ||
	    (n & (wc->block_sectors - 1)) || !n) {
		DMERR_LIMIT("write not aligned to the cache block size");
		return DM_MAPIO_KILL;
	}
	if (wc->a.pause_ms)
		WRITE_ONCE(wc->last_write_jiffies, jiffies);

	/*
	 * A bypassed write goes to the origin whole, up to the first block
	 * that has any version on the cache device (current, discarded or
	 * written back but not yet durably freed): that one is written to
	 * the cache, so no stale cached copy can shadow it, now or after a
	 * crash.
	 */
	if (wc_seq_bypass(wc, bio)) {
		run = wc_run_sectors(wc, sector, n, false, true);
		if (run)
			wc_stat_add(wc, bypass_seq, run >> (wc->block_shift - SECTOR_SHIFT));
	} else if (READ_ONCE(wc->a.cleaner) ||
		   (wc->a.metadata_only && !(bio->bi_opf & REQ_META))) {
		run = wc_run_sectors(wc, sector, n, false, true);
		if (run)
			wc_stat_add(wc, bypass_other, run >> (wc->block_shift - SECTOR_SHIFT));
	}
	wc_trim_bio(bio, run ? run : wc->block_sectors);
	wc_stat_add(wc, writes, bio_sectors(bio) >> (wc->block_shift - SECTOR_SHIFT));
	if (run) {
		/* origin_dirty is set when the write has completed: end_io */
		pb->kind = WK_ORIGIN;
		wc_remap(bio, wc->origin, sector);
		return DM_MAPIO_REMAPPED;
	}

	while ((b = wc_alloc_block(wc)) == WC_NIL) {
		if (READ_ONCE(wc->error))
			return DM_MAPIO_KILL;
		if (!waited)
			wc_stat_inc(wc, blocked_full);
		waited = true;
		atomic_inc(&wc->free_waiters);
		wc_queue_commit(wc);
		wc_kick_writeback(wc);
		wait_event_timeout(wc->free_wait,
				   wc_free_blocks(wc) || READ_ONCE(wc->error),
				   HZ / 10);
		atomic_dec(&wc->free_waiters);
	}
	pb->kind = WK_WRITE;
	pb->block = b;
	pb->oblock = oblock;
	/*
	 * A cache device without a volatile write cache has the data durable
	 * when the write completes, before any commit writes its entry: no
	 * checksum is needed to validate the entry after a crash.
	 */
	pb->stable = wc->stable_ok && !bdev_write_cache(wc->cache->bdev);
	pb->csum = pb->stable ? 0 : wc_bio_csum(bio);
	pb->fua = !!(bio->bi_opf & REQ_FUA);
	if (pb->fua)
		wc_stat_inc(wc, fua);
	bio->bi_opf &= ~REQ_FUA;
	wc_remap(bio, wc->cache, wc_block_to_sector(wc, b));
	return DM_MAPIO_REMAPPED;
}

static int wcache_map(struct dm_target *ti, struct bio *bio)
{
	struct wcache *wc = ti->private;
	struct wc_bio *pb = dm_per_bio_data(bio, sizeof(struct wc_bio));
	sector_t sector;

	pb->kind = WK_PASS;
	if (unlikely(wc->read_only) && bio_op(bio) != REQ_OP_READ) {
		if (bio_sectors(bio))
			return DM_MAPIO_KILL;
		/* nothing is ever written, so there is nothing to flush */
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (bio->bi_opf & REQ_PREFLUSH)
		return wc_map_flush(wc, bio);

	sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return wc_map_read(wc, bio, pb, sector);
	case REQ_OP_WRITE:
		return wc_map_write(wc, bio, pb, sector);
	case REQ_OP_DISCARD:
		return wc_map_discard(wc, bio, sector);
	default:
		return DM_MAPIO_KILL;
	}
}

/* A write's data is on the cache device: make it the current version. */
static void wc_publish(struct wcache *wc, struct wc_bio *pb)
{
	struct wc_entry *e = &wc->entries[pb->block];
	spinlock_t *lock = wc_lock_for(wc, pb->oblock);
	unsigned int fl = 0;
	unsigned long flags;
	u32 cur;

	spin_lock_irqsave(lock, flags);
	cur = wc_find_current(wc, pb->oblock);
	if (cur != WC_NIL) {
		struct wc_entry *c = &wc->entries[cur];
		u64 m = c->meta;

		fl = wm_flags(m) & WF_HAS_OLD;
		if (!wm_seq(m)) {
			/* never committed: nobody can ever need it again */
			wc_retire_locked(wc, cur);
		} else {
			WRITE_ONCE(c->meta, wm_make(WS_OLD, wm_flags(m) & WF_STABLE,
						    wm_inflight(m),
						    wm_seq(m)));
			fl |= WF_HAS_OLD;
		}
	} else if (wc_has_old_seq(wc, pb->oblock, 0)) {
		/* discarded versions still on disk: free them once we are durable */
		fl |= WF_HAS_OLD;
	}
	if (pb->stable)
		fl |= WF_STABLE;
	e->oblock = pb->oblock;
	e->csum = pb->csum;
	wc_chain_insert(wc, pb->block);
	smp_store_release(&e->meta, wm_make(WS_CURRENT, fl, 0, 0));
	spin_unlock_irqrestore(lock, flags);
	if (cur != WC_NIL)
		wc_stat_inc(wc, write_hits);
	wc_mark_dirty(wc, pb->block);
}

/*
 * autocommit_blocks: count published writes.  A shared atomic per write
 * bounces one cache line between all CPUs; when the limit is large, count
 * per CPU and add to the shared count in batches (the commit then starts up
 * to WC_UNC_BATCH blocks per CPU early or late, well within the meaning
 * of a limit of thousands of blocks).
 */
static void wc_count_uncommitted(struct wcache *wc)
{
	unsigned int n = 1;

	if (wc->unc_batched) {
		if (this_cpu_inc_return(*wc->unc_pcpu) & (WC_UNC_BATCH - 1))
			return;
		n = WC_UNC_BATCH;
	}
	if (atomic_add_return(n, &wc->uncommitted) >= wc->a.autocommit_blocks)
		wc_queue_commit(wc);
}

void wc_end_fua_bio(struct bio *bio, int r)
{
	if (r)
		bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
}

static int wcache_end_io(struct dm_target *ti, struct bio *bio,
			 blk_status_t *error)
{
	struct wcache *wc = ti->private;
	struct wc_bio *pb = dm_per_bio_data(bio, sizeof(struct wc_bio));
	unsigned long flags;
	spinlock_t *lock;

	switch (pb->kind) {
	case WK_READ:
		lock = wc_lock_for(wc, pb->oblock);
		spin_lock_irqsave(lock, flags);
		WRITE_ONCE(wc->entries[pb->block].meta,
			   wc->entries[pb->block].meta - (1ULL << WM_INFL_SHIFT));
		spin_unlock_irqrestore(lock, flags);
		pb->kind = WK_PASS;
		/* the read fails; the data on the cache stays dirty */
		if (*error)
			wc_stat_inc(wc, cache_read_errors);
		return DM_ENDIO_DONE;
	case WK_WRITE:
		pb->kind = WK_PASS;
		if (*error) {
			wc_push_free(wc, pb->block);
			wc_set_error(wc, -EIO, "cache data write");
			return DM_ENDIO_DONE;
		}
		wc_publish(wc, pb);
		if (pb->fua) {
			spin_lock_irqsave(&wc->flush_lock, flags);
			bio_list_add(&wc->fua_bios, bio);
			spin_unlock_irqrestore(&wc->flush_lock, flags);
			wc_queue_commit(wc);
			return DM_ENDIO_INCOMPLETE;
		}
		wc_count_uncommitted(wc);
		return DM_ENDIO_DONE;
	case WK_ORIGIN:
		pb->kind = WK_PASS;
		/*
		 * Only now may a flush of the origin cover this write: a
		 * commit that took origin_dirty while the write was in flight
		 * flushed the origin too early, so set it again here.
		 */
		if (bio_op(bio) == REQ_OP_WRITE && !*error)
			WRITE_ONCE(wc->origin_dirty, true);
		/*
		 * An origin read (miss) or bypassed write error fails that
		 * bio only: the cache's state does not depend on it.
		 */
		if (*error && *error != BLK_STS_NOTSUPP && *error != BLK_STS_AGAIN)
			wc_stat_inc(wc, origin_errors);
		return DM_ENDIO_DONE;
	default:
		return DM_ENDIO_DONE;
	}
}

/* ---------------------------------------------------------------------- */
/* Suspend / resume */

static void wcache_postsuspend(struct dm_target *ti)
{
	struct wcache *wc = ti->private;
	int r;

	if (!wc->loaded || wc->read_only)
		return;
	if (wc->a.flush_on_suspend && !READ_ONCE(wc->error)) {
		r = wc_writeback_all(wc, false);
		if (r)
			DMERR("flush_on_suspend: writeback failed (%d)", r);
	}
	WRITE_ONCE(wc->suspended, true);
	timer_delete_sync(&wc->commit_timer);
	WRITE_ONCE(wc->wb_stop, true);
	/* a suspend ends a writeback message's drain */
	cancel_work_sync(&wc->wb_drain_work);
	WRITE_ONCE(wc->wb_drain, false);
	/* wb_work may arm wb_delayed (back-off) until it has stopped */
	cancel_work_sync(&wc->wb_work);
	cancel_delayed_work_sync(&wc->wb_delayed);
	flush_workqueue(wc->wq);
	if (!READ_ONCE(wc->error)) {
		r = wc_commit_sync(wc, true);
		if (r)
			DMERR("commit on suspend failed (%d)", r);
	}
}

static int wcache_preresume(struct dm_target *ti)
{
	struct wcache *wc = ti->private;
	struct wcache_disk_sb sb;
	const char *reason = NULL;
	int r;

	if (wc->loaded)
		return 0;

	r = wc_read_sb(wc, &sb);
	if (r) {
		DMERR("cannot read the cache superblock");
		return r;
	}
	r = wc_check_sb(wc, &sb, &reason);
	if (r == -ENODATA && wc->read_only) {
		DMERR("the cache is not formatted, and a read-only table does not format it");
		return -EROFS;
	} else if (r == -ENODATA) {
		r = wc_format(wc);
		if (r) {
			DMERR("format failed (%d)", r);
			return r;
		}
		r = wc_alloc_state(wc);
		if (r)
			goto fail;
		wc->commit_seq = 0;
		wc->durable_seq = 0;
		r = wc_load(wc);
		if (r)
			goto fail;
	} else if (r) {
		DMERR("%s", reason);
		return r;
	} else {
		wc_apply_sb(wc, &sb);
		r = wc_alloc_state(wc);
		if (r)
			goto fail;
		r = wc_load(wc);
		if (r)
			goto fail;
	}
	r = wc_wb_alloc(wc);
	if (r)
		goto fail;
	wc->loaded = true;
	return 0;
fail:
	/* the state stays allocated; the next preresume initializes it again */
	DMERR("cannot load the cache (%d)", r);
	return r;
}

/*
 * Entries with a data checksum need the data not to change while it is
 * written (mmap, buffered rewrites): ask for stable pages.
 */
static bool wc_needs_stable_pages(struct wcache *wc)
{
	return !(wc->stable_ok && !bdev_write_cache(wc->cache->bdev));
}

/* The timer and writeback start only once the table is live. */
static void wcache_resume(struct dm_target *ti)
{
	struct wcache *wc = ti->private;

	if (!wc->loaded || wc->read_only)
		return;
#ifndef BLK_FEAT_STABLE_WRITES
	/* 6.1: a queue flag, which dm resets at every table swap */
	if (wc_needs_stable_pages(wc))
		blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES,
				   dm_disk(dm_table_get_md(ti->table))->queue);
#endif
	WRITE_ONCE(wc->wb_stop, false);
	WRITE_ONCE(wc->suspended, false);
	mod_timer(&wc->commit_timer, jiffies + wc_timer_period(wc));
	wc_kick_writeback(wc);
}

/* ---------------------------------------------------------------------- */
/* Status and messages */

static void wcache_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct wcache *wc = ti->private;
	struct wc_stats st = { 0 };
	unsigned int sz = 0, nargs;
	u64 dirty = 0, old = 0, freeing = 0;
	int cpu;

	switch (type) {
	case STATUSTYPE_INFO:
		for_each_possible_cpu(cpu) {
			struct wc_stats *p = per_cpu_ptr(wc->stats, cpu);

			st.reads += p->reads;
			st.read_hits += p->read_hits;
			st.writes += p->writes;
			st.write_hits += p->write_hits;
			st.bypass_seq += p->bypass_seq;
			st.bypass_other += p->bypass_other;
			st.blocked_full += p->blocked_full;
			st.flushes += p->flushes;
			st.fua += p->fua;
			st.discards += p->discards;
			st.origin_errors += p->origin_errors;
			st.cache_read_errors += p->cache_read_errors;
		}
		if (wc->loaded)
			wc_count_states(wc, &dirty, &old, &freeing);
		DMEMIT("%d %llu %llu %u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		       READ_ONCE(wc->error),
		       wc->loaded ? wc->n_blocks : 0ULL,
		       wc->loaded ? wc_free_blocks(wc) : 0ULL,
		       atomic_read(&wc->wb_blocks_inflight),
		       dirty, st.reads, st.read_hits, st.writes,
		       st.write_hits, st.bypass_seq, st.bypass_other,
		       st.blocked_full, st.flushes, st.fua, st.discards,
		       READ_ONCE(wc->wb_ios), READ_ONCE(wc->wb_blocks),
		       READ_ONCE(wc->commits), READ_ONCE(wc->flushes_issued));
		/* newer fields are appended: older parsers keep working */
		DMEMIT(" %u %llu %llu %llu",
		       READ_ONCE(wc->wb_drain) ? 1U : 0U,
		       st.origin_errors + READ_ONCE(wc->origin_flush_errors),
		       st.cache_read_errors, READ_ONCE(wc->wb_errors));
		break;
	case STATUSTYPE_TABLE:
		nargs = hweight32(wc->a.given & ~WA_SEQ) * 2 +
			(wc->a.seq_cutoff ? 2 : 0) +
			(wc->a.have_uuid ? 2 : 0) +
			wc->a.cleaner + wc->a.metadata_only +
			wc->a.flush_on_suspend;
		DMEMIT("s %s %s %u %u", wc->origin->name, wc->cache->name,
		       wc->a.block_size, nargs);
		if (wc->a.given & WA_HIGH)
			DMEMIT(" high_watermark %u", wc->a.high_wm);
		if (wc->a.given & WA_LOW)
			DMEMIT(" low_watermark %u", wc->a.low_wm);
		if (wc->a.given & WA_JOBS)
			DMEMIT(" writeback_jobs %u", wc->a.writeback_jobs);
		if (wc->a.given & WA_ACBLOCKS)
			DMEMIT(" autocommit_blocks %u", wc->a.autocommit_blocks);
		if (wc->a.given & WA_ACTIME)
			DMEMIT(" autocommit_time %u", wc->a.autocommit_ms);
		if (wc->a.given & WA_MAXAGE)
			DMEMIT(" max_age %u", wc->a.max_age_ms);
		if (wc->a.given & WA_PAUSE)
			DMEMIT(" pause_writeback %u", wc->a.pause_ms);
		if (wc->a.seq_cutoff)
			DMEMIT(" sequential_cutoff %llu", wc->a.seq_cutoff);
		if (wc->a.have_uuid)
			DMEMIT(" origin_uuid %16phN", wc->a.origin_uuid);
		if (wc->a.cleaner)
			DMEMIT(" cleaner");
		if (wc->a.metadata_only)
			DMEMIT(" metadata_only");
		if (wc->a.flush_on_suspend)
			DMEMIT(" flush_on_suspend");
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int wcache_message(struct dm_target *ti, unsigned int argc,
			  char **argv, char *result, unsigned int maxlen)
{
	struct wcache *wc = ti->private;
	int r = 0, cpu;

	if (argc != 1) {
		DMERR("message takes exactly one word");
		return -EINVAL;
	}
	if (wc->read_only && strcasecmp(argv[0], "clear_stats")) {
		DMERR("read-only table: message %s refused", argv[0]);
		return -EROFS;
	}
	mutex_lock(&wc->msg_lock);
	if (!strcasecmp(argv[0], "flush")) {
		if (!wc->loaded || READ_ONCE(wc->suspended))
			r = -EBUSY;
		else
			r = READ_ONCE(wc->error) ? -EIO : wc_commit_sync(wc, false);
	} else if (!strcasecmp(argv[0], "writeback")) {
		/*
		 * Drain in the background: the message must not hold dm's
		 * SRCU (and so any suspend) for the whole drain.  Status
		 * field 20 shows it running.
		 */
		if (!wc->loaded || READ_ONCE(wc->suspended)) {
			r = -EBUSY;
		} else if (!READ_ONCE(wc->wb_drain)) {
			WRITE_ONCE(wc->wb_drain, true);
			queue_work(wc->wq, &wc->wb_drain_work);
		}
	} else if (!strcasecmp(argv[0], "flush_on_suspend")) {
		wc->a.flush_on_suspend = true;
	} else if (!strcasecmp(argv[0], "cleaner")) {
		WRITE_ONCE(wc->a.cleaner, true);
		wc_kick_writeback(wc);
	} else if (!strcasecmp(argv[0], "clear_stats")) {
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(wc->stats, cpu), 0,
			       sizeof(struct wc_stats));
		WRITE_ONCE(wc->wb_ios, 0);
		WRITE_ONCE(wc->wb_blocks, 0);
	} else {
		DMERR("unknown message: %s", argv[0]);
		r = -EINVAL;
	}
	mutex_unlock(&wc->msg_lock);
	return r;
}

static int wcache_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct wcache *wc = ti->private;
	int r;

	r = fn(ti, wc->origin, 0, ti->len, data);
	if (!r)
		r = fn(ti, wc->cache, 0, bdev_nr_sectors(wc->cache->bdev), data);
	return r;
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
	limits->discard_granularity = max_t(unsigned int,
					    limits->discard_granularity,
					    wc->a.block_size);
#ifdef BLK_FEAT_STABLE_WRITES
	if (wc_needs_stable_pages(wc))
		limits->features |= BLK_FEAT_STABLE_WRITES;
#endif
	if (!limits->max_discard_sectors) {
		limits->max_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
		limits->max_hw_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
	}
}

static struct target_type wcache_target = {
	.name = "wcache",
	.version = {WCACHE_VERSION_MAJOR, WCACHE_VERSION_MINOR, WCACHE_VERSION_PATCH},
	.module = THIS_MODULE,
	.ctr = wcache_ctr,
	.dtr = wcache_dtr,
	.map = wcache_map,
	.end_io = wcache_end_io,
	.postsuspend = wcache_postsuspend,
	.preresume = wcache_preresume,
	.resume = wcache_resume,
	.status = wcache_status,
	.message = wcache_message,
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
MODULE_VERSION(WCACHE_VERSION);
