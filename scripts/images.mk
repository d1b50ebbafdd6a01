# Bootable images (included by the top Makefile).
#
#   make iso   $(ISO)  GRUB rescue ISO, BIOS (i386-pc) and UEFI (x86_64-efi),
#                      the core through multiboot2 with the config as module
#   make esp   $(ESP)  bare FAT file system (no partition table) holding
#                      EFI/BOOT/BOOTX64.EFI, hv/hv.elf and hv/hv.cfg: what
#                      the emulators boot with OVMF as a flat disk
#   make usb   $(USB)  GPT disk with one EFI System Partition (FAT32) with
#                      the same files: dd it onto a USB stick
#
# The configuration is $(CONFIG), the core's command line $(CMDLINE) (GRUB
# passes it; hvboot takes its own from the UEFI load options). Other
# variants are built by naming the output too, e.g.
#   make esp CONFIG=configs/test.cfg ESP=build/esp-test.img
#   make iso CONFIG=configs/test.cfg ISO=build/hv-test.iso
# `make all` builds esp.img and, with configs/test.cfg, esp-test.img too:
# the UEFI boot in Bochs (no ACPI power-off there) ends by its test exit.
#
# Reproducible: fixed volume ids, GUIDs and serials, and every time stamp is
# SOURCE_DATE_EPOCH (default: the last commit's time), so equal inputs give
# byte-identical ESP and USB images. Not the ISO: grub-mkrescue 2.06 stamps
# it with the current time, which is also the volume UUID its embedded
# core image searches for, and offers no way to fix it.

CONFIG  ?= configs/default.cfg
CMDLINE ?=
ISO     ?= $(BUILD)/hv.iso
ESP     ?= $(BUILD)/esp.img
USB     ?= $(BUILD)/hv-usb.img
ESP_TEST := $(BUILD)/esp-test.img
TEST_CONFIG := configs/test.cfg

comma := ,
IMG_EPOCH := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),315532800)
IMG_ENV   := SOURCE_DATE_EPOCH=$(IMG_EPOCH) MTOOLS_SKIP_CHECK=1 TZ=UTC

# The images carry the core without debug information (build/hv.elf keeps
# it for the debugger): smaller files, faster loads in the emulators.
IMG_CORE := $(BUILD)/img/hv.elf

.PHONY: esp-test img-core
all: $(ESP) $(ESP_TEST)
img-core: $(IMG_CORE)
esp-test: $(ESP_TEST)
iso: $(ISO)
esp: $(ESP)
usb: $(USB)

$(IMG_CORE): $(CORE)
	@mkdir -p $(dir $@)
	$(OBJCOPY) --strip-debug $< $@

# $(call img_vars,IMAGE,TEXT): IMAGE.vars holds TEXT and changes only when
# TEXT does, so switching CONFIG or CMDLINE for the same output rebuilds it.
define img_vars
$(1).vars: FORCE
	@mkdir -p $$(dir $$@)
	@if [ "$$$$(cat $$@ 2>/dev/null)" != '$(2)' ]; then echo '$(2)' > $$@; fi
endef

# $(call fat_rule,IMAGE,CONFIG,MKFS-OPTIONS,MIN-KIB): a FAT file system in a
# file. The size follows the contents (plus room for the FATs and a few
# later additions), at least MIN-KIB, rounded up to whole cylinders of
# 16 heads x 63 sectors (504 KiB) because Bochs derives a CHS geometry
# from the size of a flat disk.
define fat_rule
$(call img_vars,$(1),$(2))
$(1): $(IMG_CORE) $(LOADER) $(2) $(1).vars scripts/images.mk
	@mkdir -p $$(dir $$@)
	@rm -f $$@.tmp
	@kib=$$$$(( ( $$$$(stat -c %s $(IMG_CORE) $(LOADER) $(2) | awk '{ s += $$$$1 } END { print s }') / 1024 ) * 5 / 4 + 512 )); \
	  [ $$$$kib -ge $(4) ] || kib=$(4); kib=$$$$(( (kib + 503) / 504 * 504 )); \
	  echo "mkfs.fat $$@ ($$$$kib KiB)"; \
	  mkfs.fat -C --invariant -i 48564254 -n HVBOOT $(3) $$@.tmp $$$$kib >/dev/null
	$(IMG_ENV) mmd -i $$@.tmp ::/EFI ::/EFI/BOOT ::/hv
	$(IMG_ENV) mcopy -i $$@.tmp $(LOADER) ::/EFI/BOOT/BOOTX64.EFI
	$(IMG_ENV) mcopy -i $$@.tmp $(IMG_CORE) ::/hv/hv.elf
	$(IMG_ENV) mcopy -i $$@.tmp $(2) ::/hv/hv.cfg
	@mv $$@.tmp $$@
endef

