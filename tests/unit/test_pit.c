/* The 8254 interval timer and port 0x61 (dm/pit8254.c), as the Intel 82C54
 * datasheet describes them and as Linux 6.1 uses them: TSC calibration on
 * channel 2 (arch/x86/kernel/tsc.c: quick_pit_calibrate, pit_calibrate_tsc),
 * the i8253 clock event on channel 0 (drivers/clocksource/i8253.c: periodic
 * 0x34, one-shot 0x38, shutdown 0x30). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/pit8254.h>

static void wr(struct pit8254 *p, unsigned port, uint8_t v, uint64_t now)
{
    pit8254_write(p, port, v, now);
}

/* A 16-bit count, LSB then MSB. */
static void wr16(struct pit8254 *p, unsigned ch, uint16_t v, uint64_t now)
{
    wr(p, ch, (uint8_t)v, now);
    wr(p, ch, (uint8_t)(v >> 8), now);
}

static uint16_t rd16(struct pit8254 *p, unsigned ch, uint64_t now)
{
    uint16_t lo = pit8254_read(p, ch, now);
    return (uint16_t)(lo | pit8254_read(p, ch, now) << 8);
}

static void test_reset(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    for (unsigned ch = 0; ch < 3; ch++)
        assert_int_equal(pit8254_next_edge(&p, ch, 0), PIT8254_NEVER);
    assert_int_equal(pit8254_read61(&p, 0), 0);
    assert_int_equal(pit8254_read(&p, PIT8254_PORT_CONTROL, 0), 0xff);
    assert_true(p.c[0].gate);
    assert_true(p.c[1].gate);
    assert_false(p.c[2].gate);
}

/* pit_calibrate_tsc: gate 2 on, speaker off, mode 0, poll OUT2 in 0x61. */
static void test_linux_calibrate(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    uint64_t t = 1000;
    uint8_t v = pit8254_read61(&p, t);
    pit8254_write61(&p, (uint8_t)((v & ~PIT61_SPKR) | PIT61_GATE2), t);
    assert_int_equal(pit8254_read61(&p, t) & (PIT61_GATE2 | PIT61_SPKR), PIT61_GATE2);
    wr(&p, PIT8254_PORT_CONTROL, 0xb0, t);
    uint16_t latch = PIT8254_HZ / 100;      /* 10 ms */
    wr16(&p, 2, latch, t);
    /* Loaded on the next clock, terminal count `latch` clocks later. */
    assert_int_equal(pit8254_read61(&p, t) & PIT61_OUT2, 0);
    assert_int_equal(pit8254_read61(&p, t + latch) & PIT61_OUT2, 0);
    assert_int_equal(pit8254_read61(&p, t + 1 + latch) & PIT61_OUT2, PIT61_OUT2);
    assert_int_equal(pit8254_read61(&p, t + 10 * latch) & PIT61_OUT2, PIT61_OUT2);
    /* Speaker data is written and read back; the status bits never are. */
    pit8254_write61(&p, 0xff, t);
    assert_int_equal(pit8254_read61(&p, t + 10 * latch) & 0xcf, 0x0f);
}

/* quick_pit_calibrate: mode 0 from 0xffff, the live count read LSB then
 * MSB without a latch, the MSB falling by one every 256 clocks. */
static void test_linux_quick_calibrate(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    uint64_t t = 5;
    pit8254_write61(&p, PIT61_GATE2, t);
    wr(&p, PIT8254_PORT_CONTROL, 0xb0, t);
    wr(&p, 2, 0xff, t);
    wr(&p, 2, 0xff, t);
    assert_int_equal(rd16(&p, 2, t + 1), 0xffff);
    assert_int_equal(rd16(&p, 2, t + 1 + 0x100), 0xfeff);
    for (unsigned i = 1; i < 200; i++) {
        pit8254_read(&p, 2, t + 1 + 256 * i);              /* LSB, ignored */
        assert_int_equal(pit8254_read(&p, 2, t + 1 + 256 * i), 0xff - i);
    }
    /* Mode 0 wraps through 0 and counts on, OUT staying high. */
    assert_int_equal(rd16(&p, 2, t + 1 + 0xffff), 0);
    assert_int_equal(rd16(&p, 2, t + 1 + 0x10000), 0xffff);
    assert_true(pit8254_out(&p, 2, t + 1 + 0x10000));
}

