// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tools/wcformat.c (the on-disk format and the kernel's load
 * rules in userspace) on crafted in-memory cache images: torn and corrupt
 * metadata sectors, superseded entries, entries newer than durable_seq with
 * good and bad data checksums, STABLE entries, unreadable sectors, and the
 * crash safety of marking a cache clean.  The geometry figures are worked
 * out by hand from the kernel's wc_geometry(), not by the code under test.
 */
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "wcformat.h"

#define CACHE_SECT	2048		/* 1 MiB cache */
#define BS		4096
/* wc_geometry(8, 2048): usable 2032, n = 30480 / 121 = 251, md 17, data 32 */
#define NBLK		251
#define MDS		17
#define DATA		32
#define ORIGIN_SECT	(1024 * 8)	/* 1024 origin blocks */

struct mem {
	unsigned char *img;
	uint64_t sectors;
	uint64_t bad_lo, bad_hi;	/* reads touching [lo, hi) fail */
	int writes_left;		/* <0: unlimited; 0: writes fail (a kill) */
	int flushes;
};

static int m_read(void *ctx, void *buf, uint64_t s, uint64_t n)
{
	struct mem *m = ctx;

	if (s + n > m->sectors)
		return -EIO;
	if (s < m->bad_hi && s + n > m->bad_lo)
		return -EIO;
	memcpy(buf, m->img + s * 512, n * 512);
	return 0;
}

static int m_write(void *ctx, const void *buf, uint64_t s, uint64_t n)
{
	struct mem *m = ctx;

	if (s + n > m->sectors)
		return -EIO;
	if (m->writes_left == 0)
		return -EINTR;
	if (m->writes_left > 0)
		m->writes_left--;
	memcpy(m->img + s * 512, buf, n * 512);
	return 0;
}

static int m_flush(void *ctx)
{
	((struct mem *)ctx)->flushes++;
	return 0;
}

static struct mem M;
static struct wcf_dev D = { m_read, m_write, m_flush, &M, CACHE_SECT, 512 };

static struct wcache_disk_sb *SB(void)
{
	return (void *)M.img;
}

static struct wcache_disk_md_sector *MD(uint64_t s)
{
	return (void *)(M.img + (WCACHE_MD_OFFSET + s) * 512);
}

static void seal_md(uint64_t s)
{
	wcf_sector_seal(MD(s));
}

static void seal_sb(void)
{
	wcf_sector_seal(SB());
}

static unsigned char *DATA_BLK(uint64_t b)
{
	return M.img + (DATA + b * (BS / 512)) * 512;
}

/* a freshly formatted cache, as wc_format() writes it */
static void format(uint64_t durable)
{
	struct wcache_disk_sb *sb;
	uint64_t s;

	free(M.img);
	memset(&M, 0, sizeof(M));
	M.sectors = CACHE_SECT;
	M.writes_left = -1;
	M.img = calloc(CACHE_SECT, 512);
	sb = SB();
	sb->magic = htole32(WCACHE_SB_MAGIC);
	sb->version = htole32(WCACHE_FORMAT_VERSION);
	sb->block_size = htole32(BS);
	sb->entries_per_sector = htole32(WCACHE_ENTRIES_PER_SECTOR);
	sb->n_blocks = htole64(NBLK);
	sb->md_offset = htole64(WCACHE_MD_OFFSET);
	sb->md_sectors = htole64(MDS);
	sb->data_offset = htole64(DATA);
	sb->cache_sectors = htole64(CACHE_SECT);
	sb->origin_sectors = htole64(ORIGIN_SECT);
	sb->format_nonce = htole64(0x1234567890abcdefULL);
	sb->features_incompat = htole64(WCACHE_FEATURE_INCOMPAT_STABLE);
	sb->durable_seq = htole64(durable);
	sb->sb_seq = htole64(1);
	seal_sb();
	for (s = 0; s < MDS; s++) {
		MD(s)->hdr.magic = htole32(WCACHE_MD_MAGIC);
		MD(s)->hdr.format_nonce = sb->format_nonce;
		MD(s)->hdr.index = htole64(s);
		seal_md(s);
	}
}

