/*
 * Multiboot2 information parser against byte buffers assembled tag by tag.
 * Each parse runs on a heap copy of exactly max_len bytes, so any read past
 * what the parser was allowed is an AddressSanitizer error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hv/multiboot2.h>

#define PHYS 0x9000ULL          /* where the "loader" put the information */

/* ---- builder ---------------------------------------------------------- */

struct mbi {
    uint8_t b[65536];
    size_t len;
};

static struct mbi mb;
static struct boot_info bi;
static char err[256];

static void put(struct mbi *m, const void *p, size_t n)
{
    assert_true(m->len + n <= sizeof(m->b));
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

/* Little-endian, whatever the host. */
static void putle(struct mbi *m, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t b = (uint8_t)(v >> (8 * i));
        put(m, &b, 1);
    }
}

static void put8(struct mbi *m, uint8_t v) { putle(m, v, 1); }
static void put16(struct mbi *m, uint16_t v) { putle(m, v, 2); }
static void put32(struct mbi *m, uint32_t v) { putle(m, v, 4); }
static void put64(struct mbi *m, uint64_t v) { putle(m, v, 8); }

static void set32(struct mbi *m, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static void start(struct mbi *m)
{
    memset(m->b, 0xee, sizeof(m->b));   /* padding is garbage, not zeros */
    m->len = 0;
    put32(m, 0);                        /* total_size, set by finish() */
    put32(m, 0);
}

/* Opens a tag; returns its offset for tag_close. */
static size_t tag_open(struct mbi *m, uint32_t type)
{
    size_t off = m->len;
    put32(m, type);
    put32(m, 0);
    return off;
}

/* Sets the size (unpadded, as the spec says) and pads to 8. */
static void tag_close(struct mbi *m, size_t off)
{
    set32(m, off + 4, (uint32_t)(m->len - off));
    m->len = (m->len + 7) & ~(size_t)7;
}

static size_t tag_str(struct mbi *m, uint32_t type, const char *s)
{
    size_t off = tag_open(m, type);
    put(m, s, strlen(s) + 1);
    tag_close(m, off);
    return off;
}

static void tag_module(struct mbi *m, uint32_t start_, uint32_t end, const char *name)
{
    size_t off = tag_open(m, MB2_TAG_MODULE);
    put32(m, start_);
    put32(m, end);
    put(m, name, strlen(name) + 1);
    tag_close(m, off);
}

static void tag_basic(struct mbi *m, uint32_t lower, uint32_t upper)
{
    size_t off = tag_open(m, MB2_TAG_BASIC_MEMINFO);
    put32(m, lower);
    put32(m, upper);
    tag_close(m, off);
}

struct ent {
    uint64_t base, len;
    uint32_t type;
};

static void tag_mmap(struct mbi *m, uint32_t esz, const struct ent *e, size_t n)
{
    size_t off = tag_open(m, MB2_TAG_MMAP);
    put32(m, esz);
    put32(m, 0);
    for (size_t i = 0; i < n; i++) {
        size_t at = m->len;
        put64(m, e[i].base);
        put64(m, e[i].len);
        put32(m, e[i].type);
        put32(m, 0);
        while (m->len < at + esz)
            put8(m, 0x5a);              /* fields a future version adds */
    }
    tag_close(m, off);
}

static void tag_fb_common(struct mbi *m, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
                          uint8_t bpp, uint8_t type)
{
    put64(m, addr);
    put32(m, pitch);
    put32(m, w);
    put32(m, h);
    put8(m, bpp);
    put8(m, type);
    put16(m, 0);
}

static void tag_fb_rgb(struct mbi *m, uint8_t bpp)
{
    size_t off = tag_open(m, MB2_TAG_FRAMEBUFFER);
    tag_fb_common(m, 0xfd000000, 4096, 1024, 768, bpp, MB2_FB_TYPE_RGB);
    const uint8_t layout[6] = { 16, 8, 8, 8, 0, 8 };
    put(m, layout, 6);
    tag_close(m, off);
}

/* Returns the offset of the tag, so the RSDP copy is at PHYS + off + 8. */
static size_t tag_rsdp(struct mbi *m, uint32_t type, size_t len, bool good_sig)
{
    size_t off = tag_open(m, type);
    uint8_t r[36] = "RSD PTR ";
    if (!good_sig)
        r[3] = 'X';
    r[15] = type == MB2_TAG_ACPI_NEW ? 2 : 0;   /* revision */
    put(m, r, len);
    tag_close(m, off);
    return off;
}

static void finish(struct mbi *m)
{
    size_t off = tag_open(m, MB2_TAG_END);
    tag_close(m, off);
    set32(m, 0, (uint32_t)m->len);
}

/* A minimal valid memory map, for tests about other tags. */
static void tag_min_mmap(struct mbi *m)
{
    const struct ent e[] = { { 0x100000, 0x7f00000, MB2_MMAP_AVAILABLE } };
    tag_mmap(m, 24, e, 1);
}

/* Parses exactly max_len bytes of m in a buffer of that size. */
static int parse_n(const struct mbi *m, size_t max_len)
{
    uint8_t *copy = malloc(max_len ? max_len : 1);
    assert_non_null(copy);
    memcpy(copy, m->b, max_len);
    memset(err, 'Z', sizeof(err));
    int rc = mb2_parse(copy, max_len, PHYS, &bi, err, sizeof(err));
    free(copy);
    assert_non_null(memchr(err, 0, sizeof(err)));
    return rc;
}

static int parse(const struct mbi *m)
{
    return parse_n(m, m->len);
}

static void expect_err(const char *needle)
{
    if (!strstr(err, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
}

/* ---- tests ------------------------------------------------------------ */

static void test_full_example(void **state)
{
    (void)state;
    start(&mb);
    tag_str(&mb, MB2_TAG_CMDLINE, "serial=0x3f8 loglevel=3");
    tag_str(&mb, MB2_TAG_LOADER_NAME, "GRUB 2.12");
    tag_module(&mb, 0x400000, 0x400321, "config");
    tag_module(&mb, 0x401000, 0x501000, "/boot/guest.bin arg");
    tag_basic(&mb, 639, 130048);
    const struct ent e[] = {
        { 0x0, 0x9fc00, MB2_MMAP_AVAILABLE },
        { 0x9fc00, 0x400, MB2_MMAP_RESERVED },
        { 0x100000, 0x7ee0000, MB2_MMAP_AVAILABLE },
        { 0x7fe0000, 0x20000, MB2_MMAP_ACPI },
        { 0x8000000, 0x1000, MB2_MMAP_NVS },
        { 0x8001000, 0x1000, MB2_MMAP_BAD },
        { 0x8002000, 0x0, MB2_MMAP_AVAILABLE },     /* zero length: dropped */
        { 0xfee00000, 0x1000, 7 },                  /* unknown: reserved */
        { 0x100000000ULL, 0x40000000ULL, MB2_MMAP_AVAILABLE },
    };
    tag_mmap(&mb, 24, e, 9);
    tag_fb_rgb(&mb, 32);
    size_t v1 = tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 20, true);
    size_t v2 = tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 36, true);
    size_t o = tag_open(&mb, MB2_TAG_EFI_MMAP);     /* ignored */
    put32(&mb, 48);
    put32(&mb, 1);
    for (int i = 0; i < 12; i++)
        put32(&mb, 0xdeadbeef);
    tag_close(&mb, o);
    o = tag_open(&mb, MB2_TAG_LOAD_BASE);
    put32(&mb, 0x200000);
    tag_close(&mb, o);
    o = tag_open(&mb, 99);                          /* unknown: ignored */
    put64(&mb, 1);
    tag_close(&mb, o);
    finish(&mb);

    assert_int_equal(parse(&mb), 0);
    assert_string_equal(err, "");
    assert_int_equal(bi.magic, BOOT_INFO_MAGIC);
    assert_int_equal(bi.version, BOOT_INFO_VERSION);
    assert_int_equal(bi.path, BOOT_PATH_MULTIBOOT2);
    assert_string_equal(bi.cmdline, "serial=0x3f8 loglevel=3");
    assert_string_equal(bi.loader_name, "GRUB 2.12");
    assert_int_equal(bi.module_count, 2);
    assert_int_equal(bi.modules[0].base, 0x400000);
    assert_int_equal(bi.modules[0].size, 0x321);
    assert_string_equal(bi.modules[0].name, "config");
    assert_int_equal(bi.modules[1].base, 0x401000);
    assert_int_equal(bi.modules[1].size, 0x100000);
    assert_string_equal(bi.modules[1].name, "/boot/guest.bin arg");

    assert_int_equal(bi.mmap_count, 8);             /* basic meminfo unused */
    const uint32_t types[] = { BOOT_MEM_USABLE, BOOT_MEM_RESERVED, BOOT_MEM_USABLE,
                               BOOT_MEM_ACPI_RECLAIM, BOOT_MEM_ACPI_NVS, BOOT_MEM_BAD,
                               BOOT_MEM_RESERVED, BOOT_MEM_USABLE };
    const size_t src_idx[] = { 0, 1, 2, 3, 4, 5, 7, 8 };
    for (int i = 0; i < 8; i++) {
        assert_int_equal(bi.mmap[i].base, e[src_idx[i]].base);
        assert_int_equal(bi.mmap[i].length, e[src_idx[i]].len);
        assert_int_equal(bi.mmap[i].type, types[i]);
        assert_int_equal(bi.mmap[i].reserved, 0);
    }

    assert_int_equal(bi.fb.type, BOOT_FB_RGB);
    assert_int_equal(bi.fb.base, 0xfd000000);
    assert_int_equal(bi.fb.pitch, 4096);
    assert_int_equal(bi.fb.width, 1024);
    assert_int_equal(bi.fb.height, 768);
    assert_int_equal(bi.fb.bpp, 32);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.red_size, 8);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.green_size, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 8);

    assert_int_equal(bi.rsdp, PHYS + v2 + 8);
    assert_int_not_equal(bi.rsdp, PHYS + v1 + 8);
    assert_int_equal(bi.image_base, 0x200000);
    assert_int_equal(bi.image_size, 0);
    assert_int_equal(bi.start_tsc, 0);
}

