#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel matrix: build dm-wcache against several kernels, and boot them
# in the test VM (tests/vm/run --kernel).  Never touches the host's own
# kernel or headers: every other kernel is extracted from Debian's packages
# into a cache directory.
#
#   scripts/kernels.sh build          compile against every kernel below
#   scripts/kernels.sh root NAME      print NAME's extracted tree (for
#                                     tests/vm/run --kernel), fetching it
#   scripts/kernels.sh test [--smoke] NAME...
#                                     run the target suites in the VM on NAME
#                                     (--smoke: vm/target only, for CI)
#   scripts/kernels.sh check          build, then the target suites on every
#                                     kernel but the host's (make check-kernels)
#
# Kernels (NAME):
#   host    the host's Debian 12 headers (6.1), /lib/modules/*/build
#   6.12    the newest linux-headers-6.12.*+deb12-amd64 in the Debian 12
#           archive, downloaded and extracted
#   newest  the newest linux-headers-*-amd64 in Debian 13 backports, built in
#           a Debian 13 root made with debootstrap (their kbuild tools need
#           Debian 13's libc and gcc-14)
# Each build is W=1 and must print no warning; sparse (C=2) runs where the
# checker can parse the kernel's headers (Debian 13's sparse 0.6.4 cannot
# parse 7.x headers: __typeof_unqual__), and must print no warning either.
# Modules go to build/kernels/KVER/dm-wcache.ko.
#
# The Debian mirror is the one apt on this machine is configured with (read
# from /etc/apt/sources.list*, or WCACHE_DEBIAN_MIRROR).  Downloads and the
# Debian 13 root are cached in WCACHE_KERNELS (/var/tmp/wcache-kernels).
set -eu
set -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${WCACHE_KERNELS:-/var/tmp/wcache-kernels}
TRIXIE=$CACHE/trixie-root
OUT=$REPO/build/kernels
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "kernels: $*" >&2; }
die() { log "$*"; exit 1; }

# The Debian archive apt uses here: the first deb URI of the configured
# sources that ends in /debian (not -security), one-line or deb822 format.
mirror() {
	if [ -n "${WCACHE_DEBIAN_MIRROR:-}" ]; then
		echo "$WCACHE_DEBIAN_MIRROR"
		return
	fi
	{
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }'
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
	} | sed 's|/*$||' | grep -E '/debian$' | head -n 1
}

# ---------------------------------------------------------------- 6.12 --
# newest linux-headers-6.12.N+deb12-amd64 apt knows, as "6.12.N+deb12"
deb12_612_version() {
	if [ -n "${WCACHE_K612:-}" ]; then
		echo "$WCACHE_K612"
		return
	fi
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//; s/-amd64$//' | sort -V | tail -n 1
}

# fetch_612: extract image, headers and kbuild of 6.12 into $CACHE/KVER and
# print KVER
fetch_612() {
	local v k d p
	v=$(deb12_612_version)
	[ -n "$v" ] || die "no linux-headers-6.12.*+deb12-amd64 known to apt (apt-get update?)"
	k=$v-amd64
	d=$CACHE/$k
	if [ ! -e "$d/.complete" ]; then
		mkdir -p "$CACHE/debs"
		log "downloading and extracting Linux $k"
		for p in linux-image-$k linux-headers-$k linux-headers-$v-common linux-kbuild-$v; do
			ls "$CACHE/debs/${p}_"*.deb >/dev/null 2>&1 && continue
			(cd "$CACHE/debs" && apt-get download -q "$p" >&2) ||
				die "apt-get download $p failed"
		done
		rm -rf "$d"
		mkdir -p "$d"
		for p in linux-image-$k linux-headers-$k linux-headers-$v-common linux-kbuild-$v; do
			dpkg -x "$(ls "$CACHE/debs/${p}_"*.deb | sort -V | tail -n 1)" "$d"
		done
		# the headers' Makefile includes the -common tree by an absolute
		# path: point it at the extracted one
		echo "include $d/usr/src/linux-headers-$v-common/Makefile" \
			>"$d/usr/src/linux-headers-$k/Makefile"
		depmod -b "$d" "$k" || die "depmod for $k failed"
		: >"$d/.complete"
	fi
	echo "$k"
}

