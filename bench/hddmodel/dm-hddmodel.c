// SPDX-License-Identifier: GPL-2.0
/*
 * dm-hddmodel: a benchmark-only device-mapper target that gives a fast
 * device (a RAM disk) the timing of a single-actuator rotating disk.
 *
 * Each bio is charged command overhead + seek (0 on the same track, else
 * settle + (full - settle) * sqrt(tracks / max_tracks), from the end of the
 * previous request) + rotational latency (from the platter's angular
 * position when the head arrives) + transfer (bytes / media rate).  One
 * kernel thread is the actuator: it serves one bio at a time, in arrival
 * order (fifo) or shortest positioning time first (sptf, like NCQ), on a
 * virtual time line so that late wake-ups do not add up.  The data of a
 * bio moves as soon as it arrives (a clone to the backing device, submitted
 * from an unbound workqueue so that copies run on every CPU), and the bio
 * completes once its copy is done and its service time has elapsed: the
 * copy runs inside the modelled time instead of after it, so the speed of
 * an emulated CPU's memcpy does not add to the disk's.
 *
 * Table: hddmodel <dev> [key=value]...   (skip_sectors=N: start on <dev>)
 *   rpm=7200 rate_kbs=180000 settle_us=1000 full_us=16000 overhead_us=100
 *   disk_gb=1000 (whole drive: sets the full stroke) offset_gb=0
 *   queue=fifo|sptf rotation=model|avg|none flush_us=0 max_wait_ms=1000
 *   ncq_depth=32 (sptf: how many of the oldest queued requests the drive
 *   sees and chooses from, like NCQ's 32 tags)
 * Status: counters (see README.md).  Message: clear_stats.
 *
 * Not part of the product: lives under bench/, used by benchmarks only.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/kthread.h>
#include <linux/hrtimer.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>
#include <linux/completion.h>

#define DM_MSG_PREFIX "hddmodel"

struct hdd_io {
	struct list_head list;
	u64 arrive;		/* ns */
	struct bio *clone;	/* carries the data to the backing device */
	struct work_struct work;
	struct completion copied;
	blk_status_t status;
};

struct hdd {
	struct dm_dev *dev;
	struct task_struct *thread;
	spinlock_t lock;
	struct list_head queue;	/* arrival order */
	unsigned int queued;
	wait_queue_head_t wait;

	/* parameters */
	u64 period_ns;		/* one revolution */
	u64 track_bytes;
	u64 max_tracks;
	u64 rate_kbs;
	u64 settle_ns, full_ns, overhead_ns, flush_ns, max_wait_ns;
	u64 ncq_depth;
	u64 offset_bytes;
	sector_t skip;		/* start on the backing device */
	bool sptf;
	int rotation;		/* 0 model, 1 avg, 2 none */

	/* actuator state (thread only) */
	u64 t0;
	u64 busy_until;
	u64 head;		/* byte address under the head */

	/* statistics (thread writes, status reads) */
	spinlock_t stat_lock;
	u64 st_reads, st_writes, st_flushes, st_read_bytes, st_write_bytes;
	u64 st_seeks, st_sequential, st_seek_bytes, st_seek_tracks;
	u64 st_seek_ns, st_rot_ns, st_xfer_ns, st_busy_ns, st_late_ns;
	u64 st_idle;		/* requests that found the actuator idle */
	u64 st_backward;	/* requests that start behind the head */
	unsigned int st_max_queue;

	struct bio_set bs;	/* clones that carry the data */
	struct workqueue_struct *copy_wq;
};

static u64 now_ns(void)
{
	return ktime_get_ns();
}

static u64 seek_ns(struct hdd *h, u64 tracks)
{
	u64 frac;

	if (!tracks)
		return 0;
	if (tracks > h->max_tracks)
		tracks = h->max_tracks;
	/* sqrt(tracks / max) in 16.16 fixed point */
	frac = int_sqrt64(div64_u64(tracks << 32, h->max_tracks));
	return h->settle_ns + (((h->full_ns - h->settle_ns) * frac) >> 16);
}

