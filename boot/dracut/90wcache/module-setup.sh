#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dracut module of dm-wcache: wcachectl, the dm-wcache and dm-writecache
# modules, the udev rules that hide the parts of a cached LV (also when
# dracut's lvm module activates them with "lvchange -ay -K" for rd.lvm.lv=)
# and an initqueue/settled hook that assembles every cached LV whose parts
# are present. The root, /usr and the resume device are waited for by
# their /dev/disk/by-uuid (or /dev/VG/LV) links, which only the assembled
# cache mapping gets, so they are found only once the cache is assembled.

check() {
	require_binaries /usr/sbin/wcachectl /usr/lib/wcache/wcache-activate-all || return 1
	return 0
}

depends() {
	echo lvm dm
	return 0
}

installkernel() {
	hostonly='' instmods dm-writecache
	hostonly='' instmods dm-wcache ||
		dwarn "dm-wcache: no dm-wcache module for kernel $kernel (did its DKMS build fail?): cached LVs on the wcache target will stay inactive at boot, their origins hidden"
	return 0
}

install() {
	inst_multiple /usr/sbin/wcachectl /usr/lib/wcache/wcache-activate-all tr \
		/lib/udev/wcache-part awk md5sum sort sed modprobe cat mkdir
	inst_rules 12-wcache-hide.rules 69-wcache.rules
	inst_hook initqueue/settled 60 "$moddir/wcache-settled.sh"
	inst_hook pre-mount 50 "$moddir/wcache-rw.sh"
}
