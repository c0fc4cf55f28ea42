// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl activate: by hand (VG/LV) and at boot (VG, from
 * udev/wcache-activate@.service). The origin is only ever exposed through
 * the cache mapping: when the cachevol is missing or its metadata is
 * refused, the origin stays inactive, the reason is printed (the journal,
 * for the boot unit) and recorded for "wcachectl status", and --force is
 * the way to accept the loss of what only the cache held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "offline.h"
#include "pair.h"
#include "probe.h"
#include "vgscan.h"

#define FORCE_WIPE_BYTES	(1ULL << 20)

static const char *uts_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "(unknown)";
	return u.release;
}

static void fail_path(const char *vg, const char *lv, char *buf, size_t len)
{
	char name[WC_DM_NAME_MAX];

	if (wc_dm_lv_name(vg, lv, name, sizeof(name)))
		name[0] = '\0';
	snprintf(buf, len, WC_FAIL_DIR "/%s", name);
}

/* remember (or forget, @msg NULL) why VG/LV could not be activated */
void wc_activation_note(const char *vg, const char *lv, const char *msg)
{
	char path[WC_PATH_MAX];
	FILE *f;

	fail_path(vg, lv, path, sizeof(path));
	if (!msg) {
		unlink(path);
		return;
	}
	mkdir("/run/wcachectl", 0755);
	mkdir(WC_FAIL_DIR, 0755);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "%s\n", msg);
	fclose(f);
}

