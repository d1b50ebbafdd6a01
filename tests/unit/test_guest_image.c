/* Guest image loaders: multiboot (v1) kernels built in memory (ELF32,
 * ELF64, a.out kludge), their boot information checked byte for byte,
 * and corrupt, truncated and misplaced images refused with messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hv/guest_image.h>

/* ---- guest memory ----------------------------------------------------- */

struct tmem {
    uint8_t *buf;
    uint64_t size;
    uint64_t hole_lo, hole_hi;  /* [lo, hi) refused by the callback */
};

static uint8_t *tmem_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    struct tmem *t = ctx;

    /* The loader promises never to cross a page boundary. */
    assert_true(len > 0);
    assert_true((gpa >> 12) == ((gpa + len - 1) >> 12));
    if (gpa >= t->size || len > t->size - gpa)
        return NULL;
    if (gpa < t->hole_hi && gpa + len > t->hole_lo)
        return NULL;
    return t->buf + gpa;
}

static struct tmem tm;
static struct guest_mem gm;

/* Fresh guest RAM of `size` bytes filled with 0xCC (so zeroing shows). */
static void ram(uint64_t size)
{
    free(tm.buf);
    tm.buf = malloc(size);
    assert_non_null(tm.buf);
    memset(tm.buf, 0xCC, size);
    tm.size = size;
    tm.hole_lo = tm.hole_hi = 0;
    gm.ptr = tmem_ptr;
    gm.size = size;
    gm.ctx = &tm;
}

static uint32_t g32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, tm.buf + gpa, 4);
    return v;
}

static uint64_t g64(uint64_t gpa)
{
    uint64_t v;
    memcpy(&v, tm.buf + gpa, 8);
    return v;
}

/* ---- image builders --------------------------------------------------- */

static void p16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void p32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void p64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void put_mb1(uint8_t *p, uint32_t flags)
{
    p32(p, MB1_HEADER_MAGIC);
    p32(p + 4, flags);
    p32(p + 8, (uint32_t)-(MB1_HEADER_MAGIC + flags));
}

struct tseg {
    uint32_t type;
    uint64_t off, vaddr, paddr, filesz, memsz;
};

#define IMG_MAX 0x6000

static uint8_t img[IMG_MAX];
static size_t img_len;

/* An ELF kernel: header, program headers at 0x40 (ELF64) or 0x34 (ELF32),
 * multiboot header at mb_off, segment bytes filled with (0x10 + index). */
static void mk_elf(int bits, uint64_t entry, const struct tseg *s, unsigned n,
                   size_t mb_off, uint32_t mb_flags, size_t len)
{
    memset(img, 0, sizeof(img));
    img_len = len;
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = bits == 64 ? 2 : 1;
    img[5] = 1;
    img[6] = 1;
    p16(img + 16, 2);
    p16(img + 18, bits == 64 ? 62 : 3);
    p32(img + 20, 1);
    if (bits == 64) {
        p64(img + 24, entry);
        p64(img + 32, 0x40);
        p16(img + 52, 64);
        p16(img + 54, 56);
        p16(img + 56, (uint16_t)n);
        for (unsigned i = 0; i < n; i++) {
            uint8_t *ph = img + 0x40 + 56 * i;
            p32(ph, s[i].type);
            p64(ph + 8, s[i].off);
            p64(ph + 16, s[i].vaddr);
            p64(ph + 24, s[i].paddr);
            p64(ph + 32, s[i].filesz);
            p64(ph + 40, s[i].memsz);
        }
    } else {
        p32(img + 24, (uint32_t)entry);
        p32(img + 28, 0x34);
        p16(img + 40, 52);
        p16(img + 42, 32);
        p16(img + 44, (uint16_t)n);
        for (unsigned i = 0; i < n; i++) {
            uint8_t *ph = img + 0x34 + 32 * i;
            p32(ph, s[i].type);
            p32(ph + 4, (uint32_t)s[i].off);
            p32(ph + 8, (uint32_t)s[i].vaddr);
            p32(ph + 12, (uint32_t)s[i].paddr);
            p32(ph + 16, (uint32_t)s[i].filesz);
            p32(ph + 20, (uint32_t)s[i].memsz);
        }
    }
    for (unsigned i = 0; i < n; i++)
        if (s[i].off < IMG_MAX && s[i].filesz <= IMG_MAX - s[i].off)
            memset(img + s[i].off, 0x10 + i, s[i].filesz);
    put_mb1(img + mb_off, mb_flags);
}

