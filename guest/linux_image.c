/*
 * Linux images (include/hv/linux_boot.h): the bzImage setup header and the
 * PVH entry note of an ELF64 vmlinux.
 *
 * Offsets are those of boot.rst's "The Real-Mode Kernel Header" table (the
 * setup header at 0x1f1 of the file) and of the System V ABI's ELF-64
 * "ELF Header", "Program Header", "Sections" and "Note Section". The image
 * is read only at offsets first shown to lie inside it, with arithmetic in
 * 64 bits checked for wrap-around.
 */
#include <hv/linux_boot.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <stdarg.h>

typedef unsigned long long ull;

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

#define RD16(p) ((uint16_t)rd_le((p), 2))
#define RD32(p) ((uint32_t)rd_le((p), 4))
#define RD64(p) rd_le((p), 8)

/* ---- bzImage ------------------------------------------------------------ */

/* Setup header fields (boot.rst), as offsets into the file. */
#define H_SETUP_SECTS       0x1f1
#define H_SYSSIZE           0x1f4
#define H_BOOT_FLAG         0x1fe
#define H_JUMP              0x200
#define H_HEADER            0x202
#define H_VERSION           0x206
#define H_LOADFLAGS         0x211
#define H_INITRD_ADDR_MAX   0x22c
#define H_KERNEL_ALIGNMENT  0x230
#define H_RELOCATABLE       0x234
#define H_XLOADFLAGS        0x236
#define H_CMDLINE_SIZE      0x238
#define H_PREF_ADDRESS      0x258
#define H_INIT_SIZE         0x260

/* The setup header is copied into struct boot_params at the same offset,
 * up to the edd_mbr_sig_buffer at 0x290 (bootparam.h). */
#define ZP_HEADER_LIMIT     0x290
#define BZ_DEFAULT_LOAD     0x100000ULL     /* boot.rst "Loading The Rest of The Kernel" */