static void test_bad_total_size(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);

    /* Larger than what may be read. */
    assert_int_equal(parse_n(&mb, mb.len - 1), -1);
    expect_err("total_size");
    /* Smaller than its own header. */
    for (uint32_t t = 0; t < 8; t++) {
        set32(&mb, 0, t);
        assert_int_equal(parse(&mb), -1);
        expect_err("total_size");
    }
    /* Too little to read total_size at all. */
    for (size_t n = 0; n < 8; n++) {
        assert_int_equal(parse_n(&mb, n), -1);
        expect_err("cannot hold");
    }
    assert_int_equal(mb2_parse(NULL, 4096, PHYS, &bi, err, sizeof(err)), -1);
}

static void test_truncated_total_size(void **state)
{
    (void)state;
    /* total_size cut anywhere short of the end tag: the end tag is not
     * reached, or a tag no longer fits. Never a read past total_size
     * (the copy is exactly that long). */
    start(&mb);
    tag_str(&mb, MB2_TAG_CMDLINE, "console=com1");
    tag_min_mmap(&mb);
    finish(&mb);
    size_t full = mb.len;
    for (size_t t = 8; t < full; t++) {
        set32(&mb, 0, (uint32_t)t);
        assert_int_equal(parse_n(&mb, t), -1);
    }
    set32(&mb, 0, (uint32_t)full);
    assert_int_equal(parse_n(&mb, full), 0);
    /* A larger readable area is fine: total_size rules. */
    assert_int_equal(parse_n(&mb, full + 100), 0);
}

