#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# RAM per cached block: kernel memory (Slab + VmallocUsed deltas from
# /proc/meminfo, page cache dropped; MemFree printed too) taken by the target for a cache of
# CACHE_MB with 4 KiB blocks: once loaded (empty) and after FILL% of the
# blocks were written.  The RAM disks are written in full first so that
# their pages do not count.  Same devices and arguments for dm-writecache and
# dm-wcache, one VM run; prints wcache/writecache ratios.
# Usage (host): bench/ram.sh [CACHE_MB (256)] [FILL_PERCENT (40)]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
CMB=${1:-256}
FILL=${2:-40}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO/bench/hddmodel" module >/dev/null || exit 1
	mkdir -p "$REPO/bench/results"
	echo "# $(date -u '+%F %H:%M UTC'): bench/ram.sh $*, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$REPO/bench/results/ram.log"
	"$REPO/tests/vm/run" --mem 3072 --timeout 900 -- bash "$REPO/bench/ram.sh" "$CMB" "$FILL" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$REPO/bench/results/ram.log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO" || exit 1
. bench/lib/wb.sh

OMB=$((CMB * 2))
BLOCKS=$((CMB * 256))
say "== RAM per cached block: cache ${CMB} MiB = $BLOCKS blocks of 4 KiB, ${FILL}% written"
# an origin without delays: only memory is measured here
wb_setup "$OMB" "$CMB" rotation=none settle_us=0 full_us=0 overhead_us=0 rate_kbs=100000000 || exit 1
[ "$WB_HAVE_WCACHE" = 1 ] || say "dm-wcache: target not available (module missing or not loadable): writecache figures only"
say "pre-allocating the RAM disks' pages"
dd if=/dev/zero of=/dev/ram1 bs=1M count="$CMB" oflag=direct status=none
dd if=/dev/zero of=/dev/ram0 bs=1M count=$((OMB + 2)) oflag=direct status=none

mem() {	# -> "MemFree Slab VmallocUsed" in KiB
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	awk '/^MemFree:/ { f = $2 } /^Slab:/ { s = $2 } /^VmallocUsed:/ { v = $2 }
		END { print f, s, v }' /proc/meminfo
}

# measure T MB -> "loaded_KiB in_use_KiB" (Slab + VmallocUsed deltas; MemFree
# moves with everything else in the guest and is only printed)
measure() {
	local t=$1 mb=$2 f0 s0 v0 f1 s1 v1 f2 s2 v2 used
	dmsetup remove --retry wbc 2>/dev/null
	echo "0 $((mb * 2048)) linear /dev/ram1 0" | dmsetup create wbc || return 1
	read -r f0 s0 v0 <<<"$(mem)"
	if ! wb_create r "$t"; then
		say "$t: table refused: $WB_TABLE"
		return 1
	fi
	read -r f1 s1 v1 <<<"$(mem)"
	fio --name=fill --filename=/dev/mapper/r --rw=randwrite --bs=4k \
		--ioengine=libaio --iodepth=32 --direct=1 --size=$((OMB))M \
		--io_size=$((mb * FILL / 100))M --randrepeat=0 --eta=never --output=/dev/null
	read -r f2 s2 v2 <<<"$(mem)"
	used=$(( $(wb_field r 2) - $(wb_field r 3) ))
	say "$t ${mb} MiB cache: $WB_TABLE" >&2
	say "$t ${mb} MiB cache: loaded: MemFree -$((f0 - f1)) KiB, Slab +$((s1 - s0)) KiB, VmallocUsed +$((v1 - v0)) KiB" >&2
	say "$t ${mb} MiB cache: $used blocks in use: MemFree -$((f0 - f2)) KiB, Slab +$((s2 - s0)) KiB, VmallocUsed +$((v2 - v0)) KiB" >&2
	dmsetup remove --retry r
	echo $((s1 - s0 + v1 - v0)) $((s2 - s0 + v2 - v0))
}

SMALL=$((CMB / 4))
declare -A PER FIXED TOTAL
for t in $(wb_targets); do
	read -r le_s lf_s <<<"$(measure "$t" "$SMALL")" || continue
	read -r le_b lf_b <<<"$(measure "$t" "$CMB")" || continue
	[ -n "$lf_b" ] && [ -n "$lf_s" ] || continue
	nb=$BLOCKS ns=$((SMALL * 256))
	# per block: the slope between the two cache sizes; fixed: the rest
	PER[$t]=$(awk -v a="$lf_s" -v b="$lf_b" -v na="$ns" -v nb="$nb" 'BEGIN { printf "%.1f", (b - a) * 1024 / (nb - na) }')
	FIXED[$t]=$(awk -v a="$lf_s" -v p="${PER[$t]}" -v na="$ns" 'BEGIN { printf "%.0f", a - p * na / 1024 }')
	TOTAL[$t]=$(awk -v b="$lf_b" -v nb="$nb" 'BEGIN { printf "%.1f", b * 1024 / nb }')
	say "$t: ${PER[$t]} bytes per cache block (slope between $SMALL and $CMB MiB), ${FIXED[$t]} KiB fixed; ${TOTAL[$t]} bytes per block all included at $CMB MiB"
done

say "== RAM results (kernel memory, Slab + VmallocUsed deltas, ${FILL}% of the blocks in use)"
printf '%-12s %14s %12s %22s\n' target bytes/block fixed_KiB "bytes/block@${CMB}MiB"
for t in $(wb_targets); do
	printf '%-12s %14s %12s %22s\n' "$t" "${PER[$t]:-}" "${FIXED[$t]:-}" "${TOTAL[$t]:-}"
done
if [ "$WB_HAVE_WCACHE" = 1 ] && [ -n "${PER[wcache]:-}" ]; then
	say "ratio RAM per block wcache/writecache: $(ratio "${PER[wcache]}" "${PER[writecache]}") (issue 3 target: wcache <= 32 bytes per block)"
else
	say "ratio: n/a (dm-wcache not available)"
fi
