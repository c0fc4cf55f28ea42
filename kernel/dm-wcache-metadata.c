// SPDX-License-Identifier: GPL-2.0
/*
 * dm-wcache: on-disk format, load, and the commit protocol.
 *
 * The in-memory entry array is the source of truth.  Metadata sectors are
 * generated from it at commit time, so no copy of the metadata area is kept
 * in RAM.  A commit writes every metadata sector marked dirty (plus, riding
 * along, the superblock recording the previous commit as durable) and then
 * issues exactly one flush to the cache device.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/crc32c.h>
#include <linux/xxhash.h>
#include <linux/hash.h>
#include <linux/random.h>
#include <linux/timekeeping.h>
#include <linux/log2.h>

#include "dm-wcache.h"

#define DM_MSG_PREFIX "wcache"

static_assert(sizeof(struct wcache_disk_sb) == WCACHE_SECTOR_SIZE);
static_assert(sizeof(struct wcache_disk_entry) == WCACHE_ENTRY_SIZE);
static_assert(sizeof(struct wcache_disk_md_sector) == WCACHE_SECTOR_SIZE);

static u32 wc_crc(const void *p, size_t len)
{
	return ~crc32c(~0U, p, len);
}

/*
 * Data blocks are checked with the low 32 bits of xxh64 (seed 0): a torn or
 * missing data write must not be accepted on load.  xxh64 rather than
 * crc32c because it runs on every cached write.
 */
u32 wc_data_csum(struct wcache *wc, const void *data)
{
	return (u32)xxh64(data, wc->a.block_size, 0);
}

static u32 wc_sector_csum(void *sector)
{
	__le32 *c = sector;
	__le32 saved = *c;
	u32 r;

	*c = 0;
	r = wc_crc(sector, WCACHE_SECTOR_SIZE);
	*c = saved;
	return r;
}

void wc_set_error(struct wcache *wc, int err, const char *what)
{
	if (!cmpxchg(&wc->error, 0, err))
		DMERR("%s: %s failed (error %d); cache is now in error state",
		      dm_table_device_name(wc->ti->table), what, err);
	wake_up_all(&wc->free_wait);
}

/* ---------------------------------------------------------------------- */
/* Synchronous and batched I/O helpers */

struct wc_batch {
	atomic_t pending;
	struct completion done;
	int error;
};

static void wc_batch_init(struct wc_batch *b)
{
	atomic_set(&b->pending, 1);
	init_completion(&b->done);
	b->error = 0;
}

