// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: the dm-wcache on-disk format and load rules (wcformat.h).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wcformat.h"

/* ---------------------------------------------------------------------- */
/* Checksums */

uint32_t wcf_crc32c(const void *p, size_t n)
{
	static uint32_t table[256];
	const unsigned char *s = p;
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		uint32_t i, j, v;

		for (i = 0; i < 256; i++) {
			v = i;
			for (j = 0; j < 8; j++)
				v = (v >> 1) ^ (v & 1 ? 0x82f63b78u : 0);
			table[i] = v;
		}
	}
	while (n--)
		c = table[(c ^ *s++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

#define P64_1	0x9e3779b185ebca87ULL
#define P64_2	0xc2b2ae3d27d4eb4fULL
#define P64_3	0x165667b19e3779f9ULL
#define P64_4	0x85ebca77c2b2ae63ULL
#define P64_5	0x27d4eb2f165667c5ULL

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * P64_2;
	acc = rotl64(acc, 31);
	return acc * P64_1;
}

static uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * P64_1 + P64_4;
}

uint64_t wcf_xxh64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = seed + P64_1 + P64_2, v2 = seed + P64_2;
		uint64_t v3 = seed, v4 = seed - P64_1;

		do {
			v1 = xround(v1, rd64(p));
			v2 = xround(v2, rd64(p + 8));
			v3 = xround(v3, rd64(p + 16));
			v4 = xround(v4, rd64(p + 24));
			p += 32;
		} while (p + 32 <= end);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(h, v1);
		h = xmerge(h, v2);
		h = xmerge(h, v3);
		h = xmerge(h, v4);
	} else {
		h = seed + P64_5;
	}
	h += len;
	while (p + 8 <= end) {
		h ^= xround(0, rd64(p));
		h = rotl64(h, 27) * P64_1 + P64_4;
		p += 8;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * P64_1;
		h = rotl64(h, 23) * P64_2 + P64_3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p * P64_5;
		h = rotl64(h, 11) * P64_1;
		p++;
	}
	h ^= h >> 33;
	h *= P64_2;
	h ^= h >> 29;
	h *= P64_3;
	h ^= h >> 32;
	return h;
}

uint32_t wcf_sector_csum(const void *sector)
{
	unsigned char tmp[WCACHE_SECTOR_SIZE];

	memcpy(tmp, sector, sizeof(tmp));
	memset(tmp, 0, 4);
	return wcf_crc32c(tmp, sizeof(tmp));
}

void wcf_sector_seal(void *sector)
{
	uint32_t c;

	memset(sector, 0, 4);
	c = htole32(wcf_crc32c(sector, WCACHE_SECTOR_SIZE));
	memcpy(sector, &c, 4);
}

uint32_t wcf_data_csum(const void *block, uint32_t block_size)
{
	return (uint32_t)wcf_xxh64(block, block_size, 0);
}

