# The Linux test guest (issue 10), included by the top Makefile:
#
#   make linux            all of the below, in $(LINUX_DIR)
#   make linux-kernel     bzImage (Debian 12's kernel, unmodified), vmlinux
#                         (the ELF inside it, stripped, for PVH) and version
#   make linux-initramfs  initramfs.cpio.gz: a static busybox, tests/linux/init
#                         and xstate-check (tests/linux/xstate-check.c)
#
# The kernel is the package linux-image-$(LINUX_VERSION)-amd64; by default
# the one Debian's linux-image-amd64 depends on today (`apt-cache depends
# linux-image-amd64`), e.g. `make linux LINUX_VERSION=6.1.0-57` to pin it.
# `apt-get download` fetches the .deb into $(LINUX_CACHE), once: it is fetched
# again only when missing (or when the archive moves to a newer build).
# $(LINUX_CACHE) is under $(BUILD), so `make clean` removes it; point it
# elsewhere to keep the ~70 MB across cleans, e.g. LINUX_CACHE=/var/cache/hv.
# Nothing here is committed: kernels are fetched, never checked in.
# Not part of `make all` (it needs the network the first time).

LINUX_VERSION ?=
LINUX_CACHE   ?= $(BUILD)/cache
LINUX_DIR     := $(BUILD)/linux
LINUX_BZIMAGE   := $(LINUX_DIR)/bzImage
LINUX_VMLINUX   := $(LINUX_DIR)/vmlinux
LINUX_INITRAMFS := $(LINUX_DIR)/initramfs.cpio.gz

.PHONY: linux linux-kernel linux-initramfs
linux: linux-kernel linux-initramfs
linux-kernel: $(LINUX_BZIMAGE) $(LINUX_VMLINUX)
linux-initramfs: $(LINUX_INITRAMFS)

# Asks apt every time which kernel is current (about a second or two);
# the script rewrites bzImage only when it changed, so vmlinux follows it.
$(LINUX_BZIMAGE): scripts/linux-fetch.sh FORCE
	@scripts/linux-fetch.sh $(LINUX_CACHE) $@ $(LINUX_VERSION)

$(LINUX_VMLINUX): $(LINUX_BZIMAGE) scripts/linux-extract.sh
	@scripts/linux-extract.sh $< $@

# With the kernel's pvpanic modules (extracted by linux-fetch.sh), which
# /init loads: a panic then stops the guest (docs/linux.md).
LINUX_MODULES := $(LINUX_DIR)/modules/pvpanic.ko $(LINUX_DIR)/modules/pvpanic-mmio.ko
$(LINUX_MODULES): $(LINUX_BZIMAGE)

# The vector-register check /init runs: static, no C library.
LINUX_XSTATE := $(LINUX_DIR)/xstate-check
$(LINUX_XSTATE): tests/linux/xstate-check.c
	@mkdir -p $(dir $@)
	@$(CC) -O1 -fno-tree-vectorize -static -nostdlib -fno-stack-protector -fno-builtin \
	    -fno-pie -no-pie -Wall -Wextra -Werror -o $@ $<

$(LINUX_INITRAMFS): tests/linux/init tests/linux/mkinitramfs.py $(wildcard /bin/busybox) $(LINUX_MODULES) \
		$(LINUX_XSTATE)
	@mkdir -p $(dir $@)
	@python3 tests/linux/mkinitramfs.py --busybox /bin/busybox --init tests/linux/init \
	    $(foreach m,$(LINUX_MODULES),--file $(m):lib/modules/$(notdir $(m))) \
	    --file $(LINUX_XSTATE):bin/xstate-check -o $@
