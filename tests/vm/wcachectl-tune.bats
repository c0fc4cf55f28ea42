#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl tune and LVM profiles on real LVM inside the VM: every setting
# changed live while fio writes and verifies (crc32c, verify_backlog) and a
# pattern written before stays intact; the new values show in the table and
# in status; refusals; a tuned value survives deactivate/activate; each
# shipped profile produces the table it promises.

load wcachectl-lib

setup_file() {
	wc_setup_vg
	# the guest's /etc is a throw-away overlay: install the profiles there
	mkdir -p /etc/lvm/profile
	install -m 0644 "$WCACHE_REPO"/lvm-profiles/*.profile /etc/lvm/profile/
}

teardown_file() {
	rm -f /etc/lvm/profile/wcache-*.profile
	wc_teardown_vg
}

setup() {
	mkdir -p /var/tmp/wc
	wc_new_lvs 160M 96M
	FIO_PID=
}

teardown() {
	if [ -n "$FIO_PID" ]; then
		kill "$FIO_PID" 2>/dev/null || true
		wait "$FIO_PID" 2>/dev/null || true
	fi
	wc_cleanup
}

# 32 MiB of random data at the start of the cached LV, kept to compare
write_pattern() {
	dd if=/dev/urandom of=/var/tmp/wc/pattern bs=1M count=32 status=none
	dd if=/var/tmp/wc/pattern of=/dev/$VG/slow bs=1M oflag=direct status=none
}

check_pattern() {
	cmp -n $((32 << 20)) /var/tmp/wc/pattern /dev/$VG/slow
}

# fio writes 4k blocks at random into [64M, 128M) (at most 1000 IOPS, so
# the tunes are not starved of CPU under TCG) and verifies each batch
# of 256 right after writing it (crc32c headers), until stopped; returns
# once its writes reach the cached device (the tunes run under I/O)
start_fio() {
	local dev w0 i
	dev=$(basename "$(readlink -f /dev/$VG/slow)")
	w0=$(awk '{print $5}' /sys/block/$dev/stat)
	fio --name=tune --filename=/dev/$VG/slow --offset=64M --size=64M --bs=4k \
		--rw=randwrite --ioengine=libaio --iodepth=4 --direct=1 --rate_iops=1000 \
		--verify=crc32c --verify_backlog=256 --verify_fatal=1 \
		--time_based --runtime=900 --output-format=json \
		--output=/var/tmp/wc/fio.json >/var/tmp/wc/fio.log 2>&1 &
	FIO_PID=$!
	for i in $(seq 300); do
		kill -0 "$FIO_PID"
		[ "$(awk '{print $5}' /sys/block/$dev/stat)" -lt $((w0 + 64)) ] || return 0
		sleep 0.1
	done
	echo "fio: fewer than 64 writes reached the device in 30 s"
	return 1
}

# stop fio (SIGINT: fio ends its jobs, writes its report and exits 128);
# it must have seen no I/O error and no verify failure
stop_fio() {
	local rc=0
	kill -INT "$FIO_PID"
	wait "$FIO_PID" || rc=$?
	FIO_PID=
	cat /var/tmp/wc/fio.log
	[ "$rc" -eq 0 ] || [ "$rc" -eq 128 ] || [ "$rc" -eq 130 ]
	# the report, without the "terminating on signal" line before it
	sed -n '/^{/,$p' /var/tmp/wc/fio.json >/var/tmp/wc/fio.report
	! grep -iE 'verify|bad magic|crc|error' /var/tmp/wc/fio.log
	! sed -n '1,/^{/p' /var/tmp/wc/fio.json | grep -iE 'verify|bad magic|crc|error'
	jq -e '.jobs[0].error == 0' /var/tmp/wc/fio.report
	jq -e '.jobs[0].write.io_bytes > 0 and .jobs[0].read.io_bytes > 0' /var/tmp/wc/fio.report
	echo "# fio: $(jq '.jobs[0].write.io_bytes / 1048576 | floor' /var/tmp/wc/fio.report) MiB written, $(jq '.jobs[0].read.io_bytes / 1048576 | floor' /var/tmp/wc/fio.report) MiB verified" >&3
}

# the live table and status show key=val (several: check_live K V [K V]...);
# the target reports no error. The table and status are read once for all.
check_live() {
	local key val table json
	table=" $(dmsetup table $VG-slow | cut -d' ' -f4-) "
	json=$("$WC" status $VG/slow --json)
	while [ $# -ge 2 ]; do
		key=$1 val=$2
		shift 2
		check_one_live || return 1
	done
	[ "$(dmsetup status $VG-slow | cut -d' ' -f4)" = 0 ]
}

check_one_live() {
	case $key in
	cleaner | flush_on_suspend)
		if [ "$val" = 1 ]; then
			[[ "$table" == *" $key "* ]] || { echo "table: $table"; return 1; }
		else
			[[ "$table" != *" $key "* ]] || { echo "table: $table"; return 1; }
		fi ;;
	*)
		if [ "$key" = sequential_cutoff ] && [ "$val" = 0 ]; then
			[[ "$table" != *" $key "* || "$table" == *" $key 0 "* ]] ||
				{ echo "table: $table"; return 1; }
		else
			[[ "$table" == *" $key $val "* ]] || { echo "table: $table"; return 1; }
		fi ;;
	esac
	jq -e --arg k "$key" --argjson v "$val" '(.settings[$k] // 0) == $v and .error == 0' <<<"$json"
}

tune_live() {
	run "$WC" tune $VG/slow "$1=$2"
	echo "$output"
	[ "$status" -eq 0 ]
	check_live "$1" "$2"
}

@test "wcache: tune every setting live under fio with verify; the values survive deactivate/activate" {
	run "$WC" attach $VG/slow --cachevol fast --target wcache --yes
	[ "$status" -eq 0 ]
	write_pattern
	start_fio
	tune_live low_watermark 20
	tune_live high_watermark 60
	tune_live writeback_jobs 512
	tune_live autocommit_blocks 1000
	tune_live autocommit_time 500
	tune_live max_age 20000
	tune_live pause_writeback 200
	tune_live sequential_cutoff 1048576
	# switched on by target message, off by a table reload
	run "$WC" tune $VG/slow flush_on_suspend=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"target message"* ]]
	check_live flush_on_suspend 1
	run "$WC" tune $VG/slow cleaner=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"target message"* ]]
	check_live cleaner 1
	tune_live cleaner 0
	tune_live flush_on_suspend 0
	# several keys at once, and the range checks with the cache live
	run "$WC" tune $VG/slow high_watermark=70 low_watermark=50 sequential_cutoff=0
	[ "$status" -eq 0 ]
	[[ "$output" == *"table reloaded"* ]]
	check_live high_watermark 70 low_watermark 50 sequential_cutoff 0
	stop_fio
	check_pattern

	# recorded in the tags: the boot path loads the same table
	[[ "$(lv_field slow_wco lv_tags)" == *wcache.set.max_age=20000* ]]
	run "$WC" deactivate $VG/slow
	[ "$status" -eq 0 ]
	! dm_exists $VG-slow
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	check_live high_watermark 70 low_watermark 50 writeback_jobs 512 autocommit_blocks 1000 \
		autocommit_time 500 max_age 20000 pause_writeback 200 cleaner 0 flush_on_suspend 0
	check_pattern
}

@test "writecache: tune every setting live under fio with verify" {
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	write_pattern
	start_fio
	run "$WC" tune $VG/slow high_watermark=60 low_watermark=20 writeback_jobs=512
	echo "$output"
	[ "$status" -eq 0 ]
	check_live high_watermark 60 low_watermark 20 writeback_jobs 512
	# multiples of 4 ms: dm-writecache keeps times in jiffies
	run "$WC" tune $VG/slow autocommit_blocks=1000 autocommit_time=500 max_age=20000 pause_writeback=200
	echo "$output"
	[ "$status" -eq 0 ]
	check_live autocommit_blocks 1000 autocommit_time 500 max_age 20000 pause_writeback 200
	tune_live cleaner 1
	tune_live cleaner 0
	stop_fio
	check_pattern
	run "$WC" deactivate $VG/slow
	[ "$status" -eq 0 ]
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	check_live max_age 20000 high_watermark 60
	check_pattern
}

@test "tune refuses unknown keys and out-of-range values with the valid range, and changes nothing" {
	run "$WC" tune $VG/slow high_watermark=60
	[ "$status" -eq 4 ]
	[[ "$output" == *"not a cached LV"* ]]
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	table=$(dmsetup table $VG-slow)
	tags=$(lv_field slow_wco lv_tags)
	run "$WC" tune $VG/slow nosuchkey=1
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'nosuchkey' (valid: high_watermark"* ]]
	run "$WC" tune $VG/slow high_watermark=101
	[ "$status" -eq 2 ]
	[[ "$output" == *"valid: 0..100"* ]]
	run "$WC" tune $VG/slow autocommit_time=0
	[ "$status" -eq 2 ]
	[[ "$output" == *"valid: 1..3600000 ms"* ]]
	run "$WC" tune $VG/slow low_watermark=95
	[ "$status" -eq 2 ]
	[[ "$output" == *"above high_watermark"* ]]
	run "$WC" tune $VG/slow sequential_cutoff=1M
	[ "$status" -eq 2 ]
	[[ "$output" == *"not supported by target writecache"* ]]
	run "$WC" tune $VG/slow --profile nosuchprofile
	[ "$status" -eq 4 ]
	[[ "$output" == *"profile nosuchprofile not found"* ]]
	run "$WC" tune $VG/slow
	[ "$status" -eq 2 ]
	run "$WC" tune $VG/slow high_watermark=90 --dry-run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"would change high_watermark"* ]]
	[ "$(dmsetup table $VG-slow)" = "$table" ]
	[ "$(lv_field slow_wco lv_tags)" = "$tags" ]
	hw=$(echo "$table" | sed -E 's/.* high_watermark ([0-9]+).*/\1/')
	run "$WC" tune $VG/slow high_watermark=$hw
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to change"* ]]
	# a deactivated cache: recorded only, loaded by activate
	run "$WC" deactivate $VG/slow
	[ "$status" -eq 0 ]
	run "$WC" tune $VG/slow high_watermark=33 low_watermark=22
	[ "$status" -eq 0 ]
	[[ "$output" == *"next activation"* ]]
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	check_live high_watermark 33 low_watermark 22
}

