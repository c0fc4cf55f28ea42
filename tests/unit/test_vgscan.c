// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tools/vgscan.c: which pairings a VG's LV list yields for
 * boot-time activation, with hostile tags from a foreign disk. A pairing
 * must never reach an LV outside its own VG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgscan.h"
#include "unit.h"

#define OUUID "IGucaG-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa"
#define CUUID "y4fD6v-Yts0-QI8G-XV1V-IIwN-okjs-AI0gYm"
#define XUUID "Xxxxxx-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa"	/* LV of another VG */
#define O2UUID "O2ucaG-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa"
#define HEX "9fb9db254eaa190a44bbedffba24e430"

#define OTAGS(name, cv) "wcache.bs=4096,wcache.cachevol=" cv ",wcache.mode=s,wcache.name=" \
	name ",wcache.skip=0,wcache.state=attached,wcache.target=wcache,wcache.uuid=" HEX \
	",wcache.v=1"
#define CTAGS(of) "wcache.v=1,wcache.cachevol_of=" of ",wcache.skip=0"

static struct wc_lv lvs[16];
static int nlvs;

static void reset(void)
{
	memset(lvs, 0, sizeof(lvs));
	nlvs = 0;
}

static struct wc_lv *add(const char *vg, const char *name, const char *uuid, const char *attr,
			 const char *tags)
{
	struct wc_lv *l = &lvs[nlvs++];

	snprintf(l->vg, sizeof(l->vg), "%s", vg);
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->uuid, sizeof(l->uuid), "%s", uuid);
	snprintf(l->attr, sizeof(l->attr), "%s", attr);
	snprintf(l->tags, sizeof(l->tags), "%s", tags);
	return l;
}

static int scan(const char *vg, struct wc_vg_pair *out)
{
	return wc_vg_pairings(vg, lvs, nlvs, out, WC_VG_PAIRS_MAX);
}

static struct wc_vg_pair out[WC_VG_PAIRS_MAX];

static void test_normal(void)
{
	reset();
	add("vg", "root", "Rrrrrr-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa", "-wi-ao----", "");
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", CTAGS(OUUID));
	CHECK(scan("vg", out) == 1);
	CHECK_STR(out[0].lv, "slow");
	CHECK(out[0].state == WC_VP_READY && out[0].origin == 1 && out[0].cache == 2);

	/* another VG: nothing of vg is visible from it */
	CHECK(scan("other", out) == 0);
	/* invalid VG names yield nothing */
	CHECK(scan("../vg", out) == 0);
	CHECK(scan("", out) == 0);

	/* the cachevol not tagged yet (attach stopped early): still ours */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", "");
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_READY);

	/* no tags at all */
	reset();
	add("vg", "a", OUUID, "-wi-a-----", "x,y");
	CHECK(scan("vg", out) == 0);
}

static void test_missing(void)
{
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	CHECK(scan("vg", out) == 1);
	CHECK(out[0].state == WC_VP_NO_CACHE && out[0].cache == -1);
	CHECK(strstr(out[0].why, CUUID) != NULL);

	/* cachevol on a missing PV (attr 'p') */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-----p-", CTAGS(OUUID));
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_PARTIAL);
	CHECK(strstr(out[0].why, "cachevol vg/fast") != NULL);
	/* origin on a missing PV */
	lvs[0].attr[8] = 'p';
	lvs[1].attr[8] = '-';
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_PARTIAL);
	CHECK(strstr(out[0].why, "origin vg/slow_wco") != NULL);
	/* short attr strings are not partial */
	snprintf(lvs[0].attr, sizeof(lvs[0].attr), "p");
	CHECK(!wc_lv_partial(&lvs[0]));
}

