/* The I/O APIC's register logic (dm/ioapic.c; 82093AA datasheet, ICH9's
 * EOI register): reset values, the redirection table and its read-only
 * bits, edge and level delivery, remote IRR and both EOIs, masks, the
 * ISA pins of the MADT, and destination selection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/ioapic.h>
#include <arch/vlapic.h>

/* A recording sink: each message, and whether it is "taken". */
struct sink {
    unsigned n;
    uint64_t rte[16];
    bool refuse;
};

static bool deliver(void *ctx, uint64_t rte)
{
    struct sink *s = ctx;
    if (s->n < 16)
        s->rte[s->n] = rte;
    s->n++;
    return !s->refuse;
}

static uint32_t rd(struct ioapic *io, uint32_t index)
{
    ioapic_mmio_write(io, IOAPIC_MMIO_IOREGSEL, 4, index);
    return (uint32_t)ioapic_mmio_read(io, IOAPIC_MMIO_IOWIN, 4);
}

static void wr(struct ioapic *io, uint32_t index, uint32_t val)
{
    ioapic_mmio_write(io, IOAPIC_MMIO_IOREGSEL, 4, index);
    ioapic_mmio_write(io, IOAPIC_MMIO_IOWIN, 4, val);
}

/* Entry `pin`: low dword `lo`, destination `dest`. */
static void set_rte(struct ioapic *io, unsigned pin, uint32_t lo, uint8_t dest)
{
    wr(io, IOAPIC_REG_REDIR + 2 * pin + 1, (uint32_t)dest << 24);
    wr(io, IOAPIC_REG_REDIR + 2 * pin, lo);
}

#define LEVEL ((uint32_t)IOAPIC_RTE_LEVEL)
#define MASKED ((uint32_t)IOAPIC_RTE_MASKED)
#define RIRR ((uint32_t)IOAPIC_RTE_REMOTE_IRR)

static void test_reset_values(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOREGSEL, 4), 0);
    assert_int_equal(rd(&io, IOAPIC_REG_ID), 0);
    /* version 0x20, max redirection entry 23 */
    assert_int_equal(rd(&io, IOAPIC_REG_VERSION), 0x00170020);
    assert_int_equal(rd(&io, IOAPIC_REG_ARB), 0);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 2 * pin), 0x10000);
        assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 2 * pin + 1), 0);
    }
    /* past the table and reserved registers read 0 */
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 2 * IOAPIC_PINS), 0);
    assert_int_equal(rd(&io, 0x03), 0);
    assert_int_equal(rd(&io, 0xff), 0);
    /* masked pins deliver nothing */
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        ioapic_set_line(&io, pin, true);
    assert_int_equal(s.n, 0);
}

static void test_id_version_regsel(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    wr(&io, IOAPIC_REG_ID, 0xff000000);
    assert_int_equal(rd(&io, IOAPIC_REG_ID), 0x0f000000);      /* 4 bits */
    assert_int_equal(rd(&io, IOAPIC_REG_ARB), 0x0f000000);
    wr(&io, IOAPIC_REG_VERSION, 0);                             /* read-only */
    assert_int_equal(rd(&io, IOAPIC_REG_VERSION), 0x00170020);
    wr(&io, IOAPIC_REG_ARB, 0);
    assert_int_equal(rd(&io, IOAPIC_REG_ARB), 0x0f000000);
    /* IOREGSEL keeps bits 7:0 only; byte accesses reach their byte */
    ioapic_mmio_write(&io, IOAPIC_MMIO_IOREGSEL, 4, 0x12345611);
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOREGSEL, 4), 0x11);
    ioapic_mmio_write(&io, IOAPIC_MMIO_IOREGSEL, 1, IOAPIC_REG_VERSION);
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOWIN, 4), 0x00170020);
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOWIN + 2, 1), 0x17);
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOWIN, 2), 0x0020);
    /* an 8-byte read of IOREGSEL: the reserved dword after it is 0 */
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_IOREGSEL, 8), IOAPIC_REG_VERSION);
    /* the EOI register and elsewhere read 0 */
    assert_int_equal(ioapic_mmio_read(&io, IOAPIC_MMIO_EOI, 4), 0);
    assert_int_equal(ioapic_mmio_read(&io, 0x20, 4), 0);
    assert_int_equal(ioapic_mmio_read(&io, 0xffc, 4), 0);
    ioapic_mmio_write(&io, 0x20, 4, 0xffffffff);                /* ignored */
    assert_int_equal(rd(&io, IOAPIC_REG_ID), 0x0f000000);
}

