#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-operation cost against cache size (issue 16): dm-wcache and upstream
# dm-writecache, side by side in one VM run, on caches of 1, 32 and 256 GiB
# (4 KiB blocks) carved from one sparse file-backed virtio disk, the origin
# (twice the cache) from another.  For each size and target:
#  - constructor time on a zeroed superblock (format) and on the existing
#    metadata (remove + create again: load), and one suspend+resume;
#  - kernel RAM per cache block once loaded (Slab + VmallocUsed deltas, page
#    cache dropped; MemFree delta too);
#  - mean latency of one status call (the DM_TABLE_STATUS ioctl of `dmsetup
#    status`, without its process; the same on the dm-linear cache device);
#  - median fsync latency with nothing new, and with 64 new dirty 4 KiB
#    blocks at random origin offsets (python, O_DIRECT, one process, only
#    the fsync timed; means are logged too);
#  - writeback CPU per written-back block: 4096 more random dirty blocks,
#    committed, then the message that writes back everything and waits
#    (dm-wcache `writeback`, dm-writecache `flush`); busy jiffies of
#    /proc/stat minus the idle rate measured just before, per block.
# Ends with a table and the ratios largest/smallest size (issue 16 goal:
# status and fsync latency at 256 GiB within 1.5x of 1 GiB).
# The virtio disks are set to "write through" in the guest unless
# SCALE_WRITE_CACHE=1 (see below): flushes then stop at the block layer
# instead of becoming host fdatasyncs.  Only ratios mean much under TCG.
# Usage (host): [SCALE_SIZES="1 32 256"] [SCALE_TARGETS="writecache wcache"]
#               [SCALE_MEM=6144] [SCALE_TIMEOUT=5400] [SCALE_LOG=results/scale.log]
#               bench/scale.sh [N_STATUS (10) [N_FSYNC (20)]]
# Disk files in $SCALE_DIR (/var/tmp), deleted at the end.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
NST=${1:-10}
NFS=${2:-20}
SIZES=${SCALE_SIZES:-1 32 256}
TARGETS=${SCALE_TARGETS:-writecache wcache}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	MAX=0
	for s in $SIZES; do
		case $s in '' | *[!0-9]* | 0) echo "SCALE_SIZES: whole GiB numbers, at least 1" >&2; exit 2 ;; esac
		[ "$s" -gt "$MAX" ] && MAX=$s
	done
	MEM=${SCALE_MEM:-6144}
	DIR=${SCALE_DIR:-/var/tmp}
	# what the sparse files will hold: the larger metadata of the two targets
	# at the largest size (dm-wcache 32 bytes per block in 15-entry sectors,
	# dm-writecache 16 bytes per block), plus the written data
	MD_MB=$((MAX * 262144 / 15 * 512 / 1048576 + 1))
	NEED_MB=$((MD_MB + 2048))
	AVAIL_MB=$(df -Pm "$DIR" | awk 'NR == 2 { print $4 }')
	echo "scale: sizes $SIZES GiB, metadata at $MAX GiB ~$MD_MB MiB (dm-wcache), needs ~$NEED_MB MiB in $DIR, $AVAIL_MB MiB free"
	[ "$AVAIL_MB" -gt $((NEED_MB + 4096)) ] || { echo "scale: not enough space in $DIR" >&2; exit 1; }
	# the guest needs the larger index: dm-writecache keeps its whole metadata in
	# RAM plus an entry per block (~64 bytes per block in all)
	NEED_RAM=$((MAX * 16 + 768))
	[ "$MEM" -ge "$NEED_RAM" ] || echo "scale: warning: --mem $MEM MiB, dm-writecache at $MAX GiB needs ~$NEED_RAM MiB" >&2
	HOSTAV=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	[ "$HOSTAV" -gt $((MEM + 1024)) ] || { echo "scale: host has $HOSTAV MiB available, the VM needs $MEM" >&2; exit 1; }
	CF=$(mktemp "$DIR/wcache-scale-cache.XXXXXX") && OF=$(mktemp "$DIR/wcache-scale-origin.XXXXXX") || exit 1
	rm -f "$CF" "$OF"
	trap 'rm -f "$CF" "$OF"' EXIT
	mkdir -p "$REPO/bench/results"
	log=${SCALE_LOG:-$REPO/bench/results/scale.log}
	echo "# $(date -u '+%F %H:%M UTC'): SCALE_SIZES=\"$SIZES\" SCALE_TARGETS=\"$TARGETS\" bench/scale.sh $NST $NFS, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$log"
	T0=$(date +%s)
	"$REPO/tests/vm/run" --mem "$MEM" --timeout "${SCALE_TIMEOUT:-5400}" --append no_timer_check \
		--disk "$CF:$((MAX + 1))G" --disk "$OF:$((2 * MAX + 1))G" -- \
		env SCALE_SIZES="$SIZES" SCALE_TARGETS="$TARGETS" SCALE_WRITE_CACHE="${SCALE_WRITE_CACHE:-0}" \
		bash "$(realpath "$0")" "$NST" "$NFS" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$log"
	rc=${PIPESTATUS[0]}
	echo "scale: VM run took $(($(date +%s) - T0)) s (exit status $rc); sparse files used $(du -cm "$CF" "$OF" 2>/dev/null | awk 'END { print $1 }') MiB" | tee -a "$log"
	# the table from the log lines: also the sizes a run cut short finished
	echo "== scale results (status: mean of $NST DM_TABLE_STATUS ioctls, status_linear the same on the dm-linear cache device; fsync: median of $NFS; last/1st = largest/smallest size)" | tee -a "$log"
	"$REPO/bench/scale-table.sh" "$log" | tee -a "$log"
	exit "$rc"