/* The standard test kernel: text at 1 MiB, data + bss at 1 MiB + 4 KiB. */
static const struct tseg std_segs[] = {
    { 1, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 },
    { 1, 0x2000, 0x101000, 0x101000, 0x800, 0x3000 },
};

static void mk_std_elf32(uint32_t mb_flags)
{
    mk_elf(32, 0x100010, std_segs, 2, 0x200, mb_flags, 0x2800);
}

/* A flat binary with the address fields: the header sits at file offset
 * 0x20 and is loaded at header_addr, file offset 0 at load_addr. */
static void mk_aout(uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
                    uint32_t bss_end, uint32_t entry, size_t len)
{
    memset(img, 0, sizeof(img));
    img_len = len;
    for (size_t i = 0; i < len; i++)
        img[i] = (uint8_t)(0x40 + (i & 0x3f));
    put_mb1(img + 0x20, MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO | MB1_HF_AOUT_KLUDGE);
    p32(img + 0x20 + 12, header_addr);
    p32(img + 0x20 + 16, load_addr);
    p32(img + 0x20 + 20, load_end);
    p32(img + 0x20 + 24, bss_end);
    p32(img + 0x20 + 28, entry);
}

/* ---- load helpers ------------------------------------------------------ */

static struct mb1_mmap_entry mmap[4];
static struct mb1_load_args args;
static struct mb1_boot_state st;
static char err[256];

/* A PC-like map: 639 KiB low, the EBDA and ROM reserved, RAM from 1 MiB. */
static void std_args(void)
{
    mmap[0] = (struct mb1_mmap_entry){ 0, 0x9fc00, MB1_MEM_AVAILABLE };
    mmap[1] = (struct mb1_mmap_entry){ 0x9fc00, 0x400, MB1_MEM_RESERVED };
    mmap[2] = (struct mb1_mmap_entry){ 0xf0000, 0x10000, MB1_MEM_RESERVED };
    mmap[3] = (struct mb1_mmap_entry){ 0x100000, gm.size - 0x100000, MB1_MEM_AVAILABLE };
    memset(&args, 0, sizeof(args));
    args.mmap = mmap;
    args.nr_mmap = 4;
    args.mem_lower_kb = 639;
}

/* Loads from an exactly sized heap copy, so ASan sees any overread. */
static int load_(void)
{
    uint8_t *copy = malloc(img_len ? img_len : 1);
    memcpy(copy, img, img_len);
    int r = mb1_load(copy, img_len, &gm, &args, &st, err, sizeof(err));
    free(copy);
    return r;
}

static int load(void)
{
    int r = load_();
    if (r && getenv("SHOW_ERR"))
        printf("err: %s\n", err);
    return r;
}

#define assert_fails_with(sub) do {                                         \
        assert_int_equal(load(), -1);                                      \
        if (!strstr(err, sub))                                             \
            fail_msg("error \"%s\" lacks \"%s\"", err, sub);               \
    } while (0)

static bool all(uint64_t gpa, uint64_t len, uint8_t v)
{
    for (uint64_t i = 0; i < len; i++)
        if (tm.buf[gpa + i] != v)
            return false;
    return true;
}

/* ---- tests -------------------------------------------------------------- */

static void test_detect(void **state)
{
    (void)state;
    char note[256];

    mk_std_elf32(3);
    assert_int_equal(image_detect(img, img_len, false, note, sizeof(note)), IMAGE_MULTIBOOT1);
    assert_int_equal(image_detect(img, img_len, true, note, sizeof(note)), IMAGE_MULTIBOOT1);

    /* ELF without a header */
    memset(img + 0x200, 0, 12);
    assert_int_equal(image_detect(img, img_len, true, note, sizeof(note)), IMAGE_ELF);
    assert_non_null(strstr(note, "ELF image without a multiboot header"));

    /* anything else: raw only when the configuration says so */
    uint8_t junk[600];
    memset(junk, 0x90, sizeof(junk));
    assert_int_equal(image_detect(junk, sizeof(junk), true, note, sizeof(note)), IMAGE_RAW);
    assert_int_equal(image_detect(junk, sizeof(junk), false, note, sizeof(note)), IMAGE_UNKNOWN);
    assert_non_null(strstr(note, "no multiboot header"));
    assert_int_equal(image_detect(NULL, 0, false, NULL, 0), IMAGE_UNKNOWN);

    /* bad checksum: named in the note */
    put_mb1(junk + 8, 3);
    junk[8 + 8] ^= 1;
    assert_int_equal(image_detect(junk, sizeof(junk), false, note, sizeof(note)), IMAGE_UNKNOWN);
    assert_non_null(strstr(note, "offset 0x8 has a bad checksum"));

    /* not 4-byte aligned: not a header */
    memset(junk, 0x90, sizeof(junk));
    put_mb1(junk + 6, 0);
    assert_int_equal(image_detect(junk, sizeof(junk), false, note, sizeof(note)), IMAGE_UNKNOWN);

    /* multiboot2 is named */
    memset(junk, 0x90, sizeof(junk));
    p32(junk + 16, 0xE85250D6);
    assert_int_equal(image_detect(junk, sizeof(junk), false, note, sizeof(note)), IMAGE_UNKNOWN);
    assert_non_null(strstr(note, "multiboot2"));

    assert_string_equal(image_format_name(IMAGE_MULTIBOOT1), "multiboot");
    assert_string_equal(image_format_name(IMAGE_RAW), "raw");
}

