#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the VM harness (TAP): exit status, kernel-log checks,
# persistent disks across boots and a guest-requested power cut.
set -u
cd "$(dirname "$0")/../.." || exit 1
RUN=tests/vm/run
tmp=$(mktemp -d /var/tmp/wcache-harness.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
check() {	# check DESCRIPTION EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (expected $2, got $3)"
		failed=$((failed + 1))
	fi
}
echo "1..5"

# sysrq 'l' dumps every CPU's stack ("Call Trace") into the kernel log: the
# harness must fail such a run even though the command succeeded.
$RUN --timeout 300 -- sh -c 'echo l >/proc/sysrq-trigger; sleep 1; true' >"$tmp/2.log" 2>&1
check "a call trace in dmesg fails the run" 125 $?

# ... also when the guest then cuts the power (tests/vm/powercut checks the
# kernel log before the reset)
$RUN --timeout 300 -- sh -c 'echo l >/proc/sysrq-trigger; sleep 1; tests/vm/powercut' >"$tmp/2b.log" 2>&1
check "a call trace in dmesg fails a run that ends in a power cut" 125 $?

# A disk written in one boot, power cut without sync, read in the next boot.
$RUN --timeout 300 --disk "$tmp/d.img:64M" -- sh -c \
	'head -c 4194304 /dev/urandom >/dev/shm/x && dd if=/dev/shm/x of=/dev/vda oflag=direct bs=1M status=none &&
	 sha256sum </dev/shm/x >/dev/console; tests/vm/powercut' >"$tmp/3.log" 2>&1
rc=$?
want=$(grep -Eo '[0-9a-f]{64}' "$tmp/3.log" | head -n1)
check "guest power cut ends the run with status 0" 0 $rc
# (this boot also ends with a status of its own: it must reach the host)
$RUN --timeout 300 --disk "$tmp/d.img" -- sh -c \
	'head -c 4194304 /dev/vda | sha256sum; test "$WCACHE_IN_VM" = 1 && modprobe dm-mod && exit 7' \
	>"$tmp/4.log" 2>&1
rc=$?
got=$(grep -Eo '[0-9a-f]{64}' "$tmp/4.log" | head -n1)
check "a virtio disk keeps its data across boots" "${want:-none}" "${got:-missing}"
check "guest exit status reaches the host" 7 $rc
[ "$failed" = 0 ] || { tail -n 30 "$tmp"/*.log; exit 1; }
