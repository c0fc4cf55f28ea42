#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl on real LVM inside the VM, with the in-kernel writecache target
# (and the wcache target where stated): plan, attach, data through the
# cache, split back to a bare origin holding exactly the data, activation
# skip, status --json, and every refusal.

load wcachectl-lib

setup_file() {
	wc_setup_vg
}

teardown_file() {
	wc_teardown_vg
}

setup() {
	wc_new_lvs
	mkdir -p /mnt/wc /var/tmp/wc
}

teardown() {
	wc_cleanup
}

@test "plan prints the exact table and one reason per value, and changes nothing" {
	before=$(vg_state)
	run "$WC" plan $VG/slow --cachevol fast --target writecache
	[ "$status" -eq 0 ]
	[[ "$output" == *"table:   0 262144 writecache s "* ]]
	for k in "mode s:" "block_size 4096:" high_watermark low_watermark writeback_jobs \
		 autocommit_blocks autocommit_time; do
		[[ "$output" == *"  $k"* ]]
	done
	run "$WC" plan $VG/slow --cachevol fast --target writecache --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.table | startswith("0 262144 writecache s ")'
	echo "$output" | jq -e '.block_size == 4096 and .target == "writecache"'
	echo "$output" | jq -e '[.settings | keys[]] - [.reasons | keys[]] == []'
	echo "$output" | jq -e '.settings.high_watermark > .settings.low_watermark'
	same_state "$before"
}

@test "plan follows the filesystem block size and refuses a larger one" {
	mkfs.ext4 -q -b 1024 /dev/$VG/slow
	run "$WC" plan $VG/slow --cachevol fast --target writecache --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.block_size == 1024 and .geometry.filesystem == "ext4"'
	echo "$output" | jq -e '.reasons.block_size | contains("ext4")'
	run "$WC" plan $VG/slow --cachevol fast --target writecache --block-size 4096
	[ "$status" -eq 6 ]
	[[ "$output" == *"larger than the ext4 filesystem's block size 1024"* ]]
}

@test "attach --dry-run and a declined confirmation change nothing" {
	before=$(vg_state)
	run "$WC" attach $VG/slow --cachevol fast --target writecache --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would: tag"* ]]
	same_state "$before"
	run "$WC" attach $VG/slow --cachevol fast --target writecache </dev/null
	[ "$status" -eq 9 ]
	[[ "$output" == *"use --yes"* ]]
	same_state "$before"
	! dm_exists $VG-slow_wco
}

# attach, mkfs, write, status, split: the bare origin holds exactly the data
attach_write_split() {
	local target=$1
	dd if=/dev/urandom of=/var/tmp/wc/pattern bs=1M count=8 status=none
	run "$WC" attach $VG/slow --cachevol fast --target "$target" --yes
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dmsetup table $VG-slow | awk '{print $3}')" = "$target" ]
	[ -b /dev/$VG/slow ] && [ -b /dev/mapper/$VG-slow ]
	[ "$(readlink -f /dev/$VG/slow)" = "$(readlink -f /dev/mapper/$VG-slow)" ]
	[[ "$(dmsetup info -c --noheadings -o uuid $VG-slow)" == WCACHE-* ]]
	lv_exists slow_wco
	! lv_exists slow
	[[ "$(lv_field slow_wco lv_attr)" == *k ]]
	[[ "$(lv_field fast lv_attr)" == *k ]]

	mkfs.ext4 -q -b 4096 /dev/$VG/slow
	mount /dev/$VG/slow /mnt/wc
	cp /var/tmp/wc/pattern /mnt/wc/a
	dd if=/dev/urandom of=/mnt/wc/b bs=64k count=100 status=none
	(cd /mnt/wc && sha256sum a b >/var/tmp/wc/sums)
	sync
	run "$WC" status $VG/slow --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg t "$target" '.state == "attached" and .target == $t and .active'
	echo "$output" | jq -e '.error == 0 and .block_size == 4096'
	echo "$output" | jq -e '.total_blocks > 0 and .dirty_blocks > 0'
	echo "$output" | jq -e '.dirty_percent > 0 and .dirty_percent <= 100'
	echo "$output" | jq -e '.free_blocks + .used_blocks == .total_blocks'
	run "$WC" status $VG/slow
	[ "$status" -eq 0 ]
	[[ "$output" == *"dirty"* && "$output" == *"settings"* ]]

	# split refuses while mounted
	run "$WC" split $VG/slow
	[ "$status" -eq 5 ]
	[[ "$output" == *"in use"* ]]
	umount /mnt/wc

	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"flushing"* ]]
	! dm_exists $VG-slow_wco
	lv_exists slow && lv_exists fast
	[ "$(lv_field slow lv_tags)" = "" ] && [ "$(lv_field fast lv_tags)" = "" ]
	[[ "$(lv_field slow lv_attr)" != *k ]] && [[ "$(lv_field fast lv_attr)" != *k ]]
	[[ "$(dmsetup table $VG-slow)" == *linear* ]]

	# the bare origin on its own holds every byte
	mount -o ro /dev/$VG/slow /mnt/wc
	(cd /mnt/wc && sha256sum -c /var/tmp/wc/sums)
	cmp /var/tmp/wc/pattern /mnt/wc/a
	umount /mnt/wc
}

