/*
 * Guest image loaders (see include/hv/guest_image.h).
 *
 * Section numbers are those of the Multiboot Specification 0.6.96; ELF
 * structure layouts are those of the System V ABI's "ELF Header" and
 * "Program Header" chapters (the 32-bit ones as in the TIS ELF 1.2
 * specification, the 64-bit ones as in the ELF-64 object file format).
 *
 * The image is only read through rd_le() at offsets that were first shown
 * to lie inside it, with arithmetic done in 64 bits and checked for
 * wrap-around. Guest memory is only written through guest_mem_write(), page by
 * page, after the whole range was checked against guest RAM, the memory
 * map and the guest_mem callback.
 */
#include <hv/guest_image.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <stdarg.h>

typedef unsigned long long ull;

/* ---- helpers ---------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        hv_vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint64_t rd_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd_le(p, 4);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* "64 MiB", "640 KiB" or "1234 bytes", for messages. */
static const char *size_str(char *buf, size_t n, uint64_t bytes)
{
    if (bytes && IS_ALIGNED(bytes, MiB(1)))
        hv_snprintf(buf, n, "%llu MiB", (ull)(bytes >> 20));
    else if (bytes && IS_ALIGNED(bytes, KiB(1)))
        hv_snprintf(buf, n, "%llu KiB", (ull)(bytes >> 10));
    else
        hv_snprintf(buf, n, "%llu bytes", (ull)bytes);
    return buf;
}

/* Every page of [gpa, end) is guest RAM the accessor maps; else the
 * first page that is not, named in err. */
int guest_mem_check_pages(const struct guest_mem *m, uint64_t gpa, uint64_t end,
                          const char *what, char *err, size_t errlen)
{
    for (uint64_t p = gpa; p < end; ) {
        uint64_t chunk = MIN(PAGE_SIZE - (p & (PAGE_SIZE - 1)), end - p);
        if (!m->ptr(m->ctx, p, chunk))
            return fail(err, errlen, "%s [%#llx, %#llx): %#llx is not guest RAM",
                        what, (ull)gpa, (ull)end, (ull)p);
        p += chunk;
    }
    return 0;
}

/* Copies len bytes of src (zeroes when src is NULL) to guest gpa, page by
 * page. The range was checked first (guest_mem_check_pages). */
void guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
    const uint8_t *s = src;

    while (len) {
        uint64_t chunk = MIN(PAGE_SIZE - (gpa & (PAGE_SIZE - 1)), len);
        uint8_t *d = m->ptr(m->ctx, gpa, chunk);
        if (!d)
            return;             /* cannot happen after the check */
        if (s) {
            memcpy(d, s, chunk);
            s += chunk;
        } else {
            memset(d, 0, chunk);
        }
        gpa += chunk;
        len -= chunk;
    }
}

/*
 * Checks that [gpa, gpa + len) is guest RAM: no wrap-around, below the end
 * of RAM, below `limit`, and every page accepted by the callback. `what`
 * names the range in messages ("kernel segment 1").
 */
static int check_ram(const struct guest_mem *m, uint64_t gpa, uint64_t len, uint64_t limit,
                     const char *limit_why, const char *what, char *err, size_t errlen)
{
    char sz[32];

    if (gpa > UINT64_MAX - len)
        return fail(err, errlen, "%s at %#llx, %#llx bytes, wraps around the address space",
                    what, (ull)gpa, (ull)len);
    uint64_t end = gpa + len;
    if (end > m->size)
        return fail(err, errlen, "%s [%#llx, %#llx) does not fit in %s of guest memory",
                    what, (ull)gpa, (ull)end, size_str(sz, sizeof(sz), m->size));
    if (end > limit)
        return fail(err, errlen, "%s [%#llx, %#llx) ends above %#llx: %s",
                    what, (ull)gpa, (ull)end, (ull)limit, limit_why);
    return guest_mem_check_pages(m, gpa, end, what, err, errlen);
}


/* ---- detection -------------------------------------------------------- */

#define MB2_HEADER_MAGIC 0xE85250D6u    /* multiboot2 spec 3.1.1, to name it */

