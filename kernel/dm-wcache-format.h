/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-wcache on-disk format.  Shared between the kernel target and the
 * userspace tools (tools/ include it with -I../kernel), so it must only use
 * <linux/types.h>.  All multi-byte fields are little endian.
 *
 * Layout of the cache device (all offsets in 512-byte sectors):
 *
 *   sector 0              superblock (struct wcache_disk_sb, 512 bytes)
 *   sectors 1..7          unused (zero)
 *   md_offset (= 8)       md_sectors metadata sectors
 *   data_offset           n_blocks data blocks of block_size bytes each
 *                         (data_offset is aligned to the block size and to
 *                         4 KiB)
 *
 * Each metadata sector is self-contained (512 bytes, written atomically by
 * any block device): a 32-byte header followed by WCACHE_ENTRIES_PER_SECTOR
 * 32-byte entries.  Entry i of metadata sector s describes data block
 * s * WCACHE_ENTRIES_PER_SECTOR + i.  Each sector carries its own crc32c, so
 * the protocol never depends on writes larger than one sector being atomic.
 *
 * Commit protocol (see man/dm-wcache.7): an entry is written with the number
 * of the commit that made it durable (seq) and a checksum of its data block
 * (low 32 bits of xxh64, seed 0).  An entry flagged WCACHE_ENTRY_STABLE
 * has no checksum (data_csum 0): its data block was written to a cache
 * device without a volatile write cache, so the data was durable before the
 * entry was ever written, and the entry is trusted whatever its seq.
 * The superblock records durable_seq: every commit <= durable_seq is known to
 * have completed its cache-device flush.  Entries with seq <= durable_seq are
 * trusted; entries with a higher seq are accepted on load only if the data
 * block's checksum matches.  For one origin block the valid entry with the
 * highest seq wins.  This lets one commit cost one cache flush: the
 * superblock update of commit N rides on the flush of commit N + 1.
 */
#ifndef DM_WCACHE_FORMAT_H
#define DM_WCACHE_FORMAT_H

#include <linux/types.h>

#define WCACHE_SB_MAGIC			0x48434357u	/* "WCCH" */
#define WCACHE_MD_MAGIC			0x444d4357u	/* "WCMD" */
#define WCACHE_FORMAT_VERSION		1

#define WCACHE_SECTOR_SIZE		512
#define WCACHE_SB_SECTOR		0
#define WCACHE_MD_OFFSET		8	/* sectors */
#define WCACHE_ENTRY_SIZE		32
#define WCACHE_ENTRIES_PER_SECTOR	15	/* (512 - 32) / 32 */

/* Superblock feature flags.  A reader refusing unknown incompat bits. */
#define WCACHE_FEATURE_INCOMPAT_STABLE	0x1ull	/* entries may be ENTRY_STABLE */

#define WCACHE_FEATURE_COMPAT_SUPP	0ull
#define WCACHE_FEATURE_INCOMPAT_SUPP	WCACHE_FEATURE_INCOMPAT_STABLE
#define WCACHE_FEATURE_RO_COMPAT_SUPP	0ull

/*
 * Commit sequence numbers (superblock durable_seq, entry seq) are kept in
 * 52 bits in memory: on disk they must be below 2^WCACHE_SEQ_BITS, and the
 * target refuses to commit past that (error state) instead of wrapping,
 * which would write entries with seq 0 and make the cache unloadable.
 * (2^52 commits: 142 years at a million commits a second; commits with
 * nothing to write take no number.)  Caches written with the earlier
 * 40-bit limit load unchanged.
 */
#define WCACHE_SEQ_BITS			52
#define WCACHE_SEQ_LIMIT		(1ULL << WCACHE_SEQ_BITS)

/* Superblock flags. */
#define WCACHE_SB_FLAG_CLEAN		0x1	/* last shutdown left no dirty data */

struct wcache_disk_sb {
	__le32 csum;		/* CRC-32C of the sector with csum = 0 */
	__le32 magic;		/* WCACHE_SB_MAGIC */
	__le32 version;		/* WCACHE_FORMAT_VERSION */
	__le32 flags;		/* WCACHE_SB_FLAG_* */
	__le64 features_compat;
	__le64 features_incompat;
	__le64 features_ro_compat;
	__le32 block_size;	/* bytes, power of two, 512..PAGE_SIZE */
	__le32 entries_per_sector;	/* WCACHE_ENTRIES_PER_SECTOR */
	__le64 n_blocks;	/* number of data blocks */
	__le64 md_offset;	/* sectors */
	__le64 md_sectors;	/* sectors */
	__le64 data_offset;	/* sectors */
	__le64 cache_sectors;	/* size of the cache device at format time */
	__le64 origin_sectors;	/* size of the origin device at format time */
	__u8 origin_uuid[16];	/* from the origin_uuid table argument, or 0 */
	__le64 format_nonce;	/* random, repeated in every metadata sector */
	__le64 durable_seq;	/* all commits <= this are durable */
	__le64 sb_seq;		/* incremented on every superblock write */
	__le64 format_time;	/* seconds since the epoch */
	__u8 reserved[512 - 144];
};

struct wcache_disk_md_header {
	__le32 csum;		/* CRC-32C of the sector with csum = 0 */
	__le32 magic;		/* WCACHE_MD_MAGIC */
	__le64 format_nonce;	/* == superblock format_nonce */
	__le64 index;		/* number of this metadata sector */
	__le64 reserved;
};

#define WCACHE_ENTRY_VALID		0x1
#define WCACHE_ENTRY_STABLE		0x2	/* data durable before entry; no csum */

struct wcache_disk_entry {
	__le64 oblock;		/* origin block number (in block_size units) */
	__le64 seq;		/* commit that wrote this entry */
	__le32 data_csum;	/* low 32 bits of xxh64(data block, seed 0), or 0 */
	__le32 flags;		/* WCACHE_ENTRY_*; 0 = free slot */
	__le64 reserved;
};

struct wcache_disk_md_sector {
	struct wcache_disk_md_header hdr;
	struct wcache_disk_entry entries[WCACHE_ENTRIES_PER_SECTOR];
};

#endif /* DM_WCACHE_FORMAT_H */
