// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: the pairings one VG records (see vgscan.h). Nothing here
 * touches a device: the result is a list of LV names of this VG, each
 * then handled by the same code as "wcachectl activate VG/LV".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pair.h"
#include "vgscan.h"

int wc_lv_partial(const struct wc_lv *l)
{
	/* lv_attr: 9th character 'p' = partial (a PV is missing) */
	return strlen(l->attr) >= 9 && l->attr[8] == 'p';
}

static int in_vg(const char *vg, const struct wc_lv *l)
{
	return !strcmp(l->vg, vg);
}

static int find_uuid(const char *vg, const struct wc_lv *lvs, int n, const char *uuid)
{
	int i, found = -1;

	for (i = 0; i < n; i++) {
		if (!in_vg(vg, &lvs[i]) || strcmp(lvs[i].uuid, uuid))
			continue;
		if (found >= 0)
			return -2;	/* LVM never reports a uuid twice */
		found = i;
	}
	return found;
}

static void bad(struct wc_vg_pair *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bad(struct wc_vg_pair *p, const char *fmt, ...)
{
	va_list ap;

	p->state = WC_VP_BAD;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

int wc_vg_pairings(const char *vg, const struct wc_lv *lvs, int n,
		   struct wc_vg_pair *out, int max)
{
	char err[320], wco[WC_NAME_MAX + 8];
	struct wc_tags t, ct;
	int i, j, k = 0;

	if (!wc_valid_name(vg))
		return 0;
	for (i = 0; i < n; i++) {
		const struct wc_lv *l = &lvs[i];
		struct wc_vg_pair *p;

		if (!in_vg(vg, l) || !strstr(l->tags, WC_TAG_PREFIX))
			continue;
		if (wc_tags_parse(l->tags, &t, err, sizeof(err))) {
			/* a malformed origin: report it under the LV's own name */
			if (strstr(l->tags, WC_TAG_PREFIX "cachevol_of="))
				continue;
			if (k >= max)
				return -1;
			p = &out[k++];
			memset(p, 0, sizeof(*p));
			wc_strlcpy(p->lv, l->name, sizeof(p->lv));
			p->origin = i;
			p->cache = -1;
			bad(p, "%s: %.300s", l->name, err);
			continue;
		}
		if (t.role != WC_ROLE_ORIGIN)
			continue;
		if (k >= max)
			return -1;
		p = &out[k++];
		memset(p, 0, sizeof(*p));
		wc_strlcpy(p->lv, t.name, sizeof(p->lv));
		p->origin = i;
		p->cache = -1;

		/* a tagged origin is named LV or LV_wco, nothing else */
		snprintf(wco, sizeof(wco), "%s" WC_ORIGIN_SUFFIX, t.name);
		if (strcmp(l->name, t.name) && strcmp(l->name, wco)) {
			bad(p, "%s carries the tags of %s but has an unexpected name",
			    l->name, t.name);
			continue;
		}
		j = find_uuid(vg, lvs, n, t.cachevol_uuid);
		if (j == -2) {
			bad(p, "%s: cachevol uuid %s is ambiguous", l->name, t.cachevol_uuid);
			continue;
		}
		if (j == i) {
			bad(p, "%s names itself as its cachevol", l->name);
			continue;
		}
		if (j < 0) {
			p->state = WC_VP_NO_CACHE;
			snprintf(p->why, sizeof(p->why),
				 "the cachevol (LV uuid %s) is not in volume group %s",
				 t.cachevol_uuid, vg);
			continue;
		}
		p->cache = j;
		if (wc_tags_parse(lvs[j].tags, &ct, err, sizeof(err))) {
			bad(p, "cachevol %s: %.300s", lvs[j].name, err);
			continue;
		}
		/* attach tags the cachevol right after the origin: untagged is fine */
		if (ct.role == WC_ROLE_ORIGIN ||
		    (ct.role == WC_ROLE_CACHEVOL && strcmp(ct.origin_uuid, l->uuid))) {
			bad(p, "cachevol %s belongs to another origin, not %s", lvs[j].name,
			    l->name);
			continue;
		}
		if (wc_lv_partial(l) || wc_lv_partial(&lvs[j])) {
			p->state = WC_VP_PARTIAL;
			snprintf(p->why, sizeof(p->why),
				 "%s %s/%s is on a missing physical volume",
				 wc_lv_partial(&lvs[j]) ? "the cachevol" : "the origin", vg,
				 wc_lv_partial(&lvs[j]) ? lvs[j].name : l->name);
			continue;
		}
		p->state = WC_VP_READY;
	}
	/* two origins claiming one name: neither is activated */
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (!strcmp(out[i].lv, out[j].lv)) {
				bad(&out[i], "%s and another LV both claim to be the origin of %s",
				    lvs[out[i].origin].name, out[i].lv);
				bad(&out[j], "%s and another LV both claim to be the origin of %s",
				    lvs[out[j].origin].name, out[j].lv);
			}
	/* two origins sharing one cachevol: neither is activated */
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (out[i].cache >= 0 && out[i].cache == out[j].cache) {
				bad(&out[i], "%s shares its cachevol with %s",
				    lvs[out[i].origin].name, lvs[out[j].origin].name);
				bad(&out[j], "%s shares its cachevol with %s",
				    lvs[out[j].origin].name, lvs[out[i].origin].name);
			}
	return k;
}
