/*
 * Multiboot2 information parser (see include/hv/multiboot2.h).
 *
 * Nothing in the structure is trusted: the walk stays inside total_size,
 * which itself must fit in what the caller says is readable, every tag
 * must fit in what is left, and each field is read through an accessor
 * bounded by its tag's size (a short tag reads as zeros past its end and
 * is refused by the size checks before that matters). Multi-byte fields
 * are copied out byte-wise: alignment is never assumed.
 *
 * Malformed framing (sizes, missing end tag) is an error, because nothing
 * after it can be located. A malformed or unusable individual tag is
 * skipped with a note, except a memory map whose entry size makes it
 * unreadable: booting on a guessed memory map is worse than not booting.
 */
#include <hv/multiboot2.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <stdarg.h>

struct mb2 {
    struct boot_info *out;
    uint64_t phys;
    char *err;
    size_t errlen;
};

/* One tag: its bytes, header included, all inside total_size. */
struct tag {
    const uint8_t *p;
    size_t size;
    size_t off;                 /* from the start of the information */
    uint32_t type;
};

/* ---- bounded reads ---------------------------------------------------- */

static uint64_t rd_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint8_t tag_u8(const struct tag *t, size_t off)
{
    return off < t->size ? t->p[off] : 0;
}

static uint32_t tag_u32(const struct tag *t, size_t off)
{
    return off <= t->size && t->size - off >= 4 ? (uint32_t)rd_le(t->p + off, 4) : 0;
}

static uint64_t tag_u64(const struct tag *t, size_t off)
{
    return off <= t->size && t->size - off >= 8 ? rd_le(t->p + off, 8) : 0;
}

/*
 * The string field at `off` into dst: it ends at its NUL or at the end of
 * the tag, whichever comes first, and dst is always terminated. Returns
 * false when it had to be cut to fit dst.
 */
static bool tag_str(const struct tag *t, size_t off, char *dst, size_t dstlen)
{
    size_t avail = off < t->size ? t->size - off : 0;
    const uint8_t *s = t->p + (off < t->size ? off : t->size);
    size_t n = 0;

    while (n < avail && s[n])
        n++;
    size_t c = n < dstlen - 1 ? n : dstlen - 1;
    memcpy(dst, s, c);
    dst[c] = '\0';
    return c == n;
}

/* ---- messages --------------------------------------------------------- */

static void note(struct mb2 *m, const char *fmt, ...) __printf(2, 3);
static void note(struct mb2 *m, const char *fmt, ...)
{
    va_list ap;

    if (!m->err || m->errlen == 0)
        return;
    size_t used = strnlen(m->err, m->errlen);
    if (used && used + 2 < m->errlen) {
        memcpy(m->err + used, "; ", 3);
        used += 2;
    }
    if (used + 1 >= m->errlen)
        return;
    va_start(ap, fmt);
    hv_vsnprintf(m->err + used, m->errlen - used, fmt, ap);
    va_end(ap);
}

