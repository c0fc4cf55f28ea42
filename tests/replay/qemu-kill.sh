#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dm-wcache across a hard power cut of the whole VM (TAP): origin and cache
# are virtio disks backed by files; the guest resets itself (sysrq 'b', no
# sync) while a stamped workload with fsyncs runs through the target; the
# next boot on the same disk files loads the target and checks that every
# block acknowledged by a completed fsync is intact (journal kept on a
# host-shared directory), then drains and checks the bare origin.
#   tests/replay/qemu-kill.sh
# Not yet in tests/boot/ (run by make check): it has not been run once.
# Move it there after a first passing run.
set -u
cd "$(dirname "$0")/../.." || exit 1
RUN=tests/vm/run
RS=tests/replay/replay-stamp
[ -x $RS ] || make -s -C tests/replay || exit 1
tmp=$(mktemp -d /var/tmp/wcache-qkill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
NB=8192			# 32 MiB of stamped blocks on a 64 MiB origin
n=0 failed=0
result() {	# result DESCRIPTION STATUS LOG
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (status $2)"
		grep -v '^Udev is running' "$3" | tail -n 25 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}
echo "1..3"
cycle=0
for spec in "0|4" "4 high_watermark 10 low_watermark 5|6" "2 autocommit_time 5000|3"; do
	cycle=$((cycle + 1))
	opts=${spec%|*} cut=${spec#*|}
	rm -f "$tmp"/o.img "$tmp"/c.img "$tmp"/j
	# boot 1: write until the power goes
	$RUN --timeout 600 --outdir "$tmp" --disk "$tmp/o.img:64M" --disk "$tmp/c.img:16M" -- bash -c "
		. tests/vm/target-lib.sh; wc_load || exit 1
		echo '0 131072 wcache s /dev/vda /dev/vdb 4096 $opts' | dmsetup create wc || exit 1
		(sleep $cut; tests/vm/powercut) &
		$RS write /dev/mapper/wc $tmp/j --blocks $NB --ops 1000000 --fsync-every 4 --seed $cycle
		echo 'the workload ended before the power cut'; exit 3" >"$tmp/w$cycle.log" 2>&1
	rc=$?
	log=$tmp/w$cycle.log
	grep -q WCACHE-VM-POWERCUT "$log" || { [ "$rc" = 0 ] && rc=1; }
	# boot 2: the "reboot"
	if [ "$rc" = 0 ]; then
		$RUN --timeout 600 --outdir "$tmp" --disk "$tmp/o.img" --disk "$tmp/c.img" -- bash -c "
			. tests/vm/target-lib.sh; wc_load || exit 1
			echo '0 131072 wcache s /dev/vda /dev/vdb 4096 0' | dmsetup create wc || exit 1
			[ \$(wc_status_field wc 1) = 0 ] || exit 1
			a=\$($RS acked $tmp/j); echo \"acknowledged up to generation \$a\"
			[ \"\$a\" -gt 0 ] || exit 1
			$RS check /dev/mapper/wc $tmp/j --blocks $NB --acked \$a || exit 1
			dmsetup message wc 0 writeback || exit 1
			[ \$(wc_status_field wc 5) = 0 ] || exit 1
			dmsetup remove --retry wc || exit 1
			$RS check /dev/vda $tmp/j --blocks $NB --acked \$a" >"$tmp/r$cycle.log" 2>&1
		rc=$?
		log=$tmp/r$cycle.log
		grep -E '^(check|acknowledged)' "$tmp/r$cycle.log" | sed 's/^/# /'
	fi
	result "QEMU power cut $cycle (options '$opts', cut after ${cut}s): every fsync'd block intact" \
		"$rc" "$log"
done
[ "$failed" = 0 ]
