#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Generate a real initramfs the way an installed system does, on this host
# but without changing it:
#   mkinitrd-host.sh itools|dracut KERNEL OUTFILE
# In a private mount namespace, this machine's root is put under a
# throwaway overlay and chrooted into; there the work tree's dm-wcache.ko is
# installed for KERNEL (depmod), and "make install PREFIX=/usr" of the work
# tree runs. itools: its update-initramfs -u (initramfs-tools) makes the
# image. dracut: dracut's .debs (scripts/install-deps.sh downloads them; the
# package would remove initramfs-tools) are unpacked into the overlay and
# dracut builds the image with the installed 90wcache module. The image
# lists only the modules a virtio VM needs (MODULES=list / --drivers), to
# keep it small; everything else is the distribution's default flow.
set -eu
FL=$1 K=$2 OUTF=$(realpath -m "$3")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DEBDIR=${WCACHE_VM_CACHE:-/var/tmp/wcache-vm}/debs
[ -f "$REPO/kernel/dm-wcache.ko" ] || { echo "mkinitrd-host: build the module first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "mkinitrd-host: needs root (mount namespace, overlay)" >&2; exit 1; }
ov=$(mktemp -d /var/tmp/wcache-mkinitrd.XXXXXX)
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/u" "$ov/w" "$ov/m" "$(dirname "$OUTF")"

export FL K REPO DEBDIR ov OUTF
unshare -m bash -eu -c '
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/u,workdir=$ov/w" "$ov/m"
for d in proc sys dev; do mount --rbind "/$d" "$ov/m/$d"; done
mount -t tmpfs tmpfs "$ov/m/tmp"
mount -t tmpfs tmpfs "$ov/m/run"
mkdir -p "$ov/m/run/lock"
cat >"$ov/m/tmp/build.sh" <<"IN"
set -eu
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C
mkdir -p /lib/modules/$K/updates/wcache
cp "$REPO/kernel/dm-wcache.ko" /lib/modules/$K/updates/wcache/
depmod "$K"
mkdir -p /etc/initramfs-tools/conf.d
printf "MODULES=list\nCOMPRESS=gzip\n" >/etc/initramfs-tools/conf.d/zz-wcache-test
printf "virtio_pci\nvirtio_blk\next4\n" >>/etc/initramfs-tools/modules
if [ "$FL" = itools ]; then
	make -s -C "$REPO" install PREFIX=/usr
	cp "/boot/initrd.img-$K" /tmp/out.img
else
	make -s -C "$REPO" install PREFIX=/usr UPDATE_INITRAMFS=0
	# (dpkg -x would replace the merged-/usr links /bin and /lib by directories)
	for d in "$DEBDIR"/dracut-core_*.deb "$DEBDIR"/dracut_*.deb; do
		dpkg-deb --fsys-tarfile "$d" | tar -x --keep-directory-symlink -C /
	done
	dracut -f -q --kver "$K" --no-hostonly --no-hostonly-cmdline \
		--modules "bash base udev-rules dm lvm wcache rootfs-block fs-lib kernel-modules" \
		--drivers "virtio_pci virtio_blk ext4" --compress gzip /tmp/out.img
fi
IN
chroot "$ov/m" sh /tmp/build.sh
cp "$ov/m/tmp/out.img" "$OUTF"
'
