#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl against what LVM and the kernel do around a pairing (issue 18):
# --force never gives up dirty data for a reason that is not the cache's
# fault (a busy origin, a missing target module), a split can be cancelled,
# and a split stopped after the flush is completed by activation.

load wcachectl-lib

setup_file() {
	wc_setup_vg
}

teardown_file() {
	wc_teardown_vg
}

setup() {
	wc_new_lvs
	mkdir -p /mnt/wc /var/tmp/wc
}

teardown() {
	rm -f /etc/modprobe.d/wcachectl-test-block.conf
	if [ -n "${RLOOPS:-}" ]; then	# the RAID test's own VG
		"$WC" split wcrvg/slow --force --yes >/dev/null 2>&1 || true
		vgremove -q -f wcrvg >/dev/null 2>&1 || true
		for l in $RLOOPS; do losetup -d "$l" 2>/dev/null || true; done
		rm -f /var/tmp/wc/leg*
	fi
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null || true
	wc_cleanup
}

# 4 MiB of random data written through the cache; its checksum in sums
write_data() {
	dd if=/dev/urandom of=/var/tmp/wc/data bs=1M count=4 status=none
	dd if=/var/tmp/wc/data of=/dev/$VG/slow bs=1M oflag=direct status=none
	sha256sum </var/tmp/wc/data >/var/tmp/wc/sums
}

same_data() {
	[ "$(head -c 4M /dev/mapper/$VG-slow | sha256sum)" = "$(cat /var/tmp/wc/sums)" ]
}

# standard output only (bats' run mixes in standard error); exit status in rc
out_of() {
	rc=0
	out=$("$@" 2>/var/tmp/wc/stderr) || rc=$?
	cat /var/tmp/wc/stderr
	echo "$out"
}

state_tag() {
	lvs --noheadings -o lv_tags $VG/"$1" | tr ',' '\n' | sed -n 's/^ *wcache.state=//p'
}

@test "activate --force does not format a cache the kernel refused for another reason (origin busy)" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	write_data
	"$WC" status $VG/slow --json | jq -e '.dirty_blocks > 0'
	"$WC" deactivate $VG/slow
	# something else holds the origin exclusively: the table load gets EBUSY
	lvchange -q -ay -K $VG/slow_wco
	rm -f /var/tmp/wc/held
	python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(600)' /dev/mapper/$VG-slow_wco /var/tmp/wc/held &
	HOLDER=$!
	for i in $(seq 50); do [ -e /var/tmp/wc/held ] && break; sleep 0.1; done
	[ -e /var/tmp/wc/held ]
	run "$WC" activate --force --yes $VG/slow
	echo "$output"
	[ "$status" -eq 8 ]
	[[ "$output" == *"not a problem of the cache's metadata"* ]]
	[[ "$output" != *"formatting the cache"* ]]
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null || true
	HOLDER=
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	same_data
}

@test "split --force keeps the dirty data when only the target module is missing" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	"$WC" deactivate $VG/slow
	rmmod dm_writecache
	echo "install dm_writecache /bin/false" >/etc/modprobe.d/wcachectl-test-block.conf
	run "$WC" split $VG/slow --force
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"wcachectl writeback --offline $VG/slow"* ]]
	lv_exists slow_wco
	[ "$(state_tag slow_wco)" != detached ]
	rm -f /etc/modprobe.d/wcachectl-test-block.conf
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	same_data
}

# split killed right after it switched the cache to cleaner mode
split_until_cleaner() {
	run env WCACHECTL_KILL_AFTER=2 "$WC" split $VG/slow
	echo "$output"
	[[ "$output" == *"killed after step 2 (dm message)"* ]]
	[ "$(state_tag slow_wco)" = splitting ]
}

@test "split --cancel and tune cleaner=0 stop a split and keep caching" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	split_until_cleaner
	"$WC" status $VG/slow --json | jq -e '.cleaner'
	run "$WC" split $VG/slow --cancel
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"split cancelled"* ]]
	[ "$(state_tag slow_wco)" = attached ]
	"$WC" status $VG/slow --json | jq -e '.state == "attached" and (.cleaner | not) and .active'
	[[ "$(dmsetup table $VG-slow)" != *cleaner* ]]
	run "$WC" split $VG/slow --cancel
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to cancel"* ]]

	split_until_cleaner
	run "$WC" tune $VG/slow cleaner=0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state_tag slow_wco)" = attached ]
	"$WC" status $VG/slow --json | jq -e '.state == "attached" and (.cleaner | not)'
	same_data
}

