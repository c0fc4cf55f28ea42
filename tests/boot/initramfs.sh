#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root on a cached LV, booted through the GENERATED initramfs (TAP):
#   boot 1 (harness initramfs, tests/boot/initramfs-guest.bash): make install
#     in the VM's throwaway root regenerates the initramfs-tools image; dracut
#     (unpacked from its .debs) builds one with the 90wcache module; a root
#     file system (static busybox + initramfs-rootinit.sh as /sbin/init) on
#     wcvg/root cached by wcvg/fast; the hide rule's checks; fsync'd data;
#     power cut with the data dirty in the cache
#   boot 2: Debian's kernel with the initramfs-tools image, root=UUID=<fs>,
#     virtio disks only; the root's /sbin/init checks that / is the cache
#     mapping and the origin is neither mounted nor linked, prints the data's
#     checksums (compared here with those recorded at fsync time), writes
#     the next generation with fsync and cuts the power
#   boot 3: the same with the dracut image (skipped without dracut's .debs)
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

boot "setup" "$tmp/setup.log" --disk "$A:384M" --disk "$B:128M" -- \
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
	boot "$what" "$tmp/$fl.log" --initrd "$img" --disk "$A" --disk "$B" \
		--append "root=UUID=$(cat "$OUT/fsuuid") rw rootwait rootdelay=60 init=/sbin/init quiet loglevel=3 wcache.vg=wcvg wcache.gen=$gen wcache.fsuuid=$(cat "$OUT/fsuuid") wcache.bkuuid=$(cat "$OUT/bkuuid")"
	verify_sums "$tmp/$fl.log" "$gen" "$what"
	gen=$((gen + 1))
done

echo "1..$n"
[ "$failed" = 0 ]
