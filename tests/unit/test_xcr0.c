/* XCR0 values XSETBV may set (arch/x86/xcr0.c, SDM Vol. 1 13.3 and
 * Vol. 2D XSETBV), against a CPU with x87/SSE/AVX/AVX-512/PKRU and one
 * with only x87/SSE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/fpu.h>

#define SKX (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512 | XFEATURE_PKRU)
#define OLD (XFEATURE_X87 | XFEATURE_SSE)

static void test_valid(void **state)
{
    (void)state;
    assert_true(xcr0_valid(0x1, SKX));
    assert_true(xcr0_valid(0x3, SKX));
    assert_true(xcr0_valid(0x7, SKX));
    assert_true(xcr0_valid(0xe7, SKX));
    assert_true(xcr0_valid(0x2e7, SKX));
    assert_true(xcr0_valid(0x3, OLD));
}

static void test_x87_mandatory(void **state)
{
    (void)state;
    assert_false(xcr0_valid(0x0, SKX));
    assert_false(xcr0_valid(0x2, SKX));
    assert_false(xcr0_valid(0x6, SKX));
}

static void test_avx_needs_sse(void **state)
{
    (void)state;
    assert_false(xcr0_valid(0x5, SKX));
}

static void test_avx512_all_or_none(void **state)
{
    (void)state;
    assert_false(xcr0_valid(0x27, SKX));        /* opmask alone */
    assert_false(xcr0_valid(0x67, SKX));        /* two of three */
    assert_false(xcr0_valid(0xa7, SKX));
    assert_false(xcr0_valid(0xc7, SKX));
    assert_false(xcr0_valid(0xe3, SKX));        /* AVX-512 without AVX */
}

static void test_unsupported(void **state)
{
    (void)state;
    assert_false(xcr0_valid(0x7, OLD));         /* AVX on a CPU without it */
    assert_false(xcr0_valid(0x1ULL << 63, SKX | (1ULL << 62)));
    assert_false(xcr0_valid(0x1 | XFEATURE_BNDREGS, SKX));
}

static void test_pairs(void **state)
{
    (void)state;
    uint64_t all = SKX | XFEATURE_BNDREGS | XFEATURE_BNDCSR | XFEATURE_TILECFG |
                   XFEATURE_TILEDATA;
    assert_true(xcr0_valid(0x3 | XFEATURE_BNDREGS | XFEATURE_BNDCSR, all));
    assert_false(xcr0_valid(0x3 | XFEATURE_BNDREGS, all));
    assert_false(xcr0_valid(0x3 | XFEATURE_BNDCSR, all));
    assert_true(xcr0_valid(0xe7 | XFEATURE_TILECFG | XFEATURE_TILEDATA, all));
    assert_false(xcr0_valid(0xe7 | XFEATURE_TILEDATA, all));
    assert_false(xcr0_valid(0xe7 | XFEATURE_TILECFG, all));
}

/* The XSAVEC check (include/arch/fpu.h): an image as the SDM lays it out
 * and one as Bochs 2.7 writes it (AVX after the XMM registers, at 416). */
static uint8_t avx[XSAVE_AVX_SIZE];

static void image(uint8_t *img, int avx_at, uint64_t xstate_bv, uint64_t xcomp_bv)
{
    memset(img, 0, XSAVEC_PROBE_SIZE);
    for (int i = 0; i < XSAVE_AVX_SIZE; i++)
        avx[i] = (uint8_t)(i * 37 + 11);
    memcpy(img + avx_at, avx, XSAVE_AVX_SIZE);
    memcpy(img + 512, &xstate_bv, 8);
    memcpy(img + 520, &xcomp_bv, 8);
}

static void test_xsavec_sdm_layout(void **state)
{
    (void)state;
    uint8_t img[XSAVEC_PROBE_SIZE];
    image(img, 576, 0x4, (1ULL << 63) | 0x7);
    assert_true(xsavec_image_ok(img, avx));
    assert_int_equal(xsavec_avx_offset(img, avx), 576);
}

static void test_xsavec_bochs_layout(void **state)
{
    (void)state;
    uint8_t img[XSAVEC_PROBE_SIZE];
    image(img, 416, 0x4, (1ULL << 63) | 0x7);      /* the header over its end, as there */
    assert_false(xsavec_image_ok(img, avx));
    assert_int_equal(xsavec_avx_offset(img, avx), 416);
}

static void test_xsavec_header(void **state)
{
    (void)state;
    uint8_t img[XSAVEC_PROBE_SIZE];
    image(img, 576, 0x0, (1ULL << 63) | 0x7);           /* AVX said to be initial */
    assert_false(xsavec_image_ok(img, avx));
    image(img, 576, 0x4, 0x7);                          /* standard format */
    assert_false(xsavec_image_ok(img, avx));
    image(img, 576, 0x4, (1ULL << 63) | 0xe7);          /* more than RFBM */
    assert_false(xsavec_image_ok(img, avx));
    memset(img, 0, sizeof(img));                        /* nothing saved */
    assert_int_equal(xsavec_avx_offset(img, avx), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_x87_mandatory),
        cmocka_unit_test(test_avx_needs_sse),
        cmocka_unit_test(test_avx512_all_or_none),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_xsavec_sdm_layout),
        cmocka_unit_test(test_xsavec_bochs_layout),
        cmocka_unit_test(test_xsavec_header),
    };
    return cmocka_run_group_tests_name("xcr0", tests, NULL, NULL);
}