static void wc_batch_cb(unsigned long error, void *context)
{
	struct wc_batch *b = context;

	if (error)
		b->error = -EIO;
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

static int wc_batch_wait(struct wc_batch *b)
{
	if (!atomic_dec_and_test(&b->pending))
		wait_for_completion_io(&b->done);
	return b->error;
}

static void wc_io_async(struct wcache *wc, struct wc_batch *b,
			struct block_device *bdev, blk_opf_t opf,
			void *vbuf, sector_t sector, sector_t count)
{
	struct dm_io_region region = {
		.bdev = bdev, .sector = sector, .count = count,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = vbuf,
		.notify.fn = wc_batch_cb,
		.notify.context = b,
		.client = wc->io,
	};

	atomic_inc(&b->pending);
	if (dm_io(&req, 1, &region, NULL, IOPRIO_DEFAULT))
		wc_batch_cb(1, b);
}

static int wc_io_sync(struct wcache *wc, struct block_device *bdev,
		      blk_opf_t opf, void *kbuf, sector_t sector,
		      sector_t count)
{
	struct dm_io_region region = {
		.bdev = bdev, .sector = sector, .count = count,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = is_vmalloc_addr(kbuf) ? DM_IO_VMA : DM_IO_KMEM,
		.client = wc->io,
	};

	if (req.mem.type == DM_IO_VMA)
		req.mem.ptr.vma = kbuf;
	else
		req.mem.ptr.addr = kbuf;
	return dm_io(&req, 1, &region, NULL, IOPRIO_DEFAULT);
}

/* ---------------------------------------------------------------------- */
/* Superblock */

int wc_read_sb(struct wcache *wc, struct wcache_disk_sb *sb)
{
	int r = wc_io_sync(wc, wc->cache->bdev, REQ_OP_READ, wc->sb_buf,
			   WCACHE_SB_SECTOR, wc->io_sectors);

	if (!r)
		memcpy(sb, wc->sb_buf, sizeof(*sb));
	return r;
}

static bool wc_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static void wc_geometry(struct wcache *wc, u64 cache_sectors, u64 *n_out,
			u64 *md_out, u64 *data_out)
{
	u64 bs = wc->block_sectors, align = max_t(u64, bs, 8);
	u64 usable, n, md, data;

	*n_out = 0;
	if (cache_sectors <= WCACHE_MD_OFFSET + 2 * align)
		return;
	usable = cache_sectors - WCACHE_MD_OFFSET - align;
	n = div64_u64(usable * WCACHE_ENTRIES_PER_SECTOR,
		      bs * WCACHE_ENTRIES_PER_SECTOR + 1);
	/*
	 * Blocks are indexed with 32 bits.  New caches past that are refused
	 * (wc_format()); caches formatted when it silently capped still load.
	 */
	if (n > WC_NIL - 1)
		n = WC_NIL - 1;
	for (;;) {
		md = DIV_ROUND_UP_ULL(n, WCACHE_ENTRIES_PER_SECTOR);
		data = round_up(WCACHE_MD_OFFSET + md, align);
		if (!n || data + n * bs <= cache_sectors)
			break;
		n--;
	}
	*n_out = n;
	*md_out = md;
	*data_out = data;
}

/*
 * Can a blank cache device be formatted for this table?  (The constructor
 * asks, to refuse with a clear message; wc_format() checks again.)
 */
int wc_check_new_geometry(struct wcache *wc, const char **reason)
{
	u64 cache_sectors = bdev_nr_sectors(wc->cache->bdev);
	u64 n, md, data;

	wc_geometry(wc, cache_sectors, &n, &md, &data);
	if (n < 16) {
		*reason = "Cache device too small";
		return -ENOSPC;
	}
	if (n == WC_NIL - 1 && data + (n + 1) * wc->block_sectors <= cache_sectors) {
		*reason = "Cache device too large for its block size (at most 2^32-2 blocks); use a larger block size";
		return -EFBIG;
	}
	return 0;
}

/*
 * Validate a superblock against the table.  Returns 0 if it describes a
 * cache this table may use, -ENODATA if the superblock sector is blank
 * (cache to be formatted), or -EINVAL with *reason set.
 */
int wc_check_sb(struct wcache *wc, const struct wcache_disk_sb *sb,
		const char **reason)
{
	u64 cache_sectors = bdev_nr_sectors(wc->cache->bdev);
	u64 n, md, data;

	if (wc_is_zero(sb, sizeof(*sb)))
		return -ENODATA;
	if (le32_to_cpu(sb->magic) != WCACHE_SB_MAGIC) {
		*reason = "Cache device has no wcache superblock (bad magic); zero its first 4 KiB to format it";
		return -EINVAL;
	}
	if (wc_sector_csum((void *)sb) != le32_to_cpu(sb->csum)) {
		*reason = "Superblock checksum mismatch (corrupt metadata)";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != WCACHE_FORMAT_VERSION) {
		*reason = "Unsupported on-disk format version";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->features_incompat) & ~WCACHE_FEATURE_INCOMPAT_SUPP) {
		*reason = "Unsupported incompatible features in superblock";
		return -EINVAL;
	}
	if ((le64_to_cpu(sb->features_ro_compat) & ~WCACHE_FEATURE_RO_COMPAT_SUPP) &&
	    (dm_table_get_mode(wc->ti->table) & FMODE_WRITE)) {
		*reason = "Unsupported read-only-compatible features in superblock";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->block_size) != wc->a.block_size) {
		*reason = "Block size in the table differs from the cache's block size";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->entries_per_sector) != WCACHE_ENTRIES_PER_SECTOR) {
		*reason = "Corrupt superblock (entries per sector)";
		return -EINVAL;
	}
	if (memcmp(sb->origin_uuid, wc->a.origin_uuid, 16)) {
		*reason = "Cache belongs to a different origin (origin_uuid mismatch)";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->origin_sectors) != wc->ti->len) {
		*reason = "Cache was formatted for an origin of a different size";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->cache_sectors) > cache_sectors) {
		*reason = "Cache device is smaller than when it was formatted";
		return -EINVAL;
	}
	wc_geometry(wc, le64_to_cpu(sb->cache_sectors), &n, &md, &data);
	if (!n || le64_to_cpu(sb->n_blocks) != n ||
	    le64_to_cpu(sb->md_offset) != WCACHE_MD_OFFSET ||
	    le64_to_cpu(sb->md_sectors) != md ||
	    le64_to_cpu(sb->data_offset) != data) {
		*reason = "Corrupt superblock (geometry)";
		return -EINVAL;
	}
	/* whole logical blocks of the cache device, see wc_do_commit() */
	if ((WCACHE_MD_OFFSET | data) & (wc->io_sectors - 1)) {
		*reason = "Cache layout is not aligned to the cache device's logical block size";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->durable_seq) >= WCACHE_SEQ_LIMIT) {
		*reason = "Corrupt superblock (sequence number)";
		return -EINVAL;
	}
	return 0;
}

void wc_apply_sb(struct wcache *wc, const struct wcache_disk_sb *sb)
{
	wc->n_blocks = le64_to_cpu(sb->n_blocks);
	wc->md_offset = le64_to_cpu(sb->md_offset);
	wc->md_sectors = le64_to_cpu(sb->md_sectors);
	wc->data_offset = le64_to_cpu(sb->data_offset);
	wc->format_nonce = le64_to_cpu(sb->format_nonce);
	wc->stable_ok = !!(le64_to_cpu(sb->features_incompat) &
			   WCACHE_FEATURE_INCOMPAT_STABLE);
	wc->sb_seq = le64_to_cpu(sb->sb_seq);
	wc->sb_durable_seq = le64_to_cpu(sb->durable_seq);
	wc->sb = *sb;
}

static void wc_fill_sb(struct wcache *wc, void *buf, u64 durable)
{
	struct wcache_disk_sb *sb = buf;

	*sb = wc->sb;
	sb->durable_seq = cpu_to_le64(durable);
	sb->sb_seq = cpu_to_le64(++wc->sb_seq);
	sb->csum = 0;
	sb->csum = cpu_to_le32(wc_sector_csum(sb));
	wc->sb = *sb;
}

/* ---------------------------------------------------------------------- */
/* Metadata sectors */