@test "activation completes a split that stopped after the flush (state detached)" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	run env WCACHECTL_KILL_AFTER=4 "$WC" split $VG/slow
	echo "$output"
	[ "$(state_tag slow_wco)" = detached ]
	! dm_exists $VG-slow
	run "$WC" activate $VG
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"completing it"* ]]
	lv_exists slow && ! lv_exists slow_wco
	[ "$(lv_field slow lv_tags)" = "" ] && [ "$(lv_field fast lv_tags)" = "" ]
	[[ "$(dmsetup table $VG-slow)" == *linear* ]]
	same_data
}

# --- LVM around an inactive pairing (sizes, removal, names) ----------------

@test "an origin or cachevol resized while inactive: activation refuses with the exact way back" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	lvs --noheadings -o lv_tags $VG/slow_wco | grep -q "wcache.osize=134217728"
	lvs --noheadings -o lv_tags $VG/slow_wco | grep -q "wcache.csize=67108864"
	"$WC" deactivate $VG/slow
	lvextend -q -y -L +8M $VG/slow_wco >/dev/null
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"was extended while the pairing was inactive"* ]]
	[[ "$output" == *"lvreduce -y -L 134217728b $VG/slow_wco"* ]]
	! dm_exists $VG-slow
	"$WC" status $VG/slow --json | jq -e '.size_changed and (.active | not)'
	lvreduce -q -y -L 134217728b $VG/slow_wco >/dev/null
	lvextend -q -y -L +8M $VG/fast >/dev/null
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"cachevol $VG/fast"*"lvreduce -y -L 67108864b $VG/fast"* ]]
	lvreduce -q -y -L 67108864b $VG/fast >/dev/null
	run "$WC" activate $VG/slow
	[ "$status" -eq 0 ]
	same_data
}

@test "a cachevol whose origin LVM removed is reported, with the way to reuse it" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	"$WC" deactivate $VG/slow
	lvremove -q -f $VG/slow_wco >/dev/null
	out_of "$WC" status --json
	[ "$rc" -eq 13 ]
	echo "$out" | jq -e '.[0].lv == "fast" and (.[0].error | test("no longer in the VG"))'
	[[ "$out" == *"lvchange -kn --deltag wcache."* ]]
}

@test "vgrename while the cache is loaded: activate under the new name renames the mapping" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	vgrename -q $VG ${VG}x >/dev/null
	dm_exists $VG-slow
	out_of "$WC" status ${VG}x/slow --json
	echo "$out" | jq -e --arg n "$VG-slow" '.loaded_as == $n'
	run "$WC" activate ${VG}x/slow
	echo "$output"
	[ "$status" -eq 0 ]
	dm_exists ${VG}x-slow && ! dm_exists $VG-slow
	[[ "$(dmsetup info -c --noheadings -o uuid ${VG}x-slow)" == WCACHE-* ]]
	[ "$(readlink /dev/${VG}x/slow)" = "../mapper/${VG}x-slow" ]
	"$WC" deactivate ${VG}x/slow
	vgrename -q ${VG}x $VG >/dev/null
	"$WC" activate $VG/slow
	same_data
}

@test "lvcreate of the cached LV's name while it is loaded does not touch the cache" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	write_data
	if lvcreate -q -y -W y -n slow -L 8M $VG /dev/ram0 >/dev/null 2>&1; then
		run "$WC" status $VG/slow
		echo "$output"
		[ "$status" -eq 5 ]
		[[ "$output" == *"exists next to the cached origin"* ]]
		lvremove -q -f $VG/slow
	fi
	[ "$(dmsetup table $VG-slow | awk '{print $3}')" = writecache ]
	same_data
}

# --- status, list, tune, plan, attach -------------------------------------