static void test_tag_past_end(void **state)
{
    (void)state;
    start(&mb);
    size_t off = tag_str(&mb, MB2_TAG_CMDLINE, "x");
    tag_min_mmap(&mb);
    finish(&mb);
    set32(&mb, off + 4, (uint32_t)(mb.len - off + 1));
    assert_int_equal(parse(&mb), -1);
    expect_err("past total_size");
    set32(&mb, off + 4, 0xfffffff0u);
    assert_int_equal(parse(&mb), -1);
    expect_err("past total_size");
}

static void test_tag_size_below_header(void **state)
{
    (void)state;
    for (uint32_t sz = 0; sz < 8; sz++) {
        start(&mb);
        size_t off = tag_str(&mb, MB2_TAG_LOADER_NAME, "GRUB");
        tag_min_mmap(&mb);
        finish(&mb);
        set32(&mb, off + 4, sz);
        assert_int_equal(parse(&mb), -1);
        expect_err("less than its header");
    }
    /* An end tag with size 0 would loop forever without the check. */
    start(&mb);
    tag_min_mmap(&mb);
    size_t off = tag_open(&mb, MB2_TAG_END);
    tag_close(&mb, off);
    set32(&mb, off + 4, 0);
    set32(&mb, 0, (uint32_t)mb.len);
    assert_int_equal(parse(&mb), -1);
}

