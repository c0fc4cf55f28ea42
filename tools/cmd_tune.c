// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl tune and profile.
 *
 * tune changes the settings of a cached LV. The new set is the recorded
 * one (LVM tags) with the profile's keys and then the key=val arguments on
 * top; the policy checks it for the target. Order, so that a crash at any
 * point is completed by running the same command again:
 *
 *   1. load the new table as the inactive table (the kernel checks it while
 *      the live table keeps running; nothing is recorded yet if it fails)
 *   2. record the new settings in the origin's wcache.set.* tags
 *   3. swap the tables: suspend with flush (in-flight I/O completes, new
 *      I/O waits), resume; the target commits on suspend and loads its
 *      state on resume, so dirty data stays in the cache
 *
 * Changes a target takes as a message (dm-wcache: cleaner and
 * flush_on_suspend switched on) are sent as messages instead of a reload.
 * A re-run compares the live table with the tags, so an interrupted tune
 * is finished by the next one.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pair.h"
#include "policy.h"
#include "profile.h"

/* one lvchange: --deltag for each changed recorded value, --addtag for the new */
static int record(struct wc_pair *p, const struct wc_settings *want, uint32_t changed)
{
	char args[4096];
	size_t off = 0;
	int k, r;

	args[0] = '\0';
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(changed & (1u << k)))
			continue;
		if (p->ot.set.mask & (1u << k))
			off += snprintf(args + off, sizeof(args) - off,
					" --deltag " WC_TAG_PREFIX "set.%s=%llu", wc_keys[k].name,
					(unsigned long long)p->ot.set.val[k]);
		if (want->mask & (1u << k))
			off += snprintf(args + off, sizeof(args) - off,
					" --addtag " WC_TAG_PREFIX "set.%s=%llu", wc_keys[k].name,
					(unsigned long long)want->val[k]);
		if (off >= sizeof(args))
			return wc_err(WC_EFAIL, "too many tags");
	}
	if (!off)
		return 0;
	r = wc_lvm_run("lvchange%s %s/%s", args, p->vg, p->origin->name);
	if (r)
		return wc_err(r, "cannot record the settings on %s/%s: %s", p->vg,
			      p->origin->name, wc_lvm_error());
	p->ot.set = *want;
	return 0;
}

static uint32_t recorded_diff(const struct wc_settings *a, const struct wc_settings *b)
{
	uint32_t d = 0;
	int k;

	for (k = 0; k < WC_NKEYS; k++) {
		int ah = !!(a->mask & (1u << k)), bh = !!(b->mask & (1u << k));

		if (ah != bh || (ah && a->val[k] != b->val[k]))
			d |= 1u << k;
	}
	return d;
}

static void describe(const struct wc_settings *from, const struct wc_settings *to,
		     enum wc_target t, uint32_t changed, char *buf, size_t len)
{
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < WC_NKEYS && off < len; k++) {
		char a[24];

		if (!(changed & (1u << k)))
			continue;
		if (from->mask & (1u << k))
			snprintf(a, sizeof(a), "%llu", (unsigned long long)from->val[k]);
		else if (wc_key_implicit_zero(k, t))
			snprintf(a, sizeof(a), "%s", "0");
		else
			snprintf(a, sizeof(a), "%s", "(default)");
		off += snprintf(buf + off, len - off, "%s%s %s -> %llu", off ? ", " : "",
				wc_keys[k].name, a, (unsigned long long)to->val[k]);
	}
}

static int apply_messages(struct wc_pair *p, const struct wc_settings *want, uint32_t changed)
{
	int k;

	for (k = 0; k < WC_NKEYS; k++) {
		if (!(changed & (1u << k)))
			continue;
		/* wc_tune_method() allows only WC_KF_MSG_ON keys switched on here */
		if (!(wc_keys[k].flags & WC_KF_MSG_ON) || want->val[k] != 1)
			return wc_err(WC_EFAIL, "internal: %s cannot change by message",
				      wc_keys[k].name);
		if (wc_dm_message(p->dm_name, wc_keys[k].name))
			return wc_err(WC_EDM, "the %s message to %s failed", wc_keys[k].name,
				      p->dm_name);
	}
	return 0;
}