static void test_header_search_limit(void **state)
{
    (void)state;
    static uint8_t big[16384];
    size_t off;

    /* the last place a header fits inside the first 8192 bytes */
    memset(big, 0, sizeof(big));
    put_mb1(big + 8192 - 12, 0);
    assert_int_equal(mb1_find_header(big, sizeof(big), &off), 0);
    assert_int_equal(off, 8192 - 12);
    /* nor past the end of a short image */
    assert_int_equal(mb1_find_header(big, 8192 - 1, &off), -1);

    /* one longword further is beyond the search area */
    memset(big, 0, sizeof(big));
    put_mb1(big + 8192 - 8, 0);
    assert_int_equal(mb1_find_header(big, sizeof(big), &off), -1);
    put_mb1(big + 8192, 0);
    assert_int_equal(mb1_find_header(big, sizeof(big), &off), -1);

    /* an ELF kernel whose header is at 8 KiB is refused by the loader */
    ram(MiB(8));
    std_args();
    mk_std_elf32(3);
    memset(img + 0x200, 0, 12);
    put_mb1(img + 0x2000, 3);
    assert_fails_with("ELF image without a multiboot header in its first 8192 bytes");

    /* with flag 16 the address fields must fit in the 8192 bytes too */
    memset(big, 0, sizeof(big));
    put_mb1(big + 8192 - 16, MB1_HF_AOUT_KLUDGE);
    assert_int_equal(mb1_load(big, sizeof(big), &gm, &args, &st, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "need 32 header bytes, but the 8192-byte search area ends"));
}

static void test_elf32(void **state)
{
    (void)state;
    ram(MiB(8));
    std_args();
    mk_std_elf32(MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO);
    assert_int_equal(load(), 0);
    assert_string_equal(err, "");

    assert_int_equal(st.eax, 0x2BADB002);
    assert_int_equal(st.eip, 0x100010);
    assert_int_equal(st.header_flags, 3);
    assert_int_equal(st.kernel_start, 0x100000);
    assert_int_equal(st.kernel_end, 0x104000);
    assert_true(all(0x100000, 0x1000, 0x10));
    assert_true(all(0x101000, 0x800, 0x11));
    assert_true(all(0x101800, 0x2800, 0x00));       /* bss zeroed */
    assert_true(all(0xff000, 0x1000, 0xCC));        /* nothing else touched */
    /* no modules: the information is the next page after the kernel */
    assert_int_equal(st.ebx, 0x104000);
    assert_int_equal(g32(st.ebx + MB1_INFO_FLAGS), 0x24D);
    assert_int_equal(g32(st.ebx + MB1_INFO_MODS_COUNT), 0);
    assert_true(st.end > st.ebx && st.end < 0x105000);
    assert_true(all(st.end, 0x100, 0xCC));
}

