// SPDX-License-Identifier: GPL-2.0
/*
 * replay-log: read a dm-log-writes log and replay it onto a block device,
 * stopping at crash points to run a check command.
 *
 * Written from the log format documented with the kernel's dm-log-writes
 * target (Documentation/admin-guide/device-mapper/log-writes.rst):
 *
 *   log sector 0:  super  { le64 magic, le64 version, le64 nr_entries,
 *                           le32 sectorsize }
 *   then, from byte offset sectorsize, one record per entry:
 *     one sectorsize block holding the entry header
 *                  { le64 sector, le64 nr_sectors, le64 flags, le64 data_len }
 *     (followed, for a mark, by its name: data_len bytes),
 *     then nr_sectors * sectorsize bytes of data (none for discards, marks
 *     and empty flushes).
 *   sector and nr_sectors count sectorsize units of the logged device.
 *   Writes are logged once a FLUSH made them durable (or at once with FUA),
 *   so replaying a prefix that ends at a FLUSH/FUA entry gives a state the
 *   logged device could have been in after a power cut at that moment.
 *
 * usage:
 *   replay-log list LOG
 *       print every entry: index, byte offset, flags, sector, count, mark
 *   replay-log replay LOG DEV [options]
 *       apply the log to DEV (which must start with the content the logged
 *       device had when logging began, e.g. zeroes)
 *     --check flush|fua|all   crash points: entries with FLUSH or FUA
 *                             (flush, default), only FUA, or every entry
 *     --run CMD               at each crash point, after the prefix is on
 *                             DEV, run CMD with sh -c; environment:
 *                               REPLAY_ENTRY  index of the last applied entry
 *                               REPLAY_POINT  crash point number (0, 1, ...)
 *                               REPLAY_MARK   newest mark that is certain to
 *                                             describe durable data here (the
 *                                             last mark before the next
 *                                             FLUSH/FUA entry), "" if none
 *                               REPLAY_NEXT   index of the next FLUSH/FUA entry
 *                                             (or the entry count)
 *                               REPLAY_NEXT_OFFSET  log byte offset of the
 *                                             entry after REPLAY_ENTRY
 *                             a failing CMD stops the replay (exit 1)
 *     --sample N              check only every Nth crash point (default 1)
 *     --max-points N          stop after N checked points
 *     --seed S                with --sample: which point of each window of
 *                             N points is checked is random (seeded)
 *     --keep-going            count failures, do not stop
 *     --wcache OSECT:CSECT    instead of --run: the built-in dm-wcache check
 *                             (wccheck.h) on an image whose first OSECT
 *                             sectors are the origin and next CSECT the
 *                             cache; with --journal J (replay-stamp's),
 *                             --cow DEV (snapshot scratch), --work DIR (device
 *                             nodes), --blocks N, --subset PCT (apply each
 *                             entry between the point and the next FLUSH/FUA
 *                             with this probability), --drain-every N
 *     --ack-ahead N           self-test: use the mark N marks after the
 *                             right one (claims too much: checks must fail)
 *   replay-log apply LOG DEV --offset OFF --count N [--random P --seed S]
 *       apply N entries starting at log byte offset OFF; with --random P
 *       each entry is applied with probability P percent (a volatile write
 *       cache that lost some writes not covered by a flush)
 *
 * Exit status: 0 success, 1 a check failed, 2 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "wccheck.h"

#define LOG_MAGIC	0x6a736677736872ull
#define LOG_VERSION	1

#define LOG_FLUSH	(1u << 0)
#define LOG_FUA		(1u << 1)
#define LOG_DISCARD	(1u << 2)
#define LOG_MARK	(1u << 3)
#define LOG_META	(1u << 4)

#define MARK_MAX	64

struct entry {
	uint64_t off;		/* byte offset of the header in the log */
	uint64_t sector;	/* in sectorsize units */
	uint64_t nr;		/* in sectorsize units */
	uint32_t flags;
	char mark[MARK_MAX];
};