void wcf_hex16(const uint8_t *b, char out[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int wcf_parse_hex16(const char *s, uint8_t out[16])
{
	int i;

	if (!s || strlen(s) != 32)
		return -1;
	for (i = 0; i < 32; i++) {
		char ch = s[i];
		int v = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (v < 0)
			return -1;
		if (i & 1)
			out[i / 2] |= v;
		else
			out[i / 2] = v << 4;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Superblock */

static int is_zero(const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		if (*s++)
			return 0;
	return 1;
}

/* the kernel's wc_geometry(): blocks, metadata sectors, data offset */
static void geometry(uint64_t bs, uint64_t cache_sectors, uint64_t *n_out,
		     uint64_t *md_out, uint64_t *data_out)
{
	uint64_t align = bs > 8 ? bs : 8, usable, n, md = 0, data = 0;

	*n_out = 0;
	if (cache_sectors <= WCACHE_MD_OFFSET + 2 * align)
		return;
	usable = cache_sectors - WCACHE_MD_OFFSET - align;
	/* usable * 15 cannot overflow for any device below 2^59 sectors */
	n = usable * WCACHE_ENTRIES_PER_SECTOR / (bs * WCACHE_ENTRIES_PER_SECTOR + 1);
	if (n > WCF_MAX_BLOCKS)
		n = WCF_MAX_BLOCKS;
	for (;;) {
		md = (n + WCACHE_ENTRIES_PER_SECTOR - 1) / WCACHE_ENTRIES_PER_SECTOR;
		data = (WCACHE_MD_OFFSET + md + align - 1) / align * align;
		if (!n || data + n * bs <= cache_sectors)
			break;
		n--;
	}
	*n_out = n;
	*md_out = md;
	*data_out = data;
}

static int sb_check(struct wcf_cache *c, const struct wcf_dev *d, const struct wcf_expect *x)
{
	const struct wcache_disk_sb *sb = &c->sb;
	uint64_t n, md, data, bs;
	uint32_t block_size;

	if (is_zero(sb, sizeof(*sb))) {
		c->sb_state = WCF_SB_BLANK;
		c->sb_reason = "blank superblock: the target formats the cache on its next load";
		return 0;
	}
	c->sb_state = WCF_SB_BAD;
	if (le32toh(sb->magic) != WCACHE_SB_MAGIC) {
		c->sb_reason = "Cache device has no wcache superblock (bad magic)";
		return 0;
	}
	if (wcf_sector_csum(sb) != le32toh(sb->csum)) {
		c->sb_reason = "Superblock checksum mismatch (corrupt metadata)";
		return 0;
	}
	if (le32toh(sb->version) != WCACHE_FORMAT_VERSION) {
		c->sb_reason = "Unsupported on-disk format version";
		return 0;
	}
	if (le64toh(sb->features_incompat) & ~WCACHE_FEATURE_INCOMPAT_SUPP) {
		c->sb_reason = "Unsupported incompatible features in superblock";
		return 0;
	}
	if ((le64toh(sb->features_ro_compat) & ~WCACHE_FEATURE_RO_COMPAT_SUPP) &&
	    (!x || x->writable)) {
		c->sb_reason = "Unsupported read-only-compatible features in superblock";
		return 0;
	}
	block_size = le32toh(sb->block_size);
	/* the table's block size: a power of two from 512 to the page size */
	if (block_size < 512 || block_size > 65536 || (block_size & (block_size - 1))) {
		c->sb_reason = "Corrupt superblock (block size)";
		return 0;
	}
	if (x && x->block_size && block_size != x->block_size) {
		c->sb_reason = "Block size in the table differs from the cache's block size";
		return 0;
	}
	if (le32toh(sb->entries_per_sector) != WCACHE_ENTRIES_PER_SECTOR) {
		c->sb_reason = "Corrupt superblock (entries per sector)";
		return 0;
	}
	if (x && x->origin_uuid && memcmp(sb->origin_uuid, x->origin_uuid, 16)) {
		c->sb_reason = "Cache belongs to a different origin (origin_uuid mismatch)";
		return 0;
	}
	bs = block_size / 512;
	if (!le64toh(sb->origin_sectors) || le64toh(sb->origin_sectors) % bs) {
		c->sb_reason = "Corrupt superblock (origin size)";
		return 0;
	}
	if (x && x->origin_sectors && le64toh(sb->origin_sectors) != x->origin_sectors) {
		c->sb_reason = "Cache was formatted for an origin of a different size";
		return 0;
	}
	if (x && x->origin_min_sectors && le64toh(sb->origin_sectors) > x->origin_min_sectors) {
		c->sb_reason = "The origin device is smaller than the origin the cache was formatted for";
		return 0;
	}
	if (le64toh(sb->cache_sectors) > d->sectors) {
		c->sb_reason = "Cache device is smaller than when it was formatted";
		return 0;
	}
	geometry(bs, le64toh(sb->cache_sectors), &n, &md, &data);
	if (!n || le64toh(sb->n_blocks) != n ||
	    le64toh(sb->md_offset) != WCACHE_MD_OFFSET ||
	    le64toh(sb->md_sectors) != md || le64toh(sb->data_offset) != data) {
		c->sb_reason = "Corrupt superblock (geometry)";
		return 0;
	}
	if (le64toh(sb->durable_seq) >= WCACHE_SEQ_LIMIT) {
		c->sb_reason = "Corrupt superblock (sequence number)";
		return 0;
	}
	c->sb_state = WCF_SB_OK;
	c->sb_reason = NULL;
	c->block_size = block_size;
	c->block_sectors = bs;
	c->n_blocks = n;
	c->md_offset = WCACHE_MD_OFFSET;
	c->md_sectors = md;
	c->data_offset = data;
	c->cache_sectors = le64toh(sb->cache_sectors);
	c->origin_sectors = le64toh(sb->origin_sectors);
	c->origin_blocks = c->origin_sectors / bs;
	c->format_nonce = le64toh(sb->format_nonce);
	c->durable_seq = le64toh(sb->durable_seq);
	c->sb_seq = le64toh(sb->sb_seq);
	c->stable_ok = !!(le64toh(sb->features_incompat) & WCACHE_FEATURE_INCOMPAT_STABLE);
	return 0;
}

/* a buffer for @sectors sectors, aligned for O_DIRECT */
static void *abuf(uint64_t sectors)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, sectors * WCACHE_SECTOR_SIZE))
		return NULL;
	return p;
}

int wcf_open(struct wcf_cache *c, const struct wcf_dev *d, const struct wcf_expect *x)
{
	uint32_t lbs = d->lbs ? d->lbs : 512;
	unsigned char *buf;
	int r;

	memset(c, 0, sizeof(*c));
	if (d->sectors < lbs / 512) {
		c->sb_state = WCF_SB_UNREADABLE;
		c->sb_reason = "Cache device is too small for a superblock";
		return 0;
	}
	buf = abuf(lbs / 512);
	if (!buf)
		return -ENOMEM;
	r = d->read(d->ctx, buf, WCACHE_SB_SECTOR, lbs / 512);
	if (r) {
		free(buf);
		c->sb_state = WCF_SB_UNREADABLE;
		c->sb_reason = "Cannot read the cache superblock";
		return r;
	}
	memcpy(&c->sb, buf, sizeof(c->sb));
	free(buf);
	return sb_check(c, d, x);
}

/* ---------------------------------------------------------------------- */
/* Metadata sectors and the load */

static int add_problem(struct wcf_cache *c, uint64_t s, int err, int entry, const char *why)
{
	struct wcf_problem *p;

	if (!(c->n_probs & (c->n_probs + 1)) || !c->probs) {
		p = realloc(c->probs, (2 * c->n_probs + 2) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->probs = p;
	}
	p = &c->probs[c->n_probs++];
	p->sector = s;
	p->err = err;
	p->entry = entry;
	p->why = why;
	return 0;
}

/* wc_md_sector_ok(): WCF_MD_OK or the error, with the bad entry in *bad */
static int sector_check(const struct wcf_cache *c, const struct wcache_disk_md_sector *s,
			uint64_t index, int *bad, const char **why)
{
	unsigned int i;

	*bad = -1;
	if (le32toh(s->hdr.magic) != WCACHE_MD_MAGIC) {
		*why = "bad magic";
		return WCF_MD_BAD_CSUM;
	}
	if (wcf_sector_csum(s) != le32toh(s->hdr.csum)) {
		*why = "checksum mismatch";
		return WCF_MD_BAD_CSUM;
	}
	if (le64toh(s->hdr.format_nonce) != c->format_nonce) {
		*why = "belongs to another format (nonce)";
		return WCF_MD_FOREIGN;
	}
	if (le64toh(s->hdr.index) != index) {
		*why = "belongs to another position (index)";
		return WCF_MD_FOREIGN;
	}
	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		const struct wcache_disk_entry *de = &s->entries[i];
		uint64_t b = index * WCACHE_ENTRIES_PER_SECTOR + i;
		uint32_t fl = le32toh(de->flags);
		uint64_t seq = le64toh(de->seq);

		if (!fl)
			continue;
		*bad = i;
		if (fl != (WCACHE_ENTRY_VALID | (fl & WCACHE_ENTRY_STABLE))) {
			*why = "entry flags";
			return WCF_MD_BAD_ENTRY;
		}
		if ((fl & WCACHE_ENTRY_STABLE) && !c->stable_ok) {
			*why = "STABLE entry without the STABLE feature";
			return WCF_MD_BAD_ENTRY;
		}
		if ((fl & WCACHE_ENTRY_STABLE) && de->data_csum) {
			*why = "STABLE entry with a data checksum";
			return WCF_MD_BAD_ENTRY;
		}
		if (b >= c->n_blocks) {
			*why = "entry beyond the last cache block";
			return WCF_MD_BAD_ENTRY;
		}
		if (le64toh(de->oblock) >= c->origin_blocks) {
			*why = "origin block beyond the origin";
			return WCF_MD_BAD_ENTRY;
		}
		if (!seq || seq >= WCACHE_SEQ_LIMIT) {
			*why = "sequence number out of range";
			return WCF_MD_BAD_ENTRY;
		}
	}
	*bad = -1;
	return WCF_MD_OK;
}

static int load_sector(struct wcf_cache *c, const struct wcache_disk_md_sector *s,
		       uint64_t index, int readable)
{
	const char *why = "unreadable";
	unsigned int i;
	int err, bad = -1;

	err = readable ? sector_check(c, s, index, &bad, &why) : WCF_MD_UNREADABLE;
	if (err != WCF_MD_OK) {
		c->n_bad_sectors++;
		c->md_err[index] = err;
		if (!c->refuse)
			c->refuse = err == WCF_MD_UNREADABLE ? "Cannot read the metadata area" :
				    err == WCF_MD_BAD_CSUM ?
				    "Metadata sector checksum mismatch (corrupt metadata)" :
				    err == WCF_MD_FOREIGN ?
				    "Metadata sector belongs to another format or position" :
				    "Corrupt metadata entry";
		if (err != WCF_MD_UNREADABLE)
			for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
				uint64_t b = index * WCACHE_ENTRIES_PER_SECTOR + i;

				if (b < c->n_blocks && s->entries[i].flags) {
					c->e[b].state = WCF_E_IGNORED;
					c->e[b].oblock = le64toh(s->entries[i].oblock);
					c->e[b].seq = le64toh(s->entries[i].seq);
					c->e[b].csum = le32toh(s->entries[i].data_csum);
					c->e[b].flags = (uint8_t)le32toh(s->entries[i].flags);
					c->n_ignored++;
				}
			}
		return add_problem(c, index, err, bad, why);
	}
	for (i = 0; i < WCACHE_ENTRIES_PER_SECTOR; i++) {
		const struct wcache_disk_entry *de = &s->entries[i];
		uint64_t b = index * WCACHE_ENTRIES_PER_SECTOR + i;
		struct wcf_entry *e;

		if (!de->flags)
			continue;
		e = &c->e[b];
		e->oblock = le64toh(de->oblock);
		e->seq = le64toh(de->seq);
		e->csum = le32toh(de->data_csum);
		e->flags = (uint8_t)le32toh(de->flags);
		e->state = WCF_E_DIRTY;	/* candidate until resolved */
		c->n_used++;
		if (e->seq > c->max_seq)
			c->max_seq = e->seq;
	}
	return 0;
}