/* data block b filled from @pat, entry b = (oblock, seq), checksum of the data */
static void put(uint64_t b, uint64_t oblock, uint64_t seq, int pat, int stable)
{
	struct wcache_disk_entry *de =
		&MD(b / WCACHE_ENTRIES_PER_SECTOR)->entries[b % WCACHE_ENTRIES_PER_SECTOR];

	memset(DATA_BLK(b), pat, BS);
	de->oblock = htole64(oblock);
	de->seq = htole64(seq);
	de->data_csum = stable ? 0 : htole32(wcf_data_csum(DATA_BLK(b), BS));
	de->flags = htole32(WCACHE_ENTRY_VALID | (stable ? WCACHE_ENTRY_STABLE : 0));
	seal_md(b / WCACHE_ENTRIES_PER_SECTOR);
}

static struct wcf_cache C;

static int load(void)
{
	wcf_free(&C);
	if (wcf_open(&C, &D, NULL))
		return -1;
	return wcf_load(&C, &D);
}

/* the cache block holding origin block @ob after the load, or -1 */
static int64_t dirty_of(uint64_t ob)
{
	uint64_t i;

	for (i = 0; i < C.n_dirty; i++)
		if (C.e[C.dirty[i]].oblock == ob)
			return (int64_t)C.dirty[i];
	return -1;
}

static void test_checksums(void)
{
	static const char digits[] = "123456789";
	uint64_t (*lib)(const void *, size_t, uint64_t);
	unsigned char buf[5000];
	void *h;
	size_t i, len;
	int same = 1, tried = 0;

	CHECK(wcf_crc32c(digits, 9) == 0xe3069283u);
	CHECK(wcf_xxh64("", 0, 0) == 0xef46db3751d8e999ULL);
	/* the reference implementation, when its library is installed */
	h = dlopen("libxxhash.so.0", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "test_wcformat: libxxhash.so.0 not found, xxh64 cross-check skipped\n");
		return;
	}
	*(void **)&lib = dlsym(h, "XXH64");
	CHECK(lib != NULL);
	if (!lib)
		return;
	srandom(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = random();
	for (len = 0; len < sizeof(buf); len += len < 80 ? 1 : 97) {
		tried++;
		if (lib(buf + len % 7, len - len % 7, 0) != wcf_xxh64(buf + len % 7, len - len % 7, 0) ||
		    lib(buf, len, 12345) != wcf_xxh64(buf, len, 12345))
			same = 0;
	}
	CHECK(same && tried > 100);
	dlclose(h);
}

static void test_superblock(void)
{
	format(0);
	memset(M.img, 0, 512);
	CHECK(load() == 0 && C.sb_state == WCF_SB_BLANK && C.loadable);

	format(0);
	CHECK(load() == 0 && C.sb_state == WCF_SB_OK && C.loadable);
	CHECK(C.n_blocks == NBLK && C.md_sectors == MDS && C.data_offset == DATA);
	CHECK(C.origin_blocks == 1024 && C.n_dirty == 0 && C.n_used == 0);

	SB()->magic = htole32(0x11111111);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && !C.loadable);
	CHECK(strstr(C.refuse, "bad magic") != NULL);

	format(0);
	SB()->flags ^= htole32(0x100);	/* no reseal: checksum */
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "checksum"));

	format(0);
	SB()->n_blocks = htole64(NBLK + 1);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "geometry"));

	format(0);
	SB()->data_offset = htole64(DATA + 8);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "geometry"));

	format(0);
	SB()->durable_seq = htole64(WCACHE_SEQ_LIMIT);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "sequence"));

	format(0);
	SB()->durable_seq = htole64(WCACHE_SEQ_LIMIT - 1);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_OK);

	format(0);
	SB()->features_incompat = htole64(0x8);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "incompatible"));

	format(0);
	SB()->cache_sectors = htole64(CACHE_SECT * 2);
	seal_sb();
	CHECK(load() == 0 && C.sb_state == WCF_SB_BAD && strstr(C.sb_reason, "smaller"));

	/* expectations from the table */
	{
		struct wcf_expect x = { 0 };
		uint8_t uuid[16] = { 1 };

		format(0);
		x.block_size = 512;
		wcf_free(&C);
		CHECK(wcf_open(&C, &D, &x) == 0 && C.sb_state == WCF_SB_BAD);
		x.block_size = BS;
		x.origin_sectors = ORIGIN_SECT + 8;
		CHECK(wcf_open(&C, &D, &x) == 0 && C.sb_state == WCF_SB_BAD);
		x.origin_sectors = ORIGIN_SECT;
		x.origin_uuid = uuid;
		CHECK(wcf_open(&C, &D, &x) == 0 && C.sb_state == WCF_SB_BAD &&
		      strstr(C.sb_reason, "uuid"));
		memset(uuid, 0, sizeof(uuid));
		CHECK(wcf_open(&C, &D, &x) == 0 && C.sb_state == WCF_SB_OK);
		x.origin_min_sectors = ORIGIN_SECT - 8;
		CHECK(wcf_open(&C, &D, &x) == 0 && C.sb_state == WCF_SB_BAD);
	}
	/* 512-byte blocks: wc_geometry(1, 2048): n = 2032 * 15 / 16 = 1905, md 127, data 136 */
	format(0);
	SB()->block_size = htole32(512);
	SB()->n_blocks = htole64(1905);
	SB()->md_sectors = htole64(127);
	SB()->data_offset = htole64(136);
	seal_sb();
	wcf_free(&C);
	CHECK(wcf_open(&C, &D, NULL) == 0 && C.sb_state == WCF_SB_OK && C.n_blocks == 1905);
}