struct log {
	int fd;
	uint32_t ssize;
	uint64_t nr_entries;
	uint64_t size;		/* bytes */
	struct entry *e;
	uint64_t n;		/* entries indexed */
};

static int verbose;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "replay-log: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void *xalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 1))
		die("out of memory%s", "");
	return p;
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("log read failed: %s", r ? strerror(errno) : "short");
		done += r;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done,
				   off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("write to the replay device failed: %s",
			    r ? strerror(errno) : "short");
		done += r;
	}
}

static uint64_t dev_size(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		die("cannot size a device: %s", strerror(errno));
	return (uint64_t)end;
}

/* Open the log, check its super block and index every entry's header. */
static void log_open(struct log *l, const char *path)
{
	unsigned char *buf = xalloc(4096);
	uint64_t off, i, cap = 1024;

	memset(l, 0, sizeof(*l));
	l->fd = open(path, O_RDONLY);
	if (l->fd < 0)
		die("cannot open the log: %s", strerror(errno));
	l->size = dev_size(l->fd);
	pread_all(l->fd, buf, 512, 0);
	if (get64(buf) != LOG_MAGIC)
		die("%s: not a dm-log-writes log (bad magic)", path);
	if (get64(buf + 8) != LOG_VERSION)
		die("%s: unsupported log version", path);
	l->nr_entries = get64(buf + 16);
	l->ssize = get32(buf + 24);
	if (l->ssize < 512 || l->ssize > 4096 || (l->ssize & (l->ssize - 1)))
		die("%s: bad sector size in the log super block", path);

	l->e = calloc(cap, sizeof(*l->e));
	off = l->ssize;
	for (i = 0; i < l->nr_entries; i++) {
		struct entry *e;
		uint64_t dlen;

		if (off + l->ssize > l->size)
			die("%s: log ends inside an entry", path);
		if (l->n == cap) {
			cap *= 2;
			l->e = realloc(l->e, cap * sizeof(*l->e));
			if (!l->e)
				die("out of memory%s", "");
		}
		e = &l->e[l->n];
		memset(e, 0, sizeof(*e));
		pread_all(l->fd, buf, l->ssize, off);
		e->off = off;
		e->sector = get64(buf);
		e->nr = get64(buf + 8);
		e->flags = (uint32_t)get64(buf + 16);
		dlen = get64(buf + 24);
		if (e->flags & ~(LOG_FLUSH | LOG_FUA | LOG_DISCARD | LOG_MARK |
				 LOG_META))
			die("%s: entry with unknown flags (corrupt log?)", path);
		if (e->flags & LOG_MARK) {
			size_t n = dlen < MARK_MAX - 1 ? dlen : MARK_MAX - 1;

			if (dlen > l->ssize - 32)
				die("%s: mark longer than a sector", path);
			memcpy(e->mark, buf + 32, n);
			e->mark[n] = 0;
		}
		off += l->ssize;
		if (!(e->flags & (LOG_DISCARD | LOG_MARK)))
			off += e->nr * l->ssize;
		if (off > l->size)
			die("%s: entry data runs past the end of the log", path);
		l->n++;
	}
	free(buf);
}

static void flags_str(uint32_t f, char *s)
{
	s[0] = 0;
	if (f & LOG_FLUSH)
		strcat(s, "FLUSH|");
	if (f & LOG_FUA)
		strcat(s, "FUA|");
	if (f & LOG_DISCARD)
		strcat(s, "DISCARD|");
	if (f & LOG_MARK)
		strcat(s, "MARK|");
	if (f & LOG_META)
		strcat(s, "META|");
	if (s[0])
		s[strlen(s) - 1] = 0;
	else
		strcpy(s, "WRITE");
}