# -------------------------------------------------------------- newest --
in_trixie() {	# run a command in the Debian 13 root, with /proc (objtool)
	$SUDO unshare --mount --propagation private sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$TRIXIE" "$@"
}

# make_trixie: the Debian 13 build root with trixie-backports enabled
make_trixie() {
	local m
	m=$(mirror)
	[ -n "$m" ] || die "no Debian mirror in /etc/apt/sources.list* (set WCACHE_DEBIAN_MIRROR)"
	if [ ! -e "$TRIXIE/.complete" ]; then
		command -v debootstrap >/dev/null || die "debootstrap missing (scripts/install-deps.sh)"
		log "debootstrap trixie from $m (once; cached in $TRIXIE)"
		$SUDO rm -rf "$TRIXIE.tmp"
		$SUDO debootstrap --variant=minbase \
			--include=ca-certificates,make,gcc,libc6-dev,xz-utils,kmod,sparse \
			trixie "$TRIXIE.tmp" "$m" >"$CACHE/debootstrap.log" 2>&1 ||
			die "debootstrap failed, see $CACHE/debootstrap.log"
		$SUDO rm -rf "$TRIXIE"
		$SUDO mv "$TRIXIE.tmp" "$TRIXIE"
		$SUDO touch "$TRIXIE/.complete"
	fi
	# the mirror may have changed since the root was made
	echo "deb $m trixie main" | $SUDO tee "$TRIXIE/etc/apt/sources.list" >/dev/null
	echo "deb $m trixie-backports main" |
		$SUDO tee "$TRIXIE/etc/apt/sources.list.d/backports.list" >/dev/null
	# package lists at most a day old
	if [ -z "$(find "$TRIXIE/.lists-updated" -mmin -1440 2>/dev/null)" ]; then
		in_trixie apt-get update -q >&2 || die "apt-get update in the Debian 13 root failed"
		$SUDO touch "$TRIXIE/.lists-updated"
	fi
}