int mb1_find_header(const uint8_t *img, size_t len, size_t *off)
{
    /* 3.1: longword aligned and contained in the first 8192 bytes; the
     * three magic fields (3.1.2) are what identify it. */
    size_t lim = MIN(len, (size_t)MB1_SEARCH_LIMIT);

    for (size_t o = 0; o + 12 <= lim; o += 4) {
        uint32_t magic = rd32(img + o), flags = rd32(img + o + 4), sum = rd32(img + o + 8);
        if (magic == MB1_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
            *off = o;
            return 0;
        }
    }
    return -1;
}

static bool is_elf(const uint8_t *img, size_t len)
{
    return len >= 4 && img[0] == 0x7f && img[1] == 'E' && img[2] == 'L' && img[3] == 'F';
}

/* Why img has no usable multiboot header, for messages. */
static void explain_no_header(const uint8_t *img, size_t len, char *note, size_t notelen)
{
    size_t lim = MIN(len, (size_t)MB1_SEARCH_LIMIT);

    for (size_t o = 0; o + 12 <= lim; o += 4) {
        if (rd32(img + o) == MB1_HEADER_MAGIC) {
            fail(note, notelen, "multiboot magic at offset %#zx has a bad checksum "
                 "(flags %#x, checksum %#x), and no valid header follows in the first %u bytes",
                 o, rd32(img + o + 4), rd32(img + o + 8), MB1_SEARCH_LIMIT);
            return;
        }
    }
    for (size_t o = 0; o + 4 <= MIN(len, (size_t)32768); o += 8) {
        if (rd32(img + o) == MB2_HEADER_MAGIC) {
            fail(note, notelen, "multiboot2 header at offset %#zx: only multiboot (v1) "
                 "kernels are supported", o);
            return;
        }
    }
    if (is_elf(img, len))
        fail(note, notelen, "ELF image without a multiboot header in its first %u bytes: "
             "only multiboot (v1) ELF kernels are supported", MB1_SEARCH_LIMIT);
    else
        fail(note, notelen, "no multiboot header (magic %#x, 4-byte aligned, valid checksum) "
             "in the first %u bytes, and the image is not configured as raw",
             MB1_HEADER_MAGIC, MB1_SEARCH_LIMIT);
}

enum image_format image_detect(const uint8_t *img, size_t len, bool allow_raw,
                               char *note, size_t notelen)
{
    size_t off;

    if (note && notelen)
        note[0] = '\0';
    if (mb1_find_header(img, len, &off) == 0)
        return IMAGE_MULTIBOOT1;
    if (!is_elf(img, len) && allow_raw)
        return IMAGE_RAW;
    explain_no_header(img, len, note, notelen);
    return is_elf(img, len) ? IMAGE_ELF : IMAGE_UNKNOWN;
}

const char *image_format_name(enum image_format f)
{
    switch (f) {
    case IMAGE_MULTIBOOT1:
        return "multiboot";
    case IMAGE_ELF:
        return "ELF";
    case IMAGE_RAW:
        return "raw";
    default:
        return "unknown";
    }
}

/* ---- multiboot: the kernel's segments --------------------------------- */

/* ELF (System V ABI, "ELF Header" and "Program Header"). */
#define EI_CLASS      4
#define EI_DATA       5
#define ELFCLASS32    1
#define ELFCLASS64    2
#define ELFDATA2LSB   1
#define ET_EXEC       2
#define EM_386        3
#define EM_X86_64     62
#define PT_LOAD       1
#define PN_XNUM       0xffff
#define EHDR32_SIZE   52
#define EHDR64_SIZE   64
#define PHDR32_SIZE   32
#define PHDR64_SIZE   56

/* One loadable range, from a program header or from the a.out kludge. */
struct seg {
    uint64_t off, filesz;       /* in the image */
    uint64_t paddr, vaddr, memsz;
};

struct ld {
    const uint8_t *img;
    size_t len;
    const struct guest_mem *m;
    const struct mb1_load_args *a;
    char *err;
    size_t errlen;

    size_t hdr_off;
    uint32_t flags;
    bool aout, elf64;
    uint64_t phoff, phentsize;
    unsigned nseg;              /* program headers, or 1 for a.out */
    struct seg aout_seg;
    uint64_t entry;
};

/* Segment i; false when it loads nothing (not PT_LOAD, or memsz 0). The
 * program header table was checked to lie inside the image. */
