#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side CLI tests of wcachectl: usage, exit codes on bad arguments,
# refusal without root. No device-mapper needed.

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	WC="$TOP/tools/wcachectl"
	[ -x "$WC" ] || make -C "$TOP/tools" wcachectl >/dev/null
}

# run wcachectl as an unprivileged user
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$WC" "$@"
}

@test "--version prints the version" {
	run "$WC" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^wcachectl\ [0-9]+\.[0-9]+ ]]
}

@test "--help lists every subcommand and exit code" {
	run "$WC" --help
	[ "$status" -eq 0 ]
	for c in attach plan tune split status list profile activate deactivate; do
		[[ "$output" == *"  $c "* ]]
	done
	[[ "$output" == *"Exit codes:"* ]]
}

@test "no arguments: usage on stderr, exit 2" {
	run "$WC"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Usage: wcachectl"* ]]
}

@test "unknown command: exit 2 with a clear line" {
	run "$WC" frobnicate
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "wcachectl: unknown command 'frobnicate'" ]]
}

@test "COMMAND --help works for every subcommand" {
	for c in attach plan tune split status list profile activate deactivate; do
		run "$WC" "$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == "Usage: wcachectl $c"* ]]
		run "$WC" help "$c"
		[ "$status" -eq 0 ]
		[[ "$output" == "Usage: wcachectl $c"* ]]
	done
}

@test "attach without VG/LV: exit 2" {
	run "$WC" attach --cachevol fast
	[ "$status" -eq 2 ]
	[[ "$output" == *"attach needs VG/LV"* ]]
}

@test "attach without --cachevol: exit 2" {
	run "$WC" attach vg/slow
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs --cachevol"* ]]
}

@test "malformed VG/LV names: exit 2" {
	for a in vg vg/ /lv vg/a/b "vg/a b" "vg/-x" "vg/.." "vg/a*"; do
		run "$WC" split "$a"
		[ "$status" -eq 2 ]
		[[ "$output" == *"is not VG/LV"* ]]
	done
}

@test "cachevol equal to the origin: exit 2" {
	run "$WC" attach vg/slow --cachevol slow
	[ "$status" -eq 2 ]
	[[ "$output" == *"origin itself"* ]]
}

@test "bad --block-size values: exit 2" {
	for b in 0 100 3000 1M abc 131072; do
		run "$WC" plan vg/slow --cachevol fast --block-size "$b"
		[ "$status" -eq 2 ]
		[[ "$output" == *"invalid block size"* ]]
	done
}

@test "bad --set values: exit 2 with the valid range" {
	run "$WC" plan vg/slow -c fast --set high_watermark=101
	[ "$status" -eq 2 ]
	[[ "$output" == *"valid: 0..100"* ]]
	run "$WC" plan vg/slow -c fast --set nosuchkey=1
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'nosuchkey'"* ]]
	run "$WC" plan vg/slow -c fast --set high_watermark
	[ "$status" -eq 2 ]
	run "$WC" plan vg/slow -c fast --set writeback_jobs=0
	[ "$status" -eq 2 ]
}

@test "bad --target: exit 2" {
	run "$WC" attach vg/slow -c fast --target bcache
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown target 'bcache'"* ]]
}

@test "options that do not apply to a command: exit 2" {
	run "$WC" split vg/slow --cachevol fast
	[ "$status" -eq 2 ]
	run "$WC" status --uncache
	[ "$status" -eq 2 ]
	run "$WC" list vg/slow
	[ "$status" -eq 2 ]
	run "$WC" deactivate vg/slow --force
	[ "$status" -eq 2 ]
}

@test "unknown option and missing option value: exit 2" {
	run "$WC" status --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	run "$WC" attach vg/slow --cachevol
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs a value"* ]]
}

@test "extra positional argument: exit 2" {
	run "$WC" status vg/a vg/b
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument 'vg/b'"* ]]
}

@test "non-root: every LVM/DM command refuses with exit 3" {
	for c in "attach vg/slow --cachevol fast" "plan vg/slow --cachevol fast" \
		 "split vg/slow" "status" "status vg/slow" "list" \
		 "activate vg/slow" "deactivate vg/slow" "tune vg/slow high_watermark=60" \
		 "tune vg/slow --profile wcache-default"; do
		# shellcheck disable=SC2086
		run as_nobody $c
		[ "$status" -eq 3 ]
		[[ "$output" == *"needs root privileges"* ]]
	done
}

@test "non-root: help and version still work" {
	run as_nobody --help
	[ "$status" -eq 0 ]
	run as_nobody --version
	[ "$status" -eq 0 ]
	run as_nobody plan --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: wcachectl plan"* ]]
}

@test "non-root: usage errors are reported before the root check" {
	run as_nobody attach vg/slow
	[ "$status" -eq 2 ]
}

@test "help text and man page list the same subcommands" {
	man="$TOP/man/wcachectl.8"
	[ -f "$man" ]
	for c in attach plan tune split status list profile activate deactivate; do
		grep -q "^\.SS $c\$" "$man"
	done
	# every exit code in --help is documented in the man page
	for n in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		grep -q "^\.B $n\$" "$man"
	done
}

@test "every option in --help is documented in the man page" {
	man="$TOP/man/wcachectl.8"
	opts=$("$WC" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	[ -n "$opts" ]
	for o in $opts; do
		grep -q -- "${o//-/\\\\-}" "$man" || { echo "missing in man: $o"; return 1; }
	done
}

@test "tune: usage errors before anything else, with the valid range" {
	run "$WC" tune vg/slow
	[ "$status" -eq 2 ]
	[[ "$output" == *"tune needs key=val settings or --profile NAME"* ]]
	run "$WC" tune high_watermark=60
	[ "$status" -eq 2 ]
	run "$WC" tune vg/slow high_watermark=101
	[ "$status" -eq 2 ]
	[[ "$output" == *"out of range (valid: 0..100 %)"* ]]
	run "$WC" tune vg/slow writeback_jobs=65537
	[ "$status" -eq 2 ]
	[[ "$output" == *"valid: 1..65536 blocks"* ]]
	run "$WC" tune vg/slow nosuch=1
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'nosuch' (valid: high_watermark"* ]]
	run "$WC" tune vg/slow high_watermark
	[ "$status" -eq 2 ]
	run "$WC" tune vg/slow --cachevol fast high_watermark=60
	[ "$status" -eq 2 ]
	[[ "$output" == *"does not apply"* ]]
	run "$WC" tune vg/slow --profile ../x
	[ "$status" -eq 2 ]
}
