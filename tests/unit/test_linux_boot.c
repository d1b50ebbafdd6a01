/* Linux guests: bzImage and PVH vmlinux fixtures built in memory, their
 * parsers' results and every refusal, the e820 map of the guest layout,
 * initramfs placement, and the zero page / start_info written into a
 * sparse fake guest RAM, byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hv/linux_boot.h>
#include <hv/guest_layout.h>

/* ---- sparse guest RAM --------------------------------------------------- */

/* Pages are allocated on first use, each its own 4 KiB block (ASan sees a
 * write past a page), filled with 0xCC so zeroing shows. */
struct tmem {
    uint64_t ram_size;
    uint8_t **page;             /* by guest page number, up to guest_ram_end */
    size_t npages;
    uint64_t hole_lo, hole_hi;  /* [lo, hi) refused by the callback */
};

static struct tmem tm;
static struct guest_mem gm;

static uint8_t *tmem_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    struct tmem *t = ctx;
    uint64_t off;

    /* The code promises never to cross a page boundary. */
    assert_true(len > 0);
    assert_true((gpa >> 12) == ((gpa + len - 1) >> 12));
    if (!guest_ram_offset(t->ram_size, gpa, len, &off))
        return NULL;
    if (gpa < t->hole_hi && gpa + len > t->hole_lo)
        return NULL;
    uint8_t **p = &t->page[gpa >> 12];
    if (!*p) {
        *p = malloc(4096);
        assert_non_null(*p);
        memset(*p, 0xCC, 4096);
    }
    return *p + (gpa & 4095);
}

static void ram_free(void)
{
    for (size_t i = 0; i < tm.npages; i++)
        free(tm.page[i]);
    free(tm.page);
    memset(&tm, 0, sizeof(tm));
}

static void ram(uint64_t size)
{
    ram_free();
    tm.ram_size = size;
    tm.npages = guest_ram_end(size) >> 12;
    tm.page = calloc(tm.npages, sizeof(*tm.page));
    assert_non_null(tm.page);
    gm.ptr = tmem_ptr;
    gm.size = guest_ram_end(size);
    gm.ctx = &tm;
}

/* A guest byte: 0xCC when the page was never touched. */
static uint8_t g8(uint64_t gpa)
{
    uint8_t *p = tm.page[gpa >> 12];
    return p ? p[gpa & 4095] : 0xCC;
}

static uint64_t gle(uint64_t gpa, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)g8(gpa + i) << (8 * i);
    return v;
}

static bool gmatch(uint64_t gpa, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g8(gpa + i) != b[i])
            return false;
    return true;
}

static bool gall(uint64_t gpa, uint64_t n, uint8_t v)
{
    for (uint64_t i = 0; i < n; i++)
        if (g8(gpa + i) != v)
            return false;
    return true;
}

/* ---- fixtures ------------------------------------------------------------ */

static void p16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void p32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void p64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#define IMG_MAX 0x4000
static uint8_t img[IMG_MAX];
static size_t img_len;
static char err[256];

/* A 2.15 bzImage: 4 setup sectors, 4 KiB of protected-mode code (bytes
 * 0x40 + i % 64), relocatable, 64-bit entry, pref_address 16 MiB,
 * init_size 8 MiB, initrd_addr_max 2 GiB - 1, cmdline_size 2047. */
#define BZ_PM 0x1000
static void mk_bz(void)
{
    memset(img, 0, sizeof(img));
    img_len = 5 * 512 + BZ_PM;
    img[0x1f1] = 4;
    p16(img + 0x1f2, 0x1234);           /* root_flags: shows the header copy */
    p32(img + 0x1f4, BZ_PM / 16);
    p16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                  /* header to 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    p16(img + 0x206, 0x020f);
    img[0x211] = 0x01;
    p32(img + 0x214, 0x100000);
    p32(img + 0x22c, 0x7fffffff);
    p32(img + 0x230, 0x200000);
    img[0x234] = 1;
    p16(img + 0x236, 0x3);              /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
    p32(img + 0x238, 2047);
    p64(img + 0x250, 0xdeadbeef);       /* setup_data: the loader clears it */
    p64(img + 0x258, 0x1000000);
    p32(img + 0x260, 0x800000);
    for (size_t i = 0; i < BZ_PM; i++)
        img[5 * 512 + i] = (uint8_t)(0x40 + i % 64);
}

static struct bzimage_info bz;

/* Parses from an exactly sized heap copy, so ASan sees any overread. */
static int bz_parse(void)
{
    uint8_t *c = malloc(img_len ? img_len : 1);
    memcpy(c, img, img_len);
    int r = bzimage_parse(c, img_len, &bz, err, sizeof(err));
    free(c);
    return r;
}

#define assert_err(expr, sub) do {                                          \
        assert_int_equal((expr), -1);                                      \
        if (!strstr(err, sub))                                             \
            fail_msg("error \"%s\" lacks \"%s\"", err, sub);               \
    } while (0)

/* A PVH vmlinux: text (file 0x1000, paddr 16 MiB, 4 KiB, bytes 0x11),
 * data + bss (file 0x2000, paddr 16 MiB + 4 KiB, 2 KiB of 0x22 in 12 KiB),
 * a PT_NOTE at 0x3000 with a GNU note and then the Xen PHYS32_ENTRY note
 * (8-byte descriptor 0x1000040); a section header table at 0x3100 with
 * one SHT_NOTE over the same notes. */
#define PVH_ENTRY 0x1000040u
static unsigned nph;

static uint8_t *phdr(unsigned i) { return img + 0x40 + 56 * i; }

