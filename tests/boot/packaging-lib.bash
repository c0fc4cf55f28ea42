# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers of the packaging test (sourced inside the VM by
# packaging-guest.bats and packaging-reboot-guest.bash; bash).

# depmod (run by dkms install and remove) reads every module of the kernel:
# under TCG that takes minutes for Debian's ~4000 modules. Show it only the
# subtrees needed here (the guest's root is a throw-away overlay): dm-wcache
# needs dm-mod (drivers/md) and libcrc32c (lib, crypto), the tests brd and
# virtio_blk (drivers/block), ext4 (fs).
# pkg_hide_modules [DIR]: bind the subtrees under DIR (a new tmpfs) and put
# DIR over /lib/modules/$(uname -r)/kernel; pkg_unhide_modules DIR undoes it.
pkg_hide_modules() {
	local d m=/lib/modules/$(uname -r)/kernel t=${1:-/run/wcache-kmods}
	mountpoint -q "$m" && return 0
	mkdir -p "$t"
	mount -t tmpfs -o mode=755 none "$t" || return 1
	for d in drivers/md drivers/block drivers/virtio drivers/nvdimm \
		drivers/char lib crypto arch fs block mm virt; do
		[ -d "$m/$d" ] || continue
		mkdir -p "$t/$d"
		mount --bind "$m/$d" "$t/$d" || return 1
	done
	mount --rbind "$t" "$m"
}

pkg_unhide_modules() {
	local m=/lib/modules/$(uname -r)/kernel t=$1
	umount -R "$m" && umount -R "$t" && rmdir "$t"
}

# The work tree's build products and installable files (tools/wcachectl,
# kernel/dm-wcache.ko, udev/, lvm-profiles/...) out of reach: an empty
# read-only tmpfs over each directory, so that only what the packages
# installed can be used.
pkg_hide_tree() {	# pkg_hide_tree REPO
	local d
	for d in tools kernel udev systemd lvm-profiles completion man build \
		packaging bench/hddmodel; do
		[ -d "$1/$d" ] || continue
		mountpoint -q "$1/$d" && continue
		mount -t tmpfs -o ro,mode=755 none "$1/$d" || return 1
	done
}

# man-db's dpkg trigger rebuilds the whole man index (mandb over 9p under
# TCG: 1-3 minutes per dpkg run). The trigger only looks at
# /var/lib/man-db/auto-update, which man-db's postinst removes when the
# admin answers "no" to man-db/auto-update: do what the postinst does (the
# debconf answer alone is not read again before man-db is reconfigured).
pkg_no_mandb() {
	echo "man-db man-db/auto-update boolean false" | debconf-set-selections
	rm -f /var/lib/man-db/auto-update
	# the packages' update-initramfs trigger runs at every install and
	# removal: a small image (listed modules, gzip) keeps it quick in TCG
	mkdir -p /etc/initramfs-tools/conf.d
	printf 'MODULES=list\nCOMPRESS=gzip\n' >/etc/initramfs-tools/conf.d/zz-wcache-test
}

# Install both packages from DIR with dpkg, as an admin would. When DIR holds
# dm-wcache-VERSION.dkms.tar.gz (a binaries-only "dkms mktarball" of the
# module DKMS built from this package in an earlier boot), it is put where
# the package's postinst (DKMS's common.postinst) looks for prebuilt modules,
# /usr/share/dm-wcache-dkms/: DKMS then loads it and installs the module
# without compiling it again.
pkg_install() {	# pkg_install DIR VERSION
	local dir=$1 v=$2 arch
	arch=$(dpkg --print-architecture)
	if [ -f "$dir/dm-wcache-$v.dkms.tar.gz" ]; then
		mkdir -p /usr/share/dm-wcache-dkms
		cp "$dir/dm-wcache-$v.dkms.tar.gz" /usr/share/dm-wcache-dkms/
	fi
	pkg_no_mandb
	DEBIAN_FRONTEND=noninteractive dpkg -i "$dir/dm-wcache-dkms_${v}_all.deb" \
		"$dir/wcachectl_${v}_$arch.deb"
}