static bool get_seg(const struct ld *l, unsigned i, struct seg *s)
{
    if (l->aout) {
        *s = l->aout_seg;
        return true;
    }
    const uint8_t *ph = l->img + l->phoff + (uint64_t)i * l->phentsize;
    if (rd32(ph) != PT_LOAD)
        return false;
    if (l->elf64) {
        s->off = rd_le(ph + 8, 8);
        s->vaddr = rd_le(ph + 16, 8);
        s->paddr = rd_le(ph + 24, 8);
        s->filesz = rd_le(ph + 32, 8);
        s->memsz = rd_le(ph + 40, 8);
    } else {
        s->off = rd32(ph + 4);
        s->vaddr = rd32(ph + 8);
        s->paddr = rd32(ph + 12);
        s->filesz = rd32(ph + 16);
        s->memsz = rd32(ph + 20);
    }
    return s->memsz != 0;
}

/*
 * The address fields (3.1.3), used instead of the ELF program headers
 * whenever flag 16 is set, as the specification says: the header is loaded at header_addr, so the
 * file offset loaded at load_addr is hdr_off - (header_addr - load_addr);
 * [load_addr, load_end_addr) comes from the file (load_end_addr 0: to the
 * end of the file), [load_end_addr, bss_end_addr) is zeroed (0: no bss).
 */
static int parse_aout(struct ld *l)
{
    const uint8_t *h = l->img + l->hdr_off;
    uint32_t header_addr = rd32(h + 12), load_addr = rd32(h + 16);
    uint32_t load_end = rd32(h + 20), bss_end = rd32(h + 24);
    struct seg *s = &l->aout_seg;

    if (load_addr > header_addr)
        return fail(l->err, l->errlen, "multiboot address fields: load_addr %#x is above "
                    "header_addr %#x (3.1.3 requires load_addr <= header_addr)",
                    load_addr, header_addr);
    if (header_addr - load_addr > l->hdr_off)
        return fail(l->err, l->errlen, "multiboot address fields: header_addr %#x - load_addr "
                    "%#x puts the load start %#x bytes before the header at file offset %#zx, "
                    "before the start of the file", header_addr, load_addr,
                    header_addr - load_addr, l->hdr_off);
    s->off = l->hdr_off - (header_addr - load_addr);
    if (load_end == 0) {
        s->filesz = l->len - s->off;
    } else {
        if (load_end < load_addr)
            return fail(l->err, l->errlen, "multiboot address fields: load_end_addr %#x is "
                        "below load_addr %#x", load_end, load_addr);
        s->filesz = load_end - load_addr;
        if (s->filesz > l->len - s->off)
            return fail(l->err, l->errlen, "multiboot address fields: [load_addr %#x, "
                        "load_end_addr %#x) needs file bytes [%#llx, %#llx), but the image "
                        "is %zu bytes", load_addr, load_end, (ull)s->off,
                        (ull)(s->off + s->filesz), l->len);
    }
    s->memsz = s->filesz;
    if (bss_end) {
        if ((uint64_t)bss_end < (uint64_t)load_addr + s->filesz)
            return fail(l->err, l->errlen, "multiboot address fields: bss_end_addr %#x is "
                        "below the end of the loaded text and data at %#llx", bss_end,
                        (ull)((uint64_t)load_addr + s->filesz));
        s->memsz = bss_end - load_addr;
    }
    s->paddr = s->vaddr = load_addr;
    if (s->memsz == 0)
        return fail(l->err, l->errlen, "multiboot address fields load nothing");
    l->aout = true;
    l->nseg = 1;
    l->entry = rd32(h + 28);
    return 0;
}

