#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dm-wcache burst benchmark (issue 3), one VM run, ratios printed:
#  - 4k randwrite QD32, 1 and 2 jobs: dm-linear over the cache device,
#    in-kernel dm-writecache, dm-wcache (same devices, same arguments)
#  - cache-device flushes per fsync and fsync latency at QD1 (cache device
#    on null_blk with a volatile write cache, so flushes are real and counted)
# Two regimes: cpu-bound (RAM disks: the target's CPU cost under emulation)
# and device-bound (the cache is an SSD model with a fixed service time, as
# a real NVMe is to a real CPU); see the comment above the SSD model.
# Usage (host): [SSD_LAT_MS=N] bench/target-bench.sh [RUNTIME_SEC [ROUNDS]]
# Not a test: numbers under TCG move from run to run; only ratios matter.
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-10}
REPS=${2:-3}
LAT=${SSD_LAT_MS:-10}	# the SSD model's service time, ms
case $LAT in
'' | *[!0-9]* | 0) echo "SSD_LAT_MS must be a whole number of milliseconds, at least 1" >&2; exit 2 ;;
esac
if [ -z "$WCACHE_IN_VM" ]; then
	mkdir -p "$REPO/bench/results"
	log=$REPO/bench/results/burst.log
	echo "# $(date -u '+%F %H:%M UTC'): bench/target-bench.sh $RT $REPS, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 2400 -- env SSD_LAT_MS="$LAT" bash "$REPO/bench/target-bench.sh" "$RT" "$REPS" 2>&1 |
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

# rounds REGIME ORIGIN CACHE: REPS interleaved rounds of every target and
# job count; V[REGIME,target,jobs] gets the IOPS.  Host load
# moves TCG numbers a lot: interleaving spreads it over all targets, and the
# order of the targets rotates from round to round.
TARGETS=(linear writecache wcache)
rounds() {
	local g=$1 o=$2 c=$3 r i t j v
	for r in $(seq "$REPS"); do
		for i in 0 1 2; do
			t=${TARGETS[$(((i + r) % 3))]}
			for j in 1 2; do
				mk b "$t" "$o" "$c"
				v=$(fio_iops /dev/mapper/b "$j")
				dmsetup remove --retry b
				V[$g,$t,$j]="${V[$g,$t,$j]} $v"
				echo "$g round $r: $t jobs=$j: $v IOPS"
			done
		done
	done
}
declare -A V

wc_brd 2 512
# brd allocates its pages on first write: touch both RAM disks once, or the
# first configuration measured pays for it
warm() {
	dd if=/dev/zero of="$1" bs=1M oflag=direct status=none 2>/dev/null || true
}
warm /dev/ram0
warm /dev/ram1

echo "== cpu-bound: 4k randwrite QD32, ${RT}s, origin brd 512M, cache brd 256M"
echo "   (a RAM disk costs no time: every target runs as fast as the emulated CPUs allow)"
rounds cpu /dev/ram0 /dev/ram1

# On real hardware the cache device is the bottleneck: the seed's NVMe did
# 168k IOPS at QD32, about half of what one core submits through dm-linear,
# so a target's extra CPU per write mostly hides in the device's service
# time.  Under TCG the CPUs are 10-30x slower and a RAM disk costs no time:
# the cpu-bound figures above measure the target's CPU cost, not whether it
# keeps the device busy.  The SSD model below restores the real order: the
# RAM disk behind dm-delay, so every I/O takes LAT ms (the delay's timer
# completes the I/Os that are due together, like an NVMe's interrupt
# coalescing; null_blk's per-request timer interrupt cost 3x the CPU per
# write).  One job at QD32 gets at most 32/LAT (the timer works in jiffies
# and a work item submits the due I/Os, which adds a few ms per I/O), and
# two jobs twice what one gets, as long as the guest's CPUs keep up.
wc_modprobe dm-delay
echo "0 $(blockdev --getsz /dev/ram1) delay /dev/ram1 0 $LAT" | dmsetup create ssdm
SSD=/dev/mapper/ssdm
echo "== device-bound: 4k randwrite QD32, ${RT}s, origin brd 512M, cache SSD model (brd 256M behind dm-delay, $LAT ms per I/O: at most $((32 * 1000 / LAT)) IOPS per job at QD32)"
rounds ssd /dev/ram0 "$SSD"

for k in "${!V[@]}"; do
	R=$(echo ${V[$k]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "median $k: $R IOPS (${V[$k]# })"
done | sort
dmsetup remove --retry ssdm
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
python3 - $(lists ssd,linear,1 ssd,linear,2 ssd,writecache,1 ssd,writecache,2 ssd,wcache,1 ssd,wcache,2 \
	cpu,linear,1 cpu,linear,2 cpu,writecache,1 cpu,writecache,2 cpu,wcache,1 cpu,wcache,2) \
	${F[writecache]} ${F[wcache]} <<'PY'
import sys
from statistics import median
a = [list(map(float, x.split(","))) for x in sys.argv[1:13]]
ww, ws, wl, wf, cw, cs, cl, cf = map(float, sys.argv[13:21])
def r(x, y):
    return median(p / q for p, q in zip(x, y))
for name, o in (("SSD model", 0), ("RAM disks", 6)):
    l1, l2, w1, w2, c1, c2 = a[o:o + 6]
    def out(label, text):
        print("%-45s: %s" % (label % name, text))
    out("wcache/writecache 1 job (%s)", "%.2f  (target >= 1.0)" % r(c1, w1))
    out("wcache/writecache 2 jobs (%s)", "%.2f" % r(c2, w2))
    out("wcache/dm-linear 1 job (%s)", "%.2f  (target >= 1.0)" % r(c1, l1))
    out("wcache 2-job/1-job (%s)", "%.2f  (target >= 1.9; dm-linear %.2f, writecache %.2f)" % (r(c2, c1), r(l2, l1), r(w2, w1)))
print("%-45s: wcache %.2f, writecache %.2f  (target 1)" % ("cache flushes per fsync", cf / cs, wf / ws))
print("%-45s: wcache %d us, writecache %d us, ratio %.2f" % ("fsync latency QD1", cl, wl, cl / wl))
PY
