#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The offline tools (wcachectl check, dump, writeback --offline) against the
# kernel, inside the VM:
#   - differential: power-cut images (null_blk with volatile caches) and
#     corrupted copies of them (tests/offline/wccorrupt): the kernel loads
#     an image exactly when check says it would, with the same number of
#     dirty blocks, and the origin after the target's own writeback equals
#     the origin after writeback --offline on a copy, byte for byte;
#   - a live cache is refused, or read with --read-only;
#   - a failing cache device (a dm-error hole in its data area): the
#     readable blocks are written back, the others reported, the cache left
#     as it was; --force then marks it clean;
#   - the LVM form on a real pairing while the module is missing: activate
#     and split print the writeback --offline command, writeback --offline
#     writes everything back, split then finds nothing dirty and the file
#     system checks clean.
#   tests/vm/run -- bats tests/vm/offline.bats
#   WCACHE_OFFDIFF_ROUNDS=N WCACHE_OFFDIFF_VARIANTS=M: more images (2 and 6)

load target-lib.sh
load wcachectl-lib.bash

STAMP="python3 $BATS_TEST_DIRNAME/target-stamp.py"
OFF=$BATS_TEST_DIRNAME/../offline
NB=4096		# 16 MiB of stamped blocks on the 32 MiB origin
W=/var/tmp/wc-offline

setup_file() {
	wc_load
	wc_modprobe null_blk nr_devices=0
	wc_modprobe loop
	make -s -C "$OFF" >/dev/null
	mkdir -p $W
}

