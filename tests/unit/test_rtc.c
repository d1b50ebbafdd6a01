/* The CMOS real-time clock (dm/mc146818.c): what Linux 6.1 does with it
 * (drivers/rtc/mc146818-lib.c: mc146818_get_time's UIP and seconds
 * checks, mc146818_set_time's SET + divider reset; rtc-cmos's interrupts)
 * and the MC146818A datasheet's registers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/mc146818.h>
#include <hv/datetime.h>

#define US 1000000LL
/* 2023-11-14 22:13:20 UTC, a Tuesday, and a tenth of a second. */
#define T0 (1700000000LL * US + 100000)

static uint8_t rd(struct mc146818 *r, unsigned idx, int64_t now)
{
    mc146818_write(r, 0, (uint8_t)idx, now);
    return mc146818_read(r, 1, now);
}

static void wr(struct mc146818 *r, unsigned idx, uint8_t v, int64_t now)
{
    mc146818_write(r, 0, (uint8_t)idx, now);
    mc146818_write(r, 1, v, now);
}

static void test_power_on(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(64), 0, T0);
    assert_int_equal(rd(&r, RTC_SECONDS, T0), 0x20);
    assert_int_equal(rd(&r, RTC_MINUTES, T0), 0x13);
    assert_int_equal(rd(&r, RTC_HOURS, T0), 0x22);
    assert_int_equal(rd(&r, RTC_DAY_OF_WEEK, T0), 3);       /* Tuesday; Sunday is 1 */
    assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, T0), 0x14);
    assert_int_equal(rd(&r, RTC_MONTH, T0), 0x11);
    assert_int_equal(rd(&r, RTC_YEAR, T0), 0x23);
    assert_int_equal(rd(&r, RTC_CENTURY, T0), 0x20);
    assert_int_equal(rd(&r, RTC_REG_A, T0), 0x26);
    assert_int_equal(rd(&r, RTC_REG_B, T0), RTC_B_24H);
    assert_int_equal(rd(&r, RTC_REG_C, T0), 0);
    assert_int_equal(rd(&r, RTC_REG_D, T0), RTC_D_VRT);
    assert_int_equal(rd(&r, 0x0e, T0), 0);                  /* diagnostics: all good */
    assert_int_equal(rd(&r, 0x0f, T0), 0);                  /* shutdown status */
    assert_int_equal(rd(&r, 0x10, T0), 0);                  /* no floppy */
    assert_int_equal(rd(&r, 0x14, T0), 0x02);               /* FPU */
    assert_int_equal(rd(&r, 0x15, T0) | rd(&r, 0x16, T0) << 8, 640);
    assert_int_equal(rd(&r, 0x17, T0) | rd(&r, 0x18, T0) << 8, 63 * 1024);
    assert_int_equal(rd(&r, 0x30, T0) | rd(&r, 0x31, T0) << 8, 63 * 1024);
    assert_int_equal(rd(&r, 0x34, T0) | rd(&r, 0x35, T0) << 8, 48 * 16);
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; i++)
        sum += rd(&r, i, T0);
    assert_int_equal(rd(&r, 0x2e, T0) << 8 | rd(&r, 0x2f, T0), sum);
    /* Big guests: extended memory saturates; above 4 GiB in 64 KiB. */
    mc146818_reset(&r, GiB(3), GiB(5), T0);
    assert_int_equal(rd(&r, 0x17, T0) | rd(&r, 0x18, T0) << 8, 0xffff);
    assert_int_equal(rd(&r, 0x34, T0) | rd(&r, 0x35, T0) << 8, (3072 - 16) * 16);
    assert_int_equal(rd(&r, 0x5b, T0) | rd(&r, 0x5c, T0) << 8 | rd(&r, 0x5d, T0) << 16,
                     5 * 16384);
    /* It runs: a second later, and across midnight. */
    assert_int_equal(rd(&r, RTC_SECONDS, T0 + US), 0x21);
    int64_t midnight = (1700006400LL + 86400) * US;         /* 2023-11-16 00:00:00 */
    assert_int_equal(rd(&r, RTC_HOURS, midnight - 1), 0x23);
    assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, midnight - 1), 0x15);
    assert_int_equal(rd(&r, RTC_HOURS, midnight), 0x00);
    assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, midnight), 0x16);
    assert_int_equal(rd(&r, RTC_DAY_OF_WEEK, midnight), 5);
}