static u64 position_ns(struct hdd *h, struct bio *bio, u64 start, u64 *seek,
		       u64 *rot)
{
	u64 pos, s, w, arrive, angle, target;
	u64 cur_track, new_track;

	*seek = 0;
	*rot = 0;
	if (!bio_sectors(bio))
		return h->flush_ns;
	pos = h->offset_bytes + ((u64)bio->bi_iter.bi_sector << SECTOR_SHIFT);
	if (pos == h->head)
		return h->overhead_ns;	/* streaming: track buffer / cache */
	cur_track = div64_u64(h->head, h->track_bytes);
	new_track = div64_u64(pos, h->track_bytes);
	s = seek_ns(h, cur_track > new_track ? cur_track - new_track :
					       new_track - cur_track);
	switch (h->rotation) {
	case 2:
		w = 0;
		break;
	case 1:
		w = h->period_ns / 2;
		break;
	default:
		arrive = start + h->overhead_ns + s;
		div64_u64_rem(arrive - h->t0, h->period_ns, &angle);
		div64_u64_rem(pos, h->track_bytes, &target);
		target = div64_u64(target * h->period_ns, h->track_bytes);
		w = target >= angle ? target - angle :
				      target + h->period_ns - angle;
		break;
	}
	*seek = s;
	*rot = w;
	return h->overhead_ns + s + w;
}

/* Pick the next bio (under h->lock).  Returns NULL when the queue is empty. */
static struct bio *pick(struct hdd *h, u64 t, u64 *svc, u64 *startp,
			u64 *seekp, u64 *rotp, bool *idle)
{
	struct hdd_io *io, *best = NULL;
	struct bio *bio, *best_bio = NULL;
	u64 best_pos = 0, s, w, p, start, now = now_ns(), seen = 0;

	if (h->queued > h->st_max_queue)
		h->st_max_queue = h->queued;
	list_for_each_entry(io, &h->queue, list) {
		bio = dm_bio_from_per_bio_data(io, sizeof(*io));
		start = max(t, io->arrive);
		p = position_ns(h, bio, start, &s, &w);
		if (!best || (h->sptf && p < best_pos)) {
			best = io;
			best_bio = bio;
			best_pos = p;
			*seekp = s;
			*rotp = w;
			*startp = start;
		}
		if (!h->sptf || ++seen >= h->ncq_depth)
			break;
		if (now - io->arrive > h->max_wait_ns) {
			/* starving: the oldest waiting one goes first */
			best = io;
			best_bio = bio;
			best_pos = p;
			*seekp = s;
			*rotp = w;
			*startp = start;
			break;
		}
	}
	if (!best)
		return NULL;
	list_del(&best->list);
	h->queued--;
	*svc = best_pos;
	*idle = best->arrive > t;
	return best_bio;
}

