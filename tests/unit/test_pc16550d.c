/* The 16550A's register logic (dm/pc16550d.c; PC16550D datasheet):
 * interrupt identification and priorities, the THR-empty interrupt as
 * Linux's 8250 driver tests it, FIFO detection, loopback and MSR for its
 * probe, the receive FIFO, overrun, and the OUT2-gated IRQ output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/pc16550d.h>

static void wr(struct pc16550d *u, unsigned reg, uint8_t val)
{
    uint8_t out;
    assert_false(pc16550d_write(u, reg, val, &out));
}

static void test_reset(void **state)
{
    (void)state;
    struct pc16550d u;
    pc16550d_reset(&u);
    assert_int_equal(pc16550d_read(&u, UART_IER), 0);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
    assert_int_equal(pc16550d_read(&u, UART_LCR), 0);
    assert_int_equal(pc16550d_read(&u, UART_MCR), 0);
    assert_int_equal(pc16550d_read(&u, UART_LSR), 0x60);
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0xb0);
    assert_int_equal(pc16550d_read(&u, UART_RBR), 0);
    assert_false(pc16550d_irq(&u));
}

/* What the test kernels do: poll LSR.THRE, write THR. */
static void test_transmit_polled(void **state)
{
    (void)state;
    struct pc16550d u;
    uint8_t out = 0;
    pc16550d_reset(&u);
    assert_true(pc16550d_read(&u, UART_LSR) & UART_LSR_THRE);
    assert_true(pc16550d_write(&u, UART_RBR, 'A', &out));
    assert_int_equal(out, 'A');
    assert_int_equal(pc16550d_read(&u, UART_LSR), 0x60);
    /* DLAB: offsets 0 and 1 are the divisor latch, nothing is sent */
    wr(&u, UART_LCR, 0x83);
    assert_false(pc16550d_write(&u, UART_RBR, 0x01, &out));
    wr(&u, UART_IER, 0x00);
    assert_int_equal(pc16550d_read(&u, UART_RBR), 0x01);
    assert_int_equal(pc16550d_read(&u, UART_IER), 0x00);
    wr(&u, UART_LCR, 0x03);
    assert_int_equal(pc16550d_read(&u, UART_LCR), 0x03);
    wr(&u, UART_SCR, 0x5a);
    assert_int_equal(pc16550d_read(&u, UART_SCR), 0x5a);
    /* no interrupt enabled: nothing pending */
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
}

/* Linux's 8250 autoconfig: IER test, loopback MSR test, FIFO probe. */
static void test_linux_probe(void **state)
{
    (void)state;
    struct pc16550d u;
    pc16550d_reset(&u);
    wr(&u, UART_IER, 0);
    assert_int_equal(pc16550d_read(&u, UART_IER) & 0x0f, 0);
    wr(&u, UART_IER, 0x0f);
    assert_int_equal(pc16550d_read(&u, UART_IER) & 0x0f, 0x0f);
    wr(&u, UART_IER, 0);
    /* MCR = LOOP | OUT2 | RTS: MSR 7:4 reads DCD | CTS */
    wr(&u, UART_MCR, 0x1a);
    assert_int_equal(pc16550d_read(&u, UART_MSR) & 0xf0, 0x90);
    /* all outputs: all inputs */
    wr(&u, UART_MCR, 0x1f);
    assert_int_equal(pc16550d_read(&u, UART_MSR) & 0xf0, 0xf0);
    wr(&u, UART_MCR, 0x10);
    assert_int_equal(pc16550d_read(&u, UART_MSR) & 0xf0, 0x00);
    wr(&u, UART_MCR, 0);
    /* FIFO: FCR = 1, IIR bits 7:6 = 3 is a 16550A */
    wr(&u, UART_LCR, 0xbf);
    wr(&u, UART_IIR, 0);                        /* EFR on a 16650: FCR here */
    wr(&u, UART_LCR, 0);
    wr(&u, UART_IIR, UART_FCR_ENABLE);
    assert_int_equal(pc16550d_read(&u, UART_IIR) >> 6, 3);
    /* no 64-byte FIFO (16750: IIR bit 5) */
    wr(&u, UART_IIR, UART_FCR_ENABLE | 0x20);
    assert_int_equal(pc16550d_read(&u, UART_IIR) & 0x20, 0);
    wr(&u, UART_IIR, 0);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
}

static void test_msr_deltas(void **state)
{
    (void)state;
    struct pc16550d u;
    pc16550d_reset(&u);
    wr(&u, UART_IER, UART_IER_EDSSI);
    wr(&u, UART_MCR, UART_MCR_OUT2);
    assert_false(pc16550d_irq(&u));
    /* into loopback with OUT2 | RTS: DSR falls (DDSR); DCD and CTS stay */
    wr(&u, UART_MCR, 0x1a);
    assert_int_equal(pc16550d_iir(&u), 0x00);   /* modem status pending */
    assert_false(pc16550d_irq(&u));             /* loopback: IRQ output off */
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0x92);
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0x90);    /* deltas cleared */
    assert_int_equal(pc16550d_iir(&u), 0x01);
    /* OUT1 (RI) up, then down: TERI on the trailing edge only */
    wr(&u, UART_MCR, 0x1e);
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0xd0);
    wr(&u, UART_MCR, 0x1a);
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0x94);
    /* out of loopback: DSR back (DDSR) */
    wr(&u, UART_MCR, UART_MCR_OUT2);
    assert_true(pc16550d_irq(&u));
    assert_int_equal(pc16550d_read(&u, UART_MSR), 0xb2);
    assert_false(pc16550d_irq(&u));
}