static int parse_elf(struct ld *l)
{
    const uint8_t *e = l->img;
    size_t len = l->len;

    if (!is_elf(e, len))
        return fail(l->err, l->errlen, "the multiboot header's flags (%#x) lack bit 16 "
                    "(address fields), so the kernel must be ELF, but it has no ELF magic",
                    l->flags);
    if (len < EI_DATA + 1 || (e[EI_CLASS] != ELFCLASS32 && e[EI_CLASS] != ELFCLASS64))
        return fail(l->err, l->errlen, "ELF class %u is neither ELFCLASS32 nor ELFCLASS64",
                    len > EI_CLASS ? e[EI_CLASS] : 0u);
    l->elf64 = e[EI_CLASS] == ELFCLASS64;
    size_t ehsize = l->elf64 ? EHDR64_SIZE : EHDR32_SIZE;
    if (len < ehsize)
        return fail(l->err, l->errlen, "ELF%s header needs %zu bytes, the image is %zu",
                    l->elf64 ? "64" : "32", ehsize, len);
    if (e[EI_DATA] != ELFDATA2LSB)
        return fail(l->err, l->errlen, "ELF data encoding %u is not little-endian", e[EI_DATA]);
    unsigned type = (unsigned)rd_le(e + 16, 2), machine = (unsigned)rd_le(e + 18, 2);
    if (type != ET_EXEC)
        return fail(l->err, l->errlen, "ELF type %u is not an executable (ET_EXEC)", type);
    unsigned want = l->elf64 ? EM_X86_64 : EM_386;
    if (machine != want)
        return fail(l->err, l->errlen, "ELF%s machine %u is not %s (%u)",
                    l->elf64 ? "64" : "32", machine, l->elf64 ? "EM_X86_64" : "EM_386", want);

    unsigned phnum;
    if (l->elf64) {
        l->entry = rd_le(e + 24, 8);
        l->phoff = rd_le(e + 32, 8);
        l->phentsize = rd_le(e + 54, 2);
        phnum = (unsigned)rd_le(e + 56, 2);
    } else {
        l->entry = rd32(e + 24);
        l->phoff = rd32(e + 28);
        l->phentsize = rd_le(e + 42, 2);
        phnum = (unsigned)rd_le(e + 44, 2);
    }
    /* The guest starts in 32-bit protected mode (3.2): EIP is 32 bits. */
    if (l->entry > UINT32_MAX)
        return fail(l->err, l->errlen, "ELF64 entry point %#llx is above 4 GiB; a multiboot "
                    "kernel starts in 32-bit protected mode", (ull)l->entry);
    if (phnum == 0)
        return fail(l->err, l->errlen, "ELF has no program headers");
    if (phnum == PN_XNUM)
        return fail(l->err, l->errlen, "ELF uses extended program header numbering "
                    "(e_phnum PN_XNUM), not supported");
    size_t min = l->elf64 ? PHDR64_SIZE : PHDR32_SIZE;
    if (l->phentsize < min)
        return fail(l->err, l->errlen, "ELF program header entry size %llu is below %zu",
                    (ull)l->phentsize, min);
    uint64_t tbl = l->phentsize * phnum;        /* at most 65535 * 65534 */
    if (l->phoff > len || tbl > len - l->phoff)
        return fail(l->err, l->errlen, "ELF program header table [%#llx, %#llx) "
                    "(%u entries of %llu bytes) is outside the %zu-byte image",
                    (ull)l->phoff, (ull)l->phoff + tbl, phnum, (ull)l->phentsize, len);
    l->nseg = phnum;
    return 0;
}