static bool wc_md_sector_ok(struct wcache *wc, struct wcache_disk_md_sector *s,
			    u64 index, u64 *max_seq, const char **reason)
{
	unsigned int i;

	if (le32_to_cpu(s->hdr.magic) != WCACHE_MD_MAGIC ||
	    wc_sector_csum(s) != le32_to_cpu(s->hdr.csum)) {
		*reason = "Metadata sector checksum mismatch (corrupt metadata)";
		return false;
	}
	if (le64_to_cpu(s->hdr.format_nonce) != wc->format_nonce ||
	    le64_to_cpu(s->hdr.index) != index) {
		*reason = "Metadata sector belongs to another format or position";
		return false;
	}
	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		struct wcache_disk_entry *de = &s->entries[i];
		u64 b = index * WCACHE_ENTRIES_PER_SECTOR + i;
		u32 fl = le32_to_cpu(de->flags);

		if (!fl)
			continue;
		if (fl != (WCACHE_ENTRY_VALID | (fl & WCACHE_ENTRY_STABLE)) ||
		    ((fl & WCACHE_ENTRY_STABLE) &&
		     (!wc->stable_ok || de->data_csum)) ||
		    b >= wc->n_blocks ||
		    le64_to_cpu(de->oblock) >= wc->origin_blocks ||
		    !le64_to_cpu(de->seq) ||
		    le64_to_cpu(de->seq) >= WCACHE_SEQ_LIMIT) {
			*reason = "Corrupt metadata entry";
			return false;
		}
		*max_seq = max(*max_seq, le64_to_cpu(de->seq));
	}
	return true;
}

/*
 * Read the whole metadata area and call fn for each sector.  Used both by
 * the constructor (validation only) and by the loader.
 */
static int wc_scan_md(struct wcache *wc, const char **reason,
		      int (*fn)(struct wcache *wc, u64 index,
				struct wcache_disk_md_sector *s, void *arg),
		      void *arg)
{
	u64 s = 0, max_seq = 0;

	while (s < wc->md_sectors) {
		u64 n = min_t(u64, WC_COMMIT_BUF_SECTORS, wc->md_sectors - s);
		u64 i;
		int r;

		/* the tail up to a logical block is padding before the data */
		r = wc_io_sync(wc, wc->cache->bdev, REQ_OP_READ, wc->cbuf,
			       wc->md_offset + s, round_up(n, wc->io_sectors));
		if (r) {
			*reason = "Cannot read the metadata area";
			return r;
		}
		for (i = 0; i < n; i++) {
			struct wcache_disk_md_sector *ms =
				wc->cbuf + i * WCACHE_SECTOR_SIZE;

			if (!wc_md_sector_ok(wc, ms, s + i, &max_seq, reason))
				return -EINVAL;
			if (fn) {
				r = fn(wc, s + i, ms, arg);
				if (r)
					return r;
			}
		}
		s += n;
		cond_resched();
	}
	return 0;
}

int wc_check_metadata(struct wcache *wc, const char **reason)
{
	return wc_scan_md(wc, reason, NULL, NULL);
}

/* ---------------------------------------------------------------------- */
/* In-memory state: entries, hash chains, free lists */

spinlock_t *wc_lock_for(struct wcache *wc, u64 oblock)
{
	return &wc->locks[hash_64(oblock, wc->hash_bits) & (WC_NR_LOCKS - 1)];
}

static u32 *wc_bucket(struct wcache *wc, u64 oblock)
{
	return &wc->buckets[hash_64(oblock, wc->hash_bits)];
}

u32 wc_find_current(struct wcache *wc, u64 oblock)
{
	u32 b = *wc_bucket(wc, oblock);

	while (b != WC_NIL) {
		struct wc_entry *e = &wc->entries[b];

		if (e->oblock == oblock && wm_state(e->meta) == WS_CURRENT)
			return b;
		b = e->next;
	}
	return WC_NIL;
}

void wc_chain_insert(struct wcache *wc, u32 b)
{
	u32 *head = wc_bucket(wc, wc->entries[b].oblock);

	wc->entries[b].next = *head;
	*head = b;
}

void wc_chain_remove(struct wcache *wc, u32 b)
{
	u32 *p = wc_bucket(wc, wc->entries[b].oblock);

	while (*p != WC_NIL) {
		if (*p == b) {
			*p = wc->entries[b].next;
			wc->entries[b].next = WC_NIL;
			return;
		}
		p = &wc->entries[*p].next;
	}
}

/*
 * The entry @b was changed: the next commit must write its metadata sector.
 * The bitmap is shared by every CPU, and most writes find their sector's
 * bit already set: test it first instead of a locked write to a shared
 * cache line.  The full barrier orders the entry change (made before this
 * call) before the test; it pairs with test_and_clear_bit() in
 * wc_do_commit(), which comes before the commit reads the entries (some
 * without the bucket lock, see wc_gen_sector()): either the commit sees the
 * change, or this sees the bit cleared and sets it for the next commit.
 */
void wc_mark_dirty(struct wcache *wc, u32 b)
{
	unsigned long s = b / WCACHE_ENTRIES_PER_SECTOR;

	smp_mb();
	if (!test_bit(s, wc->dirty_bits))
		set_bit(s, wc->dirty_bits);
}

void wc_push_free(struct wcache *wc, u32 b)
{
	struct wc_shard *sh = &wc->shards[div64_u64(b, wc->blocks_per_shard)];
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	WRITE_ONCE(wc->entries[b].meta, wm_make(WS_FREE, 0, 0, 0));
	wc->entries[b].next = sh->head;
	sh->head = b;
	sh->count++;
	spin_unlock_irqrestore(&sh->lock, flags);
	if (atomic_read(&wc->free_waiters))
		wake_up(&wc->free_wait);
}

u32 wc_alloc_block(struct wcache *wc)
{
	unsigned int start = raw_smp_processor_id() % wc->nr_shards, i;

	for (i = 0; i < wc->nr_shards; i++) {
		struct wc_shard *sh = &wc->shards[(start + i) % wc->nr_shards];
		unsigned long flags;
		u32 b = WC_NIL;

		if (!READ_ONCE(sh->count))
			continue;
		spin_lock_irqsave(&sh->lock, flags);
		if (sh->head != WC_NIL) {
			b = sh->head;
			sh->head = wc->entries[b].next;
			sh->count--;
			wc->entries[b].next = WC_NIL;
			WRITE_ONCE(wc->entries[b].meta,
				   wm_make(WS_WRITING, 0, 0, 0));
		}
		spin_unlock_irqrestore(&sh->lock, flags);
		if (b != WC_NIL)
			return b;
	}
	return WC_NIL;
}

