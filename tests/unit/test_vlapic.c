/* Virtual local APIC: registers, priorities, timer, IPIs (SDM Vol. 3A ch. 11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/vlapic.h>

static uint32_t rd(struct vlapic *l, uint32_t off, uint64_t now)
{
    uint32_t v = 0xdeadbeef;
    assert_true(vlapic_read(l, off, now, &v));
    return v;
}

static void wr(struct vlapic *l, uint32_t off, uint64_t now, uint32_t v)
{
    assert_true(vlapic_write(l, off, now, v));
}

static bool irr_has(const struct vlapic *l, unsigned int v)
{
    return (l->irr[v / 32] >> (v % 32)) & 1;
}

/* xAPIC, software-enabled, spurious vector 0xff. */
static void setup_enabled(struct vlapic *l)
{
    vlapic_reset(l, 0, 10);
    wr(l, VLAPIC_REG_SVR, 0, 0x1ff);
}

static void test_reset_values(void **state)
{
    (void)state;
    struct vlapic l;
    vlapic_reset(&l, 3, 10);
    assert_false(l.x2apic);
    assert_true(l.hw_enabled);
    assert_int_equal(rd(&l, VLAPIC_REG_SVR, 0), 0xff);
    assert_int_equal(rd(&l, VLAPIC_REG_DFR, 0), 0xffffffff);
    assert_int_equal(rd(&l, VLAPIC_REG_TPR, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_LDR, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ESR, 0), 0);
    for (uint32_t off = VLAPIC_REG_LVT_TIMER; off <= VLAPIC_REG_LVT_ERROR; off += 0x10)
        assert_int_equal(rd(&l, off, 0), 0x10000);
    assert_int_equal(rd(&l, VLAPIC_REG_LVT_CMCI, 0), 0x10000);
    for (uint32_t off = VLAPIC_REG_ISR; off < VLAPIC_REG_ESR; off += 0x10)
        assert_int_equal(rd(&l, off, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_ICR, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 0), 0);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_DCR, 0), 0);
    assert_int_equal(l.timer_deadline, 0);
    assert_int_equal(l.tsc_per_tick, 10);
    /* Software-disabled at reset: nothing deliverable. */
    vlapic_raise(&l, 0x40);
    assert_int_equal(vlapic_pending(&l), -1);
}

static void test_id_version_ldr(void **state)
{
    (void)state;
    struct vlapic l;
    uint32_t v;
    vlapic_reset(&l, 0x25, 1);
    /* xAPIC: ID in bits 31:24 and writable; LDR bits 31:24 writable. */
    assert_int_equal(rd(&l, VLAPIC_REG_ID, 0), 0x25000000);
    assert_int_equal(rd(&l, VLAPIC_REG_VERSION, 0), 0x00060014);
    wr(&l, VLAPIC_REG_LDR, 0, 0x12345678);
    assert_int_equal(rd(&l, VLAPIC_REG_LDR, 0), 0x12000000);
    wr(&l, VLAPIC_REG_DFR, 0, 0x0);
    assert_int_equal(rd(&l, VLAPIC_REG_DFR, 0), 0x0fffffff);
    assert_false(vlapic_write(&l, VLAPIC_REG_VERSION, 0, 0));
    /* x2APIC: full 32-bit ID, LDR derived and read-only. */
    l.x2apic = true;
    assert_int_equal(rd(&l, VLAPIC_REG_ID, 0), 0x25);
    assert_int_equal(rd(&l, VLAPIC_REG_VERSION, 0), 0x00060014);
    assert_int_equal(rd(&l, VLAPIC_REG_LDR, 0), (2u << 16) | (1u << 5));
    assert_false(vlapic_write(&l, VLAPIC_REG_LDR, 0, 0));
    assert_false(vlapic_write(&l, VLAPIC_REG_ID, 0, 0));
    l.id = 0x12345;
    assert_int_equal(rd(&l, VLAPIC_REG_ID, 0), 0x12345);
    assert_int_equal(rd(&l, VLAPIC_REG_LDR, 0), (0x1234u << 16) | (1u << 5));
    /* Misaligned and out-of-range offsets. */
    assert_false(vlapic_read(&l, 0x24, 0, &v));
    assert_false(vlapic_read(&l, 0x1000, 0, &v));
    assert_false(vlapic_write(&l, 0x84, 0, 0));
}

