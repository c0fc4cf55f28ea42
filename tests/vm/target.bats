#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# dm-wcache target tests.  Run inside the VM:
#   tests/vm/run -- bats tests/vm/target.bats

load target-lib.sh

O=/dev/ram0		# origin, 96 MiB
C=/dev/mapper/wcc	# cache: first 32 MiB of /dev/ram1

setup_file() {
	wc_load
	wc_brd 2 96
	echo "0 65536 linear /dev/ram1 0" | dmsetup create wcc
}

teardown_file() {
	dmsetup remove --retry wcc || true
}

setup() {
	dmsetup remove --retry wc >/dev/null 2>&1 || true
	dmsetup remove --retry bad >/dev/null 2>&1 || true
	wc_zero_sb $C
}

teardown() {
	dmsetup remove --retry wc >/dev/null 2>&1 || true
}

expect_refused() {
	local msg=$1 table=$2
	dmesg -C
	run dmsetup create bad --table "$table"
	[ "$status" -ne 0 ]
	run dmsetup info bad
	[ "$status" -ne 0 ]
	dmesg | grep -F -q "$msg" || { dmesg | tail -5; false; }
}

@test "module loads and unloads" {
	dmsetup targets | grep -q '^wcache'
	rmmod dm-wcache
	! dmsetup targets | grep -q '^wcache'
	wc_load
	dmsetup targets | grep -q '^wcache'
}

@test "malformed tables are refused with a clear error" {
	local len=$(wc_sectors $O)
	expect_refused "Not enough arguments" "0 $len wcache s $O $C"
	expect_refused "must be 's'" "0 $len wcache x $O $C 4096 0"
	expect_refused "pmem) mode 'p' is not supported" "0 $len wcache p $O $C 4096 0" ||
		expect_refused "mode 'p' is not supported" "0 $len wcache p $O $C 4096 0"
	expect_refused "Invalid block size" "0 $len wcache s $O $C 1000 0"
	expect_refused "Invalid block size" "0 $len wcache s $O $C 256 0"
	expect_refused "Invalid block size" "0 $len wcache s $O $C 8192 0"
	expect_refused "Invalid block size" "0 $len wcache s $O $C 4k 0"
	expect_refused "does not match" "0 $len wcache s $O $C 4096 2 cleaner"
	expect_refused "does not match" "0 $len wcache s $O $C 4096 x"
	expect_refused "Unknown optional argument" "0 $len wcache s $O $C 4096 1 bogus"
	expect_refused "missing its value" "0 $len wcache s $O $C 4096 1 high_watermark"
	expect_refused "Invalid value" "0 $len wcache s $O $C 4096 2 high_watermark 101"
	expect_refused "Invalid value" "0 $len wcache s $O $C 4096 2 writeback_jobs 0"
	expect_refused "Invalid value" "0 $len wcache s $O $C 4096 2 autocommit_time -1"
	expect_refused "Invalid value" "0 $len wcache s $O $C 4096 2 origin_uuid 1234"
	expect_refused "low_watermark must not exceed" "0 $len wcache s $O $C 4096 4 high_watermark 10 low_watermark 20"
	expect_refused "must be different devices" "0 $len wcache s $O $O 4096 0"
	expect_refused "Origin device lookup failed" "0 $len wcache s /dev/nonexistent $C 4096 0"
	expect_refused "multiple of the block size" "0 $((len - 1)) wcache s $O $C 4096 0"
	expect_refused "larger than the origin" "0 $((len + 8)) wcache s $O $C 4096 0"
	wc_dmesg_clean
}

