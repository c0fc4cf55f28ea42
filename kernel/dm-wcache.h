/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-wcache internal definitions shared by the target, metadata and
 * writeback parts of the module.
 */
#ifndef DM_WCACHE_H
#define DM_WCACHE_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/bio.h>
#include <linux/percpu.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>

#include "dm-wcache-format.h"

#define WC_NIL			0xffffffffU
#define WC_NR_LOCKS		1024	/* bucket lock stripes */
#define WC_MAX_SHARDS		32	/* free-list shards */
#define WC_COMMIT_BUF_SECTORS	2048	/* 1 MiB commit/load buffer */
#define WC_CT_RING		64
#define WC_SEQ_BITS		6	/* sequential stream slots: 64 */
#define WC_SEQ_SLOTS		(1U << WC_SEQ_BITS)
#define WC_UNC_BATCH		64	/* per-CPU autocommit count batch */

struct wc_cand {
	u64 oblock;
	u64 seq;
	u32 block;
	u32 pad;
};

/*
 * In-memory state of one cache block: 24 bytes.  Together with the hash
 * bucket heads (at most 4 bytes per block) this is <= 28 bytes per cached
 * block; see man/dm-wcache.7.
 *
 * meta packs: state (3 bits) | flags (2 bits) | inflight (7 bits) |
 * seq (52 bits, WCACHE_SEQ_BITS).  seq is the commit that wrote the entry
 * (or its free slot); 0 means "not yet written by any commit".
 */
struct wc_entry {
	u64 oblock;
	u64 meta;
	u32 csum;
	u32 next;	/* hash chain, or free-list link */
};

enum wc_state {
	WS_FREE = 0,	/* on free list; on-disk slot is durably free */
	WS_WRITING,	/* allocated, data write in flight; slot still free */
	WS_CURRENT,	/* newest version of oblock; in hash chain */
	WS_OLD,		/* superseded or discarded version; in hash chain */
	WS_FREEING,	/* still on the chain; free slot must become durable */
};

#define WF_HAS_OLD	0x1	/* CURRENT entry with OLD versions in the chain */
#define WF_STABLE	0x2	/* data durable on write completion; no csum */

#define WM_FLAG_SHIFT	3
#define WM_INFL_SHIFT	5
#define WM_INFL_MAX	0x7fULL
#define WM_SEQ_SHIFT	12

static_assert(64 - WM_SEQ_SHIFT == WCACHE_SEQ_BITS);

static inline unsigned int wm_state(u64 m)
{
	return m & 0x7;
}

static inline unsigned int wm_flags(u64 m)
{
	return (m >> WM_FLAG_SHIFT) & 0x3;
}

static inline unsigned int wm_inflight(u64 m)
{
	return (m >> WM_INFL_SHIFT) & WM_INFL_MAX;
}

static inline u64 wm_seq(u64 m)
{
	return m >> WM_SEQ_SHIFT;
}

static inline u64 wm_make(unsigned int state, unsigned int flags,
			  unsigned int inflight, u64 seq)
{
	return (u64)state | ((u64)flags << WM_FLAG_SHIFT) |
	       ((u64)inflight << WM_INFL_SHIFT) | (seq << WM_SEQ_SHIFT);
}

struct wc_shard {
	spinlock_t lock;
	u32 head;
	u32 count;
} ____cacheline_aligned_in_smp;

struct wc_stats {
	u64 reads;
	u64 read_hits;
	u64 writes;
	u64 write_hits;		/* write to a block already cached */
	u64 bypass_seq;		/* sent to origin: sequential cutoff */
	u64 bypass_other;	/* sent to origin: cleaner, metadata_only */
	u64 blocked_full;	/* writes that waited for a free block */
	u64 flushes;
	u64 fua;
	u64 discards;
	u64 origin_errors;	/* failed origin reads/writes of user bios */
	u64 cache_read_errors;	/* failed cache reads of user bios */
};

