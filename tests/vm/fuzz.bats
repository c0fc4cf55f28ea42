#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Fuzzing the dm-wcache target in the kernel (tests/fuzz/dmfuzz): random
# constructor tables and corrupted metadata images must each be refused
# cleanly or, when valid, load, serve I/O, unload and load again; the VM
# harness fails the run on any oops or WARNING.  CI runs a sample with a
# seed that changes daily; the full counts: tests/fuzz/soak.sh.
#   tests/vm/run -- bats tests/vm/fuzz.bats

load target-lib.sh

DF="$BATS_TEST_DIRNAME/../fuzz/dmfuzz"
SEED=${WCACHE_FUZZ_SEED:-$(date +%Y%m%d)}

setup_file() {
	[ -x "$DF" ] || { echo "build first: make -C tests/fuzz dmfuzz" >&2; return 1; }
	wc_load
	wc_brd 2 64
	dmsetup create fzc --table "0 32768 linear /dev/ram1 0"
}

teardown_file() {
	dmsetup remove --retry fzc || true
}

@test "1000 random constructor tables: refused cleanly or loaded and usable (seed $SEED)" {
	run "$DF" tables /dev/ram0 /dev/mapper/fzc 1000 "$SEED"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"dmfuzz: 1000 tables, "*" 0 failed"* ]]
	wc_dmesg_clean
}

@test "100 corrupted metadata images: refused cleanly or loaded, usable and loadable again (seed $SEED)" {
	run "$DF" images /dev/ram0 /dev/mapper/fzc 100 "$SEED"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"dmfuzz: 100 images, "*" 0 failed; the offline tools agreed on "* ]]
	wc_dmesg_clean
}

@test "commit sequence numbers at the limit: refused past it, the highest accepted one stays loadable" {
	# regression: a 40-bit wrap of the commit number once turned an
	# accepted cache into one refused on its next load
	run "$DF" seqlimit /dev/ram0 /dev/mapper/fzc 0
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"dmfuzz: seqlimit, "*" 0 failed"* ]]
	wc_dmesg_clean
}
