/*
 * Linux guests, placing and writing (include/hv/linux_boot.h): the e820
 * map of the guest layout, initramfs placement, the zero page (boot.rst
 * and zero-page.rst, offsets of arch/x86/include/uapi/asm/bootparam.h),
 * the PVH hvm_start_info (Xen public/arch-x86/hvm/start_info.h), and the
 * loads that put them together.
 *
 * Every guest range is checked against the e820 map and guest RAM (the
 * guest_mem callback, page by page) before anything is written; guest
 * memory is written only through guest_mem_write() or through the pointer to
 * one checked page.
 */
#include <hv/linux_boot.h>
#include <hv/guest_layout.h>
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

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
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

/* Whether every page of [gpa, gpa + len) is accepted by the callback
 * (len > 0, no wrap: checked by the callers). */
static int check_mem(const struct guest_mem *m, uint64_t gpa, uint64_t len, const char *what,
                     char *err, size_t errlen)
{
    uint64_t end = gpa + len;

    if (end > m->size)
        return fail(err, errlen, "%s [%#llx, %#llx) is beyond the guest's memory (%#llx)",
                    what, (ull)gpa, (ull)end, (ull)m->size);
    return guest_mem_check_pages(m, gpa, end, what, err, errlen);
}


/* ---- e820 ---------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int e820_build(uint64_t ram_size, const struct e820_entry *extra, size_t nr_extra,
               struct e820_entry *out, size_t max, size_t *nr, char *err, size_t errlen)
{
    char sz[32];

    *nr = 0;
    if (ram_size <= MiB(1))
        return fail(err, errlen, "e820: guest memory of %s is too small: a Linux guest needs "
                    "RAM above 1 MiB", size_str(sz, sizeof(sz), ram_size));
    if (nr_extra > E820_MAX_EXTRA || (nr_extra && !extra))
        return fail(err, errlen, "e820: %zu extra ranges, at most %u are supported",
                    nr_extra, E820_MAX_EXTRA);
    for (size_t i = 0; i < nr_extra; i++) {
        const struct e820_entry *e = &extra[i];
        if (e->size == 0 || e->addr > UINT64_MAX - e->size)
            return fail(err, errlen, "e820: extra range %zu (%#llx, size %#llx) is empty or "
                        "wraps around", i, (ull)e->addr, (ull)e->size);
        if (e->type < E820_RESERVED || e->type > E820_UNUSABLE)
            return fail(err, errlen, "e820: extra range %zu [%#llx, %#llx) has type %u; only "
                        "the reserved types 2-5 may be added", i, (ull)e->addr,
                        (ull)(e->addr + e->size), e->type);
        for (size_t j = 0; j < i; j++)
            if (overlaps(e->addr, e->size, extra[j].addr, extra[j].size))
                return fail(err, errlen, "e820: extra range %zu [%#llx, %#llx) overlaps extra "
                            "range %zu [%#llx, %#llx)", i, (ull)e->addr,
                            (ull)(e->addr + e->size), j, (ull)extra[j].addr,
                            (ull)(extra[j].addr + extra[j].size));
    }

    /* The base map: guest_layout.h's RAM with the legacy area reserved. */
    struct guest_ram_region r[2];
    unsigned nr_ram = guest_ram_layout(ram_size, r);
    struct e820_entry base[4];
    unsigned nb = 0;
    base[nb++] = (struct e820_entry){ 0, E820_LOW_RAM_END, E820_RAM };
    base[nb++] = (struct e820_entry){ E820_LOW_RAM_END, MiB(1) - E820_LOW_RAM_END,
                                      E820_RESERVED };
    base[nb++] = (struct e820_entry){ MiB(1), r[0].size - MiB(1), E820_RAM };
    if (nr_ram == 2)
        base[nb++] = (struct e820_entry){ r[1].gpa, r[1].size, E820_RAM };

    /* Cut the address space at every start and end, then give each piece
     * the type of the extra range covering it, else of the base map. */
    uint64_t cut[2 * (4 + E820_MAX_EXTRA)];
    size_t nc = 0;
    for (unsigned i = 0; i < nb; i++) {
        cut[nc++] = base[i].addr;
        cut[nc++] = base[i].addr + base[i].size;
    }
    for (size_t i = 0; i < nr_extra; i++) {
        cut[nc++] = extra[i].addr;
        cut[nc++] = extra[i].addr + extra[i].size;
    }
    for (size_t i = 1; i < nc; i++)
        for (size_t j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
            uint64_t t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }

    size_t n = 0;
    for (size_t i = 0; i + 1 < nc; i++) {
        uint64_t a = cut[i], b = cut[i + 1];
        uint32_t type = 0;
        if (a == b)
            continue;
        for (size_t k = 0; k < nr_extra && !type; k++)
            if (a >= extra[k].addr && a - extra[k].addr < extra[k].size)
                type = extra[k].type;
        for (unsigned k = 0; k < nb && !type; k++)
            if (a >= base[k].addr && a - base[k].addr < base[k].size)
                type = base[k].type;
        if (!type)
            continue;
        if (n && out[n - 1].type == type && out[n - 1].addr + out[n - 1].size == a) {
            out[n - 1].size += b - a;
            continue;
        }
        if (n == max)
            return fail(err, errlen, "e820: the map needs more than %zu entries", max);
        out[n++] = (struct e820_entry){ a, b - a, type };
    }
    *nr = n;
    return 0;
}

