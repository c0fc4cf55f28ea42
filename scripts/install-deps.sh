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