static int hdd_thread(void *data)
{
	struct hdd *h = data;

	while (!kthread_should_stop()) {
		struct bio *bio;
		u64 svc = 0, start = 0, seek = 0, rot = 0, xfer = 0, done, len;
		blk_status_t status;
		bool idle = false;
		struct hdd_io *io;
		ktime_t kt;

		spin_lock_irq(&h->lock);
		bio = pick(h, h->busy_until, &svc, &start, &seek, &rot, &idle);
		spin_unlock_irq(&h->lock);
		if (!bio) {
			wait_event_interruptible(h->wait,
				kthread_should_stop() ||
				!list_empty_careful(&h->queue));
			continue;
		}
		len = bio->bi_iter.bi_size;
		if (len)
			xfer = div64_u64(len * 1000000ULL, h->rate_kbs);
		done = start + svc + xfer;
		h->busy_until = done;

		spin_lock(&h->stat_lock);
		if (!len) {
			h->st_flushes++;
		} else {
			u64 pos = h->offset_bytes +
				  ((u64)bio->bi_iter.bi_sector << SECTOR_SHIFT);
			u64 d = pos > h->head ? pos - h->head : h->head - pos;

			if (op_is_write(bio_op(bio))) {
				h->st_writes++;
				h->st_write_bytes += len;
			} else {
				h->st_reads++;
				h->st_read_bytes += len;
			}
			if (pos < h->head)
				h->st_backward++;
			if (d)
				h->st_seeks++;
			else
				h->st_sequential++;
			h->st_seek_bytes += d;
			h->st_seek_tracks += div64_u64(d, h->track_bytes);
			h->head = pos + len;
		}
		h->st_seek_ns += seek;
		h->st_rot_ns += rot;
		h->st_xfer_ns += xfer;
		h->st_busy_ns += done - start;
		h->st_idle += idle;
		spin_unlock(&h->stat_lock);

		/* the data moved on arrival; the bio completes at 'done' */
		io = dm_per_bio_data(bio, sizeof(*io));
		wait_for_completion(&io->copied);
		status = io->status;

		if (done > now_ns()) {
			kt = ns_to_ktime(done);
			set_current_state(TASK_UNINTERRUPTIBLE);
			schedule_hrtimeout_range(&kt, 0, HRTIMER_MODE_ABS);
		}
		{
			u64 n = now_ns();

			if (n > done) {
				spin_lock(&h->stat_lock);
				h->st_late_ns += n - done;
				spin_unlock(&h->stat_lock);
			}
		}
		bio->bi_status = status;
		bio_endio(bio);
	}
	return 0;
}

static void hdd_copy(struct work_struct *work)
{
	struct hdd_io *io = container_of(work, struct hdd_io, work);

	submit_bio_wait(io->clone);
	io->status = io->clone->bi_status;
	bio_put(io->clone);
	complete(&io->copied);
}

static int hdd_map(struct dm_target *ti, struct bio *bio)
{
	struct hdd *h = ti->private;
	struct hdd_io *io = dm_per_bio_data(bio, sizeof(*io));
	unsigned long flags;

	bio_set_dev(bio, h->dev->bdev);
	if (bio_sectors(bio) || op_is_flush(bio->bi_opf))
		bio->bi_iter.bi_sector = h->skip +
			dm_target_offset(ti, bio->bi_iter.bi_sector);
	/* the clone is backed by the bio_set's mempool: it cannot fail */
	io->clone = bio_alloc_clone(h->dev->bdev, bio, GFP_NOIO, &h->bs);
	init_completion(&io->copied);
	INIT_WORK(&io->work, hdd_copy);
	queue_work(h->copy_wq, &io->work);
	io->arrive = now_ns();
	spin_lock_irqsave(&h->lock, flags);
	list_add_tail(&io->list, &h->queue);
	h->queued++;
	spin_unlock_irqrestore(&h->lock, flags);
	wake_up(&h->wait);
	return DM_MAPIO_SUBMITTED;
}

static int parse_u64(const char *arg, const char *key, u64 *v)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) || arg[n] != '=')
		return 0;
	return kstrtoull(arg + n + 1, 10, v) ? -EINVAL : 1;
}

