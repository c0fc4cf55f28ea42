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
#   one boot with LVM's event_activation=0 (no udev-driven VG activation, as
#     when the initramfs activated the VG): wcache-activate-all.service
#     alone brings the mapping back; everything verifies; a swap file on the
#     cached LV makes wcache-hibernate-check.service refuse hibernation;
#     power cut
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

# event_activation=0: the template unit is never pulled in by udev, the
# sysinit unit wcache-activate-all.service (enabled as make install does)
# has to assemble the pairing before fstab mounts it
prepare "$tmp/prep-evact0.sh" 30 defaults
cat >>"$tmp/prep-evact0.sh" <<PREP
sed "s|/usr/sbin/wcachectl|$REPO/tools/wcachectl|g" $REPO/boot/wcache-activate-all >/etc/wcache-activate-all
chmod 755 /etc/wcache-activate-all
sed -i -e "s|^ExecStart=/usr/lib/wcache/wcache-activate-all|ExecStart=/etc/wcache-activate-all|" \
	-e "s|^ConditionPathExists=/usr/sbin/wcachectl|ConditionPathExists=$REPO/tools/wcachectl|" \
	/etc/systemd/system/wcache-activate-all.service
mkdir -p /etc/systemd/system/sysinit.target.wants
ln -sf ../wcache-activate-all.service /etc/systemd/system/sysinit.target.wants/
printf 'global {\n\tevent_activation = 0\n}\n' >/etc/lvm/lvmlocal.conf
# the hibernation check, required by systemd's hibernating services
install -m 0755 $REPO/boot/wcache-hibernate-check /etc/wcache-hibernate-check
sed -i -e "s|/usr/lib/wcache/wcache-hibernate-check|/etc/wcache-hibernate-check|" \
	/etc/systemd/system/wcache-hibernate-check.service
for s in systemd-hibernate.service systemd-hybrid-sleep.service systemd-suspend-then-hibernate.service; do
	mkdir -p /etc/systemd/system/\$s.requires
	ln -sf ../wcache-hibernate-check.service /etc/systemd/system/\$s.requires/
done
PREP
boot "event_activation=0" "$tmp/evact0.log" --systemd --prepare "$tmp/prep-evact0.sh" \
	--disk "$A" --disk "$B" --disk "$C" -- bash $GUEST evact0 "$OUT" $gen
gen=$((gen + 1))

prepare "$tmp/prep-missing.sh" 5 "nofail,x-systemd.device-timeout=20s"
boot "cachevol disk missing" "$tmp/missing.log" --systemd --prepare "$tmp/prep-missing.sh" \
	--disk "$A" --disk "$C" -- bash $GUEST missing "$OUT"

boot "all disks back" "$tmp/back.log" --systemd --prepare "$tmp/prep-normal.sh" \
	--disk "$A" --disk "$B" --disk "$C" -- bash $GUEST verify "$OUT" $gen

echo "1..$n"
[ "$failed" = 0 ]
