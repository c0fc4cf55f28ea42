# SPDX-License-Identifier: GPL-2.0
# dm-wcache + wcachectl: top-level build.
#   make          build the kernel module (kernel/) and the tools (tools/)
#   make check    run every test suite (host tests, then the VM tests)
#   make demo     run the demo in a VM (emulated HDD and SSD)
#   make sparse   run sparse over the kernel module
# Missing Debian packages are installed by scripts/install-deps.sh first.

KVER ?= $(shell ls /lib/modules 2>/dev/null | sort -V | while read v; do \
	[ -d /lib/modules/$$v/build ] && echo $$v; done | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build

.PHONY: all deps module tools check check-host check-vm demo bench sparse clean

all: module tools

deps:
	@./scripts/install-deps.sh

module: deps
	$(MAKE) -C kernel KDIR=$(KDIR)

tools: deps
	$(MAKE) -C tools

sparse: deps
	$(MAKE) -C kernel KDIR=$(KDIR) C=1

check: all
	./tests/check.sh

check-host: all
	./tests/check.sh --host-only

check-vm: all
	./tests/check.sh --vm-only

demo: all
	./bench/demo.sh

clean:
	-$(MAKE) -C kernel KDIR=$(KDIR) clean
	-$(MAKE) -C tools clean
