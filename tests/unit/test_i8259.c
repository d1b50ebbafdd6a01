/* The 8259A pair (dm/i8259.c), as the Intel 8259A datasheet describes it
 * and as Linux 6.1 programs it (arch/x86/kernel/i8259.c, init_8259A: ICW1
 * 0x11, ICW2 0x30 / 0x38, ICW3 0x04 / 0x02, ICW4 0x01, EOI by OCW2 0x60
 * + IR specific, masks by OCW1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/i8259.h>

static struct i8259 p;

static void linux_init(void)
{
    i8259_reset(&p);
    i8259_write(&p, 0, 1, 0xff);
    i8259_write(&p, 1, 1, 0xff);
    i8259_write(&p, 0, 0, 0x11);
    i8259_write(&p, 0, 1, 0x30);
    i8259_write(&p, 0, 1, 0x04);
    i8259_write(&p, 0, 1, 0x01);
    i8259_write(&p, 1, 0, 0x11);
    i8259_write(&p, 1, 1, 0x38);
    i8259_write(&p, 1, 1, 0x02);
    i8259_write(&p, 1, 1, 0x01);
}

static void pulse(unsigned irq)
{
    i8259_pulse(&p, irq);
}

static void test_power_on(void **state)
{
    (void)state;
    i8259_reset(&p);
    assert_int_equal(i8259_read(&p, 0, 1), 0x00);   /* masks clear, as after ICW1 */
    assert_int_equal(i8259_read(&p, 1, 1), 0x00);
    assert_false(i8259_output(&p));
    i8259_write(&p, 0, 1, 0xff);
    pulse(0);
    assert_false(i8259_output(&p));                 /* masked */
    i8259_write(&p, 0, 1, 0xfe);                    /* initialised as a BIOS does: vector 0x08 */
    assert_true(i8259_output(&p));                  /* the latched edge */
    assert_int_equal(i8259_ack(&p), 0x08);
    i8259_write(&p, 0, 1, 0xfa);                    /* and IR2, the cascade */
    pulse(8);                                       /* the slave at 0x70 */
    i8259_write(&p, 0, 0, 0x20);
    assert_int_equal(i8259_ack(&p), 0x70);
}

static void test_linux_timer(void **state)
{
    (void)state;
    linux_init();
    i8259_write(&p, 0, 1, 0xfe);                    /* IRQ 0 unmasked */
    assert_false(i8259_output(&p));
    pulse(0);
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x30);
    assert_false(i8259_output(&p));
    pulse(0);                                       /* latched, but IR0 is in service */
    assert_false(i8259_output(&p));
    i8259_write(&p, 0, 0, 0x60);                    /* specific EOI, IR0 */
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x30);
    i8259_write(&p, 0, 0, 0x20);                    /* non-specific EOI */
    assert_false(i8259_output(&p));
}

static void test_cascade(void **state)
{
    (void)state;
    linux_init();
    i8259_write(&p, 0, 1, 0xfb);                    /* IR2 (cascade) unmasked */
    i8259_write(&p, 1, 1, 0xfe);                    /* IRQ 8 unmasked */
    pulse(8);
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x38);
    i8259_write(&p, 1, 0, 0x0b);                    /* OCW3: read ISR */
    i8259_write(&p, 0, 0, 0x0b);
    assert_int_equal(i8259_read(&p, 1, 0), 0x01);
    assert_int_equal(i8259_read(&p, 0, 0), 0x04);
    pulse(8);
    assert_false(i8259_output(&p));
    i8259_write(&p, 1, 0, 0x60);                    /* slave EOI: master still has IR2 */
    assert_false(i8259_output(&p));
    i8259_write(&p, 0, 0, 0x62);                    /* master EOI of IR2 */
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x38);
    /* IRQ 2 itself is no line. */
    i8259_write(&p, 1, 0, 0x20);
    i8259_write(&p, 0, 0, 0x20);
    pulse(2);
    assert_false(i8259_output(&p));
}

static void test_priority(void **state)
{
    (void)state;
    linux_init();
    i8259_write(&p, 0, 1, 0x00);
    pulse(1);
    pulse(0);
    assert_int_equal(i8259_ack(&p), 0x30);          /* IR0 before IR1 */
    assert_false(i8259_output(&p));                 /* IR1 waits for IR0's EOI */
    i8259_write(&p, 0, 0, 0x20);
    assert_int_equal(i8259_ack(&p), 0x31);
    pulse(0);                                       /* higher than IR1 in service: nests */
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x30);
    i8259_write(&p, 0, 0, 0x20);                    /* ends IR0, the highest in service */
    i8259_write(&p, 0, 0, 0x0b);
    assert_int_equal(i8259_read(&p, 0, 0), 0x02);   /* IR1 still in service */
}

static void test_rotation(void **state)
{
    (void)state;
    linux_init();
    i8259_write(&p, 0, 1, 0x00);
    pulse(0);
    assert_int_equal(i8259_ack(&p), 0x30);
    i8259_write(&p, 0, 0, 0xa0);                    /* rotate on non-specific EOI: IR0 lowest */
    pulse(0);
    pulse(3);
    assert_int_equal(i8259_ack(&p), 0x33);          /* IR1 is the highest now */
    i8259_write(&p, 0, 0, 0xc4);                    /* set priority: IR4 lowest, IR5 highest */
    i8259_write(&p, 0, 0, 0x63);
    pulse(5);
    assert_int_equal(i8259_ack(&p), 0x35);
}

