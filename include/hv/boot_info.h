/*
 * The hand-over from a boot path to the core.
 *
 * Two boot paths exist: the UEFI loader (boot/uefi/) fills this structure
 * itself, and on the multiboot2 path (mb2_entry32 in core/entry.asm) the
 * core builds it from GRUB's tags (boot/boot_info.c, with the parser
 * boot/mb2_parse.c). Past this point the core never knows which one ran.
 *
 * All addresses are physical. The structure holds no pointers so that the
 * loader (a PE/COFF image with its own ABI) and the core agree on its layout.
 */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <hv/compiler.h>

#define BOOT_INFO_MAGIC    0x4942564855ULL  /* "UHVBI": from the UEFI loader */
#define MULTIBOOT2_MAGIC   0x36d76289U      /* EAX on entry from a multiboot2 loader */
#define BOOT_INFO_VERSION  1

#define BOOT_MMAP_MAX      512
#define BOOT_MODULES_MAX   32
#define BOOT_NAME_MAX      128
#define BOOT_CMDLINE_MAX   256

enum boot_path {
    BOOT_PATH_UEFI = 1,
    BOOT_PATH_MULTIBOOT2 = 2,
};

/* Memory types, deliberately coarse: only USABLE may ever be allocated. */
enum boot_mem_type {
    BOOT_MEM_USABLE = 1,
    BOOT_MEM_RESERVED = 2,      /* firmware, MMIO, runtime services, unknown */
    BOOT_MEM_ACPI_RECLAIM = 3,  /* ACPI tables: we keep reading them */
    BOOT_MEM_ACPI_NVS = 4,
    BOOT_MEM_BAD = 5,
};

struct boot_mem_range {
    uint64_t base;
    uint64_t length;
    uint32_t type;              /* enum boot_mem_type */
    uint32_t reserved;
};

/* A file handed to the core: the configuration, later guest images. */
struct boot_module {
    uint64_t base;
    uint64_t size;
    char name[BOOT_NAME_MAX];   /* path or GRUB module string, NUL-terminated */
};

enum boot_fb_type {
    BOOT_FB_NONE = 0,
    BOOT_FB_RGB = 1,            /* linear framebuffer, 32 bpp */
    BOOT_FB_EGA_TEXT = 2,       /* VGA text mode at 0xb8000 */
};

struct boot_framebuffer {
    uint64_t base;
    uint32_t type;              /* enum boot_fb_type */
    uint32_t width, height;     /* pixels (RGB) or characters (EGA text) */
    uint32_t pitch;             /* bytes per line */
    uint32_t bpp;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    uint8_t pad[2];
};

struct boot_info {
    uint64_t magic;             /* BOOT_INFO_MAGIC */
    uint32_t version;           /* BOOT_INFO_VERSION */
    uint32_t path;              /* enum boot_path */
    uint64_t rsdp;              /* ACPI RSDP, 0 when the firmware gave none */
    uint64_t image_base;        /* where the core image was placed */
    uint64_t image_size;
    uint64_t start_tsc;         /* TSC when the boot path started (0: unknown) */
    char cmdline[BOOT_CMDLINE_MAX];
    char loader_name[64];
    struct boot_framebuffer fb;
    uint32_t mmap_count;
    uint32_t module_count;
    struct boot_mem_range mmap[BOOT_MMAP_MAX];
    struct boot_module modules[BOOT_MODULES_MAX];
};

/* The core's copy of the hand-over structure (boot/boot_info.c): from a
 * multiboot2 loader (GRUB) or from hvboot; false (reason printed) when
 * neither is recognisable. */
bool boot_info_take(uint64_t magic, uint64_t info, struct boot_info *out);

#endif
