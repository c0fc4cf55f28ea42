// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the strict wcache.* tag parser and formatter (tools/tags.c). */
#include <stdio.h>
#include <string.h>

#include "tags.h"
#include "unit.h"

#define OUUID "IGucaG-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa"
#define CUUID "y4fD6v-Yts0-QI8G-XV1V-IIwN-okjs-AI0gYm"
#define HEX "9fb9db254eaa190a44bbedffba24e430"

static const char *origin_tags =
	"user_tag,wcache.bs=4096,wcache.cachevol=" CUUID ",wcache.mode=s,wcache.name=slow,"
	"wcache.set.autocommit_blocks=8065,wcache.set.high_watermark=80,"
	"wcache.set.low_watermark=70,wcache.skip=0,wcache.state=attached,"
	"wcache.target=writecache,wcache.uuid=" HEX ",wcache.v=1";

static int parse(const char *raw, struct wc_tags *t)
{
	char err[256];

	return wc_tags_parse(raw, t, err, sizeof(err));
}

/* origin_tags with @from replaced by @to */
static int parse_mod(const char *from, const char *to)
{
	char buf[2048], *p;
	struct wc_tags t;

	snprintf(buf, sizeof(buf), "%s", origin_tags);
	p = strstr(buf, from);
	if (!p)
		return -100;
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
	return parse(buf, &t);
}

static void test_origin(void)
{
	struct wc_tags t;

	CHECK(parse(origin_tags, &t) == 0);
	CHECK(t.role == WC_ROLE_ORIGIN);
	CHECK_STR(t.name, "slow");
	CHECK_STR(t.cachevol_uuid, CUUID);
	CHECK_STR(t.uuid, HEX);
	CHECK(t.state == WC_ST_ATTACHED);
	CHECK(t.target == WC_TARGET_WRITECACHE);
	CHECK(t.mode == 's' && t.block_size == 4096 && t.skip == 0);
	CHECK(t.set.mask == ((1u << WC_K_AC_BLOCKS) | (1u << WC_K_HIGH_WM) | (1u << WC_K_LOW_WM)));
	CHECK(t.set.val[WC_K_HIGH_WM] == 80 && t.set.val[WC_K_AC_BLOCKS] == 8065);

	/* no wcache tags at all: not paired */
	CHECK(parse("", &t) == 0 && t.role == WC_ROLE_NONE);
	CHECK(parse("a,b,wcache,wcachex=1,wcache.", &t) == 0 && t.role == WC_ROLE_NONE);
	CHECK(parse(NULL, &t) == 0 && t.role == WC_ROLE_NONE);
}

static void test_origin_bad(void)
{
	char big[3000];
	struct wc_tags t;
	int i;

	CHECK(parse_mod("wcache.state=attached", "wcache.state=bogus") == WC_ETAGS);
	CHECK(parse_mod("wcache.state=attached", "wcache.state=") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=4095") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=131072") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=04096") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=-4096") == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s", "wcache.mode=p") == WC_ETAGS);
	CHECK(parse_mod("wcache.skip=0", "wcache.skip=2") == WC_ETAGS);
	CHECK(parse_mod("wcache.v=1", "wcache.v=2") == WC_ETAGS);
	CHECK(parse_mod("wcache.target=writecache", "wcache.target=bcache") == WC_ETAGS);
	/* names that would lead elsewhere */
	CHECK(parse_mod("wcache.name=slow", "wcache.name=../../etc") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=other/slow") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=-rf") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=") == WC_ETAGS);
	CHECK(parse_mod("wcache.cachevol=" CUUID, "wcache.cachevol=abc") == WC_ETAGS);
	CHECK(parse_mod("wcache.cachevol=" CUUID,
			"wcache.cachevol=y4fD6v-Yts0-QI8G-XV1V-IIwN-okjs-AI0gYmX") == WC_ETAGS);
	CHECK(parse_mod("wcache.uuid=" HEX, "wcache.uuid=9FB9DB254EAA190A44BBEDFFBA24E430") == WC_ETAGS);
	CHECK(parse_mod("wcache.uuid=" HEX, "wcache.uuid=9fb9") == WC_ETAGS);
	/* settings: unknown, out of range, wrong target, inconsistent */
	CHECK(parse_mod("wcache.set.high_watermark=80", "wcache.set.nosuch=80") == WC_ETAGS);
	CHECK(parse_mod("wcache.set.high_watermark=80", "wcache.set.high_watermark=101") == WC_ETAGS);
	CHECK(parse_mod("wcache.set.high_watermark=80", "wcache.set.high_watermark=60") == WC_ETAGS);
	CHECK(parse_mod("wcache.set.high_watermark=80",
			"wcache.set.sequential_cutoff=4096") == WC_ETAGS);
	CHECK(parse_mod("wcache.target=writecache,", "wcache.target=wcache,") == 0);
	/* unknown, duplicate, missing, mixed roles */
	CHECK(parse_mod("wcache.mode=s", "wcache.mode=s,wcache.extra=1") == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s", "wcache.mode=s,wcache.mode=s") == WC_ETAGS);
	CHECK(parse_mod("wcache.set.high_watermark=80", "wcache.set.high_watermark=80,"
			"wcache.set.high_watermark=80") == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s,", "") == WC_ETAGS);
	CHECK(parse_mod("wcache.uuid=" HEX ",", "") == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s", "wcache.mode=s,wcache.cachevol_of=" OUUID) == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s", "wcache.mode") == WC_ETAGS);
	/* bounded: overlong tag and too many tags */
	memset(big, 'a', sizeof(big));
	memcpy(big, "wcache.name=", 12);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &t) == WC_ETAGS);
	big[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(big, "x,");
	CHECK(parse(big, &t) == WC_ETAGS);
}

