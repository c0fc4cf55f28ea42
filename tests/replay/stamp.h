/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stamped blocks of the crash-replay tests: shared by replay-stamp (the
 * workload and checker) and replay-log (its built-in wcache check).
 * Test code: everything is static in this header (CRC-32C: dmtest.c).
 */
#ifndef REPLAY_STAMP_H
#define REPLAY_STAMP_H

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

#include "dmtest.h"

#define BS		4096
#define MAGIC		0x31594c5052435757ull	/* "WWCRPLY1" */

struct op {
	uint64_t lba;
	uint32_t n;
	bool lost;	/* cut off: after the last fsync of a run that was cut */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* layout: magic, lba, gen, payload ..., crc32c of the rest (last 4 bytes) */
static void make_stamp(unsigned char *b, uint64_t lba, uint64_t gen)
{
	uint64_t v[3] = { htole64(MAGIC), htole64(lba), htole64(gen) };
	uint64_t s = mix(lba * 0x9e3779b97f4a7c15ull + gen);
	uint32_t crc;
	size_t i;

	memcpy(b, v, sizeof(v));
	for (i = sizeof(v); i + 8 <= BS - 4; i += 8) {
		s = mix(s + i);
		memcpy(b + i, &s, 8);
	}
	memset(b + i, 0, BS - 4 - i);
	crc = htole32(crc32c(b, BS - 4));
	memcpy(b + BS - 4, &crc, 4);
}

static void stamp_die(const char *msg)
{
	fprintf(stderr, "replay-stamp: %s: %s\n", msg, strerror(errno));
	exit(2);
}

/*
 * Check DEV against JOURNAL with generation ACKED_GEN acknowledged.
 * Returns 0 if good, 1 on bad blocks, 2 on errors.  QUIET: no summary
 * line unless something is bad.  EIO_OK: a block that cannot be read
 * (EIO) is counted, not bad: the device failed visibly instead of returning
 * wrong data.
 */
static int do_check_eio(const char *dev, const char *journal, uint64_t blocks,
			uint64_t acked_gen, int verbose, int quiet, int eio_ok)
{
	uint64_t *acked = calloc(blocks, sizeof(uint64_t));
	struct op *opv = NULL;
	size_t nops = 0, cap = 0;
	unsigned char *chunk, *buf, *want;
	uint64_t lba, gen, bad = 0, stamped = 0, nacked = 0, zero = 0, eio = 0;
	uint64_t last_f = 0;
	bool chunk_ok = false;
	char line[128];
	FILE *j;
	int fd;

	if (!acked || posix_memalign((void **)&chunk, BS, 16 * BS) ||
	    posix_memalign((void **)&want, BS, BS))
		stamp_die("memory");
	j = fopen(journal, "r");
	if (!j)
		stamp_die("open journal");
	while (fgets(line, sizeof(line), j)) {
		uint64_t g, l;
		unsigned int n;

		if (sscanf(line, "f %" SCNu64, &g) == 1) {
			last_f = g;
			continue;
		}
		/*
		 * "r GEN": a run resumed after a power cut (write --append).
		 * The writes of the cut run after its last completed fsync
		 * were never acknowledged, and no later fsync covers them.
		 */
		if (sscanf(line, "r %" SCNu64, &g) == 1) {
			for (l = last_f; l < nops; l++)
				opv[l].lost = true;
			continue;
		}
		if (sscanf(line, "w %" SCNu64 " %" SCNu64 " %u", &g, &l, &n) != 3)
			continue;
		if (g != nops + 1 || l + n > blocks) {
			fprintf(stderr, "replay-stamp: bad journal line: %s", line);
			return 2;
		}
		if (nops == cap) {
			cap = cap ? cap * 2 : 1024;
			opv = realloc(opv, cap * sizeof(*opv));
			if (!opv)
				stamp_die("memory");
		}
		opv[nops].lba = l;
		opv[nops].n = n;
		opv[nops].lost = false;
		nops++;
	}
	fclose(j);
	for (gen = 1; gen <= nops && gen <= acked_gen; gen++) {
		uint32_t i;

		if (!opv[gen - 1].lost)
			for (i = 0; i < opv[gen - 1].n; i++)
				acked[opv[gen - 1].lba + i] = gen;
	}
	if (acked_gen > nops) {
		fprintf(stderr, "replay-stamp: acked generation %" PRIu64
			" beyond the journal\n", acked_gen);
		return 2;
	}
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		stamp_die("open device");
	for (lba = 0; lba < blocks; lba++) {
		uint64_t v[3];
		const char *why = NULL;

		if (lba % 16 == 0) {
			size_t n = blocks - lba < 16 ? blocks - lba : 16;

			chunk_ok = pread(fd, chunk, n * BS, lba * BS) ==
				   (ssize_t)(n * BS);
		}
		buf = chunk + (lba % 16) * BS;
		if (!chunk_ok && pread(fd, buf, BS, lba * BS) != BS) {
			if (eio_ok && errno == EIO) {
				eio++;
				continue;
			}
			fprintf(stderr, "replay-stamp: read %s block %" PRIu64
				": %s\n", dev, lba, strerror(errno));
			close(fd);
			free(acked);
			free(opv);
			return 2;
		}
		if (acked[lba])
			nacked++;
		memcpy(v, buf, sizeof(v));
		gen = le64toh(v[2]);
		if (le64toh(v[0]) != MAGIC) {
			unsigned int i;

			for (i = 0; i < BS && !buf[i]; i++)
				;
			if (i < BS)
				why = "garbage (no stamp)";
			else if (acked[lba])
				why = "zeroes, but a write was acknowledged";
			else
				zero++;
		} else if (le64toh(v[1]) != lba) {
			why = "stamp of another block";
		} else if (!gen || gen > nops || lba < opv[gen - 1].lba ||
			   lba >= opv[gen - 1].lba + opv[gen - 1].n) {
			why = "generation never written to this block";
		} else {
			make_stamp(want, lba, gen);
			if (memcmp(buf, want, BS))
				why = "stamp corrupt (checksum or payload)";
			else if (gen < acked[lba])
				why = "older than the acknowledged generation";
			else
				stamped++;
		}
		if (why) {
			bad++;
			if (bad <= 10 || verbose)
				printf("block %" PRIu64 ": %s (read gen %" PRIu64
				       ", acked gen %" PRIu64 ")\n",
				       lba, why, gen, acked[lba]);
		}
	}
	close(fd);
	if (!quiet || bad)
		printf("check: %" PRIu64 " blocks, %" PRIu64 " stamped, %"
		       PRIu64 " zero, %" PRIu64 " acked (g%" PRIu64 "), %"
		       PRIu64 " EIO, %" PRIu64 " bad\n", blocks, stamped, zero,
		       nacked, acked_gen, eio, bad);
	free(acked);
	free(opv);
	free(chunk);
	free(want);
	return bad ? 1 : 0;
}

static inline int do_check(const char *dev, const char *journal, uint64_t blocks,
			   uint64_t acked_gen, int verbose, int quiet)
{
	return do_check_eio(dev, journal, blocks, acked_gen, verbose, quiet, 0);
}

#endif /* REPLAY_STAMP_H */