/* Linux's startup: THRE comes with ETBEI, a read of IIR clears it, and
 * enabling ETBEI again raises it again (else UART_BUG_THRE/TXEN). */
static void test_thre(void **state)
{
    (void)state;
    struct pc16550d u;
    uint8_t out;
    pc16550d_reset(&u);
    wr(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
    wr(&u, UART_IER, UART_IER_ETBEI);
    assert_true(pc16550d_irq(&u));
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x02);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);    /* cleared by the read */
    assert_false(pc16550d_irq(&u));
    /* the same IER again is no change: stays clear */
    wr(&u, UART_IER, UART_IER_ETBEI);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
    /* off and on: raised again */
    wr(&u, UART_IER, 0);
    wr(&u, UART_IER, UART_IER_ETBEI);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x02);
    /* a THR write: the byte leaves, THR is empty, raised again */
    assert_true(pc16550d_write(&u, UART_RBR, 'x', &out));
    assert_true(pc16550d_irq(&u));
    assert_int_equal(pc16550d_iir(&u), 0x02);
    /* disabling ETBEI drops it */
    wr(&u, UART_IER, 0);
    assert_false(pc16550d_irq(&u));
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
    /* without OUT2 the line stays down */
    wr(&u, UART_MCR, 0);
    wr(&u, UART_IER, UART_IER_ETBEI);
    assert_int_equal(pc16550d_iir(&u), 0x02);
    assert_false(pc16550d_irq(&u));
    /* FIFO mode: bits 7:6 with the identification */
    wr(&u, UART_IIR, UART_FCR_ENABLE);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0xc2);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0xc1);
}

static void test_receive(void **state)
{
    (void)state;
    struct pc16550d u;
    pc16550d_reset(&u);
    wr(&u, UART_MCR, UART_MCR_OUT2);
    assert_true(pc16550d_receive(&u, 'a'));
    /* data ready in LSR, no interrupt until ERBFI */
    assert_int_equal(pc16550d_read(&u, UART_LSR), 0x61);
    assert_false(pc16550d_irq(&u));
    wr(&u, UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    assert_true(pc16550d_irq(&u));
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x04);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x04);    /* not cleared by IIR */
    assert_int_equal(pc16550d_read(&u, UART_RBR), 'a');
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
    assert_false(pc16550d_irq(&u));
    /* FIFO mode, trigger 8 (FCR 0x81): below it a character timeout,
     * from the trigger level on "data available" */
    wr(&u, UART_IIR, 0x81);
    for (int i = 0; i < 7; i++)
        assert_true(pc16550d_receive(&u, (uint8_t)('0' + i)));
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0xcc);
    assert_true(pc16550d_receive(&u, '7'));
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0xc4);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pc16550d_read(&u, UART_RBR), '0' + i);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0xc1);
    /* FCR bit 1 empties the receiver FIFO; so does turning FIFOs off */
    pc16550d_receive(&u, 'q');
    wr(&u, UART_IIR, 0x83);
    assert_int_equal(pc16550d_read(&u, UART_LSR) & UART_LSR_DR, 0);
    pc16550d_receive(&u, 'q');
    wr(&u, UART_IIR, 0);
    assert_int_equal(pc16550d_read(&u, UART_LSR) & UART_LSR_DR, 0);
    /* rx beats THRE in priority */
    wr(&u, UART_IER, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI);
    pc16550d_receive(&u, 'r');
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x04);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x04);    /* THRE still pending behind it */
    assert_int_equal(pc16550d_read(&u, UART_RBR), 'r');
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x02);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x01);
}

static void test_overrun(void **state)
{
    (void)state;
    struct pc16550d u;
    pc16550d_reset(&u);
    wr(&u, UART_MCR, UART_MCR_OUT2);
    for (int i = 0; i < PC16550D_RX_SIZE; i++)
        assert_true(pc16550d_receive(&u, (uint8_t)i));
    assert_false(pc16550d_receive(&u, 0xee));
    wr(&u, UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    /* line status first, cleared by reading LSR */
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x06);
    assert_int_equal(pc16550d_read(&u, UART_LSR), 0x63);
    assert_int_equal(pc16550d_read(&u, UART_LSR), 0x61);
    assert_int_equal(pc16550d_read(&u, UART_IIR), 0x04);
    /* the bytes in order, the lost one never seen */
    for (int i = 0; i < PC16550D_RX_SIZE; i++)
        assert_int_equal(pc16550d_read(&u, UART_RBR), i);
    assert_int_equal(pc16550d_read(&u, UART_RBR), 0);
    assert_false(pc16550d_irq(&u));
}

/* Loopback: what is transmitted is received, not sent out. */
static void test_loopback_data(void **state)
{
    (void)state;
    struct pc16550d u;
    uint8_t out = 0;
    pc16550d_reset(&u);
    wr(&u, UART_MCR, UART_MCR_LOOP);
    assert_false(pc16550d_write(&u, UART_RBR, 0x55, &out));
    assert_int_equal(pc16550d_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    assert_int_equal(pc16550d_read(&u, UART_RBR), 0x55);
    wr(&u, UART_MCR, 0);
    assert_true(pc16550d_write(&u, UART_RBR, 0x56, &out));
    assert_int_equal(out, 0x56);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_transmit_polled),
        cmocka_unit_test(test_linux_probe),
        cmocka_unit_test(test_msr_deltas),
        cmocka_unit_test(test_thre),
        cmocka_unit_test(test_receive),
        cmocka_unit_test(test_overrun),
        cmocka_unit_test(test_loopback_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