static void test_entries(void)
{
	/* durable_seq 10 */
	format(10);
	put(0, 100, 5, 0xa1, 0);	/* trusted: seq <= durable */
	memset(DATA_BLK(0), 0xee, BS);	/* ...even with data that does not match */
	put(1, 101, 11, 0xa2, 0);	/* newer, data matches: loaded */
	put(2, 102, 12, 0xa3, 0);	/* newer, torn data: dropped */
	DATA_BLK(2)[100] ^= 1;
	put(3, 103, 50, 0xa4, 1);	/* STABLE, newer: trusted without checksum */
	memset(DATA_BLK(3), 0x55, BS);
	CHECK(load() == 0 && C.loadable);
	CHECK(C.n_used == 4 && C.n_dirty == 3 && C.n_dropped == 1 && C.n_verified == 1);
	CHECK(C.n_stable == 1 && C.max_seq == 50);
	CHECK(dirty_of(100) == 0 && dirty_of(101) == 1 && dirty_of(102) == -1 && dirty_of(103) == 3);
	CHECK(C.e[2].state == WCF_E_DROPPED);

	/* superseded: the highest valid seq wins, wherever it sits */
	format(10);
	put(20, 7, 3, 0x01, 0);
	put(5, 7, 9, 0x02, 0);
	put(40, 7, 6, 0x03, 0);
	put(41, 8, 15, 0x04, 0);	/* newer than durable... */
	put(42, 8, 14, 0x05, 0);
	DATA_BLK(41)[0] ^= 0xff;	/* ...and torn: the older version wins */
	CHECK(load() == 0 && C.loadable);
	CHECK(dirty_of(7) == 5 && dirty_of(8) == 42);
	CHECK(C.n_superseded == 2 && C.n_dropped == 1 && C.n_dirty == 2);
	CHECK(C.e[20].state == WCF_E_SUPERSEDED && C.e[41].state == WCF_E_DROPPED);
	/* the dirty list is sorted by origin block */
	CHECK(C.e[C.dirty[0]].oblock == 7 && C.e[C.dirty[1]].oblock == 8);

	/* the same seq twice: the lower cache block (met first by the kernel) wins */
	format(10);
	put(30, 9, 4, 0x01, 0);
	put(16, 9, 4, 0x02, 0);
	CHECK(load() == 0 && dirty_of(9) == 16 && C.n_same_seq == 1);
}

