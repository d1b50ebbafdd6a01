/* The guest's ACPI PM registers (dm/vacpi_pm.c): status write-1-to-clear,
 * enables read back, SCI_EN always set, S5 by SLP_EN with \_S5's type
 * (16-bit and 8-bit writes), nothing for other types, the timer at
 * 3.579545 MHz from any TSC rate, and every access size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/vacpi_pm.h>
#include <hv/acpi_tables.h>

#define EVT ACPI_TABLES_PM1A_EVT
#define CNT ACPI_TABLES_PM1A_CNT
#define TMR ACPI_TABLES_PM_TMR

static void init(struct acpi_pm *pm)
{
    acpi_pm_init(pm, EVT, CNT, TMR);
}

static void test_power_on(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0);          /* PM1a_STS */
    assert_int_equal(acpi_pm_read(&pm, EVT + 2, 2, 0), 0);      /* PM1a_EN */
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), PM1_SCI_EN); /* always in ACPI mode */
    assert_int_equal(acpi_pm_read(&pm, EVT, 4, 0), 0);
}

static void test_status_write_one_to_clear(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    pm.sts = PM1_WAK_STS | PM1_PWRBTN_STS | PM1_TMR_STS;
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0x8101);
    /* Writing 0 changes nothing; 1s clear just those bits. */
    assert_int_equal(acpi_pm_write(&pm, EVT, 2, 0), ACPI_PM_NONE);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0x8101);
    acpi_pm_write(&pm, EVT, 2, PM1_PWRBTN_STS);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0x8001);
    /* Byte access to the high half (WAK_STS is bit 7 of it). */
    acpi_pm_write(&pm, EVT + 1, 1, 0x80);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0x0001);
    assert_int_equal(acpi_pm_read(&pm, EVT, 1, 0), 0x01);
    acpi_pm_write(&pm, EVT, 2, 0xffff);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0);
}

/* ACPICA enables TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN and reads them back. */
static void test_enable_reads_back(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    uint16_t en = PM1_TMR_EN | PM1_GBL_EN | PM1_PWRBTN_EN | PM1_RTC_EN;
    acpi_pm_write(&pm, EVT + 2, 2, en);
    assert_int_equal(acpi_pm_read(&pm, EVT + 2, 2, 0), en);
    acpi_pm_write(&pm, EVT + 2, 2, en & ~PM1_TMR_EN);
    assert_int_equal(acpi_pm_read(&pm, EVT + 2, 2, 0), en & ~PM1_TMR_EN);
    acpi_pm_write(&pm, EVT + 3, 1, 0x00);
    assert_int_equal(acpi_pm_read(&pm, EVT + 2, 2, 0), PM1_GBL_EN);
    assert_int_equal(acpi_pm_read(&pm, EVT + 3, 1, 0), 0);
    /* A dword at the event block: status low, enable high. */
    pm.sts = PM1_PWRBTN_STS;
    assert_int_equal(acpi_pm_read(&pm, EVT, 4, 0), (uint32_t)PM1_GBL_EN << 16 | PM1_PWRBTN_STS);
    /* And a dword write clears status and sets the enables together. */
    acpi_pm_write(&pm, EVT, 4, (uint32_t)PM1_RTC_EN << 16 | PM1_PWRBTN_STS);
    assert_int_equal(acpi_pm_read(&pm, EVT, 4, 0), (uint32_t)PM1_RTC_EN << 16);
    /* Status writes never set anything, enable writes never clear status. */
    acpi_pm_write(&pm, EVT + 2, 2, 0);
    assert_int_equal(pm.sts, 0);
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_read(&pm, EVT, 4, 0), 0);
}