u64 wc_free_blocks(struct wcache *wc)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < wc->nr_shards; i++)
		n += READ_ONCE(wc->shards[i].count);
	return n;
}

void wc_count_states(struct wcache *wc, u64 *dirty, u64 *old, u64 *freeing)
{
	u64 b;

	*dirty = *old = *freeing = 0;
	if (!wc->entries)
		return;
	for (b = 0; b < wc->n_blocks; b++) {
		switch (wm_state(READ_ONCE(wc->entries[b].meta))) {
		case WS_CURRENT:
			(*dirty)++;
			break;
		case WS_OLD:
			(*old)++;
			break;
		case WS_FREEING:
			(*freeing)++;
			break;
		}
		if (!(b & 0xffff))
			cond_resched();
	}
}

/*
 * Retire a CURRENT or OLD entry (bucket lock held): take it off the chain
 * and either free it at once (its slot was never written, nobody reads it)
 * or let the next commit write its free slot.
 */
void wc_retire_locked(struct wcache *wc, u32 b)
{
	struct wc_entry *e = &wc->entries[b];
	u64 m = e->meta;

	if (!wm_seq(m) && !wm_inflight(m)) {
		wc_chain_remove(wc, b);
		wc_push_free(wc, b);
		return;
	}
	/*
	 * A FREEING entry stays on the chain until its free slot is durable:
	 * its version is still valid on disk, and a write to the block must
	 * not bypass the cache until then (see wc_has_version()).
	 */
	WRITE_ONCE(e->meta, wm_make(WS_FREEING, 0, wm_inflight(m), 0));
	wc_mark_dirty(wc, b);
}

/*
 * Does oblock have any version a crash could bring back (CURRENT, OLD, or
 * FREEING whose free slot is not durable yet)?  Bucket lock held.
 */
bool wc_has_version(struct wcache *wc, u64 oblock)
{
	u32 b = *wc_bucket(wc, oblock);

	while (b != WC_NIL) {
		if (wc->entries[b].oblock == oblock)
			return true;
		b = wc->entries[b].next;
	}
	return false;
}

/* Free every OLD version of oblock (bucket lock held). */
void wc_free_olds_locked(struct wcache *wc, u64 oblock)
{
	u32 b = *wc_bucket(wc, oblock);

	while (b != WC_NIL) {
		struct wc_entry *e = &wc->entries[b];
		u32 next = e->next;

		if (e->oblock == oblock && wm_state(e->meta) == WS_OLD)
			wc_retire_locked(wc, b);
		b = next;
	}
}

bool wc_has_old_seq(struct wcache *wc, u64 oblock, u64 seq)
{
	u32 b = *wc_bucket(wc, oblock);

	while (b != WC_NIL) {
		struct wc_entry *e = &wc->entries[b];

		if (e->oblock == oblock && wm_state(e->meta) == WS_OLD &&
		    wm_seq(e->meta) >= seq)
			return true;
		b = e->next;
	}
	return false;
}

int wc_alloc_state(struct wcache *wc)
{
	u64 nb = max_t(u64, rounddown_pow_of_two(wc->n_blocks), 2);
	u64 b;
	unsigned int i;

	wc->hash_bits = ilog2(nb);
	/*
	 * vmalloc, not kvmalloc: a large kmalloc rounds up to a power-of-two
	 * number of pages (up to a third more than the 24 bytes per block),
	 * vmalloc only to the next page.
	 */
	wc->entries = vcalloc(wc->n_blocks, sizeof(struct wc_entry));
	wc->buckets = vmalloc_array(nb, sizeof(u32));
	/* one bit per metadata sector: beyond kmalloc's reach on large caches */
	wc->dirty_bits = kvcalloc(BITS_TO_LONGS(wc->md_sectors),
				  sizeof(unsigned long), GFP_KERNEL);
	wc->written_bits = kvcalloc(BITS_TO_LONGS(wc->md_sectors),
				    sizeof(unsigned long), GFP_KERNEL);
	if (!wc->entries || !wc->buckets || !wc->dirty_bits || !wc->written_bits)
		return -ENOMEM;
	for (b = 0; b < nb; b++) {
		wc->buckets[b] = WC_NIL;
		if (!(b & 0xffff))
			cond_resched();
	}
	wc->nr_shards = clamp_t(unsigned int, num_possible_cpus(), 1,
				WC_MAX_SHARDS);
	wc->nr_shards = min_t(u64, wc->nr_shards, wc->n_blocks);
	wc->blocks_per_shard = DIV_ROUND_UP_ULL(wc->n_blocks, wc->nr_shards);
	for (i = 0; i < WC_MAX_SHARDS; i++) {
		spin_lock_init(&wc->shards[i].lock);
		wc->shards[i].head = WC_NIL;
		wc->shards[i].count = 0;
	}
	for (b = 0; b < wc->n_blocks; b++) {
		wc->entries[b].next = WC_NIL;
		wc->entries[b].meta = wm_make(WS_FREE, 0, 0, 0);
		if (!(b & 0xffff))
			cond_resched();
	}
	return 0;
}

void wc_free_state(struct wcache *wc)
{
	kvfree(wc->entries);
	kvfree(wc->buckets);
	kvfree(wc->dirty_bits);
	kvfree(wc->written_bits);
	wc->entries = NULL;
	wc->buckets = NULL;
	wc->dirty_bits = NULL;
	wc->written_bits = NULL;
}