static void test_cachevol(void)
{
	struct wc_tags t;

	CHECK(parse("wcache.cachevol_of=" OUUID ",wcache.skip=1,wcache.v=1", &t) == 0);
	CHECK(t.role == WC_ROLE_CACHEVOL && t.skip == 1);
	CHECK_STR(t.origin_uuid, OUUID);
	CHECK(parse("wcache.cachevol_of=" OUUID ",wcache.v=1", &t) == WC_ETAGS);
	CHECK(parse("wcache.cachevol_of=" OUUID ",wcache.skip=1,wcache.v=1,wcache.bs=4096", &t) ==
	      WC_ETAGS);
	CHECK(parse("wcache.cachevol_of=nope,wcache.skip=1,wcache.v=1", &t) == WC_ETAGS);
}

static void test_roundtrip(void)
{
	char out[WC_MAX_OUT_TAGS][WC_TAG_MAX], raw[4096], args[4096];
	struct wc_tags t, u;
	int n, i;

	CHECK(parse(origin_tags, &t) == 0);
	t.state = WC_ST_SPLITTING;
	n = wc_tags_format(&t, out, WC_MAX_OUT_TAGS);
	CHECK(n == 9 + 3);
	raw[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(raw, out[i]);
		if (i + 1 < n)
			strcat(raw, ",");
	}
	CHECK(parse(raw, &u) == 0);
	CHECK(u.role == WC_ROLE_ORIGIN && u.state == WC_ST_SPLITTING);
	CHECK(!memcmp(&u.set, &t.set, sizeof(t.set)));
	CHECK_STR(u.name, t.name);
	CHECK(wc_tags_format(&t, out, 3) == -1);

	memset(&t, 0, sizeof(t));
	t.role = WC_ROLE_CACHEVOL;
	strcpy(t.origin_uuid, OUUID);
	n = wc_tags_format(&t, out, WC_MAX_OUT_TAGS);
	CHECK(n == 3);
	CHECK_STR(out[1], "wcache.cachevol_of=" OUUID);
	t.role = WC_ROLE_ORIGIN;	/* incomplete origin refuses to format */
	CHECK(wc_tags_format(&t, out, WC_MAX_OUT_TAGS) == -1);

	CHECK(wc_tags_deltag_args("keep,wcache.v=1,other,wcache.skip=0", args, sizeof(args)) == 0);
	CHECK_STR(args, " --deltag wcache.v=1 --deltag wcache.skip=0");
	CHECK(wc_tags_deltag_args("keep", args, sizeof(args)) == 0 && args[0] == '\0');
	CHECK(wc_tags_deltag_args("wcache.v=1", args, 8) == WC_EFAIL);

	/* tag arguments: appended, or nothing when they do not fit */
	strcpy(args, "lvchange");
	CHECK(wc_tags_args("--addtag", out, 2, args, sizeof(args)) == 0);
	CHECK_STR(args, "lvchange --addtag wcache.v=1 --addtag wcache.cachevol_of=" OUUID);
	strcpy(args, "x");
	CHECK(wc_tags_args("--addtag", out, 2, args, 30) == WC_EFAIL);
	CHECK_STR(args, "x");
	args[0] = '\0';
	CHECK(wc_tag_arg("--deltag", args, sizeof(args), "wcache.set.%s=%d", "cleaner", 1) == 0);
	CHECK_STR(args, " --deltag wcache.set.cleaner=1");

	/* the sizes at attach: recorded, parsed back, refused on a cachevol */
	CHECK(parse(origin_tags, &t) == 0);
	CHECK(t.origin_size == 0 && t.cache_size == 0);
	t.origin_size = 134217728;
	t.cache_size = 67108864;
	n = wc_tags_format(&t, out, WC_MAX_OUT_TAGS);
	CHECK(n == 11 + 3);
	raw[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(raw, out[i]);
		if (i + 1 < n)
			strcat(raw, ",");
	}
	CHECK(strstr(raw, "wcache.osize=134217728,wcache.csize=67108864") != NULL);
	CHECK(parse(raw, &u) == 0);
	CHECK(u.origin_size == 134217728 && u.cache_size == 67108864);
	CHECK(parse_mod("wcache.v=1", "wcache.v=1,wcache.osize=1000") == WC_ETAGS);
	CHECK(parse_mod("wcache.v=1", "wcache.v=1,wcache.osize=x") == WC_ETAGS);
	CHECK(parse_mod("wcache.v=1", "wcache.v=1,wcache.csize=4096,wcache.csize=4096") == WC_ETAGS);
	CHECK(parse_mod("wcache.v=1", "wcache.v=1,wcache.csize=4096") == 0);
	CHECK(parse("wcache.v=1,wcache.cachevol_of=" OUUID ",wcache.skip=0,wcache.osize=4096", &u) ==
	      WC_ETAGS);

	wc_tag_state(WC_ST_WIPED, raw, sizeof(raw));
	CHECK_STR(raw, "wcache.state=wiped");
	CHECK(wc_state_parse("detached") == WC_ST_DETACHED);
	CHECK(wc_state_parse("none") == WC_ST_NONE);
	CHECK(wc_valid_lvm_uuid(OUUID));
	CHECK(wc_valid_lvm_uuid("a!#aaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa"));
	CHECK(!wc_valid_lvm_uuid("aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa"));
	CHECK(!wc_valid_lvm_uuid("aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa/"));
}