static int fail(struct mb2 *m, const char *fmt, ...) __printf(2, 3);
static int fail(struct mb2 *m, const char *fmt, ...)
{
    va_list ap;

    if (m->err && m->errlen) {
        va_start(ap, fmt);
        hv_vsnprintf(m->err, m->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- tags ------------------------------------------------------------- */

static void parse_module(struct mb2 *m, const struct tag *t, uint32_t *seen)
{
    struct boot_info *out = m->out;

    if (t->size < 16) {
        note(m, "module tag at offset %zu is %zu bytes, too short: ignored", t->off, t->size);
        return;
    }
    uint32_t start = tag_u32(t, 8), end = tag_u32(t, 12);
    if (end < start) {
        note(m, "module at %#x ends before it starts (%#x): ignored", start, end);
        return;
    }
    if (++*seen > BOOT_MODULES_MAX)
        return;                 /* counted; one note at the end */
    struct boot_module *mod = &out->modules[out->module_count++];
    mod->base = start;
    mod->size = end - start;    /* mod_end is the first byte after it */
    if (!tag_str(t, 16, mod->name, sizeof(mod->name)))
        note(m, "name of module %u cut to %zu bytes", out->module_count,
             sizeof(mod->name) - 1);
}

static uint32_t mmap_type(uint32_t t)
{
    switch (t) {
    case MB2_MMAP_AVAILABLE:
        return BOOT_MEM_USABLE;
    case MB2_MMAP_ACPI:
        return BOOT_MEM_ACPI_RECLAIM;
    case MB2_MMAP_NVS:
        return BOOT_MEM_ACPI_NVS;
    case MB2_MMAP_BAD:
        return BOOT_MEM_BAD;
    default:                    /* 2 and anything the spec may add later */
        return BOOT_MEM_RESERVED;
    }
}

static int parse_mmap(struct mb2 *m, const struct tag *t)
{
    struct boot_info *out = m->out;

    if (t->size < 16)
        return fail(m, "memory map tag at offset %zu is %zu bytes, too short", t->off, t->size);
    uint32_t esz = tag_u32(t, 8);
    /* entry_size exists so that entries may grow: read the 24 bytes we
     * know, step by what the loader says. */
    if (esz < MB2_MMAP_ENTRY_MIN)
        return fail(m, "memory map entry size %u is below the %u bytes of an entry", esz,
                    MB2_MMAP_ENTRY_MIN);
    if (out->mmap_count)
        note(m, "a second memory map tag replaces the first");
    out->mmap_count = 0;

    size_t total = 0, kept = 0, off;
    for (off = 16; off <= t->size && t->size - off >= esz; off += esz) {
        uint64_t len = tag_u64(t, off + 8);
        total++;
        if (len == 0)
            continue;           /* a zero-length entry says nothing */
        if (kept == BOOT_MMAP_MAX)
            continue;
        struct boot_mem_range *r = &out->mmap[kept++];
        r->base = tag_u64(t, off);
        r->length = len;
        r->type = mmap_type(tag_u32(t, off + 16));
        r->reserved = 0;
    }
    out->mmap_count = (uint32_t)kept;
    if (off < t->size)
        note(m, "memory map ends with %zu bytes that are not a whole entry", t->size - off);
    if (kept == BOOT_MMAP_MAX && total > kept)
        note(m, "memory map has %zu entries, kept the first %u", total, BOOT_MMAP_MAX);
    return 0;
}

static void parse_fb(struct mb2 *m, const struct tag *t)
{
    struct boot_framebuffer *fb = &m->out->fb;
    uint8_t type = tag_u8(t, 29), bpp = tag_u8(t, 28);

    if (t->size < 30) {
        note(m, "framebuffer tag is %zu bytes, too short: ignored", t->size);
        return;
    }
    memset(fb, 0, sizeof(*fb));
    switch (type) {
    case MB2_FB_TYPE_RGB:
        if (t->size < MB2_FB_RGB_SIZE) {
            note(m, "RGB framebuffer tag is %zu bytes, lacks the colour layout: ignored",
                 t->size);
            return;
        }
        if (bpp != 32) {
            /* The console draws 32-bit pixels only. */
            note(m, "framebuffer has %u bits per pixel, not 32: not used", bpp);
            return;
        }
        fb->type = BOOT_FB_RGB;
        fb->red_pos = tag_u8(t, 32);
        fb->red_size = tag_u8(t, 33);
        fb->green_pos = tag_u8(t, 34);
        fb->green_size = tag_u8(t, 35);
        fb->blue_pos = tag_u8(t, 36);
        fb->blue_size = tag_u8(t, 37);
        break;
    case MB2_FB_TYPE_EGA_TEXT:
        fb->type = BOOT_FB_EGA_TEXT;    /* width and height count characters */
        break;
    default:
        note(m, "framebuffer type %u (indexed or unknown) is not supported: not used", type);
        return;
    }
    fb->base = tag_u64(t, 8);
    fb->pitch = tag_u32(t, 16);
    fb->width = tag_u32(t, 20);
    fb->height = tag_u32(t, 24);
    fb->bpp = bpp;
}

/*
 * The ACPI tags hold a copy of the RSDP, not its address: hand on where
 * the copy sits, so the ACPI parser reads it like any other RSDP. The
 * signature is checked here so that a damaged tag leaves rsdp at 0 and the
 * core falls back to scanning the BIOS areas.
 */
static uint64_t parse_rsdp(struct mb2 *m, const struct tag *t, size_t need)
{
    static const char sig[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };

    if (t->size - MB2_TAG_HEADER < need) {
        note(m, "ACPI tag %u holds %zu bytes, an RSDP needs %zu: ignored", t->type,
             t->size - MB2_TAG_HEADER, need);
        return 0;
    }
    if (memcmp(t->p + MB2_TAG_HEADER, sig, sizeof(sig)) != 0) {
        note(m, "ACPI tag %u does not hold an RSDP signature: ignored", t->type);
        return 0;
    }
    return m->phys + t->off + MB2_TAG_HEADER;
}

/* ---- the walk --------------------------------------------------------- */

int mb2_parse(const void *mbi, size_t max_len, uint64_t mbi_phys, struct boot_info *out,
              char *err, size_t errlen)
{
    struct mb2 m = { out, mbi_phys, errlen ? err : NULL, err ? errlen : 0 };
    const uint8_t *base = mbi;
    uint64_t rsdp_v1 = 0, rsdp_v2 = 0;
    uint32_t mem_lower = 0, mem_upper = 0, modules_seen = 0;
    bool have_basic = false, have_end = false;
    size_t off;

    if (m.err)
        m.err[0] = '\0';
    memset(out, 0, sizeof(*out));
    out->magic = BOOT_INFO_MAGIC;
    out->version = BOOT_INFO_VERSION;
    out->path = BOOT_PATH_MULTIBOOT2;

    if (!base || max_len < MB2_INFO_HEADER)
        return fail(&m, "information area of %zu bytes cannot hold its header", base ? max_len : 0);
    uint32_t total = (uint32_t)rd_le(base, 4);
    if (total < MB2_INFO_HEADER || total > max_len)
        return fail(&m, "total_size %u is outside 8..%zu", total, max_len);

    for (off = MB2_INFO_HEADER; total - off >= MB2_TAG_HEADER;) {
        struct tag t = { base + off, 0, off, (uint32_t)rd_le(base + off, 4) };
        uint32_t size = (uint32_t)rd_le(base + off + 4, 4);
        if (size < MB2_TAG_HEADER)
            return fail(&m, "tag %u at offset %zu has size %u, less than its header",
                        t.type, off, size);
        if (size > total - off)
            return fail(&m, "tag %u at offset %zu has size %u, past total_size %u",
                        t.type, off, size, total);
        t.size = size;

        switch (t.type) {
        case MB2_TAG_END:
            have_end = true;
            break;
        case MB2_TAG_CMDLINE:
            if (!tag_str(&t, 8, out->cmdline, sizeof(out->cmdline)))
                note(&m, "command line cut to %zu bytes", sizeof(out->cmdline) - 1);
            break;
        case MB2_TAG_LOADER_NAME:
            if (!tag_str(&t, 8, out->loader_name, sizeof(out->loader_name)))
                note(&m, "boot loader name cut to %zu bytes", sizeof(out->loader_name) - 1);
            break;
        case MB2_TAG_MODULE:
            parse_module(&m, &t, &modules_seen);
            break;
        case MB2_TAG_BASIC_MEMINFO:
            if (size >= 16) {
                mem_lower = tag_u32(&t, 8);
                mem_upper = tag_u32(&t, 12);
                have_basic = true;
            }
            break;
        case MB2_TAG_MMAP:
            if (parse_mmap(&m, &t))
                return -1;
            break;
        case MB2_TAG_FRAMEBUFFER:
            parse_fb(&m, &t);
            break;
        case MB2_TAG_ACPI_OLD:
            if (!rsdp_v1)
                rsdp_v1 = parse_rsdp(&m, &t, MB2_RSDP_V1_LEN);
            break;
        case MB2_TAG_ACPI_NEW:
            if (!rsdp_v2)
                rsdp_v2 = parse_rsdp(&m, &t, MB2_RSDP_V2_LEN);
            break;
        case MB2_TAG_LOAD_BASE:
            if (size >= 12)
                out->image_base = tag_u32(&t, 8);
            break;
        default:
            /* EFI memory map (17) and the rest: the memory map tag and the
             * ACPI tags already say what the core needs. */
            break;
        }
        if (have_end)
            break;
        /* size <= total - off, so this stays within total + 7. */
        off += ALIGN_UP((size_t)size, (size_t)MB2_TAG_ALIGN);
        if (off > total)
            break;
    }
    if (!have_end)
        return fail(&m, "no end tag within total_size %u", total);

    if (modules_seen > BOOT_MODULES_MAX)
        note(&m, "%u modules, kept the first %u", modules_seen, BOOT_MODULES_MAX);
    /* ACPI 2.0+ RSDP gives the XSDT (64-bit table addresses): prefer it. */
    out->rsdp = rsdp_v2 ? rsdp_v2 : rsdp_v1;

    if (out->mmap_count == 0) {
        if (!have_basic)
            return fail(&m, "no memory map and no basic memory information");
        /* Only the two counts: usable memory from 0 (never beyond the
         * 640 KiB the legacy BIOS leaves) and from 1 MiB on. */
        uint64_t lower = MIN((uint64_t)mem_lower, 640ULL) << 10;
        size_t n = 0;
        if (lower)
            out->mmap[n++] = (struct boot_mem_range){ 0, lower, BOOT_MEM_USABLE, 0 };
        if (mem_upper)
            out->mmap[n++] = (struct boot_mem_range){ MiB(1), (uint64_t)mem_upper << 10,
                                                      BOOT_MEM_USABLE, 0 };
        out->mmap_count = (uint32_t)n;
        note(&m, "no memory map tag: using the basic memory information");
        if (n == 0)
            return fail(&m, "basic memory information reports no memory");
    }
    return 0;
}
