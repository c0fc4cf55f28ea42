#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every test suite and print one summary line "N passed, N failed".
#   host: `make -C tools check` (unit tests and host-side bats),
#         `make -C tests/fuzz check` (libFuzzer on the parsers, 10 s each)
#   vm:   each tests/vm/*.bats in its own VM boot (tests/vm/run), with
#         each test's time ("ok N name in Nms")
#   boot: each tests/boot/*.sh (host-driven multi-boot tests: reboots,
#         power cuts); they drive tests/vm/run themselves and speak TAP
# Options: --host-only, --vm-only, or suite files/patterns to run.
set -u
cd "$(dirname "$0")/.." || exit 1

HOST=1 VM=1
ONLY=()
for a in "$@"; do
	case "$a" in
	--host-only) VM=0 ;;
	--vm-only) HOST=0 ;;
	*) ONLY+=("$a") ;;
	esac
done

LOGDIR=${WCACHE_TEST_LOGS:-/var/tmp/wcache-test-logs}
mkdir -p "$LOGDIR"
pass=0 fail=0
failed_suites=()

# Count TAP results and "N passed, N failed" lines of one suite's log.
tally() {
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -Ec '^ok [0-9]+' "$log")
	f=$(grep -Ec '^not ok [0-9]+' "$log")
	while read -r np nf; do
		p=$((p + np)); f=$((f + nf))
	done < <(sed -nE 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log")
	# a suite that failed without reporting a failed test still fails
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "# $name: exit status $rc" | tee -a "$log"
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "# $name: ran no test" | tee -a "$log"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	[ "$f" = 0 ] || failed_suites+=("$name")
	printf '== %s: %d passed, %d failed (%ss)\n' "$name" "$p" "$f" "$((SECONDS - t0))"
}

wanted() {
	[ ${#ONLY[@]} -eq 0 ] && return 0
	local o
	for o in "${ONLY[@]}"; do
		case "$1" in *"$o"*) return 0 ;; esac
	done
	return 1
}

run_suite() {
	local name=$1; shift
	wanted "$name" || return 0
	local log=$LOGDIR/$(echo "$name" | tr '/ ' '__').log
	echo "== $name"
	t0=$SECONDS
	"$@" 2>&1 | tee "$log"
	tally "$name" "$log" "${PIPESTATUS[0]}"
}

start=$SECONDS
if [ "$HOST" = 1 ]; then
	run_suite host/tools make -s -C tools check
	run_suite host/fuzz make -s -C tests/fuzz check
fi
if [ "$VM" = 1 ]; then
	for f in tests/vm/*.bats; do
		[ -e "$f" ] || continue
		run_suite "vm/$(basename "$f" .bats)" tests/vm/run --timeout 1200 -- bats --tap --timing "$f"
	done
	for f in tests/boot/*.sh; do
		[ -e "$f" ] || continue
		run_suite "boot/$(basename "$f" .sh)" "$f"
	done
fi

echo
echo "suites took $((SECONDS - start))s; logs in $LOGDIR"
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "check: $pass passed, $fail failed"
[ "$fail" = 0 ]