/* Put every FREE entry on its home shard's free list, lowest index first. */
static void wc_build_free_lists(struct wcache *wc)
{
	u64 b = wc->n_blocks;

	while (b--) {
		if (wm_state(wc->entries[b].meta) == WS_FREE)
			wc_push_free(wc, b);
		if (!(b & 0xffff))
			cond_resched();
	}
}

/* ---------------------------------------------------------------------- */
/* Format */

int wc_format(struct wcache *wc)
{
	u64 cache_sectors = bdev_nr_sectors(wc->cache->bdev);
	struct wcache_disk_sb *sb = &wc->sb;
	const char *reason;
	u64 n, md, data, s;
	int r;

	r = wc_check_new_geometry(wc, &reason);
	if (r) {
		DMERR("%s", reason);
		return r;
	}
	wc_geometry(wc, cache_sectors, &n, &md, &data);
	memset(sb, 0, sizeof(*sb));
	sb->magic = cpu_to_le32(WCACHE_SB_MAGIC);
	sb->version = cpu_to_le32(WCACHE_FORMAT_VERSION);
	sb->block_size = cpu_to_le32(wc->a.block_size);
	sb->entries_per_sector = cpu_to_le32(WCACHE_ENTRIES_PER_SECTOR);
	sb->n_blocks = cpu_to_le64(n);
	sb->md_offset = cpu_to_le64(WCACHE_MD_OFFSET);
	sb->md_sectors = cpu_to_le64(md);
	sb->data_offset = cpu_to_le64(data);
	sb->cache_sectors = cpu_to_le64(cache_sectors);
	sb->origin_sectors = cpu_to_le64(wc->ti->len);
	memcpy(sb->origin_uuid, wc->a.origin_uuid, 16);
	sb->format_nonce = cpu_to_le64(get_random_u64());
	sb->features_incompat = cpu_to_le64(WCACHE_FEATURE_INCOMPAT_STABLE);
	sb->format_time = cpu_to_le64(ktime_get_real_seconds());
	wc->sb_seq = 0;
	wc_apply_sb(wc, sb);

	/* Every metadata sector empty, with header and checksum. */
	for (s = 0; s < md; ) {
		u64 cnt = min_t(u64, WC_COMMIT_BUF_SECTORS, md - s), i;
		u64 io_cnt = round_up(cnt, wc->io_sectors);

		memset(wc->cbuf, 0, io_cnt * WCACHE_SECTOR_SIZE);
		for (i = 0; i < cnt; i++) {
			struct wcache_disk_md_sector *ms =
				wc->cbuf + i * WCACHE_SECTOR_SIZE;

			ms->hdr.magic = cpu_to_le32(WCACHE_MD_MAGIC);
			ms->hdr.format_nonce = cpu_to_le64(wc->format_nonce);
			ms->hdr.index = cpu_to_le64(s + i);
			ms->hdr.csum = cpu_to_le32(wc_sector_csum(ms));
		}
		r = wc_io_sync(wc, wc->cache->bdev, REQ_OP_WRITE, wc->cbuf,
			       WCACHE_MD_OFFSET + s, io_cnt);
		if (r)
			return r;
		s += cnt;
		cond_resched();
	}
	r = blkdev_issue_flush(wc->cache->bdev);
	if (r)
		return r;
	/* The superblock last: a torn format leaves a blank superblock. */
	memset(wc->sb_buf, 0, PAGE_SIZE);
	wc_fill_sb(wc, wc->sb_buf, 0);
	r = wc_io_sync(wc, wc->cache->bdev, REQ_OP_WRITE | REQ_FUA, wc->sb_buf,
		       WCACHE_SB_SECTOR, wc->io_sectors);
	if (r)
		return r;
	r = blkdev_issue_flush(wc->cache->bdev);
	if (r)
		return r;
	wc->sb_durable_seq = 0;
	DMINFO("%s: formatted cache: %llu blocks of %u bytes",
	       dm_table_device_name(wc->ti->table), n, wc->a.block_size);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Load */

struct wc_load_ctx {
	u64 max_seq;
	u64 to_verify;
};

static int wc_load_sector(struct wcache *wc, u64 index,
			  struct wcache_disk_md_sector *s, void *arg)
{
	struct wc_load_ctx *lc = arg;
	unsigned int i;

	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		struct wcache_disk_entry *de = &s->entries[i];
		u64 b = index * WCACHE_ENTRIES_PER_SECTOR + i;
		struct wc_entry *e;
		unsigned int fl;
		u64 seq;

		if (!le32_to_cpu(de->flags))
			continue;
		e = &wc->entries[b];
		seq = le64_to_cpu(de->seq);
		e->oblock = le64_to_cpu(de->oblock);
		e->csum = le32_to_cpu(de->data_csum);
		fl = le32_to_cpu(de->flags) & WCACHE_ENTRY_STABLE ? WF_STABLE : 0;
		/* WS_OLD marks "valid on disk, not yet resolved" here */
		e->meta = wm_make(WS_OLD, fl, 0, seq);
		lc->max_seq = max(lc->max_seq, seq);
		if (seq > wc->sb_durable_seq && !fl)
			lc->to_verify++;
	}
	return 0;
}

/*
 * Entries newer than the superblock's durable_seq may belong to a commit
 * whose flush never completed: accept them only if the data matches.
 */
