/* Calendar arithmetic for real-time clocks (lib/datetime.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/datetime.h>

static int64_t epoch(int32_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    struct datetime t = { y, (uint8_t)mo, (uint8_t)d, (uint8_t)h, (uint8_t)mi, (uint8_t)s, 0 };
    assert_true(datetime_valid(&t));
    return datetime_to_epoch(&t);
}

static void test_known_dates(void **state)
{
    (void)state;
    assert_int_equal(epoch(1970, 1, 1, 0, 0, 0), 0);
    assert_int_equal(epoch(2000, 1, 1, 0, 0, 0), 946684800);
    assert_int_equal(epoch(2000, 2, 29, 12, 0, 0), 951825600);
    assert_int_equal(epoch(2038, 1, 19, 3, 14, 7), 2147483647);
    assert_int_equal(epoch(2024, 12, 31, 23, 59, 59), 1735689599);
    assert_int_equal(epoch(1969, 12, 31, 23, 59, 59), -1);
    assert_int_equal(epoch(2100, 3, 1, 0, 0, 0), 4107542400);
    struct datetime t;
    datetime_from_epoch(1700000000, &t);           /* 2023-11-14 22:13:20, a Tuesday */
    assert_int_equal(t.year, 2023);
    assert_int_equal(t.month, 11);
    assert_int_equal(t.day, 14);
    assert_int_equal(t.hour, 22);
    assert_int_equal(t.min, 13);
    assert_int_equal(t.sec, 20);
    assert_int_equal(t.wday, 2);
    datetime_from_epoch(-1, &t);
    assert_int_equal(t.year, 1969);
    assert_int_equal(t.month, 12);
    assert_int_equal(t.day, 31);
    assert_int_equal(t.sec, 59);
    assert_int_equal(t.wday, 3);
    datetime_from_epoch(0, &t);
    assert_int_equal(t.wday, 4);
}

/* Every day from 1899 to 2201 goes there and back. */
static void test_round_trip(void **state)
{
    (void)state;
    int64_t first = epoch(1899, 1, 1, 0, 0, 0), last = epoch(2201, 1, 1, 0, 0, 0);
    int64_t prev_day = 0;
    unsigned prev_wday = 0;
    for (int64_t s = first; s < last; s += 86400 + 3601) {
        struct datetime t;
        datetime_from_epoch(s, &t);
        assert_true(datetime_valid(&t));
        assert_int_equal(datetime_to_epoch(&t), s);
        int64_t day = floor_div64(s, 86400);
        if (s != first)
            assert_int_equal(t.wday, (prev_wday + (day - prev_day)) % 7);
        prev_day = day;
        prev_wday = t.wday;
    }
}

static void test_validity(void **state)
{
    (void)state;
    assert_int_equal(datetime_days_in_month(2024, 2), 29);
    assert_int_equal(datetime_days_in_month(2023, 2), 28);
    assert_int_equal(datetime_days_in_month(1900, 2), 28);
    assert_int_equal(datetime_days_in_month(2000, 2), 29);
    assert_int_equal(datetime_days_in_month(2024, 4), 30);
    assert_int_equal(datetime_days_in_month(2024, 0), 0);
    assert_int_equal(datetime_days_in_month(2024, 13), 0);
    struct datetime bad[] = {
        { 2023, 2, 29, 0, 0, 0, 0 }, { 2024, 0, 1, 0, 0, 0, 0 }, { 2024, 1, 0, 0, 0, 0, 0 },
        { 2024, 1, 1, 24, 0, 0, 0 }, { 2024, 1, 1, 0, 60, 0, 0 }, { 2024, 1, 1, 0, 0, 60, 0 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(datetime_valid(&bad[i]));
}

static void test_bcd_and_floor(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 100; v++)
        assert_int_equal(bcd_to_bin(bin_to_bcd(v)), v);
    assert_int_equal(bin_to_bcd(59), 0x59);
    assert_int_equal(bcd_to_bin(0x20), 20);
    assert_int_equal(bcd_to_bin(0xff), 165);
    assert_int_equal(floor_div64(-1, 10), -1);
    assert_int_equal(floor_mod64(-1, 10), 9);
    assert_int_equal(floor_div64(-10, 10), -1);
    assert_int_equal(floor_mod64(-10, 10), 0);
    assert_int_equal(floor_div64(19, 10), 1);
    assert_int_equal(floor_mod64(19, 10), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_bcd_and_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
