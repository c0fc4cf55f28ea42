#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Drain time: 32 MiB of random dirty 4k blocks spread over 1 GiB of the HDD
# model, then the "cleaner" message; time until nothing is dirty.  Also the
# origin seek distance per written-back block during the drain (blktrace on
# the origin, in issue order; and the HDD model's counters, in service
# order) and the number and mean size of the origin writes.  Same devices
# and table arguments for dm-writecache and dm-wcache, one VM run; prints
# wcache/writecache ratios.
# Usage (host): bench/drain.sh [DIRTY_MB (32)] [SPREAD_MB (1024)]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
DMB=${1:-32}
SMB=${2:-1024}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO/bench/hddmodel" module >/dev/null || exit 1
	mkdir -p "$REPO/bench/results"
	echo "# $(date -u '+%F %H:%M UTC'): bench/drain.sh $*, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$REPO/bench/results/drain.log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 1500 -- bash "$REPO/bench/drain.sh" "$DMB" "$SMB" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$REPO/bench/results/drain.log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO" || exit 1
. bench/lib/wb.sh

CMB=$((DMB * 4))	# dirty data stays under the default 50% high watermark
say "== drain: ${DMB} MiB of random 4k dirty blocks over ${SMB} MiB, cache ${CMB} MiB"
wb_setup $((SMB + 16)) "$CMB" || exit 1
[ "$WB_HAVE_WCACHE" = 1 ] || say "dm-wcache: target not available (module missing or not loadable): writecache figures only"

declare -A TIME SEEK MSEEK IOS MIO
for t in $(wb_targets); do
	wb_reset_origin
	if ! wb_create d "$t"; then
		say "$t: table refused: $WB_TABLE"
		continue
	fi
	say "$t table: $WB_TABLE"
	# distinct random blocks (fio's random map), written to the cache
	fio --name=fill --filename=/dev/mapper/d --rw=randwrite --bs=4k \
		--ioengine=libaio --iodepth=32 --direct=1 --size="${SMB}M" \
		--io_size="${DMB}M" --randrepeat=0 --eta=never --output=/dev/null || exit 1
	sync
	dirty=$(wb_dirty d "$t")
	say "$t: $dirty dirty blocks before the drain; origin writes so far: $(hdd_stat hdd writes)"
	wb_reset_origin_stats() { dmsetup message hdd 0 clear_stats; }
	wb_reset_origin_stats
	wb_trace_start
	t0=$(date +%s%N)
	dmsetup message d 0 cleaner || { say "$t: no cleaner message"; dmsetup remove --retry d; continue; }
	left=$dirty
	while [ "$left" -gt 0 ]; do
		sleep 0.2
		left=$(wb_dirty d "$t")
		[ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt 900 ] && { say "$t: drain did not finish in 900 s"; break; }
	done
	t1=$(date +%s%N)
	read -r ios blocks spb mio <<<"$(wb_trace_stop)"
	TIME[$t]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	SEEK[$t]=$spb
	IOS[$t]=$ios
	MIO[$t]=$mio
	MSEEK[$t]=$(wb_model_seek "$(dmsetup status hdd)")
	say "$t: drained $dirty blocks in ${TIME[$t]} s; origin: $ios write I/Os for $blocks blocks (mean ${mio} KiB), seek/block ${SEEK[$t]} B (blktrace), ${MSEEK[$t]} B (model)"
	say "$t: hddmodel: $(dmsetup status hdd | cut -d' ' -f4-)"
	say "$t: cache status: $(dmsetup status d | cut -d' ' -f4-)"
	dmsetup remove --retry d
done

say "== drain results"
printf '%-12s %10s %10s %10s %16s %16s\n' target drain_s origin_ios mean_KiB seek_B/blk_trace seek_B/blk_model
for t in $(wb_targets); do
	printf '%-12s %10s %10s %10s %16s %16s\n' "$t" "${TIME[$t]:-}" "${IOS[$t]:-}" "${MIO[$t]:-}" "${SEEK[$t]:-}" "${MSEEK[$t]:-}"
done
if [ "$WB_HAVE_WCACHE" = 1 ] && [ -n "${TIME[wcache]:-}" ]; then
	say "ratio drain time wcache/writecache: $(ratio "${TIME[wcache]}" "${TIME[writecache]}") (target <= 1.0)"
	say "ratio seek distance per written-back block (drain) wcache/writecache: $(ratio "${SEEK[wcache]}" "${SEEK[writecache]}")"
else
	say "ratio: n/a (dm-wcache not available)"
fi
