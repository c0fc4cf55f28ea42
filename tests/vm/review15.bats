#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Regression tests for the kernel findings of issue 15 (crash safety, error
# policy).  Each test failed on the code before its fix; RELIABILITY.md,
# "Review findings (issue 15)", has the before/after runs.  Run inside the VM:
#   tests/vm/run -- bats tests/vm/review15.bats

load target-lib.sh

MD="python3 $BATS_TEST_DIRNAME/md-tool.py"

setup_file() {
	wc_load
	wc_modprobe null_blk nr_devices=0
	wc_modprobe dm-delay
	wc_modprobe dm-flakey
}

teardown() {
	local d
	for d in wc wo wco; do
		dmsetup remove --retry $d >/dev/null 2>&1 ||
			dmsetup remove --retry --force $d >/dev/null 2>&1 || true
	done
	for d in r15o r15c; do
		[ -d /sys/kernel/config/nullb/$d ] || continue
		echo 0 >/sys/kernel/config/nullb/$d/power 2>/dev/null || true
		rmdir /sys/kernel/config/nullb/$d || true
	done
	grep -q '^brd ' /proc/modules && rmmod brd || true
}

# devices SIZE_O SIZE_C [BS [CACHE_MB]]: null_blk origin $O and cache $C
devices() {
	O=$(wc_nullb r15o "$1" "${4:-0}" "${3:-512}")
	C=$(wc_nullb r15c "$2" 0 "${3:-512}")
	[ -b "$O" ] && [ -b "$C" ]
	wc_zero_sb "$C"
}

dirty() {
	wc_status_field wc 5
}

