/*
 * Guest image loaders: multiboot (v1) kernels, loaded into a guest's RAM
 * the way GRUB and QEMU load them (Multiboot Specification 0.6.96), and
 * raw real-mode images. Pure: the image is a byte buffer, guest RAM is
 * reached through struct guest_mem, nothing else is touched.
 *
 * Nothing in an image is trusted. Every offset and size read from it is
 * checked against the image's length before use, and every guest range is
 * checked against guest RAM (and, for multiboot, the memory map) before
 * anything is written, so a corrupt or truncated image is refused with a
 * message, never read or written out of bounds. On failure the guest's RAM
 * may already hold part of the image; the caller discards the guest.
 *
 * Messages are written to err (always terminated when errlen > 0) and do
 * not name the image: the caller prefixes its file name.
 */
#ifndef HV_GUEST_IMAGE_H
#define HV_GUEST_IMAGE_H

#include <hv/compiler.h>

/*
 * A guest's RAM: the guest-physical range [0, size). ptr returns where the
 * bytes [gpa, gpa + len) live in the hypervisor's address space, or NULL
 * if that range is not guest RAM. The loaders never ask for a range that
 * crosses a 4 KiB page boundary, so the backing need not be contiguous.
 */
struct guest_mem {
    uint8_t *(*ptr)(void *ctx, uint64_t gpa, uint64_t len);
    uint64_t size;
    void *ctx;
};

/* ---- detection -------------------------------------------------------- */

enum image_format {
    IMAGE_UNKNOWN = 0,
    IMAGE_MULTIBOOT1,       /* a valid multiboot header: mb1_load */
    IMAGE_ELF,              /* ELF without a multiboot header: refused for now */
    IMAGE_RAW,              /* only when the caller allows raw images: raw_load */
};

/*
 * What img is. A valid multiboot header wins (an ELF kernel with one is
 * IMAGE_MULTIBOOT1); an ELF file without one is IMAGE_ELF. Anything else
 * is IMAGE_RAW when allow_raw (the configuration says the image is raw),
 * else IMAGE_UNKNOWN. For IMAGE_ELF and IMAGE_UNKNOWN, note (may be NULL)
 * says why the image cannot be booted, naming a multiboot magic with a
 * bad checksum or a multiboot2 header when it saw one.
 */
enum image_format image_detect(const uint8_t *img, size_t len, bool allow_raw,
                               char *note, size_t notelen);
const char *image_format_name(enum image_format f);

/* ---- multiboot v1 ----------------------------------------------------- */

/* Header (3.1, 3.1.1, 3.1.2): u32 magic, flags, checksum (magic + flags +
 * checksum == 0 mod 2^32), 4-byte aligned, entirely inside the first 8192
 * bytes of the file; address fields (3.1.3) at 12-31, video fields
 * (3.1.4) at 32-47. */
#define MB1_HEADER_MAGIC     0x1BADB002u
#define MB1_BOOTLOADER_MAGIC 0x2BADB002u    /* EAX at entry (3.2) */
#define MB1_SEARCH_LIMIT     8192u

/* Header flags (3.1.2). Bits 0-15 are required: a loader that does not
 * understand one must refuse the image. */
#define MB1_HF_PAGE_ALIGN    BIT(0)         /* modules on 4 KiB boundaries */
#define MB1_HF_MEMORY_INFO   BIT(1)         /* mem_* (and mmap_*) required */
#define MB1_HF_VIDEO_MODE    BIT(2)         /* video fields valid: accepted, ignored */
#define MB1_HF_AOUT_KLUDGE   BIT(16)        /* address fields valid: used even for ELF */
#define MB1_HF_KNOWN_REQUIRED (MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO | MB1_HF_VIDEO_MODE)

/* Information flags (3.3): which fields of the information are valid. */
#define MB1_IF_MEM           BIT(0)         /* mem_lower, mem_upper */
#define MB1_IF_CMDLINE       BIT(2)
#define MB1_IF_MODS          BIT(3)
#define MB1_IF_MMAP          BIT(6)
#define MB1_IF_LOADER_NAME   BIT(9)

/* Information layout (3.3), byte offsets. 116 bytes is the structure up to
 * and including the framebuffer fields; the loader zeroes all of it. */
#define MB1_INFO_FLAGS       0
#define MB1_INFO_MEM_LOWER   4
#define MB1_INFO_MEM_UPPER   8
#define MB1_INFO_CMDLINE     16
#define MB1_INFO_MODS_COUNT  20
#define MB1_INFO_MODS_ADDR   24
#define MB1_INFO_MMAP_LENGTH 44
#define MB1_INFO_MMAP_ADDR   48
#define MB1_INFO_LOADER_NAME 64
#define MB1_INFO_SIZE        116
#define MB1_MODULE_SIZE      16             /* mod_start, mod_end, string, reserved */
#define MB1_MMAP_ENTRY_SIZE  24             /* u32 size (= 20), u64 base, u64 len, u32 type */

