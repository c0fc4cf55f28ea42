#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Crash-consistency replay of dm-wcache with dm-log-writes (see
# tests/replay/crash-replay.sh): every write reaching the origin and the cache
# is logged in one log; the log is replayed up to sampled FLUSH/FUA points
# and at each the target must load and return every acknowledged write.
# CI runs a sample; the soak (>= 1000 points) is tests/replay/soak.sh.
#   tests/vm/run -- bats tests/vm/crash-replay.bats

CR="$BATS_TEST_DIRNAME/../replay/crash-replay.sh"

setup_file() {
	[ -x "$BATS_TEST_DIRNAME/../replay/replay-log" ] ||
		{ echo "build first: make -C tests/replay" >&2; return 1; }
}

points() {
	sed -nE 's/^crash-replay: ([0-9]+) points checked, 0 failed$/\1/p' <<<"$output"
}

@test "crash replay: sampled FLUSH/FUA points, writeback and table reloads during the workload" {
	run "$CR" --seed 1 --ops 300 --sample 5
	echo "$output"
	[ "$status" = 0 ]
	[ "$(points)" -ge 12 ]
}

@test "crash replay: a random half of the unflushed writes also reached the disk" {
	run "$CR" --seed 2 --ops 300 --sample 5 --subset 50
	echo "$output"
	[ "$status" = 0 ]
	[ "$(points)" -ge 12 ]
}

@test "crash replay self-test: claiming the next fsync as acknowledged is caught" {
	run "$CR" --seed 3 --ops 200 --max-points 20 --ack-ahead 1 --drain-every 0
	echo "$output"
	[ "$status" != 0 ]
	grep -q 'older than the acknowledged generation\|zeroes, but a write was acknowledged' <<<"$output"
}