int cmd_tune(struct wc_opts *o)
{
	struct wc_settings want;
	struct wc_profile pr;
	struct wc_status st;
	struct wc_table tb;
	struct wc_pair p;
	enum wc_tune_method m = WC_TUNE_NONE;
	char err[WC_ERR_MAX], target[32], params[4096], what[1024];
	uint32_t tag_changed, live_changed = 0;
	uint64_t sectors;
	int r, mapped, loaded = 0;

	r = wc_lock();
	if (r)
		return r;
	r = wc_pair_load_cached(o->vg, o->lv, &p);
	if (r)
		goto out;
	if (p.ot.state != WC_ST_ATTACHED) {
		r = wc_err(WC_EREFUSED, "%s/%s is in state %s; finish that first (wcachectl %s %s/%s)",
			   o->vg, o->lv, wc_state_name(p.ot.state),
			   p.ot.state == WC_ST_SPLITTING || p.ot.state == WC_ST_DETACHED ?
			   "split" : "attach", o->vg, o->lv);
		goto out;
	}

	want = p.ot.set;
	if (o->profile) {
		r = wc_profile_load(o->profile, p.ot.target, &pr);
		if (r)
			goto out;
		if (pr.ignored)
			wc_info("profile %s: ignoring the wcache-only settings for target %s",
				o->profile, wc_target_name(p.ot.target));
		wc_settings_merge(&want, &pr.s);
	}
	wc_settings_merge(&want, &o->set);
	r = wc_settings_check(&want, p.ot.target, err, sizeof(err));
	if (r) {
		r = wc_err(r, "%s/%s: %s", o->vg, o->lv, err);
		goto out;
	}

	tag_changed = recorded_diff(&p.ot.set, &want);
	mapped = wc_pair_mapped(&p, &st, &tb);
	if (mapped < 0) {
		r = -mapped;
		goto out;
	}
	if (mapped)
		m = wc_tune_method(&tb.set, &want, p.ot.target, &live_changed);

	describe(mapped ? &tb.set : &p.ot.set, &want, p.ot.target, tag_changed | live_changed,
		 what, sizeof(what));
	if (!tag_changed && m == WC_TUNE_NONE) {
		printf("%s/%s: nothing to change\n", o->vg, o->lv);
		goto out;
	}
	if (o->dry_run) {
		printf("%s/%s: would change %s; %s\n", o->vg, o->lv, what,
		       !mapped ? "not active: recorded for the next activation" :
		       m == WC_TUNE_RELOAD ? "by a table reload" :
		       m == WC_TUNE_MESSAGE ? "by target message" : "recorded only");
		goto out;
	}

	/* 1: the kernel checks the new table before anything is recorded */
	if (m == WC_TUNE_RELOAD) {
		struct wc_settings keep = p.ot.set;

		p.ot.set = want;
		r = wc_pair_table(&p, 0, target, sizeof(target), params, sizeof(params),
				  &sectors);
		p.ot.set = keep;
		if (r)
			goto out;
		if (wc_dm_load(p.dm_name, sectors, target, params)) {
			r = wc_err(WC_EDM, "the %s target refuses the new table (see the kernel log); nothing changed: %s",
				   target, params);
			goto out;
		}
		loaded = 1;
	}
	/* 2: record */
	r = record(&p, &want, tag_changed);
	if (r)
		goto out;
	/* 3: apply */
	if (m == WC_TUNE_RELOAD) {
		if (wc_dm_swap(p.dm_name)) {
			r = wc_err(WC_EDM, "cannot swap in the new table of %s; the settings are recorded, run tune again",
				   p.dm_name);
			goto out;
		}
		loaded = 0;
	} else if (m == WC_TUNE_MESSAGE) {
		r = apply_messages(&p, &want, live_changed);
		if (r)
			goto out;
	}

	if (mapped) {
		/* what the kernel shows now */
		r = wc_pair_mapped(&p, &st, &tb);
		if (r < 0) {
			r = -r;
			goto out;
		}
		r = 0;
		if (wc_tune_method(&tb.set, &want, p.ot.target, &live_changed) != WC_TUNE_NONE) {
			char shown[1024];

			wc_settings_format(&tb.set, shown, sizeof(shown));
			wc_warn("the live table of %s shows %s (the target rounds some values)",
				p.dm_name, shown);
		}
	}
	printf("%s/%s: %s; %s\n", o->vg, o->lv, what,
	       !mapped ? "not active: recorded for the next activation" :
	       m == WC_TUNE_RELOAD ? "table reloaded, recorded in the LVM tags" :
	       m == WC_TUNE_MESSAGE ? "set by target message, recorded in the LVM tags" :
	       "recorded in the LVM tags");
out:
	if (loaded && wc_dm_clear(p.dm_name))
		wc_warn("cannot drop the inactive table of %s", p.dm_name);
	wc_pair_free(&p);
	return r;
}

