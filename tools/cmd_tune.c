// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl tune.
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
	int k, r;

	args[0] = '\0';
	for (k = 0; k < WC_NKEYS; k++) {
		if (!(changed & (1u << k)))
			continue;
		if (((p->ot.set.mask & (1u << k)) &&
		     wc_tag_arg("--deltag", args, sizeof(args), WC_TAG_PREFIX "set.%s=%llu",
				wc_keys[k].name, (unsigned long long)p->ot.set.val[k])) ||
		    ((want->mask & (1u << k)) &&
		     wc_tag_arg("--addtag", args, sizeof(args), WC_TAG_PREFIX "set.%s=%llu",
				wc_keys[k].name, (unsigned long long)want->val[k])))
			return wc_err(WC_EFAIL, "too many tags");
	}
	if (!args[0])
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
	/* cleaner=0 during a split: the same as split --cancel */
	if (p.ot.state == WC_ST_SPLITTING && (o->set.mask & (1u << WC_K_CLEANER)) &&
	    !o->set.val[WC_K_CLEANER]) {
		r = wc_split_cancel(&p);
		if (r)
			goto out;
	}
	if (p.ot.state != WC_ST_ATTACHED) {
		r = wc_err(WC_EREFUSED, "%s/%s is in state %s; finish that first (wcachectl %s %s/%s)",
			   o->vg, o->lv, wc_state_name(p.ot.state),
			   p.ot.state == WC_ST_SPLITTING || p.ot.state == WC_ST_DETACHED ?
			   "split" : "attach", o->vg, o->lv);
		if (p.ot.state == WC_ST_SPLITTING)
			wc_info("'wcachectl split --cancel %s/%s' or 'tune %s/%s cleaner=0' stops the split",
				o->vg, o->lv, o->vg, o->lv);
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
	r = wc_pair_mapped(&p, &mapped, &st, &tb);
	if (r)
		goto out;
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
		r = wc_pair_mapped(&p, &mapped, &st, &tb);
		if (r)
			goto out;
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
