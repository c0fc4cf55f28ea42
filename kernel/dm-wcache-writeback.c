// SPDX-License-Identifier: GPL-2.0
/*
 * dm-wcache: writeback of dirty cache blocks to the origin.
 *
 * Candidates are chosen by an elevator sweep over origin addresses: each
 * batch takes the (up to writeback_jobs) lowest dirty origin blocks at or
 * above a cursor, so the origin sees ascending addresses and adjacent blocks
 * merge into one large write.  All reads of a batch are in flight together,
 * then all origin writes; the origin is flushed before any cache block is
 * released, so a block is never durable in neither place.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sort.h>
#include <linux/delay.h>
#include <linux/sched/signal.h>

#include "dm-wcache.h"

#define DM_MSG_PREFIX "wcache"
#define WC_MAX_MERGE	256	/* blocks per origin write */

int wc_wb_alloc(struct wcache *wc)
{
	if (!wc->wb_buf)
		wc->wb_buf = vmalloc((size_t)wc->a.writeback_jobs *
				     wc->a.block_size);
	if (!wc->wb_cand)
		wc->wb_cand = kvmalloc_array(wc->a.writeback_jobs,
					     sizeof(struct wc_cand), GFP_KERNEL);
	return (wc->wb_buf && wc->wb_cand) ? 0 : -ENOMEM;
}

/* A commit that wrote metadata completed (commit_lock held). */
void wc_note_commit(struct wcache *wc, u64 seq)
{
	unsigned long now = jiffies;
	unsigned long step = max(msecs_to_jiffies(wc->a.max_age_ms) / 16, 1UL);
	unsigned int newest = (wc->ct_pos + WC_CT_RING - 1) % WC_CT_RING;

	spin_lock_irq(&wc->age_lock);
	if (!wc->ct_seq[newest] ||
	    time_after_eq(now, wc->ct_time[newest] + step)) {
		unsigned int i = wc->ct_pos++ % WC_CT_RING;

		wc->ct_seq[i] = seq;
		wc->ct_time[i] = now;
	}
	wc->ct_last_seq = seq;
	wc->ct_last_time = now;
	if (!wc->oldest_seq)
		wc->oldest_seq = seq;
	spin_unlock_irq(&wc->age_lock);
}

/*
 * Highest commit known to have completed more than max_age ago (0 if none
 * known): every dirty block with a seq up to it is older than max_age.
 */
static u64 wc_aged_seq(struct wcache *wc)
{
	unsigned long limit = jiffies - msecs_to_jiffies(wc->a.max_age_ms);
	u64 best = 0;
	unsigned int i;

	spin_lock_irq(&wc->age_lock);
	for (i = 0; i < WC_CT_RING; i++)
		if (wc->ct_seq[i] && time_before_eq(wc->ct_time[i], limit))
			best = max(best, wc->ct_seq[i]);
	if (wc->ct_last_seq && time_before_eq(wc->ct_last_time, limit))
		best = max(best, wc->ct_last_seq);
	spin_unlock_irq(&wc->age_lock);
	return best;
}

/* The commit timer also checks max_age: at least 4 times per max_age. */
unsigned long wc_timer_period(struct wcache *wc)
{
	unsigned int ms = wc->a.autocommit_ms;

	if (wc->a.max_age_ms)
		ms = min(ms, max(wc->a.max_age_ms / 4, 10U));
	return msecs_to_jiffies(ms);
}

bool wc_wb_needed(struct wcache *wc)
{
	u64 n = wc->n_blocks, used;

	if (!wc->loaded || READ_ONCE(wc->wb_stop))
		return false;
	used = n - wc_free_blocks(wc);
	if (!used) {
		wc->wb_active = false;
		return false;
	}
	if (READ_ONCE(wc->a.cleaner) || READ_ONCE(wc->wb_all) ||
	    atomic_read(&wc->free_waiters))
		return true;
	if (used * 100 >= (u64)wc->a.high_wm * n)
		wc->wb_active = true;
	else if (used * 100 <= (u64)wc->a.low_wm * n)
		wc->wb_active = false;
	if (wc->wb_active) {
		if (wc->a.pause_ms && used * 100 < (u64)wc->a.high_wm * n &&
		    time_before(jiffies, READ_ONCE(wc->last_write_jiffies) +
				msecs_to_jiffies(wc->a.pause_ms)))
			return false;
		return true;
	}
	if (wc->a.max_age_ms) {
		u64 oldest = READ_ONCE(wc->oldest_seq);

		if (oldest && oldest <= wc_aged_seq(wc))
			return true;
	}
	return false;
}