static void test_spurious(void **state)
{
    (void)state;
    linux_init();
    i8259_write(&p, 0, 1, 0xfe);
    pulse(0);
    assert_true(i8259_output(&p));
    i8259_write(&p, 0, 1, 0xff);                    /* masked before the acknowledge */
    assert_int_equal(i8259_ack(&p), 0x37);          /* IR7, nothing in service */
    i8259_write(&p, 0, 0, 0x0b);
    assert_int_equal(i8259_read(&p, 0, 0), 0x00);
    /* The same on the slave: the master sees IR2, the slave has lost it. */
    i8259_write(&p, 0, 1, 0xfb);
    i8259_write(&p, 1, 1, 0xfe);
    pulse(8);
    assert_int_equal(i8259_ack(&p), 0x38);
    i8259_write(&p, 1, 0, 0x20);
    i8259_write(&p, 0, 0, 0x20);
    assert_false(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x37);          /* nothing asked: the master's IR7 */
}

static void test_aeoi(void **state)
{
    (void)state;
    i8259_reset(&p);
    i8259_write(&p, 0, 0, 0x11);
    i8259_write(&p, 0, 1, 0x20);
    i8259_write(&p, 0, 1, 0x04);
    i8259_write(&p, 0, 1, 0x03);                    /* ICW4: AEOI, 8086 */
    i8259_write(&p, 0, 1, 0xfe);
    pulse(0);
    assert_int_equal(i8259_ack(&p), 0x20);
    pulse(0);
    assert_true(i8259_output(&p));                  /* no EOI needed */
    assert_int_equal(i8259_ack(&p), 0x20);
}

static void test_level(void **state)
{
    (void)state;
    linux_init();
    i8259_elcr_write(&p, 1, 0x02);                  /* IRQ 9 level (the SCI) */
    i8259_write(&p, 0, 1, 0xfb);
    i8259_write(&p, 1, 1, 0xfd);
    i8259_set_line(&p, 9, true);
    assert_int_equal(i8259_ack(&p), 0x39);
    i8259_write(&p, 1, 0, 0x20);
    i8259_write(&p, 0, 0, 0x20);
    assert_true(i8259_output(&p));                  /* still high: asks again */
    i8259_set_line(&p, 9, false);
    assert_false(i8259_output(&p));                 /* a level request goes with its line */
    /* ELCR: IRQ 0, 1, 2, 8, 13 stay edge. */
    i8259_elcr_write(&p, 0, 0xff);
    i8259_elcr_write(&p, 1, 0xff);
    assert_int_equal(i8259_elcr_read(&p, 0), 0xf8);
    assert_int_equal(i8259_elcr_read(&p, 1), 0xde);
}

static void test_edge_needs_rise(void **state)
{
    (void)state;
    linux_init();
    i8259_set_line(&p, 4, true);                    /* high before ICW1 */
    i8259_write(&p, 0, 0, 0x11);
    i8259_write(&p, 0, 1, 0x30);
    i8259_write(&p, 0, 1, 0x04);
    i8259_write(&p, 0, 1, 0x01);
    i8259_write(&p, 0, 1, 0xef);
    assert_false(i8259_output(&p));                 /* no new edge after initialisation */
    i8259_set_line(&p, 4, false);
    i8259_set_line(&p, 4, true);
    assert_true(i8259_output(&p));
    assert_int_equal(i8259_ack(&p), 0x34);
    i8259_write(&p, 0, 0, 0x20);
    pulse(4);                                       /* held high: a pulse is no edge */
    assert_false(i8259_output(&p));
    i8259_set_line(&p, 4, false);
    pulse(4);                                       /* from low: an edge, left low */
    assert_true(i8259_output(&p));
    assert_int_equal(p.chip[0].lines & 0x10, 0);
}

static void test_poll_and_irr(void **state)
{
    (void)state;
    linux_init();
    pulse(3);                                       /* masked: still in the IRR */
    i8259_write(&p, 0, 0, 0x0a);                    /* OCW3: read IRR */
    assert_int_equal(i8259_read(&p, 0, 0), 0x08);
    i8259_write(&p, 0, 1, 0xf7);
    i8259_write(&p, 0, 0, 0x0c);                    /* poll */
    assert_int_equal(i8259_read(&p, 0, 0), 0x83);
    i8259_write(&p, 0, 0, 0x0c);
    assert_int_equal(i8259_read(&p, 0, 0), 0x00);   /* nothing more */
    i8259_write(&p, 0, 0, 0x0b);
    assert_int_equal(i8259_read(&p, 0, 0), 0x08);   /* polled = acknowledged */
}

/* Any sequence of port writes, line changes and acknowledges: every vector
 * is one of the two chips' eight, and nothing else happens. */
static void test_hostile_sequences(void **state)
{
    (void)state;
    uint32_t x = 0x12345678;
    i8259_reset(&p);
    for (unsigned i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint8_t v = (uint8_t)(x >> 8);
        switch (x & 7) {
        case 0: case 1: i8259_write(&p, (x >> 3) & 1, (x >> 4) & 1, v); break;
        case 2: (void)i8259_read(&p, (x >> 3) & 1, (x >> 4) & 1); break;
        case 3: i8259_set_line(&p, (x >> 3) & 31, (x >> 9) & 1); break;
        case 4: i8259_elcr_write(&p, (x >> 3) & 1, v); break;
        default:
            if (i8259_output(&p) || (x & 8)) {
                uint8_t vec = i8259_ack(&p);
                uint8_t mb = p.chip[0].base, sb = p.chip[1].base;
                assert_true((vec & 0xf8) == mb || (vec & 0xf8) == sb);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_on),
        cmocka_unit_test(test_linux_timer),
        cmocka_unit_test(test_cascade),
        cmocka_unit_test(test_priority),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_spurious),
        cmocka_unit_test(test_aeoi),
        cmocka_unit_test(test_level),
        cmocka_unit_test(test_edge_needs_rise),
        cmocka_unit_test(test_poll_and_irr),
        cmocka_unit_test(test_hostile_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