struct wc_args {
	unsigned int block_size;
	unsigned int high_wm;
	unsigned int low_wm;
	unsigned int writeback_jobs;
	unsigned int autocommit_blocks;
	unsigned int autocommit_ms;
	unsigned int max_age_ms;	/* 0 = off */
	unsigned int pause_ms;		/* 0 = off */
	unsigned long long seq_cutoff;	/* bytes, 0 = off */
	bool cleaner;
	bool metadata_only;
	bool flush_on_suspend;
	bool have_uuid;
	u8 origin_uuid[16];
	/* which optional arguments were given (for the table line) */
	unsigned int given;
};

enum {
	WA_HIGH = 1 << 0, WA_LOW = 1 << 1, WA_JOBS = 1 << 2,
	WA_ACBLOCKS = 1 << 3, WA_ACTIME = 1 << 4, WA_MAXAGE = 1 << 5,
	WA_PAUSE = 1 << 6, WA_SEQ = 1 << 7,
};

struct wc_seq_stream {
	sector_t next;		/* sector right after the last write */
	u64 bytes;		/* length of the current sequential run */
};

struct wcache {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct dm_dev *cache;
	struct wc_args a;

	/* geometry */
	unsigned int block_shift;	/* log2(block size in sectors) + 9 */
	unsigned int block_sectors;
	u64 n_blocks;
	u64 origin_blocks;
	u64 md_sectors;
	sector_t md_offset;
	sector_t data_offset;
	unsigned int io_sectors;	/* cache logical block, in sectors */
	u64 format_nonce;
	bool stable_ok;			/* superblock has INCOMPAT_STABLE */

	/* state */
	bool read_only;			/* read-only table: never write the cache */
	bool loaded;
	int error;			/* first error, sticky */
	bool suspended;

	struct wc_entry *entries;	/* n_blocks */
	u32 *buckets;			/* 1 << hash_bits heads */
	unsigned int hash_bits;
	spinlock_t locks[WC_NR_LOCKS];
	struct wc_shard shards[WC_MAX_SHARDS];
	unsigned int nr_shards;
	u64 blocks_per_shard;
	wait_queue_head_t free_wait;
	atomic_t free_waiters;

	/* commit */
	struct mutex commit_lock;
	u64 commit_seq;			/* last commit started */
	u64 durable_seq;		/* last commit whose flush completed */
	u64 sb_durable_seq;		/* durable_seq recorded on disk */
	u64 sb_seq;
	unsigned long *dirty_bits;	/* metadata sectors to write */
	unsigned long *written_bits;	/* metadata sectors of this commit */
	void *cbuf;			/* WC_COMMIT_BUF_SECTORS sectors */
	void *sb_buf;			/* one page */
	struct wcache_disk_sb sb;	/* last superblock read or written */
	spinlock_t flush_lock;
	struct bio_list flush_bios;
	struct bio_list fua_bios;
	atomic_t uncommitted;		/* published since last commit */
	unsigned int __percpu *unc_pcpu; /* per-CPU part, see wc_count_uncommitted */
	bool unc_batched;
	bool origin_dirty;		/* bypassed writes since last commit */
	u64 origin_flush_errors;
	struct work_struct commit_work;
	struct timer_list commit_timer;
	wait_queue_head_t commit_wait;
	u64 commits;			/* statistics */
	u64 flushes_issued;

