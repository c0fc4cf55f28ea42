// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: finding a pairing from LVM tags and the steps shared by the
 * subcommands: state changes, activation, loading and removing the
 * mapping. Every step checks the current state first, so it can be
 * repeated after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pair.h"
#include "policy.h"

struct wc_lv *wc_find_lv(struct wc_pair *p, const char *name)
{
	int i;

	for (i = 0; i < p->nlvs; i++)
		if (!strcmp(p->lvs[i].name, name))
			return &p->lvs[i];
	return NULL;
}

struct wc_lv *wc_find_lv_uuid(struct wc_pair *p, const char *uuid)
{
	int i;

	for (i = 0; i < p->nlvs; i++)
		if (!strcmp(p->lvs[i].uuid, uuid))
			return &p->lvs[i];
	return NULL;
}

void wc_pair_free(struct wc_pair *p)
{
	free(p->lvs);
	p->lvs = NULL;
	p->nlvs = 0;
}

static int find(struct wc_pair *p)
{
	char err[WC_ERR_MAX];
	struct wc_tags t;
	int i, r;

	p->origin = NULL;
	p->cache = NULL;
	memset(&p->ot, 0, sizeof(p->ot));
	memset(&p->ct, 0, sizeof(p->ct));

	/* the tagged origin whose recorded name is lv */
	for (i = 0; i < p->nlvs; i++) {
		struct wc_lv *l = &p->lvs[i];

		if (!strstr(l->tags, WC_TAG_PREFIX))
			continue;
		r = wc_tags_parse(l->tags, &t, err, sizeof(err));
		if (r) {
			/* only complain about LVs that concern us */
			if (!strcmp(l->name, p->lv) || !strcmp(l->name, p->wco_name))
				return wc_err(r, "%s/%s: %s", p->vg, l->name, err);
			continue;
		}
		if (t.role != WC_ROLE_ORIGIN || strcmp(t.name, p->lv))
			continue;
		if (p->origin)
			return wc_err(WC_ETAGS, "%s/%s and %s/%s both claim to be origin of %s",
				      p->vg, p->origin->name, p->vg, l->name, p->lv);
		/* a tagged origin is named lv or lv_wco, nothing else */
		if (strcmp(l->name, p->lv) && strcmp(l->name, p->wco_name))
			return wc_err(WC_ETAGS, "%s/%s carries the tags of %s but has an unexpected name",
				      p->vg, l->name, p->lv);
		p->origin = l;
		p->ot = t;
	}
	if (!p->origin) {
		p->origin = wc_find_lv(p, p->lv);
		return 0;
	}
	/* a renamed origin and another LV with the user-visible name */
	if (strcmp(p->origin->name, p->lv) && wc_find_lv(p, p->lv))
		return wc_err(WC_EREFUSED, "%s/%s exists next to the cached origin %s/%s; rename it",
			      p->vg, p->lv, p->vg, p->origin->name);

	p->cache = wc_find_lv_uuid(p, p->ot.cachevol_uuid);
	if (p->cache) {
		r = wc_tags_parse(p->cache->tags, &p->ct, err, sizeof(err));
		if (r)
			return wc_err(r, "cachevol %s/%s: %s", p->vg, p->cache->name, err);
		/* before attach tagged it, the cachevol has no tags yet */
		if (p->ct.role == WC_ROLE_CACHEVOL &&
		    strcmp(p->ct.origin_uuid, p->origin->uuid))
			return wc_err(WC_ETAGS, "cachevol %s/%s belongs to another origin",
				      p->vg, p->cache->name);
		if (p->ct.role == WC_ROLE_ORIGIN)
			return wc_err(WC_ETAGS, "cachevol %s/%s is itself a cached origin",
				      p->vg, p->cache->name);
	}
	snprintf(p->dm_uuid, sizeof(p->dm_uuid), WC_DM_UUID_PREFIX "%s", p->origin->uuid);
	/* DM uuids are used without the hyphens of the LVM uuid */
	{
		char *s = p->dm_uuid + strlen(WC_DM_UUID_PREFIX), *d = s;

		for (; *s; s++)
			if (*s != '-')
				*d++ = *s;
		*d = '\0';
	}
	return 0;
}