static void set_ph(unsigned i, uint32_t type, uint64_t off, uint64_t paddr,
                   uint64_t filesz, uint64_t memsz)
{
    uint8_t *ph = phdr(i);
    p32(ph, type);
    p64(ph + 8, off);
    p64(ph + 16, paddr | 0xffffffff80000000ull);   /* vaddr: the kernel map */
    p64(ph + 24, paddr);
    p64(ph + 32, filesz);
    p64(ph + 40, memsz);
    p64(ph + 48, 4);
    if (i >= nph) {
        nph = i + 1;
        p16(img + 56, (uint16_t)nph);
    }
}

/* The notes at 0x3000; returns their size. desc_len 4 or 8 (or other). */
static size_t put_notes(uint64_t entry, unsigned desc_len)
{
    uint8_t *n = img + 0x3000;
    p32(n, 4); p32(n + 4, 4); p32(n + 8, 1);        /* GNU, type 1, 4 bytes */
    memcpy(n + 12, "GNU", 4);
    p32(n + 16, 0x12345678);
    n += 20;
    p32(n, 4); p32(n + 4, desc_len); p32(n + 8, 18);
    memcpy(n + 12, "Xen", 4);
    p64(n + 16, entry);
    return 20 + 16 + ((desc_len + 3) & ~3u);
}

static void mk_pvh(void)
{
    memset(img, 0, sizeof(img));
    nph = 0;
    img_len = 0x3200;
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 2;
    img[5] = 1;
    img[6] = 1;
    p16(img + 16, 2);
    p16(img + 18, 62);
    p32(img + 20, 1);
    p64(img + 24, 0xffffffff81000000ull);
    p64(img + 32, 0x40);
    p16(img + 52, 64);
    p16(img + 54, 56);
    set_ph(0, 1, 0x1000, 0x1000000, 0x1000, 0x1000);
    set_ph(1, 1, 0x2000, 0x1001000, 0x800, 0x3000);
    size_t notes = put_notes(PVH_ENTRY, 8);
    set_ph(2, 4, 0x3000, 0, notes, notes);
    memset(img + 0x1000, 0x11, 0x1000);
    memset(img + 0x2000, 0x22, 0x800);
    /* Section headers: [0] null, [1] SHT_NOTE over the notes. */
    p64(img + 40, 0x3100);
    p16(img + 58, 64);
    p16(img + 60, 2);
    p32(img + 0x3140 + 4, 7);
    p64(img + 0x3140 + 24, 0x3000);
    p64(img + 0x3140 + 32, notes);
    p64(img + 0x3140 + 48, 4);
}

static struct pvh_info pvh;

static int pvh_parse_(void)
{
    uint8_t *c = malloc(img_len ? img_len : 1);
    memcpy(c, img, img_len);
    int r = pvh_parse(c, img_len, &pvh, err, sizeof(err));
    free(c);
    return r;
}

/* ---- bzImage parser ---------------------------------------------------- */

static void test_bz_parse(void **state)
{
    (void)state;
    mk_bz();
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.version, 0x020f);
    assert_int_equal(bz.setup_size, 2560);
    assert_int_equal(bz.header_end, 0x26c);
    assert_int_equal(bz.pm_offset, 2560);
    assert_int_equal(bz.pm_size, BZ_PM);
    assert_true(bz.entry64);
    assert_true(bz.relocatable);
    assert_int_equal(bz.kernel_alignment, 0x200000);
    assert_int_equal(bz.load_addr, 0x1000000);
    assert_int_equal(bz.entry, 0x1000200);
    assert_int_equal(bz.init_size, 0x800000);
    assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
    assert_int_equal(bz.cmdline_size, 2047);

    /* 32-bit only: entry at the load address. */
    p16(img + 0x236, 0);
    assert_int_equal(bz_parse(), 0);
    assert_false(bz.entry64);
    assert_int_equal(bz.entry, 0x1000000);
    /* Before 2.12 xloadflags is not read. */
    mk_bz();
    p16(img + 0x206, 0x020b);
    assert_int_equal(bz_parse(), 0);
    assert_false(bz.entry64);
    assert_int_equal(bz.xloadflags, 0);

    /* Relocatable: pref_address aligned up to kernel_alignment; not
     * relocatable: pref_address as it is. */
    mk_bz();
    p64(img + 0x258, 0x1100000);
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.load_addr, 0x1200000);
    img[0x234] = 0;
    p32(img + 0x230, 3);                /* ignored when not relocatable */
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.load_addr, 0x1100000);

    /* setup_sects 0 means 4; 2.06 has no pref_address/init_size: loaded
     * at 1 MiB with four times the code reserved. */
    mk_bz();
    img[0x1f1] = 0;
    p16(img + 0x206, 0x0206);
    img[0x201] = 0x3a;                  /* header to 0x23c */
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.setup_size, 2560);
    assert_int_equal(bz.load_addr, 0x200000);       /* relocatable: 1 MiB aligned up */
    img[0x234] = 0;
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.load_addr, 0x100000);
    assert_int_equal(bz.init_size, 4 * BZ_PM);
    /* A signed kernel: bytes after syssize * 16 are not code. */
    mk_bz();
    img_len += 0x300;
    assert_int_equal(bz_parse(), 0);
    assert_int_equal(bz.pm_size, BZ_PM);
}

