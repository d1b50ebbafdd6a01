# Test guests written here: small multiboot kernels (nasm, ELF32) and raw
# real-mode images, each checking from inside what the hypervisor shows it.
GUEST_ASM  := $(sort $(wildcard tests/guests/*.asm))
GUEST_ELFS := $(patsubst tests/guests/%.asm,$(BUILD)/guests/%.elf,$(filter-out tests/guests/realmode.asm,$(GUEST_ASM)))
GUEST_RAWS := $(BUILD)/guests/realmode.bin

.PHONY: guests
guests: $(GUEST_ELFS) $(GUEST_RAWS)
all: guests

$(BUILD)/guests/%.o: tests/guests/%.asm tests/guests/common.inc tests/guests/multiboot.inc
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -i tests/guests/ -o $@ $<

# The 64-bit guests share their long-mode start-up.
$(BUILD)/guests/cpustate.o $(BUILD)/guests/tprhalt.o: tests/guests/long64.inc

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o tests/guests/guests.ld
	$(LD) -m elf_i386 -nostdlib -static -T tests/guests/guests.ld -z noexecstack \
	    --no-warn-rwx-segments --build-id=none -o $@ $<

$(BUILD)/guests/realmode.bin: tests/guests/realmode.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

# The test configurations sit next to the guests they name.
GUEST_CFGS := $(patsubst tests/guests/%.cfg,$(BUILD)/guests/%.cfg,$(wildcard tests/guests/*.cfg))
guests: $(GUEST_CFGS)
$(BUILD)/guests/%.cfg: tests/guests/%.cfg
	@mkdir -p $(dir $@)
	cp $< $@
