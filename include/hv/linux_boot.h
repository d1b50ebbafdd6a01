/*
 * Linux guests: the bzImage header and PVH note parsers, the e820 map of
 * the guest layout (include/hv/guest_layout.h), initramfs placement, and
 * the boot structures (the zero page of the x86 boot protocol, the PVH
 * hvm_start_info) written into guest RAM. Pure, like guest/image.c: the
 * image is a byte buffer, guest RAM is reached only through struct
 * guest_mem, nothing else is touched (guest/linux_image.c parses,
 * guest/linux_boot.c places and writes).
 *
 * References: the kernel's Documentation/arch/x86/boot.rst ("boot.rst":
 * setup header, 32- and 64-bit boot protocols) and zero-page.rst; Xen's
 * public/arch-x86/hvm/start_info.h and public/elfnote.h (PVH); the
 * System V ABI for ELF notes and headers.
 *
 * Nothing in an image is trusted: every offset and size is checked against
 * the image's length, every guest range against guest RAM and the e820
 * map, before anything is written. Messages name the problem and begin
 * with "bzImage: ", "vmlinux: " or what they are about ("initramfs", "e820");
 * the caller prefixes the file name. On failure guest RAM may hold part of
 * the image; the caller discards the guest.
 */
#ifndef HV_LINUX_BOOT_H
#define HV_LINUX_BOOT_H

#include <hv/compiler.h>
#include <hv/guest_image.h>     /* struct guest_mem */

/* ---- e820 memory map ---------------------------------------------------- */

/* Address range types (ACPI 6.x "System Address Map Interfaces"; the same
 * numbers in the zero page's e820_table and PVH's memmap). */
#define E820_RAM            1
#define E820_RESERVED       2
#define E820_ACPI           3
#define E820_NVS            4
#define E820_UNUSABLE       5

#define E820_MAX_ENTRIES    128     /* the zero page's e820_table[] */
#define E820_MAX_EXTRA      32      /* reserved ranges a caller may add */

/* Where the legacy area starts: the EBDA and, for the guests of this
 * hypervisor, the multiboot boot GDT (GUEST_BOOT_GDT), up to 1 MiB. */
#define E820_LOW_RAM_END    0x9fc00ULL

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;                  /* E820_* */
};

/*
 * The e820 map of a guest with ram_size bytes laid out as guest_layout.h
 * says: [0, 0x9fc00) RAM, [0x9fc00, 1 MiB) reserved, [1 MiB, end of low
 * RAM) RAM, nothing in the PC hole below 4 GiB (so the guest finds its
 * PCI gap there), then the RAM above 4 GiB. Each of the extra ranges
 * (E820_RESERVED, _ACPI, _NVS or _UNUSABLE; the ACPI tables, device
 * pages) replaces whatever it covers, inside RAM or not; extra ranges must
 * not overlap each other. The result is sorted, adjacent entries of one
 * type merged. ram_size must be above 1 MiB. Returns 0 with *nr entries
 * in out[max], or -1 with err set.
 */
int e820_build(uint64_t ram_size, const struct e820_entry *extra, size_t nr_extra,
               struct e820_entry *out, size_t max, size_t *nr, char *err, size_t errlen);

/* Whether [addr, addr + size) lies entirely in E820_RAM entries. */
bool e820_is_ram(const struct e820_entry *map, size_t n, uint64_t addr, uint64_t size);

/* ---- bzImage (boot.rst, "The Real-Mode Kernel Header") ----------------- */

#define BZ_SETUP_HEADER     0x1f1       /* the setup header in the file and the zero page */
#define BZ_HDRS_MAGIC       0x53726448u /* "HdrS" at 0x202 */
#define BZ_MIN_VERSION      0x0206      /* cmdline_size; 2.10 adds pref_address, init_size */
#define BZ_LOADED_HIGH      BIT(0)      /* loadflags: protected-mode code at 1 MiB (bzImage) */
#define BZ_XLF_KERNEL_64    BIT(0)      /* xloadflags: 64-bit entry at +0x200 */
#define BZ_ENTRY64_OFFSET   0x200

