#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Activation as the boot unit does it (wcachectl activate VG), with the
# project's udev rules loaded into the VM's udevd: the origin is hidden from
# blkid/by-uuid/systemd, /dev/VG/LV is the cache mapping; a missing cachevol
# and cache metadata the kernel refuses keep the origin inactive, status says
# why, and activate --force accepts the loss. (The multi-boot test under
# systemd, with power cuts, is tests/boot/activation.sh.)

load wcachectl-lib

setup_file() {
	wc_setup_vg
	mkdir -p /etc/udev/rules.d
	for f in "$WCACHE_REPO"/udev/*.rules; do
		sed "s|/usr/sbin/wcachectl|$WC|g" "$f" >"/etc/udev/rules.d/${f##*/}"
	done
	udevadm control --reload
}

teardown_file() {
	rm -f /etc/udev/rules.d/12-wcache-hide.rules /etc/udev/rules.d/69-wcache.rules
	udevadm control --reload
	wc_teardown_vg
}

setup() {
	wc_new_lvs
	mkdir -p /mnt/wc /var/tmp/wc
}

teardown() {
	wc_cleanup
	rm -rf /run/wcachectl/failed
}

kname() { basename "$(readlink -f "$1")"; }

@test "activate VG: every cached LV of the VG; nothing for a VG without any" {
	run "$WC" activate $VG
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	mkfs.ext4 -q /dev/$VG/slow
	"$WC" deactivate $VG/slow
	! dm_exists $VG-slow && ! dm_exists $VG-slow_wco && ! dm_exists $VG-fast
	# what LVM's event autoactivation runs leaves the skip-flagged LVs alone
	vgchange -aay --autoactivation event $VG
	! dm_exists $VG-slow_wco && ! dm_exists $VG-fast
	run "$WC" activate --wait 5 $VG
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$VG/slow is active"* ]]
	udevadm settle
	[ "$(kname /dev/$VG/slow)" = "$(kname /dev/mapper/$VG-slow)" ]
	fsuuid=$(blkid -s UUID -o value /dev/mapper/$VG-slow)
	[ "$(kname /dev/disk/by-uuid/$fsuuid)" = "$(kname /dev/mapper/$VG-slow)" ]
	# the origin: same filesystem, but not probed, no links, not for systemd
	ko=$(kname /dev/mapper/$VG-slow_wco)
	udevadm info -q property /dev/$ko | grep -qx SYSTEMD_READY=0
	! udevadm info -q property /dev/$ko | grep -q '^ID_FS_UUID='
	! find /dev/disk -type l -exec readlink -f {} \; | grep -qx /dev/$ko
	# a re-trigger keeps it so
	udevadm trigger --action=change /dev/$ko && udevadm settle
	[ "$(kname /dev/disk/by-uuid/$fsuuid)" = "$(kname /dev/mapper/$VG-slow)" ]
	! udevadm info -q property /dev/$ko | grep -q '^ID_FS_UUID='
	# the cachevol is hidden too
	udevadm info -q property /dev/mapper/$VG-fast | grep -qx SYSTEMD_READY=0
	# again: nothing to do
	run "$WC" activate $VG
	[ "$status" -eq 0 ]
}

@test "writecache target: activate VG loads the recorded writecache table; data written before reads back" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$(dmsetup table $VG-slow | awk '{ print $3 }')" = writecache ]
	# the table without its device numbers (they change across activations)
	args() { dmsetup table $VG-slow | awk '{ $5 = $6 = ""; print }'; }
	before=$(args)
	head -c 4M /dev/urandom >/var/tmp/wc/pat
	dd if=/var/tmp/wc/pat of=/dev/$VG/slow bs=1M oflag=direct conv=fsync status=none
	"$WC" deactivate $VG/slow
	! dm_exists $VG-slow && ! dm_exists $VG-slow_wco && ! dm_exists $VG-fast
	run "$WC" activate --wait 5 $VG
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$VG/slow is active"* ]]
	[ "$(args)" = "$before" ]
	dd if=/dev/$VG/slow of=/var/tmp/wc/rb bs=1M count=4 iflag=direct status=none
	cmp /var/tmp/wc/pat /var/tmp/wc/rb
	# the origin stays hidden, as with dm-wcache
	udevadm settle
	udevadm info -q property /dev/mapper/$VG-slow_wco | grep -qx SYSTEMD_READY=0
}