@test "status and list: one bad pairing hides none of the others; JSON printed, exit not 0" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	lvcreate -q -y -W y -n s2 -L 32M $VG /dev/ram0 >/dev/null
	lvcreate -q -y -W y -n f2 -L 16M $VG /dev/ram1 >/dev/null
	"$WC" attach $VG/s2 --cachevol f2 --target writecache --yes
	"$WC" deactivate $VG/s2
	# someone else's device under the name of s2's mapping
	dmsetup create $VG-s2 --table "0 8 zero"
	# and an LV with malformed cache tags
	lvcreate -q -y -W y -n bad -L 8M $VG /dev/ram0 >/dev/null
	lvchange -q --addtag wcache.v=1 --addtag wcache.name=bad --addtag wcache.state=bogus $VG/bad
	out_of "$WC" status --json
	[ "$rc" -ne 0 ]
	echo "$out" | jq -e 'length == 3'
	echo "$out" | jq -e '.[] | select(.lv == "slow") | .state == "attached" and .active'
	echo "$out" | jq -e '.[] | select(.lv == "s2") | .exit_code == 5 and (.error | test("not the cache mapping"))'
	echo "$out" | jq -e '.[] | select(.lv == "bad") | .exit_code == 13'
	run "$WC" status
	[ "$status" -ne 0 ]
	[[ "$output" == *"$VG/slow: attached"* && "$output" == *"$VG/s2: cannot be shown"* ]]
	out_of "$WC" list --json
	[ "$rc" -eq 13 ]
	echo "$out" | jq -e 'length == 3'
	echo "$out" | jq -e '.[] | select(.lv == "slow") | .active'
	run "$WC" status --prometheus
	[ "$status" -ne 0 ]
	[[ "$output" == *'wcache_scrape_error{vg="'$VG'",lv="bad"} 1'* ]]
	[[ "$output" == *'wcache_up{vg="'$VG'",lv="slow",target="writecache",state="attached"} 1'* ]]
	dmsetup remove $VG-s2
	lvchange -q --deltag wcache.v=1 --deltag wcache.name=bad --deltag wcache.state=bogus $VG/bad
}

@test "another LV with more than 8 KiB of tags does not break the VG's report" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	lvcreate -q -y -W y -n tagged -L 8M $VG /dev/ram0 >/dev/null
	local args=() i long
	long=$(head -c 900 /dev/zero | tr '\0' x)
	for i in $(seq 10); do args+=(--addtag "t$i$long"); done
	lvchange -q "${args[@]}" $VG/tagged
	[ "$(lvs --noheadings -o lv_tags $VG/tagged | wc -c)" -gt 8192 ]
	run "$WC" status $VG/slow --json
	echo "$output" | head -n 5
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.state == "attached" and .active'
	run "$WC" list --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e 'length == 1 and .[0].lv == "slow"'
}

@test "tune locks wcachectl's memory around suspend and resume" {
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	strace -f -o /var/tmp/wc/trace -e trace=mlockall,munlockall,ioctl \
		"$WC" tune $VG/slow high_watermark=60 low_watermark=40
	lock=$(grep -n 'mlockall(' /var/tmp/wc/trace | head -n1 | cut -d: -f1)
	susp=$(grep -n 'DM_DEV_SUSPEND' /var/tmp/wc/trace | head -n1 | cut -d: -f1)
	resume=$(grep -n 'DM_DEV_SUSPEND' /var/tmp/wc/trace | tail -n1 | cut -d: -f1)
	unlock=$(grep -n 'munlockall(' /var/tmp/wc/trace | tail -n1 | cut -d: -f1)
	echo "mlockall $lock suspend $susp resume $resume munlockall $unlock"
	[ -n "$lock" ] && [ -n "$susp" ] && [ -n "$unlock" ]
	[ "$lock" -lt "$susp" ] && [ "$resume" -lt "$unlock" ]
	[ "$(dmsetup info -c --noheadings -o attr $VG-slow | cut -c3)" != s ]
}

