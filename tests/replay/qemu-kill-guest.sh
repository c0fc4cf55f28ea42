#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One boot of tests/boot/qemu-kill.sh, inside the VM.  /dev/vda is the
# origin and /dev/vdb the cache (virtio disks backed by files that survived
# the previous boot's QEMU kill); DIR is a host-shared directory with the
# workload's journal.
#   qemu-kill-guest.sh DIR check|-  write SECONDS SEED|final  [TABLE OPTIONS]
# check: load the target on the disks as the last kill left them, then
#        every block must be zero or a stamp the journal lists for it, at
#        least as new as the last fsync the journal says completed.
# write: go on with the stamped workload (appending to the journal) and,
#        SECONDS after its first fsync of this boot, have the host SIGKILL
#        QEMU (tests/vm/powercut --kill).
# final: write everything back (0 dirty), remove the target, and check the
#        bare origin.
set -u
DIR=$1 CHECK=$2 MODE=$3
shift 3
RS=tests/replay/replay-stamp
NB=8192			# 32 MiB of stamped blocks on the 64 MiB origin
J=$DIR/journal
. tests/vm/target-lib.sh
fail() { echo "qemu-kill: $*"; exit 1; }

wc_load || fail "module load failed"
case "$MODE" in
write) CUT=$1 SEED=$2; shift 2 ;;
final) ;;
*) fail "bad mode $MODE" ;;
esac
opts="${*:-0}"
echo "0 $(wc_sectors /dev/vda) wcache s /dev/vda /dev/vdb 4096 $opts" |
	dmsetup create wc || fail "the target does not load: wcache s /dev/vda /dev/vdb 4096 $opts"
err=$(wc_status_field wc 1)
[ "$err" = 0 ] || fail "status shows error $err after load"
if [ "$CHECK" = check ]; then
	acked=$($RS acked "$J") || fail "no journal"
	echo "acknowledged up to generation $acked, dirty $(wc_status_field wc 5)"
	$RS check /dev/mapper/wc "$J" --blocks $NB --acked "$acked" ||
		fail "check through the target failed"
fi

if [ "$MODE" = final ]; then
	wc_writeback wc || fail "writeback message failed"
	d=$(wc_status_field wc 5)
	[ "$d" = 0 ] || fail "$d dirty blocks after writeback"
	dmsetup remove --retry wc || fail "remove failed"
	$RS check /dev/vda "$J" --blocks $NB --acked "$acked" ||
		fail "check of the bare origin failed"
	exit 0
fi

[ "$CHECK" = check ] || : >"$J"
before=$(grep -c '^f' "$J")
$RS write /dev/mapper/wc "$J" --append --blocks $NB --ops 100000000 \
	--fsync-every 4 --seed "$SEED" &
w=$!
# the kill timer starts once this boot's workload has had an fsync acknowledged
while [ "$(grep -c '^f' "$J")" -le "$before" ]; do
	kill -0 $w 2>/dev/null || fail "the workload ended before its first fsync"
	sleep 0.1
done
echo "writing; QEMU gets SIGKILL in $CUT s"
sleep "$CUT"
kill -0 $w 2>/dev/null || fail "the workload ended before the kill"
exec tests/vm/powercut --kill