static const char *ver(char *buf, size_t n, uint16_t v)
{
    hv_snprintf(buf, n, "%u.%02u", v >> 8, v & 0xff);
    return buf;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
                  char *err, size_t errlen)
{
    char v[16];

    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (len < H_VERSION + 2)
        return fail(err, errlen, "bzImage: the file is %zu bytes, too short for the setup "
                    "header at 0x1f1-0x207", len);
    if (RD32(img + H_HEADER) != BZ_HDRS_MAGIC)
        return fail(err, errlen, "bzImage: no \"HdrS\" magic at offset 0x202 (found %#x): "
                    "not a Linux x86 kernel image", RD32(img + H_HEADER));
    if (RD16(img + H_BOOT_FLAG) != 0xaa55)
        return fail(err, errlen, "bzImage: boot_flag at 0x1fe is %#x, not 0xaa55",
                    RD16(img + H_BOOT_FLAG));
    out->version = RD16(img + H_VERSION);
    if (out->version < BZ_MIN_VERSION)
        return fail(err, errlen, "bzImage: boot protocol %s is older than 2.06",
                    ver(v, sizeof(v), out->version));

    /* boot.rst, 32-bit boot protocol: the header ends at 0x202 + the byte
     * at 0x201, the displacement of the short jump at 0x200. */
    if (img[H_JUMP] != 0xeb)
        return fail(err, errlen, "bzImage: no short jump (0xeb) at 0x200 but %#x, so the "
                    "setup header's length is unknown", img[H_JUMP]);
    out->header_end = H_HEADER + img[H_JUMP + 1];
    uint32_t need = out->version >= 0x020a ? H_INIT_SIZE + 4 : H_CMDLINE_SIZE + 4;
    if (out->header_end < need)
        return fail(err, errlen, "bzImage: the setup header ends at %#x, but protocol %s "
                    "has fields up to %#x", out->header_end, ver(v, sizeof(v), out->version),
                    need);
    if (out->header_end > ZP_HEADER_LIMIT)
        return fail(err, errlen, "bzImage: the setup header runs to %#x, past the %#x the "
                    "zero page holds", out->header_end, ZP_HEADER_LIMIT);
    if (out->header_end > len)
        return fail(err, errlen, "bzImage: the setup header runs to %#x, past the end of the "
                    "%zu-byte file", out->header_end, len);

    unsigned sects = img[H_SETUP_SECTS] ? img[H_SETUP_SECTS] : 4;   /* boot.rst: 0 means 4 */
    out->setup_size = (sects + 1) * 512;
    if (out->setup_size > len)
        return fail(err, errlen, "bzImage: setup_sects %u runs past the end of the %zu-byte "
                    "file", img[H_SETUP_SECTS], len);
    out->loadflags = img[H_LOADFLAGS];
    if (!(out->loadflags & BZ_LOADED_HIGH))
        return fail(err, errlen, "bzImage: loadflags %#x lack LOADED_HIGH: a zImage, loaded "
                    "below 1 MiB, is not supported", out->loadflags);

    /* syssize (32 bits since 2.04) counts 16-byte paragraphs of
     * protected-mode code; a signed kernel has its signature after them. */
    uint32_t syssize = RD32(img + H_SYSSIZE);
    out->pm_offset = out->setup_size;
    out->pm_size = (uint64_t)syssize * 16;
    if (syssize == 0)
        return fail(err, errlen, "bzImage: syssize is 0: no protected-mode code");
    if (out->pm_size > len - out->pm_offset)
        return fail(err, errlen, "bzImage: syssize %#x (%llu bytes of protected-mode code from "
                    "offset %#llx) runs past the end of the %zu-byte file", syssize,
                    (ull)out->pm_size, (ull)out->pm_offset, len);

    out->initrd_addr_max = RD32(img + H_INITRD_ADDR_MAX);
    out->kernel_alignment = RD32(img + H_KERNEL_ALIGNMENT);
    out->relocatable = img[H_RELOCATABLE] != 0;
    out->cmdline_size = RD32(img + H_CMDLINE_SIZE);
    if (out->version >= 0x020c)
        out->xloadflags = RD16(img + H_XLOADFLAGS);
    out->entry64 = out->xloadflags & BZ_XLF_KERNEL_64;
    if (out->relocatable &&
        (out->kernel_alignment < PAGE_SIZE || out->kernel_alignment > GiB(1) ||
         (out->kernel_alignment & (out->kernel_alignment - 1))))
        return fail(err, errlen, "bzImage: relocatable kernel with kernel_alignment %#x, not a "
                    "power of two from 4 KiB to 1 GiB", out->kernel_alignment);

    if (out->version >= 0x020a) {
        out->pref_address = RD64(img + H_PREF_ADDRESS);
        out->init_size = RD32(img + H_INIT_SIZE);
        if (out->init_size < out->pm_size)
            return fail(err, errlen, "bzImage: init_size %#llx is smaller than the %#llx bytes "
                        "of protected-mode code", (ull)out->init_size, (ull)out->pm_size);
    } else {
        /* 2.06-2.09 have neither: the kernel runs at 1 MiB and says nothing
         * of its footprint; four times the compressed kernel is reserved
         * for the decompressed one. */
        out->pref_address = 0;
        out->init_size = ALIGN_UP(out->pm_size * 4, PAGE_SIZE);
    }
    if (out->pref_address == 0)
        out->pref_address = BZ_DEFAULT_LOAD;
    if (!IS_ALIGNED(out->pref_address, PAGE_SIZE) || out->pref_address < MiB(1))
        return fail(err, errlen, "bzImage: pref_address %#llx is not a page-aligned address at "
                    "or above 1 MiB", (ull)out->pref_address);

    /* boot.rst, init_size: runtime_start = align_up(load_address,
     * kernel_alignment) when relocatable, else pref_address; a relocatable
     * kernel loaded below pref_address moves there itself, so it is
     * loaded at pref_address too. */
    out->load_addr = out->pref_address;
    if (out->relocatable)
        out->load_addr = ALIGN_UP(out->pref_address, (uint64_t)out->kernel_alignment);
    if (out->load_addr > GiB(4) || out->init_size > GiB(4) - out->load_addr)
        return fail(err, errlen, "bzImage: the kernel's footprint [%#llx, +init_size %#llx) "
                    "does not end below 4 GiB", (ull)out->load_addr, (ull)out->init_size);
    out->entry = out->load_addr + (out->entry64 ? BZ_ENTRY64_OFFSET : 0);
    return 0;
}

/* ---- PVH vmlinux ---------------------------------------------------------- */

#define EI_CLASS        4
#define EI_DATA         5
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define ET_EXEC         2
#define EM_X86_64       62
#define PT_LOAD         1
#define PT_NOTE         4
#define SHT_NOTE        7
#define PN_XNUM         0xffff
#define EHDR64_SIZE     64
#define PHDR64_SIZE     56
#define SHDR64_SIZE     64

/* Whether [off, off + size) lies in a file of len bytes. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

/*
 * Walks the notes in file bytes [off, off + size): each a 12-byte header
 * (namesz, descsz, type), the name and the descriptor, each padded to
 * `align` (4, or 8 where the segment or section says so). Returns 1 and
 * sets *entry when the PHYS32_ENTRY note is found, 0 when not, -1 on a
 * malformed note.
 */