@test "a resume that fails (dead cache device): nothing stays suspended, I/O fails instead of hanging, the data comes back" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	write_data
	sync
	sleep 2	# autocommit_time: the data is committed
	local cdev cname csize tune i
	cdev=$(dmsetup table $VG-slow | awk '{ print $6 }')
	cname=$(dmsetup info -c --noheadings -o name -j "${cdev%:*}" -m "${cdev#*:}")
	dmsetup table "$cname" >/var/tmp/wc/cache-table
	csize=$(blockdev --getsz "/dev/mapper/$cname")
	# tune stops after recording the new settings (its new table is loaded:
	# the constructor read the cache); then the cache device fails every
	# I/O, so the resume cannot read the superblock, nor can the old table's
	WCACHECTL_STOP_AFTER=1 timeout 300 "$WC" tune $VG/slow high_watermark=60 low_watermark=40 \
		>/var/tmp/wc/tune.out 2>&1 &
	tune=$!
	for i in $(seq 600); do
		[ "$(ps -o stat= -p $(pgrep -f -n "wcachectl tune $VG/slow") 2>/dev/null | cut -c1)" = T ] && break
		sleep 0.1
	done
	cat /var/tmp/wc/tune.out
	dmsetup info -c --noheadings -o attr $VG-slow | grep -q I
	dmsetup suspend "$cname"
	dmsetup load "$cname" --table "0 $csize error"
	dmsetup resume "$cname"
	pkill -CONT -f "wcachectl tune $VG/slow"
	status=0
	wait $tune || status=$?
	output=$(cat /var/tmp/wc/tune.out)
	echo "$output"
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ "$output" == *"resume of $VG-slow with the new table failed; resuming the previous table"* ]]
	[[ "$output" == *"it now fails every I/O instead of hanging"* ]]
	[[ "$output" != *"stays suspended"* ]]
	# not suspended; I/O returns (with an error) instead of hanging
	[ "$(dmsetup info -c --noheadings -o attr $VG-slow | cut -c3)" != s ]
	! timeout 60 dd if=/dev/mapper/$VG-slow of=/dev/null bs=4k count=1 iflag=direct status=none
	[ "$(dmsetup table $VG-slow | awk '{ print $3 }')" = error ]
	# the cache device back: deactivate and activate, the data is there
	dmsetup suspend "$cname"
	dmsetup load "$cname" </var/tmp/wc/cache-table
	dmsetup resume "$cname"
	run_ok "$WC" deactivate $VG/slow
	run_ok "$WC" activate $VG/slow
	same_data
}

@test "activate --read-only writes nothing to either device; activate again makes it read-write" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	write_data
	"$WC" deactivate $VG/slow
	# a read-write load would now write everything back at once
	"$WC" tune $VG/slow high_watermark=0 low_watermark=0 >/dev/null
	lvchange -q -ay -K $VG/slow_wco $VG/fast
	local o c
	o=$(sha256sum </dev/mapper/$VG-slow_wco) c=$(sha256sum </dev/mapper/$VG-fast)
	lvchange -q -an $VG/slow_wco $VG/fast
	run_ok "$WC" activate $VG/slow --read-only
	[[ "$output" == *"$VG/slow is active read-only (/dev/$VG/slow)"* ]]
	[ "$(dmsetup info -c --noheadings -o attr $VG-slow | cut -c4)" = r ]
	same_data
	! dd if=/dev/zero of=/dev/mapper/$VG-slow bs=4k count=1 oflag=direct status=none
	sleep 3	# autocommit_time and the writeback timer
	[ "$("$WC" status $VG/slow --json | jq -r .dirty_blocks)" -gt 0 ]
	[ "$(sha256sum </dev/mapper/$VG-slow_wco)" = "$o" ]
	[ "$(sha256sum </dev/mapper/$VG-fast)" = "$c" ]
	run_ok "$WC" activate $VG/slow
	[[ "$output" == *"$VG/slow: loaded read-write"* ]]
	[[ "$output" == *"$VG/slow is active (/dev/$VG/slow)"* ]]
	[ "$(dmsetup info -c --noheadings -o attr $VG-slow | cut -c4)" != r ]
	for i in $(seq 60); do
		[ "$("$WC" status $VG/slow --json | jq -r .dirty_blocks)" -eq 0 ] && break
		sleep 1
	done
	[ "$("$WC" status $VG/slow --json | jq -r .dirty_blocks)" -eq 0 ]
	same_data
	# writecache pairings are not loaded read-only
	"$WC" split $VG/slow --yes >/dev/null
	lvremove -q -f $VG/fast >/dev/null
	lvcreate -q -y -W y -n fast -L 64M $VG /dev/ram1 >/dev/null
	"$WC" attach $VG/slow --cachevol fast --target writecache --yes
	"$WC" deactivate $VG/slow
	run "$WC" activate $VG/slow --read-only
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"cannot be loaded read-only"* ]]
	! dm_exists $VG-slow
}