static void test_bz_errors(void **state)
{
    (void)state;
    mk_bz();
    img_len = 0x100;
    assert_err(bz_parse(), "bzImage: the file is 256 bytes, too short");
    mk_bz();
    memcpy(img + 0x202, "HdrT", 4);
    assert_err(bz_parse(), "bzImage: no \"HdrS\" magic at offset 0x202");
    mk_bz();
    p16(img + 0x1fe, 0x55aa);
    assert_err(bz_parse(), "boot_flag at 0x1fe is 0x55aa, not 0xaa55");
    mk_bz();
    p16(img + 0x206, 0x0203);
    assert_err(bz_parse(), "bzImage: boot protocol 2.03 is older than 2.06");
    assert_string_equal(err, "bzImage: boot protocol 2.03 is older than 2.06");
    mk_bz();
    img[0x200] = 0x90;
    assert_err(bz_parse(), "no short jump (0xeb) at 0x200");
    mk_bz();
    img[0x201] = 0x30;
    assert_err(bz_parse(), "the setup header ends at 0x232, but protocol 2.15 has fields "
               "up to 0x264");
    mk_bz();
    img[0x201] = 0x90;
    assert_err(bz_parse(), "the setup header runs to 0x292, past the 0x290");
    mk_bz();
    img_len = 0x260;
    assert_err(bz_parse(), "the setup header runs to 0x26c, past the end of the 608-byte file");
    mk_bz();
    img[0x1f1] = 200;
    img_len = 8192;
    assert_err(bz_parse(), "setup_sects 200");
    assert_string_equal(err, "bzImage: setup_sects 200 runs past the end of the 8192-byte file");
    mk_bz();
    img[0x211] = 0x80;
    assert_err(bz_parse(), "loadflags 0x80 lack LOADED_HIGH");
    mk_bz();
    p32(img + 0x1f4, 0);
    assert_err(bz_parse(), "syssize is 0");
    mk_bz();
    p32(img + 0x1f4, BZ_PM / 16 + 1);
    assert_err(bz_parse(), "syssize 0x101 (4112 bytes of protected-mode code from offset "
               "0xa00) runs past the end of the 6656-byte file");
    mk_bz();
    p32(img + 0x1f4, 0xffffffff);       /* * 16 does not wrap */
    assert_err(bz_parse(), "runs past the end");
    mk_bz();
    p32(img + 0x230, 0x300000);
    assert_err(bz_parse(), "kernel_alignment 0x300000, not a power of two");
    p32(img + 0x230, 0);
    assert_err(bz_parse(), "kernel_alignment 0, not a power of two");
    mk_bz();
    p32(img + 0x260, BZ_PM - 1);
    assert_err(bz_parse(), "init_size 0xfff is smaller than the 0x1000 bytes");
    mk_bz();
    img[0x234] = 0;
    p64(img + 0x258, 0x80000);
    assert_err(bz_parse(), "pref_address 0x80000 is not a page-aligned address at or above 1 MiB");
    p64(img + 0x258, 0x1000010);
    assert_err(bz_parse(), "pref_address 0x1000010");
    p64(img + 0x258, 0xfff00000);
    assert_err(bz_parse(), "footprint [0xfff00000, +init_size 0x800000) does not end below 4 GiB");
    p64(img + 0x258, 0xfffffffffffff000ull);
    assert_err(bz_parse(), "does not end below 4 GiB");
    /* Every prefix of a good image is refused, never overread. */
    mk_bz();
    size_t full = img_len;
    for (size_t n = 0; n < full; n += (n < 0x300 ? 1 : 97)) {
        img_len = n;
        assert_int_equal(bz_parse(), -1);
        assert_true(err[0] != '\0');
    }
}

/* ---- PVH parser ---------------------------------------------------------- */

static void test_pvh_parse(void **state)
{
    (void)state;
    mk_pvh();
    assert_int_equal(pvh_parse_(), 0);
    assert_int_equal(pvh.entry, PVH_ENTRY);
    assert_int_equal(pvh.nr_segments, 2);
    assert_int_equal(pvh.seg[0].paddr, 0x1000000);
    assert_int_equal(pvh.seg[1].offset, 0x2000);
    assert_int_equal(pvh.seg[1].filesz, 0x800);
    assert_int_equal(pvh.seg[1].memsz, 0x3000);
    assert_int_equal(pvh.start, 0x1000000);
    assert_int_equal(pvh.end, 0x1004000);

    /* A 4-byte descriptor. */
    size_t n = put_notes(PVH_ENTRY + 0x10, 4);
    p64(phdr(2) + 32, n);
    assert_int_equal(pvh_parse_(), 0);
    assert_int_equal(pvh.entry, PVH_ENTRY + 0x10);

    /* No PT_NOTE: found through the SHT_NOTE section. */
    mk_pvh();
    p32(phdr(2), 6);                    /* PT_PHDR */
    assert_int_equal(pvh_parse_(), 0);
    assert_int_equal(pvh.entry, PVH_ENTRY);

    /* memsz 0 segments and other types are skipped. */
    mk_pvh();
    set_ph(3, 1, 0, 0x5000000, 0, 0);
    assert_int_equal(pvh_parse_(), 0);
    assert_int_equal(pvh.nr_segments, 2);
}