static void test_tpr_ppr(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    wr(&l, VLAPIC_REG_TPR, 0, 0x1234);
    assert_int_equal(rd(&l, VLAPIC_REG_TPR, 0), 0x34);   /* bits 7:0 only */
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0x34);
    /* In-service 0x51: class 5 > TPR class 3 -> PPR = 0x50. */
    vlapic_raise(&l, 0x51);
    vlapic_accept(&l, 0x51);
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0x50);
    /* TPR class 6 >= ISR class 5 -> PPR = TPR. */
    wr(&l, VLAPIC_REG_TPR, 0, 0x67);
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0x67);
    /* Same class: PPR = TPR. */
    wr(&l, VLAPIC_REG_TPR, 0, 0x52);
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0x52);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    wr(&l, VLAPIC_REG_TPR, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_PPR, 0), 0);
    /* x2APIC: reserved TPR bits fault, APR does not exist. */
    uint32_t v;
    l.x2apic = true;
    assert_false(vlapic_write(&l, VLAPIC_REG_TPR, 0, 0x100));
    assert_false(vlapic_read(&l, VLAPIC_REG_APR, 0, &v));
    l.x2apic = false;
    assert_int_equal(rd(&l, VLAPIC_REG_APR, 0), 0);
}

static void test_priority_order(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    assert_int_equal(vlapic_pending(&l), -1);
    vlapic_raise(&l, 0x31);
    vlapic_raise(&l, 0x82);
    assert_int_equal(rd(&l, VLAPIC_REG_IRR + 0x10, 0), 1u << 0x11);
    assert_int_equal(rd(&l, VLAPIC_REG_IRR + 0x40, 0), 1u << 0x2);
    /* Highest first. */
    assert_int_equal(vlapic_pending(&l), 0x82);
    vlapic_accept(&l, 0x82);
    assert_false(irr_has(&l, 0x82));
    assert_int_equal(rd(&l, VLAPIC_REG_ISR + 0x40, 0), 1u << 0x2);
    /* 0x31 is below the in-service class 8: blocked. */
    assert_int_equal(vlapic_pending(&l), -1);
    /* A higher class nests. */
    vlapic_raise(&l, 0x95);
    assert_int_equal(vlapic_pending(&l), 0x95);
    vlapic_accept(&l, 0x95);
    /* Same class as in-service is blocked too. */
    vlapic_raise(&l, 0x90);
    assert_int_equal(vlapic_pending(&l), -1);
    /* EOI retires the highest ISR bit (0x95) first. */
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ISR + 0x40, 0), 1u << 0x2);
    assert_int_equal(vlapic_pending(&l), 0x90);
    vlapic_accept(&l, 0x90);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ISR + 0x40, 0), 0);
    assert_int_equal(vlapic_pending(&l), 0x31);
    /* TPR masks classes at or below it. */
    wr(&l, VLAPIC_REG_TPR, 0, 0x30);
    assert_int_equal(vlapic_pending(&l), -1);
    wr(&l, VLAPIC_REG_TPR, 0, 0x2f);
    assert_int_equal(vlapic_pending(&l), 0x31);
    /* hw-disabled: nothing. */
    l.hw_enabled = false;
    assert_int_equal(vlapic_pending(&l), -1);
    l.hw_enabled = true;
    /* x2APIC EOI must be zero; EOI is write-only. */
    uint32_t v;
    l.x2apic = true;
    assert_false(vlapic_write(&l, VLAPIC_REG_EOI, 0, 1));
    assert_true(vlapic_write(&l, VLAPIC_REG_EOI, 0, 0));
    assert_false(vlapic_read(&l, VLAPIC_REG_EOI, 0, &v));
    /* IRR/ISR/TMR are read-only. */
    assert_false(vlapic_write(&l, VLAPIC_REG_IRR, 0, 0));
    assert_false(vlapic_write(&l, VLAPIC_REG_ISR, 0, 0));
    assert_false(vlapic_write(&l, VLAPIC_REG_PPR, 0, 0));
}

