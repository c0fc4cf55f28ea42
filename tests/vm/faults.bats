#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# dm-wcache under failing devices: dm-flakey and dm-error stacked under the
# origin and under the cache.  Write errors, read errors and a device
# vanishing (its table swapped to "error") must show in the status line,
# never oops, never return wrong data (a failing read is EIO, not stale
# data), and everything acknowledged before the fault must be there once the
# device is back.  Run inside the VM:
#   tests/vm/run -- bats tests/vm/faults.bats

load target-lib.sh

RS="$BATS_TEST_DIRNAME/../replay/replay-stamp"
NB=2048			# 8 MiB of stamped 4 KiB blocks
OSZ=$((64 * 2048))	# origin: 64 MiB
CSZ=$((16 * 2048))	# cache: 16 MiB

setup_file() {
	[ -x "$RS" ] || { echo "build first: make -C tests/replay" >&2; return 1; }
	wc_load
	wc_modprobe dm-flakey
	wc_brd 2 64
}

setup() {
	teardown
	dd if=/dev/zero of=/dev/ram0 bs=1M count=64 oflag=direct status=none
	wc_zero_sb /dev/ram1
	dmsetup create fo --table "0 $OSZ linear /dev/ram0 0"
	dmsetup create fc --table "0 $CSZ linear /dev/ram1 0"
	rm -f /tmp/j
}

teardown() {
	local d
	for d in wc fo fc; do
		dmsetup remove --retry $d >/dev/null 2>&1 || true
	done
}

# swap NAME TABLE: replace a device's table under the running target
swap() {
	dmsetup reload "$1" --table "$2"
	dmsetup resume "$1"
}
healthy() {
	case $1 in
	fo) swap fo "0 $OSZ linear /dev/ram0 0" ;;
	fc) swap fc "0 $CSZ linear /dev/ram1 0" ;;
	esac
}
# always "down" flakey devices
write_errors() {
	case $1 in
	fo) swap fo "0 $OSZ flakey /dev/ram0 0 0 3600 1 error_writes" ;;
	fc) swap fc "0 $CSZ flakey /dev/ram1 0 0 3600 1 error_writes" ;;
	esac
}
vanish() {
	case $1 in
	fo) swap fo "0 $OSZ error" ;;
	fc) swap fc "0 $CSZ error" ;;
	esac
}

create() {
	echo "0 $OSZ wcache s /dev/mapper/fo /dev/mapper/fc 4096 $*" | dmsetup create wc
}

# write OPS stamped extents and fsync; ACKED = generation of the last fsync
stamp() {
	"$RS" write /dev/mapper/wc /tmp/j --blocks $NB --ops "$1" --seed "${2:-1}"
	ACKED=$("$RS" acked /tmp/j)
	[ "$ACKED" -gt 0 ]
}

check() {
	run "$RS" check "$1" /tmp/j --blocks $NB --acked "$ACKED" "${@:2}"
	echo "$output"
	[ "$status" = 0 ]
}

err_field() {
	wc_status_field wc 1
}

# failed writeback batches (last status field)
wb_err_field() {
	wc_status_field wc 23
}

# With the devices healthy again: the target loads the committed state
# without error, everything acknowledged reads back, a full writeback leaves
# nothing dirty, and the bare origin then holds all of it.
reload_drain_check() {
	create 0
	[ "$(err_field)" = 0 ]
	check /dev/mapper/wc
	wc_writeback wc
	[ "$(wc_status_field wc 5)" = 0 ]
	dmsetup remove --retry wc
	check /dev/mapper/fo
	wc_dmesg_clean
}

@test "origin write errors during writeback: retried and counted, no error state, nothing lost" {
	create 4 high_watermark 90 low_watermark 80
	stamp 800
	[ "$(err_field)" = 0 ]
	write_errors fo
	# writeback fails visibly (message, counter), does not hang and does
	# not drop the blocks; the target stays usable (issue 15, item 9)
	dmsetup message wc 0 writeback
	sleep 2
	[ "$(wc_status_field wc 20)" = 1 ]	# still draining, retrying
	[ "$(err_field)" = 0 ]
	[ "$(wb_err_field)" -gt 0 ]
	dirty=$(wc_status_field wc 5)
	[ "$dirty" -gt 0 ]
	check /dev/mapper/wc
	# new writes still go to the cache
	dd if=/dev/zero of=/tmp/z bs=4k count=1 status=none
	dd if=/tmp/z of=/dev/mapper/wc bs=4k count=1 seek=$((NB + 7)) oflag=direct conv=fsync status=none
	# the origin comes back: a reload loads the committed state and drains
	healthy fo
	dmsetup remove --retry wc
	reload_drain_check
}