static void test_ports(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);
    /* NVRAM reads back; index bit 7 (NMI mask) is not part of it. */
    wr(&r, 0x40, 0x5a, T0);
    assert_int_equal(rd(&r, 0x40, T0), 0x5a);
    assert_int_equal(rd(&r, 0xc0, T0), 0x5a);
    wr(&r, 0x7f, 0xa5, T0);
    assert_int_equal(rd(&r, 0x7f, T0), 0xa5);
    assert_int_equal(mc146818_read(&r, 0, T0), 0xff);
    /* Shutdown status reads back; C and D cannot be written; A's UIP bit
     * is not the guest's. */
    wr(&r, 0x0f, 0x0a, T0);
    assert_int_equal(rd(&r, 0x0f, T0), 0x0a);
    wr(&r, RTC_REG_D, 0x00, T0);
    assert_int_equal(rd(&r, RTC_REG_D, T0), RTC_D_VRT);
    wr(&r, RTC_REG_C, 0xff, T0);
    assert_int_equal(rd(&r, RTC_REG_C, T0), 0);
    wr(&r, RTC_REG_A, 0xaf, T0);
    assert_int_equal(rd(&r, RTC_REG_A, T0), 0x2f);
    /* Re-created: everything back. */
    mc146818_reset(&r, MiB(16), 0, T0);
    assert_int_equal(rd(&r, 0x40, T0), 0);
}

static void test_formats(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);
    wr(&r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H, T0);
    assert_int_equal(rd(&r, RTC_HOURS, T0), 22);
    assert_int_equal(rd(&r, RTC_YEAR, T0), 23);
    assert_int_equal(rd(&r, RTC_CENTURY, T0), 20);
    wr(&r, RTC_REG_B, RTC_B_DM_BINARY, T0);                 /* 12-hour */
    assert_int_equal(rd(&r, RTC_HOURS, T0), 0x80 | 10);
    wr(&r, RTC_REG_B, 0, T0);                               /* 12-hour BCD */
    assert_int_equal(rd(&r, RTC_HOURS, T0), 0x80 | 0x10);
    int64_t noon = 1700049600LL * US;                       /* 2023-11-15 12:00 */
    assert_int_equal(rd(&r, RTC_HOURS, noon), 0x80 | 0x12);
    assert_int_equal(rd(&r, RTC_HOURS, noon - 1), 0x11);
    assert_int_equal(rd(&r, RTC_HOURS, noon - 12 * 3600 * US), 0x12);  /* midnight: 12 AM */
}

/* mc146818_set_time: SET, divider reset, the registers, B back, A back. */
static void test_linux_set_time(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);
    int64_t t = T0 + 3 * US;
    uint8_t b = rd(&r, RTC_REG_B, t);
    wr(&r, RTC_REG_B, b | RTC_B_SET, t);
    uint8_t a = rd(&r, RTC_REG_A, t);
    wr(&r, RTC_REG_A, a | 0x70, t);
    /* Stopped: reads what was there, and what is written. */
    assert_int_equal(rd(&r, RTC_SECONDS, t + 5 * US), 0x23);
    wr(&r, RTC_YEAR, 0x99, t);
    wr(&r, RTC_MONTH, 0x12, t);
    wr(&r, RTC_DAY_OF_MONTH, 0x31, t);
    wr(&r, RTC_HOURS, 0x23, t);
    wr(&r, RTC_MINUTES, 0x59, t);
    wr(&r, RTC_SECONDS, 0x58, t);
    wr(&r, RTC_CENTURY, 0x19, t);
    assert_int_equal(rd(&r, RTC_SECONDS, t + 7 * US), 0x58);
    assert_int_equal(rd(&r, RTC_REG_A, t) & RTC_A_UIP, 0);
    t += 10 * US;
    wr(&r, RTC_REG_B, b, t);
    assert_int_equal(rd(&r, RTC_SECONDS, t + 2 * US), 0x58);  /* divider still held */
    t += 2 * US;
    wr(&r, RTC_REG_A, a, t);
    /* The first update half a second after the divider runs again. */
    assert_int_equal(rd(&r, RTC_SECONDS, t + 499999), 0x58);
    assert_int_equal(rd(&r, RTC_SECONDS, t + 500000), 0x59);
    assert_int_equal(rd(&r, RTC_SECONDS, t + 1500000), 0x00);
    assert_int_equal(rd(&r, RTC_YEAR, t + 1500000), 0x00);
    assert_int_equal(rd(&r, RTC_CENTURY, t + 1500000), 0x20);
    assert_int_equal(rd(&r, RTC_MONTH, t + 1500000), 0x01);
    assert_int_equal(mc146818_time(&r, t + 1500000), 946684800);     /* 2000-01-01 */
    /* SET alone: the running second goes on. */
    t = T0 + 100 * US + 300000;
    mc146818_reset(&r, MiB(16), 0, T0);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_SET, t);
    wr(&r, RTC_MINUTES, 0x00, t);
    wr(&r, RTC_REG_B, RTC_B_24H, t + US);
    assert_int_equal(rd(&r, RTC_MINUTES, t + US), 0x00);
    assert_int_equal(rd(&r, RTC_SECONDS, t + US), 0x00);     /* :00 from :00 of the stop */
    assert_int_equal(rd(&r, RTC_SECONDS, t + US + 599999), 0x00);
    assert_int_equal(rd(&r, RTC_SECONDS, t + US + 600000), 0x01);
}

