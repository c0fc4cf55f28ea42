#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Inside the VM (driven by tests/boot/packaging.sh after `make deb`): install
# the dm-wcache-dkms and wcachectl packages with dpkg, DKMS builds and installs
# the module for the guest kernel, modprobe loads it and a wcache table moves
# data, and dpkg --purge leaves nothing behind.
# The tests run in order and share state in $PKGT.

PKGT=/run/wcache-pkgtest
load packaging-lib

# progress with the guest's uptime on the TAP stream (slow steps under TCG)
step() { echo "# [$(cut -d' ' -f1 /proc/uptime)s] $*" >&3; }

setup_file() {
	[ "${WCACHE_IN_VM:-}" = 1 ] || {
		echo "run through tests/boot/packaging.sh (tests/vm/run)" >&2
		return 1
	}
	mkdir -p "$PKGT"
}

setup() {
	VERSION=$(cat VERSION)
	K=$(uname -r)
	ARCH=$(dpkg --print-architecture)
	DKMS_DEB=$PKGT/dm-wcache-dkms_${VERSION}_all.deb
	TOOLS_DEB=$PKGT/wcachectl_${VERSION}_${ARCH}.deb
	export DEBIAN_FRONTEND=noninteractive
}

# Files and directories the packages, DKMS and dpkg could leave behind:
# regular files with their size, everything else by name.  The kernel's own
# module tree is left out (DKMS only writes to updates/ and the index files).
snapshot() {
	local d dirs=() f
	# /usr/src: only its entries (kernel headers live there too); ours is
	# one directory that must be gone as a whole
	find /usr/src -maxdepth 1 -printf '- %p\n' | sort
	for d in /usr/sbin /usr/share/bash-completion /lib/udev/rules.d \
		/lib/systemd/system /etc /var/lib/dkms /var/lib/dpkg/info \
		/var/lib/systemd "/lib/modules/$K"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	find "${dirs[@]}" \( -path "/lib/modules/$K/kernel" -prune \) -o \
		\( -type f -printf 'f %p %s\n' \) -o \( ! -type f -printf '- %p\n' \) |
		sort
	for f in /usr/share/doc/wcachectl* /usr/share/doc/dm-wcache* \
		/usr/share/man/man*/wcachectl* /usr/share/man/man*/dm-wcache*; do
		[ -e "$f" ] && echo "- $f"
	done
	return 0
}

@test "the packages to test exist (built on the host by make deb)" {
	# a copy, so that a rebuild on the host cannot change them under dpkg
	cp "build/${DKMS_DEB##*/}" "build/${TOOLS_DEB##*/}" "$PKGT/"
	dpkg-deb --info "$DKMS_DEB" >/dev/null
	dpkg-deb --info "$TOOLS_DEB" >/dev/null
}

@test "guest set-up: no dm-wcache module before installation" {
	# process substitution in dkms needs /dev/fd (the harness's devtmpfs
	# has none)
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	# only the module subtrees needed here, for depmod (packaging-lib.bash)
	local m=/lib/modules/$K/kernel
	pkg_hide_modules
	[ -f "$m/drivers/md/dm-mod.ko" ]
	[ ! -e "$m/sound" ]
	step "module subtrees hidden"
	pkg_no_mandb
	step "man-db trigger off"
	depmod -a "$K"
	step "depmod done"
	run modinfo -n dm-wcache
	[ "$status" -ne 0 ]
	run modprobe -n dm-wcache
	[ "$status" -ne 0 ]
	! dpkg -s dm-wcache-dkms >/dev/null 2>&1
	! dpkg -s wcachectl >/dev/null 2>&1
	snapshot >"$PKGT/before"
	step "snapshot taken"
	[ -s "$PKGT/before" ]
}

@test "dpkg -i installs both packages; DKMS builds and installs the module for $(uname -r)" {
	step "dpkg -i"
	dpkg -i "$DKMS_DEB" "$TOOLS_DEB" >"$PKGT/install.log" 2>&1 || {
		cat "$PKGT/install.log"
		cat /var/lib/dkms/dm-wcache/"$VERSION"/build/make.log 2>/dev/null
		false
	}
	step "dpkg -i done"
	grep -E "Building (initial module )?for $K" "$PKGT/install.log"
	# the initramfs was regenerated (dpkg trigger) with the early-boot hook
	grep -q "update-initramfs: Generating /boot/initrd.img-$K" "$PKGT/install.log"
	lsinitramfs "/boot/initrd.img-$K" | grep -q 'scripts/local-top/wcache$'
	[ "$(dpkg-query -W -f='${Status} ${Version}' dm-wcache-dkms)" = "install ok installed $VERSION" ]
	[ "$(dpkg-query -W -f='${Status} ${Version}' wcachectl)" = "install ok installed $VERSION" ]
	run dkms status -m dm-wcache -v "$VERSION" -k "$K"
	echo "$output"
	[[ "$output" == *"dm-wcache/$VERSION, $K, "*": installed"* ]]
	# the module modprobe finds is the one DKMS built
	[ "$(modinfo -n dm-wcache)" = "/lib/modules/$K/updates/dkms/dm-wcache.ko" ]
	[ "$(modinfo -F version dm-wcache)" = "$VERSION" ]
	cmp "/lib/modules/$K/updates/dkms/dm-wcache.ko" \
		"/var/lib/dkms/dm-wcache/$VERSION/$K/$(uname -m)/module/dm-wcache.ko"
}

