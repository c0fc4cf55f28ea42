#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Measure the HDD model with fio inside the VM, to compare with a real
# 7200 rpm disk's published figures (random 4k: ~100-350 IOPS with a deep
# queue, ~75-130 at QD1 over the whole disk; sequential: 150-250 MB/s).
# Usage (host): bench/hddmodel/calibrate.sh [RUNTIME_SEC (8)] [hddmodel key=value...]
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RT=${1:-8}
shift || true
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO/bench/hddmodel" module >/dev/null || exit 1
	mkdir -p "$REPO/bench/results"
	echo "# $(date -u '+%F %H:%M UTC'): bench/hddmodel/calibrate.sh $*, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$REPO/bench/results/hddmodel-calibrate.log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 900 -- bash "$REPO/bench/hddmodel/calibrate.sh" "$RT" "$@" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$REPO/bench/results/hddmodel-calibrate.log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO" || exit 1
. bench/lib/guest.sh
models_load 2050 || exit 1
# brd allocates a page on its first write: touch all of /dev/ram0 first, or
# the sequential write figure measures the guest's page allocator
dd if=/dev/zero of=/dev/ram0 bs=1M count=2050 oflag=direct status=none || exit 1

# 2 GiB region at the start of a 1 TB drive (a 2 GiB LV), then the whole
# drive's stroke (disk_gb=2: the 2 GiB export is the full stroke).
for cfg in "queue=sptf ncq_depth=32" "queue=fifo" "queue=fifo disk_gb=2"; do
	hdd_create hddc 2048 $cfg "$@" >/dev/null || exit 1
	D=/dev/mapper/hddc
	echo "== $(dmsetup table hddc | cut -d' ' -f4-)"
	for qd in 1 32; do
		for rw in randread randwrite; do
			dmsetup message hddc 0 clear_stats
			i=$(fio_iops c $D --rw=$rw --bs=4k --ioengine=libaio --iodepth=$qd \
				--direct=1 --time_based --runtime="$RT" --size=2G --randrepeat=0)
			late=$(hdd_stat hddc late_us)
			busy=$(hdd_stat hddc busy_us)
			printf '%-10s 4k QD%-3s %8s IOPS   (model busy %s ms, wake-up lateness %s ms)\n' \
				"$rw" "$qd" "$i" $((busy / 1000)) $((late / 1000))
		done
	done
	for rw in read write; do
		i=$(fio_iops c $D --rw=$rw --bs=1M --ioengine=libaio --iodepth=4 \
			--direct=1 --time_based --runtime="$RT" --size=2G)
		printf '%-10s 1M QD4  %8s MB/s\n' "seq$rw" "$(awk -v i="$i" 'BEGIN { printf "%.0f", i * 1.048576 }')"
	done
	dmsetup remove --retry hddc
done
