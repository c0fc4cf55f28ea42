/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the libFuzzer targets (tests/fuzz/README.md). */
#ifndef WC_FUZZ_H
#define WC_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the input as a NUL-terminated string (a NUL inside ends it early) */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* a crash with a message libFuzzer records */
#define FUZZ_ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

#endif
