#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The target suites on cache and origin devices with 4 KiB logical blocks
# (4Kn): WC_LBS=4096 makes target-lib.sh's wc_brd create null_blk devices
# with 4 KiB blocks instead of RAM disks (issue 15, item 0).  CI runs
# target.bats this way; any other brd-based suite runs the same way by hand:
#   tests/vm/run -- env WC_LBS=4096 bats tests/vm/target-writeback.bats
#   tests/vm/run -- bats tests/vm/target-4k.bats

# CI runs the data-path half of target.bats (a few minutes); the whole file
# and the other brd-based suites run the same way by hand (above).
@test "target.bats (data path) on 4 KiB-logical-block devices" {
	run env WC_LBS=4096 bats -f 'data written|fio verify|persists|reload and suspend|discard|corrupt superblock' \
		"$BATS_TEST_DIRNAME/target.bats"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"1..7"* ]]
	[[ "$output" != *"not ok"* ]]
}

teardown_file() {
	local d
	dmsetup remove_all >/dev/null 2>&1 || true
	for d in /sys/kernel/config/nullb/wcrd*; do
		[ -d "$d" ] || continue
		rm -f "/dev/ram${d##*wcrd}"
		echo 0 >"$d/power" 2>/dev/null || true
		rmdir "$d" || true
	done
}