static int wc_verify_recent(struct wcache *wc, u64 *dropped)
{
	u64 b;
	int r;

	for (b = 0; b < wc->n_blocks; b++) {
		struct wc_entry *e = &wc->entries[b];

		if (!(b & 0xffff))
			cond_resched();
		if (wm_state(e->meta) != WS_OLD ||
		    wm_seq(e->meta) <= wc->sb_durable_seq ||
		    (wm_flags(e->meta) & WF_STABLE))
			continue;
		r = wc_io_sync(wc, wc->cache->bdev, REQ_OP_READ, wc->cbuf,
			       wc_block_to_sector(wc, b), wc->block_sectors);
		if (r)
			return r;
		if (wc_data_csum(wc, wc->cbuf) != e->csum) {
			e->meta = wm_make(WS_FREE, 0, 0, 0);
			wc_mark_dirty(wc, b);
			(*dropped)++;
		}
		cond_resched();
	}
	return 0;
}

int wc_load(struct wcache *wc)
{
	struct wc_load_ctx lc = { 0, 0 };
	const char *reason = NULL;
	u64 b, dropped = 0, superseded = 0, cached = 0;
	int r;

	r = wc_scan_md(wc, &reason, wc_load_sector, &lc);
	if (r) {
		DMERR("%s: %s", dm_table_device_name(wc->ti->table),
		      reason ? reason : "metadata load failed");
		return r;
	}
	r = wc_verify_recent(wc, &dropped);
	if (r) {
		DMERR("cannot read cache data blocks during load");
		return r;
	}
	/* Resolve versions: for each origin block the highest seq wins. */
	for (b = 0; b < wc->n_blocks; b++) {
		struct wc_entry *e = &wc->entries[b];
		u32 cur;

		if (wm_state(e->meta) != WS_OLD)
			continue;
		cur = wc_find_current(wc, e->oblock);
		if (cur != WC_NIL) {
			struct wc_entry *c = &wc->entries[cur];

			if (wm_seq(c->meta) == wm_seq(e->meta))
				DMWARN("two entries for block %llu in one commit",
				       e->oblock);
			if (wm_seq(c->meta) >= wm_seq(e->meta)) {
				e->meta = wm_make(WS_FREE, 0, 0, 0);
				wc_mark_dirty(wc, b);
				superseded++;
				continue;
			}
			wc_chain_remove(wc, cur);
			c->meta = wm_make(WS_FREE, 0, 0, 0);
			wc_mark_dirty(wc, cur);
			superseded++;
			cached--;
		}
		e->meta = wm_make(WS_CURRENT, wm_flags(e->meta) & WF_STABLE, 0,
				  wm_seq(e->meta));
		wc_chain_insert(wc, b);
		cached++;
		if (!(b & 0xffff))
			cond_resched();
	}
	wc_build_free_lists(wc);
	/*
	 * New commits are numbered above everything seen on disk; durable_seq
	 * stays at the superblock's value until the fix-up commit below has
	 * made the free slots of dropped entries durable.
	 */
	wc->commit_seq = max(lc.max_seq, wc->sb_durable_seq);
	wc->durable_seq = wc->sb_durable_seq;
	/*
	 * Write the free slots of dropped entries and record everything
	 * loaded as durable before any new I/O.
	 */
	/* a read-only table writes nothing: dropped entries stay on disk */
	r = wc->read_only ? 0 : wc_commit_sync(wc, true);
	if (r)
		return r;
	DMINFO("%s: loaded %llu dirty blocks (%llu verified, %llu dropped, %llu superseded)",
	       dm_table_device_name(wc->ti->table), cached, lc.to_verify,
	       dropped, superseded);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Commit */

/*
 * Generate metadata sector s for commit seq into buf.  Entries not yet
 * written by any commit get seq.  Returns true when an entry had to be
 * deferred to the next commit.
 */
static void wc_fill_disk_entry(struct wcache_disk_entry *de, u64 oblock,
			       u32 csum, u64 m)
{
	de->oblock = cpu_to_le64(oblock);
	de->seq = cpu_to_le64(wm_seq(m));
	de->data_csum = cpu_to_le32(csum);
	de->flags = cpu_to_le32(WCACHE_ENTRY_VALID |
				(wm_flags(m) & WF_STABLE ? WCACHE_ENTRY_STABLE : 0));
}

static bool wc_gen_sector(struct wcache *wc, u64 s, u64 seq, void *buf)
{
	struct wcache_disk_md_sector *ms = buf;
	bool deferred = false;
	unsigned int i;

	memset(ms, 0, sizeof(*ms));
	ms->hdr.magic = cpu_to_le32(WCACHE_MD_MAGIC);
	ms->hdr.format_nonce = cpu_to_le64(wc->format_nonce);
	ms->hdr.index = cpu_to_le64(s);
	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		u64 b = s * WCACHE_ENTRIES_PER_SECTOR + i;
		struct wcache_disk_entry *de = &ms->entries[i];
		struct wc_entry *e;
		spinlock_t *lock;
		unsigned long flags;
		u64 m;

		if (b >= wc->n_blocks)
			break;
		e = &wc->entries[b];
again:
		m = smp_load_acquire(&e->meta);
		if (wm_state(m) == WS_FREE || wm_state(m) == WS_WRITING)
			continue;
		if (wm_seq(m)) {
			/*
			 * Committed before: nothing to assign, only to copy,
			 * and that needs no lock.  oblock and csum of a
			 * committed entry change only after it was freed and
			 * reused, and a reused entry never gets this seq
			 * back (seqs grow, and only this commit assigns
			 * them): an unchanged meta means a consistent copy.
			 */
			u64 ob = READ_ONCE(e->oblock);
			u32 cs = READ_ONCE(e->csum);

			smp_rmb();
			if (READ_ONCE(e->meta) != m)
				goto again;
			if (wm_state(m) == WS_CURRENT || wm_state(m) == WS_OLD)
				wc_fill_disk_entry(de, ob, cs, m);
			continue;
		}
		lock = wc_lock_for(wc, READ_ONCE(e->oblock));
		spin_lock_irqsave(lock, flags);
		m = e->meta;
		if (wm_state(m) == WS_FREE || wm_state(m) == WS_WRITING) {
			spin_unlock_irqrestore(lock, flags);
			continue;
		}
		if (lock != wc_lock_for(wc, e->oblock)) {
			spin_unlock_irqrestore(lock, flags);
			goto again;
		}
		if (!wm_seq(m)) {
			if (wm_state(m) == WS_CURRENT &&
			    (wm_flags(m) & WF_HAS_OLD) &&
			    wc_has_old_seq(wc, e->oblock, seq)) {
				/* an older version is in this very commit */
				deferred = true;
				spin_unlock_irqrestore(lock, flags);
				continue;
			}
			m = wm_make(wm_state(m), wm_flags(m), wm_inflight(m), seq);
			WRITE_ONCE(e->meta, m);
		}
		if (wm_state(m) == WS_CURRENT || wm_state(m) == WS_OLD)
			wc_fill_disk_entry(de, e->oblock, e->csum, m);
		spin_unlock_irqrestore(lock, flags);
	}
	ms->hdr.csum = cpu_to_le32(wc_sector_csum(ms));
	return deferred;
}