/* pit_set_periodic: 0x34 (channel 0, LSB/MSB, mode 2), LATCH for HZ=1000. */
static void test_mode2_periodic(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    const uint16_t n = (PIT8254_HZ + 500) / 1000;
    uint64_t t = 77;
    wr(&p, PIT8254_PORT_CONTROL, 0x34, t);
    assert_int_equal(pit8254_next_edge(&p, 0, t), PIT8254_NEVER);
    wr16(&p, 0, n, t);
    uint64_t load = t + 1;
    assert_int_equal(pit8254_next_edge(&p, 0, t), load + n);
    assert_int_equal(pit8254_next_edge(&p, 0, load + n - 1), load + n);
    assert_int_equal(pit8254_next_edge(&p, 0, load + n), load + 2 * n);
    assert_int_equal(pit8254_next_edge(&p, 0, load + 1000 * n + 5), load + 1001 * n);
    /* n, n-1, ..., 1: OUT low only while the count is 1. */
    assert_int_equal(rd16(&p, 0, load), n);
    assert_int_equal(rd16(&p, 0, load + 10), n - 10);
    assert_true(pit8254_out(&p, 0, load + n - 2));
    assert_int_equal(rd16(&p, 0, load + n - 1), 1);
    assert_false(pit8254_out(&p, 0, load + n - 1));
    assert_true(pit8254_out(&p, 0, load + n));
    assert_int_equal(rd16(&p, 0, load + n), n);
}

static void test_mode3_square(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    /* Even count: n/2 high, n/2 low, counting by twos from n. */
    wr(&p, PIT8254_PORT_CONTROL, 0x36, 0);
    wr16(&p, 0, 10, 0);
    for (unsigned i = 0; i < 5; i++) {
        assert_true(pit8254_out(&p, 0, 1 + i));
        assert_int_equal(rd16(&p, 0, 1 + i), 10 - 2 * i);
        assert_false(pit8254_out(&p, 0, 6 + i));
        assert_int_equal(rd16(&p, 0, 6 + i), 10 - 2 * i);
    }
    assert_true(pit8254_out(&p, 0, 11));
    assert_int_equal(pit8254_next_edge(&p, 0, 0), 11);
    assert_int_equal(pit8254_next_edge(&p, 0, 11), 21);
    /* Odd count: (n+1)/2 high, (n-1)/2 low; n, n-1, n-3 ... then n, n-3 ... */
    wr(&p, PIT8254_PORT_CONTROL, 0x36, 100);
    wr16(&p, 0, 7, 100);
    static const uint16_t count[7] = { 7, 6, 4, 2, 7, 4, 2 };
    static const bool out[7] = { 1, 1, 1, 1, 0, 0, 0 };
    for (unsigned i = 0; i < 7; i++) {
        assert_int_equal(rd16(&p, 0, 101 + i), count[i]);
        assert_int_equal(pit8254_out(&p, 0, 101 + i), out[i]);
    }
    assert_true(pit8254_out(&p, 0, 108));
    /* Mode 7 is mode 3, the status showing the bits as written. */
    wr(&p, PIT8254_PORT_CONTROL, 0x3e, 200);
    assert_int_equal(p.c[0].mode, 3);
    wr(&p, PIT8254_PORT_CONTROL, 0xe2, 200);
    assert_int_equal(pit8254_read(&p, 0, 200) & 0x3f, 0x3e);
}

/* pit_set_oneshot (0x38: mode 4) and pit_next_event (a count, no control
 * word): one edge per count, OUT low for one clock at terminal count. */
static void test_mode4_oneshot(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0x38, 0);
    assert_true(pit8254_out(&p, 0, 0));
    assert_int_equal(pit8254_next_edge(&p, 0, 0), PIT8254_NEVER);
    wr16(&p, 0, 500, 10);
    assert_int_equal(pit8254_next_edge(&p, 0, 10), 11 + 500 + 1);
    assert_true(pit8254_out(&p, 0, 11 + 499));
    assert_false(pit8254_out(&p, 0, 11 + 500));
    assert_true(pit8254_out(&p, 0, 11 + 501));
    assert_int_equal(pit8254_next_edge(&p, 0, 11 + 501), PIT8254_NEVER);
    /* The next event: a new count restarts it at once. */
    wr16(&p, 0, 100, 2000);
    assert_int_equal(pit8254_next_edge(&p, 0, 2000), 2001 + 101);
    /* Rewritten before it expires: only the new one counts. */
    wr16(&p, 0, 300, 2050);
    assert_int_equal(pit8254_next_edge(&p, 0, 2050), 2051 + 301);
}