static void test_missing_end_tag(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    set32(&mb, 0, (uint32_t)mb.len);
    assert_int_equal(parse(&mb), -1);
    expect_err("no end tag");

    /* Four stray bytes at the end: not a tag header. */
    start(&mb);
    tag_min_mmap(&mb);
    put32(&mb, 0);
    set32(&mb, 0, (uint32_t)mb.len);
    assert_int_equal(parse(&mb), -1);
    expect_err("no end tag");

    /* The last tag's padding would run past total_size. */
    start(&mb);
    tag_min_mmap(&mb);
    size_t off = tag_str(&mb, MB2_TAG_CMDLINE, "abc");  /* 12 bytes + 4 padding */
    set32(&mb, 0, (uint32_t)(off + 12));
    assert_int_equal(parse_n(&mb, off + 12), -1);
    expect_err("no end tag");
}

static void test_end_tag_stops_the_walk(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    finish(&mb);
    size_t end_total = mb.len;
    /* Garbage after the end tag, inside total_size: never looked at. */
    tag_str(&mb, MB2_TAG_CMDLINE, "after the end");
    put32(&mb, 0);
    put32(&mb, 1);                      /* a bad tag size */
    set32(&mb, 0, (uint32_t)mb.len);
    assert_int_equal(parse(&mb), 0);
    assert_string_equal(bi.cmdline, "");
    (void)end_total;
}

static void test_unterminated_strings(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    /* A command line without its NUL, followed by non-zero padding. */
    size_t off = tag_open(&mb, MB2_TAG_CMDLINE);
    put(&mb, "no-nul", 6);
    tag_close(&mb, off);
    /* A loader name longer than the field. */
    char longname[200];
    memset(longname, 'g', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    tag_str(&mb, MB2_TAG_LOADER_NAME, longname);
    /* A module name without its NUL, longer than the field. */
    off = tag_open(&mb, MB2_TAG_MODULE);
    put32(&mb, 0x1000000);
    put32(&mb, 0x1001000);
    for (int i = 0; i < 300; i++)
        put8(&mb, 'm');
    tag_close(&mb, off);
    /* A module without any name bytes. */
    tag_module(&mb, 0x2000000, 0x2000000, "");
    off = tag_open(&mb, MB2_TAG_MODULE);
    put32(&mb, 0x3000000);
    put32(&mb, 0x3000010);
    tag_close(&mb, off);
    finish(&mb);

    assert_int_equal(parse(&mb), 0);
    assert_string_equal(bi.cmdline, "no-nul");
    assert_int_equal(strlen(bi.loader_name), sizeof(bi.loader_name) - 1);
    assert_int_equal(bi.module_count, 3);
    assert_int_equal(strlen(bi.modules[0].name), BOOT_NAME_MAX - 1);
    assert_string_equal(bi.modules[1].name, "");
    assert_int_equal(bi.modules[1].size, 0);
    assert_string_equal(bi.modules[2].name, "");
    assert_int_equal(bi.modules[2].size, 0x10);
    expect_err("boot loader name cut");
    expect_err("name of module 1 cut");
}

static void test_long_cmdline_cut(void **state)
{
    (void)state;
    char line[600];
    for (size_t i = 0; i < sizeof(line) - 1; i++)
        line[i] = (char)('a' + i % 26);
    line[sizeof(line) - 1] = 0;
    start(&mb);
    tag_str(&mb, MB2_TAG_CMDLINE, line);
    tag_min_mmap(&mb);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_memory_equal(bi.cmdline, line, BOOT_CMDLINE_MAX - 1);
    expect_err("command line cut");
}

static void test_too_many_modules(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    for (uint32_t i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof(name), "mod%u", i);
        tag_module(&mb, 0x1000000 + i * 0x1000, 0x1000800 + i * 0x1000, name);
    }
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.module_count, BOOT_MODULES_MAX);
    assert_string_equal(bi.modules[BOOT_MODULES_MAX - 1].name, "mod31");
    assert_int_equal(bi.modules[BOOT_MODULES_MAX - 1].base, 0x1000000 + 31 * 0x1000);
    expect_err("40 modules, kept the first 32");
}

