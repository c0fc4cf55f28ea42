#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# dm-wcache writeback: watermarks, cleaner, sequential bypass.  In the VM:
#   tests/vm/run -- bats tests/vm/target-writeback.bats

load target-lib.sh

O=/dev/ram0		# origin, 96 MiB
C=/dev/mapper/wbc	# cache: first 32 MiB of /dev/ram1

setup_file() {
	wc_load
	wc_brd 2 96
	echo "0 65536 linear /dev/ram1 0" | dmsetup create wbc
}

teardown_file() {
	dmsetup remove --retry wbc || true
}

setup() {
	dmsetup remove --retry wc >/dev/null 2>&1 || true
	wc_zero_sb $C
}

teardown() {
	dmsetup remove --retry wc >/dev/null 2>&1 || true
}

# wait until status field $1 stops changing; prints it
settle() {
	local f=$1 a b i
	a=$(wc_status_field wc "$f")
	for i in $(seq 40); do
		sleep 0.5
		b=$(wc_status_field wc "$f")
		[ "$a" = "$b" ] && [ "$(wc_status_field wc 4)" = 0 ] && break
		a=$b
	done
	echo "$b"
}

@test "writeback starts at high_watermark and stops at low_watermark" {
	local opts="low_watermark 30 autocommit_time 100 writeback_jobs 4096"
	local tbl="0 $(wc_sectors $O) wcache s $O $C 4096 8"
	wc_create wc $O $C 4096 high_watermark 50 $opts
	local total=$(wc_status_field wc 2) n used
	# 40% of the cache: below high_watermark, nothing is written back
	n=$((total * 40 / 100))
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=$n oflag=direct status=none
	sleep 2
	[ "$(wc_status_field wc 17)" = 0 ]
	# 25% more (65% in use) while writeback is held off, then high_watermark
	# back to 50: writeback runs down to ~30%, not one whole batch of
	# writeback_jobs (4096 blocks would leave 14%)
	dmsetup reload wc --table "$tbl high_watermark 100 $opts" && dmsetup resume wc
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=$((total * 25 / 100)) seek=$n oflag=direct status=none
	dmsetup reload wc --table "$tbl high_watermark 50 $opts" && dmsetup resume wc
	settle 17 >/dev/null
	used=$((total - $(wc_status_field wc 3)))
	echo "total $total used $used written back $(wc_status_field wc 17)"
	[ "$(wc_status_field wc 17)" -gt 0 ]
	[ $((used * 100)) -le $((total * 31)) ]
	[ $((used * 100)) -ge $((total * 20)) ]
}

@test "cleaner drains to zero dirty and the bare origin equals what was written" {
	wc_create wc $O $C 4096
	head -c 12M /dev/urandom >/tmp/pat
	fio --name=w --filename=/dev/mapper/wc --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=16 --size=12M --output=/dev/null
	# then lay the known pattern over it, partly sequential partly random
	dd if=/tmp/pat of=/dev/mapper/wc bs=64k oflag=direct status=none
	[ "$(wc_status_field wc 5)" -gt 0 ]
	dmsetup message wc 0 cleaner
	dmsetup table wc | grep -q cleaner || true
	local i
	for i in $(seq 60); do
		[ "$(wc_status_field wc 5)" = 0 ] && break
		sleep 0.5
	done
	[ "$(wc_status_field wc 5)" = 0 ]
	dmsetup remove --retry wc
	dd if=$O of=/tmp/rb bs=1M count=12 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
}

@test "sequential bypass over cached blocks never returns stale data" {
	wc_create wc $O $C 4096 sequential_cutoff 262144
	# cache scattered blocks of the range with old data
	head -c 8M /dev/urandom >/tmp/old
	head -c 8M /dev/urandom >/tmp/new
	local i
	for i in 3 17 100 511 1000 1500 2047; do
		dd if=/tmp/old of=/dev/mapper/wc bs=4k skip=$i seek=$i count=1 oflag=direct status=none
	done
	[ "$(wc_status_field wc 5)" = 7 ]
	# a long sequential stream over the whole range
	dd if=/tmp/new of=/dev/mapper/wc bs=1M oflag=direct conv=fsync status=none
	[ "$(wc_status_field wc 10)" -gt 1000 ]	# bypassed (sequential)
	dd if=/dev/mapper/wc of=/tmp/rb bs=1M count=8 iflag=direct status=none
	cmp /tmp/new /tmp/rb
	# after writeback the cached (updated) copies must not clobber the origin
	wc_writeback wc
	[ "$(wc_status_field wc 5)" = 0 ]
	dmsetup remove --retry wc
	dd if=$O of=/tmp/rb bs=1M count=8 iflag=direct status=none
	cmp /tmp/new /tmp/rb
}