fi

cd "$REPO" || exit 1
. tests/vm/target-lib.sh
wc_load || exit 1
wc_modprobe dm-writecache || exit 1
export DM_DISABLE_UDEV=1
T0=$(date +%s)
say() { printf '[%5ds] %s\n' "$(($(date +%s) - T0))" "$*"; }
CDISK=/dev/vda
ODISK=/dev/vdb
[ -b $CDISK ] && [ -b $ODISK ] || { echo "scale: needs two virtio disks (cache, origin)" >&2; exit 1; }
echo none >/sys/block/vda/queue/scheduler 2>/dev/null
echo none >/sys/block/vdb/queue/scheduler 2>/dev/null
# The disks say "write through": a flush would be the host's fdatasync on a
# sparse file of a shared disk, milliseconds of noise that has nothing to do
# with the cache size.  Both targets still see every flush (flush_supported)
# and commit; dm-wcache then writes STABLE entries (no data checksum), as on
# the RAM disks of bench/target-bench.sh.  SCALE_WRITE_CACHE=1 keeps the
# host's write cache (flushes reach the host).
if [ "${SCALE_WRITE_CACHE:-0}" != 1 ]; then
	echo "write through" >/sys/block/vda/queue/write_cache
	echo "write through" >/sys/block/vdb/queue/write_cache
fi
say "cache disk write cache: $(cat /sys/block/vda/queue/write_cache)"

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

mem() {	# -> "MemFree Slab VmallocUsed" in KiB
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	awk '/^MemFree:/ { f = $2 } /^Slab:/ { s = $2 } /^VmallocUsed:/ { v = $2 }
		END { print f, s, v }' /proc/meminfo
}

