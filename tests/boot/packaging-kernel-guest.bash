#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/boot/packaging.sh's last boot, on a kernel other than
# the host's (tests/vm/run --kernel, e.g. Debian 12's 6.12): that kernel's
# headers packages are installed with dpkg (the guest's root is a throw-away
# overlay), then both dm-wcache packages; DKMS must build and install the
# module for the running kernel, and modprobe must load it and a wcache
# table move data.
#   packaging-kernel-guest.bash OUT DEBDIR
# DEBDIR holds linux-headers-K, linux-headers-*-common and linux-kbuild-*
# packages (scripts/kernels.sh's download cache).  Results are "WCT ok/not
# ok" lines (tests/boot/guest-lib.bash).
export LVM_SUPPRESS_FD_WARNINGS=1 DEBIAN_FRONTEND=noninteractive
OUT=$1 DEBDIR=$2
REPO=${WCACHE_REPO:-$PWD}
VERSION=$(cat "$REPO/VERSION")
K=$(uname -r)
KV=${K%-amd64}

. "$REPO/tests/boot/guest-lib.bash"
. "$REPO/tests/boot/packaging-lib.bash"

[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
diag "kernel $K"
check "the guest runs the other kernel ($K, not the host's)" \
	test ! -e "/boot/vmlinuz-$K"
pkg_hide_modules
pkg_no_mandb
# linux-headers-K depends on linux-image-K, which is running but not
# installed as a package here
check "dpkg -i the headers of $K (headers, -common, kbuild)" \
	dpkg -i --force-depends "$DEBDIR/linux-headers-${K}_"*.deb \
		"$DEBDIR/linux-headers-${KV}-common_"*.deb "$DEBDIR/linux-kbuild-${KV}_"*.deb
check "/lib/modules/$K/build is the installed headers' tree" \
	test -f "/lib/modules/$K/build/Makefile"
if pkg_install "$REPO/build" "$VERSION" >"$OUT/kernel-install.log" 2>&1; then
	ok "dpkg -i dm-wcache-dkms and wcachectl on $K"
else
	notok "dpkg -i dm-wcache-dkms and wcachectl on $K" \
		"$(tail -n 20 "$OUT/kernel-install.log" | tr '\n' '|')" \
		"$(tail -n 20 "/var/lib/dkms/dm-wcache/$VERSION/build/make.log" 2>/dev/null | tr '\n' '|')"
fi
check "DKMS built and installed dm-wcache $VERSION for $K" \
	bash -c "dkms status -m dm-wcache -v '$VERSION' -k '$K' | grep -q ': installed' &&
		case \$(modinfo -n dm-wcache) in /lib/modules/$K/updates/dkms/dm-wcache.ko|/lib/modules/$K/updates/dkms/dm-wcache.ko.[gx]z|/lib/modules/$K/updates/dkms/dm-wcache.ko.zst) ;; *) false ;; esac &&
		[ \"\$(modinfo -F vermagic dm-wcache | cut -d' ' -f1)\" = '$K' ] ||
		{ dkms status -m dm-wcache; modinfo -n dm-wcache; modinfo -F vermagic dm-wcache; false; }"
check "modprobe dm-wcache on $K; a wcache table reads back what was written" \
	bash -c "modprobe dm-wcache && dmsetup targets | grep -q '^wcache ' &&
		modprobe brd rd_nr=2 rd_size=32768 &&
		len=\$(blockdev --getsz /dev/ram0) &&
		echo \"0 \$len wcache s /dev/ram0 /dev/ram1 4096 0\" | dmsetup create pkgk &&
		head -c 4194304 /dev/urandom >/run/pkgk.data &&
		dd if=/run/pkgk.data of=/dev/mapper/pkgk bs=1M oflag=direct conv=fsync status=none &&
		dmsetup remove --retry pkgk &&
		echo \"0 \$len wcache s /dev/ram0 /dev/ram1 4096 0\" | dmsetup create pkgk &&
		cmp /run/pkgk.data <(dd if=/dev/mapper/pkgk bs=1M count=4 iflag=direct status=none) &&
		dmsetup remove --retry pkgk && rmmod brd && modprobe -r dm-wcache"
exit 0