static void test_elf64(void **state)
{
    (void)state;
    static const struct tseg segs[] = {
        { 6, 0, 0, 0, 0, 0 },                            /* PT_PHDR: skipped */
        { 1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000 },
        { 1, 0x2000, 0x201000, 0x201000, 0x100, 0x2000 },
        { 1, 0, 0x300000, 0x300000, 0, 0 },              /* loads nothing */
    };

    ram(MiB(8));
    std_args();
    mk_elf(64, 0x200100, segs, 4, 0x1f0, 0, 0x2100);
    assert_int_equal(load(), 0);
    assert_int_equal(st.eip, 0x200100);
    assert_int_equal(st.kernel_start, 0x200000);
    assert_int_equal(st.kernel_end, 0x203000);
    assert_true(all(0x200000, 0x1000, 0x11));
    assert_true(all(0x201000, 0x100, 0x12));
    assert_true(all(0x201100, 0x1f00, 0x00));
    assert_true(all(0x300000, 0x10, 0xCC));
    assert_int_equal(st.ebx, 0x203000);

    /* the guest starts in 32-bit mode: no entry above 4 GiB */
    mk_elf(64, 0x100200100ULL, segs, 4, 0x1f0, 0, 0x2100);
    assert_fails_with("ELF64 entry point 0x100200100 is above 4 GiB");
    /* nor segments */
    static const struct tseg high[] = {
        { 1, 0x1000, 0x200000, 0x100000000ULL, 0x1000, 0x1000 },
    };
    gm.size = GiB(4) + MiB(2);      /* only the size is consulted */
    std_args();
    mk_elf(64, 0x200000, high, 1, 0x1f0, 0, 0x2000);
    assert_fails_with("kernel segment 0 [0x100000000, 0x100001000) ends above 0x100000000");
}

static void test_higher_half_entry(void **state)
{
    (void)state;
    /* Linked at 3 GiB + 1 MiB, loaded at 1 MiB: the entry is translated. */
    static const struct tseg segs[] = {
        { 1, 0x1000, 0xC0100000, 0x100000, 0x1000, 0x1000 },
    };
    ram(MiB(4));
    std_args();
    mk_elf(32, 0xC0100020, segs, 1, 0x100, 0, 0x2000);
    assert_int_equal(load(), 0);
    assert_int_equal(st.eip, 0x100020);

    mk_elf(32, 0xC0200000, segs, 1, 0x100, 0, 0x2000);
    assert_fails_with("entry point 0xc0200000 is not inside any loaded segment");
}

static void test_aout_kludge(void **state)
{
    (void)state;
    ram(MiB(4));
    std_args();
    /* header at file 0x20 loaded at 0x100020: file 0 at 0x100000; the whole
     * file (load_end_addr 0), bss to 0x103000 */
    mk_aout(0x100020, 0x100000, 0, 0x103000, 0x100040, 0x1800);
    assert_int_equal(load(), 0);
    assert_int_equal(st.eip, 0x100040);
    assert_int_equal(st.kernel_start, 0x100000);
    assert_int_equal(st.kernel_end, 0x103000);
    assert_int_equal(memcmp(tm.buf + 0x100000, img, 0x1800), 0);
    assert_true(all(0x101800, 0x1800, 0));
    assert_int_equal(st.ebx, 0x103000);

    /* load_addr below the file start: file offset 0x10 at 0x200000, only
     * up to load_end_addr, no bss */
    ram(MiB(4));
    mk_aout(0x200010, 0x200000, 0x200400, 0, 0x200100, 0x1800);
    assert_int_equal(load(), 0);
    assert_int_equal(memcmp(tm.buf + 0x200000, img + 0x10, 0x400), 0);
    assert_true(all(0x200400, 0x10, 0xCC));
    assert_int_equal(st.kernel_end, 0x200400);

    /* every relation the address fields must satisfy */
    mk_aout(0x100020, 0x100040, 0, 0, 0x100040, 0x1800);
    assert_fails_with("load_addr 0x100040 is above header_addr 0x100020");
    mk_aout(0x100040, 0x100000, 0, 0, 0x100040, 0x1800);
    assert_fails_with("before the start of the file");
    mk_aout(0x100020, 0x100000, 0xff000, 0, 0x100040, 0x1800);
    assert_fails_with("load_end_addr 0xff000 is below load_addr 0x100000");
    mk_aout(0x100020, 0x100000, 0x102000, 0, 0x100040, 0x1800);
    assert_fails_with("needs file bytes [0, 0x2000), but the image is 6144 bytes");
    mk_aout(0x100020, 0x100000, 0x101000, 0x100800, 0x100040, 0x1800);
    assert_fails_with("bss_end_addr 0x100800 is below the end of the loaded text and data at 0x101000");
    mk_aout(0x100020, 0x100000, 0, 0, 0x200000, 0x1800);
    assert_fails_with("entry point 0x200000 is not inside any loaded segment");
    mk_aout(0xfffff020, 0xfffff000, 0, 0, 0xfffff040, 0x1800);
    assert_fails_with("does not fit in 4 MiB of guest memory");
}