/* Apply one entry to the replay device. */
static void apply(struct log *l, const struct entry *e, int dev,
		  unsigned char **buf, size_t *bufsz, uint64_t devsize)
{
	uint64_t bytes = e->nr * l->ssize, pos = e->sector * l->ssize;

	if (e->flags & LOG_MARK || !e->nr)
		return;
	if (pos + bytes > devsize)
		die("entry writes past the end of the replay device%s", "");
	if (bytes > *bufsz) {
		free(*buf);
		*bufsz = bytes;
		*buf = xalloc(bytes);
	}
	if (e->flags & LOG_DISCARD)
		/* the logged device (brd, null_blk) reads zeroes after discard */
		memset(*buf, 0, bytes);
	else
		pread_all(l->fd, *buf, bytes, e->off + l->ssize);
	pwrite_all(dev, *buf, bytes, pos);
}

struct subset {
	struct log *l;
	uint64_t from, to;	/* entries [from, to) */
	unsigned int percent;
	unsigned int seed;
	uint64_t applied;
};

/* Apply each entry of [from, to) with a probability onto the device at PATH. */
static int apply_subset(void *arg, const char *path)
{
	struct subset *s = arg;
	int dev = open(path, O_RDWR | O_DIRECT);
	unsigned char *buf = NULL;
	size_t bufsz = 0;
	uint64_t i, size;

	if (dev < 0)
		return -1;
	size = dev_size(dev);
	srandom(s->seed);
	for (i = s->from; i < s->to; i++) {
		if ((unsigned int)(random() % 100) >= s->percent)
			continue;
		apply(s->l, &s->l->e[i], dev, &buf, &bufsz, size);
		s->applied++;
	}
	free(buf);
	if (fdatasync(dev)) {
		close(dev);
		return -1;
	}
	return close(dev);
}

static bool is_point(const struct entry *e, const char *check)
{
	if (!strcmp(check, "all"))
		return true;
	if (!strcmp(check, "fua"))
		return e->flags & LOG_FUA;
	return e->flags & (LOG_FLUSH | LOG_FUA);
}

static int cmd_list(struct log *l)
{
	char f[64];
	uint64_t i;

	printf("# sectorsize %u, %" PRIu64 " entries\n", l->ssize, l->n);
	for (i = 0; i < l->n; i++) {
		flags_str(l->e[i].flags, f);
		printf("%" PRIu64 " @%" PRIu64 " %s %" PRIu64 " +%" PRIu64 "%s%s\n",
		       i, l->e[i].off, f, l->e[i].sector, l->e[i].nr,
		       l->e[i].mark[0] ? " " : "", l->e[i].mark);
	}
	return 0;
}

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_DIRECT);

	if (fd < 0)
		die("cannot open the replay device: %s", strerror(errno));
	return fd;
}

