# The UEFI loader, hvboot: $(BUILD)/BOOTX64.EFI, a gnu-efi application.
#
# gnu-efi builds a position-independent ELF shared object with its own
# crt0 and linker script, then objcopy turns it into a PE32+ EFI
# application (subsystem 10). Shared with the core: lib/ (string.c,
# strlcpy.c, fmt.c) and the configuration parser (config/; not
# validate.c, whose checks need the machine), which finds the files the
# configuration names.

EFI_INC  := /usr/include/efi
EFI_LIB  := /usr/lib
EFI_CRT0 := $(EFI_LIB)/crt0-efi-x86_64.o
EFI_LDS  := $(EFI_LIB)/elf_x86_64_efi.lds

# The UEFI x64 calling convention is Microsoft's: GNU_EFI_USE_MS_ABI makes
# the protocol function pointers ms_abi so they are called directly.
# No red zone: firmware interrupt handlers run on our stack.
UEFI_CFLAGS := -std=gnu11 -ffreestanding -fno-stack-protector -fpic -fshort-wchar \
        -mno-red-zone -fno-strict-aliasing -fcf-protection=none \
        -fno-asynchronous-unwind-tables -DGNU_EFI_USE_MS_ABI \
        -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -Iinclude \
        -O2 -g $(WARN) -MMD -MP
UEFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -z noexecstack \
        --no-warn-rwx-segments --build-id=none --no-undefined -T $(EFI_LDS) -L$(EFI_LIB)

UEFI_C   := boot/uefi/loader.c boot/uefi/console.c boot/uefi/files.c boot/uefi/elf.c \
            boot/uefi/bootinfo.c lib/string.c lib/strlcpy.c lib/fmt.c \
            config/parse.c config/guest.c config/values.c config/resources.c
UEFI_OBJ := $(UEFI_C:%.c=$(BUILD)/uefi/%.o)
LOADER   := $(BUILD)/BOOTX64.EFI

loader: $(LOADER)

$(BUILD)/uefi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UEFI_CFLAGS) -c $< -o $@

$(BUILD)/uefi/loader.so: $(UEFI_OBJ) $(EFI_CRT0) $(EFI_LDS)
	$(LD) $(UEFI_LDFLAGS) -o $@ $(EFI_CRT0) $(UEFI_OBJ) -lefi -lgnuefi

# SOURCE_DATE_EPOCH fixes the PE time stamp (bfd writes the build time
# otherwise), so the same sources give the same BOOTX64.EFI.
$(LOADER): $(BUILD)/uefi/loader.so
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-0} $(OBJCOPY) -j .text -j .sdata -j .data \
	    -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela -j '.rel.*' -j '.rela.*' \
	    -j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@

-include $(UEFI_OBJ:.o=.d)