#define CHUNK_SECTORS	256

static int read_md(struct wcf_cache *c, const struct wcf_dev *d)
{
	uint64_t unit = (d->lbs > 512 ? d->lbs : 512) / 512;
	uint64_t s = 0, end = c->md_offset + c->md_sectors;
	unsigned char *buf = abuf(CHUNK_SECTORS);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	/* whole logical blocks from md_offset (4 KiB aligned) */
	while (!r && c->md_offset + s < end) {
		uint64_t first = c->md_offset + s, n = end - first, i, u;

		if (n > CHUNK_SECTORS)
			n = CHUNK_SECTORS;
		n = (n + unit - 1) / unit * unit;
		if (first + n > d->sectors)
			n = d->sectors - first;
		if (!d->read(d->ctx, buf, first, n)) {
			for (i = 0; !r && i < n && s + i < c->md_sectors; i++)
				r = load_sector(c, (void *)(buf + i * WCACHE_SECTOR_SIZE),
						s + i, 1);
		} else {
			/* find what is readable, one logical block at a time */
			for (u = 0; !r && u < n; u += unit) {
				int ok = !d->read(d->ctx, buf + u * WCACHE_SECTOR_SIZE,
						  first + u, unit);

				for (i = u; !r && i < u + unit && s + i < c->md_sectors; i++)
					r = load_sector(c, (void *)(buf + i * WCACHE_SECTOR_SIZE),
							s + i, ok);
			}
		}
		s += n;
	}
	free(buf);
	return r;
}

