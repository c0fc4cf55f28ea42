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

void wc_note_commit(struct wcache *wc, u64 seq)
{
	unsigned int i = wc->ct_pos++ % WC_CT_RING;

	wc->ct_seq[i] = seq;
	wc->ct_time[i] = jiffies;
}

/* Highest commit that completed more than max_age ago (0 if none known). */
static u64 wc_aged_seq(struct wcache *wc)
{
	unsigned long limit = jiffies - msecs_to_jiffies(wc->a.max_age_ms);
	u64 best = 0;
	unsigned int i;

	for (i = 0; i < WC_CT_RING; i++)
		if (wc->ct_seq[i] && time_before_eq(wc->ct_time[i], limit))
			best = max(best, wc->ct_seq[i]);
	return best;
}

bool wc_wb_needed(struct wcache *wc)
{
	u64 n = wc->n_blocks, used;

	if (!wc->loaded || READ_ONCE(wc->error) || READ_ONCE(wc->wb_stop))
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
	if (wc->a.max_age_ms && wc->oldest_seq &&
	    wc->oldest_seq <= wc_aged_seq(wc))
		return true;
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

		if (wm_state(m) != WS_CURRENT || !wm_seq(m) ||
		    wm_seq(m) > durable || (wm_flags(m) & WF_HAS_OLD))
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
	wc->oldest_seq = oldest == U64_MAX ? 0 : oldest;
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

WC_DEFINE_IO_NOTIFY(wc_wb_notify, wc_wb_cb)

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
		.notify.fn = wc_wb_notify,
		.notify.context = io,
		.client = wc->io,
	};

	atomic_inc(&io->pending);
	if (wc_dm_io(&req, 1, &region, NULL, IOPRIO_DEFAULT))
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
	int r;

	/* pin: the block cannot be reused while inflight is raised */
	for (i = 0; i < n; i++) {
		spinlock_t *lock = wc_lock_for(wc, c[i].oblock);
		struct wc_entry *e = &wc->entries[c[i].block];
		u64 m;

		spin_lock_irqsave(lock, flags);
		m = e->meta;
		if (wm_state(m) == WS_CURRENT && e->oblock == c[i].oblock &&
		    wm_seq(m) == c[i].seq && !(wm_flags(m) & WF_HAS_OLD) &&
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
		wc_set_error(wc, r, "cache read for writeback");
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
		wc_set_error(wc, r, "origin write for writeback");
		goto unpin;
	}
	r = blkdev_issue_flush(wc->origin->bdev);
	if (r) {
		wc_set_error(wc, r, "origin flush for writeback");
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
		    !(wm_flags(m) & WF_HAS_OLD))
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

void wc_wb_work(struct work_struct *work)
{
	struct wcache *wc = container_of(work, struct wcache, wb_work);
	bool wrapped = false;

	mutex_lock(&wc->wb_lock);
	while (wc_wb_needed(wc)) {
		unsigned int n = wc_wb_select(wc);

		if (!n) {
			if (wrapped || !wc->wb_cursor)
				break;
			wrapped = true;
			continue;
		}
		wrapped = false;
		if (wc_wb_batch(wc, n))
			break;
		/*
		 * Make the freed slots durable so the blocks can be reused.
		 * Watermark writeback commits before its next decision, so it
		 * sees the cache's real use and stops at low_watermark; with
		 * writers waiting for space (or cleaner) the commit runs
		 * beside the next batch instead.
		 */
		if (atomic_read(&wc->free_waiters) || READ_ONCE(wc->a.cleaner))
			wc_queue_commit(wc);
		else if (wc_commit_sync(wc, false))
			break;
		cond_resched();
	}
	mutex_unlock(&wc->wb_lock);
}

/* Write back everything (blocking).  Used by the writeback message and
 * flush_on_suspend. */
int wc_writeback_all(struct wcache *wc)
{
	u64 dirty, old, freeing;
	unsigned int idle = 0;
	int r = 0;

	WRITE_ONCE(wc->wb_all, true);
	mutex_lock(&wc->wb_lock);
	for (;;) {
		unsigned int n;

		if (fatal_signal_pending(current)) {
			r = -EINTR;
			break;
		}
		r = wc_commit_sync(wc, false);
		if (r)
			break;
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
		if (r)
			break;
	}
	if (!r)
		r = wc_commit_sync(wc, false);
	mutex_unlock(&wc->wb_lock);
	WRITE_ONCE(wc->wb_all, false);
	return r;
}
