/* XCR0 values XSETBV may set (arch/x86/xcr0.c, SDM Vol. 1 13.3 and
 * Vol. 2D XSETBV), against a CPU with x87/SSE/AVX/AVX-512/PKRU and one
 * with only x87/SSE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_x87_mandatory),
        cmocka_unit_test(test_avx_needs_sse),
        cmocka_unit_test(test_avx512_all_or_none),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_pairs),
    };
    return cmocka_run_group_tests_name("xcr0", tests, NULL, NULL);
}