static void test_bad_sectors(void)
{
	unsigned char old[512];

	/* a torn metadata sector: the kernel refuses; the others still parse */
	format(10);
	put(0, 1, 3, 0x11, 0);
	memcpy(old, MD(1), 512);
	put(15, 2, 3, 0x12, 0);
	put(29, 3, 3, 0x13, 0);
	memcpy((unsigned char *)MD(1) + 256, old + 256, 256);	/* half of the older write */
	CHECK(load() == 0 && !C.loadable && C.n_bad_sectors == 1);
	CHECK(strstr(C.refuse, "checksum") != NULL);
	CHECK(C.n_probs == 1 && C.probs[0].sector == 1 && C.probs[0].err == WCF_MD_BAD_CSUM);
	CHECK(dirty_of(1) == 0 && dirty_of(2) == -1 && C.e[15].state == WCF_E_IGNORED);

	format(10);
	MD(3)->hdr.format_nonce = htole64(99);
	seal_md(3);
	CHECK(load() == 0 && !C.loadable && C.probs[0].err == WCF_MD_FOREIGN);

	format(10);
	MD(3)->hdr.index = htole64(4);
	seal_md(3);
	CHECK(load() == 0 && !C.loadable && C.probs[0].err == WCF_MD_FOREIGN);

	{
		static const struct {
			uint64_t oblock, seq;
			uint32_t flags, csum;
			uint64_t b;
		} bad[] = {
			{ 1024, 3, 1, 0, 0 },			/* origin block beyond the origin */
			{ 5, 0, 1, 0, 0 },			/* seq 0 */
			{ 5, WCACHE_SEQ_LIMIT, 1, 0, 0 },	/* seq at the limit */
			{ 5, 3, 4, 0, 0 },			/* unknown flag */
			{ 5, 3, 2, 0, 0 },			/* STABLE without VALID */
			{ 5, 3, 3, 7, 0 },			/* STABLE with a checksum */
			{ 5, 3, 1, 0, NBLK },			/* beyond the last cache block */
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct wcache_disk_entry *de;
			uint64_t b = bad[i].b;

			format(10);
			de = &MD(b / 15)->entries[b % 15];
			de->oblock = htole64(bad[i].oblock);
			de->seq = htole64(bad[i].seq);
			de->flags = htole32(bad[i].flags);
			de->data_csum = htole32(bad[i].csum);
			seal_md(b / 15);
			CHECK(load() == 0 && !C.loadable && C.n_probs == 1 &&
			      C.probs[0].err == WCF_MD_BAD_ENTRY && C.probs[0].entry == (int)(b % 15));
		}
		/* the last valid seq is accepted */
		format(WCACHE_SEQ_LIMIT - 1);
		put(0, 5, WCACHE_SEQ_LIMIT - 1, 1, 0);
		CHECK(load() == 0 && C.loadable && C.n_dirty == 1);
	}

	/* STABLE needs the feature */
	format(10);
	put(0, 5, 3, 1, 1);
	SB()->features_incompat = 0;
	seal_sb();
	CHECK(load() == 0 && !C.loadable && C.probs[0].err == WCF_MD_BAD_ENTRY);

	/* an unreadable metadata sector, and an unreadable data block to verify */
	format(10);
	put(0, 1, 3, 0x11, 0);
	put(30, 2, 3, 0x12, 0);
	put(45, 3, 20, 0x13, 0);
	M.bad_lo = WCACHE_MD_OFFSET + 2;
	M.bad_hi = M.bad_lo + 1;
	CHECK(load() == 0 && !C.loadable && C.probs[0].err == WCF_MD_UNREADABLE &&
	      C.probs[0].sector == 2);
	CHECK(dirty_of(1) == 0 && dirty_of(2) == -1 && dirty_of(3) == 45);
	M.bad_lo = DATA + 45 * 8;
	M.bad_hi = M.bad_lo + 8;
	CHECK(load() == 0 && !C.loadable && strstr(C.refuse, "data blocks"));
	CHECK(C.e[45].state == WCF_E_UNVERIFIED && C.n_unverified == 1 && dirty_of(3) == 45);
	M.bad_lo = M.bad_hi = 0;
}

/* a snapshot of the dirty set: origin block -> first data byte */
static void dirty_map(int *map)
{
	uint64_t i;

	for (i = 0; i < 1024; i++)
		map[i] = -1;
	for (i = 0; i < C.n_dirty; i++)
		map[C.e[C.dirty[i]].oblock] = DATA_BLK(C.dirty[i])[0];
}