int wc_pair_reload(struct wc_pair *p)
{
	int r, i, n;

	wc_pair_free(p);
	r = wc_lvm_lvs(p->vg, &p->lvs, &p->nlvs);
	if (r == WC_ENOENT)
		return wc_err(r, "volume group %s not found", p->vg);
	if (r)
		return wc_err(r, "cannot list the LVs of %s: %s", p->vg, wc_lvm_error());
	/* a pairing never reaches outside its VG: drop anything else reported */
	for (i = n = 0; i < p->nlvs; i++)
		if (!strcmp(p->lvs[i].vg, p->vg))
			p->lvs[n++] = p->lvs[i];
	p->nlvs = n;
	return find(p);
}

int wc_pair_load(const char *vg, const char *lv, struct wc_pair *p)
{
	memset(p, 0, sizeof(*p));
	wc_strlcpy(p->vg, vg, sizeof(p->vg));
	wc_strlcpy(p->lv, lv, sizeof(p->lv));
	if (strlen(lv) + strlen(WC_ORIGIN_SUFFIX) > WC_NAME_MAX)
		return wc_err(WC_EUSAGE, "LV name %s is too long to be cached", lv);
	snprintf(p->wco_name, sizeof(p->wco_name), "%s" WC_ORIGIN_SUFFIX, lv);
	if (wc_dm_lv_name(vg, lv, p->dm_name, sizeof(p->dm_name)))
		return wc_err(WC_EUSAGE, "%s/%s: name too long", vg, lv);
	return wc_pair_reload(p);
}

int wc_pair_set_state(struct wc_pair *p, enum wc_state s)
{
	char del[WC_TAG_MAX], add[WC_TAG_MAX];
	int r;

	if (p->ot.state == s)
		return 0;
	wc_tag_state(p->ot.state, del, sizeof(del));
	wc_tag_state(s, add, sizeof(add));
	r = wc_lvm_run("lvchange --deltag %s --addtag %s %s/%s", del, add, p->vg,
		       p->origin->name);
	if (r)
		return wc_err(r, "cannot record state %s on %s/%s: %s", wc_state_name(s),
			      p->vg, p->origin->name, wc_lvm_error());
	p->ot.state = s;
	wc_debug("state of %s/%s: %s", p->vg, p->lv, wc_state_name(s));
	return 0;
}

/*
 * Mark an LV of a pairing as hidden before activating it: udev's
 * 12-wcache-hide.rules then keeps filesystem probing, /dev/disk/by-* links
 * and systemd away from it (the origin carries the same filesystem UUID as
 * the cached device).
 */