@test "plan activates nothing: inactive LVs are probed through their PVs" {
	lvchange -q -an $VG/slow $VG/fast
	run env WCACHECTL_KILL_AFTER=1 "$WC" plan $VG/slow --cachevol fast --target writecache
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inactive: filesystem not probed"* ]]
	[[ "$output" == *"table:   0 262144 writecache s /dev/mapper/$VG-slow /dev/mapper/$VG-fast "* ]]
	! dm_exists $VG-slow && ! dm_exists $VG-fast
}

@test "attach refuses a rotational, shared or bigger cachevol unless --force" {
	before=$(vg_state)
	lvcreate -q -y -W y -n same -L 16M $VG /dev/ram0 >/dev/null
	run "$WC" attach $VG/slow --cachevol same --target writecache --yes
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"both on /dev/ram0"* ]]
	run "$WC" plan $VG/slow --cachevol same --target writecache --force
	[ "$status" -eq 0 ]
	lvremove -q -f $VG/same >/dev/null
	lvcreate -q -y -W y -n big -L 160M $VG /dev/ram1 >/dev/null
	run "$WC" attach $VG/slow --cachevol big --target writecache --yes
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"bigger than the origin"* ]]
	lvremove -q -f $VG/big >/dev/null
	echo 1 >/sys/block/ram1/queue/rotational
	lvcreate -q -y -W y -n rot -L 16M $VG /dev/ram1 >/dev/null
	run "$WC" attach $VG/slow --cachevol rot --target writecache --yes
	echo 0 >/sys/block/ram1/queue/rotational
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"rotational device"* ]]
	lvremove -q -f $VG/rot >/dev/null
	same_state "$before"
}

@test "attach warns and asks when the origin's block size cannot be read (partition table)" {
	printf '\x00\x20\x21\x00\x83\x20\x21\x00\x00\x08\x00\x00\x00\x10\x00\x00' |
		dd of=/dev/$VG/slow bs=1 seek=446 conv=notrunc status=none
	printf '\x55\xaa' | dd of=/dev/$VG/slow bs=1 seek=510 conv=notrunc status=none
	blkid -p /dev/$VG/slow || true
	run "$WC" attach $VG/slow --cachevol fast --target writecache </dev/null
	echo "$output"
	[ "$status" -eq 9 ]
	[[ "$output" == *"whose block size cannot be read"* ]]
	run "$WC" attach $VG/slow --cachevol fast --target writecache --yes
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"holds dos, whose block size wcachectl cannot read"* ]]
}

# --- monitoring -------------------------------------------------------------

@test "status --prometheus: node_exporter textfile metrics per pairing" {
	"$WC" attach $VG/slow --cachevol fast --target wcache --yes
	write_data
	head -c 1M /dev/$VG/slow >/dev/null
	run "$WC" status --prometheus
	echo "$output"
	[ "$status" -eq 0 ]
	labels="{vg=\"$VG\",lv=\"slow\",target=\"wcache\",state=\"attached\"}"
	for m in wcache_up wcache_error wcache_size_bytes wcache_free_bytes wcache_dirty_bytes \
		 wcache_read_hits_total wcache_read_misses_total wcache_write_hits_total \
		 wcache_write_misses_total wcache_written_back_bytes_total; do
		grep -qE "^$m$labels [0-9.e+-]+\$" <<<"$output"
		[ "$(grep -c "^# TYPE $m " <<<"$output")" -eq 1 ]
	done
	dirty=$(sed -n "s/^wcache_dirty_bytes$labels //p" <<<"$output")
	[ "$dirty" != 0 ]
	# every sample line is "name{labels} value", every name has HELP and TYPE
	! grep -vE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{[^}]*\} -?[0-9.e+]+)$' <<<"$output"
}