/* mc146818_get_time: UIP in the last 244 us of each second, never while
 * stopped. */
static void test_uip(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);
    int64_t next = (T0 / US + 1) * US;
    assert_int_equal(rd(&r, RTC_REG_A, next - RTC_UIP_US - 1) & RTC_A_UIP, 0);
    assert_int_equal(rd(&r, RTC_REG_A, next - RTC_UIP_US) & RTC_A_UIP, RTC_A_UIP);
    assert_int_equal(rd(&r, RTC_REG_A, next - 1) & RTC_A_UIP, RTC_A_UIP);
    assert_int_equal(rd(&r, RTC_REG_A, next) & RTC_A_UIP, 0);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_SET, next + US - 10);
    assert_int_equal(rd(&r, RTC_REG_A, next + US - 5) & RTC_A_UIP, 0);
}

/* A time register written while the clock runs moves the clock; one
 * guest's writes are its own. */
static void test_write_running(void **state)
{
    (void)state;
    struct mc146818 r, other;
    mc146818_reset(&r, MiB(16), 0, T0);
    mc146818_reset(&other, MiB(16), 0, T0);
    wr(&r, RTC_HOURS, 0x05, T0 + 1);
    assert_int_equal(rd(&r, RTC_HOURS, T0 + 2), 0x05);
    assert_int_equal(rd(&r, RTC_MINUTES, T0 + 2), 0x13);
    assert_int_equal(rd(&r, RTC_SECONDS, T0 + 900000), 0x21);  /* same phase: +0.9 s */
    assert_int_equal(rd(&other, RTC_HOURS, T0 + 2), 0x22);
    assert_int_equal(mc146818_time(&r, T0) - mc146818_time(&other, T0), -17 * 3600);
    /* The weekday follows the date. */
    wr(&r, RTC_DAY_OF_WEEK, 7, T0 + 3);
    assert_int_equal(rd(&r, RTC_DAY_OF_WEEK, T0 + 3), 3);
    /* Out of range: clamped. */
    wr(&r, RTC_MINUTES, 0x99, T0 + 4);
    assert_int_equal(rd(&r, RTC_MINUTES, T0 + 5), 0x59);
    wr(&r, RTC_MONTH, 0x02, T0 + 6);
    wr(&r, RTC_DAY_OF_MONTH, 0x31, T0 + 7);
    assert_int_equal(rd(&r, RTC_DAY_OF_MONTH, T0 + 8), 0x28);
}

static void test_update_interrupt(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);
    wr(&r, RTC_REG_A, 0x20, T0);                            /* no periodic flag */
    int64_t next = (T0 / US + 1) * US;
    /* Flags come without enables; IRQF does not. */
    assert_false(mc146818_irq(&r, next + 10));
    assert_int_equal(rd(&r, RTC_REG_C, next + 10), RTC_C_UF);
    assert_int_equal(rd(&r, RTC_REG_C, next + 20), 0);
    assert_int_equal(mc146818_next_irq(&r, next + 20), MC146818_NEVER);
    /* UIE: IRQF at the next update, held until C is read. */
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, next + 30);
    assert_int_equal(mc146818_next_irq(&r, next + 30), next + US);
    assert_false(mc146818_irq(&r, next + US - 1));
    assert_true(mc146818_irq(&r, next + US));
    assert_int_equal(mc146818_next_irq(&r, next + US), MC146818_NEVER);
    assert_true(mc146818_irq(&r, next + 5 * US));
    assert_int_equal(rd(&r, RTC_REG_C, next + 5 * US), RTC_C_IRQF | RTC_C_UF);
    assert_false(mc146818_irq(&r, next + 5 * US));
    assert_int_equal(mc146818_next_irq(&r, next + 5 * US), next + 6 * US);
    /* SET clears UIE, and no update comes while it is set. */
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_SET, next + 5 * US + 1);
    assert_int_equal(rd(&r, RTC_REG_B, next + 5 * US + 1), RTC_B_24H | RTC_B_SET);
    assert_int_equal(rd(&r, RTC_REG_C, next + 9 * US), 0);
    /* An enable that meets a flag already set raises IRQF at once. */
    wr(&r, RTC_REG_B, RTC_B_24H, next + 9 * US);
    assert_false(mc146818_irq(&r, next + 11 * US));
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, next + 11 * US);
    assert_true(mc146818_irq(&r, next + 11 * US));
}

