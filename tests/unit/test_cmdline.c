/* Kernel command line parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/cmdline.h>

static void test_get(void **state)
{
    (void)state;
    char v[16];
    assert_true(cmdline_get("quiet crash_cpu=1 x", "crash_cpu", v, sizeof(v)));
    assert_string_equal(v, "1");
    assert_true(cmdline_get("quiet crash_cpu=1", "quiet", v, sizeof(v)));
    assert_string_equal(v, "");
    assert_false(cmdline_get("quietly", "quiet", v, sizeof(v)));
    assert_false(cmdline_get("crash_cpux=1", "crash_cpu", v, sizeof(v)));
    assert_false(cmdline_get("", "a", v, sizeof(v)));
    assert_false(cmdline_get(NULL, "a", v, sizeof(v)));
    /* the last occurrence wins; tabs separate too */
    assert_true(cmdline_get("a=1\ta=2", "a", v, sizeof(v)));
    assert_string_equal(v, "2");
    /* long values are cut, terminated */
    char s[4];
    assert_true(cmdline_get("k=abcdefgh", "k", s, sizeof(s)));
    assert_string_equal(s, "abc");
}

static void test_uint(void **state)
{
    (void)state;
    uint64_t n = 7;
    assert_true(cmdline_get_uint("crash_cpu=12", "crash_cpu", &n));
    assert_int_equal(n, 12);
    assert_false(cmdline_get_uint("crash_cpu=1x", "crash_cpu", &n));
    assert_false(cmdline_get_uint("crash_cpu=", "crash_cpu", &n));
    assert_false(cmdline_get_uint("crash_cpu", "crash_cpu", &n));
    assert_false(cmdline_get_uint("crash_cpu=99999999999999999999999", "crash_cpu", &n));
    assert_int_equal(n, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_uint),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
