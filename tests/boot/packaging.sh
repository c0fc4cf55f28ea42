#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Packaging test (TAP), host-driven: `make deb`, lintian, one version
# everywhere, `make install`/`make uninstall` into a DESTDIR (and the
# installed DKMS source tree builds on its own), then in the VM
# (tests/boot/packaging-guest.bats): dpkg -i both packages, DKMS builds and
# installs the module for the guest kernel, modprobe and a wcache table work,
# and a purge leaves nothing behind; then the packages installed again make a
# cached LV on virtio disks, and at the next boot (systemd as PID 1, after a
# power cut) the installed udev rules and unit bring it back with its data,
# with no file of the work tree in reach (tests/boot/packaging-reboot-guest.bash).
# With WCACHE_PKG_KERNEL=6.12 (make check-kernels), one more boot on that
# kernel: DKMS builds the packaged module for it (packaging-kernel-guest.bash).
set -u
cd "$(dirname "$0")/../.." || exit 1
VERSION=$(cat VERSION)
tmp=$(mktemp -d /var/tmp/wcache-pkg.XXXXXX)
[ -n "${WCACHE_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {	# notok DESCRIPTION LOG|-
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	[ "$2" != - ] && [ -f "$2" ] && tail -n 30 "$2" | sed 's/^/# /'
}
check() {	# check DESCRIPTION LOG COMMAND...
	local d=$1 log=$2
	shift 2
	if "$@" >>"$log" 2>&1; then ok "$d"; else notok "$d" "$log"; fi
}

DKMS_DEB=build/dm-wcache-dkms_${VERSION}_all.deb
TOOLS_DEB=build/wcachectl_${VERSION}_$(dpkg --print-architecture).deb

# 1. both packages build
if make deb >"$tmp/deb.log" 2>&1 && [ -f "$DKMS_DEB" ] && [ -f "$TOOLS_DEB" ]; then
	ok "make deb builds $DKMS_DEB and $TOOLS_DEB"
else
	notok "make deb builds $DKMS_DEB and $TOOLS_DEB" "$tmp/deb.log"
	echo "Bail out! no packages to test"
	exit 1
fi

# 2. lintian: no errors (make deb fails on them too; here the tags are shown)
lintian --fail-on error "$DKMS_DEB" "$TOOLS_DEB" >"$tmp/lintian.log" 2>&1
rc=$?
grep -E '^[EW]: ' "$tmp/lintian.log" | sed 's/^/# /'
if [ "$rc" = 0 ] && ! grep -q '^E: ' "$tmp/lintian.log"; then
	ok "lintian reports no errors"
else
	notok "lintian reports no errors" "$tmp/lintian.log"
fi

# 3. one version: package versions, dkms.conf, DKMS source dir, changelog,
#    wcachectl --version from the package
mkdir -p "$tmp/x"
dpkg-deb -x "$DKMS_DEB" "$tmp/x" && dpkg-deb -x "$TOOLS_DEB" "$tmp/x"
v_dkms=$(dpkg-deb -f "$DKMS_DEB" Version)
v_tools=$(dpkg-deb -f "$TOOLS_DEB" Version)
v_conf=$(sed -n 's/^PACKAGE_VERSION="\?\([^"]*\)"\?$/\1/p' \
	"$tmp/x/usr/src/dm-wcache-$VERSION/dkms.conf" 2>/dev/null)
v_src=$(cat "$tmp/x/usr/src/dm-wcache-$VERSION/VERSION" 2>/dev/null)
v_chlog=$(zcat "$tmp/x/usr/share/doc/wcachectl/changelog.gz" 2>/dev/null |
	sed -n '1s/^dm-wcache (\([^)]*\)).*/\1/p')
v_bin=$("$tmp/x/usr/sbin/wcachectl" --version 2>&1)
got="$v_dkms $v_tools $v_conf $v_src $v_chlog [$v_bin]"
want="$VERSION $VERSION $VERSION $VERSION $VERSION [wcachectl $VERSION]"
if [ "$got" = "$want" ]; then
	ok "one version ($VERSION): packages, dkms.conf, DKMS source, changelog, wcachectl --version"