static void test_svr_disable(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    wr(&l, VLAPIC_REG_LVT_LINT0, 0, 0x700);        /* ExtINT, unmasked */
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x40);
    wr(&l, VLAPIC_REG_LVT_ERROR, 0, 0xfe);
    assert_int_equal(rd(&l, VLAPIC_REG_LVT_LINT0, 0), 0x700);
    vlapic_raise(&l, 0x40);
    assert_int_equal(vlapic_pending(&l), 0x40);
    wr(&l, VLAPIC_REG_SVR, 0, 0xff);
    assert_int_equal(vlapic_pending(&l), -1);
    assert_true(irr_has(&l, 0x40));                /* held, not lost */
    for (unsigned int i = 0; i < VLAPIC_LVT_COUNT; i++)
        assert_true(l.lvt[i] & VLAPIC_LVT_MASKED);
    assert_int_equal(rd(&l, VLAPIC_REG_LVT_LINT0, 0), 0x10700);
    /* Mask bits cannot be cleared while disabled. */
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x41);
    assert_int_equal(rd(&l, VLAPIC_REG_LVT_TIMER, 0), 0x10041);
    wr(&l, VLAPIC_REG_SVR, 0, 0x1ff);
    assert_int_equal(vlapic_pending(&l), 0x40);
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x41);
    assert_int_equal(rd(&l, VLAPIC_REG_LVT_TIMER, 0), 0x41);
}

static void test_timer_oneshot(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);                              /* tsc_per_tick 10 */
    wr(&l, VLAPIC_REG_TIMER_DCR, 0, 0xb);           /* divide by 1 */
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x30);
    wr(&l, VLAPIC_REG_TIMER_ICR, 1000, 100);        /* 100 * 1 * 10 TSC */
    assert_int_equal(l.timer_deadline, 2000);
    assert_int_equal(l.timer_period, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_ICR, 0), 100);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 1000), 100);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 1500), 50);
    vlapic_timer_update(&l, 1999);
    assert_false(irr_has(&l, 0x30));
    vlapic_timer_update(&l, 2000);
    assert_true(irr_has(&l, 0x30));
    assert_int_equal(l.timer_deadline, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 2000), 0);
    /* Does not fire again. */
    vlapic_accept(&l, 0x30);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    vlapic_timer_update(&l, 100000);
    assert_false(irr_has(&l, 0x30));
    /* Count 0 stops a running timer. */
    wr(&l, VLAPIC_REG_TIMER_ICR, 0, 5);
    assert_int_not_equal(l.timer_deadline, 0);
    wr(&l, VLAPIC_REG_TIMER_ICR, 0, 0);
    assert_int_equal(l.timer_deadline, 0);
    vlapic_timer_update(&l, 100000);
    assert_false(irr_has(&l, 0x30));
    /* Masked timer expires without raising. */
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x10030);
    wr(&l, VLAPIC_REG_TIMER_ICR, 0, 5);
    vlapic_timer_update(&l, 1000);
    assert_false(irr_has(&l, 0x30));
    assert_int_equal(l.timer_deadline, 0);
}

