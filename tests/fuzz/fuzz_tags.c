// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the wcache.* LVM tag parser (tools/tags.c).  Tags come
 * from disks and are untrusted.  Whatever parses must format back into
 * tags that parse to the same pairing state (round trip), and the deltag
 * argument builder must stay in bounds.
 */
#include <stdio.h>
#include "fuzz.h"
#include "tools/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[WC_MAX_OUT_TAGS][WC_TAG_MAX];
	struct wc_tags t, u;
	char err[256], buf[4096], *s, *joined;
	int n, i, r;
	size_t len = 0;

	s = fuzz_str(data, size);
	memset(&t, 0, sizeof(t));
	r = wc_tags_parse(s, &t, err, sizeof(err));
	wc_tags_deltag_args(s, buf, sizeof(buf));
	if (r == 0 && t.role != WC_ROLE_NONE) {
		n = wc_tags_format(&t, out, WC_MAX_OUT_TAGS);
		if (n > 0) {
			joined = malloc((size_t)n * (WC_TAG_MAX + 1) + 1);
			if (!joined)
				abort();
			for (i = 0; i < n; i++)
				len += (size_t)sprintf(joined + len, "%s%s",
						       i ? "," : "", out[i]);
			memset(&u, 0, sizeof(u));
			r = wc_tags_parse(joined, &u, err, sizeof(err));
			FUZZ_ASSERT(r == 0);
			FUZZ_ASSERT(u.role == t.role);
			FUZZ_ASSERT(u.state == t.state);
			FUZZ_ASSERT(!strcmp(u.name, t.name));
			FUZZ_ASSERT(!strcmp(u.uuid, t.uuid));
			FUZZ_ASSERT(u.block_size == t.block_size);
			FUZZ_ASSERT(!memcmp(&u.set, &t.set, sizeof(u.set)));
			free(joined);
		}
	}
	free(s);
	return 0;
}
