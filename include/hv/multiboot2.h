/*
 * Multiboot2 boot information (multiboot2 specification 2.0, section 3.6)
 * and the pure parser that turns it into struct boot_info.
 *
 * The information starts with u32 total_size, u32 reserved, followed by
 * tags, each u32 type, u32 size (header included, padding not) and placed
 * on an 8-byte boundary; a tag of type 0 and size 8 ends the list. All
 * fields are little-endian.
 */
#ifndef HV_MULTIBOOT2_H
#define HV_MULTIBOOT2_H

#include <hv/boot_info.h>

#define MB2_INFO_HEADER       8     /* total_size, reserved */
#define MB2_TAG_HEADER        8     /* type, size */
#define MB2_TAG_ALIGN         8

/* Tag types (3.6). */
#define MB2_TAG_END           0
#define MB2_TAG_CMDLINE       1     /* string */
#define MB2_TAG_LOADER_NAME   2     /* string */
#define MB2_TAG_MODULE        3     /* u32 mod_start, u32 mod_end, string */
#define MB2_TAG_BASIC_MEMINFO 4     /* u32 mem_lower, u32 mem_upper (KiB) */
#define MB2_TAG_BOOTDEV       5
#define MB2_TAG_MMAP          6     /* u32 entry_size, u32 entry_version, entries */
#define MB2_TAG_VBE           7
#define MB2_TAG_FRAMEBUFFER   8
#define MB2_TAG_ELF_SECTIONS  9
#define MB2_TAG_APM           10
#define MB2_TAG_EFI32         11
#define MB2_TAG_EFI64         12
#define MB2_TAG_SMBIOS        13
#define MB2_TAG_ACPI_OLD      14    /* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW      15    /* a copy of the ACPI 2.0+ RSDP */
#define MB2_TAG_NETWORK       16
#define MB2_TAG_EFI_MMAP      17
#define MB2_TAG_EFI_BS        18
#define MB2_TAG_EFI32_IH      19
#define MB2_TAG_EFI64_IH      20
#define MB2_TAG_LOAD_BASE     21    /* u32 load_base_addr */

/* Memory map (3.6, "Memory map"): entries of entry_size bytes (a multiple
 * of 8, at least 24), each u64 base_addr, u64 length, u32 type, u32
 * reserved. The parser accepts any entry_size from 24 on. */
#define MB2_MMAP_ENTRY_MIN    24
#define MB2_MMAP_AVAILABLE    1
#define MB2_MMAP_RESERVED     2
#define MB2_MMAP_ACPI         3     /* ACPI reclaimable */
#define MB2_MMAP_NVS          4
#define MB2_MMAP_BAD          5

/* Framebuffer (3.6, "Framebuffer info"): u64 addr, u32 pitch, u32 width,
 * u32 height, u8 bpp, u8 type, reserved, then color_info. GRUB's
 * multiboot2.h, the reference implementation, declares the reserved field
 * as u16, so color_info starts at offset 32. */
#define MB2_FB_COMMON_SIZE    32
#define MB2_FB_RGB_SIZE       38    /* + red/green/blue position and size */
#define MB2_FB_TYPE_INDEXED   0
#define MB2_FB_TYPE_RGB       1
#define MB2_FB_TYPE_EGA_TEXT  2

#define MB2_RSDP_V1_LEN       20    /* ACPI 6.5 5.2.5.3 */
#define MB2_RSDP_V2_LEN       36

/*
 * Parse the information at `mbi`, readable for max_len bytes and located
 * at physical address mbi_phys (the RSDP address handed on is that of the
 * copy inside the tag). Nothing outside [mbi, mbi + total_size) is read.
 *
 * Returns 0 with *out filled (path BOOT_PATH_MULTIBOOT2, magic and version
 * set); `err` then holds "" or notes about information that was ignored or
 * cut short, separated by "; ". Returns -1 with the reason in `err` when
 * the structure is malformed or holds no memory information; *out is then
 * incomplete. err may be NULL when errlen is 0.
 */
int mb2_parse(const void *mbi, size_t max_len, uint64_t mbi_phys, struct boot_info *out,
              char *err, size_t errlen);

#endif
