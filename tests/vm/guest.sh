#!/bin/sh
# Runs inside the test VM, on the overlay root, as PID 1 (or from a systemd
# unit with --systemd-run). Sets up /proc, /sys, /dev, installs the freshly
# built dm-wcache.ko, starts udevd, runs the test command, checks dmesg for
# kernel warnings and reports the result on the console for tests/vm/run.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 WCACHE_IN_VM=1

arg() { sed -n "s/.*wcache\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

mount_basics() {
	mountpoint -q /proc || mount -t proc proc /proc
	mountpoint -q /sys || mount -t sysfs sysfs /sys
	mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
	mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
	mountpoint -q /run || mount -t tmpfs -o mode=755 tmpfs /run
	mkdir -p /run/lock /run/lvm /run/udev
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config 2>/dev/null
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	# devtmpfs has no /dev/fd: bash process substitution (bats, dkms) needs it
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
	[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
	# tests/vm/run --outdir: the host directory at the same path, writable
	out=$(arg outdir)
	if [ -n "$out" ] && ! mountpoint -q "$out"; then
		mkdir -p "$out" 2>/dev/null
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out "$out"
	fi
}

# Make "modprobe dm-wcache" (and the kernel's own request_module for the
# wcache target) find the modules built in the work tree: tests/vm/run ran
# depmod on the host and hands over the index with the modules.
install_module() {
	idx=$(arg modidx)
	[ -n "$idx" ] && [ -d "$idx" ] || return 0
	cp -r "$idx"/. "/lib/modules/$(uname -r)/"
}

start_udev() {
	/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
	udevadm trigger --action=add >/dev/null 2>&1
	udevadm settle --timeout=30 >/dev/null 2>&1
}

# Kernel messages that fail a test run.
BAD='(-+\[ cut here \]-+|WARNING: |BUG: |kernel BUG|Oops|Call Trace|general protection fault|possible (recursive|circular) locking|lockdep|UBSAN|KASAN|blocked for more than|RIP: )'

check_dmesg() {
	dmesg | grep -Eq "$BAD" || return 0
	echo "=== kernel log shows a warning/oops; failing the run ==="
	dmesg | grep -E -A30 "$BAD" | head -n 80
	echo "WCACHE-VM-DMESG-BAD"
	return 1
}

run_test() {
	repo=$(arg repo)
	cmd=$(arg cmd)
	[ -n "${1:-}" ] || install_module
	# under systemd (--systemd-run), systemd-udevd runs and
	# systemd-udev-trigger did the coldplug: a second daemon and trigger
	# would only replay every device's rules
	if [ -n "${1:-}" ]; then
		udevadm settle --timeout=30 >/dev/null 2>&1
	elif [ "$(arg udev)" != 0 ]; then
		start_udev
	fi
	if [ -n "$(arg disks)" ]; then
		modprobe virtio_blk
		udevadm settle --timeout=30 >/dev/null 2>&1
	fi
	export PATH="$repo/tools:$PATH" WCACHE_REPO="$repo"
	dmesg -n 1 2>/dev/null
	cd "$repo" || exit 1
	bash "$cmd"
	rc=$?
	sync
	check_dmesg || { [ "$rc" = 0 ] && rc=125; }
	echo
	echo "WCACHE-VM-EXIT=$rc"
}

case "${1:-}" in
--prepare-systemd)
	# Called from the initramfs before switch_root: a oneshot unit runs the test.
	self=$0
	mount -t proc proc /proc
	install_module
	cat >/etc/systemd/system/wcache-vm-test.service <<UNIT
[Unit]
Description=wcache VM test command
# also in emergency mode (a mount of the test failed): the command reports
# what failed instead of the VM waiting for its time-out
DefaultDependencies=no
After=multi-user.target emergency.target
[Service]
Type=oneshot
StandardOutput=journal+console
StandardError=journal+console
ExecStart=/bin/sh $self --systemd-run
ExecStopPost=/bin/systemctl poweroff -ff
UNIT
	mkdir -p /etc/systemd/system/multi-user.target.wants
	mkdir -p /etc/systemd/system/emergency.target.wants
	for t in multi-user emergency; do
		ln -sf ../wcache-vm-test.service \
			/etc/systemd/system/$t.target.wants/wcache-vm-test.service
	done
	hook=$(arg prepare)
	[ -n "$hook" ] && sh "$hook"
	umount /proc
	exit 0
	;;
--check-dmesg)
	# tests/vm/powercut: the run ends without reaching run_test's check
	check_dmesg
	exit
	;;
--systemd-run)
	mount_basics
	run_test installed
	exit 0
	;;
esac

mount_basics
exec </dev/null
run_test
echo o >/proc/sysrq-trigger
# PID 1 must not exit while the power-off completes
while :; do :; done
