/* Which TSC rate the hypervisor believes (arch/x86/tsc_pick.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/tsc.h>

#define MHZ(x) ((uint64_t)(x) * 1000000)

static uint64_t pick(uint64_t cpuid, uint64_t m0, uint64_t m1, char *line, size_t len)
{
    struct tsc_inputs in = {
        .cpuid_hz = cpuid, .cpuid_source = "CPUID 0x16",
        .measured_hz = { m0, m1 }, .clock = "ACPI PM timer",
    };
    return tsc_pick(&in, line, len);
}

static void test_agree(void **state)
{
    (void)state;
    assert_true(tsc_rates_agree(MHZ(100), MHZ(100)));
    assert_true(tsc_rates_agree(MHZ(101), MHZ(100)));     /* exactly 1 %: agree */
    assert_true(tsc_rates_agree(MHZ(99), MHZ(100)));
    assert_false(tsc_rates_agree(MHZ(101) + 1, MHZ(100)));
    assert_false(tsc_rates_agree(MHZ(99) - 1, MHZ(100)));
    assert_false(tsc_rates_agree(MHZ(3500), MHZ(50)));
    assert_false(tsc_rates_agree(MHZ(1), 0));             /* nothing agrees with 0 */
    assert_false(tsc_rates_agree(0, MHZ(1)));
    /* No overflow at the ends of the range. */
    assert_true(tsc_rates_agree(UINT64_MAX, UINT64_MAX));
    assert_false(tsc_rates_agree(UINT64_MAX, 1));
    assert_false(tsc_rates_agree(1, UINT64_MAX));
    assert_true(tsc_rates_agree(UINT64_MAX - UINT64_MAX / 100, UINT64_MAX));
}

/* Bochs: CPUID says 3.5 GHz, the TSC runs at 50 MHz. */
static void test_bochs_measured_wins(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(pick(MHZ(3500), 50000123, 49999877, line, sizeof(line)), MHZ(50));
    assert_string_equal(line, "tsc: 50.000 MHz (measured with the ACPI PM timer; CPUID 0x16 "
                              "says 3500.000 MHz, +6900.0 % off, more than 1 %: using the "
                              "measured rate)");
}

/* A real machine whose TSC runs a little faster than 0x16's base. */
static void test_small_difference_over_one_percent(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(pick(MHZ(2000), MHZ(2100), MHZ(2100), line, sizeof(line)), MHZ(2100));
    assert_non_null(strstr(line, "CPUID 0x16 says 2000.000 MHz, -4.8 % off"));
    assert_non_null(strstr(line, "tsc: 2100.000 MHz (measured with the ACPI PM timer"));
}

static void test_cpuid_confirmed(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(pick(MHZ(3000), MHZ(3000) - 1234567, MHZ(3000) + 7, line, sizeof(line)),
                     MHZ(3000));
    assert_string_equal(line, "tsc: 3000.000 MHz (CPUID 0x16; the ACPI PM timer measures "
                              "2999.380 MHz, within 1 %)");
    /* One measurement agreeing is enough: the other was disturbed. */
    assert_int_equal(pick(MHZ(3000), MHZ(3000), MHZ(4000), line, sizeof(line)), MHZ(3000));
}

static void test_measurements_disagree(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(pick(MHZ(3000), MHZ(2000), MHZ(2500), line, sizeof(line)), MHZ(3000));
    assert_non_null(strstr(line, "disagree with each other"));
    assert_non_null(strstr(line, "2000.000 MHz and 2500.000 MHz"));
    assert_non_null(strstr(line, "keeping CPUID's rate"));
}

static void test_one_measurement(void **state)
{
    (void)state;
    char line[200];
    /* The other one failed (0): the one that worked decides. */
    assert_int_equal(pick(MHZ(3500), MHZ(50), 0, line, sizeof(line)), MHZ(50));
    assert_non_null(strstr(line, "using the measured rate"));
    assert_int_equal(pick(MHZ(3500), 0, MHZ(50), line, sizeof(line)), MHZ(50));
}