static void test_control_reads_back(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    /* SCI_EN cannot be cleared (no SMI_CMD to hand control back). */
    acpi_pm_write(&pm, CNT, 2, 0);
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), PM1_SCI_EN);
    acpi_pm_write(&pm, CNT, 2, PM1_BM_RLD);
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), PM1_SCI_EN | PM1_BM_RLD);
    /* GBL_RLS is write-only. */
    acpi_pm_write(&pm, CNT, 2, PM1_BM_RLD | PM1_GBL_RLS);
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), PM1_SCI_EN | PM1_BM_RLD);
    /* SLP_TYP alone reads back and sleeps nowhere. */
    assert_int_equal(acpi_pm_write(&pm, CNT, 2, 5 << 10), ACPI_PM_NONE);
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), 0x1401);
    assert_int_equal(acpi_pm_read(&pm, CNT + 1, 1, 0), 0x14);
    assert_int_equal(acpi_pm_read(&pm, CNT, 1, 0), 0x01);
    /* Past the 2-byte control block: nothing there. */
    assert_int_equal(acpi_pm_read(&pm, CNT, 4, 0), 0xffff1401u);
    assert_int_equal(acpi_pm_read(&pm, CNT + 2, 2, 0), 0xffff);
    acpi_pm_write(&pm, CNT + 2, 2, 0x1234);
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), 0x1401);
}

/* Linux: acpi_enter_sleep_state_prep, then acpi_hw_legacy_sleep writes
 * SLP_TYP, then SLP_TYP | SLP_EN (0x1400, 0x3400 for \_S5 = 5). */
static void test_power_off(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    assert_int_equal(ACPI_TABLES_SLP_TYP_S5, 5);
    assert_int_equal(acpi_pm_write(&pm, CNT, 2, 0x1401), ACPI_PM_NONE);
    assert_int_equal(acpi_pm_write(&pm, CNT, 2, 0x3401), ACPI_PM_POWER_OFF);
    /* SLP_EN reads 0. */
    assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0), 0x1401);

    /* At once, without the preceding write. */
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, CNT, 2, 0x3400), ACPI_PM_POWER_OFF);
    /* As a dword (ACPICA with a 32-bit register width). */
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, CNT, 4, 0x00003400), ACPI_PM_POWER_OFF);
    /* An 8-bit write to the high byte, SLP_TYP set earlier or with it. */
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, CNT + 1, 1, 0x34), ACPI_PM_POWER_OFF);
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, CNT + 1, 1, 0x14), ACPI_PM_NONE);
    assert_int_equal(acpi_pm_write(&pm, CNT + 1, 1, 0x34), ACPI_PM_POWER_OFF);
    /* The low byte alone cannot set SLP_EN. */
    acpi_pm_reset(&pm);
    acpi_pm_write(&pm, CNT + 1, 1, 0x14);
    assert_int_equal(acpi_pm_write(&pm, CNT, 1, 0xff), ACPI_PM_NONE);
    /* Other sleep types with SLP_EN: ignored, the guest runs on. */
    for (unsigned typ = 0; typ < 8; typ++) {
        acpi_pm_reset(&pm);
        enum acpi_pm_action a = acpi_pm_write(&pm, CNT, 2, PM1_SLP_EN | typ << 10);
        assert_int_equal(a, typ == 5 ? ACPI_PM_POWER_OFF : ACPI_PM_NONE);
        assert_int_equal(acpi_pm_read(&pm, CNT, 2, 0) & PM1_SLP_EN, 0);
    }
    /* The attacker test's probe at QEMU's PM1a_CNT: SLP_EN, type 0. */
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, CNT, 2, 0x2000), ACPI_PM_NONE);
    /* A write to the event block with those bits means nothing. */
    acpi_pm_reset(&pm);
    assert_int_equal(acpi_pm_write(&pm, EVT, 4, 0x34003400u), ACPI_PM_NONE);
    assert_int_equal(acpi_pm_write(&pm, TMR, 4, 0x34003400u), ACPI_PM_NONE);
}

static void test_timer_reads(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    uint32_t t = 0x89abcdefu;
    assert_int_equal(acpi_pm_read(&pm, TMR, 4, t), t);
    assert_int_equal(acpi_pm_read(&pm, TMR, 2, t), 0xcdef);
    assert_int_equal(acpi_pm_read(&pm, TMR + 2, 2, t), 0x89ab);
    assert_int_equal(acpi_pm_read(&pm, TMR + 3, 1, t), 0x89);
    assert_int_equal(acpi_pm_read(&pm, TMR + 1, 1, t), 0xcd);
    /* Past the timer: nothing. */
    assert_int_equal(acpi_pm_read(&pm, TMR + 2, 4, t), 0xffff89abu);
    /* Read-only. */
    acpi_pm_write(&pm, TMR, 4, 0);
    assert_int_equal(acpi_pm_read(&pm, TMR, 4, t), t);
    /* Between the control block and the timer: nothing. */
    assert_int_equal(acpi_pm_read(&pm, CNT + 2, 2, t), 0xffff);
}

