#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the reboot part of tests/boot/packaging.sh: a cached LV made
# and brought back at boot by the installed packages' files only.
#   packaging-reboot-guest.bash setup OUT    (plain boot, right after
#       packaging-guest.bats installed, checked and purged the packages):
#       the work tree's wcachectl, module and rules are put out of reach;
#       dpkg -i both packages again (DKMS installs the module it built in the
#       first install, from a binaries-only DKMS tarball); VG wcvg on vda
#       (origin) + vdb (cachevol), wcachectl attach, mkfs, data written with
#       fsync, power cut
#   packaging-reboot-guest.bash prepare OUT  (tests/vm/run --prepare of the
#       systemd boot: in the new root, before systemd starts): the root is a
#       fresh tmpfs overlay again, so dpkg -i both packages as in setup, hide
#       the work tree, fstab entry by filesystem UUID
#   packaging-reboot-guest.bash verify OUT   (systemd boot): only installed
#       files are in use; the installed udev rules and unit brought the
#       cached LV back and fstab mounted it, with no command of the test;
#       the data verifies
# Results are "WCT ok - ..." / "WCT not ok - ..." lines (tests/boot/guest-lib.bash).
export LVM_SUPPRESS_FD_WARNINGS=1
mode=$1 OUT=$2
REPO=${WCACHE_REPO:-$PWD}
VERSION=$(cat "$REPO/VERSION")
K=$(uname -r)
VG=wcvg
MNT=/mnt/wc
DKMS_KO=/lib/modules/$K/updates/dkms/dm-wcache.ko
# the installed wcachectl, found through PATH as a user's shell finds it
WC=wcachectl

. "$REPO/tests/boot/guest-lib.bash"
. "$REPO/tests/boot/packaging-lib.bash"

# PATH without the work tree's tools/ (tests/vm/guest.sh puts it first)
PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$REPO/tools" | paste -sd:)
export PATH

# the work tree's copies cannot be used: only the installed ones exist
tree_out_of_reach() {
	check "the work tree's wcachectl, dm-wcache.ko and udev rules are out of reach" \
		bash -c "[ ! -e '$REPO/tools/wcachectl' ] && [ ! -e '$REPO/kernel/dm-wcache.ko' ] &&
			[ ! -e '$REPO/udev/69-wcache.rules' ]"
	check "the module index has one dm-wcache, DKMS's, and modprobe finds that" \
		bash -c "[ \"\$(grep -o '^[^:]*dm-wcache[^:]*:' /lib/modules/$K/modules.dep)\" = updates/dkms/dm-wcache.ko: ] &&
			[ \"\$(modinfo -n dm-wcache)\" = $DKMS_KO ]"
	check "wcachectl is the installed /usr/sbin/wcachectl" \
		test "$(command -v wcachectl)" = /usr/sbin/wcachectl
}

# the log of pkg_install: the postinst loaded the module built in the first
# install and installed it, without compiling
install_log_checks() {	# install_log_checks LOG
	check "dpkg -i installed both packages" \
		bash -c "[ \"\$(dpkg-query -W -f='\${Status}' dm-wcache-dkms wcachectl)\" = 'install ok installedinstall ok installed' ]"
	check "... DKMS loaded the module built by the first install and installed it without compiling" \
		bash -c "grep -q 'Loading tarball for dm-wcache-$VERSION' '$1' && ! grep -q 'Building initial module' '$1' &&
			dkms status -m dm-wcache -v $VERSION -k $K | grep -q ': installed'"
	check "... and the installed files are the packages' own (dpkg --verify)" \
		bash -c "out=\$(dpkg --verify dm-wcache-dkms wcachectl 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
}

case $mode in
setup)
	pkg_hide_tree "$REPO" || notok "hide the work tree's build products"
	check "before the install, no wcachectl and no dm-wcache module can be found" \
		bash -c "! command -v wcachectl && ! modinfo -n dm-wcache"
	pkg_hide_modules
	pkg_install "$OUT" "$VERSION" >/run/wcache-pkg-install.log 2>&1 ||
		notok "dpkg -i both packages" "$(tail -n 20 /run/wcache-pkg-install.log | tr '\n' '|')"
	install_log_checks /run/wcache-pkg-install.log
	tree_out_of_reach
	# vdb plays the SSD: virtio disks say rotational, and attach refuses a rotational cache
	echo 0 >/sys/block/vdb/queue/rotational
	pvcreate -q -y /dev/vda /dev/vdb >/dev/null && vgcreate -q $VG /dev/vda /dev/vdb >/dev/null
	lvcreate -q -y -W y -n slow -L 400M $VG /dev/vda >/dev/null &&
		lvcreate -q -y -W y -n fast -L 96M $VG /dev/vdb >/dev/null
	check "wcachectl attach $VG/slow --cachevol fast" $WC attach $VG/slow --cachevol fast --yes
	check "... loaded the DKMS module" \
		bash -c "grep -q '^dm_wcache ' /proc/modules && [ \"\$(cat /sys/module/dm_wcache/version)\" = $VERSION ]"
	check "mkfs.ext4 on /dev/$VG/slow" mkfs.ext4 -q -F /dev/$VG/slow
	udevadm settle
	fsuuid=$(blkid -s UUID -o value /dev/$VG/slow)
	echo "$fsuuid" >"$OUT/fsuuid"
	device_checks "$fsuuid"
	mkdir -p $MNT
	mount /dev/$VG/slow $MNT && check "data written with fsync" write_gen 1
	sync -f "$OUT/gen1.sha" 2>/dev/null
	powercut
	;;