static void test_timer_periodic(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    wr(&l, VLAPIC_REG_TIMER_DCR, 0, 0x0);           /* divide by 2 */
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x20000 | 0x33);
    wr(&l, VLAPIC_REG_TIMER_ICR, 0, 50);            /* 50 * 2 * 10 = 1000 */
    assert_int_equal(l.timer_period, 1000);
    assert_int_equal(l.timer_deadline, 1000);
    uint32_t c1 = rd(&l, VLAPIC_REG_TIMER_CCR, 100);
    uint32_t c2 = rd(&l, VLAPIC_REG_TIMER_CCR, 600);
    assert_int_equal(c1, 45);
    assert_int_equal(c2, 20);
    vlapic_timer_update(&l, 1000);
    assert_true(irr_has(&l, 0x33));
    assert_int_equal(l.timer_deadline, 2000);
    /* Reloaded: counting down again from the initial count. */
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 1000), 50);
    vlapic_accept(&l, 0x33);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    vlapic_timer_update(&l, 1999);
    assert_false(irr_has(&l, 0x33));
    vlapic_timer_update(&l, 2001);
    assert_true(irr_has(&l, 0x33));
    assert_int_equal(l.timer_deadline, 3000);
    /* Missed periods coalesce and keep the grid. */
    vlapic_timer_update(&l, 5500);
    assert_int_equal(l.timer_deadline, 6000);
    /* Current count without an update stays in range. */
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 6250), 38);
}

static void test_timer_divide(void **state)
{
    (void)state;
    static const struct { uint32_t dcr, div; } t[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
    };
    struct vlapic l;
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        vlapic_reset(&l, 0, 3);
        wr(&l, VLAPIC_REG_TIMER_DCR, 0, t[i].dcr);
        assert_int_equal(rd(&l, VLAPIC_REG_TIMER_DCR, 0), t[i].dcr);
        wr(&l, VLAPIC_REG_TIMER_ICR, 100, 7);
        assert_int_equal(l.timer_deadline, 100 + 7ull * t[i].div * 3);
    }
    /* Bit 2 is reserved: masked in xAPIC, faults in x2APIC. */
    wr(&l, VLAPIC_REG_TIMER_DCR, 0, 0xf);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_DCR, 0), 0xb);
    l.x2apic = true;
    assert_false(vlapic_write(&l, VLAPIC_REG_TIMER_DCR, 0, 0x4));
    /* Huge counts saturate rather than wrap. */
    vlapic_reset(&l, 0, UINT64_MAX / 2);
    wr(&l, VLAPIC_REG_TIMER_DCR, 0, 0xa);
    wr(&l, VLAPIC_REG_TIMER_ICR, 5, 0xffffffff);
    assert_int_equal(l.timer_deadline, UINT64_MAX);
}

static void test_timer_tsc_deadline(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    /* Outside TSC-deadline mode the MSR write is ignored. */
    vlapic_set_tsc_deadline(&l, 0, 500);
    assert_int_equal(l.timer_deadline, 0);
    assert_int_equal(vlapic_get_tsc_deadline(&l), 0);
    wr(&l, VLAPIC_REG_LVT_TIMER, 0, 0x40000 | 0x44);
    vlapic_set_tsc_deadline(&l, 100, 500);
    assert_int_equal(l.timer_deadline, 500);
    assert_int_equal(vlapic_get_tsc_deadline(&l), 500);
    /* Initial count is ignored, current count reads 0. */
    wr(&l, VLAPIC_REG_TIMER_ICR, 100, 10);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_ICR, 100), 0);
    assert_int_equal(l.timer_deadline, 500);
    assert_int_equal(rd(&l, VLAPIC_REG_TIMER_CCR, 100), 0);
    vlapic_timer_update(&l, 499);
    assert_false(irr_has(&l, 0x44));
    vlapic_timer_update(&l, 500);
    assert_true(irr_has(&l, 0x44));
    assert_int_equal(l.timer_deadline, 0);
    assert_int_equal(l.tsc_deadline_msr, 0);
    /* 0 disarms. */
    vlapic_accept(&l, 0x44);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    vlapic_set_tsc_deadline(&l, 600, 700);
    vlapic_set_tsc_deadline(&l, 600, 0);
    vlapic_timer_update(&l, 800);
    assert_false(irr_has(&l, 0x44));
    /* A deadline in the past fires at once. */
    vlapic_set_tsc_deadline(&l, 900, 850);
    assert_true(irr_has(&l, 0x44));
    /* Leaving TSC-deadline mode disarms. */
    vlapic_set_tsc_deadline(&l, 900, 2000);
    wr(&l, VLAPIC_REG_LVT_TIMER, 900, 0x44);
    assert_int_equal(l.timer_deadline, 0);
    /* Reserved timer mode 3 is rejected. */
    assert_false(vlapic_write(&l, VLAPIC_REG_LVT_TIMER, 0, 0x60000 | 0x44));
}