static void test_periodic_interrupt(void **state)
{
    (void)state;
    struct mc146818 r;
    int64_t t = 1700000000LL * US;                          /* on a second: xtal tick 0 */
    mc146818_reset(&r, MiB(16), 0, t);
    /* 1024 Hz (RS 6, the default): 32 ticks of 32.768 kHz = 976.5625 us. */
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE, t);
    assert_int_equal(mc146818_next_irq(&r, t), t + 977);
    assert_false(mc146818_irq(&r, t + 976));
    assert_true(mc146818_irq(&r, t + 977));
    assert_int_equal(rd(&r, RTC_REG_C, t + 977), RTC_C_IRQF | RTC_C_PF);
    assert_int_equal(mc146818_next_irq(&r, t + 977), t + 1954);   /* 1953.125 */
    /* 2 Hz (RS 15); 256 Hz (RS 1). */
    wr(&r, RTC_REG_A, 0x2f, t + 1000);
    assert_int_equal(mc146818_next_irq(&r, t + 1000), t + 500000);
    wr(&r, RTC_REG_A, 0x21, t + 1000);
    assert_int_equal(mc146818_next_irq(&r, t + 1000), t + 3907);  /* 3906.25 */
    /* RS 0, or the divider held: none. */
    wr(&r, RTC_REG_A, 0x20, t + 1000);
    assert_int_equal(mc146818_next_irq(&r, t + 1000), MC146818_NEVER);
    wr(&r, RTC_REG_A, 0x76, t + 1000);
    assert_int_equal(mc146818_next_irq(&r, t + 1000), MC146818_NEVER);
    assert_int_equal(rd(&r, RTC_REG_C, t + 10 * US), 0);
}

static void test_alarm_interrupt(void **state)
{
    (void)state;
    struct mc146818 r;
    mc146818_reset(&r, MiB(16), 0, T0);                     /* 22:13:20.1 */
    wr(&r, RTC_REG_A, 0x20, T0);                            /* no periodic flag */
    wr(&r, RTC_HOURS_ALARM, 0x22, T0);
    wr(&r, RTC_MINUTES_ALARM, 0x15, T0);
    wr(&r, RTC_SECONDS_ALARM, 0x00, T0);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE, T0);
    int64_t at = (1700000000LL + 100) * US;                 /* 22:15:00 */
    assert_int_equal(mc146818_next_irq(&r, T0), at);
    assert_false(mc146818_irq(&r, at - 1));
    assert_true(mc146818_irq(&r, at));
    assert_int_equal(rd(&r, RTC_REG_C, at), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    /* The next one is tomorrow. */
    assert_int_equal(mc146818_next_irq(&r, at), at + 86400 * US);
    /* Don't-care hours and minutes: every minute at :30. */
    wr(&r, RTC_HOURS_ALARM, 0xff, at);
    wr(&r, RTC_MINUTES_ALARM, 0xc0, at);
    wr(&r, RTC_SECONDS_ALARM, 0x30, at);
    assert_int_equal(mc146818_next_irq(&r, at), at + 30 * US);
    assert_int_equal(mc146818_next_irq(&r, at + 29 * US), at + 30 * US);
    assert_int_equal(mc146818_next_irq(&r, at + 31 * US), MC146818_NEVER);  /* IRQF is up */
    assert_int_equal(rd(&r, RTC_REG_C, at + 31 * US), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    assert_int_equal(mc146818_next_irq(&r, at + 31 * US), at + 90 * US);
    /* Everything don't care: every second. */
    wr(&r, RTC_SECONDS_ALARM, 0xc0, at);
    assert_int_equal(mc146818_next_irq(&r, at + 31 * US + 5), at + 32 * US);
    /* A value that never matches. */
    wr(&r, RTC_SECONDS_ALARM, 0x75, at);
    assert_int_equal(mc146818_next_irq(&r, at + 31 * US), MC146818_NEVER);
    /* Hour 23:59:59 from 23:59:59.5 wraps to the next day. */
    int64_t late = (1700006400LL + 86399) * US + 500000;    /* 2023-11-15 23:59:59.5 */
    mc146818_reset(&r, MiB(16), 0, late);
    wr(&r, RTC_REG_A, 0x20, late);
    wr(&r, RTC_HOURS_ALARM, 0x23, late);
    wr(&r, RTC_MINUTES_ALARM, 0x59, late);
    wr(&r, RTC_SECONDS_ALARM, 0x59, late);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE, late);
    assert_int_equal(mc146818_next_irq(&r, late), late - 500000 + 86400 * US);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_on),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_linux_set_time),
        cmocka_unit_test(test_uip),
        cmocka_unit_test(test_write_running),
        cmocka_unit_test(test_update_interrupt),
        cmocka_unit_test(test_periodic_interrupt),
        cmocka_unit_test(test_alarm_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
