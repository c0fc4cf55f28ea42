// SPDX-License-Identifier: GPL-2.0
/*
 * replay-stamp: stamped-block workload and checker for the crash-replay
 * tests (tests/vm/crash-replay.bats).
 *
 * Every 4 KiB block written holds a stamp: magic, origin block number (lba),
 * generation (the number of the write operation, 1, 2, ...), a payload that
 * is a pure function of (lba, generation), and a CRC-32C of all that.  The
 * checker therefore recognises exactly the blocks the workload wrote; any
 * other non-zero content is garbage.
 *
 *   replay-stamp write DEV JOURNAL [options]
 *       write random extents of stamped blocks with O_DIRECT; after every
 *       completed fsync send "mark g<GEN>" to the dm-log-writes device
 *       --mark-dev NAME (GEN = last write covered by that fsync) so that the
 *       log records which generations were acknowledged.  JOURNAL gets one
 *       line "w GEN LBA NBLOCKS" before each write and "f GEN" after each
 *       completed fsync, each flushed at once (a journal on a host-shared
 *       directory survives a VM power cut).
 *     --blocks N       address space in 4 KiB blocks (default 4096)
 *     --ops N          write operations (default 1000)
 *     --fsync-every N  fsync after 1..2N-1 writes, random (default 4)
 *     --max-len N      blocks per write, 1..N (default 4)
 *     --hot PCT        share of writes going to the first eighth of the
 *                      address space (overwrites; default 50)
 *     --seed S
 *     --mark-dev NAME  dm device taking "mark" messages (dm-log-writes)
 *     --append         DEV holds what JOURNAL lists (an earlier run, cut
 *                      short): go on from its last generation, appending;
 *                      a line "r GEN" tells the checker that the cut run's
 *                      writes after its last fsync were never acknowledged
 *   replay-stamp check DEV JOURNAL --acked GEN [--blocks N]
 *       every block must hold zeroes (never acknowledged) or a stamp the
 *       workload wrote to that lba, with a generation at least the newest
 *       one acknowledged by the fsync recorded as g<GEN>; GEN 0 = none.
 *       Prints a summary; exit 1 on any bad block.  --eio-ok: blocks that
 *       fail with EIO are counted, not bad.
 *   replay-stamp acked JOURNAL
 *       print the generation the last completed fsync acknowledged
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
#include <libdevmapper.h>

#include "stamp.h"

static int dm_mark(const char *name, uint64_t gen)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "mark g%" PRIu64, gen);
	return dmt_simple(DM_DEVICE_TARGET_MSG, name, msg, NULL, 0);
}

/*
 * --append: the device already holds the stamps JOURNAL lists (a run cut
 * short by a power cut).  Drop a torn last line (its write was never
 * issued: each line is flushed before its write) and return the last
 * generation, so that the new run goes on from the next one.
 */
static uint64_t journal_resume(const char *journal)
{
	char line[128];
	uint64_t g, l, last = 0;
	unsigned int n;
	off_t good = 0;
	FILE *j = fopen(journal, "r");

	if (!j)
		stamp_die("open journal");
	while (fgets(line, sizeof(line), j)) {
		if (!strchr(line, '\n'))
			break;
		if (sscanf(line, "w %" SCNu64 " %" SCNu64 " %u", &g, &l, &n) == 3)
			last = g;
		good = ftello(j);
	}
	fclose(j);
	if (truncate(journal, good))
		stamp_die("truncate journal");
	return last;
}

