# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers of the boot tests (sourced inside the VM by
# activation-guest.bash and packaging-reboot-guest.bash): result lines,
# fsync'd data generations, the power cut, and the checks that a cached LV
# came back by itself at boot.
# The caller sets: OUT (the host directory shared by tests/vm/run --outdir),
# WC (the wcachectl to run), VG, MNT.
# Results are "WCT ok - ..." / "WCT not ok - ..." lines on the console; the
# host turns them into TAP (tests/boot/host-lib.bash, collect).

say() { echo "WCT $*" >/dev/console; echo "WCT $*"; }
ok() { say "ok - $1"; }
notok() { say "not ok - $1"; shift; for l in "$@"; do say "# $l"; done; }
check() {	# check DESCRIPTION COMMAND...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else notok "$d" "$(echo "$out" | tail -n 8 | tr '\n' '|')"; fi
}
diag() { say "# $*"; }

# the dm device (dm-N) a path resolves to
kname() { basename "$(readlink -f "$1")"; }
dm_uuid() { cat "/sys/block/$1/dm/uuid" 2>/dev/null; }

# generation G: files written and fsync'd, then their checksums on the host
write_gen() {
	local g=$1 i d=$MNT/gen$1
	mkdir -p "$d"
	for i in $(seq 1 12); do
		dd if=/dev/urandom of="$d/f$i" bs=64k count=$((i * 3)) conv=fsync status=none || return 1
	done
	# an in-place overwrite of a file every generation rewrites
	dd if=/dev/urandom of="$MNT/shared" bs=64k count=32 conv=fsync,notrunc status=none || return 1
	sync -f "$MNT/shared" "$d" "$MNT"
	(cd "$MNT" && sha256sum "gen$g"/f* shared) >"$OUT/gen$g.sha.tmp" &&
		mv "$OUT/gen$g.sha.tmp" "$OUT/gen$g.sha"
	# the previous generations' lists no longer hold for "shared"
}

verify_gens() {	# every generation up to $1: its own files; "shared" of the last
	local g last=$1 rc=0
	for g in $(seq 1 "$last"); do
		[ -f "$OUT/gen$g.sha" ] || { echo "no gen$g.sha"; return 1; }
		if [ "$g" = "$last" ]; then
			(cd "$MNT" && sha256sum --quiet -c "$OUT/gen$g.sha") || rc=1
		else
			(cd "$MNT" && grep -v ' shared$' "$OUT/gen$g.sha" | sha256sum --quiet -c -) || rc=1
		fi
	done
	return $rc
}

dirty() { "$WC" status "$VG/slow" --json 2>/dev/null | jq -r '.dirty_blocks // "?"'; }

powercut() {
	diag "dirty blocks in the cache at the power cut: $(dirty)"
	# the harness's marker, given time to leave the serial port before the
	# reset (the data that must survive was fsync'd: the delay changes nothing)
	echo "WCACHE-VM-POWERCUT" >/dev/console
	sleep 1
	"${WCACHE_REPO:-$PWD}/tests/vm/powercut"
}

# the cached device, the links and the hidden origin
device_checks() {
	local fsuuid=$1 k ko
	k=$(kname "/dev/mapper/$VG-slow")
	check "/dev/$VG/slow is the cache mapping (DM uuid WCACHE-)" \
		bash -c "[ \"\$(basename \$(readlink -f /dev/$VG/slow))\" = $k ] && grep -q '^WCACHE-' /sys/block/$k/dm/uuid"
	check "/dev/disk/by-uuid/<fs uuid> is the cache mapping, not the bare origin" \
		test "$(kname "/dev/disk/by-uuid/$fsuuid")" = "$k"
	ko=$(kname "/dev/mapper/$VG-slow_wco")
	check "the origin is hidden from udev's disk rules and systemd" \
		bash -c "udevadm info -q property /dev/$ko | grep -qx SYSTEMD_READY=0 && ! udevadm info -q property /dev/$ko | grep -q '^ID_FS_UUID='"
	check "no /dev/disk/by-* link leads to the origin" \
		bash -c "! find /dev/disk -type l -exec readlink -f {} \\; | grep -qx /dev/$ko"
}

# systemd boot: wcache-activate@VG.service brought the cached LV back and
# fstab mounted it by filesystem UUID at MNT, after the unit (nothing of the
# test activated anything)
boot_activation_checks() {	# [UNIT]: the unit that assembles the pairing
	local ta tm unit=${1:-wcache-activate@$VG.service}
	if [ "$unit" = "wcache-activate@$VG.service" ]; then
		check "$unit succeeded" systemctl is-active -q "$unit"
	else
		# it also fails for the hostile evilvg, and says so; $VG/slow is its job here
		check "$unit assembled $VG/slow" bash -c \
			"journalctl -b -u $unit -o cat --no-pager | grep -qx '$VG/slow is active (/dev/$VG/slow)'"
	fi
	check "$MNT was mounted at boot from fstab (by UUID)" findmnt -n "$MNT"
	check "... from the cache mapping" \
		test "$(kname "$(findmnt -n -o SOURCE "$MNT")")" = "$(kname "/dev/mapper/$VG-slow")"
	ta=$(systemctl show -P ExecMainExitTimestampMonotonic "$unit")
	tm=$(systemctl show -P ActiveEnterTimestampMonotonic "$(systemd-escape -p --suffix=mount "$MNT")")
	check "... after $unit finished" test "${ta:-0}" -gt 0 -a "${tm:-0}" -ge "${ta:-0}"
}
