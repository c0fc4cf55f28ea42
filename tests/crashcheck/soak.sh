#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# crashcheck soak: successive seeds of tests/crashcheck/crashcheck.py, the
# three crash-image modes in turn (snap: RAM-disk copies; powercut: null_blk
# volatile caches powered off; logwrites: every FLUSH/FUA point of a
# dm-log-writes log), until OPS operations and IMAGES crash images were
# done or MINUTES passed.  On the host it builds and boots one VM (no udev:
# device-mapper nodes come from devtmpfs) and runs itself inside.
#   tests/crashcheck/soak.sh [--ops N] [--images N] [--minutes N]
#                            [--target wcache|writecache] [--sector "512 4096"]
#                            [--seed S] [--modes "snap powercut logwrites"]
#                            [-- extra crashcheck.py options]
# Failing seeds are listed with their REPRO line (run it again with
# crashcheck.py --replay FILE).  Last line:
#   "soak: N ops, N crash images, N live checks, N seeds, N failed, N s"
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OPS=100000 IMAGES=10000 MINUTES=600 TARGET=wcache SECTOR=512 SEED=1
MODES="snap powercut logwrites"
EXTRA=()
args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--ops) OPS=$2; shift ;;
	--images) IMAGES=$2; shift ;;
	--minutes) MINUTES=$2; shift ;;
	--target) TARGET=$2; shift ;;
	--sector) SECTOR=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--) shift; EXTRA=("$@"); break ;;
	*) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO" module replay || exit 1
	exec "$REPO/tests/vm/run" --no-udev --timeout $((MINUTES * 60 + 900)) \
		-- "$HERE/soak.sh" "${args[@]}"
fi
export DM_DISABLE_UDEV=1
read -r -a sectors <<<"$SECTOR"
ops=0 imgs=0 lives=0 seeds=0 failed=0 start=$SECONDS seed=$SEED
failures=()
read -r -a modes <<<"$MODES"
while [ "$ops" -lt "$OPS" ] || [ "$imgs" -lt "$IMAGES" ]; do
	[ $((SECONDS - start)) -lt $((MINUTES * 60)) ] || break
	mode=${modes[$((seeds % ${#modes[@]}))]}
	# --sector "512 4096": each mode in turn on each sector size
	sector=${sectors[$((seeds / ${#modes[@]} % ${#sectors[@]}))]}
	a4=()
	[ "$sector" = 4096 ] && a4=(--allow-4k)
	case $mode in
	snap) a=(--ops 400 --image-every 8) ;;
	powercut) a=(--ops 400 --image-every 15) ;;
	logwrites) a=(--ops 250 --max-images 80) ;;
	esac
	out=$(python3 "$HERE/crashcheck.py" --target "$TARGET" --sector "$sector" \
		--mode "$mode" --seed "$seed" "${a[@]}" "${a4[@]}" "${EXTRA[@]}" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(# seed|FAIL|REPRO|crashcheck:|Traceback|  File|[A-Za-z]+Error)'
	line=$(grep '^crashcheck:' <<<"$out")
	o=$(sed -nE 's/.* ([0-9]+) ops, .*/\1/p' <<<"$line")
	i=$(sed -nE 's/.* ([0-9]+) images, .*/\1/p' <<<"$line")
	l=$(sed -nE 's/.* ([0-9]+) live checks, .*/\1/p' <<<"$line")
	ops=$((ops + ${o:-0})) imgs=$((imgs + ${i:-0})) lives=$((lives + ${l:-0}))
	seeds=$((seeds + 1))
	if [ "$rc" != 0 ]; then
		failed=$((failed + 1))
		failures+=("$mode:$sector:$seed")
	fi
	echo "# soak so far: $ops ops, $imgs images, $lives live checks, $seeds seeds, $failed failed, $((SECONDS - start)) s"
	seed=$((seed + 1))
done
[ ${#failures[@]} = 0 ] || echo "# failed seeds (mode:sector:seed): ${failures[*]}"
echo "soak: $TARGET sector $SECTOR: $ops ops, $imgs crash images, $lives live checks, $seeds seeds, $failed failed, $((SECONDS - start)) s"
[ "$failed" = 0 ]