int wc_pair_hide(struct wc_pair *p, struct wc_lv *l, int hide)
{
	char name[WC_DM_NAME_MAX], path[WC_PATH_MAX];
	int fd;

	if (wc_dm_lv_name(p->vg, l->name, name, sizeof(name)))
		return 0;
	snprintf(path, sizeof(path), WC_HIDE_DIR "/%s", name);
	if (!hide) {
		unlink(path);
		return 0;
	}
	if (!access(path, F_OK))
		return 0;
	mkdir("/run/wcachectl", 0755);
	mkdir(WC_HIDE_DIR, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		wc_debug("cannot create %s: %s", path, strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

/* an LV that was active before it was hidden: let udev look at it again */
static void retrigger(struct wc_pair *p, struct wc_lv *l)
{
	char name[WC_DM_NAME_MAX], path[WC_PATH_MAX];
	struct wc_dm_info info;
	int fd;

	if (wc_dm_lv_name(p->vg, l->name, name, sizeof(name)) || wc_dm_info(name, &info) ||
	    !info.exists)
		return;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", info.major, info.minor);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "change", 6) != 6)
		wc_debug("cannot write %s: %s", path, strerror(errno));
	close(fd);
}

static int activate(struct wc_pair *p, struct wc_lv *l)
{
	int r;

	if (l->active)
		return 0;
	wc_pair_hide(p, l, 1);
	r = wc_lvm_run("lvchange -ay -K %s/%s", p->vg, l->name);
	if (r)
		return wc_err(r, "cannot activate %s/%s: %s", p->vg, l->name, wc_lvm_error());
	l->active = 1;
	return 0;
}

int wc_pair_activate_lvs(struct wc_pair *p)
{
	int r;

	if (!p->cache)
		return wc_err(WC_EREFUSED, "the cachevol of %s/%s is missing", p->vg, p->lv);
	r = activate(p, p->cache);
	if (!r)
		r = activate(p, p->origin);
	return r;
}

static int devnum(struct wc_pair *p, struct wc_lv *l, char *buf, size_t len)
{
	char name[WC_DM_NAME_MAX];
	struct wc_dm_info info;

	if (wc_dm_lv_name(p->vg, l->name, name, sizeof(name)))
		return wc_err(WC_EFAIL, "name too long");
	if (wc_dm_info(name, &info) || !info.exists)
		return wc_err(WC_EDM, "%s/%s is not active (no device %s)", p->vg, l->name, name);
	snprintf(buf, len, "%u:%u", info.major, info.minor);
	return 0;
}

static int size_changed(struct wc_pair *p, struct wc_lv *l, uint64_t was, const char *what)
{
	char now_s[32], was_s[32];

	wc_human_size(l->size, now_s, sizeof(now_s));
	wc_human_size(was, was_s, sizeof(was_s));
	if (l->size > was)
		return wc_err(WC_EREFUSED, "the %s %s/%s is %s (%llu bytes), but was %s (%llu bytes) when %s/%s was attached: it was extended while the pairing was inactive. %s/%s stays inactive. Nothing was written to the new space, so give the old size back with 'lvreduce -y -L %llub %s/%s' and run 'wcachectl activate %s/%s'. To resize a cached LV: 'wcachectl split', resize, 'wcachectl attach'",
			      what, p->vg, l->name, now_s, (unsigned long long)l->size, was_s,
			      (unsigned long long)was, p->vg, p->lv, p->vg, p->lv,
			      (unsigned long long)was, p->vg, l->name, p->vg, p->lv);
	return wc_err(WC_EREFUSED, "the %s %s/%s is %s (%llu bytes), but was %s (%llu bytes) when %s/%s was attached: it was reduced while the pairing was inactive, and what was at its end is gone. %s/%s stays inactive. Give the old size back with 'lvextend -y -L %llub %s/%s', run 'wcachectl activate %s/%s', then check the filesystem (fsck); the cache may have held data for the lost part. To resize a cached LV: 'wcachectl split', resize, 'wcachectl attach'",
		      what, p->vg, l->name, now_s, (unsigned long long)l->size, was_s,
		      (unsigned long long)was, p->vg, p->lv, p->vg, p->lv,
		      (unsigned long long)was, p->vg, l->name, p->vg, p->lv);
}

int wc_pair_size_changed(const struct wc_pair *p)
{
	return (p->ot.origin_size && p->origin->size != p->ot.origin_size) ||
	       (p->cache && p->ot.cache_size && p->cache->size != p->ot.cache_size);
}

int wc_pair_check_sizes(struct wc_pair *p)
{
	if (p->ot.origin_size && p->origin->size != p->ot.origin_size)
		return size_changed(p, p->origin, p->ot.origin_size, "origin");
	if (p->cache && p->ot.cache_size && p->cache->size != p->ot.cache_size)
		return size_changed(p, p->cache, p->ot.cache_size, "cachevol");
	return 0;
}

int wc_pair_table(struct wc_pair *p, int cleaner, char *target, size_t tlen,
		  char *params, size_t plen, uint64_t *sectors)
{
	char o[32], c[32];
	struct wc_plan plan;
	int r;

	memset(&plan, 0, sizeof(plan));
	plan.mode = p->ot.mode;
	plan.block_size = p->ot.block_size;
	plan.s = p->ot.set;
	r = devnum(p, p->origin, o, sizeof(o));
	if (!r)
		r = devnum(p, p->cache, c, sizeof(c));
	if (r)
		return r;
	if (wc_plan_params(&plan, o, c, cleaner,
			   p->ot.target == WC_TARGET_WCACHE ? p->ot.uuid : NULL, params, plen))
		return wc_err(WC_EFAIL, "table line too long");
	wc_strlcpy(target, wc_target_name(p->ot.target), tlen);
	*sectors = p->origin->size / 512;
	return 0;
}

/* /dev/VG/LV -> ../mapper/VG-LV, as LVM's udev rules do for LVs */
static void make_link(struct wc_pair *p)
{
	char dir[WC_PATH_MAX], path[WC_PATH_MAX], target[WC_PATH_MAX], cur[WC_PATH_MAX];
	ssize_t n;

	snprintf(dir, sizeof(dir), "/dev/%s", p->vg);
	snprintf(path, sizeof(path), "/dev/%s/%s", p->vg, p->lv);
	snprintf(target, sizeof(target), "../mapper/%s", p->dm_name);
	n = readlink(path, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		if (!strcmp(cur, target))
			return;
		unlink(path);
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		wc_warn("cannot create %s: %s", dir, strerror(errno));
	if (symlink(target, path))
		wc_warn("cannot create %s: %s", path, strerror(errno));
}

static void remove_link(struct wc_pair *p)
{
	char path[WC_PATH_MAX], target[WC_PATH_MAX], cur[WC_PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/dev/%s/%s", p->vg, p->lv);
	snprintf(target, sizeof(target), "../mapper/%s", p->dm_name);
	n = readlink(path, cur, sizeof(cur) - 1);
	if (n <= 0)
		return;
	cur[n] = '\0';
	if (!strcmp(cur, target))
		unlink(path);
}

int wc_pair_mapped(struct wc_pair *p, int *mapped, struct wc_status *st,
		   struct wc_table *tb)
{
	struct wc_dm_info info;
	char type[32], params[4096], err[WC_ERR_MAX];
	int r;

	*mapped = 0;
	if (wc_dm_info(p->dm_name, &info))
		return wc_err(WC_EDM, "cannot query device %s", p->dm_name);
	if (!info.exists)
		return 0;
	if (strcmp(info.uuid, p->dm_uuid))
		return wc_err(WC_EREFUSED, "device %s exists but is not the cache mapping of %s/%s (uuid '%s')",
			      p->dm_name, p->vg, p->lv, info.uuid);
	if (st) {
		if (wc_dm_status(p->dm_name, type, sizeof(type), params, sizeof(params)))
			return wc_err(WC_EDM, "cannot read the status of %s", p->dm_name);
		r = wc_status_parse(wc_target_parse(type), params, st, err, sizeof(err));
		if (r)
			return wc_err(r, "%s: %s", p->dm_name, err);
	}
	if (tb) {
		if (wc_dm_table(p->dm_name, type, sizeof(type), params, sizeof(params)))
			return wc_err(WC_EDM, "cannot read the table of %s", p->dm_name);
		r = wc_table_parse(params, tb, err, sizeof(err));
		if (r)
			return wc_err(r, "%s: %s", p->dm_name, err);
	}
	*mapped = 1;
	return 0;
}

enum wc_state wc_pair_state(const struct wc_pair *p)
{
	if (p->ot.state == WC_ST_WIPED && p->origin && !strcmp(p->origin->name, p->lv))
		return WC_ST_ATTACHING;
	return p->ot.state;
}

static int has_uuid(const struct wc_lv *lvs, int n, const char *vg, const char *uuid)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(lvs[i].vg, vg) && !strcmp(lvs[i].uuid, uuid))
			return 1;
	return 0;
}

static const char *deltags(const char *raw)
{
	static char args[1024];

	if (wc_tags_deltag_args(raw, args, sizeof(args)))
		args[0] = '\0';
	return args;
}

int wc_all_origins(struct wc_origin_ref **out, int *n)
{
	struct wc_lv *lvs;
	char err[WC_ERR_MAX];
	int nlvs, i, r;

	*out = NULL;
	*n = 0;
	r = wc_lvm_lvs(NULL, &lvs, &nlvs);
	if (r)
		return wc_err(r, "cannot list LVs: %s", wc_lvm_error());
	*out = calloc(nlvs ? nlvs : 1, sizeof(**out));
	if (!*out) {
		free(lvs);
		return wc_err(WC_EFAIL, "out of memory");
	}
	for (i = 0; i < nlvs; i++) {
		struct wc_tags t;

		if (!strstr(lvs[i].tags, WC_TAG_PREFIX))
			continue;
		if (wc_tags_parse(lvs[i].tags, &t, err, sizeof(err))) {
			/* a cachevol's tags are reported with its origin */
			if (strstr(lvs[i].tags, WC_TAG_PREFIX "cachevol_of="))
				continue;
			wc_strlcpy((*out)[*n].vg, lvs[i].vg, sizeof((*out)[*n].vg));
			wc_strlcpy((*out)[*n].lv, lvs[i].name, sizeof((*out)[*n].lv));
			snprintf((*out)[*n].error, sizeof((*out)[*n].error), "%s/%s: %.400s",
				 lvs[i].vg, lvs[i].name, err);
			(*n)++;
			continue;
		}
		if (t.role == WC_ROLE_CACHEVOL && !has_uuid(lvs, nlvs, lvs[i].vg, t.origin_uuid)) {
			/* LVM removed the origin (lvremove while inactive) */
			wc_strlcpy((*out)[*n].vg, lvs[i].vg, sizeof((*out)[*n].vg));
			wc_strlcpy((*out)[*n].lv, lvs[i].name, sizeof((*out)[*n].lv));
			/* a message cut short is still a message */
			if (snprintf((*out)[*n].error, sizeof((*out)[*n].error),
				 "%s/%s is the cachevol of an origin (LV uuid %s) that is no longer in the VG: it was removed with LVM while the pairing was inactive, and the data only the cache held has nowhere to go. To use %s/%s again: 'lvchange -kn%s %s/%s'",
				 lvs[i].vg, lvs[i].name, t.origin_uuid, lvs[i].vg, lvs[i].name,
				 deltags(lvs[i].tags), lvs[i].vg, lvs[i].name) < 0)
				(*out)[*n].error[0] = '?';
			(*n)++;
			continue;
		}
		if (t.role != WC_ROLE_ORIGIN)
			continue;
		wc_strlcpy((*out)[*n].vg, lvs[i].vg, sizeof((*out)[*n].vg));
		wc_strlcpy((*out)[*n].lv, t.name, sizeof((*out)[*n].lv));
		(*n)++;
	}
	free(lvs);
	return 0;
}

struct json_object *wc_error_json(const char *vg, const char *lv, int code, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "vg", json_object_new_string(vg));
	json_object_object_add(o, "lv", json_object_new_string(lv));
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "exit_code", json_object_new_int(code));
	return o;
}

int wc_pair_loaded_as(struct wc_pair *p, char *name, size_t len)
{
	int found;

	if (wc_dm_name_of_uuid(p->dm_uuid, name, len, &found) || !found ||
	    !strcmp(name, p->dm_name))
		return 0;
	return 1;
}

/*
 * The mapping exists under another name: the VG was renamed (vgrename
 * renames the devices of the LVs LVM knows, not ours) while it was
 * loaded. Give it the name of the VG now.
 */
static int rename_mapping(struct wc_pair *p, int *mapped)
{
	char old[WC_DM_NAME_MAX], path[WC_PATH_MAX], target[WC_PATH_MAX], cur[WC_PATH_MAX];
	ssize_t n;

	*mapped = 0;
	if (!wc_pair_loaded_as(p, old, sizeof(old)))
		return 0;
	wc_info("the cache mapping of %s/%s is loaded as %s (the VG was renamed?); renaming it to %s",
		p->vg, p->lv, old, p->dm_name);
	if (wc_dm_rename(old, p->dm_name))
		return wc_err(WC_EDM, "cannot rename %s to %s", old, p->dm_name);
	/* a /dev/OLDVG/LV link to the old name goes */
	snprintf(target, sizeof(target), "../mapper/%s", old);
	{
		char ovg[WC_DM_NAME_MAX];
		const char *d = old;
		size_t o = 0;

		/* the VG part of "VG-LV" with '-' doubled */
		while (*d && o + 1 < sizeof(ovg)) {
			if (d[0] == '-' && d[1] == '-') {
				ovg[o++] = '-';
				d += 2;
				continue;
			}
			if (d[0] == '-')
				break;
			ovg[o++] = *d++;
		}
		ovg[o] = '\0';
		snprintf(path, sizeof(path), "/dev/%s/%s", ovg, p->lv);
		n = readlink(path, cur, sizeof(cur) - 1);
		if (n > 0) {
			cur[n] = '\0';
			if (!strcmp(cur, target)) {
				unlink(path);
				snprintf(path, sizeof(path), "/dev/%s", ovg);
				rmdir(path);	/* only if empty */
			}
		}
	}
	make_link(p);
	*mapped = 1;
	return 0;
}

/*
 * A mapping loaded read-only (activate --read-only, in the initramfs before
 * the resume from hibernation) becomes read-write on the next activation:
 * the same table loaded again without the flag. The new table's target
 * reads the metadata from the cache device again, which nothing wrote to
 * in the meantime.
 */
static int upgrade_read_write(struct wc_pair *p, int cleaner)
{
	char target[32], params[4096];
	struct wc_dm_info info;
	uint64_t sectors;
	int r;

	if (wc_dm_read_only || wc_dm_info(p->dm_name, &info) || !info.read_only)
		return 0;
	r = wc_pair_table(p, cleaner, target, sizeof(target), params, sizeof(params), &sectors);
	if (r)
		return r;
	if (wc_dm_reload(p->dm_name, sectors, target, params))
		return wc_err(WC_EDM, "cannot load %s read-write (table: %s); it stays read-only",
			      p->dm_name, params);
	wc_info("%s/%s: loaded read-write", p->vg, p->lv);
	return 0;
}

int wc_pair_map(struct wc_pair *p, int cleaner)
{
	char target[32], params[4096];
	uint64_t sectors;
	uint32_t ver[3];
	int r, mapped, was_active[2], hidden[2];

	r = wc_pair_mapped(p, &mapped, NULL, NULL);
	if (r)
		return r;
	if (mapped) {
		r = upgrade_read_write(p, cleaner);
		if (!r)
			make_link(p);
		return r;
	}
	if (wc_dm_read_only && p->ot.target != WC_TARGET_WCACHE)
		return wc_err(WC_EREFUSED, "%s/%s stays inactive for now: its %s target cannot be loaded read-only, as the cache must be before a resume from hibernation (the target would write to both devices behind the hibernated kernel's back); it is assembled after the resume. A resume device on it is not found",
			      p->vg, p->lv, wc_target_name(p->ot.target));
	r = rename_mapping(p, &mapped);
	if (r || mapped)
		return r;
	if (strcmp(p->origin->name, p->wco_name))
		return wc_err(WC_EFAIL, "origin %s/%s has not been renamed to %s",
			      p->vg, p->origin->name, p->wco_name);
	if (!wc_dm_target_present(wc_target_name(p->ot.target), ver))
		return wc_err(WC_ENOTARGET, "the kernel has no %s target (module dm-%s not available)",
			      wc_target_name(p->ot.target), wc_target_name(p->ot.target));
	if (!p->cache)
		return wc_err(WC_EREFUSED, "the cachevol of %s/%s is missing", p->vg, p->lv);
	r = wc_pair_check_sizes(p);
	if (r)
		return r;
	was_active[0] = p->origin->active;
	was_active[1] = p->cache->active;
	hidden[0] = wc_pair_hide(p, p->origin, 1);
	hidden[1] = wc_pair_hide(p, p->cache, 1);
	r = wc_pair_activate_lvs(p);
	if (r)
		return r;
	if (hidden[0] && was_active[0])
		retrigger(p, p->origin);
	if (hidden[1] && was_active[1])
		retrigger(p, p->cache);
	r = wc_pair_table(p, cleaner, target, sizeof(target), params, sizeof(params), &sectors);
	if (r)
		return r;
	wc_debug("loading %s: 0 %llu %s %s", p->dm_name, (unsigned long long)sectors,
		 target, params);
	if (wc_dm_create(p->dm_name, p->dm_uuid, sectors, target, params))
		return wc_err(WC_EDM, "cannot load the %s mapping %s (table: %s)", target,
			      p->dm_name, params);
	make_link(p);
	return 0;
}

int wc_pair_unmap(struct wc_pair *p)
{
	struct wc_dm_info info;
	int r, mapped;

	r = wc_pair_mapped(p, &mapped, NULL, NULL);
	if (r)
		return r;
	if (!mapped) {
		remove_link(p);
		return 0;
	}
	if (wc_dm_info(p->dm_name, &info))
		return wc_err(WC_EDM, "cannot query device %s", p->dm_name);
	if (info.open_count)
		return wc_err(WC_EREFUSED, "%s/%s is in use (open %d times); unmount it first",
			      p->vg, p->lv, info.open_count);
	if (wc_dm_remove(p->dm_name))
		return wc_err(WC_EDM, "cannot remove the mapping %s", p->dm_name);
	remove_link(p);
	return 0;
}

/*
 * The kernel says why a table was refused only in its log: the last
 * "device-mapper: table: ...: <target>: reason" line of the last minute.
 */
int wc_kernel_reason(const char *target, char *buf, size_t len)
{
	char rec[1024], needle[48];
	struct timespec now;
	unsigned long long ts, min_ts = 0;
	int fd, found = 0;
	ssize_t n;

	snprintf(needle, sizeof(needle), ": %s: ", target);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > 60)
		min_ts = (unsigned long long)(now.tv_sec - 60) * 1000000ULL;
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	lseek(fd, 0, SEEK_DATA);
	for (;;) {
		char *msg, *nl, *p;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || sscanf(rec, "%*u,%*u,%llu", &ts) != 1 || ts < min_ts)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!strstr(msg, "device-mapper: table:"))
			continue;
		p = strstr(msg, needle);
		if (!p)
			continue;
		wc_strlcpy(buf, p + strlen(needle), len);
		found = 1;
	}
	close(fd);
	return found;
}