@test "--json: attach, tune, deactivate, activate and split print one result object" {
	out=$("$WC" attach $VG/slow --cachevol fast --target writecache --yes --json 2>/dev/null)
	echo "$out"
	echo "$out" | jq -e '.command == "attach" and .exit_code == 0 and .error == null'
	echo "$out" | jq -e '.status.state == "attached" and .status.active'
	out=$("$WC" tune $VG/slow high_watermark=60 low_watermark=40 --json 2>/dev/null)
	echo "$out" | jq -e '.command == "tune" and .exit_code == 0 and .status.settings.high_watermark == 60'
	out=$("$WC" deactivate $VG/slow --json 2>/dev/null)
	echo "$out" | jq -e '.exit_code == 0 and (.status.active | not)'
	out=$("$WC" activate $VG/slow --json 2>/dev/null)
	echo "$out" | jq -e '.exit_code == 0 and .status.active'
	out=$("$WC" split $VG/slow --json 2>/dev/null)
	echo "$out" | jq -e '.command == "split" and .exit_code == 0 and .status == null'
	rc=0
	out=$("$WC" split $VG/slow --json 2>/dev/null) || rc=$?
	[ "$rc" -eq 4 ]
	echo "$out" | jq -e '.exit_code == 4 and (.error | test("not a cached LV"))'
}

# --- a RAID origin ----------------------------------------------------------

@test "a RAID1 origin with a missing leg follows LVM's activation_mode" {
	local RVG=wcrvg i l loops=() conf=/var/tmp/wc/lvmconf
	load_mod loop
	load_mod dm-raid
	for i in 0 1 2; do
		truncate -s 80M /var/tmp/wc/leg$i
		l=$(losetup -f --show /var/tmp/wc/leg$i)
		echo 0 >/sys/block/${l#/dev/}/queue/rotational
		loops+=("$l")
	done
	RLOOPS="${loops[*]}"
	pvcreate -q -y "${loops[@]}" >/dev/null
	vgcreate -q $RVG "${loops[@]}" >/dev/null
	lvcreate -q -y -W y --type raid1 -m 1 -n slow -L 32M $RVG "${loops[0]}" "${loops[1]}" >/dev/null
	lvcreate -q -y -W y -n fast -L 16M $RVG "${loops[2]}" >/dev/null
	for i in $(seq 60); do
		[ "$(lvs --noheadings -o sync_percent $RVG/slow | tr -d ' ')" = 100.00 ] && break
		sleep 1
	done
	"$WC" attach $RVG/slow --cachevol fast --target wcache --yes
	dd if=/dev/urandom of=/var/tmp/wc/data bs=1M count=4 status=none
	dd if=/var/tmp/wc/data of=/dev/$RVG/slow bs=1M oflag=direct status=none
	"$WC" deactivate $RVG/slow
	# the second leg's disk is gone
	losetup -d "${loops[1]}"
	udevadm settle
	lvs -a -o name,attr,devices $RVG 2>&1 || true
	# activation_mode=complete: nothing is activated, and the message says why
	mkdir -p $conf
	cp /etc/lvm/lvm.conf $conf/
	printf 'activation {\n\tactivation_mode = "complete"\n}\n' >$conf/lvmlocal.conf
	run env LVM_SYSTEM_DIR=$conf "$WC" activate $RVG/slow
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"origin $RVG/slow_wco of $RVG/slow is on a missing physical volume"* ]]
	! dm_exists $RVG-slow && ! dm_exists $RVG-slow_wco
	# the default, degraded: it comes up on the remaining leg, data intact
	run "$WC" activate $RVG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"missing a leg; activating it degraded, as activation_mode=degraded allows"* ]]
	[ "$(head -c 4M /dev/mapper/$RVG-slow | sha256sum)" = "$(sha256sum </var/tmp/wc/data)" ]
	[[ "$(dmsetup info -c --noheadings -o uuid $RVG-slow)" == WCACHE-* ]]
}
