// SPDX-License-Identifier: GPL-2.0
/*
 * hddmodel: an nbdkit plugin that serves a block device with the timing of a
 * single-actuator rotating disk.  Every request is charged
 *
 *   command overhead
 * + seek time     (0 on the same track, else settle + (full - settle) *
 *                  sqrt(tracks / max_tracks): a function of the distance
 *                  from the end of the previous request)
 * + rotational latency (from the platter's angular position when the head
 *                  arrives, or half a rotation on average with rotation=avg)
 * + transfer time (bytes / media rate)
 *
 * and requests are served one at a time on a virtual time line, in arrival
 * order (queue=fifo) or shortest-positioning-time-first among the queued ones
 * (queue=sptf, what a drive's NCQ does).  Data lives in memory (allocated on
 * first write, in 64 KiB chunks) or in file=.  See README.md here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

#define CHUNK_SHIFT 16
#define CHUNK_SIZE (1u << CHUNK_SHIFT)

/* Parameters (see README.md). */
static int64_t size = -1;          /* exported size, bytes */
static int64_t disk_size = -1;     /* whole-drive capacity (full stroke) */
static int64_t region_offset;      /* where the export sits on the drive */
static double rpm = 7200;
static double rate_mbs = 180;      /* media rate, MB/s (10^6) */
static double settle_ms = 1.0;     /* single-track seek (settle) */
static double full_ms = 16.0;      /* full-stroke seek */
static double overhead_us = 100;   /* controller overhead per command */
static double flush_ms;            /* cost of a FLUSH */
static bool rotation_model = true; /* false: rotation=avg */
static bool rotation_none;
static bool sptf;                  /* queue=sptf */
static double max_wait_ms = 1000;  /* sptf: serve anything older first */
static char *filename;
static char *statsfile;

/* Derived. */
static double rps, track_bytes, max_tracks, byte_ns;

/* Storage. */
static int fd = -1;
static unsigned char **chunks;
static uint64_t nchunks;