static void test_pvh_errors(void **state)
{
    (void)state;
    mk_pvh();
    img[0] = 0;
    assert_err(pvh_parse_(), "vmlinux: no ELF magic");
    mk_pvh();
    img_len = 40;
    assert_err(pvh_parse_(), "too short for an ELF64 header");
    mk_pvh();
    img[4] = 1;
    assert_err(pvh_parse_(), "ELF class 1 is not ELFCLASS64");
    mk_pvh();
    img[5] = 2;
    assert_err(pvh_parse_(), "not little-endian");
    mk_pvh();
    p16(img + 16, 3);
    assert_err(pvh_parse_(), "ELF type 3 is not an executable");
    mk_pvh();
    p16(img + 18, 3);
    assert_err(pvh_parse_(), "ELF machine 3 is not EM_X86_64");
    mk_pvh();
    p16(img + 56, 0);
    assert_err(pvh_parse_(), "no program headers");
    mk_pvh();
    p16(img + 56, 0xffff);
    assert_err(pvh_parse_(), "PN_XNUM");
    mk_pvh();
    p16(img + 54, 32);
    assert_err(pvh_parse_(), "program header entry size 32 is below 56");
    mk_pvh();
    p64(img + 32, 0x3190);
    assert_err(pvh_parse_(), "program header table [0x3190, +56 * 3) is outside the "
               "12800-byte file");
    mk_pvh();
    p64(phdr(1) + 32, 0x1300);
    assert_err(pvh_parse_(), "PT_LOAD segment 1: file bytes [0x2000, +0x1300) are outside");
    mk_pvh();
    p64(phdr(1) + 8, 0xffffffffffffff00ull);
    assert_err(pvh_parse_(), "PT_LOAD segment 1: file bytes");
    mk_pvh();
    p64(phdr(1) + 40, 0x400);
    assert_err(pvh_parse_(), "PT_LOAD segment 1: file size 0x800 exceeds memory size 0x400");
    mk_pvh();
    p64(phdr(1) + 24, 0xfffff000);
    assert_err(pvh_parse_(), "PT_LOAD segment 1 [paddr 0xfffff000, +0x3000) does not end "
               "below 4 GiB");
    mk_pvh();
    p64(phdr(1) + 24, 0xfffffffffffff000ull);
    assert_err(pvh_parse_(), "does not end below 4 GiB");
    mk_pvh();
    p64(phdr(1) + 24, 0x1000800);
    assert_err(pvh_parse_(), "PT_LOAD segment 1 [paddr 0x1000800, 0x1003800) overlaps "
               "[0x1000000, 0x1001000)");
    mk_pvh();
    for (unsigned i = 0; i < 17; i++)
        set_ph(i, 1, 0x1000, 0x2000000 + 0x1000 * i, 0x100, 0x100);
    p64(img + 32, 0x40);
    assert_err(pvh_parse_(), "more than 16 PT_LOAD segments");
    mk_pvh();
    p32(phdr(0), 0);
    p32(phdr(1), 0);
    assert_err(pvh_parse_(), "no loadable (PT_LOAD) segments");

    /* Notes. */
    mk_pvh();
    p64(phdr(2) + 32, 0x28);            /* cuts the Xen note's descriptor */
    assert_err(pvh_parse_(), "vmlinux: the note at file offset 0x3014 (name 4 bytes, "
               "descriptor 8 bytes) runs past the end of its PT_NOTE segment 2");
    mk_pvh();
    p32(img + 0x3014 + 4, 2);
    assert_err(pvh_parse_(), "PHYS32_ENTRY note at file offset 0x3014 has a 2-byte descriptor");
    mk_pvh();
    put_notes(0x100000000ull, 8);
    assert_err(pvh_parse_(), "the PVH entry 0x100000000 is above 4 GiB");
    mk_pvh();
    p64(phdr(2) + 8, 0x31f0);
    assert_err(pvh_parse_(), "PT_NOTE segment 2: file bytes [0x31f0, +0x2c) are outside");
    mk_pvh();
    p32(img + 0x3014 + 8, 17);          /* another Xen note */
    assert_err(pvh_parse_(), "no Xen PHYS32_ENTRY note (type 18)");
    mk_pvh();
    memcpy(img + 0x3014 + 12, "Xem", 4);
    assert_err(pvh_parse_(), "no Xen PHYS32_ENTRY note");
    mk_pvh();
    p32(phdr(2), 6);
    p64(img + 40, 0x31c0);
    assert_err(pvh_parse_(), "section header table [0x31c0, +64 * 2) is outside");
    mk_pvh();
    p32(phdr(2), 6);
    p16(img + 58, 40);
    assert_err(pvh_parse_(), "section header entry size 40 is below 64");
    mk_pvh();
    p32(phdr(2), 6);
    p64(img + 0x3140 + 24, 0x31f0);
    assert_err(pvh_parse_(), "SHT_NOTE section 1: file bytes [0x31f0, +0x2c) are outside");
    mk_pvh();
    p32(phdr(2), 6);
    p16(img + 60, 0);                   /* no sections: no note */
    assert_err(pvh_parse_(), "no Xen PHYS32_ENTRY note");
    mk_pvh();
    put_notes(0x1001900, 8);            /* in segment 1's bss, past its file bytes */
    assert_err(pvh_parse_(), "the PVH entry 0x1001900 is not in the file bytes of any PT_LOAD");
    /* Every prefix that cuts the headers, segments or notes is refused,
     * never overread (past 0x302c the notes are whole). */
    mk_pvh();
    for (size_t n = 0; n < 0x302c; n += (n < 0x100 || n > 0x2f00 ? 1 : 61)) {
        img_len = n;
        assert_int_equal(pvh_parse_(), -1);
        assert_true(err[0] != '\0');
    }
}

/* ---- e820 ------------------------------------------------------------------ */

static struct e820_entry map[E820_MAX_ENTRIES];
static size_t nmap;

static void assert_entry(size_t i, uint64_t addr, uint64_t end, uint32_t type)
{
    assert_true(i < nmap);
    if (map[i].addr != addr || map[i].addr + map[i].size != end || map[i].type != type)
        fail_msg("e820[%zu] = [%#llx, %#llx) type %u, want [%#llx, %#llx) type %u", i,
                 (unsigned long long)map[i].addr,
                 (unsigned long long)(map[i].addr + map[i].size), map[i].type,
                 (unsigned long long)addr, (unsigned long long)end, type);
}

