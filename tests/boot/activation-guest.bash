#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/boot/activation.sh (runs inside the VM as root).
#   activation-guest.bash setup OUT TARGET   (plain boot, udevd): VG wcvg on
#       vda (origin) + vdb (cachevol), attach, mkfs, generation 1, power cut;
#       VG evilvg on vdc with hostile tags naming wcvg's LVs
#   activation-guest.bash verify OUT GEN     (systemd boot): the mapping came
#       back by itself, fstab mounted it by UUID, generations 1..GEN-1
#       verify; write generation GEN, power cut
#   activation-guest.bash missing OUT        (systemd boot without vdb): the
#       origin stays inactive and the journal and status say why
# Results are "WCT ok - ..." / "WCT not ok - ..." lines on the console.
export LVM_SUPPRESS_FD_WARNINGS=1
mode=$1 OUT=$2
REPO=${WCACHE_REPO:-$PWD}
WC=$REPO/tools/wcachectl
VG=wcvg
MNT=/mnt/wc

. "$REPO/tests/boot/guest-lib.bash"

install_rules() {	# for the plain (non-systemd) setup boot
	local f
	mkdir -p /etc/udev/rules.d
	for f in "$REPO"/udev/*.rules; do
		sed "s|/usr/sbin/wcachectl|$WC|g" "$f" >"/etc/udev/rules.d/${f##*/}"
	done
	udevadm control --reload
}

# the hostile VG: LVs whose tags point at wcvg's LVs
evil_vg() {
	local fast_uuid hex=0123456789abcdef0123456789abcdef
	pvcreate -q -y /dev/vdc >/dev/null && vgcreate -q evilvg /dev/vdc >/dev/null || return 1
	lvcreate -q -y -W y -n slow_wco -L 8M evilvg >/dev/null || return 1
	lvcreate -q -y -W y -n x_wco -L 8M evilvg >/dev/null || return 1
	fast_uuid=$(lvs --noheadings -o lv_uuid $VG/fast | tr -d ' ')
	# complete origin tags, the cachevol named by the uuid of wcvg/fast
	lvchange -q --addtag wcache.v=1 --addtag wcache.name=slow \
		--addtag "wcache.cachevol=$fast_uuid" --addtag wcache.uuid=$hex \
		--addtag wcache.state=attached --addtag wcache.target=wcache \
		--addtag wcache.mode=s --addtag wcache.bs=4096 --addtag wcache.skip=0 \
		evilvg/slow_wco >/dev/null || return 1
	# a name that is a path into wcvg
	lvchange -q --addtag wcache.v=1 --addtag wcache.name=wcvg/slow \
		--addtag "wcache.cachevol=$fast_uuid" --addtag wcache.uuid=$hex \
		--addtag wcache.state=attached --addtag wcache.target=wcache \
		--addtag wcache.mode=s --addtag wcache.bs=4096 --addtag wcache.skip=0 \
		evilvg/x_wco >/dev/null || return 1
	vgchange -q -an evilvg >/dev/null
}

# wcvg as it is now: LV names, attributes and tags
wcvg_state() { lvs --noheadings -o lv_name,lv_attr,lv_tags $VG | sed 's/^ *//' | sort; }

evil_checks() {
	local before after out rc
	before=$(wcvg_state)
	out=$("$WC" activate evilvg 2>&1)
	rc=$?
	after=$(wcvg_state)
	check "activate of a VG whose tags name another VG's LV fails" test "$rc" -ne 0
	check "... and says the cachevol is not in that VG" \
		grep -q "is missing from volume group evilvg" <<<"$out"
	check "... and refuses the tag that is a path into another VG" \
		grep -q "x_wco: ignoring its cache tags" <<<"$out"
	check "... and changed nothing in wcvg" test "$before" = "$after"
	check "... and loaded no mapping for evilvg" bash -c '! dmsetup info evilvg-slow >/dev/null 2>&1'
	diag "$(echo "$out" | tr '\n' '|')"
}

case $mode in
setup)
	TARGET=$3
	modprobe dm-wcache 2>/dev/null
	install_rules
	# vdb plays the SSD: virtio disks say rotational, and attach refuses a rotational cache
	echo 0 >/sys/block/vdb/queue/rotational
	pvcreate -q -y /dev/vda /dev/vdb >/dev/null && vgcreate -q $VG /dev/vda /dev/vdb >/dev/null
	lvcreate -q -y -W y -n slow -L 400M $VG /dev/vda >/dev/null &&
		lvcreate -q -y -W y -n fast -L 96M $VG /dev/vdb >/dev/null
	check "attach $VG/slow --cachevol fast --target $TARGET" \
		"$WC" attach $VG/slow --cachevol fast --yes --target "$TARGET"
	check "mkfs.ext4 on /dev/$VG/slow" mkfs.ext4 -q -F /dev/$VG/slow
	udevadm settle
	fsuuid=$(blkid -s UUID -o value /dev/$VG/slow)
	echo "$fsuuid" >"$OUT/fsuuid"
	device_checks "$fsuuid"
	check "origin and cachevol carry LVM's activation skip flag" \
		bash -c "lvs --noheadings --binary -o lv_name,lv_skip_activation $VG | grep -E 'slow_wco +1' && lvs --noheadings --binary -o lv_name,lv_skip_activation $VG | grep -E ' fast +1'"
	mkdir -p $MNT
	mount /dev/$VG/slow $MNT && check "generation 1 written with fsync" write_gen 1
	evil_vg || notok "create the hostile VG evilvg"
	evil_checks
	sync -f "$OUT/gen1.sha" 2>/dev/null
	powercut
	;;
