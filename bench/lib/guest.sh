# SPDX-License-Identifier: GPL-2.0
# Shell helpers for benchmark scripts running INSIDE the test VM (tests/vm/run).
# Source it: . "$WCACHE_REPO/bench/lib/guest.sh"

BENCH_DIR=${WCACHE_REPO:-$(pwd)}/bench
HDDMODEL_SO=$BENCH_DIR/hddmodel/nbdkit-hddmodel-plugin.so

# modprobe that also works when the harness left the module index out of date
# (the kernel tests' helper loads by path; depmod -a over 9p is very slow).
if [ -f "${WCACHE_REPO:-.}/tests/vm/target-lib.sh" ]; then
	. "${WCACHE_REPO:-.}/tests/vm/target-lib.sh"
fi
# target-lib.sh exports DM_DISABLE_UDEV; our set-ups use udev (LVM links)
[ -z "${DM_DISABLE_UDEV:-}" ] && unset DM_DISABLE_UDEV

# mount_outdir: make tests/vm/run --outdir's directory (9p tag "out")
# writable at its host path, if the harness did not already.
mount_outdir() {
	d=$(sed -n 's/.*wcache\.outdir=\([^ ]*\).*/\1/p' /proc/cmdline)
	[ -n "$d" ] || return 0
	mountpoint -q "$d" && return 0
	mkdir -p "$d" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out "$d"
}

vm_modprobe() {
	modprobe "$@" 2>/dev/null && return 0
	if command -v wc_modprobe >/dev/null; then
		wc_modprobe "$@"
	else
		depmod -a 2>/dev/null
		modprobe "$@"
	fi
}

# models_load MB: two RAM disks of MB each (/dev/ram0 backs the HDD model,
# /dev/ram1 is the SSD model; pages are allocated only when written) and the
# dm-hddmodel target.
models_load() {
	vm_modprobe dm-mod || return 1
	vm_modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) max_part=0 || return 1
	lsmod | grep -q '^dm_hddmodel' ||
		insmod "$BENCH_DIR/hddmodel/dm-hddmodel.ko" || return 1
	udevadm settle 2>/dev/null
}

# hdd_create NAME MB [key=value...]: the HDD model (dm-hddmodel over
# /dev/ram0, MB minus 1 MiB) as /dev/mapper/NAME, flagged rotational.  Prints the device.
# Without a queue= argument the drive reorders like NCQ (queue=sptf among
# the 32 oldest requests): the seed article's real HDD did 352 random 4k
# IOPS at QD32, which a drive serving requests in arrival order cannot
# (the fifo model gives ~170); see bench/hddmodel/README.md.
hdd_create() {
	name=$1 mb=$2
	shift 2
	case " $* " in
	*" queue="*) ;;
	*) set -- queue=sptf ncq_depth=32 "$@" ;;
	esac
	# skip the first MiB of /dev/ram0 so LVM never sees the PV label twice
	dmsetup create "$name" --table "0 $(($mb * 2048 - 2048)) hddmodel /dev/ram0 skip_sectors=2048 $*" || return 1
	udevadm settle 2>/dev/null
	dm=$(dmsetup info -c --noheadings -o blkdevname "$name")
	echo 1 >"/sys/block/$dm/queue/rotational"
	echo "/dev/mapper/$name"
}

# The SSD model: /dev/ram1 (brd: no delays; note brd ignores FLUSH).
SSD_DEV=/dev/ram1

# hdd_stat NAME KEY: one counter of the HDD model's status line.
hdd_stat() {
	dmsetup status "$1" | awk -v k="$2" '{ for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# The same model as an nbdkit plugin over the kernel's nbd client (slow in
# the TCG guest: every request crosses to user space; kept for hosts).
# hdd_attach N SIZE [plugin params...]: serve the HDD model on a unix socket
# and connect it as /dev/nbdN.  Prints the device.  Statistics are written to
# /run/hdd$N.stats when hdd_detach stops the server.
hdd_attach() {
	n=$1 sz=$2
	shift 2
	vm_modprobe nbd nbds_max=8 || return 1
	sock=/run/hdd$n.sock
	rm -f "$sock" "/run/hdd$n.stats"
	nbdkit -U "$sock" -P "/run/hdd$n.pid" -t 32 \
		"$HDDMODEL_SO" size="$sz" stats="/run/hdd$n.stats" "$@" \
		</dev/null >/dev/null 2>"/run/hdd$n.log" || { cat "/run/hdd$n.log" >&2; return 1; }
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	nbd-client -unix "$sock" "/dev/nbd$n" -b 512 </dev/null >/dev/null 2>&1 ||
		{ echo "nbd-client failed" >&2; return 1; }
	# a rotating disk: mq-deadline like a real HDD would get
	echo mq-deadline >"/sys/block/nbd$n/queue/scheduler" 2>/dev/null
	echo 1 >"/sys/block/nbd$n/queue/rotational" 2>/dev/null
	udevadm settle 2>/dev/null
	echo "/dev/nbd$n"
}

hdd_detach() {
	n=$1
	nbd-client -d "/dev/nbd$n" >/dev/null 2>&1
	if [ -f "/run/hdd$n.pid" ]; then
		pid=$(cat "/run/hdd$n.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		rm -f "/run/hdd$n.pid"
	fi
}

# fio_iops NAME DEV [fio args...]: run fio, print the write+read IOPS (integer).
# The full JSON output is kept in $FIO_OUT/NAME.json when FIO_OUT is set.
fio_iops() {
	name=$1 dev=$2
	shift 2
	out=${FIO_OUT:-/run}/$name.json
	fio --name="$name" --filename="$dev" --output-format=json "$@" >"$out" 2>/run/fio.err ||
		{ cat /run/fio.err >&2; echo 0; return 1; }
	jq -r '[.jobs[] | .write.iops + .read.iops] | add | floor' "$out"
}