@test "data written reads back identical, table and status lines" {
	wc_create wc $O $C 4096 high_watermark 60 low_watermark 40
	dmsetup table wc | grep -q 'wcache s .* 4096 4 high_watermark 60 low_watermark 40$'
	# error total free writeback dirty ...
	[ "$(wc_status_field wc 1)" = 0 ]
	local total=$(wc_status_field wc 2)
	[ "$total" -gt 7000 ]
	[ "$(wc_status_field wc 3)" = "$total" ]
	head -c 8M /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/mapper/wc bs=1M oflag=direct conv=fsync status=none
	dd if=/dev/mapper/wc of=/tmp/rb bs=1M count=8 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
	[ "$(wc_status_field wc 5)" = 2048 ]	# dirty blocks
	[ "$(wc_status_field wc 3)" -le $((total - 2048)) ]
	# not on the origin yet: it is a write-back cache
	dd if=$O of=/tmp/rb bs=1M count=8 iflag=direct status=none
	! cmp -s /tmp/pat /tmp/rb
	# reads of cached blocks are hits
	[ "$(wc_status_field wc 7)" -ge 2048 ]
}

@test "fio verify: random 4k..1M, sequential, with and without fsync" {
	wc_create wc $O $C 4096
	local f="fio --filename=/dev/mapper/wc --ioengine=libaio --direct=1 --verify=crc32c --verify_fatal=1 --do_verify=1 --output=/dev/null"
	$f --name=r4k --rw=randwrite --bs=4k --iodepth=16 --size=8M
	$f --name=rmix --rw=randwrite --bsrange=4k-1m --iodepth=8 --size=24M --offset=32M
	$f --name=rfs --rw=randwrite --bs=4k --iodepth=4 --fsync=4 --size=2M --offset=8M
	$f --name=seq --rw=write --bs=1m --iodepth=4 --size=16M --offset=64M
	$f --name=seqfs --rw=write --bs=64k --iodepth=1 --fsync=1 --size=4M
	[ "$(wc_status_field wc 1)" = 0 ]
	# 54M written > 50% of a 32M cache: writeback must have run
	[ "$(wc_status_field wc 17)" -gt 0 ]
}

@test "data persists across remove/create and writeback empties the cache" {
	wc_create wc $O $C 4096
	head -c 16M /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/mapper/wc bs=64k seek=16 oflag=direct status=none
	dmsetup remove --retry wc
	wc_create wc $O $C 4096
	[ "$(wc_status_field wc 5)" -gt 0 ]
	dd if=/dev/mapper/wc of=/tmp/rb bs=64k skip=16 count=256 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
	wc_writeback wc
	[ "$(wc_status_field wc 5)" = 0 ]
	[ "$(wc_status_field wc 3)" = "$(wc_status_field wc 2)" ]
	dmsetup remove --retry wc
	dd if=$O of=/tmp/rb bs=64k skip=16 count=256 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
}

@test "table reload and suspend/resume under I/O lose nothing" {
	wc_create wc $O $C 4096 autocommit_time 100
	fio --name=rl --filename=/dev/mapper/wc --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=16 --size=8M --loops=2 --verify=crc32c --verify_fatal=1 \
		--output=/dev/null &
	local pid=$! t i
	t=$(dmsetup table wc)
	for i in 1 2 3 4 5 6; do
		sleep 0.5
		if [ $((i % 2)) = 0 ]; then
			dmsetup reload wc --table "${t/autocommit_time 100/autocommit_time 200}"
		else
			dmsetup reload wc --table "$t"
		fi
		dmsetup suspend wc
		dmsetup resume wc
	done
	wait $pid
	[ "$(wc_status_field wc 1)" = 0 ]
	dmsetup remove --retry wc
	wc_create wc $O $C 4096
	fio --name=rl --filename=/dev/mapper/wc --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=16 --size=8M --verify=crc32c --verify_only=1 --output=/dev/null
}

@test "discard drops cached copies and they do not come back" {
	wc_create wc $O $C 4096
	head -c 4M /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/mapper/wc bs=1M oflag=direct conv=fsync status=none
	blkdiscard -o 1048576 -l 2097152 /dev/mapper/wc
	dd if=/dev/mapper/wc of=/tmp/rb bs=1M count=4 iflag=direct status=none
	cmp -n 1048576 /tmp/pat /tmp/rb
	# the discarded range now reads what the origin holds, not the cache
	dd if=$O of=/tmp/orig bs=1M count=4 iflag=direct status=none
	cmp -n 2097152 -i 1048576 /tmp/rb /tmp/orig
	! cmp -s -n 2097152 -i 1048576 /tmp/rb /tmp/pat
	cmp -i 3145728 /tmp/pat /tmp/rb
	[ "$(wc_status_field wc 15)" -ge 1 ]
	dmsetup remove --retry wc
	wc_create wc $O $C 4096
	dd if=/dev/mapper/wc of=/tmp/rb bs=1M count=4 iflag=direct status=none
	cmp -n 2097152 -i 1048576 /tmp/rb /tmp/orig
	cmp -i 3145728 /tmp/pat /tmp/rb
	# a full writeback must not resurrect the discarded blocks either
	wc_writeback wc
	dd if=$O of=/tmp/rb bs=1M count=4 iflag=direct status=none
	cmp -n 2097152 -i 1048576 /tmp/rb /tmp/orig
}