int wc_activation_failure(const char *vg, const char *lv, char *buf, size_t len)
{
	char path[WC_PATH_MAX];
	FILE *f;
	size_t n;

	fail_path(vg, lv, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n > 0;
}

/* give up a missing cachevol: the origin becomes VG/LV again, then activate it */
static int force_without_cache(struct wc_opts *o, const char *vg, const char *lv)
{
	struct wc_opts so = *o;
	int r;

	wc_warn("--force: giving up the missing cachevol of %s/%s; data that was only in the cache is lost and the filesystem on %s/%s may need fsck",
		vg, lv, vg, lv);
	wc_strlcpy(so.vg, vg, sizeof(so.vg));
	wc_strlcpy(so.lv, lv, sizeof(so.lv));
	so.force = 1;
	so.uncache = 0;
	r = cmd_split(&so);
	if (r)
		return r;
	r = wc_lvm_run("lvchange -ay -K %s/%s", vg, lv);
	if (r)
		return wc_err(r, "cannot activate %s/%s: %s", vg, lv, wc_lvm_error());
	printf("%s/%s is active without its cache (/dev/%s/%s)\n", vg, lv, vg, lv);
	return 0;
}

/*
 * State detached: the split flushed the cache and removed the mapping,
 * then stopped (crash, power cut) before the LVs were given back. The
 * cache holds nothing the origin lacks, so activation completes the split
 * and activates the origin as the ordinary LV it now is.
 */
static int finish_split(struct wc_opts *o, const char *vg, const char *lv)
{
	struct wc_opts so = *o;
	int r;

	wc_info("the split of %s/%s had flushed the cache; completing it", vg, lv);
	wc_strlcpy(so.vg, vg, sizeof(so.vg));
	wc_strlcpy(so.lv, lv, sizeof(so.lv));
	so.force = 0;
	so.uncache = 0;
	so.cancel = 0;
	r = cmd_split(&so);
	if (r)
		return r;
	r = wc_lvm_run("lvchange -ay %s/%s", vg, lv);
	if (r)
		return wc_err(r, "cannot activate %s/%s: %s", vg, lv, wc_lvm_error());
	printf("%s/%s is active without a cache (/dev/%s/%s)\n", vg, lv, vg, lv);
	return 0;
}

/* the cache's metadata was refused: format it again (loses dirty data) */
static int force_reformat(struct wc_pair *p)
{
	char path[WC_PATH_MAX], err[WC_ERR_MAX];
	uint64_t bytes;
	int r;

	wc_warn("--force: formatting the cache of %s/%s again; dirty data it held is lost and the filesystem on %s/%s may need fsck",
		p->vg, p->lv, p->vg, p->lv);
	if (wc_dm_lv_path(p->vg, p->cache->name, path, sizeof(path)))
		return WC_EFAIL;
	bytes = p->cache->size < FORCE_WIPE_BYTES ? p->cache->size : FORCE_WIPE_BYTES;
	r = wc_wipe_start(path, bytes, err, sizeof(err));
	if (r)
		return wc_err(r, "%s", err);
	wc_step_done("wipe cachevol (activate --force)");
	return wc_pair_map(p, p->ot.state == WC_ST_SPLITTING);
}

/*
 * An origin with redundancy (RAID, mirror) that lost a leg: LVM's
 * activation_mode decides, as for any LV: "complete" refuses, "degraded"
 * and "partial" activate it if the remaining legs hold all the data (LVM
 * refuses the activation otherwise, and so does wcachectl then).
 */
static int raid_degraded_ok(struct wc_pair *p)
{
	char mode[32];

	if (strncmp(p->origin->segtype, "raid", 4) && strcmp(p->origin->segtype, "mirror"))
		return 0;
	if (wc_lvm_activation_mode(mode, sizeof(mode)))
		return 0;
	if (!strcmp(mode, "complete"))
		return 0;
	wc_warn("the origin %s/%s (%s) is missing a leg; activating it degraded, as activation_mode=%s allows",
		p->vg, p->origin->name, p->origin->segtype, mode);
	return 1;
}

static int activate_lv(struct wc_opts *o, const char *vg, const char *lv)
{
	char reason[WC_ERR_MAX];
	struct wc_pair p;
	uint32_t ver[3];
	int r, partial, refusal, mapped = 0;

	r = wc_pair_load_cached(vg, lv, &p);
	if (r)
		goto out;
	switch (wc_pair_state(&p)) {
	case WC_ST_ATTACHING:
		r = wc_err(WC_EREFUSED, "the attach of %s/%s did not finish; run attach again, or split to roll it back",
			   vg, lv);
		goto out;
	case WC_ST_DETACHED:
		if (wc_dm_read_only) {
			r = wc_err(WC_EREFUSED, "the split of %s/%s is finished after the resume from hibernation (--read-only changes nothing)",
				   vg, lv);
			goto out;
		}
		/* flushed and unmapped: only giving the LVs back is left */
		wc_pair_free(&p);
		r = finish_split(o, vg, lv);
		if (!r)
			wc_activation_note(vg, lv, NULL);
		return r;
	default:
		break;
	}
	if (!p.cache) {
		if (o->force) {
			wc_pair_free(&p);
			r = force_without_cache(o, vg, lv);
			if (!r)
				wc_activation_note(vg, lv, NULL);
			return r;
		}
		r = wc_err(WC_EREFUSED, "the cachevol of %s/%s (LV uuid %s) is missing from volume group %s: %s/%s stays inactive so that stale data is not exposed. Restore the cachevol, or accept the loss of the data only it held with 'wcachectl activate --force %s/%s'",
			   vg, lv, p.ot.cachevol_uuid, vg, vg, p.origin->name, vg, lv);
		goto out;
	}
	partial = wc_lv_partial(p.cache) ? 1 : wc_lv_partial(p.origin) ? 2 : 0;
	if (partial == 2 && raid_degraded_ok(&p))
		partial = 0;	/* LVM activates it degraded, or refuses */
	if (partial) {
		r = wc_err(WC_EREFUSED, "the %s %s/%s of %s/%s is on a missing physical volume: %s/%s stays inactive so that stale data is not exposed. Connect the missing disk (see 'pvs') and run 'wcachectl activate %s/%s'%s",
			   partial == 1 ? "cachevol" : "origin", vg,
			   partial == 1 ? p.cache->name : p.origin->name, vg, lv, vg,
			   p.origin->name, vg, lv,
			   partial == 1 ? "; to give the cache up, 'vgreduce --removemissing --force' the VG, then 'wcachectl activate --force'" : "");
		goto out;
	}
	if (p.origin->attr[0] == 'o' || p.cache->attr[0] == 'o')
		wc_warn("%s/%s has LVM snapshots (lvcreate -s while the pairing was inactive?): they hold the bare %s, without the data the cache holds, not a copy of %s/%s. Remove them ('lvs -o name,origin %s' lists them)",
			vg, p.origin->attr[0] == 'o' ? p.origin->name : p.cache->name,
			p.origin->attr[0] == 'o' ? "origin" : "cachevol", vg, lv, vg);
	/*
	 * No target (a DKMS build that failed for this kernel): the origin
	 * stays inactive and hidden, and the way out is the offline writeback.
	 */
	if (!wc_pair_mapped(&p, &mapped, NULL, NULL) && !mapped &&
	    !wc_dm_target_present(wc_target_name(p.ot.target), ver)) {
		r = wc_err(WC_ENOTARGET, "the kernel %s has no %s target (module dm-%s missing): %s/%s stays inactive and its origin %s/%s hidden, because the cache may hold data the origin lacks. Install the module for this kernel (dkms autoinstall) and run 'wcachectl activate %s/%s', or write the cache back without it: 'wcachectl writeback --offline %s/%s'",
			   uts_release(), wc_target_name(p.ot.target), wc_target_name(p.ot.target),
			   vg, lv, vg, p.origin->name, vg, lv, vg, lv);
		goto out;
	}
	r = wc_pair_map(&p, p.ot.state == WC_ST_SPLITTING);
	if (r == WC_ENOTARGET && p.ot.target == WC_TARGET_WCACHE) {
		wc_offline_hint(vg, lv, reason, sizeof(reason));
		r = wc_err(WC_ENOTARGET, "%s/%s stays inactive: the dm-wcache module is missing (a kernel update without a rebuilt module?). Its dirty data can be written back without the module: '%s'; then 'wcachectl split %s/%s' gives the origin back, or activate again once the module is there",
			   vg, lv, reason, vg, lv);
	}
	if (r == WC_EDM) {
		refusal = wc_pair_refusal(&p, reason, sizeof(reason));
		if (refusal == WC_REFUSAL_METADATA && o->force) {
			wc_warn("the kernel refused the cache of %s/%s: %s", vg, lv, reason);
			r = wc_confirm(o->yes, "format the cache %s/%s of %s/%s again, losing the dirty data it holds",
				       vg, p.cache->name, vg, lv);
			if (!r)
				r = force_reformat(&p);
		} else if (refusal == WC_REFUSAL_METADATA) {
			r = wc_err(WC_EDM, "the kernel refused the cache of %s/%s (%s): %s/%s stays inactive. If the cachevol %s/%s is the right one, 'wcachectl activate --force %s/%s' formats it again, losing the dirty data it held",
				   vg, lv, reason, vg, p.origin->name, vg, p.cache->name, vg, lv);
		} else if (refusal == WC_REFUSAL_SIZE) {
			r = wc_err(WC_EREFUSED, "the kernel refused the cache of %s/%s (%s): %s/%s or %s/%s changed size since the attach. %s/%s stays inactive; give the LV its old size back (lvextend/lvreduce) and run 'wcachectl activate %s/%s'. --force does not format this cache",
				   vg, lv, reason, vg, p.origin->name, vg, p.cache->name, vg,
				   p.origin->name, vg, lv);
		} else {
			r = wc_err(WC_EDM, "cannot load the cache of %s/%s: %s. This is not a problem of the cache's metadata, so --force does not format it; %s/%s stays inactive. Fix the cause and run 'wcachectl activate %s/%s' again",
				   vg, lv, reason, vg, p.origin->name, vg, lv);
		}
	}
	/* (read-only: LVM's metadata too is left for the read-write activation) */
	if (!r && p.ot.state == WC_ST_WIPED && !wc_dm_read_only)
		r = wc_pair_set_state(&p, WC_ST_ATTACHED);
	if (!r) {
		struct wc_dm_info info;

		printf("%s/%s is active%s (/dev/%s/%s)\n", vg, lv,
		       !wc_dm_info(p.dm_name, &info) && info.read_only ? " read-only" : "",
		       vg, lv);
	}
out:
	wc_pair_free(&p);
	if (!r)
		wc_activation_note(vg, lv, NULL);
	else if (r != WC_ENOENT)
		wc_activation_note(vg, lv, wc_last_error());
	return r;
}

/*
 * Boot: every pairing of @vg. With --wait, pairings whose LVs are partial
 * (on a PV that is missing) are waited for: the PV may still be appearing.
 * An LV that is not in the VG's metadata at all will not appear.
 */
static int activate_vg(struct wc_opts *o)
{
	struct wc_vg_pair pairs[WC_VG_PAIRS_MAX];
	struct wc_lv *lvs = NULL;
	time_t deadline = time(NULL) + o->wait;
	int n = 0, nlvs, i, r, r1, waiting, said = 0;

	for (;;) {
		free(lvs);
		lvs = NULL;
		r = wc_lvm_lvs(o->vg, &lvs, &nlvs);
		if (r == WC_ENOENT)
			return wc_err(r, "volume group %s not found", o->vg);
		if (r)
			return wc_err(r, "cannot list the LVs of %s: %s", o->vg, wc_lvm_error());
		n = wc_vg_pairings(o->vg, lvs, nlvs, pairs, WC_VG_PAIRS_MAX);
		if (n < 0) {
			free(lvs);
			return wc_err(WC_ETAGS, "volume group %s records more than %d cache pairings; refusing to look at them",
				      o->vg, WC_VG_PAIRS_MAX);
		}
		waiting = 0;
		for (i = 0; i < n; i++)
			if (pairs[i].state == WC_VP_PARTIAL)	/* a PV may still appear */
				waiting++;
		if (!waiting || time(NULL) >= deadline)
			break;
		if (!said++)
			wc_info("%s: waiting up to %u s for the devices of %d cached LV%s", o->vg,
				o->wait, waiting, waiting > 1 ? "s" : "");
		sleep(1);
	}
	if (!n) {
		free(lvs);
		wc_debug("volume group %s has no cached LVs", o->vg);
		return 0;
	}
	r = 0;
	for (i = 0; i < n; i++) {
		if (pairs[i].state == WC_VP_BAD) {
			r1 = wc_err(WC_ETAGS, "%s/%s: ignoring its cache tags: %s; it stays inactive",
				    o->vg, lvs[pairs[i].origin].name, pairs[i].why);
			wc_activation_note(o->vg, pairs[i].lv, wc_last_error());
		} else {
			r1 = activate_lv(o, o->vg, pairs[i].lv);
		}
		if (r1 && !r)
			r = r1;
	}
	free(lvs);
	return r;
}

int cmd_activate(struct wc_opts *o)
{
	int r;

	r = wc_lock();
	if (r)
		return r;
	if (o->read_only && o->force)
		return wc_err(WC_EUSAGE, "--read-only and --force do not go together");
	wc_dm_read_only = o->read_only;
	if (!o->has_lv) {
		if (o->force)
			return wc_err(WC_EUSAGE, "--force needs one VG/LV");
		return activate_vg(o);
	}
	return activate_lv(o, o->vg, o->lv);
}
