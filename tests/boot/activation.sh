#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot-time activation across dirty power cuts (TAP), host-driven:
#   boot 1 (plain, udevd with udev/*.rules): attach wcvg/slow (vda) with
#     cachevol wcvg/fast (vdb), mkfs, write generation 1 with fsync, a
#     hostile VG evilvg (vdc) whose tags name wcvg's LVs; power cut
#   boots 2..N+1 (systemd as PID 1, udev/*.rules and
#     wcache-activate@.service installed, fstab: UUID=<fs> /mnt/wc): no
#     command of the test activates anything; the mapping is back, mounted
#     by UUID, every fsync'd generation verifies; write the next, power cut
#   one boot without the cachevol's disk: the origin stays inactive, the
#     journal and wcachectl status say why
#   a last boot with every disk again: everything still verifies
# WCACHE_ACTIVATION_CYCLES (default 1, plus the last boot) power-cut boots; the
# soak (tests/soak/activation-soak.sh, or WCACHE_SOAK=1) runs 10. WCACHE_ACTIVATION_TARGET:
# wcache (default) or writecache.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
CYCLES=${WCACHE_ACTIVATION_CYCLES:-1}
# WCACHE_SOAK=1: the soak's 10 cycles (tests/soak/activation-soak.sh)
[ "${WCACHE_SOAK:-0}" = 1 ] && [ -z "${WCACHE_ACTIVATION_CYCLES:-}" ] && CYCLES=10
TARGET=${WCACHE_ACTIVATION_TARGET:-wcache}
RUN=tests/vm/run
GUEST=tests/boot/activation-guest.bash
tmp=$(mktemp -d /var/tmp/wcache-activation.XXXXXX)
[ -n "${WCACHE_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
OUT=$tmp/out
mkdir -p "$OUT"
A=$tmp/vda.img B=$tmp/vdb.img C=$tmp/vdc.img
n=0 failed=0

. tests/boot/host-lib.bash

prepare() {	# prepare FILE WAIT FSTAB_OPTIONS: installs rules/unit/fstab in the guest
	cat >"$1" <<PREP
#!/bin/sh
for f in $REPO/udev/*.rules; do
	sed "s|/usr/sbin/wcachectl|$REPO/tools/wcachectl|g" "\$f" >/etc/udev/rules.d/\${f##*/}
done
for f in $REPO/udev/*.service; do
	sed "s|/usr/sbin/wcachectl|$REPO/tools/wcachectl|g" "\$f" >/etc/systemd/system/\${f##*/}
done
echo "WCACHE_ACTIVATE_WAIT=$2" >/etc/default/wcache
mkdir -p /mnt/wc
echo "UUID=$(cat "$OUT/fsuuid" 2>/dev/null) /mnt/wc ext4 $3 0 0" >>/etc/fstab
PREP
}

boot "setup" "$tmp/setup.log" --disk "$A:512M" --disk "$B:128M" --disk "$C:64M" \
	-- bash $GUEST setup "$OUT" "$TARGET"
if [ ! -s "$OUT/fsuuid" ] || [ ! -s "$OUT/gen1.sha" ]; then
	echo "Bail out! set-up boot did not produce a filesystem and data"
	echo "1..$n"
	exit 1
fi

prepare "$tmp/prep-normal.sh" 30 defaults
gen=2
for c in $(seq 1 "$CYCLES"); do
	boot "power-cut boot $c" "$tmp/cycle$c.log" --systemd --prepare "$tmp/prep-normal.sh" \
		--disk "$A" --disk "$B" --disk "$C" -- bash $GUEST verify "$OUT" $gen
	gen=$((gen + 1))
done

prepare "$tmp/prep-missing.sh" 5 "nofail,x-systemd.device-timeout=20s"
boot "cachevol disk missing" "$tmp/missing.log" --systemd --prepare "$tmp/prep-missing.sh" \
	--disk "$A" --disk "$C" -- bash $GUEST missing "$OUT"

boot "all disks back" "$tmp/back.log" --systemd --prepare "$tmp/prep-normal.sh" \
	--disk "$A" --disk "$B" --disk "$C" -- bash $GUEST verify "$OUT" $gen

echo "1..$n"
[ "$failed" = 0 ]