busy() {	# busy jiffies (USER_HZ) of all CPUs
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

kbusy() {	# CPU ticks of kernel threads (writeback workers, dm-io) + irq + softirq
	local k
	k=$(cat /proc/[0-9]*/task/[0-9]*/stat 2>/dev/null |
		awk '{ sub(/^.*\) /, ""); if ($2 == 2) s += $12 + $13 } END { print s + 0 }')
	awk -v k="$k" '/^cpu / { print k + $7 + $8; exit }' /proc/stat
}

status_mean() {	# dev n -> mean seconds per DM_TABLE_STATUS ioctl (what `dmsetup status` does, without the process)
	status_ioctl "$@" && return
	say "status ioctl failed: timing dmsetup status processes instead" >&2
	local d=$1 n=$2 i t
	t=$(now)
	for i in $(seq "$n"); do
		dmsetup status "$d" >/dev/null
	done
	awk -v s="$(since "$t")" -v n="$n" 'BEGIN { printf "%.6f", s / n }'
}

status_ioctl() {
	python3 - "$@" <<'PY'
import fcntl, os, struct, sys, time
name, n = sys.argv[1], int(sys.argv[2])
SZ = 16384
cmd = (3 << 30) | (312 << 16) | (0xfd << 8) | 12	# DM_TABLE_STATUS, struct dm_ioctl is 312 bytes
def req():
    b = bytearray(SZ)
    struct.pack_into("=3IIIIiIII", b, 0, 4, 0, 0, SZ, 312, 0, 0, 0, 0, 0)
    b[48:48 + len(name)] = name.encode()
    return b
fd = os.open("/dev/mapper/control", os.O_RDWR)
b = req()
fcntl.ioctl(fd, cmd, b, True)
start = struct.unpack_from("=I", b, 16)[0]
line = bytes(b[start + 40:]).split(b"\0")[0].decode()
print("status of %s via ioctl: %s..." % (name, line[:60]), file=sys.stderr)
t = time.perf_counter()
for _ in range(n):
    fcntl.ioctl(fd, cmd, req(), True)
print("%.6f" % ((time.perf_counter() - t) / n))
PY
}

# fsync_lat DEV SPAN_BLOCKS N -> "empty_us dirty64_us" (medians), then the means
fsync_lat() {
	python3 - "$@" <<'PY'
import mmap, os, random, sys, time
dev, span, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
buf.write(os.urandom(4096))
rnd = random.Random(16)
def put(blk):
    os.pwrite(fd, buf, blk * 4096)
put(rnd.randrange(span))
os.fsync(fd)
os.fsync(fd)
e = []
for _ in range(n):
    t = time.perf_counter()
    os.fsync(fd)
    e.append(time.perf_counter() - t)
d = []
for _ in range(n):
    for b in rnd.sample(range(span), 64):
        put(b)
    t = time.perf_counter()
    os.fsync(fd)
    d.append(time.perf_counter() - t)
os.close(fd)
med = lambda x: sorted(x)[len(x) // 2]
print("%.0f %.0f %.0f %.0f" % (med(e) * 1e6, med(d) * 1e6, sum(e) / n * 1e6, sum(d) / n * 1e6))
PY
}

commit() {	# dev: fsync (REQ_PREFLUSH) = a commit in both targets
	python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); os.fsync(fd)' "$1"
}

dirty() {	# name target -> blocks not yet on the origin
	local l
	l=$(dmsetup status "$1")
	if [ "$2" = wcache ]; then
		echo "$l" | awk '{ print $7 + $8 }'
	else
		echo "$l" | awk '{ print $5 - $6 + $7 }'
	fi
}

declare -A R
put() { R[$1,$2,$3]=$4; say "$1 GiB $2: $3 = $4"; }

measure() {	# size_gib target
	local g=$1 t=$2 len table f0 s0 v0 f1 s1 v1 tt nb st an dl a b d0 j0 j1 idle wt blocks
	len=$(blockdev --getsz /dev/mapper/so)
	table="0 $len $t s /dev/mapper/so /dev/mapper/sc 4096 4 high_watermark 90 low_watermark 80"
	[ "$t" = wcache ] && table="0 $len $t s /dev/mapper/so /dev/mapper/sc 4096 6 high_watermark 90 low_watermark 80 sequential_cutoff 0"
	dd if=/dev/zero of=/dev/mapper/sc bs=4096 count=1 oflag=direct status=none
	read -r f0 s0 v0 <<<"$(mem)"
	tt=$(now)
	echo "$table" | dmsetup create s || { say "$g GiB $t: table refused: $table"; return 1; }
	put "$g" "$t" ctr_format_s "$(since "$tt")"
	read -r f1 s1 v1 <<<"$(mem)"
	nb=$(dmsetup status s | awk '{ print $5 }')
	put "$g" "$t" blocks "$nb"
	put "$g" "$t" ram_B "$(awk -v d=$((s1 - s0 + v1 - v0)) -v n="$nb" 'BEGIN { printf "%.1f", d * 1024 / n }')"
	put "$g" "$t" memfree_B "$(awk -v d=$((f0 - f1)) -v n="$nb" 'BEGIN { printf "%.1f", d * 1024 / n }')"
	dmsetup remove --retry s
	sync
	echo 3 >/proc/sys/vm/drop_caches
	tt=$(now)
	echo "$table" | dmsetup create s || { say "$g GiB $t: reload refused"; return 1; }
	put "$g" "$t" ctr_load_s "$(since "$tt")"
	tt=$(now)
	dmsetup suspend s && dmsetup resume s
	put "$g" "$t" suspend_resume_s "$(since "$tt")"

	st=$(status_mean s "$NST")
	an=$(status_mean sc "$NST")
	put "$g" "$t" status_us "$(awk -v a="$st" 'BEGIN { printf "%.0f", a * 1e6 }')"
	put "$g" "$t" status_linear_us "$(awk -v a="$an" 'BEGIN { printf "%.0f", a * 1e6 }')"

	read -r a b c d <<<"$(fsync_lat /dev/mapper/s $((len / 8)) "$NFS")"
	put "$g" "$t" fsync_empty_us "$a"
	put "$g" "$t" fsync_64_us "$b"
	say "$g GiB $t: fsync means: empty $c us, 64 dirty $d us"

	# writeback CPU: 4096 more dirty blocks, committed, then written back
	fio --name=d --filename=/dev/mapper/s --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=32 --direct=1 --io_size=16M --randrepeat=0 --norandommap \
		--eta=never --output=/dev/null
	commit /dev/mapper/s
	blocks=$(dirty s "$t")
	sleep 1
	j0=$(busy)
	k0=$(kbusy)
	sleep 3
	idle=$(( $(busy) - j0 ))	# jiffies per 3 s with nothing to do
	kidle=$(( $(kbusy) - k0 ))
	j0=$(busy)
	k0=$(kbusy)
	tt=$(now)
	# both wait until everything is written back: dm-writecache's flush
	# message commits and writes back all, dm-wcache's writeback message
	if [ "$t" = wcache ]; then
		dmsetup message s 0 writeback
	else
		dmsetup message s 0 flush
	fi
	wt=$(since "$tt")
	j1=$(busy)
	k1=$(kbusy)
	a=$(dirty s "$t")
	[ "$a" = 0 ] || say "$g GiB $t: $a blocks still dirty after the writeback message"
	put "$g" "$t" wb_blocks "$blocks"
	put "$g" "$t" wb_s "$wt"
	put "$g" "$t" wb_cpu_us_per_block "$(awk -v j=$((j1 - j0)) -v i="$idle" -v w="$wt" -v n="$blocks" \
		'BEGIN { c = j - i * w / 3; if (c < 0) c = 0; printf "%.0f", c * 10000 / n }')"
	put "$g" "$t" wb_kcpu_us_per_block "$(awk -v j=$((k1 - k0)) -v i="$kidle" -v w="$wt" -v n="$blocks" \
		'BEGIN { c = j - i * w / 3; if (c < 0) c = 0; printf "%.0f", c * 10000 / n }')"
	say "$g GiB $t: writeback CPU: all $((j1 - j0)) ticks (idle $idle per 3 s), kernel threads+irq $((k1 - k0)) ticks (idle $kidle per 3 s), $wt s"
	dmsetup remove --retry s
}

for g in $SIZES; do
	say "== cache $g GiB (4 KiB blocks), origin $((2 * g)) GiB"
	dmsetup remove --retry sc 2>/dev/null
	dmsetup remove --retry so 2>/dev/null
	echo "0 $((g * 2097152)) linear $CDISK 0" | dmsetup create sc || exit 1
	echo "0 $((2 * g * 2097152)) linear $ODISK 0" | dmsetup create so || exit 1
	for t in $TARGETS; do
		measure "$g" "$t" || true
	done
done

say "== done; the table is printed on the host by bench/scale-table.sh"
