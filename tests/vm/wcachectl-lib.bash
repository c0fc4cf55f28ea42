# SPDX-License-Identifier: GPL-2.0
# Helpers for tests/vm/wcachectl*.bats (run inside the test VM as root).
#
# A volume group "wcvg" on two RAM disks: /dev/ram0 holds the origins,
# /dev/ram1 the cachevols. Each test makes fresh LVs and removes them.

export LVM_SUPPRESS_FD_WARNINGS=1
WC=${WCACHE_REPO:-$PWD}/tools/wcachectl
VG=wcvg

# modprobe, or insmod through the text modules.dep when the binary
# index is missing in the guest
load_mod() {
	local name=$1 k dep path
	shift
	modprobe -q "$name" "$@" 2>/dev/null && return 0
	k=/lib/modules/$(uname -r)
	name=${name//-/_}
	grep -q "^${name} " /proc/modules && return 0
	path=$(grep -E "/(${name}|${name//_/-})\.ko(\.[a-z]+)?:" "$k/modules.dep" | head -n1)
	[ -n "$path" ] || { echo "no module $name" >&2; return 1; }
	for dep in ${path#*:}; do
		dep=$(basename "$dep")
		dep=${dep%%.ko*}
		load_mod "$dep" || return 1
	done
	grep -q "^${name} " /proc/modules || insmod "$k/${path%%:*}" "$@"
}

# once per file
wc_setup_vg() {
	load_mod dm-mod
	load_mod dm-writecache
	load_mod dm-delay
	load_mod ext4
	# libcrc32c needs a crc32c implementation (a soft dependency)
	load_mod crc32c-intel 2>/dev/null || load_mod crc32c_generic
	load_mod dm-wcache || echo "dm-wcache module not loadable" >&2
	load_mod brd rd_nr=2 rd_size=${WC_RD_KB:-262144} || return 1
	udevadm settle
	pvcreate -q -y /dev/ram0 /dev/ram1 >/dev/null
	vgcreate -q $VG /dev/ram0 /dev/ram1 >/dev/null
}

wc_teardown_vg() {
	vgremove -q -f $VG >/dev/null 2>&1
	pvremove -q -y /dev/ram0 /dev/ram1 >/dev/null 2>&1
	rmmod brd 2>/dev/null || true
}

# fresh origin (slow, on ram0) and cachevol (fast, on ram1)
wc_new_lvs() {
	lvcreate -q -y -W y -n slow -L ${1:-128M} $VG /dev/ram0 >/dev/null
	lvcreate -q -y -W y -n fast -L ${2:-64M} $VG /dev/ram1 >/dev/null
}

# run (bats) a command that must succeed, its output shown; $output stays
run_ok() {
	run "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

# undo whatever a test left behind
wc_cleanup() {
	umount /mnt/wc 2>/dev/null || true
	"$WC" split $VG/slow --force >/dev/null 2>&1 || true
	for d in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do
		case $d in $VG-*) dmsetup remove --retry "$d" 2>/dev/null || true ;; esac
	done
	lvremove -q -f $VG >/dev/null 2>&1 || true
}

# compare with an earlier vg_state, showing both when they differ
same_state() {
	local now
	now=$(vg_state)
	[ "$now" = "$1" ] && return 0
	echo "state before:"; echo "$1"; echo "state now:"; echo "$now"
	return 1
}

# facts about an LV: "attr tags" (empty if absent)
lv_field() {
	lvs --noheadings -o "$2" $VG/"$1" 2>/dev/null | sed 's/^ *//;s/ *$//'
}

lv_exists() {
	lvs $VG/"$1" >/dev/null 2>&1
}

dm_exists() {
	dmsetup info "$1" >/dev/null 2>&1
}

# every LV of the VG as "name attr tags", sorted: compares whole states
vg_state() {
	udevadm settle
	lvs -a --noheadings -o lv_name,lv_attr,lv_tags $VG | sed 's/^ *//' | sort
}