static void test_rte_bits(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    /* every bit written: delivery status, remote IRR and 31:17 read 0 */
    wr(&io, IOAPIC_REG_REDIR + 6, 0xffffffff);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 6), 0x1afff);
    /* high dword: destination 63:56 only */
    wr(&io, IOAPIC_REG_REDIR + 7, 0xffffffff);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 7), 0xff000000);
    assert_int_equal(io.rte[3], 0xff0000000001afffULL);
    /* writing one half keeps the other */
    wr(&io, IOAPIC_REG_REDIR + 7, 0x01000000);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 6), 0x1afff);
    wr(&io, IOAPIC_REG_REDIR + 6, 0x10030);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 7), 0x01000000);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 6), 0x10030);
    /* a byte write into IOWIN changes its byte only */
    ioapic_mmio_write(&io, IOAPIC_MMIO_IOREGSEL, 4, IOAPIC_REG_REDIR + 6);
    ioapic_mmio_write(&io, IOAPIC_MMIO_IOWIN, 1, 0x41);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 6), 0x10041);
    /* the other entries are untouched */
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 4), 0x10000);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 8), 0x10000);
    assert_int_equal(s.n, 0);
}

static void test_edge(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    set_rte(&io, 4, 0x34, 0);                   /* fixed, physical, edge, unmasked */
    ioapic_set_line(&io, 4, true);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rte[0] & 0xff, 0x34);
    ioapic_set_line(&io, 4, true);              /* still high: no edge */
    assert_int_equal(s.n, 1);
    ioapic_set_line(&io, 4, false);
    assert_int_equal(s.n, 1);
    ioapic_set_line(&io, 4, true);
    assert_int_equal(s.n, 2);
    /* an edge has no remote IRR, and an EOI of its vector does nothing */
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 8) & RIRR, 0);
    ioapic_eoi(&io, 0x34);
    assert_int_equal(s.n, 2);
    /* masked: the edge is lost, unmasking does not bring it back */
    ioapic_set_line(&io, 4, false);
    set_rte(&io, 4, 0x34 | MASKED, 0);
    ioapic_set_line(&io, 4, true);
    set_rte(&io, 4, 0x34, 0);
    assert_int_equal(s.n, 2);
    /* a refused message is simply gone for an edge */
    s.refuse = true;
    ioapic_set_line(&io, 4, false);
    ioapic_set_line(&io, 4, true);
    assert_int_equal(s.n, 3);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 8) & RIRR, 0);
    /* pins out of range are ignored */
    ioapic_set_line(&io, IOAPIC_PINS, true);
    ioapic_set_line(&io, 1000, true);
    assert_int_equal(s.n, 3);
}

