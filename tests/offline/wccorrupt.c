// SPDX-License-Identifier: GPL-2.0
/*
 * wccorrupt: one random corruption of a dm-wcache cache image (a file or
 * a device), for the differential test of the offline tools against the
 * kernel (tests/vm/offline.bats).  Most kinds keep the checksums valid, so
 * that the load rules themselves are exercised, not only the checksums:
 *
 *   wccorrupt CACHE SEED
 *
 * prints the kind it applied.  Kinds: a bit flip in the metadata area
 * (checksum left stale: a torn or rotten sector); half a metadata sector
 * copied from another one (torn write); an entry duplicated into a free
 * slot with the same, a lower or a higher seq; an entry's seq raised above
 * durable_seq (its data checksum then decides); durable_seq lowered (more
 * entries need their data verified); a data byte flipped under an entry;
 * an entry's origin block or flags made invalid; an entry made STABLE.
 */
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/dm-wcache-format.h"
#include "tools/wcformat.h"

static int fd;

static void rd(void *buf, uint64_t sector, size_t len)
{
	if (pread(fd, buf, len, sector * 512) != (ssize_t)len) {
		perror("read");
		exit(1);
	}
}

static void wr(const void *buf, uint64_t sector, size_t len)
{
	if (pwrite(fd, buf, len, sector * 512) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
}

/* a random used entry: its metadata sector and slot; 0 if none found */
static int pick_used(uint64_t mds, uint64_t *s, unsigned int *i, struct wcache_disk_md_sector *ms)
{
	int tries;

	for (tries = 0; tries < 20000; tries++) {
		*s = random() % mds;
		*i = random() % WCACHE_ENTRIES_PER_SECTOR;
		rd(ms, WCACHE_MD_OFFSET + *s, 512);
		if (ms->entries[*i].flags)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct wcache_disk_sb sb;
	struct wcache_disk_md_sector ms, m2;
	uint64_t mds, s = 0, s2, durable, data_off, bsect;
	unsigned int i = 0, i2, kind;

	if (argc != 3) {
		fprintf(stderr, "usage: wccorrupt CACHE SEED\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	srandom(strtoul(argv[2], NULL, 0));
	rd(&sb, 0, 512);
	mds = le64toh(sb.md_sectors);
	durable = le64toh(sb.durable_seq);
	data_off = le64toh(sb.data_offset);
	bsect = le32toh(sb.block_size) / 512;
	if (le32toh(sb.magic) != WCACHE_SB_MAGIC || !mds) {
		printf("not a formatted cache: unchanged\n");
		return 0;
	}
	kind = random() % 10;
	if (kind >= 2 && kind != 5 && !pick_used(mds, &s, &i, &ms)) {
		printf("no used entry: unchanged\n");
		return 0;
	}
	switch (kind) {
	case 0: {	/* a bit flip, stale checksum */
		unsigned char b;
		uint64_t off = random() % (mds * 512);

		rd(&ms, WCACHE_MD_OFFSET + off / 512, 512);
		b = ((unsigned char *)&ms)[off % 512] ^ (1u << (random() % 8));
		((unsigned char *)&ms)[off % 512] = b;
		wr(&ms, WCACHE_MD_OFFSET + off / 512, 512);
		printf("bit flip in metadata sector %llu\n", (unsigned long long)(off / 512));
		break;
	}
	case 1:		/* torn: the second half from another sector */
		s = random() % mds;
		s2 = random() % mds;
		rd(&ms, WCACHE_MD_OFFSET + s, 512);
		rd(&m2, WCACHE_MD_OFFSET + s2, 512);
		memcpy((unsigned char *)&ms + 256, (unsigned char *)&m2 + 256, 256);
		wr(&ms, WCACHE_MD_OFFSET + s, 512);
		printf("metadata sector %llu torn with sector %llu\n", (unsigned long long)s,
		       (unsigned long long)s2);
		break;
	case 2:
	case 3:
	case 4: {	/* duplicate into a free slot: same, lower or higher seq */
		struct wcache_disk_entry e = ms.entries[i];
		int64_t d = kind == 2 ? 0 : kind == 3 ? -1 : 1;
		int tries;

		if (le64toh(e.seq) + d < 1)
			d = 0;
		e.seq = htole64(le64toh(e.seq) + d);
		for (tries = 0; tries < 20000; tries++) {
			s2 = random() % mds;
			i2 = random() % WCACHE_ENTRIES_PER_SECTOR;
			if (s2 * WCACHE_ENTRIES_PER_SECTOR + i2 >= le64toh(sb.n_blocks))
				continue;
			rd(&m2, WCACHE_MD_OFFSET + s2, 512);
			if (!m2.entries[i2].flags)
				break;
		}
		if (tries == 20000) {
			printf("no free slot: unchanged\n");
			return 0;
		}
		m2.entries[i2] = e;
		wcf_sector_seal(&m2);
		wr(&m2, WCACHE_MD_OFFSET + s2, 512);
		printf("entry %llu duplicated to %llu with seq %+d\n",
		       (unsigned long long)(s * 15 + i), (unsigned long long)(s2 * 15 + i2), (int)d);
		break;
	}
	case 5:		/* durable_seq lowered */
		sb.durable_seq = htole64(durable / 2);
		wcf_sector_seal(&sb);
		wr(&sb, 0, 512);
		printf("durable_seq %llu -> %llu\n", (unsigned long long)durable,
		       (unsigned long long)(durable / 2));
		break;
	case 6:		/* seq above durable_seq: the data checksum decides */
		ms.entries[i].seq = htole64(durable + 1 + random() % 3);
		if (random() % 2)
			ms.entries[i].data_csum ^= htole32(1);
		wcf_sector_seal(&ms);
		wr(&ms, WCACHE_MD_OFFSET + s, 512);
		printf("entry %llu: seq above durable_seq\n", (unsigned long long)(s * 15 + i));
		break;
	case 7: {	/* a data byte flipped under an entry */
		unsigned char blk[512];
		uint64_t sec = data_off + (s * 15 + i) * bsect + random() % bsect;

		rd(blk, sec, 512);
		blk[random() % 512] ^= 0x10;
		wr(blk, sec, 512);
		printf("data of entry %llu flipped\n", (unsigned long long)(s * 15 + i));
		break;
	}
	case 8:		/* invalid origin block or flags */
		if (random() % 2)
			ms.entries[i].oblock = htole64(le64toh(sb.origin_sectors) / bsect);
		else
			ms.entries[i].flags = htole32(5);
		wcf_sector_seal(&ms);
		wr(&ms, WCACHE_MD_OFFSET + s, 512);
		printf("entry %llu made invalid\n", (unsigned long long)(s * 15 + i));
		break;
	default:	/* STABLE (with or without its checksum cleared) */
		ms.entries[i].flags = htole32(WCACHE_ENTRY_VALID | WCACHE_ENTRY_STABLE);
		if (random() % 2)
			ms.entries[i].data_csum = 0;
		wcf_sector_seal(&ms);
		wr(&ms, WCACHE_MD_OFFSET + s, 512);
		printf("entry %llu made STABLE\n", (unsigned long long)(s * 15 + i));
		break;
	}
	return close(fd) ? 1 : 0;
}
