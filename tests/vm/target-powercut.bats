#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# dm-wcache durability across power cuts, modelled with null_blk's volatile
# write cache: powering a null_blk device off through configfs throws away
# everything written since its last FLUSH.  Run inside the VM:
#   tests/vm/run -- bats tests/vm/target-powercut.bats

load target-lib.sh

STAMP="python3 $BATS_TEST_DIRNAME/target-stamp.py"
NB=8192		# 32 MiB of stamped 4 KiB blocks

setup_file() {
	wc_load
	wc_modprobe null_blk nr_devices=0
}

teardown() {
	dmsetup remove --retry wc >/dev/null 2>&1 || dmsetup remove --retry --force wc >/dev/null 2>&1 || true
	for d in pco pcc; do
		[ -d /sys/kernel/config/nullb/$d ] || continue
		echo 0 >/sys/kernel/config/nullb/$d/power 2>/dev/null || true
		rmdir /sys/kernel/config/nullb/$d || true
	done
}

cut_power() {
	# the cache first, then the origin: both lose their volatile caches
	wc_nullb_power pcc 0
	wc_nullb_power pco 0
}

power_on() {
	wc_nullb_power pco 1
	wc_nullb_power pcc 1
}

# new_devices CACHE_MB: origin $O and cache $C (null_blk, volatile caches)
new_devices() {
	O=$(wc_nullb pco 64 8)
	C=$(wc_nullb pcc "$1" 8)
	[ -b "$O" ] && [ -b "$C" ]
	wc_zero_sb $C
	rm -f /tmp/acked
}

# after a power cut: the target loads without error and holds every
# acknowledged write (left loaded as wc)
reload_and_check() {
	dmsetup remove --retry wc || dmsetup remove --retry --force wc
	power_on
	wc_create wc $O $C 4096
	[ "$(wc_status_field wc 1)" = 0 ]
	run $STAMP check /dev/mapper/wc $NB /tmp/acked
	echo "$output"
	[ "$status" = 0 ]
}

# drain the loaded wc: the bare origin then holds every acknowledged write
drain_and_check_origin() {
	wc_writeback wc
	[ "$(wc_status_field wc 5)" = 0 ]
	dmsetup remove --retry wc
	run $STAMP check $O $NB /tmp/acked
	echo "$output"
	[ "$status" = 0 ]
}

@test "power cuts with volatile caches: every fsync'd write survives" {
	new_devices 40
	local seed pid
	for seed in 1 2 3; do
		# low watermarks: writeback to the origin runs during the test
		wc_create wc $O $C 4096 high_watermark 20 low_watermark 10 autocommit_time 50
		if [ $((seed % 2)) = 1 ]; then
			# cut right after un-fsynced writes completed
			$STAMP write /dev/mapper/wc $NB /tmp/acked --iters 1500 \
				--fsync-every 8 --tail 64 --seed $seed
			cut_power
		else
			# cut while the writer is running
			$STAMP write /dev/mapper/wc $NB /tmp/acked --iters 1000000 \
				--fsync-every 4 --seed $seed &
			pid=$!
			sleep $((2 + seed / 2))
			cut_power
			wait $pid || true
		fi
		reload_and_check
		dmsetup remove --retry wc
	done
	wc_create wc $O $C 4096
	drain_and_check_origin
	wc_dmesg_clean
}

@test "cache full: writers wait for writeback, and every fsync'd write survives a power cut" {
	# 8 MiB of cache (about 1900 blocks after metadata) under 8192 blocks of
	# random writes: the cache fills, writes wait on free space
	new_devices 8
	wc_create wc $O $C 4096 high_watermark 100 low_watermark 99 autocommit_time 50
	$STAMP write /dev/mapper/wc $NB /tmp/acked --iters 6000 --fsync-every 8 \
		--tail 32 --seed 11
	# the cache was full: writes waited for free blocks
	[ "$(wc_status_field wc 12)" -gt 0 ]
	cut_power
	reload_and_check
	drain_and_check_origin
	wc_dmesg_clean
}