void wc_kick_writeback(struct wcache *wc)
{
	if (wc->loaded && !READ_ONCE(wc->wb_stop))
		queue_work(wc->wq, &wc->wb_work);
}

/* max-heap on oblock */
static void wc_heap_down(struct wc_cand *h, unsigned int n, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && h[l].oblock > h[m].oblock)
			m = l;
		if (r < n && h[r].oblock > h[m].oblock)
			m = r;
		if (m == i)
			return;
		swap(h[i], h[m]);
		i = m;
	}
}

static void wc_heap_up(struct wc_cand *h, unsigned int i)
{
	while (i) {
		unsigned int p = (i - 1) / 2;

		if (h[p].oblock >= h[i].oblock)
			return;
		swap(h[p], h[i]);
		i = p;
	}
}

static int wc_cand_cmp(const void *a, const void *b)
{
	const struct wc_cand *x = a, *y = b;

	if (x->oblock < y->oblock)
		return -1;
	return x->oblock > y->oblock;
}

/*
 * Pick up to writeback_jobs durable dirty blocks with the lowest origin
 * addresses at or above the sweep cursor, sorted ascending.
 */
static unsigned int wc_wb_select(struct wcache *wc)
{
	unsigned int jobs = wc->a.writeback_jobs, cnt = 0;
	struct wc_cand *h = wc->wb_cand;
	u64 durable = READ_ONCE(wc->durable_seq);
	u64 cursor = wc->wb_cursor, oldest = U64_MAX, b;
	u64 start_seq = READ_ONCE(wc->commit_seq);
	/*
	 * In the error state nothing is committed any more: every block
	 * whose data reached the cache is drained, and retired in memory
	 * only (see wc_wb_batch()).
	 */
	bool err = READ_ONCE(wc->error);

	/* writes are waiting for space: free blocks in smaller steps */
	if (atomic_read(&wc->free_waiters) && !READ_ONCE(wc->wb_all))
		jobs = min(jobs, 128U);
	/*
	 * Watermark writeback stops at low_watermark: a batch never takes the
	 * cache further down than that (cleaner, the writeback message and
	 * writers waiting for space are not limited; below low_watermark
	 * only max_age writes back, in whole batches).
	 */
	else if (!READ_ONCE(wc->a.cleaner) && !READ_ONCE(wc->wb_all)) {
		u64 used = wc->n_blocks - wc_free_blocks(wc);
		u64 low = div_u64((u64)wc->a.low_wm * wc->n_blocks, 100);

		if (used > low)
			jobs = min_t(u64, jobs, used - low);
	}

	for (b = 0; b < wc->n_blocks; b++) {
		struct wc_entry *e = &wc->entries[b];
		u64 m = READ_ONCE(e->meta), ob;

		if (wm_state(m) != WS_CURRENT ||
		    (!err && (!wm_seq(m) || wm_seq(m) > durable ||
			      (wm_flags(m) & WF_HAS_OLD))))
			continue;
		ob = READ_ONCE(e->oblock);
		oldest = min(oldest, wm_seq(m));
		if (ob < cursor)
			continue;
		if (cnt < jobs) {
			h[cnt].oblock = ob;
			h[cnt].seq = wm_seq(m);
			h[cnt].block = b;
			wc_heap_up(h, cnt++);
		} else if (ob < h[0].oblock) {
			h[0].oblock = ob;
			h[0].seq = wm_seq(m);
			h[0].block = b;
			wc_heap_down(h, cnt, 0);
		}
		if (!(b & 0xffff))
			cond_resched();
	}
	/*
	 * A commit during the scan may have given a seq to blocks the scan
	 * did not see: those have seqs above start_seq.
	 */
	spin_lock_irq(&wc->age_lock);
	if (READ_ONCE(wc->commit_seq) != start_seq)
		oldest = min(oldest, start_seq + 1);
	wc->oldest_seq = oldest == U64_MAX ? 0 : oldest;
	spin_unlock_irq(&wc->age_lock);
	sort(h, cnt, sizeof(*h), wc_cand_cmp, NULL);
	if (cnt == jobs)
		wc->wb_cursor = h[cnt - 1].oblock + 1;
	else
		wc->wb_cursor = 0;
	return cnt;
}

struct wc_wb_io {
	atomic_t pending;
	struct completion done;
	int error;
};

static void wc_wb_cb(unsigned long error, void *context)
{
	struct wc_wb_io *io = context;

	if (error)
		io->error = -EIO;
	if (atomic_dec_and_test(&io->pending))
		complete(&io->done);
}