# every key=value line of the profile as LVM reads it
profile_keys() {
	lvmconfig --metadataprofile "$1" allocation/cache_settings/"$2" 2>/dev/null |
		sed -nE 's/^[[:space:]]*([a-z_]+)=([0-9]+)$/\1 \2/p'
}

@test "each shipped profile produces the table it promises (attach --profile)" {
	local n=0 i=0 p
	# one origin/cachevol pair per profile, side by side (no split between)
	for f in "$WCACHE_REPO"/lvm-profiles/*.profile; do
		p=$(basename "$f" .profile)
		i=$((i + 1))
		lvcreate -q -y -W y -n o$i -L 16M $VG /dev/ram0 >/dev/null
		lvcreate -q -y -W y -n c$i -L 12M $VG /dev/ram1 >/dev/null
		run "$WC" attach $VG/o$i --cachevol c$i --target wcache --profile "$p" --yes
		echo "$output"
		[ "$status" -eq 0 ]
		table=" $(dmsetup table $VG-o$i | cut -d' ' -f4-) "
		while read -r k v; do
			case $k in
			cleaner | flush_on_suspend)
				if [ "$v" = 1 ]; then [[ "$table" == *" $k "* ]]; else [[ "$table" != *" $k "* ]]; fi ;;
			sequential_cutoff)
				[[ "$table" == *" $k $v "* ]] || { [ "$v" = 0 ] && [[ "$table" != *" $k "* ]]; } ;;
			*)
				[[ "$table" == *" $k $v "* ]] ;;
			esac || { echo "$p: $k=$v not in: $table"; return 1; }
			n=$((n + 1))
		done < <(profile_keys "$p" writecache; profile_keys "$p" wcache)
		"$WC" status $VG/o$i --json | jq -e '.error == 0 and .active'
	done
	[ "$i" -ge 5 ] && [ "$n" -ge 20 ]
	# writecache takes the writecache section and ignores the wcache one
	run "$WC" attach $VG/slow --cachevol fast --target writecache --profile wcache-hdd-origin --yes
	[ "$status" -eq 0 ]
	[[ "$output" == *"ignoring the wcache-only settings"* ]]
	check_live high_watermark 50 writeback_jobs 4096
	[[ "$(dmsetup table $VG-slow)" != *sequential_cutoff* ]]
	# tune --profile switches a live cache to another profile
	run "$WC" tune $VG/slow --profile wcache-burst-absorb
	[ "$status" -eq 0 ]
	check_live high_watermark 90 max_age 3600000 writeback_jobs 4096
}

@test "tune killed after each of its steps: running it again finishes the change" {
	run "$WC" attach $VG/slow --cachevol fast --target wcache --yes
	[ "$status" -eq 0 ]
	write_pattern
	local n hw=80
	for n in 1 2; do
		hw=$((hw + 5))
		# step 1: the tags are recorded (the new table waits inactive);
		# step 2: the tables are swapped
		run env WCACHECTL_KILL_AFTER=$n "$WC" tune $VG/slow high_watermark=$hw
		echo "$output"
		[ "$status" -eq 137 ]
		[[ "$(lv_field slow_wco lv_tags)" == *wcache.set.high_watermark=$hw* ]]
		run "$WC" tune $VG/slow high_watermark=$hw
		echo "$output"
		[ "$status" -eq 0 ]
		if [ "$n" = 1 ]; then
			[[ "$output" == *"table reloaded"* ]]
		else
			[[ "$output" == *"nothing to change"* ]]
		fi
		check_live high_watermark $hw
	done
	check_pattern
}