# fetch_newest: headers of the newest backports kernel installed in the
# Debian 13 root, its image and modules extracted into $CACHE/KVER; prints
# KVER
fetch_newest() {
	local k d v deb
	make_trixie
	k=${WCACHE_KNEWEST:-$(in_trixie apt-cache search --names-only \
		'^linux-headers-[0-9.]+\+deb13-amd64$' | awk '{print $1}' |
		sed 's/^linux-headers-//' | sort -V | tail -n 1)}
	[ -n "$k" ] || die "no linux-headers-*+deb13-amd64 in Debian 13 (backports)"
	v=${k%-amd64}
	if [ ! -e "$TRIXIE/usr/src/linux-headers-$k/Makefile" ]; then
		log "installing linux-headers-$k in the Debian 13 root"
		in_trixie env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "linux-headers-$k" >&2 ||
			die "apt-get install linux-headers-$k failed"
	fi
	# Debian's linux-kbuild lacks scripts/checker-valid.sh (kbuild's test
	# whether sparse can parse this kernel's headers); ours prints 1 when
	# sparse parses the newest construct these headers use
	c=$TRIXIE/usr/lib/linux-kbuild-$v/scripts/checker-valid.sh
	if [ ! -e "$c" ]; then
		printf '%s\n' '#!/bin/sh' \
			'# added by dm-wcache scripts/kernels.sh: missing from Debian linux-kbuild' \
			't=$(mktemp --suffix=.c) && echo "int a; __typeof_unqual__(a) b;" >"$t"' \
			'"$@" "$t" 2>&1 | grep -q . || echo 1; rm -f "$t"' |
			$SUDO tee "$c" >/dev/null
		$SUDO chmod 755 "$c"
	fi
	d=$CACHE/$k
	if [ ! -e "$d/.complete" ]; then
		log "downloading and extracting linux-image-$k"
		# linux-image-K is a meta package on 7.x: the kernel and modules
		# are in the linux-* packages of the same K it depends on
		in_trixie sh -c "mkdir -p /var/tmp/debs && cd /var/tmp/debs &&
			rm -f *.deb && apt-get download -q linux-image-$k &&
			pk=\$(dpkg-deb -f linux-image-${k}_*.deb Depends | tr ',|' '\n\n' |
				sed 's/(.*//; s/ //g' | grep '^linux-' | grep -F -- '-$k') ;
			{ [ -z \"\$pk\" ] || apt-get download -q \$pk; }" >&2 ||
			die "apt-get download linux-image-$k failed"
		rm -rf "$d"
		mkdir -p "$d"
		for deb in "$TRIXIE"/var/tmp/debs/*.deb; do
			dpkg -x "$deb" "$d" || die "dpkg -x $deb failed"
		done
		# 7.x packages keep everything in /usr/lib/modules/K (vmlinuz
		# too): lay it out as tests/vm/run --kernel expects
		if [ -d "$d/usr/lib/modules/$k" ] && [ ! -e "$d/lib/modules/$k" ]; then
			mkdir -p "$d/lib/modules"
			mv "$d/usr/lib/modules/$k" "$d/lib/modules/$k"
		fi
		if [ ! -e "$d/boot/vmlinuz-$k" ] && [ -f "$d/lib/modules/$k/vmlinuz" ]; then
			mkdir -p "$d/boot"
			ln -s "../lib/modules/$k/vmlinuz" "$d/boot/vmlinuz-$k"
		fi
		[ -f "$d/boot/vmlinuz-$k" ] || die "no vmlinuz in the packages of linux-image-$k"
		depmod -b "$d" "$k" || die "depmod for $k failed"
		: >"$d/.complete"
	fi
	echo "$k"
}

# ------------------------------------------------------------- builds --
host_kver() {
	ls /lib/modules 2>/dev/null | sort -V | while read -r v; do
		[ -d "/lib/modules/$v/build" ] && echo "$v"
	done | tail -n 1
}

copy_src() {	# copy_src DIR: the module's sources into DIR
	rm -rf "$1"
	mkdir -p "$1"
	cp "$REPO"/kernel/*.c "$REPO"/kernel/*.h "$REPO/kernel/Makefile" "$REPO/VERSION" "$1/"
}

# check_log NAME LOG: no compiler/sparse warning or error in the build log
check_log() {
	if grep -E 'warning:|error:|Error [0-9]' "$2" >/dev/null; then
		grep -E -B2 -A4 'warning:|error:|Error [0-9]' "$2" | head -n 40 >&2
		return 1
	fi
}

# build NAME: compile against kernel NAME into build/kernels/KVER; prints
# one TAP line, "ok N NAME KVER: ..." or "not ok N NAME ...", N = BUILD_N
build() {
	local name=$1 k hdir src log rc=0 sp="sparse clean"
	case $name in
	host)
		k=$(host_kver)
		[ -n "$k" ] || die "no /lib/modules/*/build (linux-headers-amd64)"
		hdir=/lib/modules/$k/build ;;
	6.12)
		k=$(fetch_612) || { echo "not ok ${BUILD_N:-1} $name: fetching the kernel failed"; return 1; }
		hdir=$CACHE/$k/usr/src/linux-headers-$k ;;
	newest)
		k=$(fetch_newest) || { echo "not ok ${BUILD_N:-1} $name: fetching the kernel failed"; return 1; }
		hdir=/usr/src/linux-headers-$k ;;
	*) die "unknown kernel $name (host, 6.12, newest)" ;;
	esac
	mkdir -p "$OUT/$k"
	log=$OUT/$k/build.log
	if [ "$name" = newest ]; then
		src=/var/tmp/wcache-build
		$SUDO rm -rf "$TRIXIE$src"
		copy_src "$TRIXIE$src"
		in_trixie make -C "$hdir" M="$src" W=1 C=2 modules >"$log" 2>&1 || rc=$?
		[ "$rc" = 0 ] && cp "$TRIXIE$src/dm-wcache.ko" "$OUT/$k/"
	else
		src=$OUT/$k/src
		copy_src "$src"
		make -C "$hdir" M="$src" W=1 C=2 modules >"$log" 2>&1 || rc=$?
		[ "$rc" = 0 ] && cp "$src/dm-wcache.ko" "$OUT/$k/"
	fi
	# kbuild says so when it skips sparse; that is not a warning of ours
	if grep -q 'C=2 specified, but' "$log"; then
		sp="sparse skipped (cannot parse these headers)"
		sed -i '/C=2 specified, but/d' "$log"
	fi
	if [ "$rc" = 0 ] && check_log "$name" "$log"; then
		echo "ok ${BUILD_N:-1} $name $k: builds, W=1 no warnings, $sp"
	else
		rm -f "$OUT/$k/dm-wcache.ko"
		echo "not ok ${BUILD_N:-1} $name $k: build failed or warned (log: $log)"
		return 1
	fi
}