static void test_icr(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    l.id = 2;
    /* Fixed, shorthand self. */
    wr(&l, VLAPIC_REG_ICR_LO, 0, (1u << 18) | 0x50);
    assert_true(irr_has(&l, 0x50));
    assert_int_equal(rd(&l, VLAPIC_REG_ICR_LO, 0) & (1u << 12), 0);
    /* Fixed, physical destination = own ID. */
    wr(&l, VLAPIC_REG_ICR_HI, 0, 0x02000000);
    assert_int_equal(rd(&l, VLAPIC_REG_ICR_HI, 0), 0x02000000);
    wr(&l, VLAPIC_REG_ICR_LO, 0, 0x51);
    assert_true(irr_has(&l, 0x51));
    /* Fixed to another ID: not raised here (routing it is the caller's,
     * test_ipi_out). */
    wr(&l, VLAPIC_REG_ICR_HI, 0, 0x05000000);
    wr(&l, VLAPIC_REG_ICR_LO, 0, 0x52);
    assert_false(irr_has(&l, 0x52));
    /* Broadcast 0xff and all-including-self reach us. */
    wr(&l, VLAPIC_REG_ICR_HI, 0, 0xff000000);
    wr(&l, VLAPIC_REG_ICR_LO, 0, 0x53);
    assert_true(irr_has(&l, 0x53));
    wr(&l, VLAPIC_REG_ICR_LO, 0, (2u << 18) | 0x54);
    assert_true(irr_has(&l, 0x54));
    /* All-excluding-self does not. */
    wr(&l, VLAPIC_REG_ICR_LO, 0, (3u << 18) | 0x55);
    assert_false(irr_has(&l, 0x55));
    /* INIT / SIPI to others are only counted here, not delivered. */
    assert_int_equal(l.pending_init_sipi, 0);
    wr(&l, VLAPIC_REG_ICR_HI, 0, 0x01000000);
    wr(&l, VLAPIC_REG_ICR_LO, 0, 0x4500);           /* INIT assert */
    wr(&l, VLAPIC_REG_ICR_LO, 0, 0x0608);           /* SIPI */
    wr(&l, VLAPIC_REG_ICR_LO, 0, (3u << 18) | 0x0500);
    assert_int_equal(l.pending_init_sipi, 3);
    assert_false(irr_has(&l, 0x08));
    /* NMI to self is recorded for the caller. */
    wr(&l, VLAPIC_REG_ICR_LO, 0, (1u << 18) | 0x400);
    assert_int_equal(l.pending_nmi, 1);
    /* x2APIC: 64-bit ICR with a 32-bit destination. */
    l.x2apic = true;
    l.id = 0x1234;
    assert_true(vlapic_write_icr64(&l, 0, (0x1234ull << 32) | 0x60));
    assert_true(irr_has(&l, 0x60));
    assert_int_equal(vlapic_read_icr64(&l), (0x1234ull << 32) | 0x60);
    assert_true(vlapic_write_icr64(&l, 0, (0x12ull << 32) | 0x61));
    assert_false(irr_has(&l, 0x61));
    assert_true(vlapic_write_icr64(&l, 0, (0xffffffffull << 32) | 0x62));
    assert_true(irr_has(&l, 0x62));
    assert_true(vlapic_write_icr64(&l, 0, (7ull << 32) | 0x500));
    assert_int_equal(l.pending_init_sipi, 4);
    /* Reserved ICR bits fault in x2APIC (delivery status bit 12). */
    assert_false(vlapic_write_icr64(&l, 0, 0x1000 | 0x63));
    assert_false(irr_has(&l, 0x63));
}