@test "a discard larger than the cache drops the cached blocks in its range, none outside" {
	wc_create wc $O $C 4096
	head -c 8M /dev/urandom >/tmp/pat
	# 28..36 MiB: half below the discarded range, half inside it
	dd if=/tmp/pat of=/dev/mapper/wc bs=1M seek=28 oflag=direct conv=fsync status=none
	# 64 MiB: more blocks than the 32 MiB cache has
	blkdiscard -o $((32 << 20)) -l $((64 << 20)) /dev/mapper/wc
	dd if=$O of=/tmp/orig bs=1M skip=28 count=8 iflag=direct status=none
	for pass in live reloaded; do
		dd if=/dev/mapper/wc of=/tmp/rb bs=1M skip=28 count=8 iflag=direct status=none
		cmp -n 4194304 /tmp/pat /tmp/rb
		cmp -i 4194304 /tmp/rb /tmp/orig
		! cmp -s -i 4194304 /tmp/rb /tmp/pat
		dmsetup remove --retry wc
		wc_create wc $O $C 4096
	done
}

@test "corrupt superblock, metadata, foreign origin and block size mismatch are refused" {
	local len=$(wc_sectors $O) u1=0123456789abcdef0123456789abcdef
	wc_create wc $O $C 4096 origin_uuid $u1
	dmsetup table wc | grep -q "origin_uuid $u1"
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=64 oflag=direct status=none
	dmsetup remove --retry wc
	expect_refused "origin_uuid mismatch" "0 $len wcache s $O $C 4096 2 origin_uuid fedcba9876543210fedcba9876543210"
	expect_refused "origin_uuid mismatch" "0 $len wcache s $O $C 4096 0"
	expect_refused "different size" "0 $((len - 8)) wcache s $O $C 4096 2 origin_uuid $u1"
	expect_refused "block size differs" "0 $len wcache s $O $C 512 2 origin_uuid $u1" ||
		expect_refused "Block size in the table differs" "0 $len wcache s $O $C 512 2 origin_uuid $u1"
	# the good table still loads
	echo "0 $len wcache s $O $C 4096 2 origin_uuid $u1" | dmsetup create wc
	dmsetup remove --retry wc
	# one flipped byte in a metadata sector
	dd if=$C of=/tmp/md bs=512 skip=8 count=1 status=none
	printf '\xff' | dd of=/tmp/md bs=1 seek=100 conv=notrunc status=none
	cp /tmp/md /tmp/md.bad
	dd if=$C of=/tmp/md.good bs=512 skip=8 count=1 status=none
	dd if=/tmp/md.bad of=$C bs=512 seek=8 count=1 oflag=direct status=none
	expect_refused "Metadata sector checksum mismatch" "0 $len wcache s $O $C 4096 2 origin_uuid $u1"
	dd if=/tmp/md.good of=$C bs=512 seek=8 count=1 oflag=direct status=none
	# one flipped byte in the superblock
	dd if=$C of=/tmp/sb.good bs=512 count=1 status=none
	cp /tmp/sb.good /tmp/sb.bad
	printf '\x01' | dd of=/tmp/sb.bad bs=1 seek=60 conv=notrunc status=none
	dd if=/tmp/sb.bad of=$C bs=512 count=1 oflag=direct status=none
	expect_refused "Superblock checksum mismatch" "0 $len wcache s $O $C 4096 2 origin_uuid $u1"
	# not a wcache device at all
	head -c 512 /dev/urandom | dd of=$C bs=512 count=1 oflag=direct status=none
	expect_refused "no wcache superblock" "0 $len wcache s $O $C 4096 2 origin_uuid $u1"
	dd if=/tmp/sb.good of=$C bs=512 count=1 oflag=direct status=none
	echo "0 $len wcache s $O $C 4096 2 origin_uuid $u1" | dmsetup create wc
	[ "$(wc_status_field wc 5)" = 64 ]
	wc_dmesg_clean
}

