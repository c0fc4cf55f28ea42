#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multi-block writes (issue 16): 1 MiB and 64 KiB random writes at QD8 into
# the cache (libaio, direct; a working set that fits in the cache, so no
# writeback runs), on dm-linear over the cache device (the anchor: what one
# bio becomes on that device), dm-writecache and dm-wcache
# (sequential_cutoff 0), same devices and watermarks, one VM run,
# interleaved rounds.  For each: IOPS, MB/s, and the cache device's write
# I/Os per fio write (and their mean size) from /sys/block/<dm>/stat deltas
# of a dm-linear device over the RAM disk (brd keeps no I/O statistics);
# writes to the origin are counted too (should be none).
# Issue 16 goal: one cache I/O per bio, MB/s >= dm-writecache.
# Usage (host): bench/multiblock.sh [RUNTIME_SEC (10) [ROUNDS (3)]]
# Not a test: numbers under TCG move from run to run; only ratios matter.
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-10}
REPS=${2:-3}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	mkdir -p "$REPO/bench/results"
	log=$REPO/bench/results/multiblock.log
	echo "# $(date -u '+%F %H:%M UTC'): bench/multiblock.sh $RT $REPS, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 2400 --append no_timer_check -- bash "$REPO/bench/multiblock.sh" "$RT" "$REPS" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' \
			-e '^Udev is running' |
		tee -a "$log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO"
. tests/vm/target-lib.sh
wc_load
wc_modprobe dm-writecache
export DM_DISABLE_UDEV=1

wc_brd 2 512
for d in /dev/ram0 /dev/ram1; do	# brd allocates its pages on first write
	dd if=/dev/zero of=$d bs=1M oflag=direct status=none 2>/dev/null || true
done
# the devices the targets get: dm-linear over the RAM disks, for I/O counts
echo "0 $(blockdev --getsz /dev/ram0) linear /dev/ram0 0" | dmsetup create mbo
echo "0 $(blockdev --getsz /dev/ram1) linear /dev/ram1 0" | dmsetup create mbc
O=/dev/mapper/mbo
C=/dev/mapper/mbc
sysstat() {	# dev -> "write_ios write_sectors"
	awk '{ print $5, $7 }' "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "$(basename "$1")")/stat"
}

mk() {	# type
	local len
	len=$(blockdev --getsz $O)
	dd if=/dev/zero of=$C bs=4096 count=1 oflag=direct status=none
	case $1 in
	linear) echo "0 $(blockdev --getsz $C) linear $C 0" | dmsetup create b ;;
	writecache) echo "0 $len writecache s $O $C 4096 4 high_watermark 90 low_watermark 80" | dmsetup create b ;;
	wcache) echo "0 $len wcache s $O $C 4096 6 high_watermark 90 low_watermark 80 sequential_cutoff 0" | dmsetup create b ;;
	esac
}

# one BS: fio on /dev/mapper/b -> "iops MB/s fio_writes cache_ios cache_sectors origin_ios"
run() {
	local bs=$1 c0 c1 o0 o1 out
	read -r -a c0 <<<"$(sysstat $C)"
	read -r -a o0 <<<"$(sysstat $O)"
	out=$(fio --name=m --filename=/dev/mapper/b --ioengine=libaio --direct=1 --rw=randwrite \
		--bs="$bs" --iodepth=8 --size=192M --runtime="$RT" --time_based --randrepeat=0 \
		--output-format=json |
		python3 -c 'import json,sys; w=json.load(sys.stdin)["jobs"][0]["write"]; print(int(w["iops"]), "%.1f" % (w["bw_bytes"] / 1e6), w["total_ios"])')
	read -r -a c1 <<<"$(sysstat $C)"
	read -r -a o1 <<<"$(sysstat $O)"
	echo "$out $((c1[0] - c0[0])) $((c1[1] - c0[1])) $((o1[0] - o0[0]))"
}

declare -A V
TARGETS=(linear writecache wcache)
for r in $(seq "$REPS"); do
	for i in 0 1 2; do
		t=${TARGETS[$(((i + r) % 3))]}
		for bs in 1M 64k; do
			mk "$t"
			read -r iops mbs n cios csec oios <<<"$(run $bs)"
			dmsetup remove --retry b
			per=$(awk -v a="$cios" -v n="$n" 'BEGIN { printf "%.2f", n ? a / n : 0 }')
			kib=$(awk -v s="$csec" -v a="$cios" 'BEGIN { printf "%.0f", a ? s / 2 / a : 0 }')
			echo "round $r: $t bs=$bs: $iops IOPS, $mbs MB/s, $n writes; cache device: $cios write I/Os ($per per write, mean $kib KiB), origin: $oios write I/Os"
			V[$t,$bs,mbs]="${V[$t,$bs,mbs]:-} $mbs"
			V[$t,$bs,iops]="${V[$t,$bs,iops]:-} $iops"
			V[$t,$bs,per]="${V[$t,$bs,per]:-} $per"
			V[$t,$bs,kib]="${V[$t,$bs,kib]:-} $kib"
		done
	done
done

med() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -g |
	awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "== multi-block random writes, QD8, ${RT}s, cache brd 512M, origin brd 512M (medians of $REPS rounds)"
printf '%-11s %5s %9s %9s %16s %14s\n' target bs IOPS MB/s cache_IOs/write KiB/cache_IO
for bs in 1M 64k; do
	for t in "${TARGETS[@]}"; do
		printf '%-11s %5s %9s %9s %16s %14s\n' "$t" "$bs" "$(med ${V[$t,$bs,iops]})" "$(med ${V[$t,$bs,mbs]})" \
			"$(med ${V[$t,$bs,per]})" "$(med ${V[$t,$bs,kib]})"
	done
done
echo "== ratios (median over rounds of the ratio within each round)"
for bs in 1M 64k; do
	python3 - "$bs" "${V[wcache,$bs,mbs]# }" "${V[writecache,$bs,mbs]# }" "${V[linear,$bs,mbs]# }" \
		"$(med ${V[wcache,$bs,per]})" "$(med ${V[writecache,$bs,per]})" <<'PY'
import sys
from statistics import median
bs = sys.argv[1]
c, w, l = ([float(x) for x in a.split()] for a in sys.argv[2:5])
r = lambda x, y: median(p / q for p, q in zip(x, y))
print("multiblock %s wcache/writecache MB/s: %.2f  (target >= 1.0)" % (bs, r(c, w)))
print("multiblock %s wcache/dm-linear MB/s: %.2f" % (bs, r(c, l)))
print("multiblock %s cache I/Os per write: wcache %s, writecache %s  (target 1)" % (bs, sys.argv[5], sys.argv[6]))
PY
done
dmsetup remove --retry mbc
dmsetup remove --retry mbo
