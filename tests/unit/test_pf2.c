/* PF2 font reader: synthetic fonts, hostile fonts, and grub-common's own
 * ascii.pf2 (the file the core links in). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include <hv/pf2.h>

static size_t put_sec(uint8_t *b, size_t pos, const char *name, const void *data, uint32_t len)
{
    memcpy(b + pos, name, 4);
    b[pos + 4] = len >> 24; b[pos + 5] = len >> 16; b[pos + 6] = len >> 8; b[pos + 7] = len;
    if (data)
        memcpy(b + pos + 8, data, len);
    return pos + 8 + len;
}

static const uint8_t u16_16[2] = { 0, 16 }, u16_8[2] = { 0, 8 };
static const uint8_t u16_14[2] = { 0, 14 }, u16_2[2] = { 0, 2 };

/* A font with two 8x16 glyphs: 'A' (a vertical bar in column 0) and 'M'. */
static size_t build_font(uint8_t *b, uint32_t glyph_w, uint32_t bad_offset)
{
    size_t pos = 0;
    pos = put_sec(b, pos, "FILE", "PFF2", 4);
    pos = put_sec(b, pos, "MAXW", u16_8, 2);
    pos = put_sec(b, pos, "MAXH", u16_16, 2);
    pos = put_sec(b, pos, "ASCE", u16_14, 2);
    pos = put_sec(b, pos, "DESC", u16_2, 2);
    size_t chix_at = pos;
    pos = put_sec(b, pos, "CHIX", NULL, 18);
    pos = put_sec(b, pos, "DATA", NULL, 0xffffffff) - 0xffffffffu;  /* runs to the end */
    uint32_t off_a = (uint32_t)pos;
    uint8_t hdr[10] = { 0, (uint8_t)glyph_w, 0, 16, 0, 0, 0xff, 0xfe, 0, 8 };
    memcpy(b + pos, hdr, 10);
    pos += 10;
    for (int row = 0; row < 16; row++)
        b[pos + row] = 0x80;
    pos += 16;
    uint32_t off_m = (uint32_t)pos;
    memcpy(b + pos, hdr, 10);
    b[pos + 1] = 8;
    pos += 10;
    memset(b + pos, 0xff, 16);
    pos += 16;
    uint8_t chix[18] = { 0, 0, 0, 'A', 0, 0, 0, 0, 0, 0, 0, 0, 'M', 0, 0, 0, 0, 0 };
    if (bad_offset)
        off_a = bad_offset;
    chix[5] = off_a >> 24; chix[6] = off_a >> 16; chix[7] = off_a >> 8; chix[8] = off_a;
    chix[14] = off_m >> 24; chix[15] = off_m >> 16; chix[16] = off_m >> 8; chix[17] = off_m;
    memcpy(b + chix_at + 8, chix, 18);
    return pos;
}

static void test_synthetic(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t len = build_font(buf, 8, 0);
    struct pf2_font f;
    struct pf2_glyph g;
    char err[64];

    assert_int_equal(pf2_load(&f, buf, len, err, sizeof(err)), 0);
    assert_int_equal(f.cell_w, 8);
    assert_int_equal(f.cell_h, 16);
    assert_true(pf2_glyph(&f, 'A', &g));
    assert_int_equal(g.width, 8);
    assert_int_equal(g.height, 16);
    assert_int_equal(g.yoff, -2);
    assert_true(pf2_pixel(&g, 0, 5));
    assert_false(pf2_pixel(&g, 1, 5));
    assert_false(pf2_glyph(&f, 'B', &g));       /* absent */
    assert_false(pf2_glyph(&f, 0x263a, &g));
}

static void test_hostile(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct pf2_font f;
    struct pf2_glyph g;
    char err[64];

    /* Glyph offset beyond the file: lookup refuses, never reads it. */
    size_t len = build_font(buf, 8, 100000);
    assert_int_equal(pf2_load(&f, buf, len, err, sizeof(err)), 0);
    assert_false(pf2_glyph(&f, 'A', &g));

    /* Glyph claiming 64x64 bits in a file too short for them. */
    len = build_font(buf, 64, 0);
    assert_int_equal(pf2_load(&f, buf, len, err, sizeof(err)), 0);
    assert_true(pf2_glyph(&f, 'M', &g));
    assert_false(pf2_glyph(&f, 'A', &g));

    /* Every truncation of a valid font either loads or fails cleanly. */
    len = build_font(buf, 8, 0);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        if (pf2_load(&f, copy, cut, err, sizeof(err)) == 0)
            (void)pf2_glyph(&f, 'A', &g);
        free(copy);
    }

    assert_int_not_equal(pf2_load(&f, "FILE\0\0\0\4PFF3", 12, err, sizeof(err)), 0);
    assert_string_equal(err, "not a PF2 font (no FILE/PFF2 header)");
    uint8_t nochix[64];
    size_t n = put_sec(nochix, 0, "FILE", "PFF2", 4);
    n = put_sec(nochix, n, "ASCE", u16_14, 2);
    assert_int_not_equal(pf2_load(&f, nochix, n, err, sizeof(err)), 0);
    assert_string_equal(err, "no character index (CHIX)");
}

static void test_grub_ascii(void **state)
{
    (void)state;
    FILE *fp = fopen("/usr/share/grub/ascii.pf2", "rb");
    assert_non_null(fp);        /* grub-common is a build dependency */
    static uint8_t buf[65536];
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    struct pf2_font f;
    struct pf2_glyph g;
    char err[64];
    assert_int_equal(pf2_load(&f, buf, len, err, sizeof(err)), 0);
    assert_int_equal(f.cell_w, 8);
    assert_int_equal(f.cell_h, 16);
    for (uint32_t c = 0x21; c < 0x7f; c++) {
        assert_true(pf2_glyph(&f, c, &g));
        unsigned on = 0;
        for (unsigned y = 0; y < g.height; y++)
            for (unsigned x = 0; x < g.width; x++)
                on += pf2_pixel(&g, x, y);
        assert_true(on > 0);    /* every printable character draws something */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_grub_ascii),
    };
    return cmocka_run_group_tests_name("pf2", tests, NULL, NULL);
}
