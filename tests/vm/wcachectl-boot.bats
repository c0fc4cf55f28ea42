#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The early-boot pieces outside the initramfs (boot/): the hide rule finds
# our parts by their tags (not by name: a user's LV named backup_wco keeps
# its links), /usr/lib/wcache/wcache-activate-all (what the initramfs and
# wcache-activate-all.service run) assembles every pairing of every VG,
# also with LVM's event_activation=0, and a missing dm-wcache module keeps
# the origin inactive and names the offline recovery. The boots through the
# generated initramfs images are tests/boot/initramfs.sh.

load wcachectl-lib

ACT=/var/tmp/wc-boot/wcache-activate-all

setup_file() {
	wc_setup_vg
	mkdir -p /etc/udev/rules.d /var/tmp/wc-boot
	for f in "$WCACHE_REPO"/udev/*.rules; do
		sed "s|/usr/sbin/wcachectl|$WC|g" "$f" >"/etc/udev/rules.d/${f##*/}"
	done
	install -m 0755 "$WCACHE_REPO/boot/wcache-part" /lib/udev/wcache-part
	sed "s|/usr/sbin/wcachectl|$WC|g" "$WCACHE_REPO/boot/wcache-activate-all" >$ACT
	chmod 755 $ACT
	udevadm control --reload
}

teardown_file() {
	rm -f /etc/udev/rules.d/12-wcache-hide.rules /etc/udev/rules.d/69-wcache.rules \
		/lib/udev/wcache-part
	udevadm control --reload
	wc_teardown_vg
}

setup() {
	wc_new_lvs
	mkdir -p /mnt/wc
}

teardown() {
	wc_cleanup
	rm -rf /run/wcachectl/hide /run/wcachectl/boot-devices
}

kname() { basename "$(readlink -f "$1")"; }
prop() { udevadm info -q property "/dev/$(kname "$1")"; }

@test "hide rule: our origin activated by plain LVM is hidden by its tags; a user's backup_wco is not" {
	lvcreate -q -y -W y -n backup_wco -L 8M $VG /dev/ram0 >/dev/null
	mkfs.ext4 -q /dev/$VG/backup_wco
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	mkfs.ext4 -q /dev/$VG/slow
	udevadm settle
	fsuuid=$(blkid -s UUID -o value /dev/$VG/slow)
	bkuuid=$(blkid -s UUID -o value /dev/$VG/backup_wco)
	"$WC" deactivate $VG/slow
	rm -rf /run/wcachectl/hide
	# as dracut does for rd.lvm.lv=, or an admin by hand: no wcachectl marker
	lvchange -q -ay -K $VG/slow_wco
	udevadm settle
	prop /dev/mapper/$VG-slow_wco | grep -qx WCACHE_PART=origin
	prop /dev/mapper/$VG-slow_wco | grep -qx SYSTEMD_READY=0
	! prop /dev/mapper/$VG-slow_wco | grep -q '^ID_FS_UUID='
	[ ! -e /dev/disk/by-uuid/$fsuuid ]
	# ... also after a change event
	udevadm trigger --action=change /dev/mapper/$VG-slow_wco
	udevadm settle
	prop /dev/mapper/$VG-slow_wco | grep -qx SYSTEMD_READY=0
	[ ! -e /dev/disk/by-uuid/$fsuuid ]
	# the user's LV with the same suffix keeps everything
	! prop /dev/$VG/backup_wco | grep -q '^WCACHE_PART=\|^SYSTEMD_READY=0'
	[ "$(kname /dev/disk/by-uuid/$bkuuid)" = "$(kname /dev/$VG/backup_wco)" ]
	lvremove -q -f $VG/backup_wco
}

@test "hide rule: a split pairing's LV is no part any more (no stale WCACHE_PART)" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	"$WC" split $VG/slow
	lvchange -q -ay $VG/slow
	udevadm trigger --action=change /dev/$VG/slow
	udevadm settle
	run prop /dev/$VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *WCACHE_PART=* ]]
}

@test "wcache-activate-all assembles the pairings of every VG (event_activation=0), once" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	"$WC" deactivate $VG/slow
	! dm_exists $VG-slow
	# LVM's event activation off: nothing but this script brings it back
	run $ACT
	echo "$output"
	[ "$status" -eq 0 ]
	dm_exists $VG-slow
	grep -q '^WCACHE-' /sys/block/$(kname /dev/$VG/slow)/dm/uuid
	# already assembled: nothing to do, still success
	run $ACT
	[ "$status" -eq 0 ]
	# --changed: the block devices are the same, so it does not even look
	"$WC" deactivate $VG/slow
	run $ACT --changed
	[ "$status" -eq 0 ]
	! dm_exists $VG-slow
	rm -f /run/wcachectl/boot-devices
	run $ACT --changed
	[ "$status" -eq 0 ]
	dm_exists $VG-slow
}

@test "dm-wcache missing for the kernel: the origin stays inactive, the offline recovery is named" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	"$WC" deactivate $VG/slow
	K=$(uname -r)
	rmmod dm_wcache
	# what a failed DKMS build leaves: no module file for this kernel
	mods=$(find /lib/modules/$K -name 'dm-wcache.ko*')
	mkdir -p /var/tmp/wc-boot/mods
	for m in $mods; do mv "$m" /var/tmp/wc-boot/mods/; done
	run $ACT
	for m in /var/tmp/wc-boot/mods/*; do mv "$m" "$(echo "$mods" | grep "/${m##*/}$")"; done
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"stays inactive"* ]]
	[[ "$output" == *"wcachectl writeback --offline $VG/slow"* ]]
	! dm_exists $VG-slow
	! dm_exists $VG-slow_wco
	! dm_exists $VG-fast
	load_mod dm-wcache
	run $ACT
	[ "$status" -eq 0 ]
	dm_exists $VG-slow
}
