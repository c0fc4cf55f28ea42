#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/boot/initramfs.sh, the set-up boot (harness initramfs,
# udevd, this machine's root under a throwaway overlay):
#   initramfs-guest.bash setup OUT
# 1. the udev rules and /lib/udev/wcache-part installed (the images were
#    made by "make install" on the host: tests/boot/mkinitrd-host).
# 2. VG wcvg: root (vda) cached by fast (vdb); a user's LV named backup_wco;
#    the hide rule hides our origin when a plain "lvchange -ay -K" activates
#    it, and leaves backup_wco's links alone.
# 3. A root file system on wcvg/root: static busybox and
#    initramfs-rootinit.busybox as /sbin/init; generation 1 of data written with
#    fsync; power cut with the data dirty in the cache.
export LVM_SUPPRESS_FD_WARNINGS=1
mode=$1 OUT=$2
REPO=${WCACHE_REPO:-$PWD}
VG=wcvg
MNT=/mnt/wcroot
K=$(uname -r)
WC=$REPO/tools/wcachectl

. "$REPO/tests/boot/guest-lib.bash"

kname() { basename "$(readlink -f "$1")"; }

[ "$mode" = setup ] || exit 2

# --- 1. the udev rules and their helper, as installed (sed: this wcachectl)
install -m 0755 "$REPO/boot/wcache-part" /lib/udev/wcache-part
mkdir -p /etc/udev/rules.d
for f in "$REPO"/udev/*.rules; do
	sed "s|/usr/sbin/wcachectl|$WC|g" "$f" >"/etc/udev/rules.d/${f##*/}"
done
udevadm control --reload

# --- 2. the VG, the pairing, the hide rule
modprobe dm-wcache
# vdb plays the SSD: virtio disks say rotational, and attach refuses a rotational cache
echo 0 >/sys/block/vdb/queue/rotational
pvcreate -q -y /dev/vda /dev/vdb >/dev/null && vgcreate -q $VG /dev/vda /dev/vdb >/dev/null
lvcreate -q -y -W y -n root -L 200M $VG /dev/vda >/dev/null
lvcreate -q -y -W y -n backup_wco -L 16M $VG /dev/vda >/dev/null
lvcreate -q -y -W y -n fast -L 64M $VG /dev/vdb >/dev/null
# the swap that the hibernation boots use: a plain LV (a swap on a cached
# LV cannot hold a hibernation image: wcachectl(8) BOOT ACTIVATION)
lvcreate -q -y -W y -n swap -L 128M $VG /dev/vda >/dev/null
mkfs.ext4 -q -F /dev/$VG/backup_wco
check "attach $VG/root --cachevol fast" $WC attach $VG/root --cachevol fast --yes --target wcache
check "mkswap on $VG/swap" mkswap -q -L wcswap /dev/$VG/swap
check "mkfs.ext4 on /dev/$VG/root" mkfs.ext4 -q -F -L wcroot /dev/$VG/root
udevadm settle
fsuuid=$(blkid -s UUID -o value /dev/$VG/root)
bkuuid=$(blkid -s UUID -o value /dev/$VG/backup_wco)
echo "$fsuuid" >"$OUT/fsuuid"
echo "$bkuuid" >"$OUT/bkuuid"
blkid -s UUID -o value /dev/$VG/swap >"$OUT/swapuuid"
check "a user's LV named backup_wco keeps its /dev/disk/by-uuid link" \
	test "$(kname "/dev/disk/by-uuid/$bkuuid")" = "$(kname /dev/$VG/backup_wco)"

# the origin activated by plain LVM (as dracut's "lvchange -ay -K" for
# rd.lvm.lv= does), without wcachectl's marker: hidden by its tags
$WC deactivate $VG/root >/dev/null
rm -f /run/wcachectl/hide/*
check "lvchange -ay -K $VG/root_wco (no wcachectl marker)" lvchange -q -ay -K $VG/root_wco
udevadm settle
ko=$(kname /dev/mapper/$VG-root_wco)
check "... the origin is hidden by its tags: SYSTEMD_READY=0, not probed, no /dev/disk link" \
	bash -c "udevadm info -q property /dev/$ko | grep -qx SYSTEMD_READY=0 &&
		 udevadm info -q property /dev/$ko | grep -qx WCACHE_PART=origin &&
		 ! udevadm info -q property /dev/$ko | grep -q '^ID_FS_UUID=' && ! find /dev/disk -type l -exec readlink -f {} \\; | grep -qx /dev/$ko"
check "... and /dev/disk/by-uuid/<fs uuid> does not exist" test ! -e "/dev/disk/by-uuid/$fsuuid"
udevadm trigger --action=change "/dev/$ko"; udevadm settle
check "... also after a change event" bash -c "udevadm info -q property /dev/$ko | grep -qx SYSTEMD_READY=0"
fk=$(kname /dev/mapper/$VG-fast 2>/dev/null)
lvchange -q -ay -K $VG/fast; udevadm settle; fk=$(kname /dev/mapper/$VG-fast)
check "... the cachevol too (WCACHE_PART=cachevol)" \
	bash -c "udevadm info -q property /dev/$fk | grep -qx WCACHE_PART=cachevol && udevadm info -q property /dev/$fk | grep -qx SYSTEMD_READY=0"
check "the backup_wco LV is not hidden (no WCACHE_PART)" \
	bash -c "! udevadm info -q property /dev/$(kname /dev/$VG/backup_wco) | grep -q '^WCACHE_PART=\|^SYSTEMD_READY=0'"
check "wcachectl activate uses the parts LVM activated" $WC activate $VG/root
udevadm settle
check "/dev/disk/by-uuid/<fs uuid> is the cache mapping" \
	test "$(kname "/dev/disk/by-uuid/$fsuuid")" = "$(kname /dev/mapper/$VG-root)"

# --- 3. the root file system, generation 1, power cut with dirty data
mkdir -p $MNT
mount /dev/$VG/root $MNT || { notok "mount /dev/$VG/root"; exit 0; }
mkdir -p $MNT/bin $MNT/sbin $MNT/proc $MNT/sys $MNT/dev $MNT/run $MNT/tmp
cp /bin/busybox $MNT/bin/busybox
cp "$REPO/tests/boot/initramfs-rootinit.busybox" $MNT/sbin/init
chmod 755 $MNT/sbin/init
mkdir -p $MNT/gen1
for i in $(seq 1 8); do
	dd if=/dev/urandom of=$MNT/gen1/f$i bs=64k count=$((i * 2)) conv=fsync status=none
done
dd if=/dev/urandom of=$MNT/shared bs=64k count=16 conv=fsync status=none
sync -f $MNT/shared
(cd $MNT && sha256sum gen1/f* shared) >"$OUT/gen1.sha"
check "generation 1 written with fsync" test -s "$OUT/gen1.sha"
d=$($WC status $VG/root --json 2>/dev/null | jq -r '.dirty_blocks // 0')
diag "dirty blocks in the cache at the power cut: $d"
check "the cache holds dirty data at the power cut" test "${d:-0}" -gt 0
sync -f "$OUT/gen1.sha"
powercut
