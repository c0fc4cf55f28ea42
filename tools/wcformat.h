/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl: the dm-wcache on-disk format and the kernel's load rules, in
 * userspace.  The only parser of the format outside the kernel: check,
 * dump, writeback --offline, split's offline test and the replay tests use
 * it.  The layout and constants come from kernel/dm-wcache-format.h; the
 * rules are those of wc_check_sb(), wc_md_sector_ok(), wc_verify_recent()
 * and wc_load() in kernel/dm-wcache-metadata.c:
 *
 *   - the superblock must pass its checksum and the geometry check;
 *   - every metadata sector must pass its checksum, carry the format's
 *     nonce and its own index, and every used entry must be sane (flags,
 *     STABLE only with the feature and without a data checksum, cache block
 *     and origin block in range, seq in 1..WCACHE_SEQ_LIMIT-1); one bad
 *     sector and the kernel refuses the whole cache;
 *   - entries with seq <= durable_seq and STABLE entries are trusted,
 *     others only when their data block matches their checksum;
 *   - for one origin block the valid entry with the highest seq wins (two
 *     with the same seq: the lower cache block, which the kernel meets
 *     first); the others are superseded.
 *
 * No library calls: I/O goes through the callbacks of struct wcf_dev, so
 * unit tests and fuzzers run it on memory images.
 */
#ifndef WC_WCFORMAT_H
#define WC_WCFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/dm-wcache-format.h"

/* the kernel's entry index is a u32 with 0xffffffff as "none" (WC_NIL) */
#define WCF_MAX_BLOCKS		0xfffffffeULL

uint32_t wcf_crc32c(const void *p, size_t n);
uint64_t wcf_xxh64(const void *p, size_t n, uint64_t seed);
/* the sector checksum of the superblock and metadata sectors */
uint32_t wcf_sector_csum(const void *sector);
/* set the checksum of a superblock or metadata sector */
void wcf_sector_seal(void *sector);
/* the data checksum of an entry: low 32 bits of xxh64, seed 0 */
uint32_t wcf_data_csum(const void *block, uint32_t block_size);

/* Device access: sectors of 512 bytes; callbacks return 0 or -errno. */
struct wcf_dev {
	int (*read)(void *ctx, void *buf, uint64_t sector, uint64_t count);
	int (*write)(void *ctx, const void *buf, uint64_t sector, uint64_t count);
	int (*flush)(void *ctx);
	void *ctx;
	uint64_t sectors;	/* size of the device */
	uint32_t lbs;		/* logical block size (512 if 0) */
};

/* What the table would say; 0/NULL: unknown, not checked. */
struct wcf_expect {
	uint32_t block_size;
	uint64_t origin_sectors;	/* exact (the table length) */
	uint64_t origin_min_sectors;	/* the origin device must hold this */
	const uint8_t *origin_uuid;	/* 16 bytes */
	int writable;			/* refuse unknown ro_compat features */
};

enum wcf_sb_state {
	WCF_SB_OK = 0,
	WCF_SB_BLANK,		/* all zero: the target formats it */
	WCF_SB_BAD,		/* refused (reason in sb_reason) */
	WCF_SB_UNREADABLE,
};

/* the state of one entry (cache block) after the load */
enum wcf_estate {
	WCF_E_FREE = 0,
	WCF_E_DIRTY,		/* loaded: the current version of its origin block */
	WCF_E_SUPERSEDED,	/* valid, but a higher seq holds the origin block */
	WCF_E_DROPPED,		/* seq > durable_seq and its data does not match */
	WCF_E_UNVERIFIED,	/* seq > durable_seq and its data cannot be read */
	WCF_E_IGNORED,		/* in a metadata sector that was refused */
};

enum wcf_md_err {
	WCF_MD_OK = 0,
	WCF_MD_UNREADABLE,
	WCF_MD_BAD_CSUM,	/* bad magic or checksum (torn, corrupt) */
	WCF_MD_FOREIGN,		/* another format's nonce, or another index */
	WCF_MD_BAD_ENTRY,	/* an entry fails the checks */
};