/* Whether type-1 entries of the memory map cover [base, end). */
static bool mmap_available(const struct mb1_load_args *a, uint64_t base, uint64_t end)
{
    uint64_t cur = base;

    while (cur < end) {
        bool found = false;
        for (size_t i = 0; i < a->nr_mmap; i++) {
            const struct mb1_mmap_entry *e = &a->mmap[i];
            if (e->type == MB1_MEM_AVAILABLE && e->base <= cur && cur - e->base < e->len) {
                cur = e->base + e->len;         /* no wrap: checked in check_args() */
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

/* check_ram() plus: the range is available RAM in the guest's memory map
 * and below 4 GiB, where 32-bit addresses and a 32-bit guest reach it. */
static int check_place(struct ld *l, uint64_t gpa, uint64_t len, const char *what)
{
    if (check_ram(l->m, gpa, len, GiB(4), "multiboot addresses are 32 bits", what,
                  l->err, l->errlen))
        return -1;
    if (!mmap_available(l->a, gpa, gpa + len))
        return fail(l->err, l->errlen, "%s [%#llx, %#llx) is not available RAM in the guest's "
                    "memory map", what, (ull)gpa, (ull)(gpa + len));
    return 0;
}

/*
 * Validates every segment (file range, sizes, guest range), finds the
 * kernel's extent and the physical entry point. Nothing is written yet.
 */
static int check_segments(struct ld *l, struct mb1_boot_state *out)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    bool have_entry = false;
    char what[48];

    for (unsigned i = 0; i < l->nseg; i++) {
        struct seg s;
        if (!get_seg(l, i, &s))
            continue;
        hv_snprintf(what, sizeof(what), "kernel segment %u", i);
        if (s.off > l->len || s.filesz > l->len - s.off)
            return fail(l->err, l->errlen, "%s: file bytes [%#llx, %#llx) are outside the "
                        "%zu-byte image", what, (ull)s.off,
                        (ull)(s.off > UINT64_MAX - s.filesz ? UINT64_MAX : s.off + s.filesz),
                        l->len);
        if (s.filesz > s.memsz)
            return fail(l->err, l->errlen, "%s: file size %#llx exceeds memory size %#llx",
                        what, (ull)s.filesz, (ull)s.memsz);
        if (check_place(l, s.paddr, s.memsz, what))
            return -1;
        lo = MIN(lo, s.paddr);
        hi = MAX(hi, s.paddr + s.memsz);
        /* The entry point is an address in the kernel's own view; where
         * that differs from the load address (a higher-half kernel), it is
         * translated through the segment that contains it, as GRUB does. */
        if (!have_entry && l->entry >= s.vaddr && l->entry - s.vaddr < s.memsz) {
            out->eip = (uint32_t)(l->entry - s.vaddr + s.paddr);
            have_entry = true;
        }
    }
    if (hi == 0)
        return fail(l->err, l->errlen, "the kernel has no loadable segments");
    if (!have_entry)
        return fail(l->err, l->errlen, "entry point %#llx is not inside any loaded segment",
                    (ull)l->entry);
    out->kernel_start = lo;
    out->kernel_end = hi;
    return 0;
}

static void load_segments(struct ld *l)
{
    for (unsigned i = 0; i < l->nseg; i++) {
        struct seg s;
        if (!get_seg(l, i, &s))
            continue;
        guest_mem_write(l->m, s.paddr, l->img + s.off, s.filesz);
        guest_mem_write(l->m, s.paddr + s.filesz, NULL, s.memsz - s.filesz);
    }
}

/* ---- multiboot: modules and information ------------------------------- */

static int check_args(struct ld *l)
{
    const struct mb1_load_args *a = l->a;

    if (a->nr_modules > MB1_MAX_MODULES)
        return fail(l->err, l->errlen, "%zu modules, at most %u are supported",
                    a->nr_modules, MB1_MAX_MODULES);
    if (a->nr_modules && !a->modules)
        return fail(l->err, l->errlen, "%zu modules but no module list", a->nr_modules);
    if (a->nr_mmap == 0 || !a->mmap || a->nr_mmap > MB1_MAX_MMAP)
        return fail(l->err, l->errlen, "the guest memory map has %zu entries, it needs 1 to %u",
                    a->mmap ? a->nr_mmap : 0, MB1_MAX_MMAP);
    for (size_t i = 0; i < a->nr_mmap; i++)
        if (a->mmap[i].base > UINT64_MAX - a->mmap[i].len)
            return fail(l->err, l->errlen, "guest memory map entry %zu (base %#llx, length "
                        "%#llx) wraps around", i, (ull)a->mmap[i].base, (ull)a->mmap[i].len);
    /* 3.3: lower memory starts at 0 and is at most 640 KiB. */
    if (a->mem_lower_kb > 640)
        return fail(l->err, l->errlen, "mem_lower %u KiB is above the 640 KiB of lower memory",
                    a->mem_lower_kb);
    return 0;
}

/* 3.3: upper memory starts at 1 MiB and runs to the first hole. */
static uint32_t mem_upper_kb(const struct mb1_load_args *a)
{
    uint64_t cur = MiB(1);

    for (;;) {
        bool found = false;
        for (size_t i = 0; i < a->nr_mmap; i++) {
            const struct mb1_mmap_entry *e = &a->mmap[i];
            if (e->type == MB1_MEM_AVAILABLE && e->base <= cur && cur - e->base < e->len) {
                cur = e->base + e->len;
                found = true;
                break;
            }
        }
        if (!found)
            break;
    }
    uint64_t kb = (cur - MiB(1)) >> 10;
    return kb > UINT32_MAX ? UINT32_MAX : (uint32_t)kb;
}

static size_t str_size(const char *s)
{
    return (s ? strlen(s) : 0) + 1;
}

static int place_and_write(struct ld *l, struct mb1_boot_state *out)
{
    const struct mb1_load_args *a = l->a;
    char what[48];

    /* From the first page at or above both the kernel's end and 1 MiB:
     * never over the kernel, and never in the legacy 0xA0000-0xFFFFF
     * window below a kernel loaded low. Modules are always page-aligned,
     * which satisfies header flag bit 0 whether or not it is set. */
    uint64_t first = MAX(ALIGN_UP(out->kernel_end, PAGE_SIZE), MiB(1));
    uint64_t at = first;

    for (size_t i = 0; i < a->nr_modules; i++) {
        hv_snprintf(what, sizeof(what), "module %zu (%zu bytes)", i, a->modules[i].len);
        if (check_place(l, at, a->modules[i].len, what))
            return -1;
        at = ALIGN_UP(at + a->modules[i].len, PAGE_SIZE);
    }

    /* One block: information, module list, memory map, strings. */
    const char *name = a->kernel_name && a->kernel_name[0] ? a->kernel_name : NULL;
    const char *args = a->cmdline ? a->cmdline : "";
    size_t name_len = name ? strlen(name) : 0, args_len = strlen(args);
    uint64_t info = at;
    uint64_t mods = info + MB1_INFO_SIZE;
    uint64_t mmap = mods + (uint64_t)a->nr_modules * MB1_MODULE_SIZE;
    uint64_t cmdline = mmap + (uint64_t)a->nr_mmap * MB1_MMAP_ENTRY_SIZE;
    uint64_t cmdline_size = name_len + (name && args_len ? 1 : 0) + args_len + 1;
    uint64_t loader = cmdline + cmdline_size;
    uint64_t strs = loader + sizeof(MB1_LOADER_NAME);
    uint64_t end = strs;
    for (size_t i = 0; i < a->nr_modules; i++)
        end += str_size(a->modules[i].string);
    if (check_place(l, info, end - info, "multiboot information"))
        return -1;

    /* Everything fits: write. */
    load_segments(l);

    uint8_t b[MB1_INFO_SIZE];
    memset(b, 0, sizeof(b));
    wr32(b + MB1_INFO_FLAGS, (uint32_t)(MB1_IF_MEM | MB1_IF_CMDLINE | MB1_IF_MODS |
                                        MB1_IF_MMAP | MB1_IF_LOADER_NAME));
    wr32(b + MB1_INFO_MEM_LOWER, a->mem_lower_kb);
    wr32(b + MB1_INFO_MEM_UPPER, mem_upper_kb(a));
    wr32(b + MB1_INFO_CMDLINE, (uint32_t)cmdline);
    wr32(b + MB1_INFO_MODS_COUNT, (uint32_t)a->nr_modules);
    wr32(b + MB1_INFO_MODS_ADDR, (uint32_t)mods);
    wr32(b + MB1_INFO_MMAP_LENGTH, (uint32_t)(a->nr_mmap * MB1_MMAP_ENTRY_SIZE));
    wr32(b + MB1_INFO_MMAP_ADDR, (uint32_t)mmap);
    wr32(b + MB1_INFO_LOADER_NAME, (uint32_t)loader);
    guest_mem_write(l->m, info, b, sizeof(b));

    uint64_t s = strs, mod = first;
    for (size_t i = 0; i < a->nr_modules; i++) {
        const char *str = a->modules[i].string ? a->modules[i].string : "";
        size_t n = strlen(str) + 1, mlen = a->modules[i].len;
        uint8_t e[MB1_MODULE_SIZE];
        guest_mem_write(l->m, mod, a->modules[i].data, mlen);
        /* mod_end is the first byte after the module, as GRUB and QEMU set it. */
        wr32(e + 0, (uint32_t)mod);
        wr32(e + 4, (uint32_t)(mod + mlen));
        wr32(e + 8, (uint32_t)s);
        wr32(e + 12, 0);
        guest_mem_write(l->m, mods + i * MB1_MODULE_SIZE, e, sizeof(e));
        guest_mem_write(l->m, s, str, n);
        s += n;
        mod = ALIGN_UP(mod + mlen, PAGE_SIZE);
    }
    /* 3.3: each entry is preceded by its size (20, not counting itself);
     * mmap_addr points at the first size field. */
    for (size_t i = 0; i < a->nr_mmap; i++) {
        uint8_t e[MB1_MMAP_ENTRY_SIZE];
        wr32(e + 0, MB1_MMAP_ENTRY_SIZE - 4);
        wr64(e + 4, a->mmap[i].base);
        wr64(e + 12, a->mmap[i].len);
        wr32(e + 20, a->mmap[i].type);
        guest_mem_write(l->m, mmap + i * MB1_MMAP_ENTRY_SIZE, e, sizeof(e));
    }
    /* GRUB's command line: the kernel's file name, a space, its arguments. */
    uint64_t c = cmdline;
    if (name) {
        guest_mem_write(l->m, c, name, name_len);
        c += name_len;
        if (args_len)
            guest_mem_write(l->m, c++, " ", 1);
    }
    guest_mem_write(l->m, c, args, args_len + 1);
    guest_mem_write(l->m, loader, MB1_LOADER_NAME, sizeof(MB1_LOADER_NAME));

    out->ebx = (uint32_t)info;
    out->end = end;
    return 0;
}

int mb1_load(const uint8_t *img, size_t len, const struct guest_mem *m,
             const struct mb1_load_args *args, struct mb1_boot_state *out,
             char *err, size_t errlen)
{
    struct ld l = {
        .img = img, .len = len, .m = m, .a = args, .err = err, .errlen = errlen,
    };

    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (mb1_find_header(img, len, &l.hdr_off)) {
        explain_no_header(img, len, err, errlen);
        return -1;
    }
    l.flags = rd32(img + l.hdr_off + 4);
    out->header_flags = l.flags;

    /* 3.1.2: bits 0-15 are requirements; refuse one we do not know. */
    uint32_t unknown = l.flags & 0xffffu & ~(uint32_t)MB1_HF_KNOWN_REQUIRED;
    if (unknown)
        return fail(err, errlen, "multiboot header flags %#x: required bit %d is not "
                    "supported, so the kernel must not be booted (3.1.2)", l.flags,
                    __builtin_ctz(unknown));

    /* 3.1, 3.1.1: the fields the flags make valid are part of the header,
     * which lies entirely in the first 8192 bytes: address fields (3.1.3)
     * end at offset 32, video fields (3.1.4) at 48, whether or not the
     * address fields are valid. */
    size_t need = (l.flags & MB1_HF_VIDEO_MODE) ? 48 : (l.flags & MB1_HF_AOUT_KLUDGE) ? 32 : 12;
    size_t lim = MIN(len, (size_t)MB1_SEARCH_LIMIT);
    if (l.hdr_off + need > lim)
        return fail(err, errlen, "multiboot header at offset %#zx: flags %#x need %zu header "
                    "bytes, but the %s ends at offset %#zx", l.hdr_off, l.flags, need,
                    len < MB1_SEARCH_LIMIT ? "image" : "8192-byte search area", lim);

    if (check_args(&l))
        return -1;
    if ((l.flags & MB1_HF_AOUT_KLUDGE) ? parse_aout(&l) : parse_elf(&l))
        return -1;
    if (check_segments(&l, out))
        return -1;
    if (place_and_write(&l, out))
        return -1;
    out->eax = MB1_BOOTLOADER_MAGIC;
    return 0;
}

/* ---- raw images ------------------------------------------------------- */

int raw_load(const uint8_t *img, size_t len, const struct guest_mem *m,
             uint64_t load_gpa, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (len == 0)
        return fail(err, errlen, "raw image is empty");
    if (check_ram(m, load_gpa, len, RAW_IMAGE_LIMIT,
                  "a real-mode image must end at or below 1 MiB", "raw image",
                  err, errlen))
        return -1;
    guest_mem_write(m, load_gpa, img, len);
    return 0;
}