verify)
	gen=$3
	fsuuid=$(cat "$OUT/fsuuid")
	# nothing here activates anything: systemd did (fstab: UUID=... /mnt/wc)
	boot_activation_checks
	device_checks "$fsuuid"
	check "all data fsync'd before the power cut verifies (generations 1-$((gen - 1)))" \
		verify_gens $((gen - 1))
	# (evilvg's plain LVs are LVM's to autoactivate: they carry no skip flag)
	check "the hostile evilvg's unit failed and loaded no cache mapping" \
		bash -c "systemctl is-failed -q wcache-activate@evilvg.service && ! dmsetup info evilvg-slow >/dev/null 2>&1"
	journalctl -b -u wcache-activate@$VG.service -u wcache-activate@evilvg.service -o cat --no-pager |
		head -n 12 | while read -r l; do diag "journal: $l"; done
	check "generation $gen written with fsync" write_gen "$gen"
	powercut
	;;
evact0)
	gen=$3
	fsuuid=$(cat "$OUT/fsuuid")
	check "LVM runs with event_activation=0" \
		test "$(lvmconfig --type current global/event_activation)" = "event_activation=0"
	check "udev did not pull in wcache-activate@$VG.service" \
		bash -c "! systemctl is-active -q wcache-activate@$VG.service"
	boot_activation_checks wcache-activate-all.service
	device_checks "$fsuuid"
	check "all data fsync'd before the power cut verifies (generations 1-$((gen - 1)))" \
		verify_gens $((gen - 1))
	journalctl -b -u wcache-activate-all.service -o cat --no-pager |
		head -n 8 | while read -r l; do diag "journal: $l"; done
	# hibernation with a swap on the cached LV is refused
	check "no swap: the hibernation check lets hibernation go on" /etc/wcache-hibernate-check
	sf=$MNT/swapfile
	dd if=/dev/zero of=$sf bs=1M count=32 status=none && chmod 600 $sf && mkswap -q $sf && swapon $sf
	check "a swap file on the cached LV: the check refuses, naming it" \
		bash -c "! /etc/wcache-hibernate-check 2>/tmp/hc && grep -q 'hibernation refused: the swap $sf is on the cache mapping $VG-slow' /tmp/hc"
	systemctl start hibernate.target >/dev/null 2>&1
	check "systemctl start hibernate.target: wcache-hibernate-check.service failed, systemd-hibernate.service never ran" \
		bash -c "systemctl is-failed -q wcache-hibernate-check.service &&
			 [ \"\$(systemctl show -P ExecMainStartTimestampMonotonic systemd-hibernate.service)\" = 0 ] &&
			 journalctl -b -u wcache-hibernate-check.service -o cat --no-pager | grep -q 'hibernation refused'"
	journalctl -b -u wcache-hibernate-check.service -o cat --no-pager | head -n 3 | while read -r l; do diag "journal: $l"; done
	swapoff $sf; rm -f $sf
	check "generation $gen written with fsync" write_gen "$gen"
	powercut
	;;
missing)
	fsuuid=$(cat "$OUT/fsuuid")
	# the unit waits WCACHE_ACTIVATE_WAIT s for the missing PV, then fails
	for i in $(seq 1 120); do
		st=$(systemctl show -P ActiveState "wcache-activate@$VG.service")
		[ "$st" = failed ] || [ "$st" = active ] && break
		sleep 1
	done
	check "wcache-activate@$VG.service failed (state $st)" test "$st" = failed
	check "the origin stays inactive" bash -c "! dmsetup info $VG-slow_wco >/dev/null 2>&1"
	check "no cache mapping, no /dev/$VG/slow" \
		bash -c "! dmsetup info $VG-slow >/dev/null 2>&1 && [ ! -e /dev/$VG/slow ]"
	check "nothing has the filesystem's by-uuid link, nothing is mounted" \
		bash -c "[ ! -e /dev/disk/by-uuid/$fsuuid ] && ! findmnt -n $MNT"
	j=$(journalctl -b -u "wcache-activate@$VG.service" -o cat --no-pager)
	check "the journal says why (cachevol on a missing PV) and what to do" \
		bash -c 'grep -q "missing physical volume" <<<"$1" && grep -q "stays inactive" <<<"$1"' _ "$j"
	echo "$j" | head -n 5 | while read -r l; do diag "journal: $l"; done
	s=$("$WC" status $VG/slow 2>&1)
	check "wcachectl status says why and how to recover" \
		bash -c 'grep -q "problem .*missing physical volume" <<<"$1" && grep -q "activation  failed:" <<<"$1" && grep -q "wcachectl activate" <<<"$1"' _ "$s"
	echo "$s" | while read -r l; do diag "status: $l"; done
	check "status --json reports it" \
		bash -c "'$WC' status $VG/slow --json | jq -e '.partial == true and .active == false and (.activation_error | test(\"missing\"))'"
	;;
esac
exit 0