static int find_note(const uint8_t *img, uint64_t off, uint64_t size, uint64_t align,
                     const char *where, uint32_t *entry, char *err, size_t errlen)
{
    uint64_t a = align == 8 ? 8 : 4;
    uint64_t p = off, end = off + size;

    while (end - p >= 12) {
        uint64_t namesz = RD32(img + p), descsz = RD32(img + p + 4);
        uint32_t type = RD32(img + p + 8);
        uint64_t name = p + 12;
        uint64_t desc = name + ALIGN_UP(namesz, a);
        uint64_t next = desc + ALIGN_UP(descsz, a);
        /* namesz, descsz < 2^32: no wrap in 64 bits; next may pass `end`
         * by the last descriptor's padding only. */
        if (desc > end || desc + descsz > end)
            return fail(err, errlen, "vmlinux: the note at file offset %#llx (name %llu bytes, "
                        "descriptor %llu bytes) runs past the end of its %s [%#llx, %#llx)",
                        (ull)p, (ull)namesz, (ull)descsz, where, (ull)off, (ull)end);
        if (type == PVH_NOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(img + name, "Xen", 4)) {
            uint64_t v;
            if (descsz == 4)
                v = RD32(img + desc);
            else if (descsz == 8)
                v = RD64(img + desc);
            else
                return fail(err, errlen, "vmlinux: the Xen PHYS32_ENTRY note at file offset "
                            "%#llx has a %llu-byte descriptor, not 4 or 8", (ull)p,
                            (ull)descsz);
            if (v > UINT32_MAX)
                return fail(err, errlen, "vmlinux: the PVH entry %#llx is above 4 GiB",
                            (ull)v);
            *entry = (uint32_t)v;
            return 1;
        }
        if (next >= end)
            break;
        p = next;
    }
    return 0;
}

/* The PHYS32_ENTRY note from the PT_NOTE segments, else the SHT_NOTE
 * sections (a stripped file may have no section headers). */
static int pvh_find_entry(const uint8_t *img, size_t len, uint64_t phoff, uint64_t phentsize,
                          unsigned phnum, uint32_t *entry, char *err, size_t errlen)
{
    char where[48];
    int r;

    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        if (RD32(ph) != PT_NOTE)
            continue;
        uint64_t off = RD64(ph + 8), filesz = RD64(ph + 32), align = RD64(ph + 48);
        if (!in_file(off, filesz, len))
            return fail(err, errlen, "vmlinux: PT_NOTE segment %u: file bytes [%#llx, +%#llx) "
                        "are outside the %zu-byte file", i, (ull)off, (ull)filesz, len);
        hv_snprintf(where, sizeof(where), "PT_NOTE segment %u", i);
        if ((r = find_note(img, off, filesz, align, where, entry, err, errlen)) != 0)
            return r;
    }

    uint64_t shoff = RD64(img + 40), shentsize = RD16(img + 58);
    unsigned shnum = RD16(img + 60);
    if (shoff == 0 || shnum == 0)
        return 0;
    if (shentsize < SHDR64_SIZE)
        return fail(err, errlen, "vmlinux: section header entry size %llu is below %u",
                    (ull)shentsize, SHDR64_SIZE);
    if (!in_file(shoff, shentsize * shnum, len))
        return fail(err, errlen, "vmlinux: section header table [%#llx, +%llu * %u) is "
                    "outside the %zu-byte file", (ull)shoff, (ull)shentsize, shnum, len);
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = img + shoff + (uint64_t)i * shentsize;
        if (RD32(sh + 4) != SHT_NOTE)
            continue;
        uint64_t off = RD64(sh + 24), size = RD64(sh + 32), align = RD64(sh + 48);
        if (!in_file(off, size, len))
            return fail(err, errlen, "vmlinux: SHT_NOTE section %u: file bytes [%#llx, +%#llx) "
                        "are outside the %zu-byte file", i, (ull)off, (ull)size, len);
        hv_snprintf(where, sizeof(where), "SHT_NOTE section %u", i);
        if ((r = find_note(img, off, size, align, where, entry, err, errlen)) != 0)
            return r;
    }
    return 0;
}

