// SPDX-License-Identifier: GPL-2.0
/* Unit test of the parser of "lvs --reportformat json" output (tools/lvm.c). */
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
