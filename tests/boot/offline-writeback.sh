#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# wcachectl writeback --offline on disk image files, on the host: no module,
# no device-mapper (TAP).
#   1. VM: the target on virtio disks (origin 64 MiB, cache 48 MiB), no
#      writeback until the cache is full, the stamped O_DIRECT workload
#      (tests/replay/qemu-kill-guest.sh) and a QEMU SIGKILL a few seconds
#      after its first fsync: thousands of dirty blocks, some of the last
#      commit possibly torn.
#   2. Host: wcachectl check on the cache image; writeback --offline --cache
#      --origin on a copy; the origin image then holds every fsync'd block
#      (replay-stamp check against the journal) and check finds nothing
#      dirty.
#   3. Host: on fresh copies, writeback --offline killed (SIGKILL) at several
#      points (during the copy, after the origin flush, while freeing
#      entries, at random times) and run again: the origin image is byte for
#      byte the one of the uninterrupted run, and nothing is dirty.
#   4. VM: the kernel target loads the cleaned pair with 0 dirty blocks, and
#      every fsync'd block is intact through it and on the bare origin.
#   WCACHE_OFFWB_SECS=N   seconds of workload after the first fsync (20)
set -u
cd "$(dirname "$0")/../.." || exit 1
RUN=tests/vm/run
G=tests/replay/qemu-kill-guest.sh
RS=tests/replay/replay-stamp
WC=tools/wcachectl
NB=8192
[ -x $RS ] || make -s -C tests/replay || exit 1
[ -x $WC ] || make -s -C tools wcachectl || exit 1
SECS=${WCACHE_OFFWB_SECS:-20}
tmp=$(mktemp -d /var/tmp/wcache-offwb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() {	# ok DESCRIPTION STATUS [LOG]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (status $2)"
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 25 "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit
}
json_field() {	# json_field FILE KEY: a top-level number or boolean (wcachectl --json)
	sed -nE "s/^  \"$2\": ?([0-9a-z]+),?$/\1/p" "$1"
}

# 1. power cut with thousands of dirty blocks
$RUN --timeout 900 --outdir "$tmp" --disk "$tmp/o.img:64M" --disk "$tmp/c.img:48M" -- \
	$G "$tmp" - write "$SECS" 7 4 high_watermark 100 low_watermark 99 >"$tmp/b1.log" 2>&1
rc=$?
[ "$rc" = 0 ] && ! grep -q 'QEMU killed by SIGKILL' "$tmp/b1.log" && rc=1
ok "VM: stamped workload on the target for $SECS s, QEMU killed" "$rc" "$tmp/b1.log"
[ "$rc" = 0 ] || finish
acked=$($RS acked "$tmp/journal")

# 2. the offline tools on the images
$WC check "$tmp/c.img" >"$tmp/check.txt" 2>&1
rc=$?
$WC check --json "$tmp/c.img" >"$tmp/check.json" 2>&1
dirty=$(json_field "$tmp/check.json" dirty_blocks)
sed 's/^/# /' "$tmp/check.txt"
[ "$rc" = 0 ] && [ "$(json_field "$tmp/check.json" loadable)" = true ] && [ "${dirty:-0}" -ge 1000 ] || rc=1
ok "host: check finds the cache loadable with $dirty (>= 1000) dirty blocks" "$rc" "$tmp/check.txt"
[ "$rc" = 0 ] || finish

cp --sparse=always "$tmp/o.img" "$tmp/oA.img"
cp --sparse=always "$tmp/c.img" "$tmp/cA.img"
t0=$SECONDS
$WC -v writeback --offline --cache "$tmp/cA.img" --origin "$tmp/oA.img" >"$tmp/wbA.log" 2>"$tmp/wbA.err"
rc=$?
grep -v '^writing back' "$tmp/wbA.log" | sed 's/^/# /'
steps=$(grep -c 'step [0-9]* done' "$tmp/wbA.err")
echo "# $steps steps: $dirty blocks, the origin flush, $((steps - dirty - 2)) metadata writes, the end"
ok "host: writeback --offline --cache c.img --origin o.img ($dirty blocks, $((SECONDS - t0)) s)" "$rc" "$tmp/wbA.log"
$RS check "$tmp/oA.img" "$tmp/journal" --blocks $NB --acked "$acked" >"$tmp/rsA.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/rsA.log"
ok "host: the origin image holds every fsync'd block (acknowledged up to generation $acked)" "$rc" "$tmp/rsA.log"
$WC check --json "$tmp/cA.img" >"$tmp/checkA.json" 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(json_field "$tmp/checkA.json" dirty_blocks)" = 0 ] &&
	[ "$(json_field "$tmp/checkA.json" entries_used)" = 0 ] || rc=1
ok "host: afterwards check finds the cache loadable and clean" "$rc" "$tmp/checkA.json"
$WC writeback --offline --cache "$tmp/cA.img" --origin "$tmp/oA.img" >"$tmp/wbA2.log" 2>&1 &&
	grep -q ' 0 dirty blocks to write back' "$tmp/wbA2.log"
ok "host: a second run finds nothing to write back" "$?" "$tmp/wbA2.log"

# 3. killed at some point, then run again: the same origin, a clean cache.
# Steps (WCACHECTL_KILL_AFTER): one per block written back, one for the
# origin flush, one per metadata write while freeing entries, one at the end.
for k in $((dirty / 2)) $((dirty + 1)) $(seq $((dirty + 2)) $((steps - 1))) time; do
	cp --sparse=always "$tmp/o.img" "$tmp/oB.img"
	cp --sparse=always "$tmp/c.img" "$tmp/cB.img"
	if [ "$k" = time ]; then
		$WC writeback --offline --cache "$tmp/cB.img" --origin "$tmp/oB.img" >"$tmp/wbB.log" 2>&1 &
		pid=$!
		sleep 0.$((RANDOM % 9 + 1))
		kill -9 $pid 2>/dev/null
		wait $pid
		what="SIGKILL after a random time"
	else
		WCACHECTL_KILL_AFTER=$k $WC writeback --offline --cache "$tmp/cB.img" \
			--origin "$tmp/oB.img" >"$tmp/wbB.log" 2>&1
		rc=$?
		what="killed after step $k"
		if [ "$rc" != 137 ]; then
			ok "host: writeback --offline $what" 1 "$tmp/wbB.log"
			continue
		fi
	fi
	$WC writeback --offline --cache "$tmp/cB.img" --origin "$tmp/oB.img" >"$tmp/wbB2.log" 2>&1
	rc=$?
	left=$(sed -nE 's/.*: ([0-9]+) dirty blocks to write back.*/\1/p' "$tmp/wbB2.log")
	cmp -s "$tmp/oA.img" "$tmp/oB.img" || { echo "# the origin differs from the uninterrupted run's"; rc=1; }
	$WC check --json "$tmp/cB.img" >"$tmp/checkB.json" 2>&1 || rc=1
	[ "$(json_field "$tmp/checkB.json" entries_used)" = 0 ] || rc=1
	ok "host: writeback --offline $what, run again ($left dirty blocks left): same origin, clean cache" "$rc" "$tmp/wbB2.log"
done

# 4. the kernel accepts the cleaned cache
$RUN --timeout 900 --outdir "$tmp" --disk "$tmp/oA.img" --disk "$tmp/cA.img" -- \
	$G "$tmp" check final >"$tmp/b2.log" 2>&1
rc=$?
grep -E '^(check|acknowledged)' "$tmp/b2.log" | sed 's/^/# /'
grep -q 'acknowledged up to generation .*, dirty 0$' "$tmp/b2.log" || rc=1
ok "VM: the target loads the cleaned images with 0 dirty blocks; every fsync'd block intact through it and on the bare origin" "$rc" "$tmp/b2.log"
finish
