#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The model-based randomized crash checker (tests/crashcheck/crashcheck.py):
# a short sample of each crash-image mode; the soak is
# tests/crashcheck/soak.sh (figures in RELIABILITY.md).
#   tests/vm/run -- bats tests/vm/crashcheck.bats

CC="python3 $BATS_TEST_DIRNAME/../crashcheck/crashcheck.py"
REPRO="$BATS_TEST_DIRNAME/../crashcheck/repro"

setup_file() {
	[ -x "$BATS_TEST_DIRNAME/../replay/replay-log" ] ||
		{ echo "build first: make -C tests/replay" >&2; return 1; }
}

teardown() {
	local d
	for d in ck-iw ck-io ck-ic ck-wc ck-o ck-c ck-lw; do
		dmsetup remove --retry "$d" >/dev/null 2>&1 || true
	done
	for d in cko ckc ckio ckic ckl ckg ckr; do
		[ -d /sys/kernel/config/nullb/$d ] || continue
		echo 0 >/sys/kernel/config/nullb/$d/power 2>/dev/null || true
		rmdir /sys/kernel/config/nullb/$d || true
	done
}

# "crashcheck: ... N ops, N images, N live checks, 0 failed"
images() {
	sed -nE 's/^crashcheck: .* ([0-9]+) images, [0-9]+ live checks, 0 failed.*/\1/p' <<<"$output"
}

@test "crashcheck: RAM-disk copies at random points, live reads after every step" {
	run $CC --mode snap --seed 3 --ops 40 --image-every 6
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" -ge 4 ]
}

@test "crashcheck: power cuts of null_blk volatile caches" {
	run $CC --mode powercut --seed 2 --ops 30 --image-every 8
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" -ge 3 ]
}

@test "crashcheck: dm-log-writes replay, sampled FLUSH/FUA points" {
	run $CC --mode logwrites --seed 4 --ops 30 --lw-sample 3 --max-images 5
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" -ge 4 ]
}

@test "crashcheck self-test: a model claiming unflushed writes durable is caught" {
	run $CC --mode powercut --replay "$REPRO/selftest-unflushed.json" --selftest-ack
	echo "$output"
	[ "$status" = 1 ]
	grep -q 'after power cut 1: block .* reads zeroes, allowed {v' <<<"$output"
	# and the honest model accepts the same run
	run $CC --mode powercut --replay "$REPRO/selftest-unflushed.json"
	echo "$output"
	[ "$status" = 0 ]
}

# Issue 15 regression lists (tests/crashcheck/repro; each failed on main
# a9651dc and passes with the fixes of helper-fix15, RELIABILITY.md).
@test "crashcheck: issue 15 bug 1, a discarded cached copy must not shadow a newer bypassed write" {
	run $CC --replay "$REPRO/bug1-discard-bypass.json" --no-final-image
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" = 1 ]
}

@test "crashcheck: issue 15 bug 3, fsync after a bypassed write that was in flight during a commit" {
	run $CC --mode powercut --delay 300 --replay "$REPRO/bug3-origin-dirty.json"
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" = 1 ]
}

@test "crashcheck: issue 15 bug 2, max_age writes back an idle dirty block" {
	run $CC --replay "$REPRO/bug2-max-age.json" --no-final-image
	echo "$output"
	[ "$status" = 0 ]
	grep -q '^crashcheck: .* 0 failed' <<<"$output"
}

@test "crashcheck: 4 KiB logical-block RAM disks (issue 15 bug 0)" {
	run $CC --sector 4096 --allow-4k --mode snap --seed 5 --ops 30 --image-every 6
	echo "$output"
	[ "$status" = 0 ]
	[ "$(images)" -ge 3 ]
}

@test "crashcheck: max_age also writes back dirty blocks that were loaded at resume (after a reload)" {
	run $CC --replay "$REPRO/max-age-after-reload.json" --no-final-image
	echo "$output"
	[ "$status" = 0 ]
	grep -q '^crashcheck: .* 0 failed' <<<"$output"
}