/* hostile tag lists, as a foreign disk could carry them */
static void test_hostile(void)
{
	static char big[70000];
	char buf[4096];
	struct wc_tags t;
	int i, off;

	/* values with path, shell and control characters */
	CHECK(parse_mod("wcache.name=slow", "wcache.name=slow;rm") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=slow\n") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=sl ow") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=.") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=..") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=\xc3\xa9") == WC_ETAGS);
	CHECK(parse_mod("wcache.name=slow", "wcache.name=/dev/sda") == WC_ETAGS);
	CHECK(parse_mod("wcache.cachevol=" CUUID,
			"wcache.cachevol=y4fD6v/Yts0-QI8G-XV1V-IIwN-okjs-AI0gYm") == WC_ETAGS);
	CHECK(parse_mod("wcache.cachevol=" CUUID, "wcache.cachevol=" CUUID "-") == WC_ETAGS);
	CHECK(parse_mod("wcache.cachevol=" CUUID, "wcache.cachevol=vg/" CUUID) == WC_ETAGS);
	/* numbers: overflow, signs, spaces, hex */
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=18446744073709551616") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs= 4096") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=4096 ") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=0x1000") == WC_ETAGS);
	CHECK(parse_mod("wcache.bs=4096", "wcache.bs=+4096") == WC_ETAGS);
	CHECK(parse_mod("wcache.set.high_watermark=80",
			"wcache.set.high_watermark=99999999999999999999999") == WC_ETAGS);
	/* a name of exactly LVM's limit is fine, one more is not */
	memset(buf, 'a', 127);
	buf[127] = '\0';
	{
		char tag[4200], tag2[4200];

		snprintf(tag, sizeof(tag), "wcache.name=%s", buf);
		CHECK(parse_mod("wcache.name=slow", tag) == 0);
		snprintf(tag2, sizeof(tag2), "wcache.name=%sb", buf);
		CHECK(parse_mod("wcache.name=slow", tag2) == WC_ETAGS);
	}
	/* an over-long wcache tag, too many tags, a huge list */
	off = snprintf(buf, sizeof(buf), "wcache.name=");
	memset(buf + off, 'x', 300);
	buf[off + 300] = '\0';
	CHECK(parse(buf, &t) == WC_ETAGS);
	off = 0;
	for (i = 0; i < 300; i++)
		off += snprintf(big + off, sizeof(big) - off, "t%d,", i);
	snprintf(big + off, sizeof(big) - off, "%s", origin_tags);
	CHECK(parse(big, &t) == WC_ETAGS);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &t) == WC_ETAGS);
	/* empty elements and lone commas are not tags */
	CHECK(parse(",,,", &t) == 0 && t.role == WC_ROLE_NONE);
	/* '=' in the key, empty key */
	CHECK(parse("wcache.=1", &t) == WC_ETAGS);
	CHECK(parse_mod("wcache.mode=s", "wcache.mode=s=s") == WC_ETAGS);
}

int main(void)
{
	test_origin();
	test_origin_bad();
	test_cachevol();
	test_roundtrip();
	test_hostile();
	return unit_done("test_tags");
}