static void test_no_measurement(void **state)
{
    (void)state;
    char line[200];
    struct tsc_inputs in = { .cpuid_hz = MHZ(2400), .cpuid_source = "CPUID 0x15" };
    assert_int_equal(tsc_pick(&in, line, sizeof(line)), MHZ(2400));
    assert_string_equal(line, "tsc: 2400.000 MHz (CPUID 0x15; not checked: no ACPI PM timer, "
                              "HPET or PIT to measure it against)");
}

/* Bochs with OVMF: no ACPI tables, so PIT channel 2 measures; CPUID 0x16's
 * 3.5 GHz loses to two agreeing 50 MHz measurements. */
static void test_pit_overrides_cpuid(void **state)
{
    (void)state;
    char line[200];
    struct tsc_inputs in = { .cpuid_hz = MHZ(3500), .cpuid_source = "CPUID 0x16",
                             .measured_hz = { 50001200, 49998900 }, .clock = "PIT" };
    assert_int_equal(tsc_pick(&in, line, sizeof(line)), MHZ(50));
    assert_non_null(strstr(line, "tsc: 50.000 MHz (measured with the PIT"));
}

static void test_no_cpuid(void **state)
{
    (void)state;
    char line[200];
    /* The line test 50 expects: the source in parentheses. */
    assert_int_equal(pick(0, 2992123456ULL, 2992000000ULL, line, sizeof(line)), 2992060000ULL);
    assert_string_equal(line, "tsc: 2992.060 MHz (ACPI PM timer)");
    struct tsc_inputs in = { .measured_hz = { MHZ(1000), 0 }, .clock = "PIT" };
    assert_int_equal(tsc_pick(&in, line, sizeof(line)), MHZ(1000));
    assert_string_equal(line, "tsc: 1000.000 MHz (PIT)");
}

static void test_nothing(void **state)
{
    (void)state;
    char line[200];
    struct tsc_inputs in = { 0 };
    assert_int_equal(tsc_pick(&in, line, sizeof(line)), 0);
    assert_non_null(strstr(line, "no working clock"));
}

/* Measured rates are rounded to 10 kHz: Bochs's 49.999 MHz is 50.000. */
static void test_rounding(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(pick(MHZ(3500), 49999123, 49999877, line, sizeof(line)), MHZ(50));
    assert_int_equal(pick(MHZ(3500), 49994999, 49994999, line, sizeof(line)), 49990000);
    assert_int_equal(pick(MHZ(3500), 49995000, 49995000, line, sizeof(line)), MHZ(50));
    assert_int_equal(pick(0, 9999, 9999, line, sizeof(line)), 9999);     /* too small to round */
    assert_int_equal(pick(0, 10000, 0, line, sizeof(line)), 10000);
    assert_int_equal(pick(0, 14999, 0, line, sizeof(line)), 10000);
    /* CPUID's rate is never rounded. */
    assert_int_equal(pick(2400001234ULL, 2400001234ULL, 0, line, sizeof(line)), 2400001234ULL);
}

static void test_mean_no_overflow(void **state)
{
    (void)state;
    char line[16];      /* cut short: still terminated */
    assert_int_equal(pick(0, UINT64_MAX, UINT64_MAX, line, sizeof(line)), UINT64_MAX);
    assert_int_equal(strlen(line), sizeof(line) - 1);
    assert_int_equal(pick(0, UINT64_MAX, UINT64_MAX - 1, line, sizeof(line)), UINT64_MAX - 1);
    char big[200];
    assert_int_equal(pick(1, UINT64_MAX, UINT64_MAX, big, sizeof(big)), UINT64_MAX);
    assert_non_null(strstr(big, "using the measured rate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree),
        cmocka_unit_test(test_bochs_measured_wins),
        cmocka_unit_test(test_small_difference_over_one_percent),
        cmocka_unit_test(test_cpuid_confirmed),
        cmocka_unit_test(test_measurements_disagree),
        cmocka_unit_test(test_one_measurement),
        cmocka_unit_test(test_no_measurement),
        cmocka_unit_test(test_no_cpuid),
        cmocka_unit_test(test_pit_overrides_cpuid),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_mean_no_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
