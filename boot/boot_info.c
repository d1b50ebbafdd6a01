/*
 * Taking over the hand-over structure: whichever boot path ran, the core
 * keeps its own copy of struct boot_info before it allocates anything, so
 * the loader's memory can be reused.
 */
#include <hv/boot_info.h>
#include <hv/log.h>
#include <hv/multiboot2.h>
#include <hv/layout.h>
#include <hv/string.h>

/* GRUB hands over a copy of the RSDP inside its information structure,
 * which lies in usable memory the allocator will soon give out: keep our
 * own copy in the core image (ACPI 6.x 5.2.5.3: at most 36 bytes). */
static uint8_t rsdp_copy[36] __aligned(16);

static void keep_rsdp(struct boot_info *bi)
{
    if (!bi->rsdp)
        return;
    memcpy(rsdp_copy, phys_to_ptr(bi->rsdp), sizeof(rsdp_copy));
    bi->rsdp = kva_to_phys(rsdp_copy);
}

static const char *path_name(uint32_t path)
{
    return path == BOOT_PATH_UEFI ? "UEFI" : path == BOOT_PATH_MULTIBOOT2 ? "multiboot2" : "?";
}

bool boot_info_take(uint64_t magic, uint64_t info, struct boot_info *out)
{
    char err[128];

    if (magic == MULTIBOOT2_MAGIC) {
        /* The boot tables map 4 GiB; GRUB keeps the information below it. */
        if (info == 0 || info >= GiB(4) - 8) {
            kprintf("boot: multiboot2 information at %#lx is unusable\n", info);
            return false;
        }
        if (mb2_parse(phys_to_ptr(info), GiB(4) - info, info, out, err, sizeof(err)) != 0) {
            kprintf("boot: bad multiboot2 information: %s\n", err);
            return false;
        }
        keep_rsdp(out);
    } else if (magic == BOOT_INFO_MAGIC) {
        const struct boot_info *bi = phys_to_ptr(info);
        if (info == 0 || info >= GiB(4) - sizeof(*bi) || bi->magic != BOOT_INFO_MAGIC) {
            kprintf("boot: the UEFI loader's boot information at %#lx is corrupt\n", info);
            return false;
        }
        if (bi->version != BOOT_INFO_VERSION) {
            kprintf("boot: loader speaks boot-info version %u, this core %u: "
                    "install the loader and core from the same build\n",
                    bi->version, BOOT_INFO_VERSION);
            return false;
        }
        memcpy(out, bi, sizeof(*out));
        out->cmdline[BOOT_CMDLINE_MAX - 1] = 0;
        out->loader_name[sizeof(out->loader_name) - 1] = 0;
        if (out->mmap_count > BOOT_MMAP_MAX)
            out->mmap_count = BOOT_MMAP_MAX;
        if (out->module_count > BOOT_MODULES_MAX)
            out->module_count = BOOT_MODULES_MAX;
        for (uint32_t i = 0; i < out->module_count; i++)
            out->modules[i].name[BOOT_NAME_MAX - 1] = 0;
    } else {
        kprintf("boot: unknown boot protocol (magic %#lx): start the core from "
                "hvboot (BOOTX64.EFI) or a multiboot2 loader such as GRUB\n", magic);
        return false;
    }

    if (out->image_base == 0)
        out->image_base = kva_to_phys(__image_start);
    if (out->image_size == 0)
        out->image_size = (uint64_t)(__image_end - __image_start);
    kprintf("boot: %s path, loader \"%s\", core at %#lx (%lu KiB), cmdline \"%s\"\n",
            path_name(out->path), out->loader_name[0] ? out->loader_name : "?",
            out->image_base, out->image_size >> 10, out->cmdline);
    kprintf("boot: %u memory ranges, %u modules, RSDP %#lx, framebuffer %s\n",
            out->mmap_count, out->module_count, out->rsdp,
            out->fb.type == BOOT_FB_RGB ? "RGB" : out->fb.type == BOOT_FB_EGA_TEXT ? "VGA text" : "none");
    return true;
}