static void test_foreign(void)
{
	/* a foreign disk's VG names the cachevol uuid of an LV of another VG */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", XUUID));
	add("good", "fast", XUUID, "-wi-ao----", "");
	CHECK(scan("vg", out) == 1);
	CHECK(out[0].state == WC_VP_NO_CACHE && out[0].cache == -1);
	CHECK(scan("good", out) == 0);

	/* ... even when the other VG's LV carries matching cachevol tags */
	lvs[1].tags[0] = '\0';
	snprintf(lvs[1].tags, sizeof(lvs[1].tags), CTAGS(OUUID));
	CHECK(scan("vg", out) == 1 && out[0].cache == -1);

	/* a name that is a path into another VG is refused by the parser */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("good/root", CUUID));
	add("vg", "fast", CUUID, "-wi-------", CTAGS(OUUID));
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);
	CHECK_STR(out[0].lv, "slow_wco");

	/* an origin that claims the name of another LV it is not named after */
	reset();
	add("vg", "evil", OUUID, "-wi-------", OTAGS("root", CUUID));
	add("vg", "fast", CUUID, "-wi-------", CTAGS(OUUID));
	add("vg", "root", "Rrrrrr-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa", "-wi-ao----", "");
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);

	/* two origins claiming one name: neither */
	reset();
	add("vg", "slow", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "slow_wco", O2UUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", "");
	CHECK(scan("vg", out) == 2);
	CHECK(out[0].state == WC_VP_BAD && out[1].state == WC_VP_BAD);

	/* two origins sharing a cachevol: neither */
	reset();
	add("vg", "a_wco", OUUID, "-wi-------", OTAGS("a", CUUID));
	add("vg", "b_wco", O2UUID, "-wi-------", OTAGS("b", CUUID));
	add("vg", "fast", CUUID, "-wi-------", "");
	CHECK(scan("vg", out) == 2);
	CHECK(out[0].state == WC_VP_BAD && out[1].state == WC_VP_BAD);

	/* the cachevol belongs to another origin */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", CTAGS(O2UUID));
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);

	/* the cachevol is itself an origin; an origin naming itself */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast_wco", CUUID, "-wi-------", OTAGS("fast", OUUID));
	CHECK(scan("vg", out) == 2);
	CHECK(out[0].state == WC_VP_BAD && out[1].state == WC_VP_BAD);
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", OUUID));
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);

	/* a duplicated uuid inside the list (never from LVM): refused */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", "");
	add("vg", "fast2", CUUID, "-wi-------", "");
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);

	/* malformed tags on an origin: reported, never activated */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------",
	    "wcache.v=1,wcache.name=slow,wcache.cachevol=" CUUID ",wcache.bs=4097");
	add("vg", "fast", CUUID, "-wi-------", "");
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);
	/* malformed cachevol tags: the pairing is refused */
	reset();
	add("vg", "slow_wco", OUUID, "-wi-------", OTAGS("slow", CUUID));
	add("vg", "fast", CUUID, "-wi-------", "wcache.v=1,wcache.cachevol_of=../../x,wcache.skip=0");
	CHECK(scan("vg", out) == 1 && out[0].state == WC_VP_BAD);
}

static void test_bounds(void)
{
	static struct wc_lv many[WC_VG_PAIRS_MAX + 2];
	struct wc_vg_pair *o2 = calloc(WC_VG_PAIRS_MAX + 2, sizeof(*o2));
	int i;

	for (i = 0; i < WC_VG_PAIRS_MAX + 1; i++) {
		struct wc_lv *l = &many[i];

		snprintf(l->vg, sizeof(l->vg), "vg");
		snprintf(l->name, sizeof(l->name), "l%d_wco", i);
		snprintf(l->uuid, sizeof(l->uuid), "%06d-fKFr-iVF0-AEer-0pM5-jFma-zIvKWa", i);
		snprintf(l->attr, sizeof(l->attr), "-wi-------");
		snprintf(l->tags, sizeof(l->tags),
			 "wcache.bs=4096,wcache.cachevol=" CUUID ",wcache.mode=s,wcache.name=l%d,"
			 "wcache.skip=0,wcache.state=attached,wcache.target=wcache,wcache.uuid="
			 HEX ",wcache.v=1", i);
	}
	/* more pairings than we act on: refused as a whole, nothing overflows */
	CHECK(wc_vg_pairings("vg", many, WC_VG_PAIRS_MAX + 1, o2, WC_VG_PAIRS_MAX) == -1);
	CHECK(wc_vg_pairings("vg", many, 3, o2, 2) == -1);
	CHECK(wc_vg_pairings("vg", many, 2, o2, 2) == 2);
	free(o2);
}

int main(void)
{
	test_normal();
	test_missing();
	test_foreign();
	test_bounds();
	return unit_done("test_vgscan");
}
