#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The seed scenario: fio 4k randwrite QD32 on the slow LV before and after
# wcachectl attach. The slow PV is a RAM disk behind dm-delay (20 ms per
# write), the fast PV a plain RAM disk. Ratios are printed; the assertion is
# deliberately loose (the cached LV must be several times faster than the
# bare slow LV), because absolute speed under TCG varies.

load wcachectl-lib
VG=wcfio

setup_file() {
	load_mod dm-mod
	load_mod dm-writecache
	load_mod dm-delay
	load_mod brd rd_nr=2 rd_size=262144
	udevadm settle
	local sz
	sz=$(blockdev --getsz /dev/ram0)
	# an offset keeps the PV label off /dev/ram0 itself (no duplicate PV)
	dmsetup create wcslowdisk --table "0 $((sz - 2048)) delay /dev/ram0 2048 0 /dev/ram0 2048 20"
	udevadm settle
	pvcreate -q -y /dev/mapper/wcslowdisk /dev/ram1 >/dev/null
	vgcreate -q $VG /dev/mapper/wcslowdisk /dev/ram1 >/dev/null
}

teardown_file() {
	vgremove -q -f $VG >/dev/null 2>&1
	pvremove -q -y /dev/mapper/wcslowdisk /dev/ram1 >/dev/null 2>&1
	dmsetup remove --retry wcslowdisk 2>/dev/null
	rmmod brd 2>/dev/null || true
}

teardown() {
	wc_cleanup
}

iops() {
	fio --name=seed --filename="$1" --bs=4k --ioengine=libaio --iodepth=32 --direct=1 \
		--rw=randwrite --size=32M --runtime=${2:-5} --time_based --randrepeat=0 \
		--output-format=json 2>/dev/null | jq '.jobs[0].write.iops | floor'
}

@test "fio 4k randwrite QD32: the slow LV runs at cache speed after attach" {
	lvcreate -q -y -W y -n slow -L 128M $VG /dev/mapper/wcslowdisk >/dev/null
	lvcreate -q -y -W y -n fast -L 96M $VG /dev/ram1 >/dev/null
	slow=$(iops /dev/$VG/slow)
	fast=$(iops /dev/$VG/fast)
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	cached=$(iops /dev/$VG/slow)
	echo "# fio 4k randwrite QD32 IOPS: slow LV $slow, fast LV $fast, slow LV cached $cached" >&3
	echo "# cached/slow = $(echo "scale=1; $cached / $slow" | bc), cached/fast = $(echo "scale=2; $cached / $fast" | bc)" >&3
	[ "$slow" -gt 0 ] && [ "$fast" -gt 0 ]
	[ "$cached" -ge $((slow * 3)) ]
	run "$WC" split $VG/slow
	[ "$status" -eq 0 ]
}
