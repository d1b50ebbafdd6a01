/*
 * Local APIC. x2APIC mode is used whenever the CPU supports it (CPUID.1:
 * ECX[21]), because APIC IDs above 255 need it and MSR access needs no
 * mapping; otherwise the xAPIC page at IA32_APIC_BASE (SDM Vol. 3A 11.4).
 */
#include <arch/lapic.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <arch/tsc.h>

#define APIC_BASE_BSP    BIT(8)
#define APIC_BASE_EXTD   BIT(10)
#define APIC_BASE_EN     BIT(11)

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + off/16. */
#define REG_ID       0x020
#define REG_EOI      0x0b0
#define REG_SVR      0x0f0
#define REG_ESR      0x280
#define REG_ICR_LO   0x300
#define REG_ICR_HI   0x310
#define REG_LVT_TMR  0x320
#define REG_TMR_INIT 0x380
#define REG_TMR_CUR  0x390
#define REG_TMR_DIV  0x3e0

#define SVR_ENABLE   BIT(8)
#define LVT_MASKED   BIT(16)
#define LVT_PERIODIC BIT(17)
#define ICR_BUSY     BIT(12)
#define TMR_DIV_16   0x3

static bool x2apic;             /* same mode on every CPU */
static uint64_t xapic_base;
static uint64_t timer_hz;       /* LAPIC timer ticks per second at divide-by-16 */

static uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    return *(volatile uint32_t *)(xapic_base + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
    else
        *(volatile uint32_t *)(xapic_base + reg) = v;
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

    x2apic = (cpuid(1, 0).ecx & BIT(21)) != 0;
    /* SDM Vol. 3A 11.12.5: xAPIC must be enabled before x2APIC. */
    base |= APIC_BASE_EN;
    wrmsr(MSR_IA32_APIC_BASE, base);
    if (x2apic)
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
    xapic_base = base & ~0xfffULL & ((1ULL << 52) - 1);

    lapic_write(REG_SVR, SVR_ENABLE | 0xff);    /* spurious vector 0xff */
    lapic_write(REG_LVT_TMR, LVT_MASKED);
    lapic_write(REG_ESR, 0);
}

bool lapic_x2apic(void)
{
    return x2apic;
}

uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(REG_ID);
    return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
    lapic_write(REG_EOI, 0);
}

bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    if (x2apic) {
        /* SDM Vol. 3A 11.12.9: one 64-bit write, no delivery status. */
        wrmsr(MSR_X2APIC_BASE + (REG_ICR_LO >> 4), ((uint64_t)apic_id << 32) | icr_low);
        return true;
    }
    lapic_write(REG_ICR_HI, apic_id << 24);
    lapic_write(REG_ICR_LO, icr_low);
    for (int i = 0; i < 1000000; i++) {
        if (!(lapic_read(REG_ICR_LO) & ICR_BUSY))
            return true;
        cpu_relax();
    }
    return false;
}

void lapic_timer_calibrate(void)
{
    const uint64_t window_us = 10000;
    uint32_t start = 0xffffffff;

    lapic_write(REG_TMR_DIV, TMR_DIV_16);
    lapic_write(REG_LVT_TMR, LVT_MASKED);
    lapic_write(REG_TMR_INIT, start);
    udelay(window_us);
    uint32_t left = lapic_read(REG_TMR_CUR);
    lapic_write(REG_TMR_INIT, 0);
    timer_hz = (uint64_t)(start - left) * 1000000 / window_us;
}

uint64_t lapic_timer_hz(void)
{
    return timer_hz;
}

void lapic_timer_periodic(uint8_t vector, uint32_t hz)
{
    uint64_t count = hz ? timer_hz / hz : 0;

    if (count == 0)
        count = 1;
    if (count > 0xffffffff)
        count = 0xffffffff;
    lapic_write(REG_TMR_DIV, TMR_DIV_16);
    lapic_write(REG_LVT_TMR, LVT_PERIODIC | vector);
    lapic_write(REG_TMR_INIT, (uint32_t)count);
}

void lapic_timer_oneshot(uint8_t vector, uint64_t tsc_ticks)
{
    uint64_t tsc = tsc_hz();
    uint64_t count = tsc ? tsc_ticks * (timer_hz / 1000) / (tsc / 1000) : tsc_ticks;

    if (count == 0)
        count = 1;
    if (count > 0xffffffff)
        count = 0xffffffff;
    lapic_write(REG_TMR_DIV, TMR_DIV_16);
    lapic_write(REG_LVT_TMR, vector);               /* one-shot, unmasked */
    lapic_write(REG_TMR_INIT, (uint32_t)count);
}

void lapic_timer_stop(void)
{
    lapic_write(REG_LVT_TMR, LVT_MASKED);
    lapic_write(REG_TMR_INIT, 0);
}
