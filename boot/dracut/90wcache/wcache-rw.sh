#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dm-wcache, dracut pre-mount (after 10-resume.sh found no hibernation
# image; a resume does not come back here): the cached LVs loaded read-only
# before the resume attempt become read-write, and the dm-writecache ones,
# which cannot be loaded read-only, are assembled, before root is mounted.
if [ -e /run/wcachectl-read-only ] && [ -x /usr/lib/wcache/wcache-activate-all ]; then
	/usr/lib/wcache/wcache-activate-all 2>&1 | while read -r _wcl; do
		warn "dm-wcache: $_wcl"
	done
	rm -f /run/wcachectl-read-only
fi
