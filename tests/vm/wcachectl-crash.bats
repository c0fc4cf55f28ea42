#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 at every step of attach and split (WCACHECTL_KILL_AFTER=N makes
# wcachectl SIGKILL itself right after its N-th change to LVM metadata or
# device-mapper state), then run a command again: the result must be
# consistent and no data may be lost.

load wcachectl-lib

setup_file() {
	wc_setup_vg
}

teardown_file() {
	wc_teardown_vg
}

setup() {
	mkdir -p /var/tmp/wc
}

teardown() {
	wc_cleanup
}

# the VG's LVs as "name|attr|tags" lines, read with one lvs call (an LVM
# command costs a good part of a second under TCG, and the loop below checks
# the LVs after every step); lv NAME prints NAME's line, fails if it is absent
read_lvs() {
	udevadm settle
	LVS=$(lvs -a --noheadings --separator '|' -o lv_name,lv_attr,lv_tags $VG | sed 's/^ *//')
	echo "LVs:"; echo "$LVS"
	[ -n "$LVS" ]
}
lv() {
	grep -E "^$1\|" <<<"$LVS"
}

# the pairing is complete and the cached device serves the data
assert_attached() {
	read_lvs
	dm_exists $VG-slow
	[[ "$(dmsetup table $VG-slow)" == *" writecache s "* ]]
	[ -z "$(lv slow)" ]
	# attr ending in k (activation skip), and the tags
	[[ "$(lv slow_wco)" =~ ^slow_wco\|[^|]*k\|.*wcache\.state=attached ]]
	[[ "$(lv fast)" =~ ^fast\|[^|]*k\|.*wcache\.cachevol_of= ]]
	"$WC" status $VG/slow --json | jq -e '.state == "attached" and .active and .error == 0'
}

# the LVs are exactly as before attach: no tags, no activation skip
assert_restored() {
	read_lvs
	[[ "$(lv slow)" =~ ^slow\|[^|]*[^k\|]\|$ ]]
	[ -z "$(lv slow_wco)" ]
	if lv fast; then
		[[ "$(lv fast)" =~ ^fast\|[^|]*[^k\|]\|$ ]]
	fi
	[[ "$(dmsetup table $VG-slow)" == *linear* ]]
	run "$WC" status $VG/slow
	[ "$status" -eq 4 ]
}

@test "kill -9 at every step of attach and split, then re-run: consistent, no data lost" {
	local n=1 attach_done=0 split_done=0
	dd if=/dev/urandom of=/var/tmp/wc/before bs=1M count=4 status=none
	wc_new_lvs
	dd if=/var/tmp/wc/before of=/dev/$VG/slow bs=1M oflag=direct status=none
	while [ $attach_done -eq 0 ] || [ $split_done -eq 0 ]; do
		echo "# kill after step $n" >&3
		run env WCACHECTL_KILL_AFTER=$n "$WC" attach $VG/slow --cachevol fast \
			--target writecache --yes
		if [ "$status" -eq 0 ]; then
			attach_done=1
		else
			echo "$output"
			[ "$status" -eq 137 ]
			if [ $((n % 2)) -eq 1 ]; then
				# roll back with split, then attach for real
				run "$WC" split $VG/slow
				echo "$output"
				[ "$status" -eq 0 ]
				assert_restored
				cmp -n 4194304 /var/tmp/wc/before /dev/$VG/slow
			fi
			run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
			echo "$output"
			[ "$status" -eq 0 ]
		fi
		assert_attached
		cmp -n 4194304 /var/tmp/wc/before /dev/$VG/slow

		# fresh dirty data in the cache, then split killed at step n
		dd if=/dev/urandom of=/var/tmp/wc/during bs=1M count=8 status=none
		dd if=/var/tmp/wc/during of=/dev/$VG/slow bs=1M seek=4 oflag=direct status=none
		"$WC" status $VG/slow --json | jq -e '.dirty_blocks > 0'
		run env WCACHECTL_KILL_AFTER=$n "$WC" split $VG/slow
		if [ "$status" -eq 0 ]; then
			split_done=1
		else
			echo "$output"
			[ "$status" -eq 137 ]
			run "$WC" split $VG/slow
			echo "$output"
			# killed after its last step, split had finished: nothing left to do
			[ "$status" -eq 0 ] || [[ "$status" -eq 4 && "$output" == *"not a cached LV"* ]]
		fi
		assert_restored
		cmp -n 4194304 /var/tmp/wc/before /dev/$VG/slow
		cmp -i 0:4194304 -n 8388608 /var/tmp/wc/during /dev/$VG/slow
		n=$((n + 1))
		[ $n -lt 30 ]
	done
	# both commands have several steps
	[ $n -gt 5 ]
}

@test "Ctrl-C during split leaves cleaner mode; split again finishes" {
	wc_new_lvs 128M 64M
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	[ "$status" -eq 0 ]
	dd if=/dev/urandom of=/var/tmp/wc/data bs=1M count=40 status=none
	dd if=/var/tmp/wc/data of=/dev/$VG/slow bs=1M oflag=direct status=none
	# make the origin slow: every write to it takes 2 s
	linear=$(dmsetup table $VG-slow_wco)
	set -- $linear
	[ "$3" = linear ]
	dmsetup suspend $VG-slow_wco
	dmsetup reload $VG-slow_wco --table "$1 $2 delay $4 $5 0 $4 $5 2000"
	dmsetup resume $VG-slow_wco
	"$WC" split $VG/slow --interval 1 >/var/tmp/wc/split.out 2>&1 &
	pid=$!
	for i in $(seq 200); do
		grep -q "flushing:" /var/tmp/wc/split.out && break
		sleep 0.1
	done
	sleep 1.5
	kill -INT $pid
	rc=0
	wait $pid || rc=$?
	cat /var/tmp/wc/split.out
	[ "$rc" -eq 10 ]
	grep -q "interrupted with [0-9]* dirty blocks left" /var/tmp/wc/split.out
	"$WC" status $VG/slow --json | jq -e '.state == "splitting" and .cleaner and .dirty_blocks > 0'
	# the origin at full speed again, and split continues
	dmsetup suspend $VG-slow_wco
	dmsetup reload $VG-slow_wco --table "$linear"
	dmsetup resume $VG-slow_wco
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	assert_restored
	cmp -n 41943040 /var/tmp/wc/data /dev/$VG/slow
}