static int hdd_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct hdd *h;
	u64 rpm = 7200, rate_kbs = 180000, settle_us = 1000, full_us = 16000;
	u64 overhead_us = 100, disk_gb = 1000, offset_gb = 0, flush_us = 0;
	u64 max_wait_ms = 1000, skip = 0, ncq_depth = 32;
	unsigned int i;
	int r;

	if (argc < 1) {
		ti->error = "usage: hddmodel <dev> [key=value]...";
		return -EINVAL;
	}
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		ti->error = "out of memory";
		return -ENOMEM;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "queue=fifo")) {
			h->sptf = false;
			continue;
		}
		if (!strcmp(a, "queue=sptf")) {
			h->sptf = true;
			continue;
		}
		if (!strcmp(a, "rotation=model")) {
			h->rotation = 0;
			continue;
		}
		if (!strcmp(a, "rotation=avg")) {
			h->rotation = 1;
			continue;
		}
		if (!strcmp(a, "rotation=none")) {
			h->rotation = 2;
			continue;
		}
		r = parse_u64(a, "rpm", &rpm);
		if (!r)
			r = parse_u64(a, "rate_kbs", &rate_kbs);
		if (!r)
			r = parse_u64(a, "settle_us", &settle_us);
		if (!r)
			r = parse_u64(a, "full_us", &full_us);
		if (!r)
			r = parse_u64(a, "overhead_us", &overhead_us);
		if (!r)
			r = parse_u64(a, "disk_gb", &disk_gb);
		if (!r)
			r = parse_u64(a, "offset_gb", &offset_gb);
		if (!r)
			r = parse_u64(a, "flush_us", &flush_us);
		if (!r)
			r = parse_u64(a, "max_wait_ms", &max_wait_ms);
		if (!r)
			r = parse_u64(a, "ncq_depth", &ncq_depth);
		if (!r)
			r = parse_u64(a, "skip_sectors", &skip);
		if (r != 1) {
			ti->error = "bad or unknown parameter";
			kfree(h);
			return -EINVAL;
		}
	}
	if (rpm < 1000 || rpm > 20000 || rate_kbs < 1000 || full_us < settle_us ||
	    !disk_gb || full_us > 1000000 || !ncq_depth || ncq_depth > 4096) {
		ti->error = "parameter out of range";
		kfree(h);
		return -EINVAL;
	}
	h->period_ns = div64_u64(60ULL * NSEC_PER_SEC, rpm);
	h->rate_kbs = rate_kbs;
	h->track_bytes = div64_u64(rate_kbs * 1000ULL * h->period_ns,
				   NSEC_PER_SEC);
	h->max_tracks = div64_u64(disk_gb * 1000000000ULL, h->track_bytes);
	if (!h->max_tracks)
		h->max_tracks = 1;
	h->settle_ns = settle_us * 1000;
	h->full_ns = full_us * 1000;
	h->overhead_ns = overhead_us * 1000;
	h->flush_ns = flush_us * 1000;
	h->max_wait_ns = max_wait_ms * 1000000;
	h->ncq_depth = ncq_depth;
	h->offset_bytes = offset_gb * 1000000000ULL;
	h->head = h->offset_bytes;
	h->skip = skip;
	h->t0 = now_ns();
	h->busy_until = h->t0;
	spin_lock_init(&h->lock);
	spin_lock_init(&h->stat_lock);
	INIT_LIST_HEAD(&h->queue);
	init_waitqueue_head(&h->wait);

	r = bioset_init(&h->bs, 64, 0, 0);
	if (r) {
		ti->error = "cannot allocate bioset";
		goto bad_bs;
	}
	h->copy_wq = alloc_workqueue("hddmodel_copy",
				     WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!h->copy_wq) {
		ti->error = "cannot allocate workqueue";
		r = -ENOMEM;
		goto bad_wq;
	}
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &h->dev);
	if (r) {
		ti->error = "cannot open device";
		goto bad_dev;
	}
	h->thread = kthread_run(hdd_thread, h, "hddmodel");
	if (IS_ERR(h->thread)) {
		r = PTR_ERR(h->thread);
		ti->error = "cannot start thread";
		goto bad_thread;
	}
	ti->num_flush_bios = 1;
	ti->per_io_data_size = sizeof(struct hdd_io);
	ti->private = h;
	return 0;

bad_thread:
	dm_put_device(ti, h->dev);
bad_dev:
	destroy_workqueue(h->copy_wq);
bad_wq:
	bioset_exit(&h->bs);
bad_bs:
	kfree(h);
	return r;
}

