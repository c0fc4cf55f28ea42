// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the on-disk format parser and load rules of
 * wcachectl check, dump and writeback --offline (tools/wcformat.c) on
 * corrupted cache images.
 *
 * Input: one control byte, one position byte, then the image (sectors of
 * 512 bytes).  Control bit 0: re-seal the checksums of the superblock and
 * of every metadata sector first, so that mutations reach the semantic
 * checks; bits 1-2: a read error on a metadata sector (1) or a data block
 * (2) picked by the position byte.
 *
 * What must hold: no crash, leak or undefined behaviour; a loadable cache
 * has no refused sector; every used entry is dirty, superseded or dropped;
 * the dirty list is sorted by origin block, one entry per block, each the
 * highest seq of its block (the lowest cache block among equals); freeing
 * the superseded entries keeps the dirty set; freeing everything (failed
 * sectors rewritten) leaves a cache that loads empty.
 */
#include <endian.h>
#include <errno.h>

#include "fuzz.h"
#include "tools/wcformat.h"

struct mem {
	unsigned char *img;
	uint64_t sectors, bad_lo, bad_hi;
};

static int m_read(void *ctx, void *buf, uint64_t s, uint64_t n)
{
	struct mem *m = ctx;

	if (s > m->sectors || n > m->sectors - s)
		return -EIO;
	if (s < m->bad_hi && s + n > m->bad_lo)
		return -EIO;
	memcpy(buf, m->img + s * 512, n * 512);
	return 0;
}

static int m_write(void *ctx, const void *buf, uint64_t s, uint64_t n)
{
	struct mem *m = ctx;

	FUZZ_ASSERT(s <= m->sectors && n <= m->sectors - s);
	memcpy(m->img + s * 512, buf, n * 512);
	return 0;
}

static int m_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static void invariants(const struct wcf_cache *c)
{
	uint64_t i, b;

	if (c->sb_state != WCF_SB_OK) {
		FUZZ_ASSERT(c->loadable == (c->sb_state == WCF_SB_BLANK));
		return;
	}
	if (c->loadable)
		FUZZ_ASSERT(c->n_probs == 0 && c->n_unverified == 0 && !c->refuse);
	else
		FUZZ_ASSERT(c->refuse != NULL);
	FUZZ_ASSERT(c->n_used == c->n_dirty + c->n_superseded + c->n_dropped);
	for (i = 0; i < c->n_dirty; i++) {
		const struct wcf_entry *e = &c->e[c->dirty[i]];

		FUZZ_ASSERT(e->state == WCF_E_DIRTY || e->state == WCF_E_UNVERIFIED);
		FUZZ_ASSERT(e->oblock < c->origin_blocks && e->seq && e->seq < WCACHE_SEQ_LIMIT);
		if (i)
			FUZZ_ASSERT(c->e[c->dirty[i - 1]].oblock < e->oblock);
	}
	/* the winner of each origin block: highest seq, then lowest cache block */
	for (b = 0; b < c->n_blocks; b++) {
		const struct wcf_entry *e = &c->e[b];

		if (e->state != WCF_E_SUPERSEDED)
			continue;
		for (i = 0; i < c->n_dirty; i++) {
			const struct wcf_entry *w = &c->e[c->dirty[i]];

			if (w->oblock != e->oblock)
				continue;
			FUZZ_ASSERT(w->seq > e->seq || (w->seq == e->seq && c->dirty[i] < b));
			break;
		}
		FUZZ_ASSERT(i < c->n_dirty);
	}
}

static void load(struct wcf_cache *c, const struct wcf_dev *d)
{
	FUZZ_ASSERT(wcf_open(c, d, NULL) == 0 || c->sb_state == WCF_SB_UNREADABLE);
	FUZZ_ASSERT(wcf_load(c, d) == 0);
	invariants(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { 0 };
	struct wcf_dev d = { m_read, m_write, m_flush, &m, 0, 512 };
	struct wcf_cache c, c2;
	uint64_t i;
	int ctl, pos;

	if (size < 2 + 512)
		return 0;
	ctl = data[0];
	pos = data[1];
	m.sectors = (size - 2) / 512;
	m.img = malloc(m.sectors * 512);
	FUZZ_ASSERT(m.img != NULL);
	memcpy(m.img, data + 2, m.sectors * 512);
	d.sectors = m.sectors;
	if (ctl & 1) {
		const struct wcache_disk_sb *sb = (void *)m.img;
		uint64_t mds = le64toh(sb->md_sectors);

		wcf_sector_seal(m.img);
		for (i = 0; i < mds && WCACHE_MD_OFFSET + i < m.sectors; i++)
			wcf_sector_seal(m.img + (WCACHE_MD_OFFSET + i) * 512);
	}
	memset(&c, 0, sizeof(c));
	load(&c, &d);
	if (c.sb_state == WCF_SB_OK && (ctl & 6)) {
		/* the same image with one unreadable metadata sector or data block */
		uint64_t s = (ctl & 2) ? c.md_offset + pos % c.md_sectors :
			     wcf_block_sector(&c, pos % c.n_blocks);

		m.bad_lo = s;
		m.bad_hi = s + ((ctl & 2) ? 1 : c.block_sectors);
		wcf_free(&c);
		load(&c, &d);
		m.bad_lo = m.bad_hi = 0;
		FUZZ_ASSERT(!c.loadable || c.n_used == 0 || (ctl & 4));
	}
	if (c.sb_state == WCF_SB_OK && !m.bad_hi) {
		/* pass 1 keeps the dirty set */
		FUZZ_ASSERT(wcf_clean_pass(&c, &d, 1, 0, NULL) == 0);
		memset(&c2, 0, sizeof(c2));
		load(&c2, &d);
		if (c.loadable) {
			FUZZ_ASSERT(c2.loadable && c2.n_dirty == c.n_dirty);
			for (i = 0; i < c.n_dirty; i++)
				FUZZ_ASSERT(c2.dirty[i] == c.dirty[i]);
			FUZZ_ASSERT(c2.n_used == c2.n_dirty);
		}
		wcf_free(&c2);
		/* everything freed, failed sectors rewritten: loads empty */
		FUZZ_ASSERT(wcf_clean_pass(&c, &d, 2, 1, NULL) == 0);
		FUZZ_ASSERT(wcf_mark_clean_sb(&c, &d) == 0);
		memset(&c2, 0, sizeof(c2));
		load(&c2, &d);
		FUZZ_ASSERT(c2.sb_state == WCF_SB_OK && c2.loadable && c2.n_used == 0);
		wcf_free(&c2);
	}
	wcf_free(&c);
	free(m.img);
	return 0;
}
