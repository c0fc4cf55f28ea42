#!/bin/sh
# Build the test VM's initramfs for kernel $1 into file $2: busybox-static,
# the virtio/9p/overlay modules and tests/vm/init.  $3: the root of a kernel
# extracted from its package (tests/vm/run --kernel) instead of /.
set -eu
K=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MODDIR=${3:-}/lib/modules/$K/kernel

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/modules"
cp /bin/busybox "$tmp/bin/busybox"
for l in sh mount umount insmod mkdir chroot sed grep cat echo switch_root sleep; do
	ln -s busybox "$tmp/bin/$l"
done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	 virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
	f=$(find "$MODDIR" -name "$m.ko*" | head -n1)
	[ -n "$f" ] || continue	# built in
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$tmp/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$tmp/modules/$m.ko" ;;
	*) cp "$f" "$tmp/modules/$m.ko" ;;
	esac
done
cp "$HERE/init" "$tmp/init"
chmod 755 "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