/* After commit seq is durable: advance the states of sector s's entries. */
static void wc_complete_sector(struct wcache *wc, u64 s, u64 seq)
{
	unsigned int i;

	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		u64 b = s * WCACHE_ENTRIES_PER_SECTOR + i;
		struct wc_entry *e;
		spinlock_t *lock;
		unsigned long flags;
		u64 m;

		if (b >= wc->n_blocks)
			break;
		e = &wc->entries[b];
again:
		m = smp_load_acquire(&e->meta);
		/*
		 * Most entries need nothing: free, in flight, not in this
		 * commit, or current without older versions.  Skip them
		 * without the lock; meta is one word, so this is the same
		 * decision the locked test below would have made a moment
		 * earlier.
		 */
		if (wm_state(m) == WS_FREE || wm_state(m) == WS_WRITING ||
		    !wm_seq(m) || wm_seq(m) > seq ||
		    (wm_state(m) == WS_CURRENT && !(wm_flags(m) & WF_HAS_OLD)))
			continue;
		lock = wc_lock_for(wc, READ_ONCE(e->oblock));
		spin_lock_irqsave(lock, flags);
		m = e->meta;
		if (wm_state(m) == WS_FREE || wm_state(m) == WS_WRITING) {
			spin_unlock_irqrestore(lock, flags);
			continue;
		}
		if (lock != wc_lock_for(wc, e->oblock)) {
			spin_unlock_irqrestore(lock, flags);
			goto again;
		}
		if (!wm_seq(m) || wm_seq(m) > seq) {
			spin_unlock_irqrestore(lock, flags);
			continue;
		}
		switch (wm_state(m)) {
		case WS_CURRENT:
			if (wm_flags(m) & WF_HAS_OLD) {
				WRITE_ONCE(e->meta, m & ~((u64)WF_HAS_OLD << WM_FLAG_SHIFT));
				wc_free_olds_locked(wc, e->oblock);
			}
			break;
		case WS_OLD:
			if (wc_find_current(wc, e->oblock) == WC_NIL)
				wc_free_olds_locked(wc, e->oblock);
			break;
		case WS_FREEING:
			if (!wm_inflight(m)) {
				wc_chain_remove(wc, b);
				wc_push_free(wc, b);
			}
			else
				set_bit(s, wc->dirty_bits);
			break;
		}
		spin_unlock_irqrestore(lock, flags);
	}
}

static void wc_end_waiters(struct wcache *wc, struct bio_list *flushes,
			   struct bio_list *fuas, int r, int fua_r);

