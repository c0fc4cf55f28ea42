// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: settings and size parsing (tools/policy.c, util.c):
 * --set key=value, sizes with units, numbers with bounds, VG/LV names.
 * Accepted values must be within the documented bounds of their key.
 */
#include "fuzz.h"
#include "tools/policy.h"
#include "tools/wcachectl.h"

size_t wc_strlcpy(char *dst, const char *src, size_t size);
int wc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int wc_parse_size(const char *s, uint64_t *bytes);
int wc_valid_name(const char *s);
int wc_split_vglv(const char *arg, char *vg, char *lv);
void wc_human_size(uint64_t bytes, char *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wc_settings set;
	char err[256], vg[WC_NAME_MAX + 1], lv[WC_NAME_MAX + 1], hs[64], *s;
	uint64_t v;
	enum wc_target t;
	int k;

	if (!size)
		return 0;
	t = data[0] & 1 ? WC_TARGET_WCACHE : WC_TARGET_WRITECACHE;
	s = fuzz_str(data + 1, size - 1);
	memset(&set, 0, sizeof(set));
	if (wc_settings_set(&set, s, t, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(set.mask);
		for (k = 0; k < WC_NKEYS; k++) {
			if (!(set.mask & (1u << k)))
				continue;
			FUZZ_ASSERT(set.val[k] >= wc_keys[k].min);
			FUZZ_ASSERT(set.val[k] <= wc_keys[k].max);
			FUZZ_ASSERT(wc_keys[k].targets & WC_TMASK(t));
		}
	}
	if (wc_parse_u64(s, 10, 1000, &v) == 0)
		FUZZ_ASSERT(v >= 10 && v <= 1000);
	if (wc_parse_size(s, &v) == 0)
		wc_human_size(v, hs, sizeof(hs));
	wc_key_lookup(s);
	wc_target_parse(s);
	wc_valid_name(s);
	if (wc_split_vglv(s, vg, lv) == 0)
		FUZZ_ASSERT(strlen(vg) <= WC_NAME_MAX && strlen(lv) <= WC_NAME_MAX);
	free(s);
	return 0;
}