# The emulator ESP: FAT12/16 as mkfs.fat picks for the size (UEFI 2.10
# 13.3.1.1: firmware reads all three FAT types; OVMF does).
$(eval $(call fat_rule,$(ESP),$(CONFIG),,2048))
ifneq ($(abspath $(ESP)),$(abspath $(ESP_TEST)))
$(eval $(call fat_rule,$(ESP_TEST),$(TEST_CONFIG),,2048))
endif

# The USB stick: UEFI 2.10 13.3.1.1 names FAT32 for the ESP of a disk (the
# smaller FATs for removable media); a stick may be either, so FAT32 is the
# safe choice. FAT32 needs 65525 clusters: ~33 MiB with 512-byte clusters.
USB_FAT := $(BUILD)/img/usb-esp.fat
$(eval $(call fat_rule,$(USB_FAT),$(CONFIG),-F 32 -s 1,34816))

# GPT (UEFI 2.10 5.3): protective MBR, header and entries at the start,
# backup entries and header in the last 33 sectors; the ESP starts at 1 MiB
# (sector 2048) for alignment; the disk is whole 504 KiB cylinders (see
# above). Fixed GUIDs keep the image reproducible.
USB_DISK_GUID := 6876626f-6f74-4000-8000-555342444953
USB_PART_GUID := 6876626f-6f74-4000-8000-455350504152
$(USB): $(USB_FAT) scripts/images.mk
	@mkdir -p $(dir $@)
	@rm -f $@.tmp
	@sectors=$$(( $$(stat -c %s $<) / 512 )); \
	  total=$$(( (2048 + sectors + 33 + 1007) / 1008 * 1008 )); \
	  truncate -s $$(( total * 512 )) $@.tmp && \
	  sgdisk --clear --disk-guid=$(USB_DISK_GUID) \
	    --new=1:2048:+$$sectors --typecode=1:ef00 \
	    --partition-guid=1:$(USB_PART_GUID) --change-name=1:"EFI system partition" \
	    $@.tmp >/dev/null
	dd if=$< of=$@.tmp bs=512 seek=2048 conv=notrunc,sparse status=none
	@mv $@.tmp $@

# GRUB: timeout 0, console on COM1 as well as the screen, the core through
# multiboot2 and the configuration as the module named "config".
# $(call iso_rule,ISO,CONFIG,CMDLINE,GRUB-LINES,EXTRA-FILES): GRUB-LINES
# (';'-separated commands) run before the core is loaded; EXTRA-FILES are
# copied into /boot. The test images use them (GRUB's acpi command).
define iso_rule
$(call img_vars,$(1),$(2) $(3) $(4) $(5))
$(1): $(IMG_CORE) $(2) $(5) $(1).vars scripts/images.mk
	@rm -rf $(BUILD)/img/iso-$(notdir $(basename $(1)))
	@mkdir -p $(BUILD)/img/iso-$(notdir $(basename $(1)))/boot/grub
	cp $(IMG_CORE) $(BUILD)/img/iso-$(notdir $(basename $(1)))/boot/hv.elf
	cp $(2) $(BUILD)/img/iso-$(notdir $(basename $(1)))/boot/hv.cfg
	$(if $(5),cp $(5) $(BUILD)/img/iso-$(notdir $(basename $(1)))/boot/)
	@printf '%s\n' \
	    'set timeout=0' \
	    'set gfxpayload=keep' \
	    'serial --unit=0 --speed=115200' \
	    'terminal_input serial console' \
	    'terminal_output serial console' \
	    '$(4)' \
	    'multiboot2 /boot/hv.elf $(3)' \
	    'module2 /boot/hv.cfg hv.cfg' \
	    'boot' > $(BUILD)/img/iso-$(notdir $(basename $(1)))/boot/grub/grub.cfg
	@find $(BUILD)/img/iso-$(notdir $(basename $(1))) -exec touch -d @$(IMG_EPOCH) {} +
	$(IMG_ENV) grub-mkrescue --locales= --fonts= --themes= -o $$@.tmp \
	    $(BUILD)/img/iso-$(notdir $(basename $(1))) >$$@.log 2>&1 || { cat $$@.log; exit 1; }
	@mv $$@.tmp $$@
endef

$(eval $(call iso_rule,$(ISO),$(CONFIG),$(CMDLINE),,))

# Test images: broken firmware tables (the MADT and the real HPET dropped,
# an HPET with a bad checksum added), and a CPU made to fault.
TEST_ISOS := $(BUILD)/hv-badacpi.iso $(BUILD)/hv-crash.iso
all: $(TEST_ISOS)
$(eval $(call iso_rule,$(BUILD)/hv-badacpi.iso,$(CONFIG),,insmod acpi; acpi --exclude=APIC$(comma)HPET; acpi /boot/bad-hpet.aml,tests/fixtures/bad-hpet.aml))
$(eval $(call iso_rule,$(BUILD)/hv-crash.iso,$(CONFIG),crash_cpu=1,,))

.PHONY: FORCE
FORCE:
