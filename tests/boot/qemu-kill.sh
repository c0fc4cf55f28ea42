#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dm-wcache across QEMU kills (TAP).  Origin (64 MiB) and cache (16 MiB) are
# virtio disks backed by files.  Each boot loads the target on the disks as
# the last kill left them, checks every block against the workload's journal
# (kept on a host-shared directory), goes on with the stamped O_DIRECT
# workload (fsync after 1..7 writes) and, a random time after its first
# fsync, has the host SIGKILL QEMU: no flush and no clean close of the disk
# files; writes in flight are lost.  The next boot on the same files is the
# "reboot".  After the last kill, a final boot checks, writes everything
# back and checks the bare origin.  The table options change from boot to
# boot (writeback during the workload, commit intervals).  One test per kill
# (the target loads with no error, every fsync-acknowledged block holds at
# least its generation, nothing is garbage) and one for the final drain.
# See tests/replay/qemu-kill-guest.sh.
#   tests/boot/qemu-kill.sh            CI sample: 3 kills, 4 boots
#   WCACHE_SOAK=1 tests/boot/qemu-kill.sh      soak: 50 kills (or
#   tests/soak/qemu-kill-soak.sh)
#   WCACHE_QKILL_KILLS=N               any number of kills
# A failed check starts a new chain on fresh disk files (the soak goes on);
# its disk files and journal are kept in /var/tmp/wcache-qkill-fail.*.
set -u
cd "$(dirname "$0")/../.." || exit 1
RUN=tests/vm/run
G=tests/replay/qemu-kill-guest.sh
[ -x tests/replay/replay-stamp ] || make -s -C tests/replay || exit 1
KILLS=3
[ "${WCACHE_SOAK:-0}" = 1 ] && KILLS=50
KILLS=${WCACHE_QKILL_KILLS:-$KILLS}
tmp=$(mktemp -d /var/tmp/wcache-qkill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
OPTS=("0"
      "4 high_watermark 10 low_watermark 5"
      "2 autocommit_time 200"
      "6 high_watermark 20 low_watermark 0 writeback_jobs 4"
      "2 autocommit_blocks 16")
n=0 failed=0 boot=0 kills=0 verified=0 fresh=1 t0=$SECONDS
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
vm() {	# vm LOG ARGS...: one boot on the disk files
	local log=$1
	shift
	boot=$((boot + 1))
	$RUN --timeout 900 --outdir "$tmp" --disk "$tmp/o.img:64M" \
		--disk "$tmp/c.img:16M" -- "$G" "$tmp" "$@" >"$log" 2>&1
}
keep_failure() {
	local d
	d=$(mktemp -d /var/tmp/wcache-qkill-fail.XXXXXX)
	mv "$tmp"/o.img "$tmp"/c.img "$tmp"/journal "$tmp"/*.log "$d"/ 2>/dev/null
	echo "# disk files, journal and logs kept in $d"
	fresh=1
}
last_opts=""
while [ "$kills" -lt "$KILLS" ]; do
	opts=${OPTS[$((boot % ${#OPTS[@]}))]}
	# how long to write after the first fsync: 0.5 .. 4.9 s (drawn
	# here: a $(...) subshell would repeat the same $RANDOM every time)
	t=$((5 + RANDOM % 45)) c=$((t / 10)).$((t % 10))
	log=$tmp/b$boot.log
	if [ "$fresh" = 1 ]; then
		rm -f "$tmp"/o.img "$tmp"/c.img "$tmp"/journal
		# seed boot+1 (srandom(0) repeats srandom(1)); $opts: words
		# shellcheck disable=SC2086
		vm "$log" - write "$c" "$((boot + 1))" $opts
	else
		# shellcheck disable=SC2086
		vm "$log" check write "$c" "$((boot + 1))" $opts
	fi
	rc=$?
	kills=$((kills + 1))
	if [ "$rc" = 0 ] && ! grep -q 'QEMU killed by SIGKILL' "$log"; then
		echo "# boot $boot did not end in a QEMU kill"
		rc=1
	fi
	if [ "$fresh" = 0 ]; then
		grep -E '^(check|acknowledged)' "$log" | sed 's/^/# /'
		grep -q '^check: .* 0 bad$' "$log" && verified=$((verified + 1))
		result "kill $((kills - 1)) (options '$last_opts'): target loads, every fsync'd block intact; then written $c s more and killed" "$rc" "$log"
	elif [ "$rc" != 0 ]; then
		result "fresh disks (options '$opts'): workload written for $c s and killed" "$rc" "$log"
	fi
	[ "$rc" = 0 ] && fresh=0 || keep_failure
	last_opts=$opts
done
if [ "$fresh" = 0 ]; then
	log=$tmp/b$boot.log
	vm "$log" check final
	rc=$?
	grep -E '^(check|acknowledged)' "$log" | sed 's/^/# /'
	grep -q '^check: .* 0 bad$' "$log" && verified=$((verified + 1))
	result "kill $kills (options '$last_opts'): target loads, every fsync'd block intact; drained to 0 dirty, bare origin intact" "$rc" "$log"
	[ "$rc" = 0 ] || keep_failure
fi
echo "1..$n"
echo "# qemu-kill: $kills boots ended by a kill, $verified kills verified intact, $failed failed, $boot boots, $((SECONDS - t0)) s"
[ "$failed" = 0 ]
