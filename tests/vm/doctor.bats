#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl doctor on one mapping per case, inside the VM: a hand-made
# writecache table driven past its high watermark by fio over the HDD model;
# an LVM writecache LV (lvconvert), whose setting fixes are applied and then
# gone; a wcache with a block size below the filesystem's, fixed by the
# command doctor prints; a writecache whose origin (dm-flakey) fails, in
# error state; a healthy wcachectl attach (exit 0, no findings).
#   tests/vm/run -- bats tests/vm/doctor.bats
# WCACHECTL_DOCTOR_RECORD=DIR keeps doctor's inputs (tests/unit/data/doctor/).

load wcachectl-lib

setup_file() {
	cd "$WCACHE_REPO"
	[ -f bench/hddmodel/dm-hddmodel.ko ] || make -s -C bench/hddmodel module >&3 2>&1
	wc_setup_vg
	load_mod dm-flakey
	lsmod | grep -q '^dm_hddmodel' || insmod bench/hddmodel/dm-hddmodel.ko
}

teardown_file() {
	wc_teardown_vg
	rmmod dm_hddmodel 2>/dev/null || true
}

setup() {
	mkdir -p /var/tmp/wc
	FIO_PID=
}

teardown() {
	if [ -n "$FIO_PID" ]; then
		kill "$FIO_PID" 2>/dev/null || true
		wait "$FIO_PID" 2>/dev/null || true
	fi
	for d in wchand wcerr wcflaky wchdd; do
		dmsetup remove --retry "$d" 2>/dev/null || true
	done
	lvconvert -q --splitcache $VG/slow >/dev/null 2>&1 || true
	wc_cleanup
}

# doctor with --json: sets $out and $rc; the JSON must parse
doctor_json() {
	rc=0
	out=$("$WC" doctor "$@" --json) || rc=$?
	echo "exit $rc: $out"
	echo "$out" | jq -e . >/dev/null
}

ids() {
	echo "$out" | jq -r '.findings[].id' | sort -u | tr '\n' ' '
}

@test "doctor: hand-made writecache over the HDD model past its high watermark" {
	# the HDD model over an LV of ram0 (rotational); a 16 MiB cache
	lvcreate -q -y -W y -n hddback -L 200M $VG /dev/ram0 >/dev/null
	udevadm settle
	dmsetup create wchdd --table "0 $((199 * 2048)) hddmodel /dev/$VG/hddback queue=sptf ncq_depth=32"
	echo 1 >"/sys/block/$(basename "$(readlink -f /dev/mapper/wchdd)")/queue/rotational"
	lvcreate -q -y -W y -n fast -L 16M $VG /dev/ram1 >/dev/null
	udevadm settle
	dmsetup create wchand --table "0 $((199 * 2048)) writecache s /dev/mapper/wchdd /dev/$VG/fast 4096 0"
	udevadm settle
	# fio's working set is 4x the cache
	fio --name=hand --filename=/dev/mapper/wchand --size=64M --bs=4k --rw=randwrite \
		--ioengine=libaio --iodepth=32 --direct=1 --time_based --runtime=60 \
		--randrepeat=0 --output=/var/tmp/wc/fio.log >/dev/null 2>&1 &
	FIO_PID=$!
	# until the cache is past its high watermark (50%)
	for i in $(seq 60); do
		read -r _ _ _ _ total free _ < <(dmsetup status wchand)
		[ $((100 * (total - free) / total)) -lt 60 ] || break
		sleep 1
	done
	doctor_json wchand --seconds 3
	[ "$rc" -eq 1 ]
	echo "$out" | jq -e '.kind == "dmsetup" and .target == "writecache"'
	echo "$out" | jq -e '.metrics.max_dirty_percent > 50 and .metrics.high_watermark == 50'
	echo "$out" | jq -e '.metrics.origin_rotational == true'
	# the cause, with its evidence and a fix that rebuilds the cache
	echo "$out" | jq -e '[.findings[] | select(.id == "above_high_watermark" and .class == "cause")] | length == 1'
	echo "$out" | jq -r '.findings[] | select(.id == "above_high_watermark") | .evidence' |
		grep -E '^[0-9]+% dirty, above high_watermark 50: .*rotational origin'
	echo "$out" | jq -r '.findings[] | select(.id == "above_high_watermark") | .fix' |
		grep -F 'dmsetup message wchand 0 flush_on_suspend && dmsetup suspend wchand && dmsetup remove wchand'
	# what keeps it full: writes around the full cache pause writeback
	echo "$out" | jq -r '.findings[] | select(.id == "writeback_paused") | .fix' |
		grep -Ex "dmsetup reload wchand --table '0 407552 writecache s [0-9]+:[0-9]+ [0-9]+:[0-9]+ 4096 2 pause_writeback 0' && dmsetup suspend wchand && dmsetup resume wchand"
	# the plan's settings differ from the bare table's defaults
	ids | grep -w setting_differs
	# the text form says the same
	run "$WC" doctor /dev/mapper/wchand --seconds 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a hand-made dmsetup table"* ]]
	[[ "$output" == *"above high_watermark 50"* ]]
}

