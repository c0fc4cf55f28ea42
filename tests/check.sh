#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every test suite and print one summary line "N passed, N failed".
#   host: `make -C tools check` (unit tests and host-side bats),
#         `make -C tests/fuzz check` (libFuzzer on the parsers, 10 s each)
#   vm:   every tests/vm/*.bats in one VM boot (tests/vm/run running
#         tests/vm/suites), each file still its own suite, with each test's
#         time ("ok N name in Nms")
#   boot: each tests/boot/*.sh (host-driven multi-boot tests: reboots,
#         power cuts); they drive tests/vm/run themselves and speak TAP;
#         with 4+ CPUs they run in the background meanwhile
#   kernels: the compile matrix (host 6.1, 6.12, newest Debian 13 backports
#         kernel: scripts/kernels.sh build, with the host suites) and a
#         smoke run of vm/target on the newest kernel (after the VM
#         suites); WCACHE_CHECK_KERNELS=0 skips both.  The full matrix is
#         `make check-kernels`
# Options: --host-only, --vm-only, --full, or suite files/patterns to run
# (=NAME: that suite only, e.g. =vm/target).
# CI (make check) must stay under an hour on a 2-core machine, so the
# suites in FULL_ONLY run only with --full (make check-full) or by name,
# and with WCACHE_CHECK_QUICK=1 boot/packaging skips its VM steps and
# boot/initramfs its hibernation boots; their last results are in
# RELIABILITY.md.
set -u
cd "$(dirname "$0")/.." || exit 1

HOST=1 VM=1 FULL=0
ONLY=()
for a in "$@"; do
	case "$a" in
	--host-only) VM=0 ;;
	--vm-only) HOST=0 ;;
	--full) FULL=1 ;;
	*) ONLY+=("$a") ;;
	esac
done
FULL_ONLY=" ${WCACHE_FULL_ONLY-boot/qemu-kill} "
# the slow parts of some suites (boot/packaging's VM steps, boot/initramfs's
# hibernation boots) run only with --full
[ "$FULL" = 1 ] || export WCACHE_CHECK_QUICK=${WCACHE_CHECK_QUICK:-1}

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
	if [ ${#ONLY[@]} -eq 0 ]; then
		[ "$FULL" = 1 ] && return 0
		case $FULL_ONLY in *" $1 "*) return 1 ;; esac
		return 0
	fi
	local o
	for o in "${ONLY[@]}"; do
		case "$o" in
		=*) [ "$1" = "${o#=}" ] && return 0 ;;	# =vm/NAME: exactly
		*) case "$1" in *"$o"*) return 0 ;; esac ;;
		esac
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

