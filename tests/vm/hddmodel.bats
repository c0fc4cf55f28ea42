#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The benchmarks' HDD model (bench/hddmodel/dm-hddmodel.ko) behaves like a
# disk: random 4k I/O is far slower than sequential, seeks and rotation are
# charged, and data written reads back.  Inside the VM:
#   tests/vm/run -- bats tests/vm/hddmodel.bats

setup_file() {
	cd "$WCACHE_REPO"
	if [ ! -f bench/hddmodel/dm-hddmodel.ko ]; then
		# normally built on the host (make -C bench/hddmodel module)
		make -s -C bench/hddmodel module >&3 2>&1
	fi
	. bench/lib/guest.sh
	models_load 300
	# a drive that serves requests in arrival order (the NCQ one is tested
	# on its own below)
	hdd_create hddt 256 queue=fifo >/dev/null
}

teardown_file() {
	dmsetup remove --retry hddt 2>/dev/null || true
	dmsetup remove --retry hddn 2>/dev/null || true
	rmmod dm_hddmodel 2>/dev/null || true
}

setup() {
	. "$WCACHE_REPO/bench/lib/guest.sh"
	D=/dev/mapper/hddt
}

@test "hddmodel: random 4k IOPS are far below sequential throughput" {
	dmsetup message hddt 0 clear_stats
	rnd=$(fio_iops rnd $D --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=32 --direct=1 --time_based --runtime=4 --size=256M)
	seeks=$(hdd_stat hddt seeks)
	rot=$(hdd_stat hddt rotation_us)
	seq=$(fio_iops seq $D --rw=write --bs=1M --ioengine=libaio \
		--iodepth=4 --direct=1 --time_based --runtime=4 --size=256M)
	echo "random 4k: $rnd IOPS; sequential 1M: $seq MiB/s" >&3
	# a 7200 rpm disk: tens to hundreds of random IOPS, not thousands
	[ "$rnd" -ge 30 ]
	[ "$rnd" -le 600 ]
	# random 4k bandwidth is a small fraction of sequential bandwidth
	[ $((seq * 1024 / 4)) -ge $((rnd * 20)) ]
	# the random run paid for seeks and rotation
	[ "$seeks" -ge "$rnd" ]
	[ "$rot" -gt 0 ]
}

@test "hddmodel: the status counts sequential requests without seeking" {
	dmsetup message hddt 0 clear_stats
	dd if=/dev/zero of=$D bs=64k count=64 oflag=direct status=none
	[ "$(hdd_stat hddt writes)" -ge 64 ]
	# (udev may probe the device meanwhile: its reads seek, not counted here)
	[ "$(hdd_stat hddt sequential)" -ge 60 ]
}

@test "hddmodel: data written reads back (fio verify)" {
	run fio --name=v --filename=$D --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=16 --direct=1 --size=1M --offset=100M \
		--verify=crc32c --verify_fatal=1 --do_verify=1
	echo "$output" | tail -n 3
	[ "$status" -eq 0 ]
	run fio --name=v2 --filename=$D --rw=write --bs=64k --ioengine=libaio \
		--iodepth=4 --direct=1 --size=8M --offset=8M \
		--verify=crc32c --verify_fatal=1 --do_verify=1
	[ "$status" -eq 0 ]
}

@test "hddmodel: an NCQ drive (the benchmarks' default) reorders a deep queue" {
	dmsetup message hddt 0 clear_stats
	fifo=$(fio_iops f $D --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=32 --direct=1 --time_based --runtime=4 --size=256M)
	N=$(hdd_create hddn 256)
	dmsetup table hddn | grep -q 'queue=sptf '
	dmsetup table hddn | grep -q 'ncq_depth=32 '
	ncq=$(fio_iops n $N --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=32 --direct=1 --time_based --runtime=4 --size=256M)
	echo "random 4k QD32: fifo $fifo IOPS, NCQ $ncq IOPS" >&3
	[ $((ncq * 2)) -ge $((fifo * 3)) ]
	dmsetup remove --retry hddn
}

@test "hddmodel: bad tables are refused" {
	run dmsetup create hddbad --table "0 2048 hddmodel /dev/ram0 ncq_depth=0"
	[ "$status" -ne 0 ]
	run dmsetup create hddbad --table "0 2048 hddmodel /dev/ram0 rpm=5"
	[ "$status" -ne 0 ]
	run dmsetup create hddbad --table "0 2048 hddmodel /dev/ram0 nonsense=1"
	[ "$status" -ne 0 ]
	run dmsetup info hddbad
	[ "$status" -ne 0 ]
}