@test "cache write errors: writes and fsync fail, acknowledged data stays readable" {
	create 0
	stamp 400
	write_errors fc
	run "$RS" write /dev/mapper/wc /tmp/j2 --blocks $NB --ops 50 --seed 2
	echo "$output"
	[ "$status" != 0 ]
	[ "$(err_field)" != 0 ]
	run dmsetup message wc 0 flush
	[ "$status" != 0 ] || [ "$(err_field)" != 0 ]
	check /dev/mapper/wc
	healthy fc
	dmsetup remove --retry wc
	create 0
	[ "$(err_field)" = 0 ]
	check /dev/mapper/wc
	wc_dmesg_clean
}

@test "cache read errors: reads fail with EIO, never stale origin data" {
	create 0
	stamp 400
	# commit what the last writes left uncommitted now: else the
	# autocommit timer may fire once the device is down, and that failed
	# metadata write rightly puts the cache in its error state (seen on
	# 6.12 under load)
	dmsetup message wc 0 flush
	# flakey without features: every read fails while down (writes too)
	swap fc "0 $CSZ flakey /dev/ram1 0 0 3600"
	run "$RS" check /dev/mapper/wc /tmp/j --blocks $NB --acked "$ACKED" --eio-ok
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *" 0 bad"* ]]
	eio=$(sed -nE 's/.* ([0-9]+) EIO.*/\1/p' <<<"$output")
	[ "$eio" -gt 0 ]
	# a failed cache read fails that read only, and is counted
	[ "$(err_field)" = 0 ]
	[ "$(wc_status_field wc 22)" -gt 0 ]
	healthy fc
	dmsetup remove --retry wc
	create 0
	check /dev/mapper/wc
	wc_dmesg_clean
}

@test "origin vanishes: cached data readable, misses fail with EIO, all back after reload" {
	create 0
	stamp 600
	vanish fo
	run "$RS" check /dev/mapper/wc /tmp/j --blocks $NB --acked "$ACKED" --eio-ok
	echo "$output"
	[ "$status" = 0 ]
	dmsetup message wc 0 writeback
	sleep 2
	# origin errors fail those bios only, and are counted
	[ "$(err_field)" = 0 ]
	[ "$(wc_status_field wc 21)" -gt 0 ]
	[ "$(wb_err_field)" -gt 0 ]
	# removing the target works although the origin is gone
	dmsetup remove --retry wc
	healthy fo
	reload_drain_check
}

@test "cache vanishes: I/O fails, removal works, everything acknowledged is back with the cache" {
	create 4 high_watermark 90 low_watermark 80
	stamp 600
	vanish fc
	run "$RS" check /dev/mapper/wc /tmp/j --blocks $NB --acked "$ACKED" --eio-ok
	echo "$output"
	[ "$status" = 0 ]
	run dd if=/dev/zero of=/dev/mapper/wc bs=4k count=1 oflag=direct,sync
	[ "$status" != 0 ]
	[ "$(err_field)" != 0 ]
	dmsetup remove --retry wc
	# a missing cache must not be loadable (its metadata cannot be read)
	run create 0
	[ "$status" != 0 ]
	healthy fc
	create 0
	[ "$(err_field)" = 0 ]
	check /dev/mapper/wc
	wc_dmesg_clean
}

@test "origin write errors while the workload runs: writes go on, everything fsync'd survives" {
	create 4 high_watermark 10 low_watermark 5
	write_errors fo
	# writeback to the failing origin starts at once and fails; it is
	# retried with back-off while the workload goes on in the cache
	run "$RS" write /dev/mapper/wc /tmp/j --blocks $NB --ops 3000 --fsync-every 2 --seed 3
	echo "$output"
	[ "$status" = 0 ]
	[ "$(err_field)" = 0 ]
	[ "$(wb_err_field)" -gt 0 ]
	ACKED=$("$RS" acked /tmp/j)
	echo "acknowledged up to generation $ACKED"
	[ "$ACKED" -gt 0 ]
	check /dev/mapper/wc
	healthy fo
	dmsetup remove --retry wc
	reload_drain_check
}