static void build_messy(void)
{
	int i;

	format(40);
	/* 200 entries over 60 origin blocks, some newer than durable, some torn */
	srandom(3);
	for (i = 0; i < 200; i++) {
		uint64_t b = (uint64_t)i * 251 / 200;

		put(b, random() % 60, 1 + random() % 60, i & 0xff, 0);
		if (random() % 5 == 0)
			DATA_BLK(b)[1] ^= 1;
	}
}

static void test_clean(void)
{
	int before[1024], after[1024], i, k, ok;

	build_messy();
	CHECK(load() == 0 && C.loadable && C.n_dropped > 0 && C.n_superseded > 0);
	dirty_map(before);
	/* a kill during pass 1 at every point: the dirty set stays the same */
	ok = 1;
	for (k = 0; k < 20; k++) {
		build_messy();
		load();
		M.writes_left = k;
		wcf_clean_pass(&C, &D, 1, 0, NULL);
		M.writes_left = -1;
		if (load() || !C.loadable)
			ok = 0;
		dirty_map(after);
		if (memcmp(before, after, sizeof(before)))
			ok = 0;
	}
	CHECK(ok);
	/* after pass 1 only the dirty entries are left */
	build_messy();
	load();
	CHECK(wcf_clean_pass(&C, &D, 1, 0, NULL) == 0);
	CHECK(load() == 0 && C.loadable && C.n_used == C.n_dirty && C.n_superseded == 0 &&
	      C.n_dropped == 0);
	dirty_map(after);
	CHECK(!memcmp(before, after, sizeof(before)));
	/* a kill during pass 2: what is left is a subset with the same data */
	ok = 1;
	for (k = 0; k < 20; k++) {
		build_messy();
		load();
		wcf_clean_pass(&C, &D, 1, 0, NULL);
		load();
		M.writes_left = k;
		wcf_clean_pass(&C, &D, 2, 0, NULL);
		M.writes_left = -1;
		if (load() || !C.loadable)
			ok = 0;
		dirty_map(after);
		for (i = 0; i < 1024; i++)
			if (after[i] != -1 && after[i] != before[i])
				ok = 0;
	}
	CHECK(ok);
	/* finished: nothing is left and every seq seen is durable */
	build_messy();
	load();
	{
		uint64_t max = C.max_seq;

		CHECK(wcf_clean_pass(&C, &D, 1, 0, NULL) == 0);
		CHECK(load() == 0 && wcf_clean_pass(&C, &D, 2, 0, NULL) == 0);
		CHECK(wcf_mark_clean_sb(&C, &D) == 0);
		CHECK(load() == 0 && C.loadable && C.n_used == 0 && C.n_dirty == 0);
		CHECK(C.durable_seq == max && max > 40);
	}
	/* a refused sector is rewritten empty only when asked to */
	build_messy();
	MD(4)->hdr.csum ^= 1;
	load();
	CHECK(!C.loadable);
	CHECK(wcf_clean_pass(&C, &D, 1, 0, NULL) == 0 && wcf_clean_pass(&C, &D, 2, 0, NULL) == 0);
	CHECK(load() == 0 && !C.loadable && C.n_used == 0 && C.n_ignored > 0);
	CHECK(wcf_clean_pass(&C, &D, 2, 1, NULL) == 0);
	CHECK(load() == 0 && C.loadable && C.n_used == 0 && C.n_ignored == 0);
}

static void test_hex(void)
{
	uint8_t u[16];
	char s[33];

	CHECK(wcf_parse_hex16("00112233445566778899aabbccddeeFF", u) == 0);
	wcf_hex16(u, s);
	CHECK_STR(s, "00112233445566778899aabbccddeeff");
	CHECK(wcf_parse_hex16("0011223344556677889", u) == -1);
	CHECK(wcf_parse_hex16("g0112233445566778899aabbccddeeff", u) == -1);
}

int main(void)
{
	test_checksums();
	test_superblock();
	test_entries();
	test_bad_sectors();
	test_clean();
	test_hex();
	wcf_free(&C);
	free(M.img);
	return unit_done("test_wcformat");
}