@test "writecache: attach, mkfs, write, split: the bare origin holds exactly the data" {
	attach_write_split writecache
}

@test "wcache: attach, mkfs, write, split: the bare origin holds exactly the data" {
	attach_write_split wcache
}

@test "paired LVs are skipped by vgchange -ay; activate and deactivate by hand" {
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	dd if=/dev/urandom of=/var/tmp/wc/raw bs=1M count=4 status=none
	dd if=/var/tmp/wc/raw of=/dev/$VG/slow bs=1M oflag=direct status=none
	run "$WC" deactivate $VG/slow
	[ "$status" -eq 0 ]
	! dm_exists $VG-slow && ! dm_exists $VG-slow_wco && ! dm_exists $VG-fast
	[ ! -e /dev/$VG/slow ]
	vgchange -ay $VG
	lvchange -ay $VG/fast
	lvchange -ay $VG/slow_wco
	udevadm settle
	! dm_exists $VG-slow_wco
	! dm_exists $VG-fast
	! dm_exists $VG-slow
	run "$WC" list
	[ "$status" -eq 0 ]
	[[ "$output" == *"$VG/slow"*"fast"*"writecache"*"attached"*"no"* ]]
	run "$WC" status $VG/slow --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.active == false and .state == "attached"'
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	cmp -n 4194304 /var/tmp/wc/raw /dev/$VG/slow
	run "$WC" list --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[] | select(.lv == "slow") | .active and .cachevol_lv == "fast"'
	# activate twice is fine
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	run "$WC" split $VG/slow --uncache
	[ "$status" -eq 0 ]
	! lv_exists fast
	cmp -n 4194304 /var/tmp/wc/raw /dev/$VG/slow
}

