/*
 * Multiboot2 boot information (multiboot2 specification, section 3.6) and
 * the pure parser that turns it into struct boot_info.
 */
#ifndef HV_MULTIBOOT2_H
#define HV_MULTIBOOT2_H

#include <hv/boot_info.h>

#define MB2_TAG_END           0
#define MB2_TAG_CMDLINE       1
#define MB2_TAG_LOADER_NAME   2
#define MB2_TAG_MODULE        3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP          6
#define MB2_TAG_FRAMEBUFFER   8
#define MB2_TAG_ACPI_OLD      14
#define MB2_TAG_ACPI_NEW      15
#define MB2_TAG_LOAD_BASE     21

#define MB2_MMAP_AVAILABLE    1
#define MB2_MMAP_ACPI         3
#define MB2_MMAP_NVS          4
#define MB2_MMAP_BAD          5

/* Parse the information at `mbi` (readable for max_len bytes, physical
 * address mbi_phys). Returns 0, or -1 with the reason in err. */
int mb2_parse(const void *mbi, size_t max_len, uint64_t mbi_phys, struct boot_info *out,
              char *err, size_t errlen);

#endif
