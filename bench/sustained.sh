#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sustained 4k randwrite (QD32) on a working set 8x the cache, origin on the
# HDD model: once the cache is full, the speed is the speed of writeback.
# Also the origin seek distance per written-back block during this normal
# (watermark-driven) writeback, from blktrace on the origin and from the HDD
# model's own counters.  Same devices and table arguments for dm-writecache
# and dm-wcache, one VM run; prints wcache/writecache ratios.
# Usage (host): bench/sustained.sh [RUNTIME_SEC (60)] [CACHE_MB (32)]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-60}
CMB=${2:-32}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO/bench/hddmodel" module >/dev/null || exit 1
	mkdir -p "$REPO/bench/results"
	echo "# $(date -u '+%F %H:%M UTC'): bench/sustained.sh $*, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$REPO/bench/results/sustained.log"
	"$REPO/tests/vm/run" --mem 2048 --timeout 1200 -- bash "$REPO/bench/sustained.sh" "$RT" "$CMB" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$REPO/bench/results/sustained.log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO" || exit 1
. bench/lib/wb.sh

WS=$((CMB * 8))
say "== sustained: 4k randwrite QD32 for ${RT}s after $((CMB * 2)) MiB of warm-up writes, working set ${WS} MiB = 8x the ${CMB} MiB cache"
wb_setup $((WS + 64)) "$CMB" || exit 1
[ "$WB_HAVE_WCACHE" = 1 ] || say "dm-wcache: target not available (module missing or not loadable): writecache figures only"

# Two drives: one that reorders its queue like NCQ (queue=sptf, 32 tags;
# what a SATA/SAS disk does, and the only way to the seed article's 352
# IOPS at QD32) and one that serves requests in arrival order (queue=fifo:
# no command queueing, the worst case for a sorted writeback, whose near
# neighbours on a track miss the head by a command overhead and wait a
# whole revolution).
QUEUES=${SUSTAINED_QUEUES:-sptf fifo}
declare -A IOPS SEEK MSEEK WBB
for q in $QUEUES; do
WB_HDD_ARGS="queue=$q"
for t in $(wb_targets); do
	k="$t/$q"
	wb_reset_origin
	if ! wb_create s "$t"; then
		say "$t: table refused: $WB_TABLE"
		continue
	fi
	say "$t table: $WB_TABLE (origin: $(dmsetup table hdd | grep -o 'queue=[a-z]*'))"
	# fill the cache first (not measured), then RT seconds of steady state
	fio --name=warm --filename=/dev/mapper/s --rw=randwrite --bs=4k \
		--ioengine=libaio --iodepth=32 --direct=1 --size="${WS}M" \
		--io_size=$((CMB * 2))M --randrepeat=0 --eta=never --output=/dev/null
	dmsetup message hdd 0 clear_stats
	wb_trace_start
	IOPS[$k]=$(fio_iops "sus-$t" /dev/mapper/s --rw=randwrite --bs=4k \
		--ioengine=libaio --iodepth=32 --direct=1 --time_based \
		--runtime="$RT" --size="${WS}M" --randrepeat=0)
	st=$(dmsetup status hdd | cut -d' ' -f4-)
	read -r ios blocks spb mio <<<"$(wb_trace_stop)"
	SEEK[$k]=$spb
	WBB[$k]=$blocks
	MSEEK[$k]=$(wb_model_seek "$st")
	say "$k: ${IOPS[$k]} IOPS; origin: $ios write I/Os, $blocks blocks written back (mean I/O ${mio} KiB)"
	say "$k: seek distance per written-back block: ${SEEK[$k]} bytes (blktrace, issue order), ${MSEEK[$k]} bytes (HDD model, service order)"
	say "$k: cache status: $(dmsetup status s | cut -d' ' -f4-)"
	say "$k: hddmodel: $st"
	# udev's blkid may still be reading through the cache (slow behind
	# the writeback queued on the HDD model)
	udevadm settle --timeout=300 2>/dev/null
	dmsetup remove --retry s
done
done

say "== sustained results"
printf '%-18s %10s %14s %16s %16s\n' target/queue IOPS written_back seek_B/blk_trace seek_B/blk_model
for q in $QUEUES; do
	for t in $(wb_targets); do
		k="$t/$q"
		printf '%-18s %10s %14s %16s %16s\n' "$k" "${IOPS[$k]:-}" "${WBB[$k]:-}" "${SEEK[$k]:-}" "${MSEEK[$k]:-}"
	done
done
if [ "$WB_HAVE_WCACHE" != 1 ]; then
	say "ratio: n/a (dm-wcache not available)"
	exit 0
fi
for q in $QUEUES; do
	case $q in
	sptf) what="NCQ drive, queue=sptf" ;;
	*) what="no command queueing, queue=$q" ;;
	esac
	[ -n "${IOPS[wcache/$q]:-}" ] || continue
	say "ratio sustained IOPS wcache/writecache ($what): $(ratio "${IOPS[wcache/$q]}" "${IOPS[writecache/$q]}") (target >= 1.5)"
	say "ratio seek distance per written-back block wcache/writecache ($what): $(ratio "${SEEK[wcache/$q]}" "${SEEK[writecache/$q]}") (target <= 0.25)"
done