@test "refusals: missing LVs, open origin or cachevol, wrong cachevol type, settings" {
	run "$WC" attach $VG/nosuch --cachevol fast --yes
	[ "$status" -eq 4 ]
	run "$WC" attach $VG/slow --cachevol nosuch --yes
	[ "$status" -eq 4 ]
	run "$WC" attach novg/slow --cachevol fast --yes
	[ "$status" -eq 4 ]
	run "$WC" split $VG/slow
	[ "$status" -eq 4 ]
	[[ "$output" == *"not a cached LV"* ]]
	run "$WC" status $VG/slow
	[ "$status" -eq 4 ]
	run "$WC" activate $VG/slow
	[ "$status" -eq 4 ]

	before=$(vg_state)
	mkfs.ext4 -q /dev/$VG/slow
	mount /dev/$VG/slow /mnt/wc
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 5 ]
	[[ "$output" == *"is open"* ]]
	umount /mnt/wc

	exec 7</dev/$VG/fast
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	exec 7<&-
	[ "$status" -eq 5 ]
	[[ "$output" == *"cachevol $VG/fast is open"* ]]

	lvcreate -q -y -W y -n striped -i 2 -I 64k -L 16M $VG >/dev/null
	run "$WC" attach $VG/slow --cachevol striped --target writecache --yes
	[ "$status" -eq 5 ]
	[[ "$output" == *"plain linear LV"* ]]
	lvremove -q -f $VG/striped >/dev/null

	run "$WC" attach $VG/slow --cachevol fast --target writecache --set sequential_cutoff=1M --yes
	[ "$status" -eq 2 ]
	run "$WC" attach $VG/slow --cachevol fast --target writecache --set low_watermark=90 --yes
	[ "$status" -eq 2 ]
	[[ "$output" == *"above high_watermark"* ]]
	same_state "$before"

	# a pairing refuses a second cachevol, and a cachevol cannot be reused
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	lvcreate -q -y -W y -n other -L 16M $VG /dev/ram1 >/dev/null
	run "$WC" attach $VG/slow --cachevol other --yes
	[ "$status" -eq 5 ]
	run "$WC" attach $VG/other --cachevol fast --target writecache --yes
	[ "$status" -eq 5 ]
	[[ "$output" == *"already part of a cached LV"* ]]
	run "$WC" plan $VG/slow --cachevol other
	[ "$status" -eq 5 ]
}

@test "a missing cachevol: activate and split refuse, split --force gives the origin back" {
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	run "$WC" deactivate $VG/slow
	[ "$status" -eq 0 ]
	lvremove -q -f $VG/fast >/dev/null
	run "$WC" activate $VG/slow
	[ "$status" -eq 5 ]
	[[ "$output" == *"cachevol"*"missing"* ]]
	! dm_exists $VG-slow_wco
	run "$WC" split $VG/slow
	[ "$status" -eq 5 ]
	[[ "$output" == *"--force"* ]]
	lv_exists slow_wco
	run "$WC" split $VG/slow --force
	[ "$status" -eq 0 ]
	[[ "$output" == *"lost"* ]]
	lv_exists slow
	[ "$(lv_field slow lv_tags)" = "" ]
}

@test "malformed tags on an origin are refused with exit 13" {
	lvchange -q --addtag wcache.v=1 --addtag wcache.name=slow --addtag wcache.state=bogus $VG/slow
	run "$WC" split $VG/slow
	[ "$status" -eq 13 ]
	[[ "$output" == *"bad value in tag 'wcache.state=bogus'"* ]]
	run "$WC" attach $VG/slow --cachevol fast --yes --target writecache
	[ "$status" -eq 13 ]
	lvchange -q --deltag wcache.v=1 --deltag wcache.name=slow --deltag wcache.state=bogus $VG/slow
}

@test "a failed cache: status shows the error, split refuses, split --force says what is lost" {
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	dd if=/dev/urandom of=/dev/$VG/slow bs=1M count=4 oflag=direct status=none
	# the cache device fails
	sz=$(blockdev --getsz /dev/mapper/$VG-fast)
	dmsetup suspend $VG-fast
	dmsetup reload $VG-fast --table "0 $sz error"
	dmsetup resume $VG-fast
	dd if=/dev/urandom of=/dev/$VG/slow bs=4k count=16 oflag=direct,sync status=none || true
	# the failed writes are uncommitted: the next commit (a flush, or the
	# autocommit timer, late on a loaded host) hits the failed device
	local i
	for i in $(seq 30); do
		dd if=/dev/null of=/dev/$VG/slow conv=fsync status=none || true
		run "$WC" status $VG/slow --json
		[ "$status" -eq 0 ]
		echo "$output" | jq -e '.error != 0' && break
		sleep 1
	done
	echo "$output" | jq -e '.error != 0'
	run "$WC" status $VG/slow
	[[ "$output" == *"errors      error"* ]]
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"reports error"*"--force"* ]]
	lv_exists slow_wco
	dm_exists $VG-slow
	run "$WC" split $VG/slow --force
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"dropping"*"dirty blocks"* ]]
	lv_exists slow
	[ "$(lv_field slow lv_tags)" = "" ]
}