static void test_level_remote_irr(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    set_rte(&io, 9, 0x49 | LEVEL, 0);
    ioapic_set_line(&io, 9, true);
    assert_int_equal(s.n, 1);
    assert_true(s.rte[0] & IOAPIC_RTE_LEVEL);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 18), 0x49 | LEVEL | RIRR);
    /* remote IRR is read-only: writing the entry keeps it */
    wr(&io, IOAPIC_REG_REDIR + 18, 0x49 | LEVEL);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 18), 0x49 | LEVEL | RIRR);
    /* while waiting for the EOI nothing more is sent */
    ioapic_set_line(&io, 9, false);
    ioapic_set_line(&io, 9, true);
    assert_int_equal(s.n, 1);
    /* an EOI of another vector changes nothing */
    ioapic_eoi(&io, 0x48);
    assert_int_equal(s.n, 1);
    /* EOI with the line still asserted: delivered again */
    ioapic_eoi(&io, 0x49);
    assert_int_equal(s.n, 2);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 18), 0x49 | LEVEL | RIRR);
    /* lowered, then EOI: remote IRR clear, nothing sent */
    ioapic_set_line(&io, 9, false);
    ioapic_eoi(&io, 0x49);
    assert_int_equal(s.n, 2);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 18), 0x49 | LEVEL);
    /* the I/O APIC's own EOI register (a 32-bit write, vector in 7:0) */
    ioapic_set_line(&io, 9, true);
    assert_int_equal(s.n, 3);
    ioapic_mmio_write(&io, IOAPIC_MMIO_EOI, 4, 0xffffff49);
    assert_int_equal(s.n, 4);                   /* still asserted */
    ioapic_set_line(&io, 9, false);
    ioapic_mmio_write(&io, IOAPIC_MMIO_EOI, 1, 0x49);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 18) & RIRR, 0);
    assert_int_equal(s.n, 4);
}

static void test_level_mask_and_refusal(void **state)
{
    (void)state;
    struct sink s = { 0 };
    struct ioapic io;
    ioapic_reset(&io, deliver, &s);
    /* asserted while masked: held, sent when unmasked */
    set_rte(&io, 5, 0x55 | LEVEL | MASKED, 0);
    ioapic_set_line(&io, 5, true);
    assert_int_equal(s.n, 0);
    set_rte(&io, 5, 0x55 | LEVEL, 0);
    assert_int_equal(s.n, 1);
    /* masked while in service: the EOI clears remote IRR, nothing sent
     * until unmasked */
    set_rte(&io, 5, 0x55 | LEVEL | MASKED, 0);
    ioapic_eoi(&io, 0x55);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 10) & RIRR, 0);
    assert_int_equal(s.n, 1);
    set_rte(&io, 5, 0x55 | LEVEL, 0);
    assert_int_equal(s.n, 2);
    /* switching to edge clears remote IRR (Linux's clear_IO_APIC_pin) */
    set_rte(&io, 5, 0x55 | MASKED, 0);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 10), 0x55 | MASKED);
    /* nobody takes it: remote IRR stays clear, the next event retries */
    ioapic_set_line(&io, 5, false);
    s.refuse = true;
    set_rte(&io, 5, 0x55 | LEVEL, 0);
    ioapic_set_line(&io, 5, true);
    assert_int_equal(s.n, 3);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 10) & RIRR, 0);
    s.refuse = false;
    wr(&io, IOAPIC_REG_REDIR + 10, 0x56 | LEVEL);  /* rewritten: tried again */
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rte[3] & 0xff, 0x56);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 10) & RIRR, RIRR);
    /* an NMI level pin fires on rising edges and waits for no EOI */
    set_rte(&io, 6, (IOAPIC_MODE_NMI << 8) | LEVEL, 0);
    ioapic_set_line(&io, 6, true);
    ioapic_set_line(&io, 6, false);
    ioapic_set_line(&io, 6, true);
    assert_int_equal(s.n, 6);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 12) & RIRR, 0);
    /* reset forgets all of it */
    ioapic_reset(&io, deliver, &s);
    assert_int_equal(io.lines, 0);
    assert_int_equal(rd(&io, IOAPIC_REG_REDIR + 10), 0x10000);
}