/* ---------------------------------------------------------------------- */

static struct json_object *profile_json(const struct wc_profile *pr)
{
	struct json_object *o = json_object_new_object(), *set = json_object_new_object();
	struct json_object *ign = json_object_new_array();
	int k;

	json_object_object_add(o, "name", json_object_new_string(pr->name));
	for (k = 0; k < WC_NKEYS; k++) {
		if (pr->s.mask & (1u << k))
			json_object_object_add(set, wc_keys[k].name,
					       json_object_new_int64(pr->s.val[k]));
		if (pr->ignored & (1u << k))
			json_object_array_add(ign, json_object_new_string(wc_keys[k].name));
	}
	json_object_object_add(o, "settings", set);
	json_object_object_add(o, "ignored", ign);
	return o;
}

static void profile_text(const struct wc_profile *pr)
{
	char set[1024];
	int k;

	wc_settings_format(&pr->s, set, sizeof(set));
	printf("%s: %s", pr->name, set[0] ? set : "(no settings)");
	for (k = 0; k < WC_NKEYS; k++)
		if (pr->ignored & (1u << k))
			printf(" [%s ignored]", wc_keys[k].name);
	printf("\n");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_profile(struct wc_opts *o)
{
	static char text[65536];
	struct json_object *arr = NULL;
	struct wc_profile pr;
	char dir[WC_PATH_MAX], *names[256];
	struct dirent *de;
	int n = 0, i, r = 0, shown = 0;
	DIR *d;

	if (o->profile) {
		r = wc_profile_load(o->profile, o->target, &pr);
		if (r)
			return r;
		if (o->json) {
			struct json_object *j = profile_json(&pr);

			printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
			json_object_put(j);
		} else {
			profile_text(&pr);
		}
		return 0;
	}

	/* every profile in LVM's profile_dir that has wcache settings */
	r = wc_lvm_profile_dir(dir, sizeof(dir));
	if (r)
		return wc_err(r, "cannot find LVM's profile directory: %s", wc_lvm_error());
	d = opendir(dir);
	if (!d)
		return wc_err(WC_ENOENT, "cannot read %s", dir);
	while ((de = readdir(d)) && n < (int)(sizeof(names) / sizeof(names[0]))) {
		size_t l = strlen(de->d_name);

		if (l <= 8 || strcmp(de->d_name + l - 8, ".profile"))
			continue;
		names[n] = strndup(de->d_name, l - 8);
		if (names[n] && wc_valid_name(names[n]))
			n++;
		else
			free(names[n]);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	if (o->json)
		arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		/* quietly skip LVM's own profiles (no cache_settings of ours) */
		if (wc_lvm_profile_text(names[i], text, sizeof(text)) ||
		    (!strstr(text, "\t" WC_SECTION_WRITECACHE " {") &&
		     !strstr(text, "\t" WC_SECTION_WCACHE " {"))) {
			free(names[i]);
			continue;
		}
		if (wc_profile_load(names[i], o->target, &pr)) {
			r = WC_EUSAGE;
		} else if (arr) {
			json_object_array_add(arr, profile_json(&pr));
		} else {
			profile_text(&pr);
		}
		shown++;
		free(names[i]);
	}
	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else if (!shown) {
		printf("no wcache profiles in LVM's profile directory\n");
	}
	return r;
}