static void test_info_block(void **state)
{
    (void)state;
    static uint8_t initrd[5000];
    static const uint8_t tiny[10] = "0123456789";
    const struct mb1_module mods[] = {
        { initrd, sizeof(initrd), "/boot/initrd.img" },
        { tiny, sizeof(tiny), "mod2 arg=1" },
        { NULL, 0, NULL },
    };
    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i * 7);

    ram(MiB(32));
    std_args();
    args.kernel_name = "kernel.elf";
    args.cmdline = "verbose";
    args.modules = mods;
    args.nr_modules = 3;
    mk_std_elf32(MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO);
    assert_int_equal(load(), 0);

    /* modules: page-aligned after the kernel, which ends at 0x104000 */
    uint32_t m0 = 0x104000, m1 = 0x106000, m2 = 0x107000, info = 0x107000;
    assert_int_equal(memcmp(tm.buf + m0, initrd, sizeof(initrd)), 0);
    assert_int_equal(memcmp(tm.buf + m1, tiny, sizeof(tiny)), 0);
    assert_int_equal(st.ebx, info);

    /* 3.3, field by field */
    uint32_t mods_addr = info + 116, mmap_addr = mods_addr + 3 * 16;
    uint32_t cmdline = mmap_addr + 4 * 24;
    uint32_t loader = cmdline + sizeof("kernel.elf verbose");
    uint32_t s0 = loader + 3, s1 = s0 + sizeof("/boot/initrd.img"), s2 = s1 + sizeof("mod2 arg=1");
    assert_int_equal(g32(info + 0), 0x24D);         /* mem, cmdline, mods, mmap, loader name */
    assert_int_equal(g32(info + 4), 639);
    assert_int_equal(g32(info + 8), (MiB(32) - MiB(1)) / 1024);
    assert_int_equal(g32(info + 12), 0);            /* no boot device */
    assert_int_equal(g32(info + 16), cmdline);
    assert_int_equal(g32(info + 20), 3);
    assert_int_equal(g32(info + 24), mods_addr);
    for (unsigned o = 28; o < 44; o += 4)
        assert_int_equal(g32(info + o), 0);         /* no symbols */
    assert_int_equal(g32(info + 44), 4 * 24);
    assert_int_equal(g32(info + 48), mmap_addr);
    assert_int_equal(g32(info + 52), 0);
    assert_int_equal(g32(info + 64), loader);
    assert_true(all(info + 68, 116 - 68, 0));       /* no APM, VBE, framebuffer */

    assert_string_equal((char *)tm.buf + cmdline, "kernel.elf verbose");
    assert_string_equal((char *)tm.buf + loader, "hv");

    const uint32_t want_mods[3][4] = {
        { m0, m0 + 5000, s0, 0 },
        { m1, m1 + 10, s1, 0 },
        { m2, m2, s2, 0 },                          /* an empty module */
    };
    for (unsigned i = 0; i < 3; i++)
        for (unsigned f = 0; f < 4; f++)
            assert_int_equal(g32(mods_addr + 16 * i + 4 * f), want_mods[i][f]);
    assert_string_equal((char *)tm.buf + s0, "/boot/initrd.img");
    assert_string_equal((char *)tm.buf + s1, "mod2 arg=1");
    assert_string_equal((char *)tm.buf + s2, "");

    for (unsigned i = 0; i < 4; i++) {
        uint32_t e = mmap_addr + 24 * i;
        assert_int_equal(g32(e), 20);               /* size, not counting itself */
        assert_int_equal(g64(e + 4), mmap[i].base);
        assert_int_equal(g64(e + 12), mmap[i].len);
        assert_int_equal(g32(e + 20), mmap[i].type);
    }
    assert_int_equal(st.end, s2 + 1);
    assert_true(all(st.end, 0x100, 0xCC));
}

static const char *loaded_cmdline(const char *name, const char *cmdline)
{
    ram(MiB(4));
    std_args();
    args.kernel_name = name;
    args.cmdline = cmdline;
    mk_std_elf32(0);
    assert_int_equal(load(), 0);
    return (const char *)tm.buf + g32(st.ebx + MB1_INFO_CMDLINE);
}

static void test_cmdline_forms(void **state)
{
    (void)state;
    assert_string_equal(loaded_cmdline("kernel.elf", "a b"), "kernel.elf a b");
    assert_string_equal(loaded_cmdline("kernel.elf", ""), "kernel.elf");
    assert_string_equal(loaded_cmdline("kernel.elf", NULL), "kernel.elf");
    assert_string_equal(loaded_cmdline(NULL, "quiet"), "quiet");
    assert_string_equal(loaded_cmdline("", "quiet"), "quiet");
    assert_string_equal(loaded_cmdline(NULL, NULL), "");
}

