// SPDX-License-Identifier: GPL-2.0
/* Unit test of the parser of "lvs --reportformat json" output (tools/lvm.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm.h"
#include "unit.h"

static const char *report =
	"  {\n"
	"      \"report\": [\n"
	"          {\n"
	"              \"lv\": [\n"
	"                  {\"vg_name\":\"wcvg\", \"lv_name\":\"fast\", \"lv_uuid\":\"y4fD6v-Yts0-QI8G-XV1V-IIwN-okjs-AI0gYm\", \"lv_attr\":\"-wi-a----k\", \"segtype\":\"linear\", \"lv_layout\":\"linear\", \"lv_dm_path\":\"/dev/mapper/wcvg-fast\", \"lv_tags\":\"wcache.v=1,wcache.skip=0\", \"lv_size\":\"67108864\", \"seg_count\":\"1\", \"lv_active_locally\":\"1\", \"lv_device_open\":\"1\", \"lv_skip_activation\":\"1\"},\n"
	"                  {\"vg_name\":\"wcvg\", \"lv_name\":\"slow\", \"lv_uuid\":\"IGucaG-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa\", \"lv_attr\":\"-wi-------\", \"segtype\":\"linear\", \"lv_layout\":\"linear\", \"lv_dm_path\":\"\", \"lv_tags\":\"\", \"lv_size\":\"134217728\", \"seg_count\":\"2\", \"lv_active_locally\":\"0\", \"lv_device_open\":\"0\", \"lv_skip_activation\":\"0\"}\n"
	"              ]\n"
	"          }\n"
	"      ]\n"
	"  }\n";

/* every field but lv_name and lv_tags */
#define LV_COMMON "\"vg_name\":\"wcvg\", \"lv_uuid\":\"y4fD6v-Yts0-QI8G-XV1V-IIwN-okjs-AI0gYm\", " \
	"\"lv_attr\":\"-wi-a-----\", \"segtype\":\"linear\", \"lv_layout\":\"linear\", " \
	"\"lv_dm_path\":\"\", \"lv_size\":\"4194304\", \"seg_count\":\"1\", " \
	"\"lv_active_locally\":\"1\", \"lv_device_open\":\"0\", \"lv_skip_activation\":\"0\", "

int main(void)
{
	struct wc_lv *lvs;
	char *bad;
	int n;

	CHECK(wc_lvm_parse_report(report, &lvs, &n) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(lvs[0].name, "fast");
		CHECK_STR(lvs[0].vg, "wcvg");
		CHECK(lvs[0].size == 67108864 && lvs[0].active && lvs[0].open && lvs[0].skip);
		CHECK_STR(lvs[0].tags, "wcache.v=1,wcache.skip=0");
		CHECK_STR(lvs[1].uuid, "IGucaG-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa");
		CHECK(lvs[1].seg_count == 2 && !lvs[1].active && !lvs[1].open && !lvs[1].skip);
	}
	free(lvs);

	/* an LV with more than 8 KiB of tags: the others are unaffected; it keeps its wcache.* tags */
	{
		size_t big = 3 * WC_TAGS_RAW_MAX, i;
		char *tags = malloc(big), *json = malloc(big + 4096);
		int pass;

		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i + 1 < big; i++)
				tags[i] = (i % 100 == 99) ? ',' : 'x';
			tags[big - 1] = '\0';
			if (pass == 0)
				memcpy(tags, "wcache.v=1,", 11);
			snprintf(json, big + 4096, "{\"report\":[{\"lv\":[{%s\"lv_name\":\"other\", \"lv_tags\":\"%s\"},{%s\"lv_name\":\"slow\", \"lv_tags\":\"wcache.v=1\"}]}]}",
				 LV_COMMON, tags, LV_COMMON);
			CHECK(wc_lvm_parse_report(json, &lvs, &n) == 0);
			CHECK(n == 2);
			if (n == 2) {
				CHECK_STR(lvs[0].name, "other");
				CHECK_STR(lvs[0].tags, pass == 0 ? "wcache.v=1" : "");
				CHECK_STR(lvs[1].name, "slow");
				CHECK_STR(lvs[1].tags, "wcache.v=1");
			}
			free(lvs);
		}
		/* too many wcache.* tags to keep: a tag the parser refuses, for that LV only */
		for (i = 0; i + 1 < big; i++)
			tags[i] = (i % 100 == 99) ? ',' : (i % 100 < 7 ? "wcache."[i % 100] : 'x');
		tags[big - 1] = '\0';
		snprintf(json, big + 4096, "{\"report\":[{\"lv\":[{%s\"lv_name\":\"other\", \"lv_tags\":\"%s\"}]}]}",
			 LV_COMMON, tags);
		CHECK(wc_lvm_parse_report(json, &lvs, &n) == 0 && n == 1);
		if (n == 1)
			CHECK_STR(lvs[0].tags, "wcache.tags=too-long");
		free(lvs);
		free(json);
		free(tags);
	}

	/* empty report, and malformed ones */
	CHECK(wc_lvm_parse_report("{\"report\":[{\"lv\":[]}]}", &lvs, &n) == 0 && n == 0);
	free(lvs);
	CHECK(wc_lvm_parse_report("{\"report\":[]}", &lvs, &n) == 0 && n == 0);
	CHECK(wc_lvm_parse_report("", &lvs, &n) != 0);
	CHECK(wc_lvm_parse_report("{\"report\":{}}", &lvs, &n) != 0);
	bad = strdup(report);
	memcpy(strstr(bad, "\"67108864\""), "\"6710886x\"", 10);
	CHECK(wc_lvm_parse_report(bad, &lvs, &n) != 0);
	free(bad);
	bad = strdup(report);
	memcpy(strstr(bad, "\"lv_uuid\""), "\"lv_uuix\"", 9);
	CHECK(wc_lvm_parse_report(bad, &lvs, &n) != 0);
	free(bad);
	return unit_done("test_report");
}