	/* writeback */
	struct work_struct wb_work;
	struct delayed_work wb_delayed;
	bool wb_stop;
	bool wb_all;			/* flush message / flush_on_suspend */
	bool wb_drain;			/* writeback message's drain running */
	struct work_struct wb_drain_work;
	atomic_t wb_blocks_inflight;
	u64 wb_cursor;
	u64 wb_ios;
	u64 wb_blocks;
	u64 wb_errors;			/* failed writeback batches (retried) */
	unsigned int wb_backoff_ms;	/* current retry delay, 0 = none */
	unsigned long wb_retry_at;	/* jiffies: no writeback before */
	struct mutex wb_lock;		/* one writeback batch at a time */
	bool wb_active;			/* between high and low watermark */
	void *wb_buf;			/* writeback_jobs blocks */
	struct wc_cand *wb_cand;	/* writeback_jobs candidates */
	unsigned long last_write_jiffies;
	/*
	 * max_age: oldest_seq is a lower bound of the seq of every dirty
	 * block (0: none dirty), set by commits and made exact by writeback's
	 * scans.  The ring samples commit completion times at least
	 * max_age / 16 apart (so 64 slots span 4 * max_age whatever the
	 * commit rate); ct_last is the last commit.  All under age_lock.
	 */
	spinlock_t age_lock;
	u64 oldest_seq;
	u64 ct_seq[WC_CT_RING];
	unsigned long ct_time[WC_CT_RING];
	unsigned int ct_pos;
	u64 ct_last_seq;
	unsigned long ct_last_time;

	struct workqueue_struct *wq;
	struct dm_io_client *io;
	struct wc_stats __percpu *stats;
	struct wc_seq_stream *streams;	/* WC_SEQ_SLOTS, by end sector */
	struct mutex msg_lock;
};

#define wc_stat_inc(wc, field) this_cpu_inc((wc)->stats->field)
#define wc_stat_add(wc, field, n) this_cpu_add((wc)->stats->field, n)

/* dm-wcache-metadata.c */
void wc_set_error(struct wcache *wc, int err, const char *what);
int wc_read_sb(struct wcache *wc, struct wcache_disk_sb *sb);
int wc_check_sb(struct wcache *wc, const struct wcache_disk_sb *sb,
		const char **reason);
void wc_apply_sb(struct wcache *wc, const struct wcache_disk_sb *sb);
int wc_check_metadata(struct wcache *wc, const char **reason);
int wc_check_new_geometry(struct wcache *wc, const char **reason);
int wc_alloc_state(struct wcache *wc);
void wc_free_state(struct wcache *wc);
int wc_format(struct wcache *wc);
int wc_load(struct wcache *wc);
void wc_commit_work(struct work_struct *work);
int wc_commit_sync(struct wcache *wc, bool clean);
void wc_queue_commit(struct wcache *wc);
void wc_commit_timer_fn(struct timer_list *t);
u32 wc_alloc_block(struct wcache *wc);
void wc_push_free(struct wcache *wc, u32 b);
u64 wc_free_blocks(struct wcache *wc);
spinlock_t *wc_lock_for(struct wcache *wc, u64 oblock);
u32 wc_find_current(struct wcache *wc, u64 oblock);
void wc_chain_insert(struct wcache *wc, u32 b);
void wc_chain_remove(struct wcache *wc, u32 b);
void wc_mark_dirty(struct wcache *wc, u32 b);
void wc_retire_locked(struct wcache *wc, u32 b);
void wc_free_olds_locked(struct wcache *wc, u64 oblock);
bool wc_has_old_seq(struct wcache *wc, u64 oblock, u64 seq);
bool wc_has_version(struct wcache *wc, u64 oblock);
u32 wc_data_csum(struct wcache *wc, const void *data);
void wc_count_states(struct wcache *wc, u64 *dirty, u64 *old, u64 *freeing);

/* dm-wcache-writeback.c */
void wc_wb_work(struct work_struct *work);
void wc_wb_retry_work(struct work_struct *work);
void wc_kick_writeback(struct wcache *wc);
bool wc_wb_needed(struct wcache *wc);
int wc_writeback_all(struct wcache *wc, bool async);
void wc_wb_drain_work(struct work_struct *work);
int wc_wb_alloc(struct wcache *wc);
void wc_note_commit(struct wcache *wc, u64 seq);
unsigned long wc_timer_period(struct wcache *wc);
void wc_end_fua_bio(struct bio *bio, int r);

static inline sector_t wc_block_to_sector(struct wcache *wc, u32 b)
{
	return wc->data_offset + ((sector_t)b << (wc->block_shift - SECTOR_SHIFT));
}

#endif /* DM_WCACHE_H */
