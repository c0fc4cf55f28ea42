// SPDX-License-Identifier: GPL-2.0
/*
 * dmfuzz: fuzz the dm-wcache target itself (run inside the VM, as root).
 *
 *   dmfuzz tables ORIGIN CACHE N [SEED]
 *       N random constructor tables (built from the table grammar with
 *       hostile values, or byte-mutated valid lines).  Each must be refused
 *       or, if it loads, report no error, serve a read and a write+fsync and
 *       unload.
 *   dmfuzz images ORIGIN CACHE N [SEED]
 *       makes a valid cache image (data written, committed), then N times
 *       restores it, corrupts it (bit flips; superblock or metadata fields
 *       set to hostile values with the checksum fixed up so the semantic
 *       checks are reached; duplicated entries; wrong uuid, origin size or
 *       block size in the table; truncated cache device) and loads it.
 *       Each must be refused or, if it loads, serve I/O, unload, and load
 *       again (a cache that was accepted and used must stay loadable).
 *
 *   dmfuzz seqlimit ORIGIN CACHE 0
 *       regression: commit sequence numbers at the accepted limit.
 *
 * Kernel oopses and WARNINGs are caught by the VM harness (tests/vm/run).
 * Prints "dmfuzz: N tables|images, N refused, N loaded, N failed"; exit 1
 * if any failed.
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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <libdevmapper.h>

#include "kernel/dm-wcache-format.h"
#include "tests/replay/dmtest.h"
#include "tools/wcformat.h"

#define NAME	"fz"
#define CNAME	"fz-c"

static const char *origin, *cache;
static uint64_t osect, csect;
static char node[256];
static unsigned int last_major, last_minor;	/* of the last dm_create */
static uint64_t refused, loaded, failed;
static int verbose;

static uint64_t rnd(void)
{
	return ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^
	       (uint64_t)random();
}

static uint64_t pick(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* superblock and metadata sectors both start with a __le32 csum */
static void fix_csum(unsigned char *sector)
{
	wcf_sector_seal(sector);
}

static uint64_t devsize(const char *path)
{
	uint64_t b = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &b)) {
		perror(path);
		exit(2);
	}
	close(fd);
	return b >> 9;
}

/* create NAME from one target line; returns 0 if it loaded */
static int dm_create(const char *name, uint64_t len, const char *type,
		     const char *params, bool mk)
{
	dev_t dev;

	if (dmt_create(name, len, type, params, &dev)) {
		/* a failed create must leave nothing behind */
		dmt_remove(name);
		return -1;
	}
	last_major = major(dev);
	last_minor = minor(dev);
	return mk ? dmt_mknod(node, dev) : 0;
}

static void fail(const char *what, const char *detail)
{
	failed++;
	printf("FAIL: %s: %s\n", what, detail);
	fflush(stdout);
}

/*
 * I/O on a loaded target: status, a read and a write + fsync of one logical
 * block each.  The target raises its logical block size to its cache block
 * size, so the I/O size is what the device says (BLKSSZGET), not what the
 * table was meant to say: BS is the block size of the table when known, 0
 * when not (a byte-mutated line, or a block size string picked as it is);
 * when known, the logical block size must equal it.
 */
