# SPDX-License-Identifier: GPL-2.0
# Helpers for the writeback benchmarks (bench/sustained.sh, drain.sh, ram.sh),
# inside the VM.  Origin: the HDD model /dev/mapper/hdd (dm-hddmodel over
# /dev/ram0).  Cache: /dev/mapper/wbc, a dm-linear piece of /dev/ram1.
# Both targets get the same devices and the same table arguments.
. "${WCACHE_REPO:-.}/bench/lib/guest.sh"

T0=$(date +%s)
say() { printf '[%4ds] %s\n' "$(($(date +%s) - T0))" "$*"; }

# wb_setup ORIGIN_MB CACHE_MB [hddmodel key=value...]
wb_setup() {
	local omb=$1 cmb=$2
	shift 2
	models_load $((omb + 2 > cmb ? omb + 2 : cmb)) || return 1
	vm_modprobe dm-writecache || return 1
	WB_HAVE_WCACHE=0
	if vm_modprobe dm-wcache 2>/dev/null && dmsetup targets | grep -q '^wcache '; then
		WB_HAVE_WCACHE=1
	fi
	WB_HDD_ARGS="$*"
	WB_ORIGIN_MB=$omb
	echo "0 $((cmb * 2048)) linear /dev/ram1 0" | dmsetup create wbc || return 1
	hdd_create hdd "$omb" "$@" >/dev/null || return 1
	say "origin: $(dmsetup table hdd | cut -d' ' -f4-)"
	say "cache:  /dev/ram1, $cmb MiB (brd)"
}

# wb_targets: the targets to compare, writecache first.
wb_targets() {
	echo writecache
	[ "$WB_HAVE_WCACHE" = 1 ] && echo wcache
}

# wb_reset_origin: a fresh HDD model (head at 0, counters at 0), same data.
wb_reset_origin() {
	dmsetup remove --retry hdd && hdd_create hdd "$WB_ORIGIN_MB" $WB_HDD_ARGS >/dev/null
}

# wb_create NAME TARGET [opt args...]: the cache on a zeroed superblock.
wb_create() {
	local name=$1 t=$2 len
	shift 2
	dd if=/dev/zero of=/dev/mapper/wbc bs=4096 count=1 oflag=direct status=none
	len=$(blockdev --getsz /dev/mapper/hdd)
	len=$((len / 8 * 8))
	WB_TABLE="0 $len $t s /dev/mapper/hdd /dev/mapper/wbc 4096 $# $*"
	echo "$WB_TABLE" | dmsetup create "$name"
}

# wb_field NAME N: the Nth field after "start len target" of the status line.
wb_field() {
	dmsetup status "$1" | awk -v n="$2" '{ print $(3 + n) }'
}

# wb_dirty NAME TARGET: blocks not yet on the origin.
wb_dirty() {
	if [ "$2" = wcache ]; then
		echo $(($(wb_field "$1" 5) + $(wb_field "$1" 4)))
	else
		# dm-writecache frees a block once it is written back
		echo $(($(wb_field "$1" 2) - $(wb_field "$1" 3) + $(wb_field "$1" 4)))
	fi
}

# blktrace on the origin: wb_trace_start / wb_trace_stop -> "ios blocks
# seek_bytes_per_block mean_io_kib" over the write requests queued to it,
# in the order they were issued.
wb_trace_start() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
	rm -f /run/wbtrace.blktrace.*
	blktrace -k -d /dev/mapper/hdd >/dev/null 2>&1	# a trace left behind
	(cd /run && exec blktrace -d /dev/mapper/hdd -o wbtrace -a queue -b 1024 -n 8 >/run/wbtrace.out 2>&1) &
	WB_TRACE_PID=$!
	# tracing has started once blktrace created its per-CPU output files
	i=0
	while [ ! -e /run/wbtrace.blktrace.0 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

wb_trace_stop() {
	kill -INT "$WB_TRACE_PID" 2>/dev/null
	wait "$WB_TRACE_PID" 2>/dev/null
	grep -q 'Total:' /run/wbtrace.out || { echo "blktrace did not finish cleanly:" >&2; cat /run/wbtrace.out >&2; }
	grep -i -e error -e fail /run/wbtrace.out >&2
	grep 'Total:' /run/wbtrace.out | grep -v 'dropped 0' >&2
	(cd /run && blkparse -q -i wbtrace -f '%a %d %S %n\n' 2>/dev/null) |
		awk '$1 == "Q" && $2 ~ /W/ && $4 > 0 {
			if (have) { d = $3 - end; if (d < 0) d = -d; dist += d }
			end = $3 + $4; have = 1; ios++; sec += $4
		}
		END {
			blocks = sec / 8
			printf "%d %d %.0f %.1f\n", ios, blocks,
				blocks ? dist * 512 / blocks : 0, ios ? sec / 2 / ios : 0
		}'
}

# wb_model_seek STATUS: the HDD model's seek bytes per written 4 KiB block,
# from its status line (counters as name value pairs).
wb_model_seek() {
	echo "$1" | awk '{
		for (i = 1; i < NF; i++) {
			if ($i == "seek_bytes") s = $(i + 1)
			if ($i == "write_bytes") b = $(i + 1)
		}
		printf "%.0f\n", b ? s / (b / 4096) : 0
	}'
}

# ratio A B: A/B with two decimals ("n/a" when B is 0 or missing)
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.3g\n", a / b }'
}
