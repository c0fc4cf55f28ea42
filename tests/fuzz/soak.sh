#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Target fuzzing soak: 10000 random tables and 1000 corrupted images (or the
# counts given) in one VM; the VM harness fails the run on oops/WARNING.
#   tests/fuzz/soak.sh [TABLES] [IMAGES] [SEED]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$HERE" dmfuzz || exit 1
	exec "$HERE/../vm/run" --timeout 14400 -- "$HERE/soak.sh" "$@"
fi
. "$HERE/../vm/target-lib.sh"
T=${1:-10000} I=${2:-1000} SEED=${3:-1}
wc_load || exit 1
wc_brd 2 64 || exit 1
dmsetup create fzc --table "0 32768 linear /dev/ram1 0" || exit 1
start=$SECONDS
"$HERE/dmfuzz" tables /dev/ram0 /dev/mapper/fzc "$T" "$SEED"; r1=$?
echo "# tables took $((SECONDS - start)) s"
start=$SECONDS
"$HERE/dmfuzz" images /dev/ram0 /dev/mapper/fzc "$I" "$SEED"; r2=$?
echo "# images took $((SECONDS - start)) s"
dmsetup remove --retry fzc
wc_dmesg_clean || { echo "dmesg shows a kernel problem"; exit 1; }
[ "$r1" = 0 ] && [ "$r2" = 0 ]
