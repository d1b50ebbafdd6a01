/* The console formatter against the C library's printf as the reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <hv/fmt.h>

/* Some tests feed deliberately bad formats. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-extra-args"

#define CHECK(...) do {                                              \
        char got[256], want[256];                                    \
        int gn = hv_snprintf(got, sizeof(got), __VA_ARGS__);         \
        int wn = snprintf(want, sizeof(want), __VA_ARGS__);          \
        assert_string_equal(got, want);                              \
        assert_int_equal(gn, wn);                                    \
    } while (0)

static void test_integers(void **state)
{
    (void)state;
    CHECK("%d %i %u", 0, -1, 42u);
    CHECK("%d", INT32_MIN);
    CHECK("%lld", (long long)INT64_MIN);
    CHECK("%llu", (unsigned long long)UINT64_MAX);
    CHECK("%ld %lu", -5L, 5UL);
    CHECK("%zu %zd", (size_t)123, (ptrdiff_t)-3);
    CHECK("%hhu %hd", 300, 70000);
    CHECK("%+d % d %+d", 5, 5, -5);
}

static void test_hex_and_octal(void **state)
{
    (void)state;
    CHECK("%x %X %#x %#X", 0xbeefu, 0xbeefu, 0xbeefu, 0xbeefu);
    CHECK("%#x", 0u);
    CHECK("%016llx", 0x1234ULL);
    CHECK("%#018llx", 0xffffffff80000000ULL);
    CHECK("%o %#o", 8u, 8u);
    CHECK("%lx", 0xfee00000UL);
}

static void test_width_precision(void **state)
{
    (void)state;
    CHECK("[%5d] [%-5d] [%05d]", 42, 42, -42);
    CHECK("[%.3d] [%8.3d] [%-8.3d]", 7, 7, 7);
    CHECK("[%.0d] [%.0x]", 0, 0u);
    CHECK("[%*d] [%-*d] [%*d]", 6, 1, 6, 1, -6, 1);
    CHECK("[%.*s]", 3, "abcdef");
    CHECK("[%10s] [%-10s] [%.2s]", "hv", "hv", "hypervisor");
    CHECK("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
    CHECK("100%%");
}

static void test_pointer(void **state)
{
    (void)state;
    char buf[64];
    hv_snprintf(buf, sizeof(buf), "%p", (void *)0xfee00000UL);
    assert_string_equal(buf, "0xfee00000");
}

static void test_null_string(void **state)
{
    (void)state;
    char buf[32];
    hv_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
    assert_string_equal(buf, "(null)");
}

static void test_truncation(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'X', sizeof(buf));
    int n = hv_snprintf(buf, sizeof(buf), "cpu%u: %s", 12u, "VMX on");
    assert_int_equal(n, 13);
    assert_string_equal(buf, "cpu12: ");

    /* size 0 writes nothing at all */
    buf[0] = 'Z';
    n = hv_snprintf(buf, 0, "%d", 12345);
    assert_int_equal(n, 5);
    assert_int_equal(buf[0], 'Z');
}

static void test_malformed(void **state)
{
    (void)state;
    char buf[32];
    /* A lone trailing '%' and an unknown conversion never crash. */
    hv_snprintf(buf, sizeof(buf), "50%");
    assert_string_equal(buf, "50");
    hv_snprintf(buf, sizeof(buf), "%q%d", 3);
    assert_string_equal(buf, "%q3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_hex_and_octal),
        cmocka_unit_test(test_width_precision),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