@test "missing cachevol: origin stays inactive, status says why, activate --force gives the cache up" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	mkfs.ext4 -q /dev/$VG/slow
	mount /dev/$VG/slow /mnt/wc
	dd if=/dev/urandom of=/mnt/wc/a bs=64k count=16 conv=fsync status=none
	umount /mnt/wc
	"$WC" deactivate $VG/slow
	lvremove -q -f $VG/fast
	run "$WC" activate $VG
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"is missing from volume group $VG"* ]]
	[[ "$output" == *"stays inactive"* ]]
	[[ "$output" == *"wcachectl activate --force $VG/slow"* ]]
	! dm_exists $VG-slow_wco && ! dm_exists $VG-slow
	run "$WC" status $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"problem     the cachevol"*"is missing"* ]]
	[[ "$output" == *"activation  failed: the cachevol"* ]]
	"$WC" status $VG/slow --json | jq -e '.cachevol_missing and (.activation_error | test("missing"))'
	run "$WC" activate --force $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"data that was only in the cache is lost"* ]]
	[[ "$output" == *"active without its cache"* ]]
	lv_exists slow && ! lv_exists slow_wco
	[ "$(lv_field slow lv_tags)" = "" ]
	[[ "$(dmsetup table $VG-slow)" == *linear* ]]
	[ ! -e /run/wcachectl/failed/$VG-slow ]
	# the origin is an ordinary LV again, not hidden from udev and systemd
	# (its filesystem may well be gone: mkfs wrote through the lost cache)
	udevadm settle
	udevadm info -q property /dev/mapper/$VG-slow | grep -qx SYSTEMD_READY=1
}

@test "metadata the kernel refuses (origin_uuid mismatch): inactive with the kernel's reason; --force formats the cache again" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	mkfs.ext4 -q /dev/$VG/slow
	"$WC" deactivate $VG/slow
	old=$(lvs --noheadings -o lv_tags $VG/slow_wco | tr ',' '\n' | grep '^ *wcache.uuid=' | tr -d ' ')
	lvchange -q --deltag "$old" --addtag wcache.uuid=00112233445566778899aabbccddeeff $VG/slow_wco
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 8 ]
	[[ "$output" == *"origin_uuid mismatch"* ]]
	[[ "$output" == *"stays inactive"* && "$output" == *"activate --force $VG/slow"* ]]
	! dm_exists $VG-slow
	run "$WC" status $VG/slow
	[[ "$output" == *"activation  failed: the kernel refused the cache"*"origin_uuid mismatch"* ]]
	# formatting asks first; without a terminal only --yes answers
	run "$WC" activate --force $VG/slow </dev/null
	echo "$output"
	[ "$status" -eq 9 ]
	[[ "$output" == *"use --yes"* ]]
	! dm_exists $VG-slow
	run "$WC" activate --force --yes $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"formatting the cache of $VG/slow again"* ]]
	dm_exists $VG-slow
	"$WC" status $VG/slow --json | jq -e '.active and .dirty_blocks == 0 and .error == 0'
	[ ! -e /run/wcachectl/failed/$VG-slow ]
}

@test "activate VG refuses hostile tags and touches nothing outside the pairing" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	"$WC" deactivate $VG/slow
	lvcreate -q -y -W y -n evil_wco -L 8M $VG /dev/ram0 >/dev/null
	lvchange -q -an $VG/evil_wco
	fuuid=$(lvs --noheadings -o lv_uuid $VG/fast | tr -d ' ')
	# claims slow's cachevol (shared), and a second one names a path
	lvchange -q --addtag wcache.v=1 --addtag wcache.name=evil --addtag "wcache.cachevol=$fuuid" \
		--addtag wcache.uuid=0123456789abcdef0123456789abcdef --addtag wcache.state=attached \
		--addtag wcache.target=wcache --addtag wcache.mode=s --addtag wcache.bs=4096 \
		--addtag wcache.skip=0 $VG/evil_wco
	before=$(vg_state)
	run "$WC" activate $VG
	echo "$output"
	[ "$status" -eq 13 ]
	[[ "$output" == *"shares its cachevol"* ]]
	! dm_exists $VG-slow && ! dm_exists $VG-evil && ! dm_exists $VG-fast
	same_state "$before"
	lvremove -q -f $VG/evil_wco
}
