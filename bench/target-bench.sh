#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dm-wcache burst benchmark (issue 3), one VM run, ratios printed:
#  - 4k randwrite QD32, 1 and 2 jobs: dm-linear over the cache device,
#    in-kernel dm-writecache, dm-wcache (same devices, same arguments)
#  - cache-device flushes per fsync and fsync latency at QD1 (cache device
#    on null_blk with a volatile write cache, so flushes are real and counted)
# Usage (host): bench/target-bench.sh [RUNTIME_SEC [ROUNDS]]
# Not a test: numbers under TCG move from run to run; only ratios matter.
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-10}
REPS=${2:-3}
if [ -z "$WCACHE_IN_VM" ]; then
	mkdir -p "$REPO/bench/results"
	log=$REPO/bench/results/burst.log
	echo "# $(date -u '+%F %H:%M UTC'): bench/target-bench.sh $RT $REPS, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 2400 -- bash "$REPO/bench/target-bench.sh" "$RT" "$REPS" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO"
. tests/vm/target-lib.sh
wc_load
wc_modprobe dm-writecache
export DM_DISABLE_UDEV=1

fio_iops() {	# dev jobs extra...
	local dev=$1 jobs=$2
	shift 2
	fio --name=b --filename="$dev" --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --numjobs="$jobs" --group_reporting --size=96M \
		--runtime="$RT" --time_based --output-format=json "$@" |
		python3 -c 'import json,sys; j=json.load(sys.stdin); print(int(sum(x["write"]["iops"] for x in j["jobs"])))'
}

fio_fsync() {	# dev -> "writes fsyncs mean_fsync_us"
	fio --name=f --filename="$1" --ioengine=psync --direct=1 --rw=randwrite \
		--bs=4k --fsync=1 --size=32M --runtime="$RT" --time_based \
		--output-format=json |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; s=j["sync"]; print(j["write"]["total_ios"], s["total_ios"], int(s["lat_ns"]["mean"]/1000))'
}

flushes() {	# /sys/block/X/stat field 16: flush requests completed
	awk '{print $16}' "/sys/block/$(basename "$(readlink -f "$1")")/stat"
}

mk() {	# name type origin cache
	local len
	len=$(blockdev --getsz "$3")
	dd if=/dev/zero of="$4" bs=4096 count=1 oflag=direct status=none
	case $2 in
	linear) echo "0 $(blockdev --getsz "$4") linear $4 0" | dmsetup create "$1" ;;
	writecache) echo "0 $len writecache s $3 $4 4096 4 high_watermark 90 low_watermark 80" | dmsetup create "$1" ;;
	wcache) echo "0 $len wcache s $3 $4 4096 4 high_watermark 90 low_watermark 80" | dmsetup create "$1" ;;
	esac
}

echo "== burst: 4k randwrite QD32, ${RT}s, origin brd 512M, cache brd 256M"
wc_brd 2 512
# brd allocates its pages on first write: touch both once, or the first
# configuration measured pays for it
for d in /dev/ram0 /dev/ram1; do
	dd if=/dev/zero of=$d bs=1M oflag=direct status=none 2>/dev/null || true
done
# REPS interleaved rounds, median per configuration: host load moves TCG
# numbers a lot, interleaving spreads it over all targets.
declare -A R V
for r in $(seq "$REPS"); do
	for t in linear writecache wcache; do
		for j in 1 2; do
			mk b $t /dev/ram0 /dev/ram1
			v=$(fio_iops /dev/mapper/b $j)
			dmsetup remove --retry b
			V[$t,$j]="${V[$t,$j]} $v"
			echo "round $r: $t jobs=$j: $v IOPS"
		done
	done
done
for k in "${!V[@]}"; do
	R[$k]=$(echo ${V[$k]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "median $k: ${R[$k]} IOPS (${V[$k]# })"
done
rmmod brd

echo "== fsync: QD1 4k randwrite + fsync, cache on null_blk with volatile cache"
O=$(wc_nullb bo 512 0)
C=$(wc_nullb bc 256 64)
declare -A F
for t in writecache wcache; do
	mk f $t "$O" "$C"
	f0=$(flushes "$C")
	read -r w s lat <<<"$(fio_fsync /dev/mapper/f)"
	f1=$(flushes "$C")
	F[$t]="$w $s $lat $((f1 - f0))"
	dmsetup remove --retry f
	python3 -c "w,s,l,f=$w,$s,$lat,$((f1 - f0)); print('%s: %d fsyncs, %.2f cache flushes per fsync, mean fsync %d us' % ('$t', s, f/max(s,1), l))"
done

echo "== ratios (median over rounds of the ratio within each round: host load drifts less within one round)"
lists() { local k; for k in "$@"; do echo "${V[$k]# }" | tr ' ' ','; done; }
python3 - $(lists linear,1 linear,2 writecache,1 writecache,2 wcache,1 wcache,2) \
	${F[writecache]} ${F[wcache]} <<'PY'
import sys
from statistics import median
l1, l2, w1, w2, c1, c2 = [list(map(float, a.split(","))) for a in sys.argv[1:7]]
ww, ws, wl, wf, cw, cs, cl, cf = map(float, sys.argv[7:15])
def r(a, b):
    return median(x / y for x, y in zip(a, b))
print("wcache/writecache 1 job : %.2f  (target >= 1.0)" % r(c1, w1))
print("wcache/writecache 2 jobs: %.2f" % r(c2, w2))
print("wcache/dm-linear  1 job : %.2f  (target >= 1.0)" % r(c1, l1))
print("wcache 2-job/1-job      : %.2f  (target >= 1.9; dm-linear %.2f, writecache %.2f)" % (r(c2, c1), r(l2, l1), r(w2, w1)))
print("cache flushes per fsync : wcache %.2f, writecache %.2f  (target 1)" % (cf / cs, wf / ws))
print("fsync latency QD1       : wcache %d us, writecache %d us, ratio %.2f" % (cl, wl, cl / wl))
PY