fsync_dev() {
	python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$1"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local t=$(($1 * 10))
	shift
	while ! "$@"; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

is_clean() {
	[ "$(dirty)" = 0 ]
}

# --- item 0 --------------------------------------------------------------

@test "4 KiB logical-block cache: random writes with verify, no oops, data back after reload" {
	devices 128 64 4096
	[ "$(blockdev --getss "$C")" = 4096 ]
	wc_create wc "$O" "$C" 4096 autocommit_time 50
	fio --name=r4k --filename=/dev/mapper/wc --ioengine=libaio --direct=1 \
		--rw=randwrite --bs=4k --iodepth=16 --size=32M --fsync=32 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --output=/dev/null
	[ "$(wc_status_field wc 1)" = 0 ]
	head -c 4M /dev/urandom >/tmp/r15pat
	dd if=/tmp/r15pat of=/dev/mapper/wc bs=64k seek=100 oflag=direct conv=fsync status=none
	dmsetup remove --retry wc
	wc_create wc "$O" "$C" 4096
	[ "$(wc_status_field wc 1)" = 0 ]
	[ "$(dirty)" -gt 0 ]
	cmp /tmp/r15pat <(dd if=/dev/mapper/wc bs=64k skip=100 count=64 iflag=direct status=none)
	wc_dmesg_clean
}

@test "4 KiB logical-block cache: a block size below it is refused with a clear error" {
	devices 64 32 4096
	dmesg -C
	run wc_create wc "$O" "$C" 512
	[ "$status" -ne 0 ]
	dmesg | grep -F -q "smaller than a device's logical block size"
}

# --- item 1 --------------------------------------------------------------

# crash image of RAM-disk-backed devices: copy both while the target runs,
# remove it, put the copies back and load them
crash_image_reload() {
	dd if="$O" of=/tmp/r15o.img bs=1M iflag=direct status=none
	dd if="$C" of=/tmp/r15c.img bs=1M iflag=direct status=none
	dmsetup remove --retry wc
	dd if=/tmp/r15o.img of="$O" bs=1M oflag=direct status=none
	dd if=/tmp/r15c.img of="$C" bs=1M oflag=direct status=none
	wc_create wc "$O" "$C" 4096 "$@"
}

@test "discard then a bypassed write: the stale cached copy does not come back after a crash" {
	devices 64 32
	wc_create wc "$O" "$C" 4096 autocommit_time 3600000 sequential_cutoff 4096
	head -c 4096 /dev/urandom >/tmp/r15old
	head -c 8192 /dev/urandom >/tmp/r15new
	dd if=/tmp/r15old of=/dev/mapper/wc bs=4k seek=10 oflag=direct conv=fsync status=none
	blkdiscard -o $((10 * 4096)) -l 4096 /dev/mapper/wc
	dd if=/tmp/r15new of=/dev/mapper/wc bs=8k seek=5 oflag=direct conv=fsync status=none
	cmp /tmp/r15new <(dd if=/dev/mapper/wc bs=8k skip=5 count=1 iflag=direct status=none)
	crash_image_reload
	cmp /tmp/r15new <(dd if=/dev/mapper/wc bs=8k skip=5 count=1 iflag=direct status=none)
}

@test "writeback then a FUA bypassed write: the written-back copy does not come back after a crash" {
	devices 16 8
	local csz=$(wc_sectors "$C")
	dmsetup create wco --table "0 $csz linear $C 0"
	wc_create wc "$O" /dev/mapper/wco 4096 autocommit_time 3600000
	head -c 4096 /dev/urandom >/tmp/r15old
	head -c 4096 /dev/urandom >/tmp/r15new
	dd if=/tmp/r15old of=/dev/mapper/wc bs=4k seek=10 oflag=direct conv=fsync status=none
	# cache writes delayed 5 s from now on: the commit that frees the
	# written-back block's slot is still in flight when the FUA write
	# completes and the crash image is taken
	dmsetup reload wco --table "0 $csz delay $C 0 0 $C 0 5000 $C 0 0"
	dmsetup resume wco
	dmsetup message wc 0 cleaner
	wait_for 20 is_clean
	# FUA write (O_DSYNC on a block device); the cleaner bypasses the cache
	dd if=/tmp/r15new of=/dev/mapper/wc bs=4k seek=10 oflag=direct,dsync status=none
	dd if="$O" of=/tmp/r15o.img bs=1M iflag=direct status=none
	dd if="$C" of=/tmp/r15c.img bs=1M iflag=direct status=none
	dmsetup remove --retry wc
	dmsetup remove --retry wco
	dd if=/tmp/r15o.img of="$O" bs=1M oflag=direct status=none
	dd if=/tmp/r15c.img of="$C" bs=1M oflag=direct status=none
	wc_create wc "$O" "$C" 4096
	cmp /tmp/r15new <(dd if=/dev/mapper/wc bs=4k skip=10 count=1 iflag=direct status=none)
}

# --- item 3 --------------------------------------------------------------

@test "a commit during a bypassed write does not lose the origin flush of a later fsync" {
	# origin: null_blk with a volatile cache behind dm-delay (writes 2 s,
	# flushes at once), so a flush can overtake the bypassed write
	devices 64 32 512 8
	local sz=$(wc_sectors "$O")
	dmsetup create wo --table "0 $sz delay $O 0 0 $O 0 2000 $O 0 0"
	wc_create wc /dev/mapper/wo "$C" 4096 autocommit_time 3600000 sequential_cutoff 4096
	head -c 8192 /dev/urandom >/tmp/r15new
	dd if=/tmp/r15new of=/dev/mapper/wc bs=8k seek=5 oflag=direct status=none &
	local pid=$!
	sleep 0.5
	dmsetup message wc 0 flush
	wait $pid
	fsync_dev /dev/mapper/wc
	# power cut of the origin: whatever its last flush did not cover is lost
	dmsetup remove --retry wc
	dmsetup remove --retry wo
	wc_nullb_power r15o 0
	wc_nullb_power r15o 1
	cmp /tmp/r15new <(dd if="$O" bs=8k skip=5 count=1 iflag=direct status=none)
}

# --- item 2 --------------------------------------------------------------

@test "max_age writes back one old dirty block" {
	devices 64 32
	wc_create wc "$O" "$C" 4096 max_age 2000
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=3 oflag=direct conv=fsync status=none
	wait_for 10 is_clean
	# written back (1 of 8000 blocks is far below the watermarks)
	[ "$(wc_status_field wc 17)" = 1 ]
}

@test "max_age fires with autocommit_time far above it and after hundreds of commits" {
	devices 64 32
	wc_create wc "$O" "$C" 4096 max_age 3000 autocommit_time 3600000
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=3 oflag=direct conv=fsync status=none
	# 200 FUA writes, one commit each
	python3 - <<'PY'
import mmap, os
fd = os.open("/dev/mapper/wc", os.O_WRONLY | os.O_DIRECT | os.O_DSYNC)
buf = mmap.mmap(-1, 4096)
for i in range(200):
    buf[0:8] = i.to_bytes(8, "little")
    os.pwrite(fd, buf, (100 + i) * 4096)
os.close(fd)
PY
	[ "$(wc_status_field wc 18)" -gt 64 ]	# commits
	wait_for 15 is_clean
}

# --- item 5 --------------------------------------------------------------

@test "empty flush-only commits take no sequence number" {
	devices 64 32
	wc_create wc "$O" "$C" 4096 autocommit_time 3600000
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=1 oflag=direct conv=fsync status=none
	# 50 fsyncs with nothing to commit (one process: spawning 50 is slow
	# under TCG)
	python3 -c 'import os; fd = os.open("/dev/mapper/wc", os.O_RDONLY); [os.fsync(fd) for _ in range(50)]'
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=2 oflag=direct conv=fsync status=none
	blockdev --flushbufs "$C"
	$MD entries "$C" >/tmp/r15e
	cat /tmp/r15e
	local s1 s2
	s1=$(awk '$2 == 1 {print $3}' /tmp/r15e)
	s2=$(awk '$2 == 2 {print $3}' /tmp/r15e)
	[ $((s2 - s1)) -le 3 ]
}

@test "sequence numbers above 2^40 load and keep counting" {
	devices 64 32
	wc_create wc "$O" "$C" 4096
	dd if=/dev/urandom of=/tmp/r15pat bs=4k count=4 status=none
	dd if=/tmp/r15pat of=/dev/mapper/wc bs=4k seek=20 oflag=direct conv=fsync status=none
	dmsetup remove --retry wc
	$MD addseq "$C" $((1 << 45))
	blockdev --flushbufs "$C"
	wc_create wc "$O" "$C" 4096
	[ "$(wc_status_field wc 1)" = 0 ]
	[ "$(dirty)" = 4 ]
	cmp /tmp/r15pat <(dd if=/dev/mapper/wc bs=4k skip=20 count=4 iflag=direct status=none)
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=40 oflag=direct conv=fsync status=none
	dmsetup remove --retry wc
	blockdev --flushbufs "$C"
	read -r dseq _ < <($MD sb "$C")
	[ "$dseq" -gt $((1 << 45)) ]
}

# --- item 9 --------------------------------------------------------------

@test "an origin read error on a miss fails that read only" {
	devices 64 32
	local sz=$(wc_sectors "$O")
	dmsetup create wo --table "0 $sz linear $O 0"
	wc_create wc /dev/mapper/wo "$C" 4096
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=3 oflag=direct conv=fsync status=none
	dmsetup reload wo --table "0 $sz error"
	dmsetup resume wo
	run dd if=/dev/mapper/wc of=/dev/null bs=4k count=1 skip=50 iflag=direct
	[ "$status" -ne 0 ]
	dd if=/dev/mapper/wc of=/dev/null bs=4k count=1 skip=3 iflag=direct status=none
	dmsetup reload wo --table "0 $sz linear $O 0"
	dmsetup resume wo
	[ "$(wc_status_field wc 1)" = 0 ]
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=4 oflag=direct conv=fsync status=none
	dd if=/dev/mapper/wc of=/dev/null bs=4k count=1 skip=50 iflag=direct status=none
}

@test "failed writeback is retried, counted, and the blocks stay dirty until it succeeds" {
	devices 64 32
	local sz=$(wc_sectors "$O")
	dmsetup create wo --table "0 $sz linear $O 0"
	wc_create wc /dev/mapper/wo "$C" 4096
	head -c 1M /dev/urandom >/tmp/r15pat
	dd if=/tmp/r15pat of=/dev/mapper/wc bs=64k seek=4 oflag=direct conv=fsync status=none
	dmsetup reload wo --table "0 $sz flakey $O 0 0 3600 1 error_writes"
	dmsetup resume wo
	dmsetup message wc 0 cleaner
	sleep 3
	[ "$(wc_status_field wc 1)" = 0 ]
	[ "$(dirty)" = 256 ]
	dmsetup status wc
	# writeback errors: the last status field
	[ "$(dmsetup status wc | awk '{print $NF}')" -gt 0 ]
	cmp /tmp/r15pat <(dd if=/dev/mapper/wc bs=64k skip=4 count=16 iflag=direct status=none)
	dmsetup reload wo --table "0 $sz linear $O 0"
	dmsetup resume wo
	wait_for 40 is_clean
	dmsetup remove --retry wc
	cmp /tmp/r15pat <(dd if=/dev/mapper/wo bs=64k skip=4 count=16 iflag=direct status=none)
}

# --- item 4 --------------------------------------------------------------

@test "a cache whose entries carry data checksums asks for stable pages" {
	# null_blk with a volatile write cache: entries are checksummed
	O=$(wc_nullb r15o 64 0)
	C=$(wc_nullb r15c 32 8)
	wc_zero_sb "$C"
	wc_create wc "$O" "$C" 4096
	local q=/sys/dev/block/$(dmsetup info -c --noheadings --separator : -o major,minor wc)/queue
	cat $q/stable_writes
	[ "$(cat $q/stable_writes)" = 1 ]
	# and after a table reload
	dmsetup reload wc --table "$(dmsetup table wc)"
	dmsetup resume wc
	[ "$(cat $q/stable_writes)" = 1 ]
}

# --- item 8 --------------------------------------------------------------

@test "the writeback message drains in the background; a suspend during it is prompt" {
	devices 64 32
	local sz=$(wc_sectors "$O")
	dmsetup create wo --table "0 $sz delay $O 0 0 $O 0 200 $O 0 0"
	wc_create wc /dev/mapper/wo "$C" 4096 writeback_jobs 1
	# 100 dirty blocks, not adjacent: 100 writeback batches of >= 200 ms,
	# so a synchronous drain takes >= 20 s
	python3 - <<'PY'
import mmap, os
fd = os.open("/dev/mapper/wc", os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
for i in range(100):
    buf[0:8] = i.to_bytes(8, "little")
    os.pwrite(fd, buf, 2 * i * 4096)
os.fsync(fd)
os.close(fd)
PY
	[ "$(dirty)" = 100 ]
	local t0=$SECONDS
	dmsetup message wc 0 writeback
	[ $((SECONDS - t0)) -le 8 ]
	[ "$(wc_status_field wc 20)" = 1 ]
	t0=$SECONDS
	dmsetup suspend wc
	[ $((SECONDS - t0)) -le 8 ]
	[ "$(wc_status_field wc 20)" = 0 ]
	[ "$(dirty)" -gt 0 ]
	dmsetup resume wc
	wc_writeback wc 300
	[ "$(wc_status_field wc 1)" = 0 ]
}

# --- item 10 -------------------------------------------------------------

@test "a read-only table writes nothing to the cache device" {
	devices 64 32
	wc_create wc "$O" "$C" 4096
	dd if=/dev/urandom of=/tmp/r15pat bs=4k count=8 status=none
	dd if=/tmp/r15pat of=/dev/mapper/wc bs=4k seek=20 oflag=direct conv=fsync status=none
	# a crash: the superblock does not record the last commit as durable,
	# so a load has entries to verify and a fix-up commit to write
	dd if="$C" of=/tmp/r15c.img bs=1M iflag=direct status=none
	dmsetup remove --retry wc
	dd if=/tmp/r15c.img of="$C" bs=1M oflag=direct status=none
	local sum=$(md5sum <"$C")
	echo "0 $(wc_sectors "$O") wcache s $O $C 4096 0" | dmsetup create --readonly wc
	cmp /tmp/r15pat <(dd if=/dev/mapper/wc bs=4k skip=20 count=8 iflag=direct status=none)
	run dd if=/dev/zero of=/dev/mapper/wc bs=4k count=1 oflag=direct
	[ "$status" -ne 0 ]
	dmsetup remove --retry wc
	[ "$(md5sum <"$C")" = "$sum" ]
}

# --- item 6 --------------------------------------------------------------

@test "a new cache past 2^32-2 blocks is refused in the constructor with a clear error" {
	devices 64 32
	# 2.3 TiB of zeros: 512-byte blocks would need more than 2^32-2
	dmsetup create wco --table "0 $((4800 * 1024 * 1024)) zero"
	dmesg -C
	run wc_create wc "$O" /dev/mapper/wco 512
	echo "$output"
	[ "$status" -ne 0 ]
	dmesg | grep -F "too large for its block size"
}