struct wcf_problem {
	uint64_t sector;	/* metadata sector index */
	int err;		/* enum wcf_md_err */
	int entry;		/* BAD_ENTRY: which entry; else -1 */
	const char *why;
};

struct wcf_entry {
	uint64_t oblock;
	uint64_t seq;
	uint32_t csum;
	uint8_t flags;		/* WCACHE_ENTRY_* as on disk */
	uint8_t state;		/* enum wcf_estate */
};

struct wcf_cache {
	struct wcache_disk_sb sb;	/* as read */
	int sb_state;			/* enum wcf_sb_state */
	const char *sb_reason;
	/* decoded superblock */
	uint32_t block_size, block_sectors;
	uint64_t n_blocks, md_offset, md_sectors, data_offset;
	uint64_t cache_sectors, origin_sectors, origin_blocks;
	uint64_t format_nonce, durable_seq, sb_seq;
	int stable_ok;
	/* after wcf_load() */
	struct wcf_entry *e;		/* n_blocks entries */
	uint64_t *dirty;		/* cache blocks of the DIRTY entries, by origin block */
	uint64_t n_dirty;
	struct wcf_problem *probs;
	uint64_t n_probs;
	uint8_t *md_err;		/* md_sectors entries: enum wcf_md_err */
	uint64_t n_used;		/* entries with flags != 0 in good sectors */
	uint64_t n_stable, n_verified, n_dropped, n_unverified, n_superseded;
	uint64_t n_ignored, n_same_seq, n_bad_sectors, max_seq;
	int loadable;			/* the kernel would load this cache */
	const char *refuse;		/* if not: the kernel's reason */
};

/*
 * Read and check the superblock.  Returns 0 (see c->sb_state; the geometry
 * fields are set for WCF_SB_OK) or -errno for a read error.
 */
int wcf_open(struct wcf_cache *c, const struct wcf_dev *d, const struct wcf_expect *x);

/*
 * Read the metadata area and apply the load rules (verifying the data
 * blocks of entries newer than durable_seq).  Entries of sectors that fail
 * are IGNORED and the sectors listed in c->probs; c->loadable says whether
 * the kernel would load the cache.  Returns 0 or -ENOMEM.
 */
int wcf_load(struct wcf_cache *c, const struct wcf_dev *d);

void wcf_free(struct wcf_cache *c);

const char *wcf_estate_name(int state);
const char *wcf_md_err_name(int err);

/* first sector of cache block @b on the cache device */
static inline uint64_t wcf_block_sector(const struct wcf_cache *c, uint64_t b)
{
	return c->data_offset + b * c->block_sectors;
}

/*
 * Mark the cache clean in two crash-safe passes over the metadata area:
 * @pass 1 frees every used entry that is not DIRTY (superseded, dropped,
 * unverified), so that any DIRTY entry still on disk stays the winner;
 * @pass 2 frees the DIRTY entries too (their data must be on the origin,
 * flushed, before).  With @rewrite_bad, sectors that were refused are
 * rewritten as empty sectors (what they held is lost).  Each pass ends with
 * a flush.  Then wcf_mark_clean_sb() records every seq seen as durable.
 * @step (may be NULL) is called after each write.  Returns 0 or -errno.
 */
int wcf_clean_pass(struct wcf_cache *c, const struct wcf_dev *d, int pass, int rewrite_bad,
		   void (*step)(const char *what));
int wcf_mark_clean_sb(struct wcf_cache *c, const struct wcf_dev *d);

/* 32 lowercase hex digits of 16 bytes */
void wcf_hex16(const uint8_t *b, char out[33]);
/* 32 hex digits to 16 bytes; 0 or -1 */
int wcf_parse_hex16(const char *s, uint8_t out[16]);

#endif /* WC_WCFORMAT_H */