build_all() {
	local n fail=0
	BUILD_N=0
	echo "1..3"
	for n in host 6.12 newest; do
		BUILD_N=$((BUILD_N + 1))
		build "$n" || fail=1
	done
	return "$fail"
}

# ---------------------------------------------------------------- VM ----
kroot() {
	case $1 in
	6.12) echo "$CACHE/$(fetch_612)" ;;
	newest) echo "$CACHE/$(fetch_newest)" ;;
	*) die "no extracted tree for $1 (6.12, newest)" ;;
	esac
}

SUITES="tests/vm/target.bats tests/vm/target-writeback.bats tests/vm/target-powercut.bats
tests/vm/faults.bats tests/vm/crash-replay.bats tests/vm/crashcheck.bats"

# run_suites [--smoke] NAME: the target suites in one VM boot on kernel NAME
run_suites() {
	local smoke=0 name root k
	[ "$1" = --smoke ] && { smoke=1; shift; }
	name=$1
	root=$(kroot "$name")
	k=$(basename "$root")
	[ -f "$OUT/$k/dm-wcache.ko" ] || build "$name" >&2 || return 1
	log "target suites on $k$([ "$smoke" = 1 ] && echo ' (smoke)')"
	if [ "$smoke" = 1 ]; then
		# CI's smoke run: vm/target only (vm/faults took 500-680 s on
		# 6.12/7.3 at load 35, see RELIABILITY.md "Kernel matrix")
		set -- =vm/target
	else
		set -- $(for s in $SUITES; do echo "=vm/$(basename "$s" .bats)"; done)
	fi
	# tests/check.sh's own summary "check: N passed, N failed" becomes
	# "# KVER: ...", so that a check.sh running this counts the tests once
	WCACHE_VM_KROOT=$root WCACHE_TEST_LOGS=${WCACHE_TEST_LOGS:-/var/tmp/wcache-test-logs}/$k \
		"$REPO/tests/check.sh" --vm-only "$@" 2>&1 | sed -u "s/^check: /# $k: /"
}

cmd=${1:-build}
shift || true
case $cmd in
build)
	if [ $# -gt 0 ]; then
		fail=0 BUILD_N=0
		echo "1..$#"
		for n in "$@"; do BUILD_N=$((BUILD_N + 1)); build "$n" || fail=1; done
		exit "$fail"
	fi
	build_all ;;
root) kroot "${1:?kernel name}" ;;
test)
	smoke=
	[ "${1:-}" = --smoke ] && { smoke=--smoke; shift; }
	fail=0
	for n in "$@"; do run_suites $smoke "$n" || fail=1; done
	exit "$fail" ;;
check)
	start=$SECONDS
	fail=0
	res=$(build_all) || fail=1
	echo "$res"
	for n in 6.12 newest; do
		run_suites "$n" | tee "$CACHE/check-$n.log" || fail=1
	done
	echo
	echo "== kernel matrix ($(date -u +%F), $((SECONDS - start)) s)"
	echo "$res"
	for n in 6.12 newest; do
		echo "$n: $(grep '^# .*passed' "$CACHE/check-$n.log" | tail -n 1)"
	done
	exit "$fail" ;;
*) die "usage: $0 build [NAME...] | root NAME | test [--smoke] NAME... | check" ;;
esac
