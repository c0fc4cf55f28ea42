#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where the CPU goes for 4k randwrite QD32 (the burst of bench/target-bench.sh)
# on dm-linear over the cache device, dm-writecache and dm-wcache: one VM run,
# perf (cpu-clock sampling, all CPUs) around fio, top symbols printed for each.
# Usage (host): bench/write-profile.sh [RUNTIME_SEC [JOBS [TARGETS...]]]
# Environment: WC_PROF_SYMS (symbols whose callers are shown), WC_PROF_LINES,
# WC_PROF_CALLS (lines of the inclusive and caller listings).
# A development tool, not a benchmark: compare the share of samples in the
# target's own functions, not absolute numbers, and repeat a run before
# trusting a difference (under TCG on a loaded host the commit's share moved
# from 2.3% to 3.8% between two runs of the same module).  Samples taken with
# interrupts off land on the instruction that enables them again
# (_raw_spin_unlock_irqrestore): a lock's critical section shows up there.
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-10}
JOBS=${2:-1}
shift 2 2>/dev/null || shift $#
TARGETS=${*:-linear writecache wcache}
if [ -z "$WCACHE_IN_VM" ]; then
	# shellcheck disable=SC2086 # one argument per target
	exec "$REPO/tests/vm/run" --mem 3072 --timeout 1800 --append no_timer_check -- \
		env WC_PROF_SYMS="${WC_PROF_SYMS:-}" WC_PROF_LINES="${WC_PROF_LINES:-}" WC_PROF_CALLS="${WC_PROF_CALLS:-}" bash "$REPO/bench/write-profile.sh" "$RT" "$JOBS" $TARGETS
fi
cd "$REPO"
. tests/vm/target-lib.sh
wc_load
wc_modprobe dm-writecache
export DM_DISABLE_UDEV=1
command -v perf >/dev/null || { echo "perf not installed (linux-perf)" >&2; exit 1; }
wc_brd 2 512
for d in /dev/ram0 /dev/ram1; do
	dd if=/dev/zero of=$d bs=1M oflag=direct status=none 2>/dev/null || true
done
mount -t tmpfs none /mnt
for t in $TARGETS; do
	len=$(blockdev --getsz /dev/ram0)
	dd if=/dev/zero of=/dev/ram1 bs=4096 count=1 oflag=direct status=none
	case $t in
	linear) echo "0 $(blockdev --getsz /dev/ram1) linear /dev/ram1 0" | dmsetup create b ;;
	*) echo "0 $len $t s /dev/ram0 /dev/ram1 4096 4 high_watermark 90 low_watermark 80" | dmsetup create b ;;
	esac
	echo "== $t, $JOBS job(s)"
	perf record -q -a -g -e cpu-clock -F 997 -o /mnt/perf.data -- \
		fio --name=b --filename=/dev/mapper/b --ioengine=libaio --direct=1 \
		--rw=randwrite --bs=4k --iodepth=32 --numjobs="$JOBS" \
		--group_reporting --size=96M --runtime="$RT" --time_based \
		--output-format=json >/mnt/fio.json 2>/dev/null
	python3 -c 'import json; j=json.load(open("/mnt/fio.json"))["jobs"][0]; print("IOPS %d usr %.1f%% sys %.1f%%" % (j["write"]["iops"], j["usr_cpu"], j["sys_cpu"]))'
	perf report -q -i /mnt/perf.data --no-children --sort sym -g none --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^$' | head -n "${WC_PROF_CALLS:-60}"
	echo "-- inclusive (children): dm, target, brd, crc, timers, workqueues"
	perf report -q -i /mnt/perf.data --children --sort sym -g none --stdio 2>/dev/null |
		grep -e dm_ -e wc_ -e wcache -e writecache -e linear -e brd -e crc \
			-e read_hpet -e ktime -e process_one_work -e timer -e blk_ -e submit_bio |
		head -n "${WC_PROF_LINES:-45}"
	echo "-- callers of ${WC_PROF_SYMS:-crc_0,read_hpet,_raw_spin_unlock_irqrestore} (kernel part only)"
	perf report -q -i /mnt/perf.data --no-children --sort sym -S "${WC_PROF_SYMS:-crc_0,read_hpet,_raw_spin_unlock_irqrestore}" \
		-g caller,0.3,callee,function,percent --max-stack 8 --stdio 2>/dev/null |
		grep -v -e '^$' -e 0x | head -n "${WC_PROF_CALLS:-60}"
	[ "$t" = wcache ] && dmsetup status b
	dmsetup remove --retry b
done