teardown() {
	for d in wd wd-fail wc; do
		dmsetup remove --retry $d >/dev/null 2>&1 || true
	done
	losetup -D 2>/dev/null || true
	for d in pco pcc; do
		[ -d /sys/kernel/config/nullb/$d ] || continue
		echo 0 >/sys/kernel/config/nullb/$d/power 2>/dev/null || true
		rmdir /sys/kernel/config/nullb/$d || true
	done
	rm -rf ${W:?}/*
	if [ -f $W.ko ]; then	# the module hidden by the LVM test
		mv $W.ko "$(cat $W.kopath)"
		rm -f $W.kopath
	fi
	if vgs $VG >/dev/null 2>&1; then
		wc_cleanup
		wc_teardown_vg
	fi
}

json() {	# json FILE EXPR: a value of wcachectl's --json output
	python3 -c "import json, sys; j = json.load(open('$1')); print($2)"
}

# one image pair: the kernel and the offline tools must agree
diff_one() {	# diff_one ORIGIN_IMG CACHE_IMG WHAT
	local o=$1 c=$2 what=$3 lo lc bs osect krc kd ud ul live
	cp "$o" $W/ok.img; cp "$c" $W/ck.img
	cp "$o" $W/ou.img; cp "$c" $W/cu.img
	"$WC" check --json $W/cu.img >$W/u.json || true
	ul=$(json $W/u.json 'str(j["loadable"]).lower()')
	ud=$(json $W/u.json 'j.get("dirty_blocks", 0)')
	bs=$(json $W/u.json 'j["superblock"].get("block_size", 4096)')
	lo=$(losetup -f --show $W/ok.img)
	lc=$(losetup -f --show $W/ck.img)
	osect=$(($(wc_sectors "$lo") / (bs / 512) * (bs / 512)))
	if echo "0 $osect wcache s $lo $lc $bs 4 high_watermark 100 low_watermark 99" | dmsetup create wd 2>/dev/null; then
		krc=0
	else
		krc=1
	fi
	if { [ "$krc" = 0 ] && [ "$ul" != true ]; } || { [ "$krc" != 0 ] && [ "$ul" = true ]; }; then
		echo "$what: the kernel load returned $krc, check says loadable=$ul"
		dmesg | tail -n 3
		cat $W/u.json
		return 1
	fi
	if [ "$krc" = 0 ]; then
		kd=$(wc_status_field wd 5)
		[ "$(wc_status_field wd 1)" = 0 ] || { echo "$what: error after load"; return 1; }
		# the live cache: refused without --read-only, the same count with it
		run "$WC" check "$lc"
		[ "$status" = 5 ] || { echo "$what: live check: $status $output"; return 1; }
		live=$("$WC" check --json --read-only "$lc" 2>/dev/null |
			python3 -c 'import json, sys; print(json.load(sys.stdin).get("dirty_blocks"))')
		run "$WC" writeback --offline --cache "$lc" --origin "$lo"
		[ "$status" = 5 ] || { echo "$what: live writeback: $status $output"; return 1; }
		dmsetup message wd 0 writeback
		[ "$(wc_status_field wd 5)" = 0 ] || { echo "$what: dirty after writeback"; return 1; }
		dmsetup remove --retry wd
		if [ "$kd" != "$ud" ] || [ "$live" != "$ud" ]; then
			echo "$what: the kernel loaded $kd dirty blocks, check says $ud (live, after the kernel's load: $live)"
			return 1
		fi
	fi
	losetup -d "$lo" "$lc"
	if [ "$ul" = true ]; then
		run "$WC" writeback --offline --cache $W/cu.img --origin $W/ou.img
		[ "$status" = 0 ] || { echo "$what: writeback --offline: $output"; return 1; }
		cmp -s $W/ok.img $W/ou.img || { echo "$what: the origins differ"; return 1; }
	else
		run "$WC" writeback --offline --cache $W/cu.img --origin $W/ou.img
		[ "$status" = 5 ] || { echo "$what: writeback of a refused image: $status"; return 1; }
	fi
	echo "$what: agree (loadable=$ul, ${ud} dirty)"
}

@test "differential: power-cut and corrupted images, check and writeback --offline agree with the kernel" {
	local r v O C agree=0 refused=0
	for r in $(seq 1 "${WCACHE_OFFDIFF_ROUNDS:-2}"); do
		O=$(wc_nullb pco 32 8)
		C=$(wc_nullb pcc 16 8)
		wc_zero_sb "$C"
		wc_create wc "$O" "$C" 4096 high_watermark 100 low_watermark 99 autocommit_time 50
		$STAMP write /dev/mapper/wc $NB $W/acked --iters 600 --fsync-every 8 \
			--tail 64 --seed "$r" >/dev/null
		# power cut: the volatile caches lose what was not flushed
		wc_nullb_power pcc 0
		wc_nullb_power pco 0
		dmsetup remove --retry wc || dmsetup remove --retry --force wc
		wc_nullb_power pco 1
		wc_nullb_power pcc 1
		dd if="$O" of=$W/o.img bs=1M 2>/dev/null
		dd if="$C" of=$W/c.img bs=1M 2>/dev/null
		for d in pco pcc; do
			echo 0 >/sys/kernel/config/nullb/$d/power
			rmdir /sys/kernel/config/nullb/$d
		done
		diff_one $W/o.img $W/c.img "round $r, as cut"
		agree=$((agree + 1))
		for v in $(seq 1 "${WCACHE_OFFDIFF_VARIANTS:-6}"); do
			cp $W/c.img $W/cv.img
			what=$("$OFF/wccorrupt" $W/cv.img $((r * 100 + v)))
			diff_one $W/o.img $W/cv.img "round $r, $what"
			grep -q '"loadable":false' $W/u.json && refused=$((refused + 1))
			agree=$((agree + 1))
		done
	done
	echo "# $agree images agree ($refused refused by both)" >&3
	wc_dmesg_clean
}

@test "a failing cache device: readable blocks written back, the others reported, the cache kept; --force marks it clean" {
	"$OFF/wcimage" $W/c.img 4096 16384 4096 5 250 >$W/c.exp
	cp $W/c.img $W/c0.img
	truncate -s 16M $W/o.img
	lc=$(losetup -f --show $W/c.img)
	lo=$(losetup -f --show $W/o.img)
	"$WC" dump --json "$lc" >$W/d.json
	data=$(json $W/d.json 'j["superblock"]["data_offset"]')
	csect=$(wc_sectors "$lc")
	# cache blocks 40..119 fail: an origin block is lost when its newest entry
	# is there (a dropped one too: in the hole its data cannot be verified)
	"$WC" dump --all --json "$lc" >$W/d.json
	lost=$(json $W/d.json 'len([1 for w in {e["origin_block"]: e for e in sorted((e for e in j["entries"] if e["state"] == "dirty" or (e["state"] == "dropped" and 40 <= e["cache_block"] < 120)), key=lambda e: e["seq"])}.values() if 40 <= w["cache_block"] < 120])')
	[ "$lost" -gt 0 ]
	{
		echo "0 $((data + 40 * 8)) linear $lc 0"
		echo "$((data + 40 * 8)) $((80 * 8)) error"
		echo "$((data + 120 * 8)) $((csect - data - 120 * 8)) linear $lc $((data + 120 * 8))"
	} | dmsetup create wd-fail
	run "$WC" writeback --offline --cache /dev/mapper/wd-fail --origin "$lo"
	echo "$output"
	[ "$status" -eq 12 ]
	[[ "$output" == *"$lost of 250 dirty blocks could not be read"* ]]
	[ "$(echo "$output" | grep -c 'cannot read cache block')" -eq $((lost < 20 ? lost : 20)) ]
	# the cache is unchanged, the origin has the readable blocks
	cmp $W/c.img $W/c0.img
	[ "$(python3 -c "
d = open('$W/o.img', 'rb').read()
print(sum(1 for i in range(0, len(d), 4096) if any(d[i:i + 4096])))")" -eq $((250 - lost)) ]
	run "$WC" writeback --offline --force --cache /dev/mapper/wd-fail --origin "$lo"
	echo "$output"
	[ "$status" -eq 0 ]
	run "$WC" check /dev/mapper/wd-fail
	[ "$status" -eq 0 ]
	[[ "$output" == *"entries: 0 used"* ]]
}

@test "LVM form with the module missing: activate and split name writeback --offline; after it split finds nothing dirty, fsck clean" {
	wc_setup_vg
	wc_new_lvs 128M 64M
	"$WC" attach $VG/slow --cachevol fast --yes --target wcache \
		--set high_watermark=100 --set low_watermark=99
	mkfs.ext4 -q -F /dev/$VG/slow
	mkdir -p /mnt/wc
	mount /dev/$VG/slow /mnt/wc
	head -c 12M /dev/urandom >/mnt/wc/data
	cp -r "$WCACHE_REPO/man" "$WCACHE_REPO/kernel" /mnt/wc/
	sync
	sum=$(cd /mnt/wc && find . -type f -exec sha256sum {} + | sort | sha256sum)
	umount /mnt/wc
	dirty=$("$WC" status $VG/slow --json | python3 -c 'import json, sys; j = json.load(sys.stdin); j = j[0] if isinstance(j, list) else j; print(j["dirty_blocks"])')
	[ "$dirty" -gt 1000 ]
	"$WC" deactivate $VG/slow
	# the module goes missing (as after a kernel update without DKMS)
	rmmod dm_wcache
	modinfo -n dm-wcache >$W.kopath
	mv "$(cat $W.kopath)" $W.ko
	! modprobe dm-wcache 2>/dev/null
	run "$WC" activate $VG/slow
	echo "$output"
	[ "$status" -eq 11 ]
	[[ "$output" == *"wcachectl writeback --offline $VG/slow"* ]]
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 11 ]
	[[ "$output" == *"holds $dirty dirty blocks"*"wcachectl writeback --offline $VG/slow"* ]]
	run "$WC" check $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"dirty: $dirty blocks"* ]]
	run "$WC" writeback --offline $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"wrote back $dirty blocks"* ]]
	# the LVs are inactive again
	[ "$(lv_field slow_wco lv_active)" = "" ]
	[ "$(lv_field fast lv_active)" = "" ]
	run "$WC" split $VG/slow
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no dirty data"* ]]
	lvchange -ay $VG/slow
	fsck.ext4 -fn /dev/$VG/slow
	mount -o ro /dev/$VG/slow /mnt/wc
	[ "$(cd /mnt/wc && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$sum" ]
	umount /mnt/wc
	lvchange -an $VG/slow
}