static void test_mem_upper(void **state)
{
    (void)state;
    ram(MiB(16));
    std_args();
    /* RAM from 1 MiB split in two entries, then a hole at 8 MiB */
    mmap[2] = (struct mb1_mmap_entry){ 0x100000, MiB(3), MB1_MEM_AVAILABLE };
    mmap[3] = (struct mb1_mmap_entry){ MiB(4), MiB(4), MB1_MEM_AVAILABLE };
    mk_std_elf32(MB1_HF_MEMORY_INFO);
    assert_int_equal(load(), 0);
    assert_int_equal(g32(st.ebx + MB1_INFO_MEM_UPPER), 7 * 1024);

    /* a kernel over memory the map reserves is refused */
    mmap[2] = (struct mb1_mmap_entry){ 0x100000, 0x2000, MB1_MEM_AVAILABLE };
    mmap[3] = (struct mb1_mmap_entry){ 0x103000, MiB(4), MB1_MEM_AVAILABLE };
    assert_fails_with("kernel segment 1 [0x101000, 0x104000) is not available RAM in the "
                      "guest's memory map");
}

static void test_header_flags(void **state)
{
    (void)state;
    ram(MiB(4));
    std_args();
    mk_std_elf32(MB1_HF_MEMORY_INFO | BIT(3));
    assert_fails_with("required bit 3 is not supported");
    mk_std_elf32(BIT(15) | BIT(0));
    assert_fails_with("required bit 15");
    /* optional bits (16-31) other than 16 are ignored */
    mk_std_elf32(BIT(17) | BIT(31));
    assert_int_equal(load(), 0);
    assert_int_equal(st.header_flags, BIT(17) | BIT(31));
    /* a video mode request is accepted and ignored: no VBE/framebuffer info */
    mk_std_elf32(MB1_HF_VIDEO_MODE);
    assert_int_equal(load(), 0);
    assert_int_equal(g32(st.ebx) & (BIT(11) | BIT(12)), 0);
    /* its fields must be present */
    mk_std_elf32(MB1_HF_VIDEO_MODE);
    img_len = 0x200 + 40;
    assert_fails_with("flags 0x4 need 48 header bytes, but the image ends at offset 0x228");

    /* bad checksum */
    mk_std_elf32(0);
    img[0x200 + 8] ^= 0x80;
    assert_fails_with("bad checksum");
}

static void test_elf_header_checks(void **state)
{
    (void)state;
    ram(MiB(4));
    std_args();

    mk_std_elf32(0);
    img[4] = 3;
    assert_fails_with("ELF class 3");
    mk_std_elf32(0);
    img[5] = 2;
    assert_fails_with("not little-endian");
    mk_std_elf32(0);
    p16(img + 16, 3);
    assert_fails_with("ELF type 3 is not an executable");
    mk_std_elf32(0);
    p16(img + 18, 62);
    assert_fails_with("ELF32 machine 62 is not EM_386");
    mk_std_elf32(0);
    p16(img + 44, 0);
    assert_fails_with("no program headers");
    mk_std_elf32(0);
    p16(img + 44, 0xffff);
    assert_fails_with("PN_XNUM");
    mk_std_elf32(0);
    p16(img + 42, 31);
    assert_fails_with("entry size 31 is below 32");

    /* the program header table out of bounds, with and without wrap */
    mk_std_elf32(0);
    p32(img + 28, 0x27f0);
    assert_fails_with("ELF program header table [0x27f0, 0x2830) (2 entries of 32 bytes) "
                      "is outside the 10240-byte image");
    mk_std_elf32(0);
    p32(img + 28, 0xfffffff0);
    assert_fails_with("program header table");
    mk_std_elf32(0);
    p16(img + 44, 400);
    assert_fails_with("program header table");

    /* an ELF64 table offset that would wrap */
    static const struct tseg one[] = { { 1, 0x1000, 0x100000, 0x100000, 0x10, 0x10 } };
    mk_elf(64, 0x100000, one, 1, 0x100, 0, 0x2000);
    p64(img + 32, UINT64_MAX - 8);
    assert_fails_with("program header table");

    /* a.out flag absent and no ELF magic */
    memset(img, 0, sizeof(img));
    img_len = 0x1000;
    put_mb1(img + 0x40, 0);
    assert_fails_with("lack bit 16");
}

