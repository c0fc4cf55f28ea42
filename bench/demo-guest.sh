#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, inside the VM (bench/demo.sh starts it): an HDD model and an SSD
# model as PVs of one VG, then the seed article's fio on each set-up.
# Writes OUTDIR/demo.tsv: setup <TAB> IOPS <TAB> table line(s) or a note.
# Usage: bench/demo-guest.sh OUTDIR [RUNTIME_SEC]
set -u
OUT=$1
RT=${2:-15}
cd "${WCACHE_REPO:-.}" || exit 1
. bench/lib/guest.sh

SIZE=128M		# fio's working set (the article used a 10 GB cache)
HDD_MB=10240 SSD_MB=6144	# RAM disks, allocated on write only (9 LVs of 1G on the HDD)
mount_outdir || { echo "demo: cannot mount the output directory" >&2; exit 1; }
export FIO_OUT=$OUT
TSV=$OUT/demo.tsv
: >"$TSV"

T0=$(date +%s)
say() { printf '[%4ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
table_of() { dmsetup table "$1" 2>/dev/null | tr '\n' ';' | sed 's/;$//; s/;/ ; /g'; }
record() {	# setup iops table [per-round IOPS]
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$TSV"
	say "demo: $1: $2 IOPS"
	say "      table: $3"
}


models_load "$(( HDD_MB > SSD_MB ? HDD_MB : SSD_MB ))" || { say "demo: cannot load brd/dm-hddmodel"; exit 1; }
vm_modprobe dm-writecache || { say "demo: no dm-writecache"; exit 1; }
vm_modprobe dm-wcache || say "demo: dm-wcache module not loadable"
HDD=$(hdd_create hdd "$HDD_MB") || exit 1
SSD=$SSD_DEV
say "demo: HDD model $(dmsetup table hdd | cut -d' ' -f4-)"
say "demo: SSD model $SSD (brd)"

pvcreate -q -y "$HDD" "$SSD" >/dev/null || exit 1
vgcreate -q vg "$HDD" "$SSD" >/dev/null || exit 1
lv() {	# name size pv
	lvcreate -q -y -W y -Z y -n "$1" -L "$2" vg "$3" >/dev/null || exit 1
}
lv hdd 1G "$HDD"
[ -n "${DEMO_ONLY:-}" ] || lv ssd 512M "$SSD"
# (DEMO_ONLY=article: only the article's pair below)
[ -n "${DEMO_ONLY:-}" ] ||
for s in lvm bare wc wx; do
	lv "slow_$s" 1G "$HDD"
	lv "fast_$s" 512M "$SSD"
done
# the article's case: a cache smaller than fio's working set, so the
# hand-made table is driven past its high watermark (ART_CACHE, default
# 64M: the working set is 2x the cache, 4x its high-watermark share)
ART_CACHE=${ART_CACHE:-64M}
for s in ah ap aw ax; do
	lv "slow_$s" 1G "$HDD"
	lv "fast_$s" "$ART_CACHE" "$SSD"
done
udevadm settle

# Set up everything first, then measure round-robin: ROUNDS rounds of
# RT/ROUNDS seconds per set-up, median reported, so that a change in the
# (shared) host's load hits every set-up alike.
ROUNDS=${ROUNDS:-3}
SETUPS=() DEVS=()
add() {	# setup dev
	SETUPS+=("$1")
	DEVS+=("$2")
}

# DEMO_ONLY=article: only the HDD and the article's pair (bench/demo.sh article)
ONLY=${DEMO_ONLY:-}
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# 1-2: the devices alone (LVs on the HDD PV and on the SSD PV)
add hdd /dev/vg/hdd
want all && add ssd /dev/vg/ssd

# 3: LVM's own writecache
want all && lvchange -q -an vg/fast_lvm
if ! want all; then
	:
elif lvconvert -q -y --type writecache --cachevol fast_lvm vg/slow_lvm >"$OUT/lvconvert.log" 2>&1; then
	add lvm-writecache /dev/vg/slow_lvm
else
	record lvm-writecache NA "lvconvert failed: $(tail -n1 "$OUT/lvconvert.log")"
fi

# 4: a hand-made dm-writecache table with default arguments
if ! want all; then
	:
elif bare_len=$(blockdev --getsz /dev/vg/slow_bare) &&
	dmsetup create bare --table "0 $bare_len writecache s /dev/vg/slow_bare /dev/vg/fast_bare 4096 0"; then
	udevadm settle
	add dmsetup-writecache /dev/mapper/bare
else
	record dmsetup-writecache NA "dmsetup create failed"
fi

# 5-6: wcachectl, with the in-kernel target and with ours
attach() {	# setup lv cachevol target
	local rc
	if ! wcachectl --help 2>&1 | grep -q '^ *attach '; then
		record "$1" NA "not available yet (wcachectl has no attach)"
		return
	fi
	wcachectl attach "vg/$2" --cachevol "$3" --target "$4" --yes >"$OUT/attach-$4.log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		record "$1" NA "not available yet: wcachectl attach --target $4 exit $rc: $(tail -n1 "$OUT/attach-$4.log")"
		return
	fi
	udevadm settle
	add "$1" "/dev/vg/$2"
}
if want all; then
	attach wcachectl-writecache slow_wc fast_wc writecache
	attach wcachectl-wcache slow_wx fast_wx wcache
fi

# 7-8: the article's case, cache ART_CACHE under fio's SIZE working set: the
# same hand-made table, and wcachectl attach (its plan) on the same devices
art_len=$(blockdev --getsz /dev/vg/slow_ah)
if dmsetup create art_dmsetup --table "0 $art_len writecache s /dev/vg/slow_ah /dev/vg/fast_ah 4096 0"; then
	udevadm settle
	add "article-dmsetup" /dev/mapper/art_dmsetup
else
	record article-dmsetup NA "dmsetup create failed"
fi
# the fix doctor names for the hand-made table (writeback_paused): the same
# table with pause_writeback 0
if dmsetup create art_pause0 --table "0 $art_len writecache s /dev/vg/slow_ap /dev/vg/fast_ap 4096 2 pause_writeback 0"; then
	udevadm settle
	add "article-dmsetup-pause0" /dev/mapper/art_pause0
else
	record article-dmsetup-pause0 NA "dmsetup create failed"
fi
attach article-wcachectl slow_aw fast_aw wcache
# the same in-kernel target as the hand-made table, with wcachectl's plan
attach article-wcachectl-writecache slow_ax fast_ax writecache

declare -A ALL
rt=$(( (RT + ROUNDS - 1) / ROUNDS ))
FIO=(--bs=4k --ioengine=libaio --iodepth=32 --direct=1 --rw=randwrite
	--time_based --runtime="$rt" --size="$SIZE" --randrepeat=0)
# Each round starts one set-up later than the one before: a fixed order
# would always give the same set-ups the same neighbours and position in
# the round (host load drifts within a round).
N=${#SETUPS[@]}
for r in $(seq 1 "$ROUNDS"); do
	for k in $(seq 0 $((N - 1))); do
		i=$(((k + r - 1) % N))
		v=$(fio_iops "${SETUPS[$i]}-$r" "${DEVS[$i]}" "${FIO[@]}")
		ALL[$i]="${ALL[$i]:-} $v"
		say "demo: round $r: ${SETUPS[$i]}: $v IOPS"
	done
done
for i in "${!SETUPS[@]}"; do
	med=$(echo ${ALL[$i]} | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	record "${SETUPS[$i]}" "$med" "$(table_of "$(readlink -f "${DEVS[$i]}")")" "${ALL[$i]# }"
	say "      rounds:${ALL[$i]}"
done
say "      hddmodel: $(dmsetup status hdd | cut -d' ' -f4-)"

# wcachectl doctor on the article's pair while fio drives each (its inputs
# kept in OUT/doctor-rec for tests/unit/data/doctor)
mkdir -p "$OUT/doctor-rec"
doctor_under_fio() {	# setup dev mapping
	local pid
	fio --name="doctor-$1" --filename="$2" --output="$OUT/doctor-$1.fio.json" \
		--output-format=json "${FIO[@]/--runtime=*/--runtime=30}" >/dev/null 2>&1 &
	pid=$!
	sleep 3
	WCACHECTL_DOCTOR_RECORD=$OUT/doctor-rec wcachectl doctor "$3" --seconds 5 >"$OUT/doctor-$1.txt" 2>&1
	echo "exit $?" >>"$OUT/doctor-$1.txt"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	say "demo: wcachectl doctor $3 (under fio):"
	sed 's/^/      /' "$OUT/doctor-$1.txt" >&2
}
if [ -b /dev/mapper/art_dmsetup ]; then
	doctor_under_fio article-dmsetup /dev/mapper/art_dmsetup art_dmsetup
fi
if [ -b /dev/mapper/art_pause0 ]; then
	doctor_under_fio article-dmsetup-pause0 /dev/mapper/art_pause0 art_pause0
fi
if [ -b /dev/vg/slow_aw ]; then
	doctor_under_fio article-wcachectl /dev/vg/slow_aw vg/slow_aw
fi
if [ -b /dev/vg/slow_ax ]; then
	doctor_under_fio article-wcachectl-writecache /dev/vg/slow_ax vg/slow_ax
fi

say "demo: done"
exit 0