static void hdd_dtr(struct dm_target *ti)
{
	struct hdd *h = ti->private;

	kthread_stop(h->thread);
	destroy_workqueue(h->copy_wq);
	dm_put_device(ti, h->dev);
	bioset_exit(&h->bs);
	kfree(h);
}

static void hdd_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct hdd *h = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock(&h->stat_lock);
		DMEMIT("reads %llu writes %llu flushes %llu read_bytes %llu write_bytes %llu seeks %llu sequential %llu seek_bytes %llu seek_tracks %llu seek_us %llu rotation_us %llu transfer_us %llu busy_us %llu late_us %llu max_queue %u idle %llu backward %llu",
		       h->st_reads, h->st_writes, h->st_flushes,
		       h->st_read_bytes, h->st_write_bytes, h->st_seeks,
		       h->st_sequential, h->st_seek_bytes, h->st_seek_tracks,
		       div_u64(h->st_seek_ns, 1000),
		       div_u64(h->st_rot_ns, 1000),
		       div_u64(h->st_xfer_ns, 1000),
		       div_u64(h->st_busy_ns, 1000),
		       div_u64(h->st_late_ns, 1000), h->st_max_queue,
		       h->st_idle, h->st_backward);
		spin_unlock(&h->stat_lock);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s rpm=%llu rate_kbs=%llu settle_us=%llu full_us=%llu overhead_us=%llu disk_gb=%llu offset_gb=%llu queue=%s rotation=%s flush_us=%llu max_wait_ms=%llu ncq_depth=%llu skip_sectors=%llu",
		       h->dev->name, div64_u64(60ULL * NSEC_PER_SEC, h->period_ns),
		       h->rate_kbs, div_u64(h->settle_ns, 1000),
		       div_u64(h->full_ns, 1000), div_u64(h->overhead_ns, 1000),
		       div64_u64(h->max_tracks * h->track_bytes + 999999999ULL,
				 1000000000ULL),
		       div64_u64(h->offset_bytes, 1000000000ULL),
		       h->sptf ? "sptf" : "fifo",
		       h->rotation == 0 ? "model" :
		       h->rotation == 1 ? "avg" : "none",
		       div_u64(h->flush_ns, 1000),
		       div_u64(h->max_wait_ns, 1000000), h->ncq_depth,
		       (unsigned long long)h->skip);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int hdd_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct hdd *h = ti->private;

	if (argc == 1 && !strcmp(argv[0], "clear_stats")) {
		spin_lock(&h->stat_lock);
		h->st_reads = h->st_writes = h->st_flushes = 0;
		h->st_read_bytes = h->st_write_bytes = 0;
		h->st_seeks = h->st_sequential = h->st_seek_bytes = 0;
		h->st_seek_tracks = 0;
		h->st_seek_ns = h->st_rot_ns = h->st_xfer_ns = 0;
		h->st_busy_ns = h->st_late_ns = 0;
		h->st_max_queue = 0;
		h->st_idle = h->st_backward = 0;
		spin_unlock(&h->stat_lock);
		return 0;
	}
	DMWARN("unknown message");
	return -EINVAL;
}

static int hdd_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct hdd *h = ti->private;

	return fn(ti, h->dev, h->skip, ti->len, data);
}

static struct target_type hdd_target = {
	.name = "hddmodel",
	.version = {1, 1, 0},
	.module = THIS_MODULE,
	.ctr = hdd_ctr,
	.dtr = hdd_dtr,
	.map = hdd_map,
	.status = hdd_status,
	.message = hdd_message,
	.iterate_devices = hdd_iterate_devices,
};

static int __init hdd_init(void)
{
	return dm_register_target(&hdd_target);
}

static void __exit hdd_exit(void)
{
	dm_unregister_target(&hdd_target);
}

module_init(hdd_init);
module_exit(hdd_exit);
MODULE_DESCRIPTION("device-mapper HDD timing model (benchmarks only)");
MODULE_LICENSE("GPL");
