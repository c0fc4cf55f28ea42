#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root on a cached LV, booted through the GENERATED initramfs (TAP):
#   on the host, tests/boot/mkinitrd-host: in a throwaway overlay of this
#     machine's root, "make install" regenerates the initramfs-tools image
#     (update-initramfs -u); dracut (unpacked from its .debs) builds one with
#     the installed 90wcache module
#   boot 1 (harness initramfs, tests/boot/initramfs-guest.bash): a root
#     file system (static busybox + initramfs-rootinit.busybox as /sbin/init) on
#     wcvg/root cached by wcvg/fast; the hide rule's checks; fsync'd data;
#     power cut with the data dirty in the cache
#   boot 2: Debian's kernel with the initramfs-tools image, root=UUID=<fs>,
#     virtio disks only; the root's /sbin/init checks that / is the cache
#     mapping and the origin is neither mounted nor linked, prints the data's
#     checksums (compared here with those recorded at fsync time), writes
#     the next generation with fsync and cuts the power
#   boot 3: the same with the dracut image (skipped without dracut's .debs),
#     and rd.lvm.lv=wcvg/root_wco: dracut's "lvchange -K -ay" activates the
#     origin itself, which must stay hidden (its tags) and never be mounted
#   then the module missing, and hibernation through a swap on a cached LV
#     (see below)
set -u
cd "$(dirname "$0")/../.." || exit 1
RUN=tests/vm/run
tmp=$(mktemp -d /var/tmp/wcache-initramfs.XXXXXX)
[ -n "${WCACHE_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
OUT=$tmp/out
mkdir -p "$OUT"
A=$tmp/vda.img B=$tmp/vdb.img
n=0 failed=0

. tests/boot/host-lib.bash

tap() {	# tap OK|NOTOK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# the data sums printed by the booted root (WCSUM) against those recorded
verify_sums() {	# verify_sums LOG GEN WHAT
	local log=$1 last=$(($2 - 1)) what=$3 g want got
	want=$tmp/want.$2 got=$tmp/got.$2
	for g in $(seq 1 "$last"); do grep -v ' shared$' "$OUT/gen$g.sha"; done >"$want"
	grep ' shared$' "$OUT/gen$last.sha" >>"$want"
	sed -n 's/^.*WCSUM \([0-9a-f]\{64\}  .*\)$/\1/p' "$log" | tr -d '\r' | sort -u >"$got"
	if grep -q 'WCSUM-END' "$log" && [ -z "$(sort -u "$want" | comm -23 - "$got")" ]; then
		tap OK "[$what] every file fsync'd before the power cut verifies (generations 1-$last, $(wc -l <"$want") files)"
	else
		tap NOTOK "[$what] every file fsync'd before the power cut verifies (generations 1-$last)"
		sort -u "$want" | comm -23 - "$got" | head -n 5 | sed 's/^/# missing or wrong: /'
	fi
	# what this boot wrote, for the next one
	sed -n 's/^.*WCNEW \([0-9a-f]\{64\}  .*\)$/\1/p' "$log" | tr -d '\r' | sort -u >"$OUT/gen$2.sha"
}

contents() {	# contents IMAGE FLAVOUR: what the hook or module must carry
	local f miss=0 want="usr/sbin/wcachectl /dm-wcache.ko$ /dm-writecache.ko lib/udev/rules.d/12-wcache-hide.rules$
		lib/udev/rules.d/69-wcache.rules$ lib/udev/wcache-part$ usr/lib/wcache/wcache-activate-all$ liblvm2cmd.so"
	lsinitramfs "$1" >"$tmp/list-$2" || return 1
	case $2 in
	itools) want="$want scripts/local-top/wcache$ scripts/local-block/wcache$ scripts/local-premount/wcache$" ;;
	dracut) want="$want hooks/initqueue/settled/60-wcache-settled.sh$ hooks/pre-mount/50-wcache-rw.sh$" ;;
	esac
	for f in $want; do
		grep -q -- "$f" "$tmp/list-$2" || { echo "# $2 image lacks $f"; miss=1; }
	done
	return $miss
}