/* clockevent_i8253_disable / pit_shutdown: 0x30 stops channel 0 (mode 0,
 * OUT low) until a count is written; the zero count of Linux 6.1 then
 * runs once through 65536 clocks. */
static void test_shutdown(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0x34, 0);
    wr16(&p, 0, 1193, 0);
    assert_int_not_equal(pit8254_next_edge(&p, 0, 5000), PIT8254_NEVER);
    wr(&p, PIT8254_PORT_CONTROL, 0x30, 5000);
    assert_int_equal(pit8254_next_edge(&p, 0, 5000), PIT8254_NEVER);
    assert_false(pit8254_out(&p, 0, 5000));
    wr(&p, 0, 0, 5001);
    assert_int_equal(pit8254_next_edge(&p, 0, 5001), PIT8254_NEVER);   /* LSB only so far */
    wr(&p, 0, 0, 5001);
    assert_int_equal(pit8254_next_edge(&p, 0, 5001), 5002 + 65536);
    assert_int_equal(pit8254_next_edge(&p, 0, 5002 + 65536), PIT8254_NEVER);
    /* Mode 0's first byte stops a running count, OUT low at once. */
    wr(&p, 0, 0x10, 5002 + 65536 + 10);
    assert_false(pit8254_out(&p, 0, 5002 + 65536 + 10));
    assert_int_equal(pit8254_next_edge(&p, 0, 5002 + 65536 + 10), PIT8254_NEVER);
}

static void test_latch(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0x34, 0);
    wr16(&p, 0, 1000, 0);
    wr(&p, PIT8254_PORT_CONTROL, 0x00, 101);        /* latch: count 1000 - 100 */
    wr(&p, PIT8254_PORT_CONTROL, 0x00, 201);        /* ignored: not read yet */
    assert_int_equal(pit8254_read(&p, 0, 301), 900 & 0xff);
    assert_int_equal(pit8254_read(&p, 0, 401), 900 >> 8);
    /* Released: live again, then a fresh latch. */
    assert_int_equal(rd16(&p, 0, 501), 500);
    wr(&p, PIT8254_PORT_CONTROL, 0x00, 601);
    assert_int_equal(rd16(&p, 0, 700), 400);
    /* LSB-only and MSB-only access. */
    wr(&p, PIT8254_PORT_CONTROL, 0x54, 1000);       /* channel 1, LSB only, mode 2 */
    wr(&p, 1, 200, 1000);
    assert_int_equal(pit8254_read(&p, 1, 1001), 200);
    assert_int_equal(pit8254_read(&p, 1, 1011), 190);
    assert_int_equal(pit8254_next_edge(&p, 1, 1000), 1201);
    wr(&p, PIT8254_PORT_CONTROL, 0x64, 2000);       /* MSB only: 0x0300 */
    wr(&p, 1, 3, 2000);
    assert_int_equal(pit8254_read(&p, 1, 2001), 3);
    assert_int_equal(pit8254_read(&p, 1, 2002), 2);
    wr(&p, PIT8254_PORT_CONTROL, 0x40, 2002);
    assert_int_equal(pit8254_read(&p, 1, 2500), 2);
}

static void test_read_back(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0xb0, 0);
    /* Status after the control word: OUT low, null count. */
    wr(&p, PIT8254_PORT_CONTROL, 0xe8, 0);          /* status of channel 2 */
    assert_int_equal(pit8254_read(&p, 2, 0), 0x40 | 0x30);
    pit8254_write61(&p, PIT61_GATE2, 0);
    wr16(&p, 2, 50, 0);
    /* Status and count of channels 0 and 2: status first, then count. */
    wr(&p, PIT8254_PORT_CONTROL, 0xc0 | 0x08 | 0x02, 11);
    assert_int_equal(pit8254_read(&p, 2, 20), 0x30);            /* loaded, counting, OUT low */
    assert_int_equal(rd16(&p, 2, 30), 40);
    assert_int_equal(pit8254_read(&p, 0, 30), p.c[0].status);   /* channel 0 untouched, reset status */
    /* Count only; a later status-only read-back reads before it. */
    wr(&p, PIT8254_PORT_CONTROL, 0xd8, 51);                     /* count of channel 2 */
    wr(&p, PIT8254_PORT_CONTROL, 0xe8, 61);                     /* status of channel 2 */
    assert_int_equal(pit8254_read(&p, 2, 70), 0x80 | 0x30);     /* OUT high */
    assert_int_equal(rd16(&p, 2, 80), 0);
    assert_int_equal(rd16(&p, 2, 90), (uint16_t)(50 - 89));
}