static void test_segment_checks(void **state)
{
    (void)state;
    struct tseg s[2];

    /* beyond guest RAM, the message naming the segment and the RAM size */
    ram(MiB(64));
    std_args();
    memcpy(s, std_segs, sizeof(s));
    s[0].paddr = s[0].vaddr = 0x10000;
    s[1].paddr = s[1].vaddr = 0x100000;
    s[1].memsz = 0x4f00000;
    mk_elf(32, 0x10010, s, 2, 0x200, 0, 0x2800);
    assert_fails_with("kernel segment 1 [0x100000, 0x5000000) does not fit in 64 MiB of "
                      "guest memory");
    assert_string_equal(err, "kernel segment 1 [0x100000, 0x5000000) does not fit in 64 MiB "
                        "of guest memory");

    ram(MiB(4));
    std_args();
    /* filesz > memsz */
    memcpy(s, std_segs, sizeof(s));
    s[1].filesz = 0x3001;
    mk_elf(32, 0x100010, s, 2, 0x200, 0, 0x6000);
    assert_fails_with("kernel segment 1: file size 0x3001 exceeds memory size 0x3000");

    /* file bytes beyond the image, and an offset that wraps */
    memcpy(s, std_segs, sizeof(s));
    mk_elf(32, 0x100010, s, 2, 0x200, 0, 0x27ff);
    assert_fails_with("kernel segment 1: file bytes [0x2000, 0x2800) are outside the "
                      "10239-byte image");
    static const struct tseg wrap[] = {
        { 1, UINT64_MAX - 4, 0x100000, 0x100000, 0x10, 0x10 },
    };
    mk_elf(64, 0x100000, wrap, 1, 0x100, 0, 0x2000);
    assert_fails_with("kernel segment 0: file bytes");

    /* a segment whose end wraps the 32-bit and the 64-bit space */
    memcpy(s, std_segs, sizeof(s));
    s[1].paddr = 0xfffff000;
    s[1].vaddr = 0xfffff000;
    mk_elf(32, 0x100010, s, 2, 0x200, 0, 0x2800);
    assert_fails_with("kernel segment 1 [0xfffff000, 0x100002000) does not fit");
    static const struct tseg wrap64[] = {
        { 1, 0x1000, 0x100000, UINT64_MAX - 0xfff, 0x10, 0x2000 },
    };
    mk_elf(64, 0x100000, wrap64, 1, 0x100, 0, 0x2000);
    assert_fails_with("wraps around the address space");

    /* a page the guest_mem callback refuses */
    memcpy(s, std_segs, sizeof(s));
    mk_elf(32, 0x100010, s, 2, 0x200, 0, 0x2800);
    tm.hole_lo = 0x102000;
    tm.hole_hi = 0x103000;
    assert_fails_with("kernel segment 1 [0x101000, 0x104000): 0x102000 is not guest RAM");
    assert_true(all(0x100000, 0x1000, 0xCC));       /* nothing written */

    /* only non-loadable segments */
    memcpy(s, std_segs, sizeof(s));
    s[0].type = s[1].type = 4;
    mk_elf(32, 0x100010, s, 2, 0x200, 0, 0x2800);
    assert_fails_with("no loadable segments");
}

static void test_placement_fails(void **state)
{
    (void)state;
    static uint8_t blob[0x100000];
    const struct mb1_module mods[] = { { blob, sizeof(blob), "big" } };

    /* 2 MiB of RAM, kernel to 0x104000: a 1 MiB module ends at 0x204000 */
    ram(MiB(2));
    std_args();
    args.modules = mods;
    args.nr_modules = 1;
    mk_std_elf32(MB1_HF_PAGE_ALIGN);
    assert_fails_with("module 0 (1048576 bytes) [0x104000, 0x204000) does not fit in 2 MiB "
                      "of guest memory");
    assert_true(all(0x100000, 0x1000, 0xCC));       /* nothing written */

    /* the information itself: a kernel that ends 64 bytes below the top */
    static const struct tseg top[] = {
        { 1, 0x1000, 0x100000, 0x100000, 0x1000, MiB(1) - 0x40 },
    };
    args.nr_modules = 0;
    mk_elf(32, 0x100000, top, 1, 0x200, 0, 0x2000);
    assert_fails_with("multiboot information [0x200000, 0x2000");
    assert_non_null(strstr(err, "does not fit in 2 MiB of guest memory"));

    /* a kernel below 1 MiB: modules and information still go at 1 MiB */
    static const struct tseg low[] = { { 1, 0x1000, 0x10000, 0x10000, 0x100, 0x100 } };
    ram(MiB(2));
    std_args();
    mk_elf(32, 0x10000, low, 1, 0x200, 0, 0x2000);
    assert_int_equal(load(), 0);
    assert_int_equal(st.ebx, 0x100000);
}

