/*
 * hvboot, the UEFI loader: what its files share. loader.c is the main
 * flow and the page allocations, console.c the messages (ConOut and
 * COM1), files.c the files on the boot volume, elf.c the core image and
 * bootinfo.c the rest of struct boot_info and ExitBootServices.
 */
#ifndef HVBOOT_LOADER_H
#define HVBOOT_LOADER_H

#include <efi.h>
#include <hv/boot_info.h>
#include <hv/compiler.h>

#define BELOW_4G 0xffffffffULL  /* AllocateMaxAddress: entry64 identity-maps only 4 GiB */

/* loader.c: the firmware's tables, our image and the boot_info we fill. */
extern EFI_SYSTEM_TABLE *st;
extern EFI_BOOT_SERVICES *bs;
extern EFI_HANDLE image;
extern struct boot_info *bi;

/* loader.c: pages we allocated, given back if we fail before the hand-over. */
void alloc_track(EFI_PHYSICAL_ADDRESS base, UINTN pages);
void alloc_release(EFI_PHYSICAL_ADDRESS base);
void alloc_release_all(void);
EFI_STATUS pages_below_4g(uint64_t bytes, EFI_PHYSICAL_ADDRESS *out);

/* console.c */
void console_init(void);
void console_firmware_gone(void);
void __printf(1, 2) say(const char *fmt, ...);
const char *efi_err(EFI_STATUS s);

/* files.c */
EFI_STATUS volume_open(void);
void volume_close(void);
EFI_STATUS file_read(const char *rel, EFI_PHYSICAL_ADDRESS *base, uint64_t *size);
EFI_STATUS load_module(const char *path);
void load_config_files(const struct boot_module *cfg);

/* elf.c */
EFI_STATUS core_load(const char *path, uint64_t *entry);

/* bootinfo.c */
void cmdline_from_options(void);
void find_rsdp(void);
void find_framebuffer(void);
EFI_STATUS exit_boot_services(unsigned *descs, unsigned *dropped);

#endif
