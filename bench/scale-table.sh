#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The table of bench/scale.sh from its log lines ("[  12s] 32 GiB wcache:
# status_us = 270"), so that a run cut short (time-out at the largest size)
# still gives the figures of the sizes it finished.  Ratios are largest
# measured size / smallest, per target.  Several logs (runs of different
# sizes) are merged; a figure seen twice keeps the later log's value.
# Usage: bench/scale-table.sh [LOG... (bench/results/scale.log)]
set -u
[ $# -gt 0 ] || set -- "$(cd "$(dirname "$0")" && pwd)/results/scale.log"
awk '
/^\[ *[0-9]+s\] [0-9]+ GiB [a-z]+: [A-Za-z_0-9]+ = / {
	sub(/^\[ *[0-9]+s\] /, ""); split($0, f, " ")
	g = f[1] + 0; t = f[3]; sub(/:$/, "", t); m = f[4]; v = f[6]
	V[g, t, m] = v
	if (!(g in GS)) { GS[g] = 1; sizes[++ns] = g }
	if (!(t in TS)) { TS[t] = 1; targets[++nt] = t }
	if (!(m in MS)) { MS[m] = 1; metrics[++nm] = m }
}
function num(x) { return x != "" && x ~ /^-?[0-9.]+$/ }
END {
	if (!ns) { print "scale-table: no figures in the log"; exit 1 }
	# sizes in ascending order
	for (i = 1; i <= ns; i++) for (j = i + 1; j <= ns; j++)
		if (sizes[j] < sizes[i]) { x = sizes[i]; sizes[i] = sizes[j]; sizes[j] = x }
	printf "%-20s", "metric"
	for (k = 1; k <= nt; k++) {
		for (i = 1; i <= ns; i++) printf " %15s", targets[k] "@" sizes[i] "G"
		printf " %8s", "last/1st"
	}
	printf "\n"
	for (n = 1; n <= nm; n++) {
		m = metrics[n]
		printf "%-20s", m
		for (k = 1; k <= nt; k++) {
			t = targets[k]; first = ""; last = ""
			for (i = 1; i <= ns; i++) {
				v = ((sizes[i], t, m) in V) ? V[sizes[i], t, m] : "-"
				printf " %15s", v
				if (v != "-") { if (first == "") first = v; last = v }
			}
			if (num(first) && num(last) && first + 0 > 0) printf " %8.2f", last / first
			else printf " %8s", "n/a"
		}
		printf "\n"
	}
	for (k = 1; k <= nt; k++) {
		t = targets[k]; lo = ""; hi = ""
		for (i = 1; i <= ns; i++) if ((sizes[i], t, "status_us") in V) { if (lo == "") lo = sizes[i]; hi = sizes[i] }
		if (lo == "" || lo == hi) continue
		split("status_us fsync_empty_us fsync_64_us wb_cpu_us_per_block ctr_load_s", ms, " ")
		for (n = 1; n <= 5; n++) {
			m = ms[n]
			a = V[hi, t, m]; b = V[lo, t, m]
			if (num(a) && num(b) && b + 0 > 0)
				printf "ratio %dG/%dG %s %s: %.2f%s\n", hi, lo, m, t, a / b,
					(n <= 3 && t == "wcache") ? " (issue 16 goal: <= 1.5)" : ""
		}
	}
}' "$@"