@test "dkms mktarball keeps the module DKMS built (binaries only) for the reboot test" {
	# tests/boot/packaging.sh's next boots install the packages again
	# (the guest's root does not survive a reboot): DKMS's postinst loads
	# this tarball instead of compiling the module again
	[ -d "${WCACHE_PKG_OUT:-}" ]	# set by tests/boot/packaging.sh
	rm -f "$WCACHE_PKG_OUT/dm-wcache-$VERSION.dkms.tar.gz"
	dkms mktarball -m dm-wcache -v "$VERSION" -k "$K" --binaries-only \
		--archive "$WCACHE_PKG_OUT/dm-wcache-$VERSION.dkms.tar.gz"
	tar -tzf "$WCACHE_PKG_OUT/dm-wcache-$VERSION.dkms.tar.gz" |
		grep -q "dkms_main_tree/$K/$(uname -m)/module/dm-wcache.ko"
}

@test "modprobe dm-wcache loads the DKMS module; a wcache table reads back what was written" {
	modprobe dm-wcache
	grep -q '^dm_wcache ' /proc/modules
	[ "$(cat /sys/module/dm_wcache/version)" = "$VERSION" ]
	dmsetup targets | grep -E "^wcache +v$VERSION\$"
	modprobe brd rd_nr=2 rd_size=32768
	local len
	len=$(blockdev --getsz /dev/ram0)
	echo "0 $len wcache s /dev/ram0 /dev/ram1 4096 0" | dmsetup create pkgwc
	[ "$(dmsetup table pkgwc | awk '{print $3}')" = wcache ]
	head -c 8388608 /dev/urandom >"$PKGT/data"
	dd if="$PKGT/data" of=/dev/mapper/pkgwc bs=1M oflag=direct conv=fsync status=none
	cmp "$PKGT/data" <(dd if=/dev/mapper/pkgwc bs=1M count=8 iflag=direct status=none)
	# again after the table is torn down and loaded from the devices
	dmsetup remove --retry pkgwc
	echo "0 $len wcache s /dev/ram0 /dev/ram1 4096 0" | dmsetup create pkgwc
	cmp "$PKGT/data" <(dd if=/dev/mapper/pkgwc bs=1M count=8 iflag=direct status=none)
	dmsetup remove --retry pkgwc
	rmmod brd
	modprobe -r dm-wcache
	! grep -q '^dm_wcache ' /proc/modules
}

@test "wcachectl package: binary, version and every man page, rule, unit, profile of the tree" {
	[ "$(/usr/sbin/wcachectl --version)" = "wcachectl $VERSION" ]
	dpkg -L wcachectl >"$PKGT/files"
	local f missing=""
	for f in man/*.[1-8]; do
		[ -f "$f" ] || continue
		grep -qx "/usr/share/man/man${f##*.}/${f#man/}.gz" "$PKGT/files" || missing="$missing $f"
	done
	for f in udev/*.rules; do
		[ -f "$f" ] || continue
		grep -qx "/lib/udev/rules.d/${f##*/}" "$PKGT/files" || missing="$missing $f"
	done
	for f in udev/*.service systemd/*.service; do
		[ -f "$f" ] || continue
		grep -qx "/lib/systemd/system/${f##*/}" "$PKGT/files" || missing="$missing $f"
	done
	for f in lvm-profiles/*.profile; do
		[ -f "$f" ] || continue
		grep -qx "/etc/lvm/profile/${f##*/}" "$PKGT/files" || missing="$missing $f"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
	grep -qx /usr/share/man/man8/wcachectl.8.gz "$PKGT/files"
	[ -f /usr/share/man/man8/wcachectl.8.gz ]
}

@test "dpkg --purge removes the module, the DKMS tree and every file; nothing is left behind" {
	step "dpkg --purge"
	dpkg --purge wcachectl dm-wcache-dkms >"$PKGT/purge.log" 2>&1 || {
		cat "$PKGT/purge.log"
		false
	}
	! dpkg -s dm-wcache-dkms >/dev/null 2>&1
	! dpkg -s wcachectl >/dev/null 2>&1
	run modinfo -n dm-wcache
	[ "$status" -ne 0 ]
	[ ! -e "/lib/modules/$K/updates/dkms/dm-wcache.ko" ]
	[ ! -e /var/lib/dkms/dm-wcache ]
	[ ! -e "/usr/src/dm-wcache-$VERSION" ]
	[ ! -e /usr/sbin/wcachectl ]
	step "purged"
	snapshot >"$PKGT/after"
	# DKMS creates its own module-signing key on its first build: the dkms
	# package's state, not ours
	diff <(grep -v -E ' /var/lib/dkms/mok\.(key|pub)( |$)' "$PKGT/before") \
		<(grep -v -E ' /var/lib/dkms/mok\.(key|pub)( |$)' "$PKGT/after")
}