prepare)
	# run by tests/vm/guest.sh --prepare-systemd (chroot into the new root,
	# only /proc mounted); what it mounts here is gone before systemd starts
	mountpoint -q /dev || { mount -t devtmpfs devtmpfs /dev && mounted_dev=1; }
	# dkms uses <(...): /dev/fd
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	mountpoint -q /sys || { mount -t sysfs sysfs /sys && mounted_sys=1; }
	t=$(mktemp -d /tmp/wcache-kmods.XXXXXX)
	pkg_hide_modules "$t"
	pkg_install "$OUT" "$VERSION" >/var/log/wcache-pkg-install.log 2>&1
	echo $? >/var/log/wcache-pkg-install.rc
	pkg_unhide_modules "$t"
	[ -n "${mounted_sys:-}" ] && umount /sys
	[ -n "${mounted_dev:-}" ] && umount /dev
	pkg_hide_tree "$REPO"
	mkdir -p $MNT
	echo "UUID=$(cat "$OUT/fsuuid") $MNT ext4 defaults 0 0" >>/etc/fstab
	;;
verify)
	fsuuid=$(cat "$OUT/fsuuid")
	# nothing here activates anything: the installed rules and unit did
	check "the packages were installed before systemd started (dpkg -i exit status 0)" \
		test "$(cat /var/log/wcache-pkg-install.rc 2>/dev/null)" = 0
	install_log_checks /var/log/wcache-pkg-install.log
	tree_out_of_reach
	check "wcache-activate@.service is the installed unit, running /usr/sbin/wcachectl" \
		bash -c "f=\$(systemctl show -P FragmentPath wcache-activate@$VG.service) &&
			u=/lib/systemd/system/wcache-activate@.service &&
			[ \"\$(realpath \"\$f\")\" = \"\$(realpath \$u)\" ] &&
			dpkg -S \$u | grep -q '^wcachectl:' &&
			systemctl show -P ExecStart wcache-activate@$VG.service | grep -q 'path=/usr/sbin/wcachectl '"
	check "the udev rules in use are the installed ones" \
		bash -c "dpkg -S /lib/udev/rules.d/69-wcache.rules /lib/udev/rules.d/12-wcache-hide.rules &&
			! ls /etc/udev/rules.d/*wcache* /run/udev/rules.d/*wcache* 2>/dev/null"
	boot_activation_checks
	check "... with the DKMS module" \
		bash -c "[ \"\$(cat /sys/module/dm_wcache/version)\" = $VERSION ] && dmsetup table $VG-slow | grep -q ' wcache '"
	device_checks "$fsuuid"
	check "all data fsync'd before the power cut verifies" verify_gens 1
	journalctl -b -u "wcache-activate@$VG.service" -o cat --no-pager |
		head -n 6 | while read -r l; do diag "journal: $l"; done
	;;
esac
exit 0
