#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crash-replay soak: runs tests/replay/crash-replay.sh with successive seeds
# (odd seeds: prefix replay; even seeds: plus a random half of the unflushed
# writes) checking every FLUSH/FUA point, until at least POINTS crash points
# were checked.  On the host it boots one VM and runs itself inside.
#   tests/replay/soak.sh [POINTS]        (default 1000; make -C tests/replay first)
# Last line: "soak: N crash points checked, N failed, N seeds, N s".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$HERE" || exit 1
	exec "$HERE/../vm/run" --timeout 14400 -- "$HERE/soak.sh" "$@"
fi
goal=${1:-1000}
total=0 failed=0 seed=0 start=$SECONDS
while [ "$total" -lt "$goal" ]; do
	seed=$((seed + 1))
	subset=0
	[ $((seed % 2)) = 0 ] && subset=50
	out=$("$HERE/crash-replay.sh" --seed "$seed" --ops 1500 --subset "$subset" \
		--drain-every 10 2>&1)
	rc=$?
	echo "$out" | grep -v '^Udev is running'
	n=$(sed -nE 's/^crash-replay: ([0-9]+) points checked, ([0-9]+) failed$/\1/p' <<<"$out")
	f=$(sed -nE 's/^crash-replay: ([0-9]+) points checked, ([0-9]+) failed$/\2/p' <<<"$out")
	total=$((total + ${n:-0}))
	if [ "$rc" != 0 ]; then
		failed=$((failed + ${f:-1}))
		[ "${f:-0}" = 0 ] && failed=$((failed + 1))
	fi
	echo "# soak so far: $total points, $failed failed, $((SECONDS - start)) s"
done
echo "soak: $total crash points checked, $failed failed, $seed seeds, $((SECONDS - start)) s"
[ "$failed" = 0 ]
