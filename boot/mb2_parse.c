/* Multiboot2 information parser (see include/hv/multiboot2.h). Nothing is
 * trusted: every tag is checked against the total size before use. */
#include <hv/multiboot2.h>
#include <hv/fmt.h>
#include <hv/string.h>

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Copy a string field of at most `avail` bytes, always terminated. */
static void copy_str(char *dst, size_t size, const uint8_t *src, size_t avail)
{
    size_t n = 0;
    while (n < avail && n + 1 < size && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static uint32_t mmap_type(uint32_t t)
{
    switch (t) {
    case MB2_MMAP_AVAILABLE: return BOOT_MEM_USABLE;
    case MB2_MMAP_ACPI: return BOOT_MEM_ACPI_RECLAIM;
    case MB2_MMAP_NVS: return BOOT_MEM_ACPI_NVS;
    case MB2_MMAP_BAD: return BOOT_MEM_BAD;
    default: return BOOT_MEM_RESERVED;
    }
}

static int parse_mmap(const uint8_t *t, uint32_t size, struct boot_info *out,
                      char *err, size_t errlen)
{
    if (size < 16) {
        hv_snprintf(err, errlen, "memory map tag too short (%u bytes)", size);
        return -1;
    }
    uint32_t esz = rd32(t + 8);
    if (esz < 24 || esz % 8) {
        hv_snprintf(err, errlen, "memory map entry size %u is invalid", esz);
        return -1;
    }
    out->mmap_count = 0;
    for (uint32_t off = 16; off + esz <= size; off += esz) {
        if (out->mmap_count == BOOT_MMAP_MAX)
            break;              /* the rest is lost; the allocator uses what it has */
        struct boot_mem_range *r = &out->mmap[out->mmap_count++];
        r->base = rd64(t + off);
        r->length = rd64(t + off + 8);
        r->type = mmap_type(rd32(t + off + 16));
        r->reserved = 0;
    }
    return 0;
}

static void parse_fb(const uint8_t *t, uint32_t size, struct boot_info *out)
{
    if (size < 31)
        return;
    struct boot_framebuffer *fb = &out->fb;
    uint8_t type = t[29];
    fb->base = rd64(t + 8);
    fb->pitch = rd32(t + 16);
    fb->width = rd32(t + 20);
    fb->height = rd32(t + 24);
    fb->bpp = t[28];
    if (type == 1 && fb->bpp == 32 && size >= 38) {
        fb->type = BOOT_FB_RGB;
        fb->red_pos = t[32];
        fb->red_size = t[33];
        fb->green_pos = t[34];
        fb->green_size = t[35];
        fb->blue_pos = t[36];
        fb->blue_size = t[37];
    } else if (type == 2) {
        fb->type = BOOT_FB_EGA_TEXT;
    } else {
        fb->type = BOOT_FB_NONE;    /* indexed or not 32 bpp: not drawn on */
    }
}

int mb2_parse(const void *mbi, size_t max_len, uint64_t mbi_phys, struct boot_info *out,
              char *err, size_t errlen)
{
    const uint8_t *base = mbi;
    bool have_mmap = false, have_new_rsdp = false, have_end = false;
    uint64_t basic_upper_kb = 0, basic_lower_kb = 0;
    bool have_basic = false;

    memset(out, 0, sizeof(*out));
    out->magic = BOOT_INFO_MAGIC;
    out->version = BOOT_INFO_VERSION;
    out->path = BOOT_PATH_MULTIBOOT2;

    if (max_len < 8) {
        hv_snprintf(err, errlen, "information area too small");
        return -1;
    }
    uint32_t total = rd32(base);
    if (total < 8 || total > max_len) {
        hv_snprintf(err, errlen, "total size %u is invalid", total);
        return -1;
    }
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint8_t *t = base + off;
        uint32_t type = rd32(t), size = rd32(t + 4);
        if (size < 8 || size > total - off) {
            hv_snprintf(err, errlen, "tag %u at offset %u has bad size %u", type, off, size);
            return -1;
        }
        switch (type) {
        case MB2_TAG_END:
            have_end = true;
            break;
        case MB2_TAG_CMDLINE:
            copy_str(out->cmdline, sizeof(out->cmdline), t + 8, size - 8);
            break;
        case MB2_TAG_LOADER_NAME:
            copy_str(out->loader_name, sizeof(out->loader_name), t + 8, size - 8);
            break;
        case MB2_TAG_MODULE: {
            if (size < 16 || out->module_count == BOOT_MODULES_MAX)
                break;
            uint32_t start = rd32(t + 8), end = rd32(t + 12);
            if (end < start)
                break;
            struct boot_module *m = &out->modules[out->module_count++];
            m->base = start;
            m->size = end - start;
            copy_str(m->name, sizeof(m->name), t + 16, size - 16);
            break;
        }
        case MB2_TAG_BASIC_MEMINFO:
            if (size >= 16) {
                basic_lower_kb = rd32(t + 8);
                basic_upper_kb = rd32(t + 12);
                have_basic = true;
            }
            break;
        case MB2_TAG_MMAP:
            if (parse_mmap(t, size, out, err, errlen))
                return -1;
            have_mmap = true;
            break;
        case MB2_TAG_FRAMEBUFFER:
            parse_fb(t, size, out);
            break;
        case MB2_TAG_ACPI_OLD:
            if (!have_new_rsdp && size >= 8 + 20)
                out->rsdp = mbi_phys + off + 8;
            break;
        case MB2_TAG_ACPI_NEW:
            if (size >= 8 + 36) {
                out->rsdp = mbi_phys + off + 8;
                have_new_rsdp = true;
            }
            break;
        case MB2_TAG_LOAD_BASE:
            if (size >= 12)
                out->image_base = rd32(t + 8);
            break;
        default:
            break;
        }
        if (have_end)
            break;
        off += (size + 7) & ~7u;
    }
    if (!have_end) {
        hv_snprintf(err, errlen, "no end tag within %u bytes", total);
        return -1;
    }
    if (!have_mmap && have_basic) {
        /* Only the basic counts: below 640 KiB and from 1 MiB up. */
        out->mmap[0] = (struct boot_mem_range){ 0, basic_lower_kb << 10, BOOT_MEM_USABLE, 0 };
        out->mmap[1] = (struct boot_mem_range){ 0x100000, basic_upper_kb << 10, BOOT_MEM_USABLE, 0 };
        out->mmap_count = 2;
    }
    if (out->mmap_count == 0) {
        hv_snprintf(err, errlen, "no memory map and no basic memory information");
        return -1;
    }
    return 0;
}
