#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl check, dump and writeback --offline on crafted image files
# (tests/offline/wcimage: the expected dirty set is known by construction:
# superseded versions, entries newer than durable_seq with good and torn
# data, STABLE entries). Runs on the host: no module, no device-mapper.

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	WC="$TOP/tools/wcachectl"
	IMG="$TOP/tests/offline/wcimage"
	[ -x "$WC" ] || make -C "$TOP/tools" wcachectl >/dev/null
	[ -x "$IMG" ] || make -C "$TOP/tests/offline" >/dev/null
	D=$(mktemp -d)
}

teardown() {
	rm -rf "$D"
}

# mkimg NAME CACHE_KIB ORIGIN_KIB BS SEED N [torn]: $D/NAME.img, $D/NAME.exp,
# and a zeroed origin $D/NAME.o
mkimg() {
	local name=$1
	shift
	"$IMG" "$D/$name.img" "$@" >"$D/$name.exp"
	rm -f "$D/$name.o"
	truncate -s "$(($2 * 1024))" "$D/$name.o"
}

# every expected block holds "<origin block>:<version>" lines, and only those
# blocks are non-zero
origin_ok() {	# origin_ok NAME BS
	local name=$1 bs=$2 ob v got nz
	while read -r ob v; do
		[ "$ob" = dirty ] && continue
		got=$(dd if="$D/$name.o" bs="$bs" skip="$ob" count=1 2>/dev/null | head -n1)
		[ "$got" = "$ob:$v" ] || { echo "origin block $ob: '$got', expected '$ob:$v'"; return 1; }
	done <"$D/$name.exp"
	nz=$(python3 -c "
import sys
d = open('$D/$name.o', 'rb').read()
print(sum(1 for i in range(0, len(d), $bs) if any(d[i:i + $bs])))")
	[ "$nz" = "$(sed -n 's/^dirty //p' "$D/$name.exp")" ] || { echo "$nz non-zero blocks"; return 1; }
}

@test "check: the kernel's dirty set, by construction, for several geometries and seeds" {
	for spec in "1024 4096 4096 1 40" "1024 4096 4096 2 60" "512 2048 512 3 200" \
		"4096 8192 2048 4 300" "2048 65536 4096 5 100"; do
		# shellcheck disable=SC2086
		mkimg a $spec
		run "$WC" check "$D/a.img"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"result: ok; the kernel loads this cache with $(sed -n 's/^dirty //p' "$D/a.exp") dirty blocks"* ]]
	done
}

@test "check --json and dump: counts, entries by origin block, --all shows superseded and dropped" {
	mkimg a 1024 4096 4096 1 40
	run "$WC" check --json "$D/a.img"
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["loadable"] is True and j["dirty_blocks"] == 40, j
assert j["superseded"] > 0 and j["dropped"] > 0 and j["stable"] > 0, j
assert j["superblock"]["block_size"] == 4096 and j["bad_md_sectors"] == []'
	run "$WC" dump --json "$D/a.img"
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
j = json.load(sys.stdin)
e = j["entries"]
assert len(e) == 40 and all(x["state"] == "dirty" for x in e)
obs = [x["origin_block"] for x in e]
assert obs == sorted(obs) and len(set(obs)) == 40'
	run "$WC" dump --all "$D/a.img"
	[ "$status" -eq 0 ]
	[[ "$output" == *superseded* ]] && [[ "$output" == *dropped* ]] && [[ "$output" == *valid,stable* ]]
	[ "$(echo "$output" | grep -c ' dirty$')" -eq 40 ]
}

@test "writeback --offline: the origin gets exactly the current versions, then the cache is clean" {
	for spec in "1024 4096 4096 1 40" "512 2048 512 3 200"; do
		# shellcheck disable=SC2086
		mkimg a $spec
		bs=$(echo "$spec" | cut -d' ' -f3)
		run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"the cache is clean"* ]]
		origin_ok a "$bs"
		run "$WC" check --json "$D/a.img"
		[ "$status" -eq 0 ]
		echo "$output" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["loadable"] and j["entries_used"] == 0 and j["dirty_blocks"] == 0, j'
	done
}

@test "writeback --offline killed at every step, then run again: the same origin and a clean cache" {
	mkimg a 1024 4096 4096 9 40
	cp "$D/a.img" "$D/ref.img"
	cp "$D/a.o" "$D/ref.o"
	run "$WC" -v writeback --offline --cache "$D/ref.img" --origin "$D/ref.o"
	[ "$status" -eq 0 ]
	steps=$(echo "$output" | grep -c 'step [0-9]* done')
	[ "$steps" -gt 42 ]
	for k in $(seq 1 $((steps - 1))); do
		mkimg a 1024 4096 4096 9 40
		run env WCACHECTL_KILL_AFTER=$k "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
		[ "$status" -eq 137 ] || { echo "step $k: status $status"; return 1; }
		run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
		[ "$status" -eq 0 ] || { echo "step $k: rerun: $output"; return 1; }
		cmp "$D/a.o" "$D/ref.o" || { echo "step $k: origin differs"; return 1; }
		run "$WC" check --json "$D/a.img"
		[[ "$output" == *'"entries_used":0,'* ]] || { echo "step $k: $output"; return 1; }
	done
}

@test "a torn metadata sector: check says DAMAGED (1), writeback refuses without --force and salvages with it" {
	mkimg a 1024 4096 4096 1 40 torn
	run "$WC" check "$D/a.img"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"metadata sector 0 (device sector 8): bad-checksum: checksum mismatch"* ]]
	[[ "$output" == *"result: DAMAGED; the kernel refuses this cache: Metadata sector checksum mismatch"* ]]
	run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
	[ "$status" -eq 5 ]
	[[ "$output" == *"--force"* ]]
	# nothing was written
	[ "$(tr -d '\0' <"$D/a.o" | wc -c)" -eq 0 ]
	run "$WC" writeback --offline --force --cache "$D/a.img" --origin "$D/a.o"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tr -d '\0' <"$D/a.o" | wc -c)" -gt 0 ]
	run "$WC" check "$D/a.img"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 used"* ]]
}

@test "refused: bad superblock, wrong origin size, bad command lines" {
	mkimg a 1024 4096 4096 1 40
	printf 'XXXX' | dd of="$D/a.img" bs=1 seek=4 conv=notrunc 2>/dev/null
	run "$WC" check "$D/a.img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad magic"* ]]
	run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
	[ "$status" -eq 5 ]
	mkimg a 1024 4096 4096 1 40
	truncate -s 1M "$D/a.o"
	run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.o"
	[ "$status" -eq 5 ]
	[[ "$output" == *"origin device is smaller"* ]]
	run "$WC" writeback --cache "$D/a.img" --origin "$D/a.o"
	[ "$status" -eq 2 ]
	run "$WC" writeback --offline --cache "$D/a.img"
	[ "$status" -eq 2 ]
	run "$WC" writeback --offline vg/lv --cache "$D/a.img" --origin "$D/a.o"
	[ "$status" -eq 2 ]
	run "$WC" writeback --offline --cache "$D/a.img" --origin "$D/a.img"
	[ "$status" -eq 2 ]
	run "$WC" check
	[ "$status" -eq 2 ]
	run "$WC" check "$D/missing.img"
	[ "$status" -eq 4 ]
	# a blank cache: nothing to do
	truncate -s 1M "$D/b.img"
	run "$WC" check "$D/b.img"
	[ "$status" -eq 0 ]
	[[ "$output" == *blank* ]]
}