struct bzimage_info {
    uint16_t version;           /* 0x020f is 2.15 */
    uint32_t setup_size;        /* (setup_sects + 1) * 512 (setup_sects 0 means 4) */
    uint32_t header_end;        /* 0x202 + the byte at 0x201: header is [0x1f1, end) */
    uint64_t pm_offset;         /* the protected-mode code: file bytes [pm_offset, +pm_size) */
    uint64_t pm_size;           /* syssize * 16 */
    uint8_t loadflags;
    uint16_t xloadflags;        /* 0 before 2.12 */
    bool entry64;               /* XLF_KERNEL_64: started at load_addr + 0x200 in long mode */
    bool relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;      /* 0x100000 before 2.10 */
    uint64_t init_size;         /* memory from load_addr the kernel uses before its e820 */
    uint64_t load_addr;         /* where the protected-mode code goes (its runtime start) */
    uint64_t entry;             /* load_addr + 0x200 (64-bit) or load_addr (32-bit) */
    uint32_t initrd_addr_max;   /* the highest byte an initramfs may occupy */
    uint32_t cmdline_size;      /* the longest command line, NUL excluded */
};

/*
 * Reads and validates a bzImage's setup header against the file's length
 * (boot protocol 2.06 or later, LOADED_HIGH, the setup sectors and syssize
 * inside the file, a power-of-two kernel_alignment for a relocatable
 * kernel, the footprint [load_addr, load_addr + init_size) below 4 GiB).
 * Returns 0 and fills *out, or -1 with err naming the problem.
 */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
                  char *err, size_t errlen);

/* ---- PVH vmlinux (Xen public/elfnote.h, arch-x86/hvm/start_info.h) ----- */

#define PVH_NOTE_PHYS32_ENTRY 18        /* XEN_ELFNOTE_PHYS32_ENTRY, owner "Xen" */
#define PVH_MAX_SEGMENTS    16

struct pvh_segment {
    uint64_t offset, filesz;    /* in the file */
    uint64_t paddr, memsz;      /* in guest-physical memory; [filesz, memsz) zeroed */
};

struct pvh_info {
    uint32_t entry;             /* the note's 32-bit physical entry point */
    unsigned nr_segments;
    struct pvh_segment seg[PVH_MAX_SEGMENTS];   /* the PT_LOADs with memsz > 0, file order */
    uint64_t start, end;        /* lowest paddr, end of the highest segment */
};

/*
 * Validates an ELF64 x86-64 executable (header, program headers inside
 * the file, PT_LOAD segments inside the file, filesz <= memsz, below
 * 4 GiB, not overlapping) and finds the PHYS32_ENTRY note in its PT_NOTE
 * segments, else its SHT_NOTE sections. The entry must lie in a segment.
 * Returns 0 and fills *out, or -1 with err naming the problem.
 */
int pvh_parse(const uint8_t *img, size_t len, struct pvh_info *out, char *err, size_t errlen);

/* ---- initramfs placement ------------------------------------------------ */

/*
 * The highest page-aligned gpa such that [gpa, gpa + size) lies in one
 * E820_RAM entry of map, at or above `above` and ending at or below
 * `limit` (exclusive: initrd_addr_max + 1 for a bzImage, 4 GiB for PVH).
 * Returns 0 and sets *gpa, or -1 with err set.
 */
int linux_place_initrd(const struct e820_entry *map, size_t n, uint64_t size,
                       uint64_t above, uint64_t limit, uint64_t *gpa,
                       char *err, size_t errlen);

/* ---- boot structures and loading ----------------------------------------- */

/* Fixed places in low RAM (below 0x9fc00, usable in the e820 map). The
 * zero page, or start_info with its module list at +0x40 and memory map
 * at +0x80, takes one page; the command line up to LINUX_CMDLINE_MAX
 * bytes with its NUL. [0x1000, 0x7000) and [0x8000, 0x20000) are left to
 * the caller (page tables and a GDT for the 64-bit entry). */
#define LINUX_BOOT_INFO_GPA  0x7000ULL
#define LINUX_CMDLINE_GPA    0x20000ULL
#define LINUX_CMDLINE_MAX    0x10000u

/* PVH structures (start_info.h): start_info 56 bytes (version 1), a
 * module entry 32, a memory map entry 24. */