static void test_bad_modules_skipped(void **state)
{
    (void)state;
    start(&mb);
    tag_min_mmap(&mb);
    tag_module(&mb, 0x2000, 0x1000, "backwards");
    size_t off = tag_open(&mb, MB2_TAG_MODULE);     /* no room for mod_end */
    put32(&mb, 0x5000);
    tag_close(&mb, off);
    tag_module(&mb, 0x3000, 0x4000, "ok");
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.module_count, 1);
    assert_string_equal(bi.modules[0].name, "ok");
    expect_err("ends before it starts");
    expect_err("too short");
}

static void test_mmap_entry_sizes(void **state)
{
    (void)state;
    const struct ent e[] = {
        { 0x0, 0x9f000, MB2_MMAP_AVAILABLE },
        { 0x100000, 0x1000000, MB2_MMAP_AVAILABLE },
        { 0xe0000000ULL, 0x10000000, MB2_MMAP_RESERVED },
    };
    const uint32_t sizes[] = { 24, 32, 40, 64, 28 };
    for (size_t s = 0; s < 5; s++) {
        start(&mb);
        tag_mmap(&mb, sizes[s], e, 3);
        finish(&mb);
        assert_int_equal(parse(&mb), 0);
        assert_int_equal(bi.mmap_count, 3);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(bi.mmap[i].base, e[i].base);
            assert_int_equal(bi.mmap[i].length, e[i].len);
        }
        assert_int_equal(bi.mmap[2].type, BOOT_MEM_RESERVED);
        assert_string_equal(err, "");
    }
    /* Too small an entry to hold base, length and type: refused. */
    const uint32_t bad[] = { 0, 8, 16, 20, 23 };
    for (size_t s = 0; s < 5; s++) {
        start(&mb);
        size_t off = tag_open(&mb, MB2_TAG_MMAP);
        put32(&mb, bad[s]);
        put32(&mb, 0);
        for (int i = 0; i < 12; i++)
            put32(&mb, 0x100000);
        tag_close(&mb, off);
        finish(&mb);
        assert_int_equal(parse(&mb), -1);
        expect_err("entry size");
    }
    /* A tag too short for its own header fields. */
    start(&mb);
    size_t off = tag_open(&mb, MB2_TAG_MMAP);
    put32(&mb, 24);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), -1);
    expect_err("too short");
    /* A trailing partial entry is left out, with a note. */
    start(&mb);
    off = tag_open(&mb, MB2_TAG_MMAP);
    put32(&mb, 24);
    put32(&mb, 0);
    put64(&mb, 0x100000);
    put64(&mb, 0x100000);
    put32(&mb, 1);
    put32(&mb, 0);
    put64(&mb, 0x300000);               /* half an entry */
    put32(&mb, 0x1000);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.mmap_count, 1);
    expect_err("not a whole entry");
}

static void test_mmap_capped(void **state)
{
    (void)state;
    static struct ent e[BOOT_MMAP_MAX + 20];
    for (size_t i = 0; i < BOOT_MMAP_MAX + 20; i++)
        e[i] = (struct ent){ 0x100000 + i * 0x2000, 0x1000, 1 + i % 5 };
    start(&mb);
    tag_mmap(&mb, 24, e, BOOT_MMAP_MAX + 20);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.mmap_count, BOOT_MMAP_MAX);
    assert_int_equal(bi.mmap[BOOT_MMAP_MAX - 1].base, e[BOOT_MMAP_MAX - 1].base);
    expect_err("532 entries, kept the first 512");
}

static void test_second_mmap_replaces(void **state)
{
    (void)state;
    const struct ent a[] = { { 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 1 } };
    const struct ent b[] = { { 0x800000, 0x100000, 1 } };
    start(&mb);
    tag_mmap(&mb, 24, a, 2);
    tag_mmap(&mb, 24, b, 1);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.mmap_count, 1);
    assert_int_equal(bi.mmap[0].base, 0x800000);
    expect_err("second memory map");
}

