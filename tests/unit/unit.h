/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal unit test helpers: CHECK() counts, main prints
 * "N passed, N failed" and exits non-zero on failure.
 */
#ifndef WC_UNIT_H
#define WC_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a && _b && !strcmp(_a, _b)) {				\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: FAILED: '%s' != '%s'\n", __FILE__, __LINE__, \
			_a ? _a : "(null)", _b ? _b : "(null)");		\
	}								\
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif /* WC_UNIT_H */
