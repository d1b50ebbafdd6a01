/* The record of unbacked guest-physical accesses (vm/unbacked.c): each
 * 1 MiB range logged once, a bounded table, every access counted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/unbacked.h>

static void test_range(void **state)
{
    (void)state;
    assert_int_equal(unbacked_range(0x10000000), 0x10000000);
    assert_int_equal(unbacked_range(0x100fffff), 0x10000000);
    assert_int_equal(unbacked_range(0x10100000), 0x10100000);
    assert_int_equal(unbacked_range(0xfee00030), 0xfee00000);
    assert_int_equal(unbacked_range(0xfec00000), 0xfec00000);
    assert_int_equal(unbacked_range(~0ULL), ~0ULL - (UNBACKED_RANGE_SIZE - 1));
}

static void test_once_per_range(void **state)
{
    (void)state;
    struct unbacked u = { 0 };
    assert_int_equal(unbacked_note(&u, 0x10000000), UNBACKED_NEW_RANGE);
    assert_int_equal(unbacked_note(&u, 0x10000004), UNBACKED_SEEN);
    assert_int_equal(unbacked_note(&u, 0x100ffffc), UNBACKED_SEEN);      /* same MiB */
    assert_int_equal(unbacked_note(&u, 0x10100000), UNBACKED_NEW_RANGE); /* the next one */
    assert_int_equal(unbacked_note(&u, 0xc0000000), UNBACKED_NEW_RANGE); /* the PC hole */
    assert_int_equal(unbacked_note(&u, 0xfee00020), UNBACKED_NEW_RANGE);
    assert_int_equal(unbacked_note(&u, 0x10000000), UNBACKED_SEEN);
    assert_int_equal(u.accesses, 7);
    assert_int_equal(u.range_count, 4);
    unbacked_clear(&u);
    assert_int_equal(u.accesses, 0);
    assert_int_equal(unbacked_note(&u, 0x10000000), UNBACKED_NEW_RANGE);
}

static void test_bounded(void **state)
{
    (void)state;
    struct unbacked u = { 0 };
    for (unsigned i = 0; i < UNBACKED_MAX_RANGES; i++)
        assert_int_equal(unbacked_note(&u, 0x40000000 + i * UNBACKED_RANGE_SIZE),
                         UNBACKED_NEW_RANGE);
    /* The table is full: the next new range says so, once. */
    assert_int_equal(unbacked_note(&u, 0x80000000), UNBACKED_TABLE_FULL);
    assert_int_equal(unbacked_note(&u, 0x80100000), UNBACKED_QUIET);
    assert_int_equal(unbacked_note(&u, 0x80000000), UNBACKED_QUIET);
    /* Ranges already logged stay known. */
    assert_int_equal(unbacked_note(&u, 0x40000000), UNBACKED_SEEN);
    assert_int_equal(u.range_count, UNBACKED_MAX_RANGES);
    assert_int_equal(u.accesses, UNBACKED_MAX_RANGES + 4);
    /* A million more: counted, never stored, never logged. */
    for (uint64_t i = 0; i < 1000000; i++)
        assert_int_equal(unbacked_note(&u, GiB(8) + i * PAGE_SIZE * 300), UNBACKED_QUIET);
    assert_int_equal(u.range_count, UNBACKED_MAX_RANGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_once_per_range),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