static void test_rsdp_preference(void **state)
{
    (void)state;
    size_t v1, v2;

    /* v1 alone. */
    start(&mb);
    tag_min_mmap(&mb);
    v1 = tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 20, true);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, PHYS + v1 + 8);

    /* v2 alone. */
    start(&mb);
    tag_min_mmap(&mb);
    v2 = tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 36, true);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, PHYS + v2 + 8);

    /* Both, either order: v2 wins. */
    start(&mb);
    tag_min_mmap(&mb);
    v1 = tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 20, true);
    v2 = tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 36, true);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, PHYS + v2 + 8);
    start(&mb);
    tag_min_mmap(&mb);
    v2 = tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 36, true);
    v1 = tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 20, true);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, PHYS + v2 + 8);

    /* A damaged v2 falls back to v1. */
    start(&mb);
    tag_min_mmap(&mb);
    v1 = tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 20, true);
    tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 36, false);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, PHYS + v1 + 8);
    expect_err("RSDP signature");

    /* Too short to hold an RSDP: ignored, and the core will scan. */
    start(&mb);
    tag_min_mmap(&mb);
    tag_rsdp(&mb, MB2_TAG_ACPI_NEW, 20, true);
    tag_rsdp(&mb, MB2_TAG_ACPI_OLD, 12, true);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.rsdp, 0);
    expect_err("an RSDP needs 36");
    expect_err("an RSDP needs 20");
}

static void test_framebuffer_types(void **state)
{
    (void)state;
    /* 24 bpp RGB: not drawn on. */
    start(&mb);
    tag_min_mmap(&mb);
    tag_fb_rgb(&mb, 24);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.fb.type, BOOT_FB_NONE);
    assert_int_equal(bi.fb.base, 0);
    expect_err("24 bits per pixel");

    /* EGA text. */
    start(&mb);
    tag_min_mmap(&mb);
    size_t off = tag_open(&mb, MB2_TAG_FRAMEBUFFER);
    tag_fb_common(&mb, 0xb8000, 160, 80, 25, 16, MB2_FB_TYPE_EGA_TEXT);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_string_equal(err, "");
    assert_int_equal(bi.fb.type, BOOT_FB_EGA_TEXT);
    assert_int_equal(bi.fb.base, 0xb8000);
    assert_int_equal(bi.fb.width, 80);
    assert_int_equal(bi.fb.height, 25);
    assert_int_equal(bi.fb.pitch, 160);

    /* Indexed colour (with a palette): not used. */
    start(&mb);
    tag_min_mmap(&mb);
    off = tag_open(&mb, MB2_TAG_FRAMEBUFFER);
    tag_fb_common(&mb, 0xa0000, 320, 320, 200, 8, MB2_FB_TYPE_INDEXED);
    put16(&mb, 2);
    put(&mb, "\0\0\0\xff\xff\xff", 6);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.fb.type, BOOT_FB_NONE);
    expect_err("type 0");

    /* RGB without its colour layout. */
    start(&mb);
    tag_min_mmap(&mb);
    off = tag_open(&mb, MB2_TAG_FRAMEBUFFER);
    tag_fb_common(&mb, 0xfd000000, 4096, 1024, 768, 32, MB2_FB_TYPE_RGB);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.fb.type, BOOT_FB_NONE);
    expect_err("colour layout");

    /* Too short for the common part. */
    start(&mb);
    tag_min_mmap(&mb);
    off = tag_open(&mb, MB2_TAG_FRAMEBUFFER);
    put64(&mb, 0xfd000000);
    tag_close(&mb, off);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.fb.type, BOOT_FB_NONE);
}

static void test_basic_meminfo_fallback(void **state)
{
    (void)state;
    start(&mb);
    tag_basic(&mb, 639, 0x20000);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.mmap_count, 2);
    assert_int_equal(bi.mmap[0].base, 0);
    assert_int_equal(bi.mmap[0].length, 639 * 1024);
    assert_int_equal(bi.mmap[0].type, BOOT_MEM_USABLE);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[1].length, 0x20000ULL * 1024);
    expect_err("basic memory information");

    /* mem_lower beyond the 640 KiB a PC can have is not believed. */
    start(&mb);
    tag_basic(&mb, 4096, 0);
    finish(&mb);
    assert_int_equal(parse(&mb), 0);
    assert_int_equal(bi.mmap_count, 1);
    assert_int_equal(bi.mmap[0].length, 640 * 1024);

    start(&mb);
    tag_basic(&mb, 0, 0);
    finish(&mb);
    assert_int_equal(parse(&mb), -1);

    start(&mb);
    tag_str(&mb, MB2_TAG_CMDLINE, "x");
    finish(&mb);
    assert_int_equal(parse(&mb), -1);
    expect_err("no memory map");
}