static void test_mode_specific_regs(void **state)
{
    (void)state;
    struct vlapic l;
    uint32_t v;
    setup_enabled(&l);
    /* SELF IPI is x2APIC-only. */
    assert_false(vlapic_write(&l, VLAPIC_REG_SELF_IPI, 0, 0x70));
    assert_false(irr_has(&l, 0x70));
    l.x2apic = true;
    assert_true(vlapic_write(&l, VLAPIC_REG_SELF_IPI, 0, 0x70));
    assert_true(irr_has(&l, 0x70));
    assert_false(vlapic_write(&l, VLAPIC_REG_SELF_IPI, 0, 0x170));
    assert_false(vlapic_read(&l, VLAPIC_REG_SELF_IPI, 0, &v));
    /* DFR and ICR high are xAPIC-only. */
    assert_false(vlapic_read(&l, VLAPIC_REG_DFR, 0, &v));
    assert_false(vlapic_write(&l, VLAPIC_REG_DFR, 0, 0));
    assert_false(vlapic_read(&l, VLAPIC_REG_ICR_HI, 0, &v));
    assert_false(vlapic_write(&l, VLAPIC_REG_ICR_HI, 0, 0));
    /* x2APIC reserved bits in SVR / LVT fault; ESR write must be 0. */
    assert_false(vlapic_write(&l, VLAPIC_REG_SVR, 0, 0x1000 | 0x1ff));
    assert_false(vlapic_write(&l, VLAPIC_REG_LVT_ERROR, 0, 0x700));
    assert_false(vlapic_write(&l, VLAPIC_REG_ESR, 0, 1));
    assert_true(vlapic_write(&l, VLAPIC_REG_ESR, 0, 0));
    /* Current count is read-only in both modes. */
    assert_false(vlapic_write(&l, VLAPIC_REG_TIMER_CCR, 0, 1));
    l.x2apic = false;
    assert_false(vlapic_write(&l, VLAPIC_REG_TIMER_CCR, 0, 1));
    assert_true(vlapic_read(&l, VLAPIC_REG_DFR, 0, &v));
    /* Reserved offsets. */
    assert_false(vlapic_read(&l, 0x000, 0, &v));
    assert_false(vlapic_read(&l, 0x3c0, 0, &v));
    assert_false(vlapic_write(&l, 0x400, 0, 0));
}

static void test_illegal_vector(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    vlapic_raise(&l, 5);
    assert_int_equal(l.irr[0], 0);
    assert_int_equal(vlapic_pending(&l), -1);
    /* ESR shows it after a latching write, and a second write clears it. */
    assert_int_equal(rd(&l, VLAPIC_REG_ESR, 0), 0);
    wr(&l, VLAPIC_REG_ESR, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ESR, 0), VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
    wr(&l, VLAPIC_REG_ESR, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ESR, 0), 0);
    /* Unmasked LVT error raises its vector; a send error via ICR. */
    wr(&l, VLAPIC_REG_LVT_ERROR, 0, 0xe0);
    wr(&l, VLAPIC_REG_ICR_LO, 0, (3u << 18) | 0x03);
    assert_true(irr_has(&l, 0xe0));
    wr(&l, VLAPIC_REG_ESR, 0, 0);
    assert_int_equal(rd(&l, VLAPIC_REG_ESR, 0), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
    /* Out-of-range vectors are harmless. */
    vlapic_raise(&l, 256);
    vlapic_raise(&l, -1);
    vlapic_accept(&l, 300);
}

