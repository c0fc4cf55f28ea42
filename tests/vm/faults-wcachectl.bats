#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A failing origin under an LV cached by wcachectl with the wcache target:
# the error shows in `wcachectl status`, split refuses to drop dirty data,
# and once the origin is back a reactivation and split give a bare origin
# holding every acknowledged write.
#   tests/vm/run -- bats tests/vm/faults-wcachectl.bats

load wcachectl-lib

RS="$BATS_TEST_DIRNAME/../replay/replay-stamp"
NB=4096

setup_file() {
	wc_setup_vg
	load_mod dm-flakey
}

teardown_file() {
	wc_teardown_vg
}

setup() {
	wc_new_lvs
}

teardown() {
	wc_cleanup
}

@test "wcache: origin write errors show in wcachectl status; split refuses; data survives" {
	run "$WC" attach $VG/slow --cachevol fast --target wcache --yes \
		--set high_watermark=90 --set low_watermark=80
	echo "$output"
	[ "$status" -eq 0 ]
	"$RS" write /dev/$VG/slow /tmp/j --blocks $NB --ops 600 --seed 7
	acked=$("$RS" acked /tmp/j)
	[ "$acked" -gt 0 ]
	# the origin starts failing writes
	o=$VG-slow_wco
	dmsetup table $o | grep -q linear
	good=$(dmsetup table $o)
	read -r start len type dev off <<<"$good"
	dmsetup reload $o --table "0 $len flakey $dev $off 0 3600 1 error_writes"
	dmsetup resume $o
	dmsetup message $VG-slow 0 writeback || true
	sleep 2		# the drain runs in the background and retries
	run "$WC" status $VG/slow --json
	echo "$output"
	[ "$status" -eq 0 ]
	# origin errors do not put the cache in its error state (issue 15):
	# writeback is retried, and the failures are counted
	echo "$output" | jq -e '.error == 0 and .dirty_blocks > 0 and .writeback_errors > 0'
	run "$WC" status $VG/slow
	[[ "$output" == *"failed writeback attempts"* ]]
	# split must not drop the dirty blocks
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"--force"* ]]
	dm_exists $VG-slow
	# every acknowledged block still reads back through the cache
	run "$RS" check /dev/$VG/slow /tmp/j --blocks $NB --acked "$acked"
	echo "$output"
	[ "$status" -eq 0 ]
	# the origin is repaired: reactivate (reload), split, bare origin check
	dmsetup reload $o --table "$good"
	dmsetup resume $o
	run "$WC" deactivate $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	run "$WC" status $VG/slow --json
	echo "$output" | jq -e '.error == 0'
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	lvchange -ay $VG/slow
	run "$RS" check /dev/$VG/slow /tmp/j --blocks $NB --acked "$acked"
	echo "$output"
	[ "$status" -eq 0 ]
}
