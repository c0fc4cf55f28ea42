// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl profile: the settings of an LVM profile, or of every profile
 * in LVM's profile directory that has wcache settings.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lvm.h"
#include "policy.h"
#include "profile.h"

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