@test "doctor: an LVM writecache LV; its lvchange fixes remove the differences" {
	wc_new_lvs 128M 64M
	lvchange -q -an $VG/fast
	lvconvert -q -y --type writecache --cachevol fast $VG/slow >/dev/null
	udevadm settle
	doctor_json $VG/slow --seconds 1
	[ "$rc" -eq 1 ]
	echo "$out" | jq -e '.kind == "lvm" and .vg == "wcvg" and .lv == "slow"'
	# autocommit_blocks: the target's SSD default 65536 against the plan's
	echo "$out" | jq -e '[.findings[] | select(.id == "setting_differs" and .setting == "autocommit_blocks" and .live == "65536")] | length == 1'
	echo "$out" | jq -e '[.findings[] | select(.id == "setting_differs" and .setting == "writeback_jobs" and .live == "unlimited")] | length == 1'
	echo "$out" | jq -r '.findings[] | select(.id == "setting_differs") | .fix' >/var/tmp/wc/fixes
	cat /var/tmp/wc/fixes
	[ "$(grep -c "^lvchange --cachesettings '[a-z_]*=[0-9]*' wcvg/slow$" /var/tmp/wc/fixes)" -ge 2 ]
	# pause_writeback: the plan's 0 for writecache; LVM 2.03.16 (Debian 12)
	# cannot set it, and the fix says what to do then
	grep -q "^lvchange --cachesettings 'pause_writeback=0' wcvg/slow   (LVM before 2.03.17 cannot set pause_writeback: lvconvert --splitcache wcvg/slow && wcachectl attach wcvg/slow --cachevol fast --yes)$" /var/tmp/wc/fixes
	# one lvchange with every other fix's setting (each reload costs much under TCG)
	sets=$(sed -n "s/^lvchange --cachesettings '\(.*\)' wcvg\/slow$/\1/p" /var/tmp/wc/fixes | tr '\n' ' ')
	lvchange --cachesettings "$sets" $VG/slow
	doctor_json $VG/slow --seconds 1
	if lvm version | grep -q 'LVM version: *2\.03\.\(0\|1[0-6]\)[.(]'; then
		[ "$(echo "$out" | jq -r '.findings[] | select(.id == "setting_differs") | .setting')" = pause_writeback ]
	else
		[ -z "$(echo "$out" | jq -r '.findings[] | select(.id == "setting_differs") | .id')" ]
		[ "$rc" -eq 0 ]
	fi
}

