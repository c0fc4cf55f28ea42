#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sequential 1 MiB writes (issue 4): with sequential_cutoff, dm-wcache sends
# long sequential streams straight to the origin, so they run at the
# origin's speed and leave the cache device untouched.  One VM run: fio
# sequential 1 MiB writes, QD4, on the HDD model alone, on dm-writecache and
# on dm-wcache (sequential_cutoff 4 MiB, what wcachectl plans) with the same
# devices; prints MB/s, the bytes written to the cache device, and ratios.
# Usage (host): bench/sequential.sh [MIB_WRITTEN (256)] [CACHE_MB (64)] [ROUNDS (3)]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
MIB=${1:-256}
CMB=${2:-64}
ROUNDS=${3:-3}
if [ -z "${WCACHE_IN_VM:-}" ]; then
	make -s -C "$REPO/bench/hddmodel" module >/dev/null || exit 1
	mkdir -p "$REPO/bench/results"
	echo "# $(date -u '+%F %H:%M UTC'): bench/sequential.sh $*, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$REPO/bench/results/sequential.log"
	"$REPO/tests/vm/run" --mem 2048 --timeout 1200 -- bash "$REPO/bench/sequential.sh" "$MIB" "$CMB" "$ROUNDS" 2>&1 |
		grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from' -e 'Power down' -e 'sysrq: Power Off' |
		tee -a "$REPO/bench/results/sequential.log"
	exit "${PIPESTATUS[0]}"
fi
cd "$REPO" || exit 1
. bench/lib/wb.sh

say "== sequential: ${MIB} MiB of 1 MiB writes, QD4, cache ${CMB} MiB"
wb_setup $((MIB + 64)) "$CMB" || exit 1
cdev=$(dmsetup info -c --noheadings -o blkdevname wbc)

# sectors written to the cache device so far
cache_sectors() { awk '{ print $7 }' "/sys/block/$cdev/stat"; }

# seqwrite DEV: MB/s of fio's sequential 1 MiB writes
seqwrite() {
	fio --name=seq --filename="$1" --rw=write --bs=1M --iodepth=4 \
		--ioengine=libaio --direct=1 --size="${MIB}M" --output-format=json |
		jq '.jobs[0].write.bw_bytes / 1000000'
}

# ROUNDS interleaved rounds (origin alone, writecache, wcache), median per
# set-up: host load moves TCG figures a lot over one run.
declare -A MBS CB V
for r in $(seq "$ROUNDS"); do
	wb_reset_origin
	v=$(seqwrite /dev/mapper/hdd)
	V[origin]="${V[origin]:-} $v"
	CB[origin]=0
	say "round $r: origin alone: $v MB/s"
	for t in $(wb_targets); do
		wb_reset_origin
		args=""
		[ "$t" = wcache ] && args="sequential_cutoff 4194304"
		# shellcheck disable=SC2086
		if ! wb_create s "$t" $args; then
			say "$t: table refused: $WB_TABLE"
			continue
		fi
		[ "$r" = 1 ] && say "$t table: $WB_TABLE"
		c0=$(cache_sectors)
		v=$(seqwrite /dev/mapper/s)
		c1=$(cache_sectors)
		V[$t]="${V[$t]:-} $v"
		CB[$t]=$(((c1 - c0) * 512))
		say "round $r: $t: $v MB/s, $((CB[$t] / 1024)) KiB written to the cache device"
		dmsetup remove --retry s
	done
done
for t in "${!V[@]}"; do
	MBS[$t]=$(echo ${V[$t]} | tr ' ' '\n' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
done

say "== sequential results"
printf '%-12s %10s %18s\n' set-up 'median MB/s' cache_KiB_written
for t in origin $(wb_targets); do
	[ -n "${MBS[$t]:-}" ] && printf '%-12s %10.1f %18d\n' "$t" "${MBS[$t]}" "$((CB[$t] / 1024))"
done
say "ratio sequential MB/s wcache/origin: $(ratio "${MBS[wcache]:-0}" "${MBS[origin]}") (target: origin speed, ~1.0)"
say "ratio sequential MB/s wcache/writecache: $(ratio "${MBS[wcache]:-0}" "${MBS[writecache]:-0}")"
say "cache device bytes written by wcache per byte of data: $(ratio "${CB[wcache]:-0}" $((MIB * 1048576)))"
