# SPDX-License-Identifier: GPL-2.0
# dm-wcache + wcachectl: top-level build.
#   make          build the kernel module (kernel/) and the tools (tools/)
#   make check    the CI suites (host tests, then the VM tests; under an hour)
#   make check-full  every suite (check.sh FULL_ONLY too: see tests/check.sh)
#   make demo     run the demo in a VM (emulated HDD and SSD)
#   make sparse   run sparse over the kernel module
#   make kernels  compile the module against the kernel matrix (host 6.1,
#                 Debian 12's 6.12, the newest Debian 13 backports kernel;
#                 scripts/kernels.sh)
#   make check-kernels  the matrix, then the target suites in the VM on 6.12
#                 and on the newest kernel
# Missing Debian packages are installed by scripts/install-deps.sh first.

KVER ?= $(shell ls /lib/modules 2>/dev/null | sort -V | while read v; do \
	[ -d /lib/modules/$$v/build ] && echo $$v; done | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build

.PHONY: all deps module hddmodel tools replay check check-host check-vm demo bench sparse clean \
	kernels check-kernels check-full

all: module hddmodel tools replay

deps:
	@./scripts/install-deps.sh

module: deps
	$(MAKE) -C kernel KDIR=$(KDIR)

# the HDD model target the demo, benchmarks and tests/vm/hddmodel.bats use
hddmodel: deps
	$(MAKE) -C bench/hddmodel KDIR=$(KDIR) module

tools: deps
	$(MAKE) -C tools

# crash-replay tools (tests/replay) and the in-VM target fuzzer
# (tests/fuzz/dmfuzz), run by tests/vm/crash-replay.bats and fuzz.bats
replay: deps
	$(MAKE) -C tests/replay
	$(MAKE) -C tests/fuzz dmfuzz

sparse: deps
	$(MAKE) -C kernel KDIR=$(KDIR) C=1

kernels: deps
	./scripts/kernels.sh build

check-kernels: all
	./scripts/kernels.sh check

check: all
	./tests/check.sh

check-full: all
	./tests/check.sh --full

check-host: all
	./tests/check.sh --host-only

check-vm: all
	./tests/check.sh --vm-only

demo: all
	./bench/demo.sh

clean:
	-$(MAKE) -C kernel KDIR=$(KDIR) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C bench/hddmodel KDIR=$(KDIR) clean
	-$(MAKE) -C tests/replay clean

# ---------------------------------------------------------------------------
# Installation and Debian packages (packaging/README.md)
#   make install [DESTDIR=] [PREFIX=/usr/local]   tools, man pages, udev rules,
#        systemd units, LVM profiles, completion, and the module source with
#        its dkms.conf in /usr/src/dm-wcache-VERSION (then: dkms install
#        dm-wcache/VERSION)
#   make uninstall [DESTDIR=] [PREFIX=]           removes exactly those files
#   make deb      dm-wcache-dkms and wcachectl .deb files in build/
# Everything is picked up by wildcard from its directory, so new files in
# man/, udev/, lvm-profiles/ or completion/ get installed and packaged.

VERSION		:= $(shell cat VERSION)
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
UDEVRULESDIR	?= /lib/udev/rules.d
SYSTEMDUNITDIR	?= /lib/systemd/system
LVMPROFILEDIR	?= /etc/lvm/profile
DKMSSRCDIR	?= /usr/src/dm-wcache-$(VERSION)
# early boot (boot/): helpers, initramfs-tools hook and scripts, dracut module
WCLIBDIR	?= /usr/lib/wcache
UDEVLIBDIR	?= /lib/udev
INITRAMFSDIR	?= /usr/share/initramfs-tools
DRACUTDIR	?= /usr/lib/dracut/modules.d
INST_ITOOLS	:= hooks/wcache scripts/local-top/wcache scripts/local-block/wcache \
		   scripts/local-premount/wcache
INST_DRACUT	:= $(notdir $(wildcard boot/dracut/90wcache/*.sh))
HIBERNATE_UNITS	:= systemd-hibernate.service systemd-hybrid-sleep.service \
		   systemd-suspend-then-hibernate.service
# "make install" without DESTDIR regenerates the initramfs (0: never)
UPDATE_INITRAMFS ?= 1

INST_MODSRC	:= $(filter-out %.mod.c,$(wildcard kernel/*.c)) \
		   $(wildcard kernel/*.h kernel/Kbuild) kernel/Makefile
INST_MAN	:= $(wildcard $(addprefix man/*.,1 2 3 4 5 6 7 8))
INST_UDEV	:= $(wildcard udev/*.rules)
INST_UNITS	:= $(wildcard $(foreach d,udev systemd,$(addprefix $(d)/*.,\
		   service socket target path timer mount)))
INST_PROFILES	:= $(wildcard lvm-profiles/*.profile)
# bash completion: the first of these, installed as "wcachectl"
INST_COMPL	:= $(firstword $(wildcard $(addprefix completion/,wcachectl wcachectl.bash) \
		   $(addprefix bash-completion/,wcachectl wcachectl.bash) \
		   $(addprefix tools/,wcachectl.bash wcachectl.bash-completion)))
# installed files use $(SBINDIR)/wcachectl where they name /usr/sbin/wcachectl
SUBST_SBIN	:= sed 's|/usr/sbin/wcachectl|$(SBINDIR)/wcachectl|g'

.PHONY: install install-tools install-boot install-dkms-src uninstall deb

install: install-tools install-dkms-src

install-tools:
	$(MAKE) -C tools wcachectl
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
		SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
	@set -e; for f in $(INST_MAN); do s=$${f##*.}; \
		echo "install $$f -> $(MANDIR)/man$$s"; \
		install -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man$$s/$${f##*/}; done
	@set -e; for f in $(INST_UDEV); do \
		echo "install $$f -> $(UDEVRULESDIR)"; \
		install -d $(DESTDIR)$(UDEVRULESDIR); \
		$(SUBST_SBIN) $$f >$(DESTDIR)$(UDEVRULESDIR)/$${f##*/}; \
		chmod 0644 $(DESTDIR)$(UDEVRULESDIR)/$${f##*/}; done
	@set -e; for f in $(INST_UNITS); do \
		echo "install $$f -> $(SYSTEMDUNITDIR)"; \
		install -d $(DESTDIR)$(SYSTEMDUNITDIR); \
		$(SUBST_SBIN) $$f >$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; done
	@set -e; for f in $(INST_PROFILES); do \
		echo "install $$f -> $(LVMPROFILEDIR)"; \
		install -D -m 0644 $$f $(DESTDIR)$(LVMPROFILEDIR)/$${f##*/}; done
	@set -e; for f in $(INST_COMPL); do \
		echo "install $$f -> $(BASHCOMPDIR)/wcachectl"; \
		install -D -m 0644 $$f $(DESTDIR)$(BASHCOMPDIR)/wcachectl; done
	@# the real root's catch-all unit, enabled statically
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)/sysinit.target.wants
	ln -sfn ../wcache-activate-all.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/sysinit.target.wants/wcache-activate-all.service
	@# the check that refuses hibernation to a swap on a cached LV
	@set -e; for s in $(HIBERNATE_UNITS); do \
		install -d $(DESTDIR)$(SYSTEMDUNITDIR)/$$s.requires; \
		ln -sfn ../wcache-hibernate-check.service \
			$(DESTDIR)$(SYSTEMDUNITDIR)/$$s.requires/wcache-hibernate-check.service; done
	$(MAKE) install-boot

# early boot: boot/README.md
install-boot:
	install -d $(DESTDIR)$(WCLIBDIR) $(DESTDIR)$(UDEVLIBDIR)
	$(SUBST_SBIN) boot/wcache-activate-all >$(DESTDIR)$(WCLIBDIR)/wcache-activate-all
	chmod 0755 $(DESTDIR)$(WCLIBDIR)/wcache-activate-all
	install -m 0755 boot/wcache-hibernate-check $(DESTDIR)$(WCLIBDIR)/wcache-hibernate-check
	install -m 0755 boot/wcache-part $(DESTDIR)$(UDEVLIBDIR)/wcache-part
	@set -e; for f in $(INST_ITOOLS); do \
		echo "install boot/initramfs-tools/$$f -> $(INITRAMFSDIR)/$$f"; \
		install -d $(DESTDIR)$(INITRAMFSDIR)/$${f%/*}; \
		$(SUBST_SBIN) boot/initramfs-tools/$$f >$(DESTDIR)$(INITRAMFSDIR)/$$f; \
		chmod 0755 $(DESTDIR)$(INITRAMFSDIR)/$$f; done
	@set -e; for f in $(INST_DRACUT); do \
		echo "install boot/dracut/90wcache/$$f -> $(DRACUTDIR)/90wcache"; \
		install -d $(DESTDIR)$(DRACUTDIR)/90wcache; \
		$(SUBST_SBIN) boot/dracut/90wcache/$$f >$(DESTDIR)$(DRACUTDIR)/90wcache/$$f; \
		chmod 0755 $(DESTDIR)$(DRACUTDIR)/90wcache/$$f; done
	$(if $(DESTDIR),,$(update-initramfs))

# regenerate the initramfs of the running kernel (initramfs-tools or dracut)
define update-initramfs
	@if [ "$(UPDATE_INITRAMFS)" = 1 ]; then \
		if command -v update-initramfs >/dev/null; then update-initramfs -u; \
		elif command -v dracut >/dev/null; then dracut -f; fi; fi
endef

install-dkms-src:
	@set -e; for f in $(INST_MODSRC) VERSION; do \
		echo "install $$f -> $(DKMSSRCDIR)"; \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSSRCDIR)/$${f##*/}; done
	sed 's/@VERSION@/$(VERSION)/g' packaging/dkms.conf.in \
		>$(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMSSRCDIR)/dkms.conf

uninstall:
	$(MAKE) -C tools uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
		SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
	rm -f $(foreach f,$(INST_MAN),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(f)))/$(notdir $(f))) \
		$(addprefix $(DESTDIR)$(UDEVRULESDIR)/,$(notdir $(INST_UDEV))) \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(INST_UNITS))) \
		$(addprefix $(DESTDIR)$(LVMPROFILEDIR)/,$(notdir $(INST_PROFILES))) \
		$(if $(INST_COMPL),$(DESTDIR)$(BASHCOMPDIR)/wcachectl) \
		$(DESTDIR)$(SYSTEMDUNITDIR)/sysinit.target.wants/wcache-activate-all.service \
		$(foreach s,$(HIBERNATE_UNITS),$(DESTDIR)$(SYSTEMDUNITDIR)/$(s).requires/wcache-hibernate-check.service) \
		$(DESTDIR)$(WCLIBDIR)/wcache-activate-all $(DESTDIR)$(WCLIBDIR)/wcache-hibernate-check \
		$(DESTDIR)$(UDEVLIBDIR)/wcache-part \
		$(addprefix $(DESTDIR)$(INITRAMFSDIR)/,$(INST_ITOOLS)) \
		$(addprefix $(DESTDIR)$(DRACUTDIR)/90wcache/,$(INST_DRACUT))
	-rmdir $(DESTDIR)$(WCLIBDIR) $(DESTDIR)$(DRACUTDIR)/90wcache 2>/dev/null
	rm -rf $(DESTDIR)$(DKMSSRCDIR)
	$(if $(DESTDIR),,$(update-initramfs))