static int exercise(const char *desc, uint64_t len, unsigned int bs)
{
	char st[1024], why[256];
	void *buf;
	int fd, lbs = 0, r = 0;
	uint64_t blk;

	if (dmt_simple(DM_DEVICE_STATUS, NAME, NULL, st, sizeof(st))) {
		fail(desc, "no status from a loaded target");
		return -1;
	}
	if (atoi(st) != 0) {
		fail(desc, "loaded with an error in status");
		return -1;
	}
	if (posix_memalign(&buf, 4096, 4096))
		exit(2);
	fd = open(node, O_RDWR | O_DIRECT);
	if (fd < 0) {
		fail(desc, "cannot open the loaded target");
		free(buf);
		return -1;
	}
	if (ioctl(fd, BLKSSZGET, &lbs) || lbs < 512 || lbs > 4096 ||
	    (lbs & (lbs - 1))) {
		snprintf(why, sizeof(why), "logical block size %d", lbs);
		fail(desc, why);
		r = -1;
	} else if (bs && (unsigned int)lbs != bs) {
		snprintf(why, sizeof(why),
			 "logical block size %d, not the block size %u", lbs, bs);
		fail(desc, why);
		r = -1;
	}
	blk = r ? 0 : pick(len * 512 / lbs);
	if (!r && pread(fd, buf, lbs, blk * lbs) != lbs) {
		snprintf(why, sizeof(why),
			 "read of %d bytes at byte %" PRIu64 " failed: %s", lbs,
			 blk * lbs, strerror(errno));
		fail(desc, why);
		r = -1;
	}
	memset(buf, 0x5a, 4096);
	blk = r ? 0 : pick(len * 512 / lbs);
	if (!r && (pwrite(fd, buf, lbs, blk * lbs) != lbs || fsync(fd))) {
		snprintf(why, sizeof(why),
			 "write of %d bytes at byte %" PRIu64 " + fsync failed: %s",
			 lbs, blk * lbs, strerror(errno));
		fail(desc, why);
		r = -1;
	}
	close(fd);
	free(buf);
	return r;
}