/* Which vCPUs an IPI selects (routing among a guest's own vCPUs). */
static void test_ipi_selects(void **state)
{
    (void)state;
    struct vlapic t;
    vlapic_reset(&t, 2, 1);
    t.hw_enabled = true;
    /* physical: exact xAPIC ID or broadcast */
    assert_true(vlapic_ipi_selects(&t, 0x41, 2));
    assert_false(vlapic_ipi_selects(&t, 0x41, 3));
    assert_true(vlapic_ipi_selects(&t, 0x41, 0xff));
    /* shorthands: self selects nobody else; all and all-but-self do */
    assert_false(vlapic_ipi_selects(&t, 0x41 | (1u << 18), 2));
    assert_true(vlapic_ipi_selects(&t, 0x41 | (2u << 18), 7));
    assert_true(vlapic_ipi_selects(&t, 0x41 | (3u << 18), 7));
    /* logical flat: LDR bit set by the guest */
    t.ldr = 0x04u << 24;
    t.dfr = 0xffffffffu;
    assert_true(vlapic_ipi_selects(&t, 0x41 | (1u << 11), 0x04));
    assert_false(vlapic_ipi_selects(&t, 0x41 | (1u << 11), 0x02));
    /* x2APIC: 32-bit IDs, cluster logical IDs derived from the ID */
    t.x2apic = true;
    assert_true(vlapic_ipi_selects(&t, 0x41, 2));
    assert_false(vlapic_ipi_selects(&t, 0x41, 0x102));
    assert_true(vlapic_ipi_selects(&t, 0x41, 0xffffffffu));
    assert_true(vlapic_ipi_selects(&t, 0x41 | (1u << 11), (0u << 16) | (1u << 2)));
}

/* An IPI to other vCPUs is left for the caller to route; one to itself
 * only is not. */
static void test_ipi_out(void **state)
{
    (void)state;
    struct vlapic l;
    vlapic_reset(&l, 0, 1);
    l.hw_enabled = true;
    vlapic_write(&l, VLAPIC_REG_SVR, 0, 0x1ff);
    vlapic_write(&l, VLAPIC_REG_ICR_HI, 0, 1u << 24);
    vlapic_write(&l, VLAPIC_REG_ICR_LO, 0, 0x41);
    assert_true(l.ipi_out);
    assert_int_equal(l.ipi_dest, 1);
    assert_int_equal(l.ipi_lo & 0xff, 0x41);
    l.ipi_out = false;
    vlapic_write(&l, VLAPIC_REG_ICR_LO, 0, 0x41 | (1u << 18));     /* self */
    assert_false(l.ipi_out);
    assert_int_equal(vlapic_pending(&l), 0x41);
    vlapic_write(&l, VLAPIC_REG_ICR_LO, 0, 0x4500 | (3u << 18));   /* INIT, all but self */
    assert_true(l.ipi_out);
    assert_int_equal((l.ipi_lo >> 8) & 7, 5);
}

/* SDM 11.8.4: TMR set for a level-triggered interrupt, cleared for an
 * edge one; the EOI of a vector with TMR set is left for the I/O APIC. */
