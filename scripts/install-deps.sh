#!/bin/sh
# Install every Debian package the build, the tests and the demo need.
# Idempotent: does nothing when everything is already installed.
set -eu

PKGS="build-essential make gcc pkg-config git kmod cpio busybox-static
qemu-system-x86 linux-image-amd64 linux-headers-amd64
lvm2 dmsetup liblvm2-dev libdevmapper-dev libjson-c-dev libblkid-dev
fio bats udev systemd e2fsprogs xfsprogs util-linux sparse jq nbdkit nbdkit-plugin-dev nbd-client gnuplot-nox blktrace
debhelper dh-dkms dkms lintian devscripts dpkg-dev fakeroot groff-base
clang libclang-rt-14-dev
linux-perf
debootstrap dwarves"

# dracut cannot be installed next to initramfs-tools (the linux-image packages
# the VM tests boot depend on it): tests/boot/initramfs.sh unpacks these .debs
# into the VM's throwaway root instead
DEBDIR=${WCACHE_VM_CACHE:-/var/tmp/wcache-vm}/debs
for p in dracut-core dracut; do
	ls "$DEBDIR/${p}_"*.deb >/dev/null 2>&1 && continue
	mkdir -p "$DEBDIR"
	(cd "$DEBDIR" && apt-get download -q "$p" >/dev/null 2>&1) ||
		echo "install-deps: cannot download $p (the dracut boot test will be skipped)" >&2
done

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
