#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /sbin/init of the small root file system that tests/boot/initramfs.sh puts
# on a cached LV (static busybox and this script). Runs as PID 1 after the
# generated initramfs (initramfs-tools or dracut) mounted the root by UUID:
# checks that the root is the cache mapping and the origin is neither
# mounted nor reachable by a /dev/disk link, prints the checksums of the
# data files (the host compares them with those recorded when they were
# fsync'd), writes generation wcache.gen with fsync, and cuts the power.
# Kernel command line: wcache.gen=N wcache.fsuuid=U wcache.bkuuid=U wcache.vg=VG
export PATH=/bin
# the applets' links (one busybox call: quicker than making them in TCG)
[ -e /bin/sh ] || /bin/busybox --install -s /bin
arg() { sed -n "s/.*wcache\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "WCT $*" >/dev/console; }
ok() { say "ok - $1"; }
notok() { say "not ok - $1"; [ -n "${2:-}" ] && say "# $2"; }
check() {	# check DESCRIPTION COMMAND...
	d=$1
	shift
	if out=$("$@" 2>&1); then ok "$d"; else notok "$d" "$(echo "$out" | tail -n 4 | tr '\n' '|')"; fi
}

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
gen=$(arg gen) fsuuid=$(arg fsuuid) bkuuid=$(arg bkuuid) vg=$(arg vg)

# the dm-N whose DM name is $1
dm_by_name() {
	for d in /sys/block/dm-*; do
		[ "$(cat "$d/dm/name" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}
rootdev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo | tail -n 1)
rootdm=$(basename "$(readlink -f "/sys/dev/block/$rootdev")")
origin=$(dm_by_name "$vg-root_wco")
say "# root $rootdev ($rootdm, DM uuid $(cat /sys/block/$rootdm/dm/uuid 2>/dev/null)), origin ${origin:-not active}"

check "the root file system is mounted from the cache mapping (DM uuid WCACHE-)" \
	grep -q '^WCACHE-' "/sys/block/$rootdm/dm/uuid"
check "... named $vg-root" test "$(cat /sys/block/$rootdm/dm/name)" = "$vg-root"
check "the origin $vg/root_wco is active under it and not mounted" \
	sh -c "[ -n '$origin' ] && [ -e /sys/block/$rootdm/slaves/$origin ] &&
	       ! grep -q \" \$(cat /sys/block/$origin/dev) \" /proc/self/mountinfo"
check "/dev/disk/by-uuid/<root fs uuid> is the cache mapping" \
	test "$(basename "$(readlink -f "/dev/disk/by-uuid/$fsuuid")")" = "$rootdm"
check "no /dev/disk link leads to the origin" \
	sh -c "! for l in \$(find /dev/disk -type l); do readlink -f \$l; done | grep -qx /dev/$origin"
bk=$(dm_by_name "$vg-backup_wco")
if [ -n "$bk" ]; then
	check "the user's LV $vg/backup_wco (not ours) keeps its /dev/disk/by-uuid link" \
		test "$(basename "$(readlink -f "/dev/disk/by-uuid/$bkuuid")")" = "$bk"
else
	say "# $vg/backup_wco was not activated by this initramfs"
fi

# the data: the host compares these with the sums recorded at fsync time
cd / && for f in gen*/f* shared; do
	[ -f "$f" ] && echo "WCSUM $(sha256sum "$f")" >/dev/console
done
echo "WCSUM-END" >/dev/console

mkdir -p "/gen$gen" && ok=1
i=1
while [ $i -le 8 ]; do
	dd if=/dev/urandom of="/gen$gen/f$i" bs=64k count=$((i * 2)) conv=fsync 2>/dev/null || ok=0
	i=$((i + 1))
done
dd if=/dev/urandom of=/shared bs=64k count=16 conv=fsync,notrunc 2>/dev/null || ok=0
sync
if [ $ok = 1 ]; then ok "generation $gen written with fsync"; else notok "generation $gen written with fsync"; fi
for f in /gen$gen/f* /shared; do
	echo "WCNEW $(cd / && sha256sum "${f#/}")" >/dev/console
done

BAD='(-+\[ cut here \]-+|WARNING: |BUG: |kernel BUG|Oops|Call Trace|general protection fault|possible (recursive|circular) locking|lockdep|UBSAN|KASAN|blocked for more than|RIP: )'
if dmesg | grep -Eq "$BAD"; then
	dmesg | grep -E -A20 "$BAD" | head -n 40 >/dev/console
	echo "WCACHE-VM-DMESG-BAD" >/dev/console
fi
# the power cut: no sync, no unmount (the data above was fsync'd)
echo "WCACHE-VM-POWERCUT" >/dev/console
echo "<0>WCACHE-VM-POWERCUT" >/dev/kmsg
sleep 1
echo b >/proc/sysrq-trigger
while :; do sleep 1; done