K=""
for v in $(ls /lib/modules 2>/dev/null | sort -V); do
	[ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/kernel" ] && K=$v
done
# both images at once (each in its own namespace and overlay)
fls=itools
ls "${WCACHE_VM_CACHE:-/var/tmp/wcache-vm}"/debs/dracut-core_*.deb >/dev/null 2>&1 && fls="itools dracut"
t=$SECONDS
for fl in $fls; do
	# WCACHE_INITRD_DIR: images of an earlier run (debugging the boots)
	if [ -s "${WCACHE_INITRD_DIR:-/nonexistent}/initrd-$fl.img" ]; then
		cp "$WCACHE_INITRD_DIR/initrd-$fl.img" "$OUT/"
		continue
	fi
	tests/boot/mkinitrd-host $fl "$K" "$OUT/initrd-$fl.img" >"$tmp/mkinitrd-$fl.log" 2>&1 &
done
wait
for fl in $fls; do
	if [ -s "$OUT/initrd-$fl.img" ] && contents "$OUT/initrd-$fl.img" $fl; then
		tap OK "$fl: the generated initramfs carries wcachectl, dm-wcache.ko, the rules and the boot scripts"
	else
		tap NOTOK "$fl: generate the initramfs"
		tail -n 20 "$tmp/mkinitrd-$fl.log" | sed 's/^/# /'
	fi
done
echo "# images generated in $((SECONDS - t)) s"

boot "setup" "$tmp/setup.log" --timeout 2400 --disk "$A:384M" --disk "$B:128M" -- \
	bash tests/boot/initramfs-guest.bash setup "$OUT"
if [ ! -s "$OUT/fsuuid" ] || [ ! -s "$OUT/gen1.sha" ] || [ ! -s "$OUT/initrd-itools.img" ]; then
	echo "Bail out! the set-up boot did not produce a root file system, data and an initramfs"
	echo "1..$n"
	exit 1
fi

gen=2
for fl in itools dracut; do
	img=$OUT/initrd-$fl.img
	if [ ! -s "$img" ]; then
		n=$((n + 1))
		echo "ok $n - # SKIP no $fl image (dracut's .debs: scripts/install-deps.sh)"
		continue
	fi
	what="$fl initramfs"
	extra=""
	[ $fl = dracut ] && extra="rd.lvm.lv=wcvg/root_wco"
	boot "$what" "$tmp/$fl.log" --timeout 1500 --initrd "$img" --disk "$A" --disk "$B" \
		--append "root=UUID=$(cat "$OUT/fsuuid") rw rootwait rootdelay=60 init=/sbin/init quiet loglevel=3 wcache.vg=wcvg wcache.gen=$gen wcache.fsuuid=$(cat "$OUT/fsuuid") wcache.bkuuid=$(cat "$OUT/bkuuid") $extra"
	verify_sums "$tmp/$fl.log" "$gen" "$what"
	gen=$((gen + 1))
done

# The module missing for the running kernel (a DKMS build that failed): the
# initramfs-tools image without dm-wcache.ko. The origin must stay hidden and
# unmounted, and the console must name the offline recovery.
if [ -s "$OUT/initrd-itools.img" ]; then
	what="itools initramfs, dm-wcache.ko missing"
	nm=$tmp/nomod
	rm -rf "$nm" && mkdir -p "$nm/x"
	(cd "$nm/x" && gzip -dc "$OUT/initrd-itools.img" | cpio -id --quiet) &&
		find "$nm/x" -name dm-wcache.ko -delete &&
		(cd "$nm/x" && find . | cpio -o -H newc --quiet | gzip -1) >"$nm/initrd.img"
	t=$SECONDS
	"$RUN" --timeout 1200 --initrd "$nm/initrd.img" --disk "$A" --disk "$B" \
		--append "root=UUID=$(cat "$OUT/fsuuid") rw rootdelay=20 init=/sbin/init quiet loglevel=3 wcache.vg=wcvg wcache.gen=$gen" \
		>"$tmp/nomod.log" 2>&1
	echo "# $what: $((SECONDS - t)) s"
	log=$tmp/nomod.log
	if grep -q "wcachectl writeback --offline wcvg/root" "$log" && grep -q "stays inactive" "$log"; then
		tap OK "[$what] the console says the cached LV stays inactive and names 'wcachectl writeback --offline wcvg/root'"
	else
		tap NOTOK "[$what] the console names the offline recovery"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
	if grep -q "ALERT!.*does not exist" "$log" && ! grep -q "WCSUM-END\|WCT ok" "$log"; then
		tap OK "[$what] the root (and so the bare origin) was never mounted: the initramfs gave up on root=UUID"
	else
		tap NOTOK "[$what] the root was never mounted"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
	grep -m1 "stays inactive" "$log" | cut -c1-300 | sed 's/^/# console: /'
fi

# Hibernation (initramfs-tools), swap on the plain LV wcvg/swap, resume=:
#   H1: no image yet: local-top loads the caches read-only, local-premount
#     makes them read-write after the resume attempt, root is mounted;
#     the root writes a generation (dirty in its cache) and hibernates
#   H2: the initramfs loads the cache read-only (nothing written behind
#     the hibernated kernel's back), local-premount/resume finds the image
#     and resumes; the resumed root checks and writes the next generation,
#     power cut
#   H3: a plain boot: every generation verifies
# (WCACHE_CHECK_QUICK=1, make check: not run; make check-full runs them)
if [ "${WCACHE_CHECK_QUICK:-0}" = 1 ]; then
	n=$((n + 1))
	echo "ok $n - # SKIP hibernation and resume (3 boots): make check-full runs them"
elif [ -s "$OUT/initrd-itools.img" ] && [ -s "$OUT/swapuuid" ]; then
	res="resume=UUID=$(cat "$OUT/swapuuid")"
	common="root=UUID=$(cat "$OUT/fsuuid") rw rootwait rootdelay=60 init=/sbin/init quiet loglevel=3 wcache.vg=wcvg wcache.fsuuid=$(cat "$OUT/fsuuid") wcache.bkuuid=$(cat "$OUT/bkuuid")"
	# itools_boot WHAT LOG APPEND: one boot of the itools image, its data verified
	itools_boot() {
		boot "$1" "$2" --timeout 1500 --initrd "$OUT/initrd-itools.img" --disk "$A" --disk "$B" \
			--append "$3 wcache.gen=$gen"
		verify_sums "$2" "$gen" "$1"
		gen=$((gen + 1))
	}
	# expect WHAT LOG DESCRIPTION COMMAND...: a TAP line; the log's cache lines when not
	expect() {
		local what=$1 log=$2 d=$3
		shift 3
		if "$@"; then
			tap OK "[$what] $d"
		else
			tap NOTOK "[$what] $d"
			grep -E "wcvg/(root|swap)|read-write|PM: " "$log" | head -n 10 | sed 's/^/# /'
		fi
	}
	itools_boot "hibernate (itools)" "$tmp/hib1.log" "$common $res wcache.hibernate=1"
	expect "hibernate (itools)" "$tmp/hib1.log" \
		"the initramfs loaded the caches read-only before the resume attempt, read-write after it" \
		sh -c 'grep -q "wcvg/root is active read-only" "$1" && grep -q "wcvg/root: loaded read-write" "$1"' _ "$tmp/hib1.log"
	itools_boot "resume (itools)" "$tmp/hib2.log" "$common $res"
	expect "resume (itools)" "$tmp/hib2.log" \
		"the image was resumed with the cache read-only, and nothing made it read-write" \
		sh -c 'grep -q "wcvg/root is active read-only" "$1" && ! grep -q "loaded read-write" "$1" &&
		       grep -q "WCT ok - resumed from hibernation" "$1"' _ "$tmp/hib2.log"
	itools_boot "after the resume (itools)" "$tmp/hib3.log" "$common"
fi

echo "1..$n"
[ "$failed" = 0 ]
