#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dm-wcache, dracut initqueue/settled (sourced once per initqueue round
# while dracut waits for the root device): assemble the cached LVs whose
# parts appeared since the last round. A cached LV that cannot be assembled
# stays inactive, its origin hidden; wcachectl says why and how to recover
# (also in /run/wcachectl/failed/).
# With a resume device (resume=, not noresume) and no systemd in the
# initramfs, the mappings are loaded read-only until the resume attempt is
# over (pre-mount/50-wcache-rw.sh): the hibernated kernel holds the cache's
# state in its memory, and nothing may write behind its back. With systemd
# in the initramfs, systemd-hibernate-resume is not ordered against dracut's
# hooks, so there they are loaded read-write (see wcachectl(8)).
if [ -x /usr/lib/wcache/wcache-activate-all ]; then
	_wcro=
	if [ -n "$(getarg resume=)" ] && ! getargbool 0 noresume && [ ! -d /run/systemd/system ]; then
		_wcro=--read-only
		: >/run/wcachectl-read-only
	fi
	/usr/lib/wcache/wcache-activate-all --changed $_wcro 2>&1 | while read -r _wcl; do
		warn "dm-wcache: $_wcl"
	done
	unset _wcro
fi