static void test_error_buffer_edges(void **state)
{
    (void)state;
    start(&mb);
    tag_module(&mb, 2, 1, "backwards");
    tag_min_mmap(&mb);
    finish(&mb);
    assert_int_equal(mb2_parse(mb.b, mb.len, PHYS, &bi, NULL, 0), 0);
    char tiny[6];
    assert_int_equal(mb2_parse(mb.b, mb.len, PHYS, &bi, tiny, sizeof(tiny)), 0);
    assert_int_equal(strlen(tiny), 5);
    assert_int_equal(mb2_parse(mb.b, 4, PHYS, &bi, tiny, sizeof(tiny)), -1);
    assert_int_equal(strlen(tiny), 5);
    char one[1] = { 'x' };
    assert_int_equal(mb2_parse(mb.b, 4, PHYS, &bi, one, 1), -1);
    assert_int_equal(one[0], 0);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random_corruption(void **state)
{
    (void)state;
    static struct mbi base;
    start(&base);
    tag_str(&base, MB2_TAG_CMDLINE, "a b c");
    tag_str(&base, MB2_TAG_LOADER_NAME, "GRUB");
    tag_module(&base, 0x400000, 0x401000, "m");
    const struct ent e[] = { { 0, 0x9f000, 1 }, { 0x100000, 0x100000, 1 }, { 0x300000, 1, 2 } };
    tag_mmap(&base, 24, e, 3);
    tag_fb_rgb(&base, 32);
    tag_rsdp(&base, MB2_TAG_ACPI_NEW, 36, true);
    finish(&base);

    /* Random bytes flipped, total_size kept or not: the parser answers
     * without reading outside the buffer, and what it returns is sane. */
    for (int round = 0; round < 20000; round++) {
        memcpy(&mb, &base, sizeof(base));
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = rnd() % mb.len;
            mb.b[at] = rnd() % 3 ? (uint8_t)rnd() : (uint8_t)(mb.b[at] ^ (1u << (rnd() % 8)));
        }
        size_t max_len = rnd() % 4 ? mb.len : rnd() % (mb.len + 1);
        if (parse_n(&mb, max_len) == 0) {
            assert_true(bi.mmap_count > 0 && bi.mmap_count <= BOOT_MMAP_MAX);
            assert_true(bi.module_count <= BOOT_MODULES_MAX);
            assert_non_null(memchr(bi.cmdline, 0, sizeof(bi.cmdline)));
            assert_non_null(memchr(bi.loader_name, 0, sizeof(bi.loader_name)));
            for (uint32_t i = 0; i < bi.module_count; i++)
                assert_non_null(memchr(bi.modules[i].name, 0, BOOT_NAME_MAX));
            assert_true(bi.rsdp == 0 || (bi.rsdp > PHYS && bi.rsdp < PHYS + max_len));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_bad_total_size),
        cmocka_unit_test(test_truncated_total_size),
        cmocka_unit_test(test_tag_past_end),
        cmocka_unit_test(test_tag_size_below_header),
        cmocka_unit_test(test_missing_end_tag),
        cmocka_unit_test(test_end_tag_stops_the_walk),
        cmocka_unit_test(test_unterminated_strings),
        cmocka_unit_test(test_long_cmdline_cut),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_bad_modules_skipped),
        cmocka_unit_test(test_mmap_entry_sizes),
        cmocka_unit_test(test_mmap_capped),
        cmocka_unit_test(test_second_mmap_replaces),
        cmocka_unit_test(test_rsdp_preference),
        cmocka_unit_test(test_framebuffer_types),
        cmocka_unit_test(test_basic_meminfo_fallback),
        cmocka_unit_test(test_error_buffer_edges),
        cmocka_unit_test(test_random_corruption),
    };
    return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