bool e820_is_ram(const struct e820_entry *map, size_t n, uint64_t addr, uint64_t size)
{
    uint64_t cur = addr, end = addr + size;

    if (size == 0 || addr > UINT64_MAX - size)
        return false;
    while (cur < end) {
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            const struct e820_entry *e = &map[i];
            if (e->type == E820_RAM && cur >= e->addr && cur - e->addr < e->size) {
                cur = e->addr + e->size;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

/* ---- initramfs placement --------------------------------------------------- */

int linux_place_initrd(const struct e820_entry *map, size_t n, uint64_t size,
                       uint64_t above, uint64_t limit, uint64_t *gpa,
                       char *err, size_t errlen)
{
    char sz[32];
    bool found = false;
    uint64_t best = 0;

    if (size == 0)
        return fail(err, errlen, "initramfs is empty");
    for (size_t i = 0; i < n; i++) {
        const struct e820_entry *e = &map[i];
        if (e->type != E820_RAM || e->addr > UINT64_MAX - e->size)
            continue;
        uint64_t lo = MAX(e->addr, above), hi = MIN(e->addr + e->size, limit);
        if (hi <= lo || hi - lo < size)
            continue;
        uint64_t at = ALIGN_DOWN(hi - size, PAGE_SIZE);
        if (at < lo)
            continue;
        if (!found || at > best)
            best = at;
        found = true;
    }
    if (!found)
        return fail(err, errlen, "initramfs of %s does not fit in the guest's RAM between "
                    "%#llx (the end of the kernel) and %#llx (the highest address the kernel "
                    "takes it at)", size_str(sz, sizeof(sz), size), (ull)above, (ull)limit);
    *gpa = best;
    return 0;
}

/* ---- zero page (struct boot_params) ------------------------------------- */

#define ZP_ACPI_RSDP        0x070
#define ZP_E820_ENTRIES     0x1e8
#define ZP_HDR_VID_MODE     0x1fa
#define ZP_HDR_LOADER       0x210
#define ZP_HDR_CODE32       0x214
#define ZP_HDR_RAMDISK      0x218
#define ZP_HDR_RAMDISK_SIZE 0x21c
#define ZP_HDR_CMDLINE      0x228
#define ZP_HDR_SUBARCH      0x23c
#define ZP_HDR_SETUP_DATA   0x250
#define ZP_E820_TABLE       0x2d0
#define ZP_E820_ENTRY_SIZE  20
#define LOADER_UNDEFINED    0xff        /* boot.rst type_of_loader: no assigned id */

/* Checks that the one page at gpa is guest RAM; returns it or NULL. */
static uint8_t *boot_page(const struct guest_mem *m, uint64_t gpa, const char *what,
                          char *err, size_t errlen)
{
    uint8_t *p = NULL;

    if (!IS_ALIGNED(gpa, PAGE_SIZE))
        fail(err, errlen, "%s at %#llx is not page aligned", what, (ull)gpa);
    else if (check_mem(m, gpa, PAGE_SIZE, what, err, errlen) == 0)
        p = m->ptr(m->ctx, gpa, PAGE_SIZE);
    return p;
}

int linux_zero_page_write(const struct guest_mem *m, uint64_t gpa, const uint8_t *img,
                          const struct bzimage_info *bz, const struct linux_boot_state *st,
                          char *err, size_t errlen)
{
    if (st->nr_e820 > E820_MAX_ENTRIES)
        return fail(err, errlen, "zero page: %zu e820 entries, at most %u fit",
                    st->nr_e820, E820_MAX_ENTRIES);
    if (st->cmdline > UINT32_MAX || st->initrd > UINT32_MAX || st->initrd_len > UINT32_MAX ||
        bz->load_addr > UINT32_MAX)
        return fail(err, errlen, "zero page: the command line, kernel and initramfs must lie "
                    "below 4 GiB (the ext_* high halves are not used)");
    uint8_t *zp = boot_page(m, gpa, "zero page", err, errlen);
    if (!zp)
        return -1;

    /* boot.rst, 32/64-bit boot protocol: zero it, copy the setup header
     * [0x1f1, 0x202 + byte at 0x201) from the image, fill in the rest. */
    memset(zp, 0, PAGE_SIZE);
    memcpy(zp + BZ_SETUP_HEADER, img + BZ_SETUP_HEADER, bz->header_end - BZ_SETUP_HEADER);
    zp[ZP_HDR_LOADER] = LOADER_UNDEFINED;
    wr16(zp + ZP_HDR_VID_MODE, 0xffff);                 /* "normal" */
    wr32(zp + ZP_HDR_CODE32, (uint32_t)bz->load_addr);  /* reloc: point it at the load */
    wr32(zp + ZP_HDR_RAMDISK, (uint32_t)st->initrd);
    wr32(zp + ZP_HDR_RAMDISK_SIZE, (uint32_t)st->initrd_len);
    wr32(zp + ZP_HDR_CMDLINE, (uint32_t)st->cmdline);
    wr32(zp + ZP_HDR_SUBARCH, 0);                       /* the default x86/PC */
    if (bz->header_end >= ZP_HDR_SETUP_DATA + 8)
        wr64(zp + ZP_HDR_SETUP_DATA, 0);                /* no setup_data list */
    wr64(zp + ZP_ACPI_RSDP, st->rsdp);                  /* read by 2.14+ */
    zp[ZP_E820_ENTRIES] = (uint8_t)st->nr_e820;
    for (size_t i = 0; i < st->nr_e820; i++) {
        uint8_t *e = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;
        wr64(e, st->e820[i].addr);
        wr64(e + 8, st->e820[i].size);
        wr32(e + 16, st->e820[i].type);
    }
    return 0;
}

/* ---- PVH start_info ------------------------------------------------------- */

#define PVH_MODLIST_ENTRY   32
#define PVH_MEMMAP_ENTRY    24

int pvh_start_info_write(const struct guest_mem *m, uint64_t gpa,
                         const struct linux_boot_state *st, char *err, size_t errlen)
{
    if (st->nr_e820 > E820_MAX_ENTRIES)
        return fail(err, errlen, "start_info: %zu memory map entries, at most %u fit",
                    st->nr_e820, E820_MAX_ENTRIES);
    STATIC_ASSERT(PVH_MEMMAP_OFFSET + E820_MAX_ENTRIES * PVH_MEMMAP_ENTRY <= PAGE_SIZE,
                  "the PVH memory map fits in the boot page");
    uint8_t *p = boot_page(m, gpa, "start_info", err, errlen);
    if (!p)
        return -1;

    memset(p, 0, PAGE_SIZE);
    wr32(p + 0, PVH_START_MAGIC);
    wr32(p + 4, 1);                                     /* version: memmap present */
    wr32(p + 8, 0);                                     /* flags */
    wr32(p + 12, st->initrd ? 1 : 0);                   /* nr_modules */
    wr64(p + 16, st->initrd ? gpa + PVH_MODLIST_OFFSET : 0);
    wr64(p + 24, st->cmdline);
    wr64(p + 32, st->rsdp);
    wr64(p + 40, gpa + PVH_MEMMAP_OFFSET);
    wr32(p + 48, (uint32_t)st->nr_e820);
    if (st->initrd) {
        uint8_t *mod = p + PVH_MODLIST_OFFSET;
        wr64(mod + 0, st->initrd);
        wr64(mod + 8, st->initrd_len);                  /* cmdline_paddr 0: none */
    }
    for (size_t i = 0; i < st->nr_e820; i++) {
        uint8_t *e = p + PVH_MEMMAP_OFFSET + i * PVH_MEMMAP_ENTRY;
        wr64(e, st->e820[i].addr);
        wr64(e + 8, st->e820[i].size);
        wr32(e + 16, st->e820[i].type);
    }
    return 0;
}

/* ---- loads --------------------------------------------------------------- */

/* Checks a range the load writes or the kernel uses: RAM in the e820 map
 * and accepted by the callback. */
static int check_place(const struct guest_mem *m, const struct linux_boot_state *st,
                       uint64_t gpa, uint64_t len, const char *what, char *err, size_t errlen)
{
    if (!e820_is_ram(st->e820, st->nr_e820, gpa, len))
        return fail(err, errlen, "%s [%#llx, %#llx) is not RAM in the guest's e820 map",
                    what, (ull)gpa, (ull)(gpa + len));
    return check_mem(m, gpa, len, what, err, errlen);
}

/*
 * What both loads share, once the kernel's footprint is known: the e820
 * map, the boot page and command line (RAM, clear of the kernel), the
 * initramfs placed below `limit`. Nothing is written.
 */
static int plan(const struct guest_mem *m, const struct linux_load_args *a,
                uint64_t initrd_limit, uint32_t cmdline_max, struct linux_boot_state *st,
                char *err, size_t errlen)
{
    const char *cmd = a->cmdline ? a->cmdline : "";
    size_t clen = strnlen(cmd, LINUX_CMDLINE_MAX);

    if (clen >= LINUX_CMDLINE_MAX || clen > cmdline_max)
        return fail(err, errlen, "the command line is %s%zu bytes, the kernel takes at most %u",
                    clen >= LINUX_CMDLINE_MAX ? "over " : "", clen,
                    MIN(cmdline_max, LINUX_CMDLINE_MAX - 1));
    if (a->initrd_len && !a->initrd)
        return fail(err, errlen, "initramfs of %zu bytes without data", a->initrd_len);
    if (e820_build(a->ram_size, a->reserved, a->nr_reserved, st->e820, E820_MAX_ENTRIES,
                   &st->nr_e820, err, errlen))
        return -1;
    if (check_place(m, st, st->kernel_start, st->kernel_end - st->kernel_start,
                    "the kernel", err, errlen))
        return -1;

    st->boot_info = LINUX_BOOT_INFO_GPA;
    st->cmdline = LINUX_CMDLINE_GPA;
    st->cmdline_len = (uint32_t)clen;
    st->rsdp = a->rsdp;
    struct { uint64_t gpa, len; const char *what; } low[] = {
        { st->boot_info, PAGE_SIZE, "the boot information page" },
        { st->cmdline, clen + 1, "the command line" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(low); i++) {
        if (check_place(m, st, low[i].gpa, low[i].len, low[i].what, err, errlen))
            return -1;
        if (overlaps(low[i].gpa, low[i].len, st->kernel_start,
                     st->kernel_end - st->kernel_start))
            return fail(err, errlen, "%s [%#llx, %#llx) overlaps the kernel [%#llx, %#llx)",
                        low[i].what, (ull)low[i].gpa, (ull)(low[i].gpa + low[i].len),
                        (ull)st->kernel_start, (ull)st->kernel_end);
    }

    if (a->initrd_len) {
        if (linux_place_initrd(st->e820, st->nr_e820, a->initrd_len,
                               MAX(st->kernel_end, MiB(1)), initrd_limit, &st->initrd,
                               err, errlen))
            return -1;
        st->initrd_len = a->initrd_len;
        if (check_mem(m, st->initrd, st->initrd_len, "initramfs", err, errlen))
            return -1;
    }
    return 0;
}

static void write_common(const struct guest_mem *m, const struct linux_load_args *a,
                         const struct linux_boot_state *st)
{
    guest_mem_write(m, st->cmdline, a->cmdline ? a->cmdline : "", st->cmdline_len);
    guest_mem_write(m, st->cmdline + st->cmdline_len, NULL, 1);
    if (st->initrd_len)
        guest_mem_write(m, st->initrd, a->initrd, st->initrd_len);
}

int linux_bzimage_load(const uint8_t *img, size_t len, const struct guest_mem *m,
                       const struct linux_load_args *args, struct linux_boot_state *out,
                       char *err, size_t errlen)
{
    struct bzimage_info bz;

    memset(out, 0, sizeof(*out));
    if (bzimage_parse(img, len, &bz, err, errlen))
        return -1;
    out->mode = bz.entry64 ? LINUX_ENTRY_64 : LINUX_ENTRY_32;
    out->entry = bz.entry;
    out->kernel_start = bz.load_addr;
    out->kernel_end = bz.load_addr + bz.init_size;
    /* boot.rst initrd_addr_max: the highest byte the initramfs may use. */
    if (plan(m, args, MIN((uint64_t)bz.initrd_addr_max + 1, GiB(4)), bz.cmdline_size,
             out, err, errlen))
        return -1;

    guest_mem_write(m, bz.load_addr, img + bz.pm_offset, bz.pm_size);
    write_common(m, args, out);
    return linux_zero_page_write(m, out->boot_info, img, &bz, out, err, errlen);
}

int linux_pvh_load(const uint8_t *img, size_t len, const struct guest_mem *m,
                   const struct linux_load_args *args, struct linux_boot_state *out,
                   char *err, size_t errlen)
{
    struct pvh_info pvh;

    memset(out, 0, sizeof(*out));
    if (pvh_parse(img, len, &pvh, err, errlen))
        return -1;
    out->mode = LINUX_ENTRY_PVH;
    out->entry = pvh.entry;
    /* The footprint spans the segments and the gaps between them: all of
     * it must be RAM (plan() checks), as the kernel's own image is. */
    out->kernel_start = pvh.start;
    out->kernel_end = pvh.end;
    if (plan(m, args, GiB(4), LINUX_CMDLINE_MAX - 1, out, err, errlen))
        return -1;

    for (unsigned i = 0; i < pvh.nr_segments; i++) {
        const struct pvh_segment *s = &pvh.seg[i];
        guest_mem_write(m, s->paddr, img + s->offset, s->filesz);
        guest_mem_write(m, s->paddr + s->filesz, NULL, s->memsz - s->filesz);
    }
    write_common(m, args, out);
    return pvh_start_info_write(m, out->boot_info, out, err, errlen);
}