static void wc_wb_submit(struct wcache *wc, struct wc_wb_io *io,
			 struct block_device *bdev, blk_opf_t opf, void *buf,
			 sector_t sector, sector_t count)
{
	struct dm_io_region region = {
		.bdev = bdev, .sector = sector, .count = count,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = buf,
		.notify.fn = wc_wb_cb,
		.notify.context = io,
		.client = wc->io,
	};

	atomic_inc(&io->pending);
	if (dm_io(&req, 1, &region, NULL, IOPRIO_DEFAULT))
		wc_wb_cb(1, io);
}

static int wc_wb_wait(struct wc_wb_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		wait_for_completion_io(&io->done);
	return io->error;
}

static void wc_wb_io_init(struct wc_wb_io *io)
{
	atomic_set(&io->pending, 1);
	init_completion(&io->done);
	io->error = 0;
}

static int wc_wb_batch(struct wcache *wc, unsigned int n)
{
	struct wc_cand *c = wc->wb_cand;
	unsigned int i, j, k = 0;
	unsigned long flags;
	u64 ios = 0;
	struct wc_wb_io io;
	bool err = READ_ONCE(wc->error);
	int r;

	/* pin: the block cannot be reused while inflight is raised */
	for (i = 0; i < n; i++) {
		spinlock_t *lock = wc_lock_for(wc, c[i].oblock);
		struct wc_entry *e = &wc->entries[c[i].block];
		u64 m;

		spin_lock_irqsave(lock, flags);
		m = e->meta;
		if (wm_state(m) == WS_CURRENT && e->oblock == c[i].oblock &&
		    wm_seq(m) == c[i].seq &&
		    (err || !(wm_flags(m) & WF_HAS_OLD)) &&
		    wm_inflight(m) < WM_INFL_MAX) {
			WRITE_ONCE(e->meta, m + (1ULL << WM_INFL_SHIFT));
			c[k++] = c[i];
		}
		spin_unlock_irqrestore(lock, flags);
	}
	if (!k)
		return 0;
	atomic_add(k, &wc->wb_blocks_inflight);

	wc_wb_io_init(&io);
	for (i = 0; i < k; i++)
		wc_wb_submit(wc, &io, wc->cache->bdev, REQ_OP_READ,
			     wc->wb_buf + (size_t)i * wc->a.block_size,
			     wc_block_to_sector(wc, c[i].block),
			     wc->block_sectors);
	r = wc_wb_wait(&io);
	if (r) {
		goto unpin;
	}

	wc_wb_io_init(&io);
	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && j - i < WC_MAX_MERGE &&
		     c[j].oblock == c[j - 1].oblock + 1; j++)
			;
		wc_wb_submit(wc, &io, wc->origin->bdev, REQ_OP_WRITE,
			     wc->wb_buf + (size_t)i * wc->a.block_size,
			     c[i].oblock << (wc->block_shift - SECTOR_SHIFT),
			     (sector_t)(j - i) * wc->block_sectors);
		ios++;
	}
	r = wc_wb_wait(&io);
	if (r) {
		goto unpin;
	}
	r = blkdev_issue_flush(wc->origin->bdev);
	if (r) {
		goto unpin;
	}

unpin:
	for (i = 0; i < k; i++) {
		spinlock_t *lock = wc_lock_for(wc, c[i].oblock);
		struct wc_entry *e = &wc->entries[c[i].block];
		u64 m;

		spin_lock_irqsave(lock, flags);
		m = e->meta - (1ULL << WM_INFL_SHIFT);
		WRITE_ONCE(e->meta, m);
		if (!r && wm_state(m) == WS_CURRENT && wm_seq(m) == c[i].seq &&
		    (err || !(wm_flags(m) & WF_HAS_OLD)))
			wc_retire_locked(wc, c[i].block);
		spin_unlock_irqrestore(lock, flags);
	}
	atomic_sub(k, &wc->wb_blocks_inflight);
	if (!r) {
		WRITE_ONCE(wc->wb_ios, wc->wb_ios + ios);
		WRITE_ONCE(wc->wb_blocks, wc->wb_blocks + k);
	}
	return r;
}

/*
 * A writeback batch failed (cache read, origin write or origin flush): its
 * blocks stay dirty, and writeback waits before it tries again, twice as
 * long after each failure in a row (100 ms up to 10 s).
 */
