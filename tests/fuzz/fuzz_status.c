// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: wcachectl's parsers of the target status line and
 * table line (tools/status.c).  The first byte picks the target type.
 */
#include "fuzz.h"
#include "tools/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wc_status st;
	struct wc_table tb;
	enum wc_target t;
	char err[256], *s;
	int r;

	if (!size)
		return 0;
	t = data[0] & 1 ? WC_TARGET_WCACHE : WC_TARGET_WRITECACHE;
	s = fuzz_str(data + 1, size - 1);
	memset(&st, 0, sizeof(st));
	r = wc_status_parse(t, s, &st, err, sizeof(err));
	FUZZ_ASSERT(r == 0 || memchr(err, 0, sizeof(err)));
	if (r == 0)
		FUZZ_ASSERT(st.target == t);
	memset(&tb, 0, sizeof(tb));
	r = wc_table_parse(s, &tb, err, sizeof(err));
	if (r == 0) {
		/* what was accepted is sane */
		FUZZ_ASSERT(memchr(tb.origin, 0, sizeof(tb.origin)));
		FUZZ_ASSERT(memchr(tb.cache, 0, sizeof(tb.cache)));
		FUZZ_ASSERT(memchr(tb.origin_uuid, 0, sizeof(tb.origin_uuid)));
	}
	free(s);
	return 0;
}