static int wc_do_commit(struct wcache *wc, bool write_sb)
{
	struct bio_list flushes, fuas;
	struct wc_batch batch;
	u64 seq, s, run_start = 0, run_len = 0, used = 0, n_written = 0;
	u64 io = wc->io_sectors, next_group = 0;
	bool origin_dirty, empty, sb_written = false;
	u64 sb_durable = wc->durable_seq;
	int r = 0, origin_err = 0;

	bio_list_init(&flushes);
	bio_list_init(&fuas);
	spin_lock_irq(&wc->flush_lock);
	bio_list_merge(&flushes, &wc->flush_bios);
	bio_list_merge(&fuas, &wc->fua_bios);
	bio_list_init(&wc->flush_bios);
	bio_list_init(&wc->fua_bios);
	origin_dirty = wc->origin_dirty;
	wc->origin_dirty = false;
	spin_unlock_irq(&wc->flush_lock);
	atomic_set(&wc->uncommitted, 0);
	smp_mb();
	/*
	 * A commit with no metadata to write (only flush requests) takes no
	 * sequence number: it writes nothing that would carry one.
	 */
	empty = !write_sb &&
		find_first_bit(wc->dirty_bits, wc->md_sectors) >= wc->md_sectors;
	seq = wc->commit_seq + !empty;
	WRITE_ONCE(wc->commit_seq, seq);

	if (READ_ONCE(wc->error)) {
		r = -EIO;
		goto out;
	}
	if (unlikely(!empty && seq >= WCACHE_SEQ_LIMIT)) {
		/* never wrap: seq 0 means "not yet committed" in memory */
		wc_set_error(wc, -EOVERFLOW, "commit (sequence numbers exhausted)");
		r = -EOVERFLOW;
		goto out;
	}
	bitmap_zero(wc->written_bits, wc->md_sectors);
	wc_batch_init(&batch);
	/*
	 * Metadata is written in whole logical blocks of the cache device
	 * (io_sectors sectors, aligned): a dirty sector brings the other
	 * sectors of its logical block along, generated from memory, and
	 * the padding after the last metadata sector is written as zeros.
	 */
	for_each_set_bit(s, wc->dirty_bits, wc->md_sectors) {
		u64 g = round_down(s, io), t;

		if (g < next_group)
			continue;
		if (run_len && (g != run_start + run_len ||
				used == WC_COMMIT_BUF_SECTORS)) {
			wc_io_async(wc, &batch, wc->cache->bdev,
				    REQ_OP_WRITE | REQ_SYNC,
				    wc->cbuf + (used - run_len) * WCACHE_SECTOR_SIZE,
				    wc->md_offset + run_start, run_len);
			run_len = 0;
			if (used == WC_COMMIT_BUF_SECTORS) {
				r = wc_batch_wait(&batch);
				if (r)
					goto io_err;
				wc_batch_init(&batch);
				used = 0;
			}
		}
		if (!run_len)
			run_start = g;
		for (t = g; t < g + io; t++) {
			void *buf = wc->cbuf + used * WCACHE_SECTOR_SIZE;

			if (t >= wc->md_sectors) {
				memset(buf, 0, WCACHE_SECTOR_SIZE);
			} else {
				/* ordered like wc_mark_dirty() expects */
				test_and_clear_bit(t, wc->dirty_bits);
				if (wc_gen_sector(wc, t, seq, buf))
					set_bit(t, wc->dirty_bits);
				set_bit(t, wc->written_bits);
			}
			used++;
			run_len++;
			n_written++;
		}
		next_group = g + io;
	}
	if (run_len)
		wc_io_async(wc, &batch, wc->cache->bdev, REQ_OP_WRITE | REQ_SYNC,
			    wc->cbuf + (used - run_len) * WCACHE_SECTOR_SIZE,
			    wc->md_offset + run_start, run_len);
	if (write_sb || (n_written && wc->sb_durable_seq != sb_durable)) {
		memset(wc->sb_buf, 0, PAGE_SIZE);
		wc_fill_sb(wc, wc->sb_buf, sb_durable);
		wc_io_async(wc, &batch, wc->cache->bdev, REQ_OP_WRITE | REQ_SYNC,
			    wc->sb_buf, WCACHE_SB_SECTOR, wc->io_sectors);
		sb_written = true;
	}
	r = wc_batch_wait(&batch);
	if (r)
		goto io_err;
	if (n_written || sb_written) {
		r = blkdev_issue_flush(wc->cache->bdev);
		wc->flushes_issued++;
		if (r)
			goto io_err;
	}
	if (origin_dirty && blkdev_issue_flush(wc->origin->bdev)) {
		/*
		 * The flush requests of this commit fail, and the next one
		 * flushes the origin again; the cache itself is fine.
		 */
		origin_err = -EIO;
		WRITE_ONCE(wc->origin_flush_errors, wc->origin_flush_errors + 1);
		spin_lock_irq(&wc->flush_lock);
		wc->origin_dirty = true;
		spin_unlock_irq(&wc->flush_lock);
	}
	if (sb_written)
		wc->sb_durable_seq = sb_durable;
	WRITE_ONCE(wc->durable_seq, seq);
	wc->commits++;
	if (n_written)
		wc_note_commit(wc, seq);
out:
	/* FUA writes went to the cache: the origin flush is not theirs */
	wc_end_waiters(wc, &flushes, &fuas, r ? r : origin_err, r);
	if (!r && n_written) {
		for_each_set_bit(s, wc->written_bits, wc->md_sectors) {
			wc_complete_sector(wc, s, seq);
			if (!(s & 1023))
				cond_resched();
		}
	}
	wake_up_all(&wc->free_wait);
	wake_up_all(&wc->commit_wait);
	return r ? r : origin_err;
io_err:
	wc_set_error(wc, r, "metadata commit");
	r = -EIO;
	goto out;
}

static void wc_end_waiters(struct wcache *wc, struct bio_list *flushes,
			   struct bio_list *fuas, int r, int fua_r)
{
	struct bio *bio;

	while ((bio = bio_list_pop(flushes))) {
		bio->bi_status = r ? BLK_STS_IOERR : BLK_STS_OK;
		bio_endio(bio);
	}
	while ((bio = bio_list_pop(fuas)))
		wc_end_fua_bio(bio, fua_r);
}

void wc_commit_work(struct work_struct *work)
{
	struct wcache *wc = container_of(work, struct wcache, commit_work);

	mutex_lock(&wc->commit_lock);
	wc_do_commit(wc, false);
	mutex_unlock(&wc->commit_lock);
	if (wc_wb_needed(wc))
		wc_kick_writeback(wc);
}

/*
 * Synchronous commit.  With clean, also record this commit as durable in
 * the superblock (second flush) so a later load needs no data verification.
 */
int wc_commit_sync(struct wcache *wc, bool clean)
{
	int r;

	mutex_lock(&wc->commit_lock);
	r = wc_do_commit(wc, false);
	if (!r && clean)
		r = wc_do_commit(wc, true);
	mutex_unlock(&wc->commit_lock);
	return r;
}

void wc_queue_commit(struct wcache *wc)
{
	queue_work(wc->wq, &wc->commit_work);
}

void wc_commit_timer_fn(struct timer_list *t)
{
	struct wcache *wc = from_timer(wc, t, commit_timer);

	if (READ_ONCE(wc->suspended))
		return;
	if (find_first_bit(wc->dirty_bits, wc->md_sectors) < wc->md_sectors)
		wc_queue_commit(wc);
	else if (wc_wb_needed(wc))
		wc_kick_writeback(wc);
	mod_timer(&wc->commit_timer, jiffies + wc_timer_period(wc));
}
