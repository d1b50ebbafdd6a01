# Top-level build. `make` builds everything; see README.md for the rest.
#
#   make            core image, UEFI loader, GRUB ISO, USB image
#   make run        build and boot the demo machine (best emulator), console here
#   make test       unit tests (host, ASan/UBSan), static checks of the tree
#                   (tests/checks/), short fuzz runs and emulator boots
#   make bench      boot time per boot path, exit costs, scheduling on one CPU,
#                   Linux to power-off natively and as a guest
#   make usb        GPT disk image for a USB stick (build/hv-usb.img)
#   make iso        GRUB rescue ISO for BIOS and UEFI (build/hv.iso)

BUILD   ?= build
CC      := gcc
LD      := ld
NASM    := nasm
OBJCOPY := objcopy

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter

# The core: freestanding, no SSE (no FPU state to save on exits), high-half
# kernel code model (core/core.ld); a section per function so the link
# drops what nothing calls.
CORE_CFLAGS := -std=gnu11 -ffreestanding -ffunction-sections -fdata-sections -fno-stack-protector -fno-pic -fno-pie \
        -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer \
        -fno-asynchronous-unwind-tables -fcf-protection=none \
        -O2 -g $(WARN) -Iinclude -MMD -MP
CORE_LDFLAGS := -nostdlib -static --gc-sections -T core/core.ld -z max-page-size=4096 -z noexecstack \
        --no-warn-rwx-segments --build-id=none

CORE_C   := $(sort $(wildcard boot/*.c arch/x86/*.c vmx/*.c mm/*.c drivers/*.c lib/*.c config/*.c \
              vm/*.c dm/*.c exit/*.c guest/*.c sched/*.c mgmt/*.c core/*.c))
CORE_ASM := $(sort $(wildcard arch/x86/*.asm drivers/*.asm vmx/*.asm core/*.asm))
CORE_OBJ := $(CORE_C:%.c=$(BUILD)/core/%.o) $(CORE_ASM:%.asm=$(BUILD)/core/%.asm.o)

CORE := $(BUILD)/hv.elf

.PHONY: all core loader iso usb esp run test unit bench clean deps
all: core loader iso usb tools

core: $(CORE)

$(BUILD)/core/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/core/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -w+all -w+error -MD $(@:.o=.d) -o $@ $<

$(CORE): $(CORE_OBJ) core/core.ld
	$(LD) $(CORE_LDFLAGS) -o $@ $(CORE_OBJ)
	@scripts/check-image.sh $@

-include $(CORE_OBJ:.o=.d)

# hvcfg: the configuration parser on the build host (scripts/hvrun asks it
# which files a configuration names).
HVCFG := $(BUILD)/tools/hvcfg
HVCFG_SRCS := tools/hvcfg.c config/parse.c config/guest.c config/values.c config/resources.c \
        lib/fmt.c lib/strlcpy.c
.PHONY: tools
tools: $(HVCFG)
$(HVCFG): $(HVCFG_SRCS) $(wildcard include/hv/*.h config/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -Iinclude -DHV_HOST_TEST -o $@ $(HVCFG_SRCS)

include boot/uefi/loader.mk
include tests/unit/unit.mk
include scripts/images.mk
include tests/fuzz/fuzz.mk
include tests/guests/guests.mk
include tests/linux/linux.mk

deps:
	@scripts/deps.sh

# The demo machine (configs/demo.cfg): a Linux guest and a test guest; the
# console in the terminal (scripts/run.sh says how to use it).
run: deps
	@$(MAKE) --no-print-directory all linux
	@scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory all unit fuzz-build linux
	tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all linux
	scripts/bench.sh

clean:
	rm -rf $(BUILD)