@test "messages: flush, clear_stats, cleaner, flush_on_suspend, unknown" {
	wc_create wc $O $C 4096
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=100 oflag=direct status=none
	dmsetup message wc 0 flush
	dmsetup message wc 0 clear_stats
	[ "$(wc_status_field wc 8)" = 0 ]	# writes
	run dmsetup message wc 0 bogus
	[ "$status" -ne 0 ]
	dmsetup message wc 0 cleaner
	# cleaner: writes of uncached blocks go to the origin, dirty drains
	dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=10 seek=1000 oflag=direct status=none
	local i
	for i in $(seq 50); do
		[ "$(wc_status_field wc 5)" = 0 ] && break
		sleep 0.2
	done
	[ "$(wc_status_field wc 5)" = 0 ]
	[ "$(wc_status_field wc 11)" -ge 10 ]	# bypassed (other)
	dmsetup remove --retry wc
	wc_create wc $O $C 4096
	dd if=/dev/urandom of=/tmp/pat bs=4k count=100 status=none
	dd if=/tmp/pat of=/dev/mapper/wc bs=4k oflag=direct status=none
	dmsetup message wc 0 flush_on_suspend
	dmsetup suspend wc
	dd if=$O of=/tmp/rb bs=4k count=100 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
	dmsetup resume wc
	[ "$(wc_status_field wc 5)" = 0 ]
}

@test "cache full: writes wait for writeback and nothing is lost" {
	wc_create wc $O $C 4096 high_watermark 90 low_watermark 80
	# more random writes than the 32 MiB cache holds
	fio --name=full --filename=/dev/mapper/wc --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --size=48M --verify=crc32c --verify_fatal=1 --output=/dev/null
	[ "$(wc_status_field wc 1)" = 0 ]
	[ "$(wc_status_field wc 17)" -gt 0 ]
}

@test "cache device errors: error state in status, no oops, cached data not dropped" {
	# cache on its own linear device so it can be swapped for an error target
	local n=$(wc_sectors $C)
	echo "0 $n linear $C 0" | dmsetup create wcerr
	wc_zero_sb /dev/mapper/wcerr
	wc_create wc $O /dev/mapper/wcerr 4096
	dd if=/dev/urandom of=/tmp/pat bs=4k count=64 status=none
	dd if=/tmp/pat of=/dev/mapper/wc bs=4k oflag=direct conv=fsync status=none
	dmsetup suspend wcerr
	dmsetup reload wcerr --table "0 $n error"
	dmsetup resume wcerr
	run dd if=/dev/urandom of=/dev/mapper/wc bs=4k count=1 seek=500 oflag=direct conv=fsync status=none
	[ "$status" -ne 0 ]
	[ "$(wc_status_field wc 1)" -lt 0 ]
	# further writes are refused while in error state
	run dd if=/dev/zero of=/dev/mapper/wc bs=4k count=1 seek=600 oflag=direct status=none
	[ "$status" -ne 0 ]
	dmsetup remove --retry wc || dmsetup remove --retry --force wc
	# cache back: everything acknowledged before the failure is still there
	dmsetup suspend wcerr
	dmsetup reload wcerr --table "0 $n linear $C 0"
	dmsetup resume wcerr
	wc_create wc $O /dev/mapper/wcerr 4096
	[ "$(wc_status_field wc 1)" = 0 ]
	dd if=/dev/mapper/wc of=/tmp/rb bs=4k count=64 iflag=direct status=none
	cmp /tmp/pat /tmp/rb
	dmsetup remove --retry wc
	dmsetup remove --retry wcerr
	wc_dmesg_clean
}