# Build in a copy of the tree (tracked and untracked, not ignored files) under
# build/deb/, with debian/ from packaging/debian/ and debian/changelog
# generated from VERSION; lintian must report no errors.
DEB_TOP		:= build/deb
DEB_SRC		:= $(DEB_TOP)/dm-wcache-$(VERSION)
DEB_MAINT	:= dm-wcache developers <dm-wcache-devel@lists.example.org>

deb: deps
	rm -rf $(DEB_TOP) build/*.deb
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -C $(DEB_SRC) -xf -; \
	else \
		tar --exclude=./build --exclude='*.o' --exclude='*.ko' -cf - . | \
		tar -C $(DEB_SRC) -xf - && $(MAKE) -C $(DEB_SRC)/tools clean; \
	fi
	rm -rf $(DEB_SRC)/debian $(DEB_SRC)/build
	cp -a packaging/debian $(DEB_SRC)/debian
	{ printf 'dm-wcache (%s) unstable; urgency=medium\n\n' '$(VERSION)'; \
	  printf '  * dm-wcache %s, built from git %s.\n\n' '$(VERSION)' \
		"$$(git describe --always --dirty 2>/dev/null || echo unknown)"; \
	  printf ' -- %s  %s\n' '$(DEB_MAINT)' \
		"$$(git log -1 --format=%cD 2>/dev/null || date -R)"; \
	} >$(DEB_SRC)/debian/changelog
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error $(DEB_TOP)/*.changes
	mv $(DEB_TOP)/dm-wcache-dkms_$(VERSION)_*.deb $(DEB_TOP)/wcachectl_$(VERSION)_*.deb build/
	@ls -l build/*.deb