static int do_write(const char *dev, const char *journal, uint64_t blocks,
		    uint64_t ops, unsigned int every, unsigned int max_len,
		    unsigned int hot, unsigned int seed, const char *mark_dev,
		    bool append)
{
	unsigned char *buf;
	FILE *j;
	int fd;
	uint64_t gen, first = 1, fsyncs = 0, next_sync;

	if (posix_memalign((void **)&buf, BS, (size_t)BS * max_len))
		stamp_die("memory");
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		stamp_die("open device");
	if (append)
		first = journal_resume(journal) + 1;
	j = fopen(journal, append ? "a" : "w");
	if (!j)
		stamp_die("open journal");
	/* the checker: writes of the cut run after its last fsync never
	 * became acknowledged, whatever later fsyncs say */
	if (append && first > 1 && (fprintf(j, "r %" PRIu64 "\n", first) < 0 ||
				    fflush(j)))
		stamp_die("journal");
	srandom(seed);
	next_sync = 1 + random() % (2 * every - 1);
	for (gen = first; gen < first + ops; gen++) {
		uint64_t span = (unsigned int)(random() % 100) < hot ?
				(blocks / 8 ? blocks / 8 : blocks) : blocks;
		uint64_t lba = random() % span;
		uint32_t n = 1 + random() % max_len, i;

		if (lba + n > blocks)
			n = blocks - lba;
		for (i = 0; i < n; i++)
			make_stamp(buf + (size_t)i * BS, lba + i, gen);
		/* journal first: after a power cut the journal must know
		 * every generation that can be on the disk */
		fprintf(j, "w %" PRIu64 " %" PRIu64 " %u\n", gen, lba, n);
		if (fflush(j))
			stamp_die("journal");
		if (pwrite(fd, buf, (size_t)n * BS, lba * BS) != (ssize_t)n * BS)
			stamp_die("write");
		if (--next_sync)
			continue;
		next_sync = 1 + random() % (2 * every - 1);
		if (fsync(fd))
			stamp_die("fsync");
		fsyncs++;
		fprintf(j, "f %" PRIu64 "\n", gen);
		if (fflush(j))
			stamp_die("journal");
		if (mark_dev && dm_mark(mark_dev, gen)) {
			fprintf(stderr, "replay-stamp: mark on %s failed\n",
				mark_dev);
			exit(2);
		}
	}
	if (fclose(j))
		stamp_die("journal");
	close(fd);
	printf("wrote %" PRIu64 " extents, %" PRIu64 " fsyncs\n", ops, fsyncs);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: replay-stamp write DEV JOURNAL [--blocks N] [--ops N] [--fsync-every N]\n"
		"                    [--max-len N] [--hot PCT] [--seed S] [--mark-dev NAME]\n"
		"                    [--append]\n"
		"       replay-stamp check DEV JOURNAL --acked GEN [--blocks N] [--eio-ok] [-v]\n"
		"       replay-stamp acked JOURNAL\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == 'g')		/* accept mark names as generations */
		s++;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	uint64_t blocks = 4096, ops = 1000, acked = 0;
	unsigned int every = 4, max_len = 4, hot = 50, seed = 1;
	const char *mark_dev = NULL, *pos[3] = { NULL, NULL, NULL };
	int npos = 0, verbose = 0, eio_ok = 0, i;
	bool have_acked = false, append = false;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			verbose = 1;
			continue;
		}
		if (!strcmp(a, "--eio-ok")) {
			eio_ok = 1;
			continue;
		}
		if (!strcmp(a, "--append")) {
			append = true;
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			if (!v)
				usage();
			i++;
			if (!strcmp(a, "--blocks"))
				blocks = num(v);
			else if (!strcmp(a, "--ops"))
				ops = num(v);
			else if (!strcmp(a, "--fsync-every"))
				every = (unsigned int)num(v);
			else if (!strcmp(a, "--max-len"))
				max_len = (unsigned int)num(v);
			else if (!strcmp(a, "--hot"))
				hot = (unsigned int)num(v);
			else if (!strcmp(a, "--seed"))
				seed = (unsigned int)num(v);
			else if (!strcmp(a, "--mark-dev"))
				mark_dev = v;
			else if (!strcmp(a, "--acked")) {
				/* empty: nothing acknowledged yet */
				acked = *v ? num(v) : 0;
				have_acked = true;
			} else
				usage();
			continue;
		}
		if (npos == 3)
			usage();
		pos[npos++] = a;
	}
	if (npos == 2 && !strcmp(pos[0], "acked")) {
		char line[128];
		uint64_t g = 0, v;
		FILE *j = fopen(pos[1], "r");

		if (!j)
			stamp_die("open journal");
		while (fgets(line, sizeof(line), j))
			if (sscanf(line, "f %" SCNu64, &v) == 1)
				g = v;
		fclose(j);
		printf("%" PRIu64 "\n", g);
		return 0;
	}
	if (npos != 3 || !blocks || !every || !max_len || max_len > 256)
		usage();
	if (!strcmp(pos[0], "write"))
		return do_write(pos[1], pos[2], blocks, ops, every, max_len,
				hot, seed, mark_dev, append);
	if (!strcmp(pos[0], "check") && have_acked)
		return do_check_eio(pos[1], pos[2], blocks, acked, verbose, 0,
				    eio_ok);
	usage();
	return 2;
}