# Several tests/vm/*.bats files in one VM boot (tests/vm/suites runs them
# one after the other, cleans up between them and checks the kernel log after
# each); each file is still its own suite with its own log and tally.
# WCACHE_VM_BOOT_PER_SUITE=1 boots one VM per file instead.
run_vm_boot() {
	local line name="" log="" rc="" glog=$LOGDIR/vm-boot.log f n src fail0=$fail
	local -A ended=()
	echo "== VM boot for ${#@} suite(s)"
	: >"$glog"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$glog"
		case $line in
		*"::wcache-suite begin "*)
			[ -n "${line%%::wcache-suite*}" ] && printf '%s\n' "${line%%::wcache-suite*}"
			name=${line#*::wcache-suite begin }
			log=$LOGDIR/$(echo "$name" | tr '/ ' '__').log
			echo "== $name"
			: >"$log"
			t0=$SECONDS
			continue ;;
		*"::wcache-suite end "*)
			read -r n src <<<"${line#*::wcache-suite end }"
			[ -n "$log" ] || { log=$LOGDIR/$(echo "$n" | tr '/ ' '__').log; : >"$log"; }
			tally "$n" "$log" "$src"
			ended[$n]=1
			name="" log=""
			continue ;;
		*"::wcache-vm-exit "*)
			rc=${line#*::wcache-vm-exit }
			continue ;;
		esac
		printf '%s\n' "$line"
		[ -z "$log" ] || printf '%s\n' "$line" >>"$log"
	done < <(tests/vm/run --timeout $((600 + 1200 * $#)) -- tests/vm/suites 1200 "$@" 2>&1
		echo "::wcache-vm-exit $?")
	# suites that the VM did not finish (time-out, lost VM) fail
	for f in "$@"; do
		n=vm/$(basename "$f" .bats)
		[ -z "${ended[$n]:-}" ] || continue
		log=$LOGDIR/$(echo "$n" | tr '/ ' '__').log
		if [ "$n" != "$name" ]; then
			echo "== $n"
			: >"$log"
			t0=$SECONDS
		fi
		echo "# $n: the VM ended (exit ${rc:-?}) before this suite finished" | tee -a "$log"
		tally "$n" "$log" "${rc:-124}"
		name=""
	done
	# a failed boot that no suite accounts for (e.g. a kernel warning at
	# power-off) fails too
	if [ "${rc:-124}" != 0 ] && [ "$fail" = "$fail0" ]; then
		t0=$SECONDS
		echo "# the VM ended with exit status ${rc:-124} (console: $glog)" >"$LOGDIR/vm_boot.log"
		tally vm/boot "$LOGDIR/vm_boot.log" "${rc:-124}"
	fi
}

# With 4 or more CPUs (and memory for two guests), the boot suites run one
# after the other in the background while the VM suites' boot runs: two VMs
# at a time. Their logs are printed and tallied when the VM suites are done.
# WCACHE_CHECK_JOBS=1 or 2 overrides the choice.
mem_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null)
if [ "$(nproc 2>/dev/null || echo 1)" -ge 4 ] && [ "${mem_kb:-0}" -ge $((8 << 20)) ]; then
	JOBS=${WCACHE_CHECK_JOBS:-2}
else
	JOBS=${WCACHE_CHECK_JOBS:-1}
fi

# a boot suite that hangs fails alone instead of eating the CI run's time
BOOT_TIMEOUT=${WCACHE_BOOT_SUITE_TIMEOUT:-1500}

start_boot_suites() {	# start_boot_suites DIR FILE...
	local dir=$1
	shift
	echo "== boot suites started in the background (two VMs at a time): $*"
	(
		for f in "$@"; do
			b=$(basename "$f" .sh)
			s=$SECONDS
			timeout -k 30 "$BOOT_TIMEOUT" "$f" >"$dir/$b.log" 2>&1 </dev/null
			echo "$? $((SECONDS - s))" >"$dir/$b.rc"
		done
	) &
	BOOT_PID=$!
}

finish_boot_suites() {	# finish_boot_suites DIR FILE...
	local dir=$1 f b name log rc secs
	shift
	wait "$BOOT_PID"
	for f in "$@"; do
		b=$(basename "$f" .sh)
		name=boot/$b
		log=$LOGDIR/boot_$b.log
		echo "== $name"
		cp "$dir/$b.log" "$log" 2>/dev/null || : >"$log"
		cat "$log"
		read -r rc secs <"$dir/$b.rc" 2>/dev/null || { rc=124 secs=0; }
		t0=$((SECONDS - secs))
		tally "$name" "$log" "$rc"
	done
}

start=$SECONDS
if [ "$HOST" = 1 ]; then
	run_suite host/tools make -s -C tools check
	run_suite host/fuzz make -s -C tests/fuzz check
	[ "${WCACHE_CHECK_KERNELS:-1}" = 0 ] || run_suite kernels/build scripts/kernels.sh build
fi
if [ "$VM" = 1 ]; then
	# fuzz last: udev needs minutes for the events of its thousands of
	# device-mapper devices, which the next suite in the same boot would
	# have to wait for
	vm_files=()
	for f in $(ls tests/vm/*.bats 2>/dev/null | grep -v /fuzz.bats) tests/vm/fuzz.bats; do
		[ -e "$f" ] || continue
		wanted "vm/$(basename "$f" .bats)" && vm_files+=("$f")
	done
	boot_files=()
	# tests/boot/*.sh are the host-driven suites; their guest halves
	# (*.bash, *.bats, *.busybox) are not
	for f in tests/boot/*.sh; do
		[ -e "$f" ] && wanted "boot/$(basename "$f" .sh)" && boot_files+=("$f")
	done
	if [ "$JOBS" -ge 2 ] && [ ${#boot_files[@]} -gt 0 ]; then
		bg=$(mktemp -d)
		start_boot_suites "$bg" "${boot_files[@]}"
	fi
	if [ "${WCACHE_VM_BOOT_PER_SUITE:-0}" = 1 ]; then
		for f in "${vm_files[@]}"; do
			run_vm_boot "$f"
		done
	elif [ ${#vm_files[@]} -gt 0 ]; then
		run_vm_boot "${vm_files[@]}"
	fi
	if [ "$JOBS" -ge 2 ] && [ ${#boot_files[@]} -gt 0 ]; then
		finish_boot_suites "$bg" "${boot_files[@]}"
		rm -rf "$bg"
	else
		for f in "${boot_files[@]}"; do
			run_suite "boot/$(basename "$f" .sh)" timeout -k 30 "$BOOT_TIMEOUT" "$f"
		done
	fi
	[ "${WCACHE_CHECK_KERNELS:-1}" = 0 ] ||
		run_suite kernels/newest-smoke scripts/kernels.sh test --smoke newest
fi

echo
echo "suites took $((SECONDS - start))s; logs in $LOGDIR"
[ "$FULL" = 1 ] || [ ${#ONLY[@]} -gt 0 ] || [ -z "${FULL_ONLY// /}" ] ||
	echo "not run here (make check-full runs them):$FULL_ONLY"
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "check: $pass passed, $fail failed"
[ "$fail" = 0 ]