static void test_layout(void **state)
{
    (void)state;
    struct acpi_pm pm;
    init(&pm);
    /* Bytes before, between and after the blocks are nothing's. */
    assert_int_equal(acpi_pm_read(&pm, EVT - 1, 2, 0x1234), 0x00ff);
    assert_int_equal(acpi_pm_read(&pm, CNT + 2, 4, 0x1234), 0x1234ffffu);
    assert_int_equal(acpi_pm_read(&pm, TMR + 4, 4, 0x1234), 0xffffffffu);
    /* Anywhere the FADT puts the blocks. */
    acpi_pm_init(&pm, 0xb000, 0xb004, 0xb008);
    assert_int_equal(acpi_pm_read(&pm, 0xb004, 2, 0), PM1_SCI_EN);
    assert_int_equal(acpi_pm_read(&pm, EVT, 2, 0), 0xffff);
    assert_int_equal(acpi_pm_write(&pm, 0xb004, 2, 0x3400), ACPI_PM_POWER_OFF);
}

static void test_timer_rate(void **state)
{
    (void)state;
    /* One second is 3579545 ticks at any TSC rate: Bochs's 50 MHz, a
     * real 3.5 GHz and an odd measured rate. */
    static const uint64_t rates[] = { 50000000ULL, 3500000000ULL, 2899990000ULL, 1000ULL,
                                      ACPI_PM_TIMER_HZ };
    for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        assert_int_equal(acpi_pm_timer(0, hz), 0);
        assert_int_equal(acpi_pm_timer(hz, hz), 3579545u);
        assert_int_equal(acpi_pm_timer(hz / 2, hz), 1789772u);
        assert_int_equal(acpi_pm_timer(10 * hz, hz), 35795450u);
        /* Monotonic within a wrap, and never faster than the rate. */
        uint32_t prev = 0;
        for (uint64_t t = 0; t < hz * 3; t += hz / 7 + 1) {
            uint32_t v = acpi_pm_timer(t, hz);
            assert_true(v >= prev);
            prev = v;
        }
    }
    /* 50 MHz: a TSC tick is 0.0716 PM ticks. */
    assert_int_equal(acpi_pm_timer(14, 50000000ULL), 1);
    assert_int_equal(acpi_pm_timer(13, 50000000ULL), 0);
    /* 32-bit wrap after 2^32 / 3579545 = 1199.9 s. */
    uint64_t hz = 50000000ULL;
    assert_int_equal(acpi_pm_timer(1200 * hz, hz), (uint32_t)(1200ULL * 3579545ULL));
    assert_true(acpi_pm_timer(1200 * hz, hz) < acpi_pm_timer(1199 * hz, hz));
    /* Years of uptime at 5 GHz: exact mod 2^32, no overflow. */
    uint64_t fast = 5000000000ULL, secs = 100ULL * 365 * 86400;
    assert_int_equal(acpi_pm_timer(secs * fast + fast / 4, fast),
                     (uint32_t)(secs * 3579545ULL + 3579545ULL / 4));
    /* A huge tick count does not trap. */
    (void)acpi_pm_timer(UINT64_MAX, fast);
    (void)acpi_pm_timer(UINT64_MAX, 1);
    /* No rate known: 0, never a division by zero. */
    assert_int_equal(acpi_pm_timer(12345, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_on),
        cmocka_unit_test(test_status_write_one_to_clear),
        cmocka_unit_test(test_enable_reads_back),
        cmocka_unit_test(test_control_reads_back),
        cmocka_unit_test(test_power_off),
        cmocka_unit_test(test_timer_reads),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_timer_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