static void zero_sb(void)
{
	void *buf;
	int fd = open(cache, O_WRONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		exit(2);
	memset(buf, 0, 4096);
	if (pwrite(fd, buf, 4096, 0) != 4096)
		exit(2);
	close(fd);
	free(buf);
}

/* ---------------------------------------------------------------------- */
/* tables */

static const char *const opt_names[] = {
	"high_watermark", "low_watermark", "writeback_jobs",
	"autocommit_blocks", "autocommit_time", "max_age", "pause_writeback",
	"sequential_cutoff", "origin_uuid", "cleaner", "metadata_only",
	"flush_on_suspend", "nosuch", "", "HIGH_WATERMARK",
};

static const char *const values[] = {
	"0", "1", "50", "100", "101", "-1", "4294967295", "4294967296",
	"18446744073709551615", "18446744073709551616", "99999999999999999999999",
	"0x10", "1e3", "", "abc", "12abc", " 5", "+5", "-0", "007",
	"0123456789abcdef0123456789abcdef", "0123456789ABCDEF-0123-4567-89ab-cdef01234567",
	"0123456789abcdef0123456789abcde", "1048576", "65536", "2147483648",
};

static const char *const bss[] = {
	"4096", "512", "1024", "2048", "8192", "65536", "0", "1", "511", "513",
	"3000", "-4096", "4096x", "", "18446744073709551616", "2147483648",
};

static void rand_value(char *buf, size_t len)
{
	if (pick(4))
		snprintf(buf, len, "%s", values[pick(sizeof(values) / sizeof(*values))]);
	else
		snprintf(buf, len, "%" PRIu64, rnd() >> pick(64));
}

static void gen_table(char *p, size_t len, uint64_t *tlen, unsigned int *bs)
{
	char opts[1024] = "", v[64];
	const char *mode, *o = origin, *c = cache;
	unsigned int nopt = pick(8), i, words = 0, claimed;
	size_t n = 0;

	mode = pick(10) ? "s" : (const char *[]){ "p", "x", "S", "ss", "" }[pick(5)];
	if (!pick(12))
		o = (const char *[]){ "/dev/nonexistent", "0:0", "999:999", "", "/dev/null" }[pick(5)];
	if (!pick(12))
		c = (const char *[]){ "/dev/nonexistent", "0:0", "", "/dev/null" }[pick(4)];
	if (!pick(20))
		c = origin;	/* same device twice */
	*bs = pick(3) ? 4096 : (unsigned int)(512u << pick(4));
	for (i = 0; i < nopt; i++) {
		const char *name = opt_names[pick(sizeof(opt_names) / sizeof(*opt_names))];
		bool flag = !strcmp(name, "cleaner") || !strcmp(name, "metadata_only") ||
			    !strcmp(name, "flush_on_suspend");

		n += snprintf(opts + n, sizeof(opts) - n, " %s", name);
		words++;
		if (!flag || !pick(5)) {
			rand_value(v, sizeof(v));
			n += snprintf(opts + n, sizeof(opts) - n, " %s", v);
			words++;
		}
		if (n >= sizeof(opts) - 80)
			break;
	}
	claimed = words;
	if (!pick(6))
		claimed = (unsigned int[]){ words + 1, words ? words - 1 : 7, 1000000, 4294967295u }[pick(4)];
	if (pick(8)) {
		snprintf(p, len, "%s %s %s %u %u%s", mode, o, c, *bs, claimed, opts);
	} else {
		/* the block size is whatever the kernel makes of this string */
		snprintf(p, len, "%s %s %s %s %u%s", mode, o, c,
			 bss[pick(sizeof(bss) / sizeof(*bss))], claimed, opts);
		*bs = 0;
	}
	/* target length: usually right, sometimes odd or too large */
	*tlen = osect;
	switch (pick(8)) {
	case 0:
		*tlen = osect + 8;
		break;
	case 1:
		*tlen = 1 + pick(osect);
		break;
	case 2:
		*tlen = 8;
		break;
	}
	/* byte-level mutation of the whole line (block size unknown then) */
	if (!pick(5)) {
		size_t l = strlen(p), k, m = 1 + pick(4);

		*bs = 0;
		for (k = 0; k < m && l; k++) {
			size_t at = pick(l);

			switch (pick(3)) {
			case 0:
				p[at] = (char)(32 + pick(95));
				break;
			case 1:
				memmove(p + at, p + at + 1, l - at);
				l--;
				break;
			default:
				if (l + 1 < len) {
					memmove(p + at + 1, p + at, l - at + 1);
					p[at] = " 0-9:"[pick(5)];
					l++;
				}
			}
		}
	}
}

static int do_tables(uint64_t n)
{
	char params[2048];
	uint64_t i, tlen;
	unsigned int bs;
	bool dirty_sb = true;

	for (i = 0; i < n; i++) {
		if (dirty_sb) {
			zero_sb();
			dirty_sb = false;
		}
		gen_table(params, sizeof(params), &tlen, &bs);
		if (verbose)
			fprintf(stderr, "table %" PRIu64 ": 0 %" PRIu64 " wcache %s\n",
				i, tlen, params);
		if (dm_create(NAME, tlen, "wcache", params, true)) {
			refused++;
			continue;
		}
		loaded++;
		dirty_sb = true;
		exercise(params, tlen, bs);
		if (dmt_remove(NAME))
			fail(params, "cannot remove");
	}
	printf("dmfuzz: %" PRIu64 " tables, %" PRIu64 " refused, %" PRIu64
	       " loaded, %" PRIu64 " failed\n", n, refused, loaded, failed);
	return failed ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* images */

static unsigned char *img;	/* pristine first IMG_SECT sectors of the cache */
static uint64_t img_sect;

static void rw_cache(bool write, uint64_t sectors)
{
	int fd = open(cache, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	ssize_t r;

	if (fd < 0)
		exit(2);
	r = write ? pwrite(fd, img, sectors * 512, 0) : pread(fd, img, sectors * 512, 0);
	if (r != (ssize_t)(sectors * 512)) {
		perror("cache image I/O");
		exit(2);
	}
	close(fd);
}

static const uint64_t hostile[] = {
	0, 1, 2, 7, 8, 15, 16, 511, 512, 4096, 0xffffffffull, 0x100000000ull,
	(1ull << 40) - 2, (1ull << 40) - 1, 1ull << 40, 1ull << 63,
	0x7fffffffffffffffull, 0xffffffffffffffffull,
};

static uint64_t hostile_value(uint64_t old)
{
	switch (pick(4)) {
	case 0:
		return old + 1;
	case 1:
		return old - 1;
	case 2:
		return rnd();
	default:
		return hostile[pick(sizeof(hostile) / sizeof(*hostile))];
	}
}

static void set_le(unsigned char *p, unsigned int size, uint64_t v)
{
	if (size == 4) {
		uint32_t x = htole32((uint32_t)v);

		memcpy(p, &x, 4);
	} else {
		uint64_t x = htole64(v);

		memcpy(p, &x, 8);
	}
}

static uint64_t get_le(const unsigned char *p, unsigned int size)
{
	if (size == 4) {
		uint32_t x;

		memcpy(&x, p, 4);
		return le32toh(x);
	}
	uint64_t x;

	memcpy(&x, p, 8);
	return le64toh(x);
}

struct field {
	unsigned int off, size;
};

#define F(m) { offsetof(struct wcache_disk_sb, m), sizeof(((struct wcache_disk_sb *)0)->m) }
static const struct field sb_fields[] = {
	F(magic), F(version), F(flags), F(features_compat), F(features_incompat),
	F(features_ro_compat), F(block_size), F(entries_per_sector), F(n_blocks),
	F(md_offset), F(md_sectors), F(data_offset), F(cache_sectors),
	F(origin_sectors), F(format_nonce), F(durable_seq), F(sb_seq),
	F(format_time),
};
#undef F

/* Corrupt the image in buf; describe what was done; may change the table. */
static void corrupt(unsigned char *buf, uint64_t md_sectors, char *desc,
		    size_t dlen, uint64_t *clen, unsigned int *bs,
		    const char **uuid, uint64_t *tlen)
{
	unsigned char *sb = buf, *md = buf + WCACHE_MD_OFFSET * 512;
	uint64_t s = pick(md_sectors ? md_sectors : 1);
	unsigned char *ms = md + s * 512;
	unsigned int k, e;

	switch (pick(11)) {
	case 0: {	/* bit flips in the superblock */
		unsigned int m = 1 + pick(8);

		for (k = 0; k < m; k++) {
			unsigned int bit = pick(512 * 8);

			sb[bit / 8] ^= 1u << (bit % 8);
		}
		snprintf(desc, dlen, "%u bit flips in the superblock", m);
		break;
	}
	case 1: {	/* bit flips in a metadata sector */
		unsigned int m = 1 + pick(8);

		for (k = 0; k < m; k++) {
			unsigned int bit = pick(512 * 8);

			ms[bit / 8] ^= 1u << (bit % 8);
		}
		snprintf(desc, dlen, "%u bit flips in metadata sector %" PRIu64, m, s);
		break;
	}
	case 2:
	case 3: {	/* a superblock field, checksum fixed */
		const struct field *f = &sb_fields[pick(sizeof(sb_fields) / sizeof(*sb_fields))];
		uint64_t v = hostile_value(get_le(sb + f->off, f->size));

		set_le(sb + f->off, f->size, v);
		fix_csum(sb);
		snprintf(desc, dlen, "superblock field at %u = %" PRIu64 " (csum fixed)",
			 f->off, v);
		break;
	}
	case 4:
	case 5: {	/* a metadata entry field, checksum fixed */
		static const unsigned int eoff[] = { 0, 8, 16, 20, 24 };
		static const unsigned int esz[] = { 8, 8, 4, 4, 8 };
		uint64_t v;

		e = pick(WCACHE_ENTRIES_PER_SECTOR);
		k = pick(5);
		v = hostile_value(get_le(ms + 32 + e * 32 + eoff[k], esz[k]));
		if (k == 3 && pick(2))
			v = pick(2);	/* flags: free or valid */
		set_le(ms + 32 + e * 32 + eoff[k], esz[k], v);
		fix_csum(ms);
		snprintf(desc, dlen, "md sector %" PRIu64 " entry %u field %u = %"
			 PRIu64 " (csum fixed)", s, e, k, v);
		break;
	}
	case 6: {	/* duplicate an entry onto another slot (same oblock) */
		uint64_t s2 = pick(md_sectors ? md_sectors : 1);
		unsigned char *ms2 = md + s2 * 512;
		unsigned int e2 = pick(WCACHE_ENTRIES_PER_SECTOR);

		e = pick(WCACHE_ENTRIES_PER_SECTOR);
		memcpy(ms2 + 32 + e2 * 32, ms + 32 + e * 32, 32);
		if (pick(2))	/* same or newer seq */
			set_le(ms2 + 32 + e2 * 32 + 8, 8,
			       get_le(ms + 32 + e * 32 + 8, 8) + pick(2));
		fix_csum(ms2);
		snprintf(desc, dlen, "entry %" PRIu64 "/%u duplicated to %" PRIu64
			 "/%u (csum fixed)", s, e, s2, e2);
		break;
	}
	case 7:		/* metadata header: index or nonce */
		set_le(ms + (pick(2) ? 16 : 8), 8, hostile_value(get_le(ms + 16, 8)));
		fix_csum(ms);
		snprintf(desc, dlen, "md sector %" PRIu64 " header (csum fixed)", s);
		break;
	case 8:		/* truncated cache device */
		*clen = 1 + pick(*clen - 1);
		snprintf(desc, dlen, "cache truncated to %" PRIu64 " sectors", *clen);
		break;
	case 9:		/* wrong uuid, origin size or block size in the table */
		switch (pick(3)) {
		case 0:
			*uuid = "0123456789abcdef0123456789abcdef";
			snprintf(desc, dlen, "table with another origin_uuid");
			break;
		case 1:
			*tlen = osect - 8 * (1 + pick(16));
			snprintf(desc, dlen, "table with another origin size");
			break;
		default:
			*bs = (unsigned int[]){ 512, 1024, 2048 }[pick(3)];
			snprintf(desc, dlen, "table with block size %u", *bs);
		}
		break;
	default: {	/* garbage that passes magic and checksum */
		unsigned char *t = pick(2) ? sb : ms;
		uint32_t magic;

		memcpy(&magic, t + 4, 4);
		for (k = 8; k < 512; k++)
			t[k] = (unsigned char)rnd();
		memcpy(t + 4, &magic, 4);
		fix_csum(t);
		snprintf(desc, dlen, "random %s with valid magic and csum",
			 t == sb ? "superblock" : "metadata sector");
	}
	}
}

static int make_image(unsigned int bs)
{
	char params[512];
	unsigned char *buf;
	int fd, i;

	zero_sb();
	snprintf(params, sizeof(params), "s %s %s %u 2 origin_uuid 00112233445566778899aabbccddeeff",
		 origin, cache, bs);
	if (dm_create(NAME, osect, "wcache", params, true))
		return -1;
	fd = open(node, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, 4096))
		return -1;
	for (i = 0; i < 400; i++) {
		memset(buf, i, 4096);
		if (pwrite(fd, buf, bs, pick(osect * 512 / bs) * bs) != (ssize_t)bs)
			return -1;
		if (i % 50 == 49 && fsync(fd))
			return -1;
	}
	close(fd);
	free(buf);
	return dmt_remove(NAME);
}

/*
 * The differential check: what the offline tools' load rules
 * (tools/wcformat.c, wcachectl check) say about the cache as the table
 * shows it (CLEN sectors, block size BS, origin TLEN sectors, UUID):
 * 1 loadable with *DIRTY dirty blocks, 0 refused, -1 no verdict (a blank
 * superblock: the kernel formats it, or refuses a device too small).
 */
static int o_read(void *ctx, void *buf, uint64_t s, uint64_t n)
{
	ssize_t r = pread(*(int *)ctx, buf, n * 512, s * 512);

	return r == (ssize_t)(n * 512) ? 0 : -EIO;
}

static int o_write(void *ctx, const void *buf, uint64_t s, uint64_t n)
{
	(void)ctx;
	(void)buf;
	(void)s;
	(void)n;
	return -EROFS;
}

static int o_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Status fields 5 (dirty), 4 (blocks in writeback) and 17 (blocks written
 * back since the load): the target may start writing back as soon as it is
 * loaded, so the offline count must be the dirty count, or lie between it
 * and what was dirty before that writeback began.
 */
static int dirty_agrees(const char *st, long long odirty)
{
	long long d = dmt_field(st, 5), inflight = dmt_field(st, 4), wb = dmt_field(st, 17);

	if (!wb && !inflight)
		return d == odirty;
	return d <= odirty && odirty <= d + wb + inflight;
}

static int offline_view(uint64_t clen, unsigned int bs, const char *uuid, uint64_t tlen,
			uint64_t *dirty)
{
	struct wcf_dev d = { o_read, o_write, o_flush, NULL, clen, 512 };
	struct wcf_expect x = { .block_size = bs, .origin_sectors = tlen, .writable = 1 };
	struct wcf_cache c;
	uint8_t u[16];
	int fd = open(cache, O_RDONLY | O_DIRECT), lbs = 512, r = -1;

	if (fd < 0)
		exit(2);
	ioctl(fd, BLKSSZGET, &lbs);
	d.ctx = &fd;
	d.lbs = lbs;
	if (!wcf_parse_hex16(uuid, u))
		x.origin_uuid = u;
	memset(&c, 0, sizeof(c));
	if (!wcf_open(&c, &d, &x) && c.sb_state != WCF_SB_BLANK && !wcf_load(&c, &d)) {
		r = c.loadable;
		*dirty = c.n_dirty;
	} else if (c.sb_state == WCF_SB_UNREADABLE || c.sb_state == WCF_SB_BAD) {
		r = 0;
	}
	wcf_free(&c);
	close(fd);
	return r;
}

static int do_images(uint64_t n)
{
	struct wcache_disk_sb *sb;
	uint64_t i, md_sectors, clen, odirty = 0, agreed = 0;
	unsigned char *work;
	int off;
	char desc[256], params[512];
	const char *uuid;
	unsigned int bs;

	img_sect = csect < 4096 ? csect : 4096;
	if (posix_memalign((void **)&img, 4096, img_sect * 512) ||
	    posix_memalign((void **)&work, 4096, img_sect * 512))
		exit(2);
	if (make_image(4096)) {
		fprintf(stderr, "dmfuzz: cannot make the base image\n");
		return 2;
	}
	rw_cache(false, img_sect);
	sb = (struct wcache_disk_sb *)img;
	md_sectors = le64toh(sb->md_sectors);
	if (le32toh(sb->magic) != WCACHE_SB_MAGIC || WCACHE_MD_OFFSET + md_sectors > img_sect) {
		fprintf(stderr, "dmfuzz: unexpected base image\n");
		return 2;
	}
	/* superblock and metadata are what gets corrupted and restored */
	img_sect = (WCACHE_MD_OFFSET + md_sectors + 7) & ~7ull;
	memcpy(work, img, img_sect * 512);
	for (i = 0; i < n; i++) {
		clen = csect;
		bs = 4096;
		uuid = "00112233445566778899aabbccddeeff";
		uint64_t tlen = osect;

		memcpy(img, work, img_sect * 512);
		corrupt(img, md_sectors, desc, sizeof(desc), &clen, &bs, &uuid, &tlen);
		if (pick(3) == 0) {	/* sometimes two corruptions */
			char d2[256];

			corrupt(img, md_sectors, d2, sizeof(d2), &clen, &bs, &uuid, &tlen);
			strncat(desc, "; ", sizeof(desc) - strlen(desc) - 1);
			strncat(desc, d2, sizeof(desc) - strlen(desc) - 1);
		}
		rw_cache(true, img_sect);
		if (verbose)
			fprintf(stderr, "image %" PRIu64 ": %s\n", i, desc);
		snprintf(params, sizeof(params), "%s 0", cache);
		if (dm_create(CNAME, clen, "linear", params, false)) {
			fail(desc, "cannot create the cache mapping");
			continue;
		}
		/* by device number: with udev sync off, /dev/mapper nodes
		 * may not exist yet */
		snprintf(params, sizeof(params), "s %s %u:%u %u 2 origin_uuid %s",
			 origin, last_major, last_minor, bs, uuid);
		off = offline_view(clen, bs, uuid, tlen, &odirty);
		if (dm_create(NAME, tlen, "wcache", params, true)) {
			agreed += off == 0;
			refused++;
			if (off == 1)
				fail(desc, "the kernel refused an image the offline tools load");
		} else {
			char st[512] = "";

			loaded++;
			if (off == 0)
				fail(desc, "the kernel loaded an image the offline tools refuse");
			if (off == 1 &&
			    (dmt_simple(DM_DEVICE_STATUS, NAME, NULL, st, sizeof(st)) ||
			     !dirty_agrees(st, (long long)odirty))) {
				char d2[600];

				snprintf(d2, sizeof(d2), "dirty blocks: kernel %lld, offline tools %" PRIu64,
					 dmt_field(st, 5), odirty);
				fail(desc, d2);
			}
			agreed += off == 1 && dirty_agrees(st, (long long)odirty);
			exercise(desc, tlen, bs);
			if (dmt_remove(NAME))
				fail(desc, "cannot remove");
			else if (dm_create(NAME, tlen, "wcache", params, true))
				fail(desc, "accepted and used, then refused on the next load");
			else if (dmt_remove(NAME))
				fail(desc, "cannot remove after the second load");
		}
		if (dmt_remove(CNAME))
			fail(desc, "cannot remove the cache mapping");
	}
	/* leave the cache as the pristine image */
	memcpy(img, work, img_sect * 512);
	rw_cache(true, img_sect);
	printf("dmfuzz: %" PRIu64 " images, %" PRIu64 " refused, %" PRIu64
	       " loaded, %" PRIu64 " failed; the offline tools agreed on %" PRIu64 "\n",
	       n, refused, loaded, failed, agreed);
	return failed ? 1 : 0;
}

/*
 * Regression test: commit numbers at the edge of the 40-bit range.
 * Numbers >= 2^40 must be refused, numbers well below must load; near the
 * limit a cache may be refused, but one that loaded and was used must load
 * again (a 40-bit wrap once made such a cache unloadable after its first
 * commits).
 */
static int do_seqlimit(void)
{
	static const uint64_t vals[] = {
		WCACHE_SEQ_LIMIT - (1ull << 32), WCACHE_SEQ_LIMIT - 3,
		WCACHE_SEQ_LIMIT - 2, WCACHE_SEQ_LIMIT - 1, WCACHE_SEQ_LIMIT,
		WCACHE_SEQ_LIMIT + 1,
	};
	struct wcache_disk_sb *sb;
	uint64_t md_sectors, s, at = 0;
	unsigned char *work;
	char params[512], desc[128];
	unsigned int v, where, e;

	img_sect = csect < 4096 ? csect : 4096;
	if (posix_memalign((void **)&img, 4096, img_sect * 512) ||
	    posix_memalign((void **)&work, 4096, img_sect * 512) ||
	    make_image(4096))
		return 2;
	rw_cache(false, img_sect);
	sb = (struct wcache_disk_sb *)img;
	md_sectors = le64toh(sb->md_sectors);
	img_sect = (WCACHE_MD_OFFSET + md_sectors + 7) & ~7ull;
	memcpy(work, img, img_sect * 512);
	/* a valid entry to age */
	for (s = 0; s < md_sectors && !at; s++)
		for (e = 0; e < WCACHE_ENTRIES_PER_SECTOR && !at; e++)
			if (get_le(img + (WCACHE_MD_OFFSET + s) * 512 + 32 + e * 32 + 20, 4))
				at = (WCACHE_MD_OFFSET + s) * 512 + 32 + e * 32;
	if (!at)
		return 2;
	snprintf(params, sizeof(params), "s %s %s 4096 2 origin_uuid 00112233445566778899aabbccddeeff",
		 origin, cache);
	for (where = 0; where < 2; where++) {
		for (v = 0; v < sizeof(vals) / sizeof(*vals); v++) {
			memcpy(img, work, img_sect * 512);
			if (where == 0) {
				set_le(img + offsetof(struct wcache_disk_sb, durable_seq), 8, vals[v]);
				fix_csum(img);
			} else {
				set_le(img + at + 8, 8, vals[v]);
				fix_csum(img + (at & ~511ull));
			}
			rw_cache(true, img_sect);
			snprintf(desc, sizeof(desc), "%s = %" PRIu64,
				 where ? "entry seq" : "durable_seq", vals[v]);
			if (dm_create(NAME, osect, "wcache", params, true)) {
				refused++;
				if (vals[v] <= WCACHE_SEQ_LIMIT - (1ull << 32))
					fail(desc, "refused a valid sequence number");
			} else {
				loaded++;
				if (vals[v] >= WCACHE_SEQ_LIMIT)
					fail(desc, "accepted a sequence number past the limit");
				if (vals[v] <= WCACHE_SEQ_LIMIT - (1ull << 32)) {
					exercise(desc, osect, 4096);
					if (dmt_remove(NAME))
						fail(desc, "cannot remove");
					else if (dm_create(NAME, osect, "wcache", params, true))
						fail(desc, "accepted and used, then refused on the next load");
				} else {
					/* at the limit: commits may fail (error
					 * state), but must never wrap */
					int fd = open(node, O_RDWR | O_DIRECT);
					void *b;

					if (fd >= 0 && !posix_memalign(&b, 4096, 4096)) {
						memset(b, 1, 4096);
						if (pwrite(fd, b, 4096, 0) == 4096)
							(void)!fsync(fd);
						free(b);
					}
					if (fd >= 0)
						close(fd);
				}
				if (dmt_remove(NAME))
					fail(desc, "cannot remove");
			}
			/* what is on disk now must be in range: no wrap */
			rw_cache(false, img_sect);
			if (get_le(img + offsetof(struct wcache_disk_sb, durable_seq), 8) >=
			    WCACHE_SEQ_LIMIT && vals[v] < WCACHE_SEQ_LIMIT)
				fail(desc, "a commit number past 2^40 was written");
			for (s = 0; s < md_sectors; s++)
				for (e = 0; e < WCACHE_ENTRIES_PER_SECTOR; e++) {
					unsigned char *de = img + (WCACHE_MD_OFFSET + s) * 512 +
							    32 + e * 32;
					uint64_t q = get_le(de + 8, 8);

					if (get_le(de + 20, 4) && (!q || q >= WCACHE_SEQ_LIMIT) &&
					    !(where == 1 && vals[v] >= WCACHE_SEQ_LIMIT))
						fail(desc, "an entry with commit number 0 or past 2^40 was written");
				}
			if (verbose)
				fprintf(stderr, "%s: ok\n", desc);
		}
	}
	memcpy(img, work, img_sect * 512);
	rw_cache(true, img_sect);
	printf("dmfuzz: seqlimit, %" PRIu64 " refused, %" PRIu64 " loaded, %"
	       PRIu64 " failed\n", refused, loaded, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t n;
	unsigned int seed = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: dmfuzz [-v] tables|images ORIGIN CACHE N [SEED]\n");
		return 2;
	}
	origin = argv[2];
	cache = argv[3];
	n = strtoull(argv[4], NULL, 10);
	if (argc > 5)
		seed = (unsigned int)strtoul(argv[5], NULL, 10);
	srandom(seed);
	dmt_init(verbose, false);
	snprintf(node, sizeof(node), "/tmp/dmfuzz-node");
	osect = devsize(origin);
	osect &= ~7ull;
	csect = devsize(cache);
	dmt_remove(NAME);
	dmt_remove(CNAME);
	if (!strcmp(argv[1], "tables"))
		return do_tables(n);
	if (!strcmp(argv[1], "images"))
		return do_images(n);
	if (!strcmp(argv[1], "seqlimit"))
		return do_seqlimit();
	fprintf(stderr, "dmfuzz: unknown mode %s\n", argv[1]);
	return 2;
}
