# SPDX-License-Identifier: GPL-2.0
# Host-side helpers of the boot tests (sourced by tests/boot/activation.sh and
# tests/boot/packaging.sh): boot the VM and turn the guest's "WCT ok - ..." /
# "WCT not ok - ..." lines (tests/boot/guest-lib.bash) into TAP.
# The caller sets: n and failed (TAP counters), RUN (tests/vm/run), OUT (the
# directory shared with the guest by --outdir).

# the guest's WCT lines of one boot as TAP, numbered here
collect() {	# collect LOG RC WHAT
	local log=$1 rc=$2 what=$3 l seen=0
	while IFS= read -r l; do
		case $l in
		"ok - "*|"not ok - "*)
			n=$((n + 1)); seen=1
			case $l in "not ok"*) failed=$((failed + 1)) ;; esac
			echo "${l%% - *} $n - [$what] ${l#* - }" ;;
		"# "*) echo "$l" ;;
		esac
	done < <(sed -n 's/^.*WCT //p' "$log" | awk '!s[$0]++')
	if [ "$rc" != 0 ] || [ "$seen" = 0 ]; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - [$what] the boot ended with status $rc"
		tail -n 40 "$log" | sed 's/^/# /'
	fi
}

boot() {	# boot WHAT LOG [tests/vm/run options] -- guest args
	local what=$1 log=$2 t=$SECONDS rc
	shift 2
	"$RUN" --timeout 600 --outdir "$OUT" "$@" >"$log" 2>&1
	rc=$?
	echo "# $what: $((SECONDS - t)) s"
	collect "$log" "$rc" "$what"
}