/* The actuator. */
struct req {
	uint64_t off;          /* absolute byte address on the drive */
	uint32_t len;
	int kind;              /* 0 read, 1 write, 2 flush */
	int64_t arrive;        /* ns */
	int64_t done;          /* ns, set when scheduled */
	bool scheduled;
	struct req *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct req *pending;
static bool busy;
static int64_t t0;                 /* time origin for the platter angle */
static uint64_t head = 0;          /* byte address under the head */
static int64_t head_time;          /* when the head got there (virtual) */

/* Statistics (under lock). */
static uint64_t st_req[3], st_bytes[3], st_seeks, st_seek_bytes;
static double st_seek_ns, st_rot_ns, st_xfer_ns, st_busy_ns;
static uint64_t st_sequential, st_maxq;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_double(const char *key, const char *value, double *out,
			double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || v < min || v > max) {
		nbdkit_error("%s=%s: expected a number in [%g, %g]", key, value,
			     min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int hdd_config(const char *key, const char *value)
{
	if (!strcmp(key, "size")) {
		size = nbdkit_parse_size(value);
		return size < 0 ? -1 : 0;
	}
	if (!strcmp(key, "disk_size")) {
		disk_size = nbdkit_parse_size(value);
		return disk_size < 0 ? -1 : 0;
	}
	if (!strcmp(key, "region_offset")) {
		region_offset = nbdkit_parse_size(value);
		return region_offset < 0 ? -1 : 0;
	}
	if (!strcmp(key, "file")) {
		free(filename);
		filename = nbdkit_absolute_path(value);
		return filename ? 0 : -1;
	}
	if (!strcmp(key, "stats")) {
		free(statsfile);
		statsfile = nbdkit_absolute_path(value);
		return statsfile ? 0 : -1;
	}
	if (!strcmp(key, "rpm"))
		return parse_double(key, value, &rpm, 1000, 20000);
	if (!strcmp(key, "rate"))
		return parse_double(key, value, &rate_mbs, 1, 100000);
	if (!strcmp(key, "settle_ms"))
		return parse_double(key, value, &settle_ms, 0, 100);
	if (!strcmp(key, "full_ms"))
		return parse_double(key, value, &full_ms, 0, 1000);
	if (!strcmp(key, "overhead_us"))
		return parse_double(key, value, &overhead_us, 0, 100000);
	if (!strcmp(key, "flush_ms"))
		return parse_double(key, value, &flush_ms, 0, 10000);
	if (!strcmp(key, "max_wait_ms"))
		return parse_double(key, value, &max_wait_ms, 0, 100000);
	if (!strcmp(key, "rotation")) {
		rotation_model = !strcmp(value, "model");
		rotation_none = !strcmp(value, "none");
		if (!rotation_model && !rotation_none && strcmp(value, "avg")) {
			nbdkit_error("rotation=%s: expected model, avg or none",
				     value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "queue")) {
		if (!strcmp(value, "sptf"))
			sptf = true;
		else if (!strcmp(value, "fifo"))
			sptf = false;
		else {
			nbdkit_error("queue=%s: expected fifo or sptf", value);
			return -1;
		}
		return 0;
	}
	nbdkit_error("unknown parameter '%s'", key);
	return -1;
}

static int hdd_config_complete(void)
{
	if (size < 0 && filename) {
		int f = open(filename, O_RDONLY | O_CLOEXEC);

		if (f >= 0) {
			size = lseek(f, 0, SEEK_END);
			close(f);
		}
	}
	if (size <= 0) {
		nbdkit_error("size= is required (or file= of a non-empty file)");
		return -1;
	}
	if (disk_size < 0)
		disk_size = (int64_t)1 << 40;
	if (disk_size < region_offset + size)
		disk_size = region_offset + size;
	if (full_ms < settle_ms) {
		nbdkit_error("full_ms must be >= settle_ms");
		return -1;
	}
	rps = rpm / 60.0;
	track_bytes = rate_mbs * 1e6 / rps;
	max_tracks = floor((double)disk_size / track_bytes);
	if (max_tracks < 1)
		max_tracks = 1;
	byte_ns = 1e9 / (rate_mbs * 1e6);
	return 0;
}

#define hdd_config_help \
	"size=SIZE          exported size (required unless file= exists)\n" \
	"file=PATH          keep the data in PATH (default: in memory)\n" \
	"disk_size=SIZE     whole drive, sets the full stroke (default 1T)\n" \
	"region_offset=SIZE where the export starts on the drive (0)\n" \
	"rpm=N              spindle speed (7200)\n" \
	"rate=MB/s          media transfer rate (180)\n" \
	"settle_ms=MS       track-to-track seek (1.0)\n" \
	"full_ms=MS         full-stroke seek (16)\n" \
	"overhead_us=US     command overhead per request (100)\n" \
	"flush_ms=MS        cost of a flush (0)\n" \
	"rotation=model|avg|none  rotational latency (model)\n" \
	"queue=fifo|sptf    service order of queued requests (fifo)\n" \
	"max_wait_ms=MS     sptf: oldest request first after this wait (1000)\n" \
	"stats=PATH         write statistics to PATH at exit"

static int hdd_get_ready(void)
{
	if (filename) {
		fd = open(filename, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			nbdkit_error("open %s: %m", filename);
			return -1;
		}
		if (ftruncate(fd, size) < 0) {
			nbdkit_error("truncate %s: %m", filename);
			return -1;
		}
	} else {
		nchunks = ((uint64_t)size + CHUNK_SIZE - 1) >> CHUNK_SHIFT;
		chunks = calloc(nchunks, sizeof(*chunks));
		if (!chunks) {
			nbdkit_error("calloc: %m");
			return -1;
		}
	}
	t0 = now_ns();
	head_time = t0;
	head = region_offset;
	return 0;
}

static void hdd_unload(void)
{
	if (statsfile) {
		FILE *f = fopen(statsfile, "w");

		if (f) {
			uint64_t n = st_req[0] + st_req[1];

			fprintf(f,
				"reads %" PRIu64 "\nwrites %" PRIu64
				"\nflushes %" PRIu64 "\nread_bytes %" PRIu64
				"\nwrite_bytes %" PRIu64 "\nseeks %" PRIu64
				"\nseek_bytes %" PRIu64
				"\nsequential %" PRIu64 "\nmax_queue %" PRIu64
				"\nseek_ms %.3f\nrotation_ms %.3f\ntransfer_ms %.3f"
				"\nbusy_ms %.3f\nmean_seek_bytes_per_req %.1f\n",
				st_req[0], st_req[1], st_req[2], st_bytes[0],
				st_bytes[1], st_seeks, st_seek_bytes,
				st_sequential, st_maxq, st_seek_ns / 1e6,
				st_rot_ns / 1e6, st_xfer_ns / 1e6,
				st_busy_ns / 1e6,
				n ? (double)st_seek_bytes / n : 0.0);
			fclose(f);
		}
	}
	if (chunks) {
		for (uint64_t i = 0; i < nchunks; i++)
			free(chunks[i]);
		free(chunks);
	}
	if (fd >= 0)
		close(fd);
	free(filename);
	free(statsfile);
}

static void *hdd_open(int readonly)
{
	static int h;

	(void)readonly;
	return &h;
}

static int64_t hdd_get_size(void *handle)
{
	(void)handle;
	return size;
}

static int hdd_is_rotational(void *handle)
{
	(void)handle;
	return 1;
}

static int hdd_can_flush(void *handle)
{
	(void)handle;
	return 1;
}

static int hdd_can_zero(void *handle)
{
	(void)handle;
	return 1;
}

static int hdd_can_fua(void *handle)
{
	(void)handle;
	return NBDKIT_FUA_NATIVE;
}

/* --- timing ------------------------------------------------------------ */

static double seek_ns(double tracks)
{
	if (tracks <= 0)
		return 0;
	return 1e6 * (settle_ms + (full_ms - settle_ms) *
				  sqrt(tracks / max_tracks));
}

/* Angle in [0,1) of the platter at time t, and of byte address b. */
static double angle_at(int64_t t)
{
	double r = (double)(t - t0) * 1e-9 * rps;

	return r - floor(r);
}

static double angle_of(uint64_t b)
{
	double r = (double)b / track_bytes;

	return r - floor(r);
}

/*
 * Positioning time (overhead + seek + rotation) of r if the actuator starts
 * on it at time start, with the head at the current position.
 */
static double position_ns(const struct req *r, int64_t start, double *seek,
			  double *rot)
{
	double s = 0, w = 0, ov = overhead_us * 1e3;

	*seek = *rot = 0;
	if (r->kind == 2)
		return flush_ms * 1e6;
	if (r->off == head) {
		/* Continues the previous transfer: the track buffer / write
		 * cache streams it, no seek and no lost revolution. */
		return ov;
	}
	s = seek_ns(fabs(floor((double)r->off / track_bytes) -
			 floor((double)head / track_bytes)));
	if (rotation_none)
		w = 0;
	else if (!rotation_model)
		w = 0.5e9 / rps;
	else {
		double a = angle_at(start + (int64_t)(ov + s));
		double d = angle_of(r->off) - a;

		if (d < 0)
			d += 1;
		w = d * 1e9 / rps;
	}
	*seek = s;
	*rot = w;
	return ov + s + w;
}

/* Pick and schedule the next request at virtual time t (under lock). */
static void schedule_next(int64_t t)
{
	struct req *best = NULL, **bestp = NULL, **pp;
	double best_pos = 0, seek = 0, rot = 0, s, w;
	uint64_t q = 0;
	int64_t now = now_ns();

	for (pp = &pending; *pp; pp = &(*pp)->next) {
		struct req *r = *pp;
		int64_t start = t > r->arrive ? t : r->arrive;
		double p;

		q++;
		if (!sptf) {
			/* list is in arrival order */
			if (!best) {
				best = r;
				bestp = pp;
				best_pos = position_ns(r, start, &seek, &rot);
			}
			continue;
		}
		p = position_ns(r, start, &s, &w);
		if (now - r->arrive > (int64_t)(max_wait_ms * 1e6)) {
			/* starving: oldest first (the list is in arrival
			 * order, so the first starving one is the oldest) */
			best = r;
			bestp = pp;
			best_pos = p;
			seek = s;
			rot = w;
			break;
		}
		if (!best || p < best_pos) {
			best = r;
			bestp = pp;
			best_pos = p;
			seek = s;
			rot = w;
		}
	}
	if (q > st_maxq)
		st_maxq = q;
	if (!best) {
		busy = false;
		return;
	}
	*bestp = best->next;
	{
		int64_t start = t > best->arrive ? t : best->arrive;
		double xfer = best->kind == 2 ? 0 : best->len * byte_ns;
		double dist;

		best->done = start + (int64_t)(best_pos + xfer);
		best->scheduled = true;
		busy = true;
		st_req[best->kind]++;
		st_bytes[best->kind] += best->len;
		if (best->kind != 2) {
			dist = fabs((double)best->off - (double)head);
			if (best->off == head)
				st_sequential++;
			else
				st_seeks++;
			st_seek_bytes += (uint64_t)dist;
			head = best->off + best->len;
			head_time = best->done;
		}
		st_seek_ns += seek;
		st_rot_ns += rot;
		st_xfer_ns += xfer;
		st_busy_ns += best->done - start;
	}
}

/* Queue a request, wait until the actuator has served it. */
static void actuate(uint64_t off, uint32_t len, int kind)
{
	struct req r = {
		.off = off + region_offset, .len = len, .kind = kind,
		.arrive = now_ns(),
	};
	struct req **pp;
	struct timespec ts;

	pthread_mutex_lock(&lock);
	for (pp = &pending; *pp; pp = &(*pp)->next)
		;
	*pp = &r;
	if (!busy)
		schedule_next(r.arrive);
	while (!r.scheduled)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	ts.tv_sec = r.done / 1000000000;
	ts.tv_nsec = r.done % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;

	pthread_mutex_lock(&lock);
	/* The actuator is free from r.done on (virtual time, so that late
	 * wake-ups do not add up). */
	schedule_next(r.done);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* --- data -------------------------------------------------------------- */

static pthread_mutex_t data_lock = PTHREAD_MUTEX_INITIALIZER;

static int mem_rw(void *buf, const void *wbuf, uint32_t count, uint64_t off)
{
	pthread_mutex_lock(&data_lock);
	while (count) {
		uint64_t c = off >> CHUNK_SHIFT;
		uint32_t o = off & (CHUNK_SIZE - 1);
		uint32_t n = CHUNK_SIZE - o < count ? CHUNK_SIZE - o : count;

		if (buf) {
			if (chunks[c])
				memcpy(buf, chunks[c] + o, n);
			else
				memset(buf, 0, n);
			buf = (char *)buf + n;
		} else {
			if (!chunks[c]) {
				if (!wbuf) /* zeroing an absent chunk */
					goto next;
				chunks[c] = calloc(1, CHUNK_SIZE);
				if (!chunks[c]) {
					pthread_mutex_unlock(&data_lock);
					nbdkit_error("out of memory");
					nbdkit_set_error(ENOMEM);
					return -1;
				}
			}
			if (wbuf)
				memcpy(chunks[c] + o, wbuf, n);
			else
				memset(chunks[c] + o, 0, n);
		}
next:
		if (wbuf)
			wbuf = (const char *)wbuf + n;
		off += n;
		count -= n;
	}
	pthread_mutex_unlock(&data_lock);
	return 0;
}

static int file_rw(void *buf, const void *wbuf, uint32_t count, uint64_t off)
{
	static const char zero[4096];

	while (count) {
		ssize_t r;

		if (buf)
			r = pread(fd, buf, count, off);
		else
			r = pwrite(fd, wbuf ? wbuf : zero,
				   wbuf || count < sizeof(zero) ? count :
				   sizeof(zero), off);
		if (r <= 0) {
			nbdkit_error("%s: %m", buf ? "pread" : "pwrite");
			nbdkit_set_error(r < 0 ? errno : EIO);
			return -1;
		}
		if (buf)
			buf = (char *)buf + r;
		if (wbuf)
			wbuf = (const char *)wbuf + r;
		off += r;
		count -= r;
	}
	return 0;
}

static int data_rw(void *buf, const void *wbuf, uint32_t count, uint64_t off)
{
	return fd >= 0 ? file_rw(buf, wbuf, count, off) :
			 mem_rw(buf, wbuf, count, off);
}

static int hdd_pread(void *handle, void *buf, uint32_t count, uint64_t offset,
		     uint32_t flags)
{
	(void)handle;
	(void)flags;
	actuate(offset, count, 0);
	return data_rw(buf, NULL, count, offset);
}

static int hdd_pwrite(void *handle, const void *buf, uint32_t count,
		      uint64_t offset, uint32_t flags)
{
	(void)handle;
	(void)flags;
	/* No volatile write cache is modelled: a write is durable when it
	 * completes, so FUA costs nothing extra. */
	if (data_rw(NULL, buf, count, offset) < 0)
		return -1;
	actuate(offset, count, 1);
	return 0;
}

static int hdd_zero(void *handle, uint32_t count, uint64_t offset,
		    uint32_t flags)
{
	(void)handle;
	(void)flags;
	if (data_rw(NULL, NULL, count, offset) < 0)
		return -1;
	actuate(offset, count, 1);
	return 0;
}

static int hdd_flush(void *handle, uint32_t flags)
{
	(void)handle;
	(void)flags;
	actuate(0, 0, 2);
	return 0;
}

static struct nbdkit_plugin plugin = {
	.name = "hddmodel",
	.version = "1.0",
	.longname = "single-actuator rotating disk model",
	.description = "delays requests by seek, rotation and transfer time",
	.config = hdd_config,
	.config_complete = hdd_config_complete,
	.config_help = hdd_config_help,
	.magic_config_key = "size",
	.get_ready = hdd_get_ready,
	.unload = hdd_unload,
	.open = hdd_open,
	.get_size = hdd_get_size,
	.is_rotational = hdd_is_rotational,
	.can_flush = hdd_can_flush,
	.can_zero = hdd_can_zero,
	.can_fua = hdd_can_fua,
	.pread = hdd_pread,
	.pwrite = hdd_pwrite,
	.zero = hdd_zero,
	.flush = hdd_flush,
	.errno_is_preserved = 1,
};

NBDKIT_REGISTER_PLUGIN(plugin)