int pvh_parse(const uint8_t *img, size_t len, struct pvh_info *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (len < 4 || memcmp(img, "\x7f" "ELF", 4))
        return fail(err, errlen, "vmlinux: no ELF magic");
    if (len < EHDR64_SIZE)
        return fail(err, errlen, "vmlinux: the file is %zu bytes, too short for an ELF64 "
                    "header (64)", len);
    if (img[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "vmlinux: ELF class %u is not ELFCLASS64", img[EI_CLASS]);
    if (img[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "vmlinux: ELF data encoding %u is not little-endian",
                    img[EI_DATA]);
    if (RD16(img + 16) != ET_EXEC)
        return fail(err, errlen, "vmlinux: ELF type %u is not an executable (ET_EXEC)",
                    RD16(img + 16));
    if (RD16(img + 18) != EM_X86_64)
        return fail(err, errlen, "vmlinux: ELF machine %u is not EM_X86_64 (62)",
                    RD16(img + 18));

    uint64_t phoff = RD64(img + 32), phentsize = RD16(img + 54);
    unsigned phnum = RD16(img + 56);
    if (phnum == 0)
        return fail(err, errlen, "vmlinux: no program headers");
    if (phnum == PN_XNUM)
        return fail(err, errlen, "vmlinux: extended program header numbering (PN_XNUM) is "
                    "not supported");
    if (phentsize < PHDR64_SIZE)
        return fail(err, errlen, "vmlinux: program header entry size %llu is below %u",
                    (ull)phentsize, PHDR64_SIZE);
    if (!in_file(phoff, phentsize * phnum, len))
        return fail(err, errlen, "vmlinux: program header table [%#llx, +%llu * %u) is "
                    "outside the %zu-byte file", (ull)phoff, (ull)phentsize, phnum, len);

    out->start = UINT64_MAX;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        if (RD32(ph) != PT_LOAD)
            continue;
        struct pvh_segment s = {
            .offset = RD64(ph + 8), .paddr = RD64(ph + 24),
            .filesz = RD64(ph + 32), .memsz = RD64(ph + 40),
        };
        if (s.memsz == 0)
            continue;
        if (!in_file(s.offset, s.filesz, len))
            return fail(err, errlen, "vmlinux: PT_LOAD segment %u: file bytes [%#llx, +%#llx) "
                        "are outside the %zu-byte file", i, (ull)s.offset, (ull)s.filesz, len);
        if (s.filesz > s.memsz)
            return fail(err, errlen, "vmlinux: PT_LOAD segment %u: file size %#llx exceeds "
                        "memory size %#llx", i, (ull)s.filesz, (ull)s.memsz);
        /* PVH starts in 32-bit protected mode without paging. */
        if (s.paddr > GiB(4) || s.memsz > GiB(4) - s.paddr)
            return fail(err, errlen, "vmlinux: PT_LOAD segment %u [paddr %#llx, +%#llx) does "
                        "not end below 4 GiB", i, (ull)s.paddr, (ull)s.memsz);
        for (unsigned j = 0; j < out->nr_segments; j++) {
            const struct pvh_segment *o = &out->seg[j];
            if (s.paddr < o->paddr + o->memsz && o->paddr < s.paddr + s.memsz)
                return fail(err, errlen, "vmlinux: PT_LOAD segment %u [paddr %#llx, %#llx) "
                            "overlaps [%#llx, %#llx) of an earlier one", i, (ull)s.paddr,
                            (ull)(s.paddr + s.memsz), (ull)o->paddr,
                            (ull)(o->paddr + o->memsz));
        }
        if (out->nr_segments == PVH_MAX_SEGMENTS)
            return fail(err, errlen, "vmlinux: more than %u PT_LOAD segments",
                        PVH_MAX_SEGMENTS);
        out->seg[out->nr_segments++] = s;
        out->start = MIN(out->start, s.paddr);
        out->end = MAX(out->end, s.paddr + s.memsz);
    }
    if (out->nr_segments == 0)
        return fail(err, errlen, "vmlinux: no loadable (PT_LOAD) segments");

    int r = pvh_find_entry(img, len, phoff, phentsize, phnum, &out->entry, err, errlen);
    if (r < 0)
        return -1;
    if (r == 0)
        return fail(err, errlen, "vmlinux: no Xen PHYS32_ENTRY note (type 18): not a PVH "
                    "kernel (CONFIG_PVH)");
    for (unsigned j = 0; j < out->nr_segments; j++)
        if (out->entry >= out->seg[j].paddr &&
            out->entry - out->seg[j].paddr < out->seg[j].filesz)
            return 0;
    return fail(err, errlen, "vmlinux: the PVH entry %#x is not in the file bytes of any "
                "PT_LOAD segment", out->entry);
}