/* wc_verify_recent(): entries newer than durable_seq need matching data */
static int verify_recent(struct wcf_cache *c, const struct wcf_dev *d)
{
	unsigned char *buf = abuf(c->block_sectors);
	uint64_t b;

	if (!buf)
		return -ENOMEM;
	for (b = 0; b < c->n_blocks; b++) {
		struct wcf_entry *e = &c->e[b];

		if (e->state != WCF_E_DIRTY)
			continue;
		if (e->flags & WCACHE_ENTRY_STABLE) {
			c->n_stable++;
			continue;
		}
		if (e->seq <= c->durable_seq)
			continue;
		if (d->read(d->ctx, buf, wcf_block_sector(c, b), c->block_sectors)) {
			e->state = WCF_E_UNVERIFIED;
			c->n_unverified++;
			if (!c->refuse)
				c->refuse = "Cannot read cache data blocks during load";
			continue;
		}
		if (wcf_data_csum(buf, c->block_size) != e->csum) {
			e->state = WCF_E_DROPPED;
			c->n_dropped++;
		} else {
			c->n_verified++;
		}
	}
	free(buf);
	return 0;
}

static const struct wcf_cache *sort_c;

/* origin block ascending, then seq descending, then cache block ascending */
static int cmp_cand(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	const struct wcf_entry *ex = &sort_c->e[x], *ey = &sort_c->e[y];

	if (ex->oblock != ey->oblock)
		return ex->oblock < ey->oblock ? -1 : 1;
	if (ex->seq != ey->seq)
		return ex->seq > ey->seq ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * The kernel resolves versions in cache block order, keeping the current
 * entry of an origin block unless a later one has a strictly higher seq:
 * the highest seq wins, the first (lowest cache block) among equals.
 * UNVERIFIED entries take part (the kernel would not load at all; for
 * salvage they still hide older versions: the newest data is unreadable).
 */
static int resolve(struct wcf_cache *c)
{
	uint64_t b, n = 0, i, *cand;

	cand = malloc((c->n_blocks ? c->n_blocks : 1) * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (b = 0; b < c->n_blocks; b++)
		if (c->e[b].state == WCF_E_DIRTY || c->e[b].state == WCF_E_UNVERIFIED)
			cand[n++] = b;
	sort_c = c;
	qsort(cand, n, sizeof(*cand), cmp_cand);
	sort_c = NULL;
	c->n_dirty = 0;
	for (i = 0; i < n; i++) {
		struct wcf_entry *e = &c->e[cand[i]];

		if (i && c->e[cand[i - 1]].oblock == e->oblock) {
			if (c->e[cand[i - 1]].seq == e->seq)
				c->n_same_seq++;
			if (e->state == WCF_E_UNVERIFIED)
				c->n_unverified--;
			e->state = WCF_E_SUPERSEDED;
			c->n_superseded++;
			continue;
		}
		/* the winner: DIRTY, or UNVERIFIED (data unreadable) */
		cand[c->n_dirty++] = cand[i];
	}
	c->dirty = cand;
	return 0;
}

int wcf_load(struct wcf_cache *c, const struct wcf_dev *d)
{
	int r;

	c->loadable = 0;
	if (c->sb_state == WCF_SB_BLANK) {
		c->loadable = 1;
		return 0;
	}
	if (c->sb_state != WCF_SB_OK) {
		c->refuse = c->sb_reason;
		return 0;
	}
	c->e = calloc(c->n_blocks, sizeof(*c->e));
	c->md_err = calloc(c->md_sectors, 1);
	if (!c->e || !c->md_err)
		return -ENOMEM;
	r = read_md(c, d);
	if (!r)
		r = verify_recent(c, d);
	if (!r)
		r = resolve(c);
	if (r)
		return r;
	c->loadable = !c->refuse;
	return 0;
}

void wcf_free(struct wcf_cache *c)
{
	free(c->e);
	free(c->dirty);
	free(c->probs);
	free(c->md_err);
	c->md_err = NULL;
	c->e = NULL;
	c->dirty = NULL;
	c->probs = NULL;
}

const char *wcf_estate_name(int state)
{
	static const char *const names[] = {
		"free", "dirty", "superseded", "dropped", "unverified", "ignored",
	};

	return state >= 0 && state <= WCF_E_IGNORED ? names[state] : "?";
}

const char *wcf_md_err_name(int err)
{
	static const char *const names[] = {
		"ok", "unreadable", "bad-checksum", "foreign", "bad-entry",
	};

	return err >= 0 && err <= WCF_MD_BAD_ENTRY ? names[err] : "?";
}

/* ---------------------------------------------------------------------- */
/* Marking clean */

static int problem_sector(const struct wcf_cache *c, uint64_t s)
{
	return c->md_err && s < c->md_sectors && c->md_err[s] != WCF_MD_OK;
}

/* an empty metadata sector of this format at index @s */
static void empty_sector(const struct wcf_cache *c, struct wcache_disk_md_sector *ms, uint64_t s)
{
	memset(ms, 0, sizeof(*ms));
	ms->hdr.magic = htole32(WCACHE_MD_MAGIC);
	ms->hdr.format_nonce = htole64(c->format_nonce);
	ms->hdr.index = htole64(s);
	wcf_sector_seal(ms);
}

/* write the runs of changed units of a chunk */
static int write_runs(const struct wcf_dev *d, unsigned char *buf, uint64_t first, uint64_t n,
		      uint64_t unit, const unsigned char *chg, void (*step)(const char *what),
		      const char *what)
{
	uint64_t u = 0, nu = n / unit;
	int r;

	while (u < nu) {
		uint64_t v = u;

		if (!chg[u]) {
			u++;
			continue;
		}
		while (v < nu && chg[v])
			v++;
		r = d->write(d->ctx, buf + u * unit * WCACHE_SECTOR_SIZE, first + u * unit,
			     (v - u) * unit);
		if (r)
			return r;
		if (step)
			step(what);
		u = v;
	}
	return 0;
}

int wcf_clean_pass(struct wcf_cache *c, const struct wcf_dev *d, int pass, int rewrite_bad,
		   void (*step)(const char *what))
{
	uint64_t unit = (d->lbs > 512 ? d->lbs : 512) / 512;
	uint64_t end = c->md_offset + c->md_sectors, first;
	const char *what = pass == 1 ? "free superseded entries" : "free written-back entries";
	unsigned char *buf = abuf(CHUNK_SECTORS), chg[CHUNK_SECTORS], rd_ok[CHUNK_SECTORS];
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (first = c->md_offset; !r && first < end; first += CHUNK_SECTORS) {
		uint64_t n = end - first, i, u;

		if (n > CHUNK_SECTORS)
			n = CHUNK_SECTORS;
		n = (n + unit - 1) / unit * unit;
		if (first + n > d->sectors)
			n = d->sectors - first;
		memset(chg, 0, sizeof(chg));
		memset(rd_ok, 1, sizeof(rd_ok));
		if (d->read(d->ctx, buf, first, n)) {
			for (u = 0; u < n; u += unit)
				if (d->read(d->ctx, buf + u * WCACHE_SECTOR_SIZE, first + u, unit)) {
					memset(buf + u * WCACHE_SECTOR_SIZE, 0,
					       unit * WCACHE_SECTOR_SIZE);
					rd_ok[u / unit] = 0;
				}
		}
		for (i = 0; i < n && first + i < end; i++) {
			struct wcache_disk_md_sector *ms =
				(void *)(buf + i * WCACHE_SECTOR_SIZE);
			uint64_t s = first + i - c->md_offset;
			unsigned int k;
			int changed = 0;

			if (problem_sector(c, s)) {
				if (rewrite_bad && pass == 2) {
					empty_sector(c, ms, s);
					chg[i / unit] = 1;
				}
				continue;
			}
			if (!rd_ok[i / unit])
				continue;
			for (k = 0; k < WCACHE_ENTRIES_PER_SECTOR; k++) {
				uint64_t b = s * WCACHE_ENTRIES_PER_SECTOR + k;
				struct wcache_disk_entry *de = &ms->entries[k];
				int st;

				if (!de->flags || b >= c->n_blocks)
					continue;
				st = c->e[b].state;
				/* only entries the load saw: the sector is as it was read */
				if (st == WCF_E_FREE)
					continue;
				if (pass == 1 && (st == WCF_E_DIRTY || st == WCF_E_UNVERIFIED))
					continue;
				memset(de, 0, sizeof(*de));
				changed = 1;
			}
			if (changed) {
				wcf_sector_seal(ms);
				chg[i / unit] = 1;
			}
		}
		/* a unit that could not be read is written only if all of it is rewritten */
		for (u = 0; u < n / unit; u++)
			if (!rd_ok[u]) {
				for (i = u * unit; i < (u + 1) * unit && first + i < end; i++)
					if (!problem_sector(c, first + i - c->md_offset))
						chg[u] = 0;
			}
		r = write_runs(d, buf, first, n, unit, chg, step, what);
	}
	free(buf);
	if (!r)
		r = d->flush(d->ctx);
	return r;
}

int wcf_mark_clean_sb(struct wcf_cache *c, const struct wcf_dev *d)
{
	uint64_t lbs = (d->lbs > 512 ? d->lbs : 512) / 512;
	unsigned char *buf = abuf(lbs);
	struct wcache_disk_sb *sb = (void *)buf;
	uint64_t durable = c->max_seq > c->durable_seq ? c->max_seq : c->durable_seq;
	int r;

	if (!buf)
		return -ENOMEM;
	r = d->read(d->ctx, buf, WCACHE_SB_SECTOR, lbs);
	if (r) {
		free(buf);
		return r;
	}
	if (le64toh(sb->durable_seq) == durable) {
		free(buf);
		return 0;
	}
	sb->durable_seq = htole64(durable);
	sb->sb_seq = htole64(le64toh(sb->sb_seq) + 1);
	wcf_sector_seal(sb);
	r = d->write(d->ctx, buf, WCACHE_SB_SECTOR, lbs);
	if (!r)
		r = d->flush(d->ctx);
	if (!r) {
		c->sb = *sb;
		c->durable_seq = durable;
	}
	free(buf);
	return r;
}