static void test_isa_pins(void **state)
{
    (void)state;
    assert_int_equal(ioapic_isa_pin(0), 2);     /* interrupt source override */
    assert_int_equal(ioapic_isa_pin(1), 1);
    assert_int_equal(ioapic_isa_pin(2), -1);    /* the cascade: pin 2 is IRQ 0's */
    assert_int_equal(ioapic_isa_pin(3), 3);
    assert_int_equal(ioapic_isa_pin(4), 4);
    assert_int_equal(ioapic_isa_pin(8), 8);
    assert_int_equal(ioapic_isa_pin(9), 9);
    assert_int_equal(ioapic_isa_pin(15), 15);
    assert_int_equal(ioapic_isa_pin(16), -1);
    assert_int_equal(ioapic_isa_pin(~0u), -1);
}

static uint64_t rte_to(uint8_t dest, bool logical)
{
    return ((uint64_t)dest << IOAPIC_RTE_DEST_SHIFT) | (logical ? IOAPIC_RTE_LOGICAL : 0) | 0x30;
}

static void test_dest_physical(void **state)
{
    (void)state;
    struct vlapic l;
    vlapic_reset(&l, 3, 1);
    assert_true(ioapic_rte_selects(&l, rte_to(3, false)));
    assert_false(ioapic_rte_selects(&l, rte_to(2, false)));
    assert_true(ioapic_rte_selects(&l, rte_to(0xff, false)));     /* broadcast */
    /* x2APIC: the 8-bit destination against the x2APIC ID, 0xff all */
    l.x2apic = true;
    assert_true(ioapic_rte_selects(&l, rte_to(3, false)));
    assert_false(ioapic_rte_selects(&l, rte_to(4, false)));
    assert_true(ioapic_rte_selects(&l, rte_to(0xff, false)));
    /* disabled in IA32_APIC_BASE: takes nothing */
    l.x2apic = false;
    l.hw_enabled = false;
    assert_false(ioapic_rte_selects(&l, rte_to(3, false)));
    assert_false(ioapic_rte_selects(&l, rte_to(0xff, false)));
}

static void test_dest_logical(void **state)
{
    (void)state;
    struct vlapic l;
    vlapic_reset(&l, 1, 1);
    l.ldr = 0x02000000;                 /* flat: bit 1 */
    assert_true(ioapic_rte_selects(&l, rte_to(0x02, true)));
    assert_true(ioapic_rte_selects(&l, rte_to(0x03, true)));
    assert_false(ioapic_rte_selects(&l, rte_to(0x01, true)));
    assert_true(ioapic_rte_selects(&l, rte_to(0xff, true)));
    /* the physical ID does not matter in logical mode */
    assert_false(ioapic_rte_selects(&l, rte_to(0x01, true)));
    /* cluster model (DFR 0x0fffffff): cluster 2, member bit 0 */
    l.dfr = 0x0fffffff;
    l.ldr = 0x21000000;
    assert_true(ioapic_rte_selects(&l, rte_to(0x21, true)));
    assert_true(ioapic_rte_selects(&l, rte_to(0x23, true)));
    assert_false(ioapic_rte_selects(&l, rte_to(0x11, true)));
    assert_false(ioapic_rte_selects(&l, rte_to(0x22, true)));
    /* x2APIC logical: ID 1 is cluster 0, bit 1 */
    l.x2apic = true;
    assert_true(ioapic_rte_selects(&l, rte_to(0x02, true)));
    assert_false(ioapic_rte_selects(&l, rte_to(0x01, true)));
    assert_true(ioapic_rte_selects(&l, rte_to(0xff, true)));
    /* ID 17 is cluster 1: an 8-bit destination cannot name it but by 0xff */
    l.id = 17;
    assert_false(ioapic_rte_selects(&l, rte_to(0x02, true)));
    assert_true(ioapic_rte_selects(&l, rte_to(0xff, true)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_id_version_regsel),
        cmocka_unit_test(test_rte_bits),
        cmocka_unit_test(test_edge),
        cmocka_unit_test(test_level_remote_irr),
        cmocka_unit_test(test_level_mask_and_refusal),
        cmocka_unit_test(test_isa_pins),
        cmocka_unit_test(test_dest_physical),
        cmocka_unit_test(test_dest_logical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