static void test_e820_layouts(void **state)
{
    (void)state;
    /* 64 MiB. */
    assert_int_equal(e820_build(MiB(64), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(nmap, 3);
    assert_entry(0, 0, 0x9fc00, E820_RAM);
    assert_entry(1, 0x9fc00, 0x100000, E820_RESERVED);
    assert_entry(2, 0x100000, MiB(64), E820_RAM);
    /* 4 GiB: 3 GiB low, the hole left out, 1 GiB at 4 GiB. */
    assert_int_equal(e820_build(GiB(4), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(nmap, 4);
    assert_entry(2, 0x100000, GiB(3), E820_RAM);
    assert_entry(3, GiB(4), GiB(5), E820_RAM);
    /* Exactly 3 GiB: no high RAM. */
    assert_int_equal(e820_build(GiB(3), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(nmap, 3);
    assert_entry(2, 0x100000, GiB(3), E820_RAM);
}

static void test_e820_extra(void **state)
{
    (void)state;
    const struct e820_entry extra[] = {
        { 0xe0000, 0x10000, E820_ACPI },            /* inside the legacy area */
        { MiB(64) - 0x10000, 0x10000, E820_ACPI },  /* the top of low RAM */
        { MiB(8), 0x1000, E820_NVS },               /* splits RAM */
        { 0xfec00000, 0x1000, E820_RESERVED },      /* the IOAPIC, in the hole */
        { 0x100000, 0x1000, E820_RESERVED },        /* merges with the legacy area */
    };
    assert_int_equal(e820_build(MiB(64), extra, ARRAY_SIZE(extra), map, E820_MAX_ENTRIES,
                                &nmap, err, sizeof(err)), 0);
    assert_int_equal(nmap, 9);
    assert_entry(0, 0, 0x9fc00, E820_RAM);
    assert_entry(1, 0x9fc00, 0xe0000, E820_RESERVED);
    assert_entry(2, 0xe0000, 0xf0000, E820_ACPI);
    assert_entry(3, 0xf0000, 0x101000, E820_RESERVED);
    assert_entry(4, 0x101000, MiB(8), E820_RAM);
    assert_entry(5, MiB(8), MiB(8) + 0x1000, E820_NVS);
    assert_entry(6, MiB(8) + 0x1000, MiB(64) - 0x10000, E820_RAM);
    assert_entry(7, MiB(64) - 0x10000, MiB(64), E820_ACPI);
    assert_entry(8, 0xfec00000, 0xfec01000, E820_RESERVED);

    assert_true(e820_is_ram(map, nmap, 0, 0x9fc00));
    assert_false(e820_is_ram(map, nmap, 0x9f000, 0x1000));
    assert_true(e820_is_ram(map, nmap, MiB(2), MiB(6)));
    assert_false(e820_is_ram(map, nmap, MiB(2), MiB(7)));
    assert_false(e820_is_ram(map, nmap, MiB(2), 0));
    assert_false(e820_is_ram(map, nmap, UINT64_MAX - 10, 100));
}

static void test_e820_errors(void **state)
{
    (void)state;
    struct e820_entry x[E820_MAX_EXTRA + 1] = { { 0x10000, 0x1000, E820_RESERVED } };

    assert_err(e820_build(MiB(1), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "e820: guest memory of 1 MiB is too small");
    assert_err(e820_build(MiB(64), x, E820_MAX_EXTRA + 1, map, E820_MAX_ENTRIES, &nmap, err,
                          sizeof(err)), "33 extra ranges, at most 32");
    x[0].size = 0;
    assert_err(e820_build(MiB(64), x, 1, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "extra range 0 (0x10000, size 0) is empty or wraps around");
    x[0] = (struct e820_entry){ UINT64_MAX - 0xfff, 0x2000, E820_RESERVED };
    assert_err(e820_build(MiB(64), x, 1, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "wraps around");
    x[0] = (struct e820_entry){ 0x10000, 0x1000, E820_RAM };
    assert_err(e820_build(MiB(64), x, 1, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "extra range 0 [0x10000, 0x11000) has type 1; only the reserved types 2-5");
    x[0].type = 6;
    assert_err(e820_build(MiB(64), x, 1, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "has type 6");
    x[0].type = E820_ACPI;
    x[1] = (struct e820_entry){ 0x10800, 0x1000, E820_NVS };
    assert_err(e820_build(MiB(64), x, 2, map, E820_MAX_ENTRIES, &nmap, err, sizeof(err)),
               "extra range 1 [0x10800, 0x11800) overlaps extra range 0 [0x10000, 0x11000)");
    assert_err(e820_build(MiB(64), NULL, 0, map, 2, &nmap, err, sizeof(err)),
               "the map needs more than 2 entries");
    /* The most extra ranges, all splitting RAM: 3 + 2 * 32 entries fit. */
    for (unsigned i = 0; i < E820_MAX_EXTRA; i++)
        x[i] = (struct e820_entry){ MiB(2) + MiB(1) * i, 0x1000, E820_RESERVED };
    assert_int_equal(e820_build(MiB(64), x, E820_MAX_EXTRA, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(nmap, 3 + 2 * E820_MAX_EXTRA);
}

/* ---- initramfs placement --------------------------------------------------- */

static void test_place_initrd(void **state)
{
    (void)state;
    uint64_t at;

    assert_int_equal(e820_build(MiB(64), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    /* The highest page-aligned place in RAM. */
    assert_int_equal(linux_place_initrd(map, nmap, MiB(1) + 1, MiB(24), GiB(2), &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, 0x3eff000);
    /* Below the limit (initrd_addr_max + 1, not page aligned). */
    assert_int_equal(linux_place_initrd(map, nmap, 0x1000, MiB(24), 0x2000123, &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, 0x1fff000);
    /* Exactly fitting between `above` and the end of RAM. */
    assert_int_equal(linux_place_initrd(map, nmap, MiB(40), MiB(24), GiB(4), &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, MiB(24));
    assert_err(linux_place_initrd(map, nmap, MiB(40) + 1, MiB(24), GiB(4), &at, err,
                                  sizeof(err)),
               "initramfs of 41943041 bytes does not fit");
    assert_err(linux_place_initrd(map, nmap, MiB(40) + 4097, MiB(24), GiB(4), &at, err,
                                  sizeof(err)),
               "between 0x1800000 (the end of the kernel) and 0x100000000");
    assert_err(linux_place_initrd(map, nmap, 0x1000, MiB(24), MiB(20), &at, err, sizeof(err)),
               "does not fit");
    assert_err(linux_place_initrd(map, nmap, 0, MiB(24), GiB(4), &at, err, sizeof(err)),
               "initramfs is empty");

    /* 3 GiB + 1 GiB: below 4 GiB means the top of low RAM; with a higher
     * limit the RAM above 4 GiB. */
    assert_int_equal(e820_build(GiB(4), NULL, 0, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(linux_place_initrd(map, nmap, MiB(3), MiB(24), GiB(4), &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, GiB(3) - MiB(3));
    assert_int_equal(linux_place_initrd(map, nmap, MiB(3), MiB(24), GiB(8), &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, GiB(5) - MiB(3));
    /* Not across a reserved range at the top of RAM. */
    const struct e820_entry acpi = { GiB(3) - MiB(1), MiB(1), E820_ACPI };
    assert_int_equal(e820_build(GiB(4), &acpi, 1, map, E820_MAX_ENTRIES, &nmap, err,
                                sizeof(err)), 0);
    assert_int_equal(linux_place_initrd(map, nmap, MiB(3), MiB(24), GiB(4), &at, err,
                                        sizeof(err)), 0);
    assert_int_equal(at, GiB(3) - MiB(4));
}

/* ---- loads ------------------------------------------------------------------- */

static struct linux_load_args la;
static struct linux_boot_state st;
static const uint8_t initrd_data[] = "070701initramfs-bytes";
static const char cmdline[] = "console=ttyS0 quiet";

static void std_args(uint64_t ram_size)
{
    ram(ram_size);
    memset(&la, 0, sizeof(la));
    la.ram_size = ram_size;
    la.cmdline = cmdline;
    la.initrd = initrd_data;
    la.initrd_len = sizeof(initrd_data);
    la.rsdp = 0xe0000;
}

static int bz_load(void)
{
    uint8_t *c = malloc(img_len ? img_len : 1);
    memcpy(c, img, img_len);
    int r = linux_bzimage_load(c, img_len, &gm, &la, &st, err, sizeof(err));
    free(c);
    if (r && getenv("SHOW_ERR"))
        printf("err: %s\n", err);
    return r;
}

static int pvh_load(void)
{
    uint8_t *c = malloc(img_len ? img_len : 1);
    memcpy(c, img, img_len);
    int r = linux_pvh_load(c, img_len, &gm, &la, &st, err, sizeof(err));
    free(c);
    if (r && getenv("SHOW_ERR"))
        printf("err: %s\n", err);
    return r;
}

static void test_bz_load64(void **state)
{
    (void)state;
    mk_bz();
    std_args(MiB(64));
    assert_int_equal(bz_load(), 0);
    assert_int_equal(st.mode, LINUX_ENTRY_64);
    assert_int_equal(st.entry, 0x1000200);
    assert_int_equal(st.boot_info, LINUX_BOOT_INFO_GPA);
    assert_int_equal(st.cmdline, LINUX_CMDLINE_GPA);
    assert_int_equal(st.cmdline_len, strlen(cmdline));
    assert_int_equal(st.kernel_start, 0x1000000);
    assert_int_equal(st.kernel_end, 0x1800000);
    /* The initramfs at the top of RAM, page aligned. */
    assert_int_equal(st.initrd, MiB(64) - 0x1000);
    assert_int_equal(st.initrd_len, sizeof(initrd_data));
    assert_true(gmatch(st.initrd, initrd_data, sizeof(initrd_data)));
    assert_true(gmatch(st.cmdline, (const uint8_t *)cmdline, sizeof(cmdline)));
    assert_true(gmatch(0x1000000, img + 2560, BZ_PM));
    assert_true(gall(0x1000000 + BZ_PM, 16, 0xCC));     /* init_size is not zeroed */
    assert_int_equal(st.nr_e820, 3);

    /* The zero page. */
    uint64_t zp = st.boot_info;
    assert_true(gall(zp, 0x70, 0));
    assert_int_equal(gle(zp + 0x70, 8), 0xe0000);       /* acpi_rsdp_addr */
    assert_true(gall(zp + 0x78, 0x1e8 - 0x78, 0));
    assert_int_equal(g8(zp + 0x1e8), 3);                /* e820_entries */
    assert_int_equal(g8(zp + 0x1ef), 0);                /* sentinel */
    assert_int_equal(g8(zp + 0x1f1), 4);                /* setup_sects, copied */
    assert_int_equal(gle(zp + 0x1f2, 2), 0x1234);       /* root_flags, copied */
    assert_int_equal(gle(zp + 0x1fa, 2), 0xffff);       /* vid_mode */
    assert_int_equal(gle(zp + 0x202, 4), BZ_HDRS_MAGIC);
    assert_int_equal(gle(zp + 0x206, 2), 0x020f);
    assert_int_equal(g8(zp + 0x210), 0xff);             /* type_of_loader */
    assert_int_equal(g8(zp + 0x211), 0x01);
    assert_int_equal(gle(zp + 0x214, 4), 0x1000000);    /* code32_start */
    assert_int_equal(gle(zp + 0x218, 4), st.initrd);
    assert_int_equal(gle(zp + 0x21c, 4), sizeof(initrd_data));
    assert_int_equal(gle(zp + 0x228, 4), LINUX_CMDLINE_GPA);
    assert_int_equal(gle(zp + 0x22c, 4), 0x7fffffff);
    assert_int_equal(gle(zp + 0x250, 8), 0);            /* setup_data cleared */
    assert_int_equal(gle(zp + 0x258, 8), 0x1000000);
    assert_int_equal(gle(zp + 0x260, 4), 0x800000);
    assert_true(gall(zp + 0x26c, 0x2d0 - 0x26c, 0));    /* past the header */
    uint64_t e = zp + 0x2d0;
    assert_int_equal(gle(e, 8), 0);
    assert_int_equal(gle(e + 8, 8), 0x9fc00);
    assert_int_equal(gle(e + 16, 4), E820_RAM);
    assert_int_equal(gle(e + 20, 8), 0x9fc00);
    assert_int_equal(gle(e + 36, 4), E820_RESERVED);
    assert_int_equal(gle(e + 40, 8), 0x100000);
    assert_int_equal(gle(e + 48, 8), MiB(63));
    assert_int_equal(gle(e + 56, 4), E820_RAM);
    assert_true(gall(e + 60, 0x1000 - 0x2d0 - 60, 0));
}

static void test_bz_load32_and_limits(void **state)
{
    (void)state;
    /* 32-bit entry, no initramfs, no command line, no RSDP. */
    mk_bz();
    p16(img + 0x236, 0);
    std_args(MiB(64));
    la.initrd = NULL;
    la.initrd_len = 0;
    la.cmdline = NULL;
    la.rsdp = 0;
    assert_int_equal(bz_load(), 0);
    assert_int_equal(st.mode, LINUX_ENTRY_32);
    assert_int_equal(st.entry, 0x1000000);
    assert_int_equal(st.initrd, 0);
    assert_int_equal(gle(st.boot_info + 0x218, 8), 0);
    assert_int_equal(g8(st.cmdline), 0);
    assert_int_equal(gle(st.boot_info + 0x228, 4), LINUX_CMDLINE_GPA);

    /* initrd_addr_max: the highest byte. */
    mk_bz();
    p32(img + 0x22c, 0x1ffffff);
    std_args(MiB(64));
    assert_int_equal(bz_load(), 0);
    assert_int_equal(st.initrd, 0x1fff000);
    /* 3 GiB + 1 GiB with initrd_addr_max above 4 GiB: still below 4 GiB. */
    mk_bz();
    p32(img + 0x22c, 0xffffffff);
    std_args(GiB(4));
    assert_int_equal(bz_load(), 0);
    assert_int_equal(st.initrd, GiB(3) - 0x1000);
    assert_int_equal(st.nr_e820, 4);
    assert_int_equal(g8(st.boot_info + 0x1e8), 4);

    /* Refusals; nothing is written. */
    mk_bz();
    p32(img + 0x22c, 0x17fffff);        /* below the kernel's end */
    std_args(MiB(64));
    assert_err(bz_load(), "initramfs of 22 bytes does not fit in the guest's RAM between "
               "0x1800000 (the end of the kernel) and 0x1800000");
    assert_true(gall(0x1000000, 16, 0xCC));
    assert_true(gall(LINUX_BOOT_INFO_GPA, 16, 0xCC));
    mk_bz();
    std_args(MiB(20));
    assert_err(bz_load(), "the kernel [0x1000000, 0x1800000) is not RAM in the guest's e820 map");
    mk_bz();
    p32(img + 0x238, 8);
    std_args(MiB(64));
    assert_err(bz_load(), "the command line is 19 bytes, the kernel takes at most 8");
    mk_bz();
    std_args(MiB(64));
    char *big = malloc(LINUX_CMDLINE_MAX + 1);
    memset(big, 'a', LINUX_CMDLINE_MAX);
    big[LINUX_CMDLINE_MAX] = '\0';
    la.cmdline = big;
    p32(img + 0x238, 0xffffffff);
    assert_err(bz_load(), "the command line is over 65536 bytes, the kernel takes at most 65535");
    free(big);
    mk_bz();
    std_args(MiB(64));
    la.initrd = NULL;
    assert_err(bz_load(), "initramfs of 22 bytes without data");
    mk_bz();
    std_args(MiB(64));
    const struct e820_entry low = { 0x7000, 0x1000, E820_RESERVED };
    la.reserved = &low;
    la.nr_reserved = 1;
    assert_err(bz_load(), "the boot information page [0x7000, 0x8000) is not RAM in the "
               "guest's e820 map");
    mk_bz();
    std_args(MiB(64));
    tm.hole_lo = MiB(64) - 0x1000;
    tm.hole_hi = MiB(64);
    assert_err(bz_load(), "initramfs [0x3fff000, 0x3fff016): 0x3fff000 is not guest RAM");
    mk_bz();
    std_args(MiB(64));
    tm.hole_lo = 0x1400000;
    tm.hole_hi = 0x1401000;
    assert_err(bz_load(), "the kernel [0x1000000, 0x1800000): 0x1400000 is not guest RAM");
    mk_bz();
    std_args(MiB(1));
    assert_err(bz_load(), "e820: guest memory of 1 MiB is too small");
    mk_bz();
    p16(img + 0x206, 0x0205);
    std_args(MiB(64));
    assert_err(bz_load(), "bzImage: boot protocol 2.05 is older than 2.06");
}

static void test_pvh_load(void **state)
{
    (void)state;
    mk_pvh();
    std_args(MiB(64));
    assert_int_equal(pvh_load(), 0);
    assert_int_equal(st.mode, LINUX_ENTRY_PVH);
    assert_int_equal(st.entry, PVH_ENTRY);
    assert_int_equal(st.kernel_start, 0x1000000);
    assert_int_equal(st.kernel_end, 0x1004000);
    assert_int_equal(st.initrd, MiB(64) - 0x1000);
    assert_true(gall(0x1000000, 0x1000, 0x11));
    assert_true(gall(0x1001000, 0x800, 0x22));
    assert_true(gall(0x1001800, 0x2800, 0));            /* bss zeroed */
    assert_true(gall(0x1004000, 16, 0xCC));
    assert_true(gmatch(st.initrd, initrd_data, sizeof(initrd_data)));
    assert_true(gmatch(st.cmdline, (const uint8_t *)cmdline, sizeof(cmdline)));

    uint64_t si = st.boot_info;
    assert_int_equal(gle(si, 4), PVH_START_MAGIC);
    assert_int_equal(gle(si + 4, 4), 1);
    assert_int_equal(gle(si + 8, 4), 0);
    assert_int_equal(gle(si + 12, 4), 1);               /* nr_modules */
    assert_int_equal(gle(si + 16, 8), si + PVH_MODLIST_OFFSET);
    assert_int_equal(gle(si + 24, 8), LINUX_CMDLINE_GPA);
    assert_int_equal(gle(si + 32, 8), 0xe0000);
    assert_int_equal(gle(si + 40, 8), si + PVH_MEMMAP_OFFSET);
    assert_int_equal(gle(si + 48, 4), 3);
    assert_int_equal(gle(si + 52, 4), 0);
    uint64_t mod = si + PVH_MODLIST_OFFSET;
    assert_int_equal(gle(mod, 8), st.initrd);
    assert_int_equal(gle(mod + 8, 8), sizeof(initrd_data));
    assert_int_equal(gle(mod + 16, 8), 0);
    assert_int_equal(gle(mod + 24, 8), 0);
    uint64_t mm = si + PVH_MEMMAP_OFFSET;
    assert_int_equal(gle(mm + 24 * 1, 8), 0x9fc00);
    assert_int_equal(gle(mm + 24 * 1 + 8, 8), 0x60400);
    assert_int_equal(gle(mm + 24 * 1 + 16, 4), E820_RESERVED);
    assert_int_equal(gle(mm + 24 * 2 + 8, 8), MiB(63));
    assert_int_equal(gle(mm + 24 * 2 + 20, 4), 0);
    assert_true(gall(mm + 24 * 3, 0x1000 - PVH_MEMMAP_OFFSET - 24 * 3, 0));

    /* No initramfs: no modules; extra ranges reach the memory map. */
    mk_pvh();
    std_args(GiB(4));
    la.initrd = NULL;
    la.initrd_len = 0;
    const struct e820_entry acpi = { 0xe0000, 0x10000, E820_ACPI };
    la.reserved = &acpi;
    la.nr_reserved = 1;
    assert_int_equal(pvh_load(), 0);
    si = st.boot_info;
    assert_int_equal(gle(si + 12, 4), 0);
    assert_int_equal(gle(si + 16, 8), 0);
    assert_int_equal(gle(si + 48, 4), 6);
    assert_int_equal(gle(si + PVH_MEMMAP_OFFSET + 24 * 2, 8), 0xe0000);
    assert_int_equal(gle(si + PVH_MEMMAP_OFFSET + 24 * 2 + 16, 4), E820_ACPI);
    assert_int_equal(gle(si + PVH_MEMMAP_OFFSET + 24 * 5, 8), GiB(4));

    /* 3 GiB + 1 GiB: the initramfs below 4 GiB. */
    mk_pvh();
    std_args(GiB(4));
    assert_int_equal(pvh_load(), 0);
    assert_int_equal(st.initrd, GiB(3) - 0x1000);
}

static void test_pvh_load_errors(void **state)
{
    (void)state;
    mk_pvh();
    std_args(MiB(16));
    assert_err(pvh_load(), "the kernel [0x1000000, 0x1004000) is not RAM in the guest's e820 map");
    mk_pvh();
    set_ph(0, 1, 0x1000, 0x7000, 0x1000, 0x1000);
    set_ph(1, 1, 0x2000, 0x8000, 0x800, 0x3000);
    put_notes(0x7000, 8);
    std_args(MiB(64));
    assert_err(pvh_load(), "the boot information page [0x7000, 0x8000) overlaps the kernel "
               "[0x7000, 0xb000)");
    mk_pvh();
    set_ph(0, 1, 0x1000, 0xa0000, 0x1000, 0x1000);
    put_notes(0xa0000, 8);
    std_args(MiB(64));
    assert_err(pvh_load(), "the kernel [0xa0000, 0x1004000) is not RAM");
    mk_pvh();
    std_args(MiB(64));
    la.initrd_len = MiB(64);
    la.initrd = malloc(la.initrd_len);
    assert_err(pvh_load(), "initramfs of 64 MiB does not fit");
    free((void *)la.initrd);
    mk_pvh();
    img[4] = 1;
    std_args(MiB(64));
    assert_err(pvh_load(), "vmlinux: ELF class 1");
    assert_true(gall(LINUX_BOOT_INFO_GPA, 16, 0xCC));
}

static int teardown(void **state)
{
    (void)state;
    ram_free();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bz_parse),
        cmocka_unit_test(test_bz_errors),
        cmocka_unit_test(test_pvh_parse),
        cmocka_unit_test(test_pvh_errors),
        cmocka_unit_test(test_e820_layouts),
        cmocka_unit_test(test_e820_extra),
        cmocka_unit_test(test_e820_errors),
        cmocka_unit_test(test_place_initrd),
        cmocka_unit_test(test_bz_load64),
        cmocka_unit_test(test_bz_load32_and_limits),
        cmocka_unit_test(test_pvh_load),
        cmocka_unit_test(test_pvh_load_errors),
    };
    return cmocka_run_group_tests_name("linux_boot", tests, NULL, teardown);
}
