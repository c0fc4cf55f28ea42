#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dm-wcache, dracut initqueue/settled (sourced once per initqueue round
# while dracut waits for the root device): assemble the cached LVs whose
# parts appeared since the last round. A cached LV that cannot be assembled
# stays inactive, its origin hidden; wcachectl says why and how to recover
# (also in /run/wcachectl/failed/).
if [ -x /usr/lib/wcache/wcache-activate-all ]; then
	/usr/lib/wcache/wcache-activate-all --changed 2>&1 | while read -r _wcl; do
		warn "dm-wcache: $_wcl"
	done
fi
