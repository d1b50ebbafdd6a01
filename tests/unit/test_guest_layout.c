/* A guest's RAM layout: low RAM up to 3 GiB, the hole, the rest at 4 GiB. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/guest_layout.h>

#define GiB(x) ((uint64_t)(x) << 30)
#define MiB(x) ((uint64_t)(x) << 20)

static void test_small_guest(void **state)
{
    (void)state;
    struct guest_ram_region r[2];
    assert_int_equal(guest_ram_layout(MiB(32), r), 1);
    assert_int_equal(r[0].gpa, 0);
    assert_int_equal(r[0].size, MiB(32));
    assert_int_equal(guest_ram_end(MiB(32)), MiB(32));
    assert_int_equal(guest_ram_layout(0, r), 0);
    assert_int_equal(guest_ram_end(0), 0);
}

static void test_exactly_three_gib(void **state)
{
    (void)state;
    struct guest_ram_region r[2];
    assert_int_equal(guest_ram_layout(GiB(3), r), 1);
    assert_int_equal(guest_ram_end(GiB(3)), GiB(3));
}

static void test_big_guest_skips_the_hole(void **state)
{
    (void)state;
    struct guest_ram_region r[2];
    assert_int_equal(guest_ram_layout(GiB(8), r), 2);
    assert_int_equal(r[0].gpa, 0);
    assert_int_equal(r[0].size, GiB(3));
    assert_int_equal(r[1].gpa, GiB(4));
    assert_int_equal(r[1].size, GiB(5));
    assert_int_equal(r[1].offset, GiB(3));
    assert_int_equal(guest_ram_end(GiB(8)), GiB(9));
}

static void test_offsets(void **state)
{
    (void)state;
    uint64_t off = 0;
    /* low RAM maps 1:1 into the block */
    assert_true(guest_ram_offset(GiB(8), 0x100000, 4096, &off));
    assert_int_equal(off, 0x100000);
    /* the xAPIC page and the rest of the hole are not RAM */
    assert_false(guest_ram_offset(GiB(8), 0xfee00000, 4, &off));
    assert_false(guest_ram_offset(GiB(8), GiB(3), 1, &off));
    /* ranges may not straddle the end of low RAM or of high RAM */
    assert_false(guest_ram_offset(GiB(8), GiB(3) - 2, 4, &off));
    assert_true(guest_ram_offset(GiB(8), GiB(3) - 4, 4, &off));
    assert_true(guest_ram_offset(GiB(8), GiB(4), 8, &off));
    assert_int_equal(off, GiB(3));
    assert_true(guest_ram_offset(GiB(8), GiB(9) - 8, 8, &off));
    assert_false(guest_ram_offset(GiB(8), GiB(9) - 4, 8, &off));
    assert_false(guest_ram_offset(GiB(8), GiB(9), 1, &off));
    /* small guest: the end, empty and huge ranges, wrap-around */
    assert_true(guest_ram_offset(MiB(32), MiB(32) - 1, 1, &off));
    assert_false(guest_ram_offset(MiB(32), MiB(32), 1, &off));
    assert_false(guest_ram_offset(MiB(32), 0, 0, &off));
    assert_false(guest_ram_offset(MiB(32), 16, UINT64_MAX, &off));
    assert_false(guest_ram_offset(MiB(32), UINT64_MAX, 2, &off));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_guest),
        cmocka_unit_test(test_exactly_three_gib),
        cmocka_unit_test(test_big_guest_skips_the_hole),
        cmocka_unit_test(test_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
