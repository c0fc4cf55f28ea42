// SPDX-License-Identifier: GPL-2.0
/*
 * wcimage: crafted dm-wcache cache images for the offline tools' tests
 * (tests/host/offline.bats) and the fuzzer's seed corpus.  The expected
 * outcome is known by construction, not computed with the load rules:
 *
 *   wcimage CACHE.img CACHE_KIB ORIGIN_KIB BLOCK_SIZE SEED NBLOCKS [torn]
 *
 * formats CACHE.img as wc_format() would, then for each of NBLOCKS origin
 * blocks writes 1-4 versions at random cache blocks with growing seqs (and
 * data: the block filled with "<origin block>:<version>" lines).  The last
 * version is trusted (seq <= durable_seq), newer with matching data, STABLE,
 * or newer with torn data: then the version before it is the current one
 * (every origin block has a trusted first version).  Some free slots get
 * stale-looking data.  With "torn", metadata sector 0 fails its checksum (the
 * kernel refuses the image).  Prints one line per origin block expected
 * dirty: "<origin block> <version>", then "dirty N".
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/dm-wcache-format.h"
#include "tools/wcformat.h"

static unsigned char *img;
static uint64_t nblk, mds, data_off, bsect;
static uint32_t bs;

static struct wcache_disk_md_sector *md(uint64_t s)
{
	return (void *)(img + (WCACHE_MD_OFFSET + s) * 512);
}

static unsigned char *blk(uint64_t b)
{
	return img + (data_off + b * bsect) * 512;
}

static void fill(uint64_t b, uint64_t ob, unsigned int v)
{
	unsigned char *p = blk(b);
	char line[64];
	size_t off = 0, n;

	n = (size_t)snprintf(line, sizeof(line), "%" PRIu64 ":%u\n", ob, v);
	while (off < bs) {
		size_t k = bs - off < n ? bs - off : n;

		memcpy(p + off, line, k);
		off += k;
	}
}

int main(int argc, char **argv)
{
	uint64_t cache_sect, origin_sect, align, usable, n, md_, data, i, durable = 1 << 20;
	uint64_t *used, *order, seq = 1;
	unsigned int seed, nob;
	struct wcache_disk_sb *sb;
	int fd, torn;

	if (argc < 7) {
		fprintf(stderr, "usage: wcimage CACHE.img CACHE_KIB ORIGIN_KIB BLOCK_SIZE SEED NBLOCKS [torn]\n");
		return 2;
	}
	cache_sect = strtoull(argv[2], NULL, 0) * 2;
	origin_sect = strtoull(argv[3], NULL, 0) * 2;
	bs = strtoul(argv[4], NULL, 0);
	seed = strtoul(argv[5], NULL, 0);
	nob = strtoul(argv[6], NULL, 0);
	torn = argc > 7 && !strcmp(argv[7], "torn");
	bsect = bs / 512;
	/* wc_geometry() */
	align = bsect > 8 ? bsect : 8;
	usable = cache_sect - WCACHE_MD_OFFSET - align;
	n = usable * WCACHE_ENTRIES_PER_SECTOR / (bsect * WCACHE_ENTRIES_PER_SECTOR + 1);
	for (;;) {
		md_ = (n + 14) / 15;
		data = (WCACHE_MD_OFFSET + md_ + align - 1) / align * align;
		if (data + n * bsect <= cache_sect)
			break;
		n--;
	}
	nblk = n;
	mds = md_;
	data_off = data;
	if (nob * 4 > nblk || nob > origin_sect / bsect) {
		fprintf(stderr, "wcimage: %u origin blocks do not fit (%" PRIu64 " cache blocks)\n",
			nob, nblk);
		return 2;
	}
	img = calloc(cache_sect, 512);
	used = calloc(nblk, sizeof(*used));
	order = malloc(nblk * sizeof(*order));
	sb = (void *)img;
	sb->magic = htole32(WCACHE_SB_MAGIC);
	sb->version = htole32(WCACHE_FORMAT_VERSION);
	sb->block_size = htole32(bs);
	sb->entries_per_sector = htole32(WCACHE_ENTRIES_PER_SECTOR);
	sb->n_blocks = htole64(nblk);
	sb->md_offset = htole64(WCACHE_MD_OFFSET);
	sb->md_sectors = htole64(mds);
	sb->data_offset = htole64(data_off);
	sb->cache_sectors = htole64(cache_sect);
	sb->origin_sectors = htole64(origin_sect);
	sb->format_nonce = htole64(0x5eed000000000000ULL + seed);
	sb->features_incompat = htole64(WCACHE_FEATURE_INCOMPAT_STABLE);
	sb->durable_seq = htole64(durable);
	sb->sb_seq = htole64(7);
	sb->format_time = htole64(1700000000);
	for (i = 0; i < mds; i++) {
		md(i)->hdr.magic = htole32(WCACHE_MD_MAGIC);
		md(i)->hdr.format_nonce = sb->format_nonce;
		md(i)->hdr.index = htole64(i);
	}
	/* a random permutation of the cache blocks to place versions */
	srandom(seed);
	for (i = 0; i < nblk; i++)
		order[i] = i;
	for (i = nblk - 1; i > 0; i--) {
		uint64_t j = (uint64_t)random() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	{
		uint64_t next = 0, dirty = 0;
		unsigned int k;

		for (k = 0; k < nob; k++) {
			uint64_t ob = (uint64_t)k * (origin_sect / bsect) / nob;
			unsigned int nv = 1 + random() % 4, v, win = nv, kind = random() % 4;

			for (v = 1; v <= nv; v++) {
				uint64_t b = order[next++];
				struct wcache_disk_entry *de = &md(b / 15)->entries[b % 15];
				int last = v == nv, stable = last && kind == 2;
				uint64_t s;

				/* the first versions: trusted; the last: see kind */
				s = !last || kind == 0 ? seq++ : durable + 1 + (seq++);
				fill(b, ob, v);
				de->oblock = htole64(ob);
				de->seq = htole64(s);
				de->flags = htole32(WCACHE_ENTRY_VALID | (stable ? WCACHE_ENTRY_STABLE : 0));
				de->data_csum = stable ? 0 : htole32(wcf_data_csum(blk(b), bs));
				if (last && kind == 3 && nv > 1) {
					blk(b)[bs / 2] ^= 0x40;	/* torn: the previous version wins */
					win = v - 1;
				} else if (last && kind == 3) {
					de->seq = htole64(seq++);	/* a single version stays trusted */
				}
				used[b] = 1;
			}
			printf("%" PRIu64 " %u\n", ob, win);
			dirty++;
		}
		/* stale data in some free slots */
		for (; next < nblk; next++)
			if (random() % 3 == 0)
				fill(order[next], 999999, 9);
		printf("dirty %" PRIu64 "\n", dirty);
	}
	for (i = 0; i < mds; i++)
		wcf_sector_seal(md(i));
	wcf_sector_seal(sb);
	if (torn)	/* a torn sector: its checksum no longer matches */
		((unsigned char *)md(0))[500] ^= 0x5a;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, img, cache_sect * 512) != (ssize_t)(cache_sect * 512) || close(fd)) {
		perror(argv[1]);
		return 1;
	}
	free(img);
	free(used);
	free(order);
	return 0;
}