/* A count written in mode 2 while it counts: the running cycle ends first. */
static void test_mode2_new_count(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0x34, 0);
    wr16(&p, 0, 100, 0);                            /* loaded at 1: edges 101, 201 */
    wr16(&p, 0, 30, 150);
    assert_int_equal(pit8254_next_edge(&p, 0, 150), 201);
    assert_int_equal(rd16(&p, 0, 160), 41);         /* still the old cycle */
    assert_int_equal(pit8254_next_edge(&p, 0, 201), 231);
    assert_int_equal(rd16(&p, 0, 211), 20);
    assert_int_equal(pit8254_next_edge(&p, 0, 231), 261);
}

static void test_gate(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    /* Mode 0: the gate holds the count. */
    pit8254_write61(&p, PIT61_GATE2, 0);
    wr(&p, PIT8254_PORT_CONTROL, 0xb0, 0);
    wr16(&p, 2, 100, 0);
    pit8254_write61(&p, 0, 41);                     /* 40 counted */
    assert_int_equal(rd16(&p, 2, 500), 60);
    assert_int_equal(pit8254_next_edge(&p, 2, 500), PIT8254_NEVER);
    pit8254_write61(&p, PIT61_GATE2, 1000);
    assert_int_equal(rd16(&p, 2, 1010), 50);
    assert_int_equal(pit8254_next_edge(&p, 2, 1010), 1060);
    /* Written with the gate low: loaded, waits. */
    pit8254_write61(&p, 0, 2000);
    wr16(&p, 2, 10, 2000);
    assert_int_equal(rd16(&p, 2, 2100), 10);
    pit8254_write61(&p, PIT61_GATE2, 2100);
    assert_true(pit8254_out(&p, 2, 2110));
    /* Mode 2: gate low stops with OUT high, rising reloads. */
    wr(&p, PIT8254_PORT_CONTROL, 0xb4, 3000);
    wr16(&p, 2, 100, 3000);
    assert_int_equal(rd16(&p, 2, 3031), 70);
    pit8254_write61(&p, 0, 3040);
    assert_true(pit8254_out(&p, 2, 3099));
    assert_int_equal(rd16(&p, 2, 3500), 61);
    pit8254_write61(&p, PIT61_GATE2, 4000);
    assert_int_equal(rd16(&p, 2, 4001), 100);
    assert_int_equal(pit8254_next_edge(&p, 2, 4001), 4101);
    /* Mode 1: waits for a rising gate, OUT low for n clocks from it. */
    pit8254_write61(&p, 0, 5000);
    wr(&p, PIT8254_PORT_CONTROL, 0xb2, 5000);
    wr16(&p, 2, 20, 5000);
    assert_true(pit8254_out(&p, 2, 5100));
    assert_int_equal(pit8254_next_edge(&p, 2, 5100), PIT8254_NEVER);
    pit8254_write61(&p, PIT61_GATE2, 5100);
    assert_false(pit8254_out(&p, 2, 5101));
    assert_int_equal(pit8254_next_edge(&p, 2, 5100), 5121);
    assert_true(pit8254_out(&p, 2, 5121));
    /* Retriggered: starts over. */
    pit8254_write61(&p, 0, 5110);
    pit8254_write61(&p, PIT61_GATE2, 5115);
    assert_int_equal(pit8254_next_edge(&p, 2, 5115), 5136);
    /* Mode 5: a strobe after the trigger. */
    wr(&p, PIT8254_PORT_CONTROL, 0xba, 6000);
    wr16(&p, 2, 5, 6000);
    assert_int_equal(pit8254_next_edge(&p, 2, 6000), PIT8254_NEVER);
    pit8254_write61(&p, 0, 6001);
    pit8254_write61(&p, PIT61_GATE2, 6002);
    assert_false(pit8254_out(&p, 2, 6008));
    assert_int_equal(pit8254_next_edge(&p, 2, 6002), 6009);
}