#define PVH_START_MAGIC      0x336ec578u
#define PVH_START_INFO_SIZE  56
#define PVH_MODLIST_OFFSET   0x40
#define PVH_MEMMAP_OFFSET    0x80

enum linux_entry {
    /* 64-bit boot protocol (boot.rst "64-bit Boot Protocol"): long mode,
     * paging on with [kernel_start, kernel_end), the zero page and the
     * command line identity mapped; a GDT with flat __BOOT_CS 0x10
     * (execute/read, here 64-bit) and __BOOT_DS 0x18; CS 0x10, DS/ES/SS
     * 0x18; interrupts off; RSI = boot_info; RIP = entry. */
    LINUX_ENTRY_64 = 1,
    /* 32-bit boot protocol: protected mode, paging off, the same GDT
     * selectors (32-bit code); ESI = boot_info; EBP = EDI = EBX = 0;
     * EIP = entry. */
    LINUX_ENTRY_32,
    /* PVH (Xen's docs/misc/pvh.pandoc): protected mode, paging off, flat
     * 32-bit CS and DS/ES/SS, a valid 32-bit TSS in TR, EFLAGS.IF and VM
     * clear; EBX = boot_info (start_info); EIP = entry. */
    LINUX_ENTRY_PVH,
};

struct linux_load_args {
    uint64_t ram_size;                  /* guest RAM, laid out per guest_layout.h */
    const char *cmdline;                /* NULL: "" */
    const uint8_t *initrd;              /* NULL with initrd_len 0: none */
    size_t initrd_len;
    const struct e820_entry *reserved;  /* extra e820 ranges (ACPI tables, ...) */
    size_t nr_reserved;                 /* at most E820_MAX_EXTRA */
    uint64_t rsdp;                      /* the RSDP's gpa for the guest; 0: none */
};

/* What the caller needs to start the boot vCPU, and every address used. */
struct linux_boot_state {
    enum linux_entry mode;
    uint64_t entry;             /* RIP / EIP */
    uint64_t boot_info;         /* the zero page (RSI/ESI) or start_info (EBX) */
    uint64_t cmdline;           /* gpa of the NUL-terminated command line */
    uint32_t cmdline_len;       /* without the NUL */
    uint64_t kernel_start;      /* the kernel's footprint: load_addr + init_size, */
    uint64_t kernel_end;        /* or the PVH segments */
    uint64_t initrd;            /* 0 when none */
    uint64_t initrd_len;
    uint64_t rsdp;
    size_t nr_e820;
    struct e820_entry e820[E820_MAX_ENTRIES];
};

/*
 * The zero page (struct boot_params, 4 KiB) at the page-aligned gpa: all
 * zero, the setup header copied from the image, then type_of_loader 0xff,
 * code32_start, cmd_line_ptr, ramdisk_image/size, acpi_rsdp_addr and the
 * e820 table from st; setup_data and hardware_subarch cleared (boot.rst).
 */
int linux_zero_page_write(const struct guest_mem *m, uint64_t gpa, const uint8_t *img,
                          const struct bzimage_info *bz, const struct linux_boot_state *st,
                          char *err, size_t errlen);

/*
 * hvm_start_info version 1 at the page-aligned gpa, followed by its module
 * list (the initramfs, if any) and memory map (st's e820) in the same page.
 */
int pvh_start_info_write(const struct guest_mem *m, uint64_t gpa,
                         const struct linux_boot_state *st, char *err, size_t errlen);

/*
 * The whole load: parse, build the e820 map, check that the kernel's
 * footprint, the boot page and the command line are RAM in it and do not
 * overlap, place the initramfs, then write the kernel, initramfs, command
 * line and zero page / start_info. Returns 0 and fills *out, or -1 with
 * err set (nothing written when the image or arguments are refused).
 */
int linux_bzimage_load(const uint8_t *img, size_t len, const struct guest_mem *m,
                       const struct linux_load_args *args, struct linux_boot_state *out,
                       char *err, size_t errlen);
int linux_pvh_load(const uint8_t *img, size_t len, const struct guest_mem *m,
                   const struct linux_load_args *args, struct linux_boot_state *out,
                   char *err, size_t errlen);

#endif