#define MB1_LOADER_NAME      "hv"
#define MB1_MAX_MODULES      256
#define MB1_MAX_MMAP         256

/* Memory map types (3.3): 1 available RAM, 3 ACPI information, 4 to be
 * preserved on hibernation, 5 defective RAM, anything else reserved. */
#define MB1_MEM_AVAILABLE    1
#define MB1_MEM_RESERVED     2
#define MB1_MEM_ACPI         3
#define MB1_MEM_NVS          4

struct mb1_module {
    const uint8_t *data;        /* NULL: len zero bytes */
    size_t len;
    const char *string;         /* the module's command line; NULL is "" */
};

struct mb1_mmap_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type;              /* MB1_MEM_* */
};

struct mb1_load_args {
    /* GRUB's command line starts with the kernel's file name: the guest
     * sees "kernel_name cmdline" ("kernel_name" alone when cmdline is
     * empty). Either may be NULL. */
    const char *kernel_name;
    const char *cmdline;
    const struct mb1_module *modules;
    size_t nr_modules;          /* at most MB1_MAX_MODULES */
    /* The guest's memory map, passed through as the mmap_* fields. It
     * must describe guest RAM: everything the loader writes must lie in
     * type-1 entries (adjacent entries may be split anywhere).
     * mem_upper is derived from it (the available RAM contiguous from
     * 1 MiB, in KiB). At least one entry, at most MB1_MAX_MMAP. */
    const struct mb1_mmap_entry *mmap;
    size_t nr_mmap;
    uint32_t mem_lower_kb;      /* at most 640 (3.3) */
};

/*
 * What the vCPU needs at entry (3.2): EAX = MB1_BOOTLOADER_MAGIC, EBX = the
 * information's address, EIP = the entry point, in 32-bit protected mode
 * with paging off, CS a 32-bit read/execute segment and DS/ES/FS/GS/SS
 * read/write segments, all with base 0 and limit 0xFFFFFFFF, A20 enabled,
 * EFLAGS.VM and EFLAGS.IF clear. ESP, GDTR and IDTR are undefined: the
 * kernel sets up its own.
 */
struct mb1_boot_state {
    uint32_t eip;
    uint32_t eax;
    uint32_t ebx;
    uint32_t header_flags;      /* the kernel's; MB1_HF_VIDEO_MODE was ignored */
    uint64_t kernel_start;      /* lowest guest-physical byte loaded */
    uint64_t kernel_end;        /* first byte after the kernel (bss included) */
    uint64_t end;               /* first byte after modules and information */
};

/*
 * Finds the multiboot header: the first 4-byte aligned offset below 8192
 * where the magic is followed by flags and a checksum that sum to 0.
 * Returns 0 and sets *off, or -1.
 */
int mb1_find_header(const uint8_t *img, size_t len, size_t *off);

/*
 * Loads a multiboot kernel: its segments (ELF32 or ELF64 program headers,
 * or the header's address fields when flag 16 is set), then, from the
 * first page at or above both the kernel's end and 1 MiB, the modules
 * (each page-aligned) and one page-aligned block with the information
 * structure, the module list, the memory map and the strings. Returns 0
 * and fills *out, or -1 with err set.
 */
int mb1_load(const uint8_t *img, size_t len, const struct guest_mem *m,
             const struct mb1_load_args *args, struct mb1_boot_state *out,
             char *err, size_t errlen);

/* ---- raw images ------------------------------------------------------- */

/* Highest end of a raw image: real mode addresses the first 1 MiB. */
#define RAW_IMAGE_LIMIT      MiB(1)

/*
 * Copies a raw real-mode image to guest-physical load_gpa. The image must
 * be non-empty and end at or below RAW_IMAGE_LIMIT, inside guest RAM.
 * Returns 0, or -1 with err set.
 */
int raw_load(const uint8_t *img, size_t len, const struct guest_mem *m,
             uint64_t load_gpa, char *err, size_t errlen);

/* Shared by the loaders of guest/ (image.c, linux_boot.c): the pages of
 * [gpa, end) are all guest RAM (else an error naming the first that is
 * not), and a copy into them (zeroes when src is NULL). */
int guest_mem_check_pages(const struct guest_mem *m, uint64_t gpa, uint64_t end,
                          const char *what, char *err, size_t errlen);
void guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);

#endif