else
	notok "one version: want '$want', got '$got'" -
fi

# 4. the packages hold every file of the source directories, so files that
#    other engineers add get shipped (listed here independently of the
#    Makefile's wildcards)
missing=""
for f in kernel/*.c kernel/*.h kernel/Makefile; do
	case "$f" in *.mod.c) continue ;; esac
	[ -f "$tmp/x/usr/src/dm-wcache-$VERSION/${f#kernel/}" ] || missing="$missing $f"
done
for f in man/*.[1-8]; do
	[ -f "$f" ] || continue
	[ -f "$tmp/x/usr/share/man/man${f##*.}/${f#man/}.gz" ] || missing="$missing $f"
done
for f in udev/*.rules; do
	[ -f "$f" ] || continue
	[ -f "$tmp/x/lib/udev/rules.d/${f##*/}" ] || missing="$missing $f"
done
for f in udev/*.service systemd/*.service; do
	[ -f "$f" ] || continue
	[ -f "$tmp/x/lib/systemd/system/${f##*/}" ] || missing="$missing $f"
done
for f in lvm-profiles/*.profile; do
	[ -f "$f" ] || continue
	[ -f "$tmp/x/etc/lvm/profile/${f##*/}" ] || missing="$missing $f"
done
for f in completion/* bash-completion/* tools/*.bash tools/*.bash-completion; do
	[ -f "$f" ] || continue
	[ -f "$tmp/x/usr/share/bash-completion/completions/wcachectl" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "the packages ship every kernel source, man page, udev rule, unit, profile and completion"
else
	notok "files not in the packages:$missing" -
fi

# 5. make install into a DESTDIR, with PREFIX; the DKMS source tree builds
#    the module on its own against the host's kernel headers
d=$tmp/root
KDIR=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
{
	make install DESTDIR="$d" PREFIX=/usr/local &&
	test -x "$d/usr/local/sbin/wcachectl" &&
	test "$("$d/usr/local/sbin/wcachectl" --version)" = "wcachectl $VERSION" &&
	test -f "$d/usr/local/share/man/man8/wcachectl.8" &&
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "$d/usr/src/dm-wcache-$VERSION/dkms.conf" &&
	cp -a "$d/usr/src/dm-wcache-$VERSION" "$tmp/modbuild" &&
	make -C "$KDIR" M="$tmp/modbuild" modules &&
	test "$(/sbin/modinfo -F version "$tmp/modbuild/dm-wcache.ko")" = "$VERSION"
} >"$tmp/install.log" 2>&1
if [ $? = 0 ]; then
	ok "make install DESTDIR PREFIX=/usr/local; the installed DKMS source builds dm-wcache.ko $VERSION"
else
	notok "make install DESTDIR PREFIX=/usr/local; the installed DKMS source builds" "$tmp/install.log"
fi

# 6. make uninstall removes every file make install put there
make uninstall DESTDIR="$d" PREFIX=/usr/local >"$tmp/uninstall.log" 2>&1
left=$(find "$d" ! -type d 2>/dev/null)
if [ $? = 0 ] && [ -z "$left" ] && [ -d "$d" ]; then
	ok "make uninstall removes every installed file"
else
	echo "$left" | sed 's/^/# left: /'
	notok "make uninstall removes every installed file" "$tmp/uninstall.log"
fi

# WCACHE_CHECK_QUICK=1 (make check, CI): the host's checks above only. The
# VM steps below take 15-25 min under TCG (DKMS builds and update-initramfs
# in the guest); make check-full runs them.
if [ "${WCACHE_CHECK_QUICK:-0}" = 1 ]; then
	n=$((n + 1))
	echo "ok $n - # SKIP the VM steps (dpkg -i, DKMS build, purge, reboot): make check-full runs them"
	echo "1..$n"
	[ "$failed" = 0 ]
	exit
fi

OUT=$tmp/out
mkdir -p "$OUT"
cp "$DKMS_DEB" "$TOOLS_DEB" "$OUT/"
. tests/boot/host-lib.bash
RUN=tests/vm/run
# WCACHE_PKG_KERNEL_ONLY=1 (with WCACHE_PKG_KERNEL): step 10 alone, the
# DKMS build on the other kernel
if [ "${WCACHE_PKG_KERNEL_ONLY:-0}" != 1 ]; then
	# 7. in the VM: install, DKMS build, modprobe, wcache table, purge; then
	#    (tests/boot/packaging-reboot-guest.bash) install again, attach on
	#    virtio disks with the installed wcachectl only, write with fsync, power
	#    cut
	# (bats and dkms need /dev/fd for process substitution; the harness's
	# devtmpfs has none)
	t=$SECONDS
	tests/vm/run --no-module --mem 4096 --timeout 2400 --outdir "$OUT" \
		--disk "$tmp/vda.img:512M" --disk "$tmp/vdb.img:128M" -- sh -c \
		'[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
		 WCACHE_PKG_OUT=$1 bats --tap --timing tests/boot/packaging-guest.bats &&
		 exec bash tests/boot/packaging-reboot-guest.bash setup "$1"' sh "$OUT" \
		>"$tmp/vm.log" 2>&1
	rc=$?
	echo "# boot 1 (install, purge, install again, attach, power cut): $((SECONDS - t)) s"
	sed -n 's/^\(ok\|not ok\) \([0-9]*\)/\1 \2/p; /^#/p' "$tmp/vm.log" | sed 's/^/# vm: /'
	vm_fail=$(grep -c '^not ok' "$tmp/vm.log")
	vm_ok=$(grep -c '^ok' "$tmp/vm.log")
	if [ "$vm_fail" = 0 ] && [ "$vm_ok" -gt 0 ] && grep -q '^WCT ' "$tmp/vm.log"; then
		ok "in the VM: $vm_ok checks of dpkg -i, DKMS, modprobe, wcache table, purge passed"
	else
		grep -v -E '^(ok|not ok|#)' "$tmp/vm.log" >"$tmp/vm-console.log"
		notok "in the VM (exit $rc, $vm_ok ok, $vm_fail not ok)" "$tmp/vm-console.log"
		echo "1..$n"
		exit 1
	fi

	# 8. the packages installed again, a cached LV made with their files only
	collect "$tmp/vm.log" "$rc" "installed files: attach"

	# 9. boot with systemd as PID 1: the packages installed once more before
	#    systemd starts (the guest's root is a fresh overlay at every boot); the
	#    installed udev rules and unit bring the cached LV back, fstab mounts it
	#    by UUID, the data verifies
	if [ -s "$OUT/fsuuid" ] && [ -s "$OUT/gen1.sha" ]; then
		cat >"$tmp/prepare.sh" <<PREP
#!/bin/sh
WCACHE_REPO=$PWD exec bash $PWD/tests/boot/packaging-reboot-guest.bash prepare $OUT
PREP
		boot "installed files: reboot" "$tmp/reboot.log" --timeout 1200 --no-module --systemd \
			--prepare "$tmp/prepare.sh" --disk "$tmp/vda.img" --disk "$tmp/vdb.img" \
			-- bash tests/boot/packaging-reboot-guest.bash verify "$OUT"
	else
		notok "no filesystem and data from the attach boot: no reboot test" -
	fi
fi

# 10. DKMS on another kernel (WCACHE_PKG_KERNEL=6.12: make check-kernels;
#     scripts/kernels.sh fetches it): its headers and both packages
#     installed with dpkg in the guest, DKMS builds the module for it
if [ -n "${WCACHE_PKG_KERNEL:-}" ]; then
	if kroot=$(scripts/kernels.sh root "$WCACHE_PKG_KERNEL" 2>"$tmp/kroot.log"); then
		boot "DKMS on $(basename "$kroot")" "$tmp/kernel.log" --timeout 1800 --no-module \
			--mem 4096 --kernel "$kroot" -- bash tests/boot/packaging-kernel-guest.bash \
			"$OUT" "${WCACHE_KERNELS:-/var/tmp/wcache-kernels}/debs"
	else
		notok "scripts/kernels.sh root $WCACHE_PKG_KERNEL (no kernel to test DKMS on)" "$tmp/kroot.log"
	fi
fi

echo "1..$n"
[ "$failed" = 0 ]
