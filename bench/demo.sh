#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the seed article's experiment in one command.  In a VM (Debian's
# kernel under QEMU), an HDD model (bench/hddmodel, seek + rotation +
# transfer) and an SSD model (brd) are PVs of one VG; fio 4k randwrite QD32
# runs on the HDD alone, the SSD alone, lvconvert --type writecache, a
# hand-made dmsetup writecache table, and wcachectl attach with both targets.
# Prints one table and writes bench/results/demo.png (gnuplot).
# The article's case (four more set-ups): a cache smaller than fio's working
# set, the hand-made table against wcachectl attach on the same devices, and
# wcachectl doctor on each under fio (its output goes into the table).
# Usage: bench/demo.sh [RUNTIME_SEC per set-up, default 15] [article]
#   article: only the HDD and the article's pair, results in bench/results/article/
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
RT=${1:-15}
ONLY=${2:-}
RES=$REPO/bench/results
[ "$ONLY" = article ] && RES=$REPO/bench/results/article
cd "$REPO"

# build what is missing (make demo already ran make)
[ -f kernel/dm-wcache.ko ] && [ -x tools/wcachectl ] || make -s all
make -s -C bench/hddmodel module >/dev/null

mkdir -p "$RES"
rm -f "$RES/demo.tsv"
start=$(date +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg)
tests/vm/run --mem 4096 --timeout ${DEMO_TIMEOUT:-1800} --outdir "$RES" -- \
	env DEMO_ONLY="$ONLY" bash bench/demo-guest.sh "$RES" "$RT" || {
	echo "demo: the VM run failed (status $?)" >&2
	exit 1
}
[ -s "$RES/demo.tsv" ] || { echo "demo: no results" >&2; exit 1; }

# The table: IOPS, x HDD, % of SSD.
echo "# $(date -u '+%F %H:%M UTC'): bench/demo.sh $RT (fio ${RT}s per set-up), host load average $load" >"$RES/demo.txt"
awk -F'\t' '
	{ name[NR] = $1; iops[NR] = $2; tab[NR] = $3; rounds[NR] = $4 }
	$1 == "hdd" { hdd = $2 }
	$1 == "ssd" { ssd = $2 }
	END {
		printf "\n%-22s %10s %10s %10s  %s\n", "set-up", "IOPS", "x HDD", "% of SSD", "rounds"
		for (i = 1; i <= NR; i++) {
			if (iops[i] == "NA") {
				printf "%-22s %10s %10s %10s\n", name[i], "n/a", "", ""
				continue
			}
			printf "%-22s %10d %10.1f %9.1f%%  %s\n", name[i], iops[i],
				hdd ? iops[i] / hdd : 0, ssd ? 100 * iops[i] / ssd : 0, rounds[i]
		}
		printf "\nTables loaded:\n"
		for (i = 1; i <= NR; i++) {
			printf "  %-20s %s\n", name[i], tab[i]
			# block size and optional arguments (after "s origin cache")
			n = split(tab[i], f, " ")
			a = ""
			for (j = 7; j <= n; j++)
				a = a " " f[j]
			args[name[i]] = a
		}
		if ("lvm-writecache" in args && "dmsetup-writecache" in args &&
		    args["lvm-writecache"] == args["dmsetup-writecache"])
			printf "\nNote: lvconvert loaded the same block size and arguments as the hand-made table (%s ).\n", args["lvm-writecache"]
	}' "$RES/demo.tsv" | tee -a "$RES/demo.txt"
echo "(article, for reference: HDD 352, NVMe 168k, LVM writecache 118k, hand-made dmsetup writecache 34.8k IOPS)" |
	tee -a "$RES/demo.txt"
# what wcachectl doctor says about the article's pair, under fio
for s in article-dmsetup article-dmsetup-pause0 article-wcachectl article-wcachectl-writecache; do
	[ -f "$RES/doctor-$s.txt" ] || continue
	{ echo; echo "wcachectl doctor on $s, while fio writes to it:"; sed 's/^/  /' "$RES/doctor-$s.txt"; } |
		tee -a "$RES/demo.txt"
done

# The chart.
awk -F'\t' '$2 != "NA" { print NR - 1, $1, $2 }' "$RES/demo.tsv" >"$RES/demo.dat"
if command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal pngcairo size 900,500 font "sans,10"
set output "$RES/demo.png"
set title "fio 4k randwrite QD32, median of 3 rounds (${RT}s in all per set-up), TCG VM: HDD model + brd SSD"
set ylabel "IOPS (log scale)"
set logscale y
set yrange [10:*]
set style fill solid 0.8
set boxwidth 0.6
set grid ytics
set xtics rotate by -20
unset key
plot "$RES/demo.dat" using 1:3:xtic(2) with boxes lc rgb "#3366aa", \
     "" using 1:3:(sprintf("%d", \$3)) with labels offset 0,0.8
EOF
	echo "chart: $RES/demo.png"
else
	echo "demo: gnuplot not installed, no chart" >&2
fi
echo "demo: $(($(date +%s) - start)) s"
