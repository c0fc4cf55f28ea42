#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dm-wcache writeback benchmark (issue 4), one VM run, ratios vs the in-kernel
# dm-writecache on the same devices:
#  - drain: 32 MiB of random dirty 4k blocks spread over a 1 GiB origin, then
#    cleaner mode until 0 dirty: drain time, origin write I/Os, mean I/O size,
#    and origin seek distance per written-back block (blktrace on the origin)
#  - sustained: 4k randwrite QD32 on a working set 8x the cache
# The origin is null_blk (memory backed, fixed latency): seek distance and
# I/O counts are exact, times do not charge for seeks.
# Usage (host): bench/target-writeback.sh [SUSTAINED_SEC]
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-15}
if [ -z "$WCACHE_IN_VM" ]; then
	exec "$REPO/tests/vm/run" --mem 3072 --timeout 1700 -- bash "$REPO/bench/target-writeback.sh" "$RT"
fi
cd "$REPO"
. tests/vm/target-lib.sh
wc_load
wc_modprobe dm-writecache
export DM_DISABLE_UDEV=1
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

O=$(wc_nullb wbo 1024 0)
C=$(wc_nullb wbc 64 0)
on=$(basename "$O")

mk() {	# type
	local len
	len=$(blockdev --getsz "$O")
	dd if=/dev/zero of="$C" bs=4096 count=1 oflag=direct status=none
	case $1 in
	writecache) echo "0 $len writecache s $O $C 4096 4 high_watermark 95 low_watermark 90" | dmsetup create x ;;
	wcache) echo "0 $len wcache s $O $C 4096 4 high_watermark 95 low_watermark 90" | dmsetup create x ;;
	esac
}

dirty() {	# blocks not yet written back, both targets: total - free
	dmsetup status x | awk '{print $5 - $6}'
}

declare -A T N S D
for t in writecache wcache; do
	mk $t
	fio --name=d --filename=/dev/mapper/x --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --io_size=32M --size=1G --randrepeat=1 --norandommap \
		--output=/dev/null
	sync
	w0=$(awk '{print $5}' /sys/block/$on/stat)
	rm -rf /tmp/bt; mkdir -p /tmp/bt
	( cd /tmp/bt && exec blktrace -d "$O" -a issue -o trace ) >/dev/null 2>&1 &
	bt=$!
	sleep 1
	s0=$(date +%s.%N)
	dmsetup message x 0 cleaner
	while [ "$(dirty)" -gt 0 ]; do sleep 0.1; done
	s1=$(date +%s.%N)
	kill -INT $bt; wait $bt 2>/dev/null || true
	w1=$(awk '{print $5}' /sys/block/$on/stat)
	T[$t]=$(echo "$s1 - $s0" | bc)
	N[$t]=$((w1 - w0))
	# seek distance: sum |start - end of previous write| over written sectors
	read -r D[$t] S[$t] <<<"$(cd /tmp/bt && blkparse -i trace -q -f '%a %d %S %n\n' 2>/dev/null |
		awk '$1=="D" && $2 ~ /W/ && $4 > 0 { if (p != "") { d = $3 - p; if (d < 0) d = -d; sum += d }
			p = $3 + $4; blocks += $4 / 8 } END { printf "%.0f %.0f\n", sum, blocks }')"
	dmsetup remove --retry x
	echo "$t drain: ${T[$t]} s, ${N[$t]} origin writes, seek ${D[$t]} sectors over ${S[$t]} blocks"
done

declare -A I
for t in writecache wcache; do
	mk $t
	I[$t]=$(fio --name=s --filename=/dev/mapper/x --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --size=512M --runtime="$RT" --time_based --output-format=json |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["jobs"][0]["write"]["iops"]))')
	dmsetup remove --retry x
	echo "$t sustained (working set 8x cache): ${I[$t]} IOPS"
done

echo "== ratios (wcache / writecache)"
python3 - "${T[wcache]}" "${T[writecache]}" "${N[wcache]}" "${N[writecache]}" \
	"${D[wcache]}" "${S[wcache]}" "${D[writecache]}" "${S[writecache]}" \
	"${I[wcache]}" "${I[writecache]}" <<'PY'
import sys
tc, tw, nc, nw, dc, sc, dw, sw, ic, iw = map(float, sys.argv[1:])
print("drain time          : %.2f  (target <= 1.0)" % (tc / tw))
print("origin write I/Os   : %.2f" % (nc / nw))
if sc and sw and dw:
    print("seek dist per block : %.3f  (target <= 0.25)" % ((dc / sc) / (dw / sw)))
else:
    print("seek dist per block : n/a (blktrace gave no data)")
print("sustained 8x cache  : %.2f  (target >= 1.5)" % (ic / iw))
PY