static void test_args_checks(void **state)
{
    (void)state;
    ram(MiB(4));
    std_args();
    mk_std_elf32(0);
    args.mem_lower_kb = 641;
    assert_fails_with("mem_lower 641 KiB is above the 640 KiB");
    std_args();
    args.nr_mmap = 0;
    assert_fails_with("the guest memory map has 0 entries");
    std_args();
    mmap[1].base = UINT64_MAX;
    assert_fails_with("guest memory map entry 1");
    std_args();
    args.nr_modules = MB1_MAX_MODULES + 1;
    assert_fails_with("at most 256");
}

/* Every prefix of a valid image: refused cleanly, never read past. */
static void truncate_all(size_t full, bool must_fail)
{
    uint8_t save[IMG_MAX];
    memcpy(save, img, full);
    for (size_t cut = 0; cut < full; cut++) {
        memcpy(img, save, full);
        img_len = cut;
        err[0] = 'X';
        int r = load();
        if (must_fail) {
            assert_int_equal(r, -1);
            assert_true(err[0] != '\0' && err[0] != 'X');
        }
    }
    memcpy(img, save, full);
    img_len = full;
    assert_int_equal(load(), 0);
}

static void test_truncated(void **state)
{
    (void)state;
    ram(MiB(4));
    std_args();
    mk_std_elf32(3);
    truncate_all(img_len, true);

    static const struct tseg segs[] = {
        { 1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000 },
        { 1, 0x2000, 0x201000, 0x201000, 0x100, 0x2000 },
    };
    mk_elf(64, 0x200100, segs, 2, 0x1f0, 0, 0x2100);
    truncate_all(img_len, true);

    /* a.out with load_end_addr 0 loads whatever is there: must not crash */
    mk_aout(0x100020, 0x100000, 0, 0x103000, 0x100040, 0x1800);
    truncate_all(img_len, false);
    mk_aout(0x100020, 0x100000, 0x101000, 0x103000, 0x100040, 0x1800);
    truncate_all(img_len, false);
}

static void test_raw(void **state)
{
    (void)state;
    static uint8_t boot[0x200];
    for (size_t i = 0; i < sizeof(boot); i++)
        boot[i] = (uint8_t)i;

    ram(MiB(2));
    assert_int_equal(raw_load(boot, sizeof(boot), &gm, 0x7c00, err, sizeof(err)), 0);
    assert_int_equal(memcmp(tm.buf + 0x7c00, boot, sizeof(boot)), 0);
    assert_true(all(0x7e00, 0x100, 0xCC));
    /* ends exactly at 1 MiB */
    assert_int_equal(raw_load(boot, sizeof(boot), &gm, MiB(1) - 0x200, err, sizeof(err)), 0);

    assert_int_equal(raw_load(boot, sizeof(boot), &gm, MiB(1) - 0x1ff, err, sizeof(err)), -1);
    assert_string_equal(err, "raw image [0xffe01, 0x100001) ends above 0x100000: a real-mode "
                        "image must end at or below 1 MiB");
    static uint8_t huge[0x100001];
    assert_int_equal(raw_load(huge, sizeof(huge), &gm, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ends above 0x100000"));
    assert_int_equal(raw_load(boot, 0, &gm, 0x7c00, err, sizeof(err)), -1);
    assert_string_equal(err, "raw image is empty");
    assert_int_equal(raw_load(boot, sizeof(boot), &gm, UINT64_MAX - 0x10, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "wraps around"));

    ram(KiB(512));
    assert_int_equal(raw_load(boot, sizeof(boot), &gm, KiB(512) - 0x100, err, sizeof(err)), -1);
    assert_string_equal(err, "raw image [0x7ff00, 0x80100) does not fit in 512 KiB of guest "
                        "memory");
}

static int teardown(void **state)
{
    (void)state;
    free(tm.buf);
    tm.buf = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_header_search_limit),
        cmocka_unit_test(test_elf32),
        cmocka_unit_test(test_elf64),
        cmocka_unit_test(test_higher_half_entry),
        cmocka_unit_test(test_aout_kludge),
        cmocka_unit_test(test_info_block),
        cmocka_unit_test(test_cmdline_forms),
        cmocka_unit_test(test_mem_upper),
        cmocka_unit_test(test_header_flags),
        cmocka_unit_test(test_elf_header_checks),
        cmocka_unit_test(test_segment_checks),
        cmocka_unit_test(test_placement_fails),
        cmocka_unit_test(test_args_checks),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_raw),
    };
    return cmocka_run_group_tests_name("guest_image", tests, NULL, teardown);
}
