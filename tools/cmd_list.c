// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl list: the cached LVs of all VGs.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pair.h"

int cmd_list(struct wc_opts *o)
{
	struct json_object *arr = json_object_new_array();
	struct wc_origin_ref *refs = NULL;
	int n = 0, i, r;

	r = wc_all_origins(&refs, &n);
	if (!r && !o->json)
		printf("%-32s %-20s %-10s %-10s %s\n", "LV", "CACHEVOL", "TARGET", "STATE",
		       "ACTIVE");
	/* one pairing that cannot be read does not hide the others */
	for (i = 0; i < n; i++) {
		char full[2 * WC_NAME_MAX + 2];
		struct wc_pair p;
		int mapped, r1;

		snprintf(full, sizeof(full), "%s/%s", refs[i].vg, refs[i].lv);
		if (refs[i].error[0])
			r1 = wc_err(WC_ETAGS, "%s", refs[i].error);
		else
			r1 = wc_pair_load(refs[i].vg, refs[i].lv, &p);
		if (r1) {
			if (o->json)
				json_object_array_add(arr, wc_error_json(refs[i].vg, refs[i].lv, r1,
									 wc_last_error()));
			else
				printf("%-32s (cannot be read: %s)\n", full, wc_last_error());
			if (!r)
				r = r1;
			continue;
		}
		if (wc_pair_mapped(&p, &mapped, NULL, NULL))
			mapped = 0;
		if (o->json) {
			struct json_object *j = json_object_new_object();

			json_object_object_add(j, "vg", json_object_new_string(p.vg));
			json_object_object_add(j, "lv", json_object_new_string(p.lv));
			json_object_object_add(j, "cachevol_lv", p.cache ?
					       json_object_new_string(p.cache->name) : NULL);
			json_object_object_add(j, "target",
					       json_object_new_string(wc_target_name(p.ot.target)));
			json_object_object_add(j, "state",
					       json_object_new_string(wc_state_name(p.ot.state)));
			json_object_object_add(j, "active", json_object_new_boolean(mapped == 1));
			json_object_array_add(arr, j);
		} else {
			printf("%-32s %-20s %-10s %-10s %s\n", full,
			       p.cache ? p.cache->name : "(missing)", wc_target_name(p.ot.target),
			       wc_state_name(p.ot.state), mapped == 1 ? "yes" : "no");
		}
		wc_pair_free(&p);
	}
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
	free(refs);
	return r;
}