@test "doctor: a wcache with block size 512 on an ext4 filesystem, fixed by its command" {
	wc_new_lvs 128M 64M
	mkfs.ext4 -q -b 4096 /dev/$VG/slow
	"$WC" attach $VG/slow --cachevol fast --block-size 512 --yes >/dev/null
	udevadm settle
	doctor_json $VG/slow --seconds 1
	[ "$rc" -eq 1 ]
	echo "$out" | jq -e '.kind == "wcachectl" and .target == "wcache"'
	echo "$out" | jq -r '.findings[] | select(.id == "block_size_below_fs") | .evidence' |
		grep -F 'block size 512 on a 4 KiB ext4 filesystem: 8 cache entries per filesystem block'
	fix=$(echo "$out" | jq -r '.findings[] | select(.id == "block_size_below_fs") | .fix')
	[ "$fix" = "wcachectl split $VG/slow && wcachectl attach $VG/slow --cachevol fast --yes" ]
	eval "$fix" >/dev/null
	udevadm settle
	doctor_json $VG/slow --seconds 1
	[ "$rc" -eq 0 ]
	[ "$(echo "$out" | jq '.findings | length')" -eq 0 ]
	fsck.ext4 -n -f /dev/$VG/slow
}

@test "doctor: writecache in error state (its dm-flakey origin fails every write)" {
	lvcreate -q -y -W y -n slow -L 64M $VG /dev/ram0 >/dev/null
	lvcreate -q -y -W y -n fast -L 16M $VG /dev/ram1 >/dev/null
	udevadm settle
	len=$(blockdev --getsz /dev/$VG/slow)
	# down from the start (up 0 s): a fast VM would write everything back during an up interval
	dmsetup create wcflaky --table "0 $len flakey /dev/$VG/slow 0 0 3600 1 error_writes"
	dmsetup create wcerr --table "0 $len writecache s /dev/mapper/wcflaky /dev/$VG/fast 4096 0"
	udevadm settle
	dd if=/dev/urandom of=/dev/mapper/wcerr bs=64k count=16 oflag=direct status=none
	# write everything back: the origin refuses, the target records the error
	dmsetup message wcerr 0 cleaner
	for i in $(seq 30); do
		[ "$(dmsetup status wcerr | awk '{print $4}')" = 0 ] || break
		sleep 1
	done
	dmsetup status wcerr
	doctor_json wcerr --seconds 0
	[ "$rc" -eq 1 ]
	echo "$out" | jq -e '.metrics.error != 0'
	echo "$out" | jq -r '.findings[] | select(.id == "error_state" and .class == "cause") | .evidence' |
		grep -F "error state: the status line's error flag is set"
	echo "$out" | jq -r '.findings[] | select(.id == "error_state") | .fix' | grep -F 'dmsetup remove wcerr'
}

@test "doctor: a healthy wcachectl attach has no findings (exit 0); bad arguments" {
	wc_new_lvs 128M 64M
	"$WC" attach $VG/slow --cachevol fast --yes >/dev/null
	udevadm settle
	dd if=/dev/urandom of=/dev/$VG/slow bs=1M count=4 oflag=direct status=none
	run "$WC" doctor $VG/slow --seconds 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no findings"* ]]
	doctor_json --all --seconds 0
	[ "$rc" -eq 0 ]
	echo "$out" | jq -e 'length == 1 and .[0].name == "wcvg-slow" and (.[0].findings | length) == 0'
	# not a cache mapping, no such mapping: exit 4; usage: 2
	run "$WC" doctor $VG/fast_nonexistent --seconds 0
	[ "$status" -eq 4 ]
	lvcreate -q -y -n plain -L 8M $VG /dev/ram0 >/dev/null
	run "$WC" doctor $VG/plain --seconds 0
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"not writecache or wcache"* ]]
	run "$WC" doctor
	[ "$status" -eq 2 ]
	run "$WC" doctor $VG/slow --all
	[ "$status" -eq 2 ]
	# --watch repeats until interrupted
	run timeout 5 "$WC" doctor $VG/slow --watch 1
	[ "$(grep -c '^wcvg-slow ' <<<"$output")" -ge 2 ]
}