static void test_bcd(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    wr(&p, PIT8254_PORT_CONTROL, 0x35, 0);          /* mode 2, BCD */
    wr16(&p, 0, 0x1000, 0);                         /* 1000 decimal */
    assert_int_equal(pit8254_next_edge(&p, 0, 0), 1001);
    assert_int_equal(rd16(&p, 0, 1 + 1), 0x0999);
    assert_int_equal(rd16(&p, 0, 1 + 13), 0x0987);
    /* 0 is 10000 in BCD. */
    wr(&p, PIT8254_PORT_CONTROL, 0x31, 5000);
    wr16(&p, 0, 0, 5000);
    assert_int_equal(pit8254_next_edge(&p, 0, 5000), 15001);
    assert_int_equal(rd16(&p, 0, 5002), 0x9999);
}

static void test_refresh_toggle(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    unsigned toggles = 0;
    uint8_t last = pit8254_read61(&p, 0) & PIT61_REFRESH;
    for (uint64_t t = 0; t < PIT8254_HZ / 1000; t++) {
        uint8_t v = pit8254_read61(&p, t) & PIT61_REFRESH;
        toggles += v != last;
        last = v;
    }
    assert_in_range(toggles, 60, 70);               /* 1 ms at 15.09 us a toggle */
}

/* dm/vpit.c's IRQ 0 schedule: edges, one for all missed, a minimum gap. */
static void test_next_irq(void **state)
{
    (void)state;
    struct pit8254 p;
    pit8254_reset(&p);
    const uint64_t gap = PIT8254_HZ / 5000, never = PIT8254_NEVER;
    assert_int_equal(pit8254_next_irq(&p, 0, never, gap), never);
    /* Periodic, 1000 clocks: the edges, whatever the last IRQ was. */
    wr(&p, PIT8254_PORT_CONTROL, 0x34, 0);
    wr16(&p, 0, 1000, 0);                           /* edges at 1001, 2001, ... */
    assert_int_equal(pit8254_next_irq(&p, 0, never, gap), 1001);
    assert_int_equal(pit8254_next_irq(&p, 1001, 1001, gap), 2001);
    /* Late by 5 periods: one IRQ now, then the next edge after now. */
    assert_int_equal(pit8254_next_irq(&p, 6500, 6500, gap), 7001);
    /* Faster than the gap: every edge at least `gap` after the last IRQ. */
    wr(&p, PIT8254_PORT_CONTROL, 0x34, 10000);
    wr16(&p, 0, 10, 10000);                         /* edges at 10011, 10021, ... */
    assert_int_equal(pit8254_next_irq(&p, 10011, 10011, gap), 10011 + 240);
    assert_int_equal((10011 + 240 - 10001) % 10, 0);
    /* A one-shot inside the gap comes at its end. */
    wr(&p, PIT8254_PORT_CONTROL, 0x38, 20000);
    wr16(&p, 0, 5, 20000);                          /* edge at 20007 */
    assert_int_equal(pit8254_next_irq(&p, 20000, 19990, gap), 19990 + gap);
    assert_int_equal(pit8254_next_irq(&p, 20000, 10000, gap), 20007);
    assert_int_equal(pit8254_next_irq(&p, 20007, 20007, gap), never);
}

static void test_tsc_conversion(void **state)
{
    (void)state;
    static const uint64_t rates[] = { 50000000, 3500000000ULL, 2904001234ULL, 1193182, 999 };
    for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        for (uint64_t k = 0; k < 100000; k += 997) {
            uint64_t big = k * 123456789ULL;
            uint64_t tsc = pit8254_tsc_of(big, hz);
            assert_true(pit8254_ticks_of(tsc, hz) >= big);
            if (tsc)
                assert_true(pit8254_ticks_of(tsc - 1, hz) < big);
        }
        assert_int_equal(pit8254_ticks_of(hz, hz), PIT8254_HZ);
        assert_int_equal(pit8254_tsc_of(PIT8254_HZ, hz), hz);
    }
    assert_int_equal(pit8254_ticks_of(12345, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_linux_calibrate),
        cmocka_unit_test(test_linux_quick_calibrate),
        cmocka_unit_test(test_mode2_periodic),
        cmocka_unit_test(test_mode3_square),
        cmocka_unit_test(test_mode4_oneshot),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_latch),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_mode2_new_count),
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_bcd),
        cmocka_unit_test(test_refresh_toggle),
        cmocka_unit_test(test_next_irq),
        cmocka_unit_test(test_tsc_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