static void test_level_tmr_eoi(void **state)
{
    (void)state;
    struct vlapic l;
    setup_enabled(&l);
    assert_int_equal(vlapic_take_level_eoi(&l), -1);
    vlapic_raise_level(&l, 0x61);
    assert_true(irr_has(&l, 0x61));
    assert_int_equal(rd(&l, VLAPIC_REG_TMR + 0x30, 0), 1u << 1);
    assert_int_equal(vlapic_pending(&l), 0x61);
    vlapic_accept(&l, 0x61);
    /* TMR stays while in service */
    assert_int_equal(rd(&l, VLAPIC_REG_TMR + 0x30, 0), 1u << 1);
    assert_false(l.level_eoi_pending);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    assert_true(l.level_eoi_pending);
    assert_int_equal(vlapic_take_level_eoi(&l), 0x61);
    assert_int_equal(vlapic_take_level_eoi(&l), -1);
    assert_false(l.level_eoi_pending);
    /* the same vector edge-triggered: TMR cleared, its EOI is not told */
    vlapic_raise(&l, 0x61);
    assert_int_equal(rd(&l, VLAPIC_REG_TMR + 0x30, 0), 0);
    vlapic_accept(&l, 0x61);
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    assert_false(l.level_eoi_pending);
    assert_int_equal(vlapic_take_level_eoi(&l), -1);
    /* two level vectors nested: each EOI reports its own, lowest first */
    vlapic_raise_level(&l, 0x41);
    vlapic_accept(&l, 0x41);
    vlapic_raise_level(&l, 0x91);
    vlapic_accept(&l, 0x91);
    wr(&l, VLAPIC_REG_EOI, 0, 0);           /* retires 0x91 */
    wr(&l, VLAPIC_REG_EOI, 0, 0);           /* retires 0x41 */
    assert_int_equal(vlapic_take_level_eoi(&l), 0x41);
    assert_int_equal(vlapic_take_level_eoi(&l), 0x91);
    assert_int_equal(vlapic_take_level_eoi(&l), -1);
    /* an EOI with nothing in service reports nothing */
    wr(&l, VLAPIC_REG_EOI, 0, 0);
    assert_false(l.level_eoi_pending);
    /* illegal vectors are refused as for edge ones */
    vlapic_raise_level(&l, 5);
    assert_false(irr_has(&l, 5));
    assert_int_equal(l.esr_pending & VLAPIC_ESR_RECV_ILLEGAL_VECTOR, VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
}

/* The 8259's INT through LINT0 (SDM Vol. 3A 11.4.3, 11.5.1): with the
 * APIC globally disabled, always; else only LINT0 unmasked in ExtINT mode
 * of a software-enabled APIC (how Linux sets up CPU 0 with noapic). */
static void test_extint_acceptance(void **state)
{
    (void)state;
    struct vlapic l;
    vlapic_reset(&l, 0, 10);
    l.hw_enabled = false;
    assert_true(vlapic_accepts_extint(&l));
    l.hw_enabled = true;
    assert_false(vlapic_accepts_extint(&l));           /* reset: software-disabled */
    assert_true(vlapic_write(&l, VLAPIC_REG_SVR, 0, 0x1ff));
    assert_false(vlapic_accepts_extint(&l));           /* LINT0 still masked */
    assert_true(vlapic_write(&l, VLAPIC_REG_LVT_LINT0, 0, 0x700));
    assert_true(vlapic_accepts_extint(&l));
    assert_true(vlapic_write(&l, VLAPIC_REG_LVT_LINT0, 0, 0x10700));
    assert_false(vlapic_accepts_extint(&l));           /* masked */
    assert_true(vlapic_write(&l, VLAPIC_REG_LVT_LINT0, 0, 0x400));
    assert_false(vlapic_accepts_extint(&l));           /* NMI mode: not the 8259's */
    assert_true(vlapic_write(&l, VLAPIC_REG_LVT_LINT0, 0, 0x700));
    assert_true(vlapic_write(&l, VLAPIC_REG_SVR, 0, 0x0ff));
    assert_false(vlapic_accepts_extint(&l));           /* software-disabled again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_id_version_ldr),
        cmocka_unit_test(test_tpr_ppr),
        cmocka_unit_test(test_priority_order),
        cmocka_unit_test(test_svr_disable),
        cmocka_unit_test(test_timer_oneshot),
        cmocka_unit_test(test_timer_periodic),
        cmocka_unit_test(test_timer_divide),
        cmocka_unit_test(test_timer_tsc_deadline),
        cmocka_unit_test(test_icr),
        cmocka_unit_test(test_mode_specific_regs),
        cmocka_unit_test(test_illegal_vector),
        cmocka_unit_test(test_ipi_selects),
        cmocka_unit_test(test_ipi_out),
        cmocka_unit_test(test_level_tmr_eoi),
        cmocka_unit_test(test_extint_acceptance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
