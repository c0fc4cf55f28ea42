#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crash-consistency replay of dm-wcache (run inside the VM, as root).
#
# 1. Record: one brd device is logged by dm-log-writes; dm-linear carves the
#    origin and the cache of a wcache target out of it, so a single log holds
#    every write reaching either device, in completion order, with their
#    FLUSH/FUA.  replay-stamp writes stamped blocks through the target and
#    fsyncs; after each completed fsync it puts a mark "g<GEN>" in the log.
# 2. Replay: replay-log applies the log to a zeroed device and stops at every
#    FLUSH/FUA entry (or a sample of them).  There its built-in check
#    (wccheck.h) loads the wcache target on a snapshot of that image (so later
#    points are not disturbed) and checks that it loads, reports no error, and that every
#    block holds a valid stamp (or zeroes) at least as new as the last
#    acknowledged fsync; on some points it also drains the cache and checks
#    the bare origin, and with --subset it first applies a random subset of
#    the writes that completed after the point but before the next flush
#    (a volatile cache that kept some of them).
# 3. The full replay must equal the recorded device byte for byte.
#
# usage: crash-replay.sh [--seed S] [--ops N] [--sample N] [--max-points N]
#                        [--subset PCT] [--drain-every N] [--variant V]
#                        [--ack-ahead N]
# --ack-ahead N claims the fsync N marks later as acknowledged: a self-test
# of the checker, which must then fail.
# Prints "crash-replay: N points checked, N failed" and exits non-zero on any
# failure.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$REPO/tests/vm/target-lib.sh"
unset DM_DISABLE_UDEV	# dmsetup here syncs with udev; replay-log sets its own

SEED=1 OPS=600 SAMPLE=1 MAXP=0 SUBSET=0 DRAIN=10 VARIANT="" AHEAD=0
while [ $# -gt 0 ]; do
	case "$1" in
	--seed) SEED=$2 ;;
	--ops) OPS=$2 ;;
	--sample) SAMPLE=$2 ;;
	--max-points) MAXP=$2 ;;
	--subset) SUBSET=$2 ;;
	--drain-every) DRAIN=$2 ;;
	--variant) VARIANT=$2 ;;
	--ack-ahead) AHEAD=$2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
[ -n "$VARIANT" ] || VARIANT=$((SEED % 3))

ORIG_MB=8 CACHE_MB=2
BLOCKS=$((ORIG_MB * 256))
OSECT=$((ORIG_MB * 2048)) CSECT=$((CACHE_MB * 2048))
SECT=$((OSECT + CSECT))
WORK=${RP_WORK:-/tmp/crash-replay}
rm -rf "$WORK"
mkdir -p "$WORK"

cleanup() {
	local d
	for d in rp-cw rp-co rp-cc rp-snap rp-wc rp-o rp-c rp-lw; do
		dmsetup remove --retry "$d" >/dev/null 2>&1 || true
	done
}

# the target's options vary with the seed: writeback during the workload,
# small commit intervals, a sequential cutoff
case $VARIANT in
0) OPTS="4 high_watermark 30 low_watermark 10" ;;
1) OPTS="6 high_watermark 20 low_watermark 5 autocommit_blocks 16" ;;
*) OPTS="6 high_watermark 50 low_watermark 40 autocommit_time 20" ;;
esac

wc_load || exit 1
for m in dm-log-writes dm-snapshot; do
	wc_modprobe $m || exit 1
done
cleanup
# ram0: replay image, ram1: recorded device, ram2: log, ram3: snapshot COW
wc_brd 4 256 || exit 1

echo "# record: seed $SEED, $OPS writes, wcache options: $OPTS"
dmsetup create rp-lw --table "0 $SECT log-writes /dev/ram1 /dev/ram2" || exit 1
dmsetup create rp-o --table "0 $OSECT linear /dev/mapper/rp-lw 0" &&
dmsetup create rp-c --table "0 $CSECT linear /dev/mapper/rp-lw $OSECT" &&
dmsetup create rp-wc --table "0 $OSECT wcache s /dev/mapper/rp-o /dev/mapper/rp-c 4096 $OPTS" || {
	cleanup; exit 1; }
t0=$SECONDS
"$HERE/replay-stamp" write /dev/mapper/rp-wc "$WORK/journal" --blocks $BLOCKS \
	--ops "$OPS" --fsync-every 4 --max-len 4 --seed "$SEED" --mark-dev rp-lw &
pid=$!
# table reloads while the workload runs: suspend commits, resume reloads
reloads=0
while sleep 2 && kill -0 $pid 2>/dev/null; do
	dmsetup table rp-wc | dmsetup reload rp-wc && dmsetup resume rp-wc &&
		reloads=$((reloads + 1))
done
wait $pid || { echo "# workload failed"; cleanup; exit 1; }
echo "# workload done in $((SECONDS - t0))s, $reloads table reloads"
echo "# status: $(dmsetup status rp-wc)"
dmsetup remove --retry rp-wc && dmsetup remove --retry rp-o && dmsetup remove --retry rp-c &&
	dmsetup remove --retry rp-lw || { cleanup; exit 1; }
"$HERE/replay-log" list /dev/ram2 >"$WORK/log.txt" || exit 1
echo "# log: $(grep -c . "$WORK/log.txt") entries, $(grep -c -E 'FLUSH|FUA' "$WORK/log.txt") FLUSH/FUA, $(grep -c ' MARK ' "$WORK/log.txt") marks"

t0=$SECONDS
args=(--sample "$SAMPLE" --seed "$SEED" --wcache "$OSECT:$CSECT" --journal "$WORK/journal"
	--cow /dev/ram3 --work "$WORK" --blocks "$BLOCKS" --subset "$SUBSET"
	--drain-every "$DRAIN")
[ "$MAXP" = 0 ] || args+=(--max-points "$MAXP")
[ "$AHEAD" = 0 ] || args+=(--ack-ahead "$AHEAD")
"$HERE/replay-log" replay /dev/ram2 /dev/ram0 "${args[@]}" | tee "$WORK/replay.out"
rc=${PIPESTATUS[0]}
echo "# replayed in $((SECONDS - t0))s"
checked=$(sed -nE 's/.* ([0-9]+) crash points checked.*/\1/p' "$WORK/replay.out")
failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' "$WORK/replay.out")
if [ "$rc" = 0 ] && [ "$MAXP" = 0 ]; then
	# the whole log replayed must give exactly the recorded device
	if ! cmp -n $((SECT * 512)) /dev/ram0 /dev/ram1; then
		echo "# full replay differs from the recorded device"
		failed=$((${failed:-0} + 1))
		rc=1
	fi
fi
cleanup
echo "crash-replay: ${checked:-0} points checked, ${failed:-1} failed"
[ "$rc" = 0 ] && [ "${checked:-0}" -gt 0 ]
