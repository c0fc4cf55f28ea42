#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soak: tests/boot/qemu-kill.sh with 50 QEMU kills (CI runs 3), one boot per
# kill plus a final one.  WCACHE_SOAK_CYCLES overrides the count.  About
# 40 s per boot on a quiet 2-core machine.
cd "$(dirname "$0")/../.." || exit 1
export WCACHE_QKILL_KILLS=${WCACHE_SOAK_CYCLES:-50}
exec tests/boot/qemu-kill.sh "$@"