static void wc_wb_failed(struct wcache *wc)
{
	unsigned int ms = wc->wb_backoff_ms;

	ms = ms ? min(ms * 2, 10000U) : 100;
	wc->wb_backoff_ms = ms;
	WRITE_ONCE(wc->wb_errors, wc->wb_errors + 1);
	WRITE_ONCE(wc->wb_retry_at, jiffies + msecs_to_jiffies(ms));
	if (!READ_ONCE(wc->wb_stop))
		queue_delayed_work(wc->wq, &wc->wb_delayed,
				   msecs_to_jiffies(ms));
	DMERR_LIMIT("%s: writeback failed; retrying in %u ms",
		    dm_table_device_name(wc->ti->table), ms);
}

static bool wc_wb_backing_off(struct wcache *wc)
{
	return wc->wb_backoff_ms &&
	       time_before(jiffies, READ_ONCE(wc->wb_retry_at));
}

void wc_wb_retry_work(struct work_struct *work)
{
	struct wcache *wc = container_of(to_delayed_work(work), struct wcache,
					 wb_delayed);

	wc_kick_writeback(wc);
}

void wc_wb_work(struct work_struct *work)
{
	struct wcache *wc = container_of(work, struct wcache, wb_work);
	bool wrapped = false;

	mutex_lock(&wc->wb_lock);
	while (!wc_wb_backing_off(wc) && wc_wb_needed(wc)) {
		unsigned int n = wc_wb_select(wc);

		if (!n) {
			if (wrapped || !wc->wb_cursor)
				break;
			wrapped = true;
			continue;
		}
		wrapped = false;
		if (wc_wb_batch(wc, n)) {
			wc_wb_failed(wc);
			break;
		}
		wc->wb_backoff_ms = 0;
		/*
		 * Make the freed slots durable so the blocks can be reused.
		 * Watermark writeback commits before its next decision, so it
		 * sees the cache's real use and stops at low_watermark; with
		 * writers waiting for space (or cleaner) the commit runs
		 * beside the next batch instead.
		 */
		if (READ_ONCE(wc->error))
			;	/* nothing can be committed: drain only */
		else if (atomic_read(&wc->free_waiters) || READ_ONCE(wc->a.cleaner))
			wc_queue_commit(wc);
		else if (wc_commit_sync(wc, false))
			break;
		cond_resched();
	}
	mutex_unlock(&wc->wb_lock);
}

/*
 * Write back everything.  flush_on_suspend calls this directly and gives
 * up at the first failed batch; the writeback message runs it in the
 * background (@async, wc_wb_drain_work()): failed batches are then retried
 * with back-off until everything is clean or the target is suspended.
 */
int wc_writeback_all(struct wcache *wc, bool async)
{
	u64 dirty, old, freeing;
	unsigned int idle = 0, backoff = 0;
	int r = 0;

	WRITE_ONCE(wc->wb_all, true);
	mutex_lock(&wc->wb_lock);
	for (;;) {
		unsigned int n;

		if (fatal_signal_pending(current) ||
		    (async && READ_ONCE(wc->wb_stop))) {
			r = -EINTR;
			break;
		}
		/* in the error state nothing commits: drain what is there */
		r = wc_commit_sync(wc, false);
		if (r && !READ_ONCE(wc->error))
			break;
		r = 0;
		wc->wb_cursor = 0;
		n = wc_wb_select(wc);
		if (!n) {
			wc_count_states(wc, &dirty, &old, &freeing);
			if (!dirty)
				break;
			/* versions waiting for a commit: one more round */
			if (++idle > 100) {
				r = -EAGAIN;
				break;
			}
			continue;
		}
		idle = 0;
		r = wc_wb_batch(wc, n);
		if (r) {
			unsigned int waited;

			WRITE_ONCE(wc->wb_errors, wc->wb_errors + 1);
			if (!async)
				break;
			backoff = backoff ? min(backoff * 2, 10000U) : 100;
			DMERR_LIMIT("%s: writeback failed; retrying in %u ms",
				    dm_table_device_name(wc->ti->table), backoff);
			for (waited = 0; waited < backoff &&
			     !READ_ONCE(wc->wb_stop); waited += 100)
				msleep(100);
			continue;
		}
		backoff = 0;
		cond_resched();
	}
	if (!r && !READ_ONCE(wc->error))
		r = wc_commit_sync(wc, false);
	mutex_unlock(&wc->wb_lock);
	WRITE_ONCE(wc->wb_all, false);
	return r;
}

/* The writeback message's drain; wb_drain shows in the status line. */
void wc_wb_drain_work(struct work_struct *work)
{
	struct wcache *wc = container_of(work, struct wcache, wb_drain_work);
	int r = wc_writeback_all(wc, true);

	if (r && r != -EINTR)
		DMERR("%s: writeback message: drain failed (%d)",
		      dm_table_device_name(wc->ti->table), r);
	WRITE_ONCE(wc->wb_drain, false);
}
