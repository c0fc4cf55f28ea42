# SPDX-License-Identifier: GPL-2.0
# Helpers for the dm-wcache target tests (sourced by tests/vm/target*.bats and
# bench/target-*.sh, inside the VM).

WC_REPO=${WCACHE_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WC_KVER=$(uname -r)
export DM_DISABLE_UDEV=${DM_DISABLE_UDEV:-}

# Load a module by name.  Falls back to insmod by path (dependencies first)
# when modprobe cannot use the module index.
wc_find_ko() {
	local name=$1 alt m=/lib/modules/$WC_KVER/kernel p
	# well-known paths first: find over 9p under TCG is slow
	for p in drivers/md/$name.ko drivers/block/$name.ko \
		drivers/block/null_blk/$name.ko lib/$name.ko crypto/$name.ko \
		arch/x86/crypto/$name.ko; do
		[ -f "$m/$p" ] && { echo "$m/$p"; return; }
	done
	alt=$(echo "$name" | tr '_-' '-_')
	for p in drivers/md/$alt.ko crypto/$alt.ko arch/x86/crypto/$alt.ko; do
		[ -f "$m/$p" ] && { echo "$m/$p"; return; }
	done
	find "/lib/modules/$WC_KVER/kernel" "/lib/modules/$WC_KVER/updates" \
		\( -name "$name.ko*" -o -name "$alt.ko*" \) 2>/dev/null | head -n 1
}

wc_modprobe() {
	local name=$1 path d
	shift
	modprobe "$name" "$@" 2>/dev/null && return 0
	grep -q "^$(echo "$name" | tr - _) " /proc/modules && return 0
	if [ "$name" = dm-wcache ] || [ "$name" = dm_wcache ]; then
		path=$WC_REPO/kernel/dm-wcache.ko
	else
		path=$(wc_find_ko "$name")
	fi
	[ -n "$path" ] || { echo "module $name not found" >&2; return 1; }
	for d in $(modinfo -F depends "$path" | tr ',' ' '); do
		wc_modprobe "$d" || return 1
	done
	if [ "$name" = libcrc32c ]; then
		wc_modprobe crc32c_generic >/dev/null 2>&1 || true
		wc_modprobe crc32c-intel >/dev/null 2>&1 || true
	fi
	insmod "$path" "$@"
}

wc_load() {
	wc_modprobe dm-mod || return 1
	wc_modprobe dm-wcache
}

# Sizes in MiB.  brd devices are /dev/ram0.. (drop FLUSH: not for durability)
# WC_LBS=4096: null_blk devices with 4 KiB logical blocks (memory backed, no
# volatile cache) instead, linked as /dev/ram0.., so that the same suites
# run on 4Kn devices: WC_LBS=4096 bats tests/vm/target.bats
wc_brd() {
	local n=$1 size_mb=$2 i d
	if [ "${WC_LBS:-512}" != 512 ]; then
		wc_brd_nullb_remove
		for ((i = 0; i < n; i++)); do
			d=$(wc_nullb "wcrd$i" "$size_mb" 0 "$WC_LBS") || return 1
			ln -sf "$d" "/dev/ram$i"
		done
		return 0
	fi
	grep -q '^brd ' /proc/modules && rmmod brd
	wc_modprobe brd rd_nr="$n" rd_size=$((size_mb * 1024))
}

wc_brd_nullb_remove() {
	local d
	for d in /sys/kernel/config/nullb/wcrd*; do
		[ -d "$d" ] || continue
		rm -f "/dev/ram${d##*wcrd}"
		echo 0 >"$d/power" 2>/dev/null || true
		rmdir "$d" || return 1
	done
}

# null_blk through configfs: wc_nullb NAME SIZE_MB CACHE_MB [BS]
# memory backed; CACHE_MB > 0 gives a volatile write cache lost on power off.
wc_nullb() {
	local name=$1 size=$2 cache=$3 bs=${4:-512} d
	grep -q '^null_blk ' /proc/modules || wc_modprobe null_blk nr_devices=0 || return 1
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	d=/sys/kernel/config/nullb/$name
	mkdir "$d" || return 1
	echo 1 >"$d/memory_backed"
	echo "$size" >"$d/size"
	echo "$bs" >"$d/blocksize"
	echo "$cache" >"$d/cache_size"
	echo 1 >"$d/discard" 2>/dev/null || true
	echo 1 >"$d/power"
	udevadm settle 2>/dev/null || true
	# 6.1 names configfs devices after their directory; older: nullbN
	if [ -b "/dev/$name" ]; then
		echo "/dev/$name"
	else
		echo "/dev/nullb$(cat "$d/index")"
	fi
}

wc_nullb_power() {
	echo "$2" >"/sys/kernel/config/nullb/$1/power"
	udevadm settle 2>/dev/null || true
}

wc_sectors() {
	blockdev --getsz "$1"
}

# wc_create NAME ORIGIN CACHE BS [opt args...]
wc_create() {
	local name=$1 origin=$2 cache=$3 bs=$4 len
	shift 4
	len=$(wc_sectors "$origin")
	len=$((len / (bs / 512) * (bs / 512)))
	echo "0 $len wcache s $origin $cache $bs $# $*" | dmsetup create "$name"
}

wc_zero_sb() {
	dd if=/dev/zero of="$1" bs=4096 count=1 oflag=direct 2>/dev/null
}

# status field N (1-based, after "start len wcache")
wc_status_field() {
	dmsetup status "$1" | awk -v f="$2" '{print $(3 + f)}'
}

# wc_writeback NAME [TIMEOUT_S]: the writeback message drains in the
# background (status field 20 is 1 meanwhile): send it, wait for the drain
# to end, and fail if blocks are still dirty then.
wc_writeback() {
	local name=$1 t=$((${2:-300} * 10))
	dmsetup message "$name" 0 writeback || return 1
	while [ "$(wc_status_field "$name" 20)" = 1 ]; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
	[ "$(wc_status_field "$name" 5)" = 0 ]
}

wc_dmesg_clean() {
	! dmesg | grep -E -q '(WARNING: |BUG: |Oops|Call Trace|general protection|lockdep|KASAN|UBSAN)'
}
