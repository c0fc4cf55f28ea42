/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wcachectl doctor: the analysis rules. Pure: everything comes in
 * struct wc_doc_in (live table, our plan for the same devices, two status
 * samples and the origin's I/O counters over the same interval),
 * everything goes out in struct wc_doc_report. No I/O; unit-tested on
 * status samples recorded from real runs (tests/unit/data/doctor/).
 */
#ifndef WC_DOCTOR_H
#define WC_DOCTOR_H

#include <stdint.h>
#include "policy.h"
#include "status.h"

/* who made the mapping: decides which command fixes a finding */
enum wc_doc_kind {
	WC_DOC_HAND = 0,	/* a dmsetup table: dmsetup reload/create */
	WC_DOC_LVM,		/* lvconvert --type writecache: lvchange --cachesettings */
	WC_DOC_OURS,		/* wcachectl attach: wcachectl tune */
};

const char *wc_doc_kind_name(enum wc_doc_kind k);

struct wc_doc_in {
	const char *dm_name;
	enum wc_doc_kind kind;
	const char *vg, *lv;		/* LVM, ours: the cached LV ("" otherwise) */
	const char *cachevol;		/* LVM, ours: the cachevol LV (may be "") */
	const char *origin_lv;		/* hand-made over LVs: "vg/lv" of origin and */
	const char *cache_lv;		/* cache ("" when they are not LVs) */
	const char *cache_path;		/* the cache device, for zeroing its start */
	uint64_t sectors;		/* length of the mapping */
	enum wc_target target;
	const struct wc_table *tb;	/* the live table */
	const struct wc_plan *plan;	/* ours for the same devices; NULL: none */
	const char *plan_params;	/* its table parameters ("s o c bs n ...") */
	uint32_t fs_block_size;		/* of the filesystem on the mapping, 0: none */
	const char *fs_type;
	int origin_rotational;
	/* status at the start and the end of the sampling interval */
	const struct wc_status *st0, *st1;
	double secs;			/* between them; 0: one sample, no rates */
	uint64_t max_dirty;		/* highest dirty block count of all samples */
	/* the origin's block-layer counters over the same interval */
	int origin_measured;
	uint64_t origin_writes;		/* write requests completed */
	double origin_busy;		/* fraction of the interval with I/O in flight */
};

enum wc_doc_class {
	WC_F_CAUSE = 0,		/* makes the cache slow or unsafe now */
	WC_F_WARNING,		/* will, or may, hurt */
	WC_F_DIFFERENCE,	/* the live table differs from our plan */
};

const char *wc_doc_class_name(enum wc_doc_class c);

#define WC_DOC_TEXT	384
#define WC_DOC_FIX	1024
#define WC_DOC_MAX	24

struct wc_finding {
	const char *id;		/* stable name, listed in wcachectl(8) */
	enum wc_doc_class cls;
	const char *setting;	/* setting_differs: the key ("block_size" too) */
	char live[32], planned[32];
	char evidence[WC_DOC_TEXT];
	char effect[WC_DOC_TEXT];
	char fix[WC_DOC_FIX];	/* the command; "" when no table change helps */
};

struct wc_doc_metrics {
	double used_pct, dirty_pct, max_dirty_pct;
	uint64_t high_wm, low_wm;	/* in effect (the target's default if unset) */
	int rates;			/* 0: one sample only */
	double writes_ps;		/* blocks written to the mapping per second */
	double writeback_ps;		/* blocks written back per second */
	double blocked_ps, blocked_pct;	/* writes that waited for a free block */
	double bypass_ps, bypass_pct;	/* writes sent around the cache */
	double full_around_ps;		/* writecache (SSD mode): writes that found no
					 * free block and went to the origin instead */
	double flushes_ps, commits_ps;	/* commits_ps: reported (wcache) or estimated */
	int commits_estimated;
	double fill_ps;			/* net change of used blocks per second */
	double secs_to_full;		/* < 0: not filling */
	double origin_speed;		/* writes/s the origin can take, 0: unknown */
	int origin_speed_measured;	/* 1 measured, 0 modelled */
	double origin_busy_pct;		/* -1: not measured */
	int64_t error;
};

struct wc_doc_report {
	struct wc_doc_metrics m;
	struct wc_finding f[WC_DOC_MAX];
	unsigned int n;
};

/* random 4 KiB writes per second the model assumes for a rotational origin */
#define WC_DOC_HDD_MODEL_IOPS	200

/* the value of setting @k in effect for table @tb (the target's default when
 * the table omits it); 0 with *unlimited set for "no limit" */
uint64_t wc_doc_effective(enum wc_target t, const struct wc_table *tb, int k, int *unlimited);

void wc_doctor(const struct wc_doc_in *in, struct wc_doc_report *r);

/*
 * "VG-LV" device-mapper name -> vg, lv ('--' is a '-' of the name).
 * Returns 0, or -1 when @name is not of that form.
 */
int wc_doc_split_dm_name(const char *name, char *vg, size_t vlen, char *lv, size_t llen);

/* every finding id with a one-line description (for the man page and tests) */
struct wc_doc_id {
	const char *id;
	enum wc_doc_class cls;
	const char *what;
};

extern const struct wc_doc_id wc_doc_ids[];
extern const unsigned int wc_doc_nids;

#endif /* WC_DOCTOR_H */
