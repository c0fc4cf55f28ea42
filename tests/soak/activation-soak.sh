#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soak: tests/boot/activation.sh with 10 power-cut boots under systemd (CI
# runs 1). Each cycle writes a new generation with fsync, cuts the power,
# and the next boot must bring the cache back by itself with every fsync'd
# generation intact. WCACHE_SOAK_CYCLES overrides the count;
# WCACHE_ACTIVATION_TARGET=writecache soaks the in-kernel target.
# Needs about 1-1.5 minutes per boot on a 2-core machine shared with two other
# VMs (RELIABILITY.md has the last result).
cd "$(dirname "$0")/../.." || exit 1
export WCACHE_ACTIVATION_CYCLES=${WCACHE_SOAK_CYCLES:-10}
exec tests/boot/activation.sh "$@"