static int cmd_replay(struct log *l, const char *devpath, const char *check,
		      const char *run, uint64_t sample, uint64_t max_points,
		      unsigned int seed, bool keep_going, struct wccfg *wc,
		      unsigned int ahead)
{
	int dev = open_dev(devpath);
	uint64_t devsize = dev_size(dev);
	unsigned char *buf = NULL;
	size_t bufsz = 0;
	uint64_t i, j, p, points = 0, checked = 0, failed = 0, phase = 0;
	char mark[MARK_MAX] = "";
	char val[64];

	srandom(seed);
	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		uint64_t next;
		const char *m;
		int rc;

		apply(l, e, dev, &buf, &bufsz, devsize);
		if (e->flags & LOG_MARK)
			strcpy(mark, e->mark);
		if (!is_point(e, check))
			continue;
		p = points++;
		if (sample > 1) {
			if (p % sample == 0)
				phase = random() % sample;
			if (p % sample != phase)
				continue;
		}
		/* marks logged before the next FLUSH/FUA describe data that
		 * the flushes up to here made durable */
		m = mark;
		for (next = i + 1; next < l->n; next++) {
			if (l->e[next].flags & (LOG_FLUSH | LOG_FUA))
				break;
			if (l->e[next].flags & LOG_MARK)
				m = l->e[next].mark;
		}
		if (ahead) {
			/* self-test: claim a later fsync as acknowledged */
			uint64_t k = next;
			unsigned int found = 0;

			for (; k < l->n && found < ahead; k++)
				if (l->e[k].flags & LOG_MARK) {
					m = l->e[k].mark;
					found++;
				}
		}
		if (!run && !wc)
			continue;
		if (fdatasync(dev))
			die("fdatasync on the replay device: %s", strerror(errno));
		snprintf(val, sizeof(val), "%" PRIu64, i);
		setenv("REPLAY_ENTRY", val, 1);
		snprintf(val, sizeof(val), "%" PRIu64, checked);
		setenv("REPLAY_POINT", val, 1);
		snprintf(val, sizeof(val), "%" PRIu64, next);
		setenv("REPLAY_NEXT", val, 1);
		snprintf(val, sizeof(val), "%" PRIu64,
			 i + 1 < l->n ? l->e[i + 1].off : l->size);
		setenv("REPLAY_NEXT_OFFSET", val, 1);
		setenv("REPLAY_MARK", m, 1);
		if (verbose)
			fprintf(stderr, "replay-log: point %" PRIu64
				" at entry %" PRIu64 " mark '%s'\n",
				checked, i, m);
		if (wc) {
			struct subset sub = { l, i + 1, next, wc->subset,
					      seed + (unsigned int)i, 0 };

			rc = wc_point(wc, devpath, checked,
				      strtoull(m[0] == 'g' ? m + 1 : "0", NULL, 10),
				      wc->subset && next > i + 1 ? apply_subset : NULL,
				      &sub);
		} else {
			rc = system(run);
		}
		checked++;
		if (rc) {
			failed++;
			fprintf(stderr, "replay-log: check failed at entry %"
				PRIu64 " (point %" PRIu64 ", mark '%s')\n",
				i, checked - 1, m);
			if (!keep_going)
				break;
		}
		if (max_points && checked >= max_points)
			break;
	}
	/* the remaining entries, so that a full run leaves the final image */
	for (j = i + 1; !failed && j < l->n && !(max_points &&
						   checked >= max_points); j++)
		apply(l, &l->e[j], dev, &buf, &bufsz, devsize);
	if (fdatasync(dev))
		die("fdatasync on the replay device: %s", strerror(errno));
	close(dev);
	free(buf);
	printf("replay: %" PRIu64 " entries, %" PRIu64 " crash points checked, %"
	       PRIu64 " failed", l->n, checked, failed);
	if (wc)
		printf(", %" PRIu64 " drained", wc->drains);
	printf("\n");
	return failed ? 1 : 0;
}