/* what the kernel says when the cache's own metadata is not acceptable */
static const char *const metadata_words[] = {
	"superblock", "metadata", "checksum", "corrupt", "origin_uuid mismatch",
	"format version", "features",
};

/* a different size is LVM's doing (lvextend/lvreduce), not bad metadata */
static const char *const size_words[] = {
	"different size", "smaller than when it was formatted", "device size",
};

static int has_word(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasestr(s, words[i]))
			return 1;
	return 0;
}

int wc_pair_refusal(struct wc_pair *p, char *reason, size_t len)
{
	int e = wc_dm_errno();

	if (!wc_kernel_reason(wc_target_name(p->ot.target), reason, len))
		snprintf(reason, len, "%s; see the kernel log",
			 e ? strerror(e) : "no reason given");
	/* the kernel's log line ends in the errno too: "... (-EINVAL)" */
	if (!e && strstr(reason, "(-EINVAL)"))
		e = EINVAL;
	if (e != EINVAL)
		return WC_REFUSAL_OTHER;
	if (has_word(reason, size_words, sizeof(size_words) / sizeof(size_words[0])))
		return WC_REFUSAL_SIZE;
	if (has_word(reason, metadata_words, sizeof(metadata_words) / sizeof(metadata_words[0])))
		return WC_REFUSAL_METADATA;
	return WC_REFUSAL_OTHER;
}

int wc_lock(void)
{
	static int fd = -1;

	if (fd >= 0)
		return 0;
	mkdir("/run/lock", 0755);
	fd = open("/run/lock/wcachectl.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return wc_err(WC_EFAIL, "cannot open /run/lock/wcachectl.lock: %s", strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		wc_info("waiting for another wcachectl to finish");
		if (flock(fd, LOCK_EX))
			return wc_err(WC_EFAIL, "cannot lock /run/lock/wcachectl.lock: %s",
				      strerror(errno));
	}
	return 0;
}

int wc_pair_load_cached(const char *vg, const char *lv, struct wc_pair *p)
{
	int r = wc_pair_load(vg, lv, p);

	if (!r && p->ot.role != WC_ROLE_ORIGIN)
		r = wc_err(WC_ENOENT, "%s/%s is not a cached LV", vg, lv);
	return r;
}