/* Apply entries from a byte offset on, each with a probability. */
static int cmd_apply(const char *logpath, const char *devpath, uint64_t off,
		     uint64_t count, unsigned int percent, unsigned int seed)
{
	struct log l;
	int dev = open_dev(devpath);
	uint64_t devsize = dev_size(dev), i, applied = 0;
	unsigned char *hdr = xalloc(4096), *buf = NULL;
	size_t bufsz = 0;

	/* read only the super block and the entries we need */
	memset(&l, 0, sizeof(l));
	l.fd = open(logpath, O_RDONLY);
	if (l.fd < 0)
		die("cannot open the log: %s", strerror(errno));
	l.size = dev_size(l.fd);
	pread_all(l.fd, hdr, 512, 0);
	if (get64(hdr) != LOG_MAGIC)
		die("%s: not a dm-log-writes log", logpath);
	l.ssize = get32(hdr + 24);
	if (l.ssize < 512 || l.ssize > 4096 || (l.ssize & (l.ssize - 1)))
		die("%s: bad sector size", logpath);
	srandom(seed);
	for (i = 0; i < count && off + l.ssize <= l.size; i++) {
		struct entry e;

		memset(&e, 0, sizeof(e));
		pread_all(l.fd, hdr, l.ssize, off);
		e.off = off;
		e.sector = get64(hdr);
		e.nr = get64(hdr + 8);
		e.flags = (uint32_t)get64(hdr + 16);
		off += l.ssize;
		if (!(e.flags & (LOG_DISCARD | LOG_MARK)))
			off += e.nr * l.ssize;
		if ((unsigned int)(random() % 100) >= percent)
			continue;
		apply(&l, &e, dev, &buf, &bufsz, devsize);
		applied++;
	}
	if (fdatasync(dev))
		die("fdatasync on the device: %s", strerror(errno));
	if (verbose)
		fprintf(stderr, "replay-log: applied %" PRIu64 " of %" PRIu64
			" entries\n", applied, i);
	close(dev);
	close(l.fd);
	free(hdr);
	free(buf);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: replay-log list LOG\n"
		"       replay-log replay LOG DEV [--check flush|fua|all] [--run CMD]\n"
		"                  [--sample N] [--max-points N] [--seed S] [--keep-going] [-v]\n"
		"                  [--wcache OSECT:CSECT --journal J --cow DEV [--work DIR]\n"
		"                   [--blocks N] [--subset PCT] [--drain-every N]]\n"
		"       replay-log apply LOG DEV --offset OFF --count N [--random PCT] [--seed S] [-v]\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	const char *check = "flush", *run = NULL;
	uint64_t sample = 1, max_points = 0, off = 0, count = 0;
	unsigned int seed = 1, percent = 100;
	bool keep_going = false;
	const char *pos[3] = { NULL, NULL, NULL };
	int npos = 0, i;
	struct log l;
	struct wccfg wcc = { .work = "/tmp", .blocks = 4096, .bs = 4096,
			     .drain = 10 };
	bool use_wc = false;
	unsigned int ahead = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			verbose = 1;
			continue;
		}
		if (!strcmp(a, "--keep-going")) {
			keep_going = true;
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			if (!v)
				usage();
			i++;
			if (!strcmp(a, "--check"))
				check = v;
			else if (!strcmp(a, "--run"))
				run = v;
			else if (!strcmp(a, "--sample"))
				sample = num(v);
			else if (!strcmp(a, "--max-points"))
				max_points = num(v);
			else if (!strcmp(a, "--seed"))
				seed = (unsigned int)num(v);
			else if (!strcmp(a, "--offset"))
				off = num(v);
			else if (!strcmp(a, "--count"))
				count = num(v);
			else if (!strcmp(a, "--random"))
				percent = (unsigned int)num(v);
			else if (!strcmp(a, "--wcache")) {
				char *c = strchr(v, ':');

				if (!c)
					usage();
				*c = 0;
				wcc.osect = num(v);
				wcc.csect = num(c + 1);
				use_wc = true;
			} else if (!strcmp(a, "--journal"))
				wcc.journal = v;
			else if (!strcmp(a, "--cow"))
				wcc.cow = v;
			else if (!strcmp(a, "--work"))
				wcc.work = v;
			else if (!strcmp(a, "--blocks"))
				wcc.blocks = num(v);
			else if (!strcmp(a, "--subset"))
				wcc.subset = (unsigned int)num(v);
			else if (!strcmp(a, "--ack-ahead"))
				ahead = (unsigned int)num(v);
			else if (!strcmp(a, "--drain-every"))
				wcc.drain = (unsigned int)num(v);
			else
				usage();
			continue;
		}
		if (npos == 3)
			usage();
		pos[npos++] = a;
	}
	if (!npos)
		usage();
	if (strcmp(check, "flush") && strcmp(check, "fua") && strcmp(check, "all"))
		usage();
	if (!strcmp(pos[0], "list") && npos == 2) {
		log_open(&l, pos[1]);
		return cmd_list(&l);
	}
	if (!strcmp(pos[0], "replay") && npos == 3) {
		log_open(&l, pos[1]);
		if (use_wc) {
			if (!wcc.journal || !wcc.cow || run)
				usage();
			wc_init();
		}
		return cmd_replay(&l, pos[2], check, run, sample ? sample : 1,
				  max_points, seed, keep_going,
				  use_wc ? &wcc : NULL, ahead);
	}
	if (!strcmp(pos[0], "apply") && npos == 3 && off)
		return cmd_apply(pos[1], pos[2], off, count, percent, seed);
	usage();
	return 2;
}
