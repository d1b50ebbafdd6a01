/*
 * Power-off and reset. ACPI first: S5 through PM1a/PM1b_CNT with the
 * SLP_TYP values from the DSDT's \_S5 (ACPI 6.x 7.4.2, 4.8.3.2.1) and the
 * FADT reset register. The emulators' test exits come only when the
 * configuration allows them (test images); otherwise, when nothing works,
 * the machine halts with a message saying it is safe to switch off.
 */
#include <hv/power.h>
#include <hv/acpi.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/smp.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/percpu.h>

#define SLP_EN      BIT(13)
#define SCI_EN      BIT(0)
#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT  0x8900

static const struct acpi_info *acpi;
static bool test_exits;

void power_init(const struct acpi_info *a, bool allow_test_exits)
{
    acpi = a;
    test_exits = allow_test_exits;
}

/* Leave VMX operation on this CPU and stop the others. */
static void quiesce(void)
{
    irq_disable();
    smp_stop_others();
    mdelay(10);
    /* A CPU stopped while it printed (a guest's exit counts as the last
     * guest stops, say) would otherwise keep the log's lock forever, and
     * this CPU would hang in its first line below. */
    log_break_lock();
    cpu_halt_prepare();
}

static void acpi_enable_mode(const struct acpi_fadt *f)
{
    /* ACPI 6.x 4.8.2.1: in legacy mode, ask the firmware via SMI_CMD. */
    if ((inw(f->pm1a_cnt_port) & SCI_EN) || !f->smi_cmd || !f->acpi_enable)
        return;
    outb(f->smi_cmd, f->acpi_enable);
    for (int i = 0; i < 300 && !(inw(f->pm1a_cnt_port) & SCI_EN); i++)
        mdelay(10);
}

static bool acpi_s5(void)
{
    if (!acpi || !acpi->fadt.present || !acpi->fadt.pm1a_cnt_port) {
        kprintf("power: no ACPI PM1 control block: ACPI power-off unavailable\n");
        return false;
    }
    if (!acpi->s5.found) {
        kprintf("power: no \\_S5 object in the DSDT/SSDTs: ACPI power-off unavailable\n");
        return false;
    }
    const struct acpi_fadt *f = &acpi->fadt;
    acpi_enable_mode(f);
    kprintf("power: ACPI S5 (SLP_TYPa %u, SLP_TYPb %u)\n", acpi->s5.slp_typa, acpi->s5.slp_typb);
    uint16_t a = inw(f->pm1a_cnt_port) & ~(7u << 10);
    outw(f->pm1a_cnt_port, (uint16_t)(a | ((acpi->s5.slp_typa & 7u) << 10) | SLP_EN));
    if (f->pm1b_cnt_port) {
        uint16_t b = inw(f->pm1b_cnt_port) & ~(7u << 10);
        outw(f->pm1b_cnt_port, (uint16_t)(b | ((acpi->s5.slp_typb & 7u) << 10) | SLP_EN));
    }
    mdelay(500);
    kprintf("power: still running 500 ms after the ACPI S5 request\n");
    return false;
}

static void emulator_exit(int status)
{
    if (!test_exits)
        return;
    kprintf("power: test exit (status %d)\n", status);
    /* Bochs: the string "Shutdown" on port 0x8900 ends the simulation. */
    for (const char *s = "Shutdown"; *s; s++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
    /* QEMU isa-debug-exit: exits with (value << 1) | 1. */
    outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status);
}

__noreturn void power_halt(const char *why)
{
    quiesce();
    kprintf("power: halted (%s); it is safe to switch the machine off\n", why);
    cpu_halt_forever();
}

__noreturn void power_off(int status)
{
    quiesce();
    kprintf("power: powering off\n");
    acpi_s5();
    emulator_exit(status);
    kprintf("power: halted: no way to power off (no ACPI S5%s); "
            "it is safe to switch the machine off\n",
            test_exits ? " and no emulator test exit" : "");
    cpu_halt_forever();
}

static void reset_register(void)
{
    if (!acpi || !acpi->fadt.reset_supported)
        return;
    const struct acpi_gas *r = &acpi->fadt.reset_reg;
    kprintf("power: reset through the FADT reset register\n");
    if (r->space_id == ACPI_GAS_IO)
        outb((uint16_t)r->address, acpi->fadt.reset_value);
    else if (r->space_id == ACPI_GAS_MEMORY)
        *(volatile uint8_t *)phys_to_ptr(r->address) = acpi->fadt.reset_value;
    mdelay(100);
}

__noreturn void power_reset(void)
{
    quiesce();
    reset_register();
    kprintf("power: reset through port 0xcf9, then the keyboard controller\n");
    outb(0xcf9, 0x02);
    udelay(50);
    outb(0xcf9, 0x06);                  /* full reset (PIIX/ICH reset control) */
    mdelay(100);
    for (int i = 0; i < 10000 && (inb(0x64) & 0x02); i++)
        udelay(10);
    outb(0x64, 0xfe);
    mdelay(100);
    /* Last resort: a triple fault with an empty IDT. */
    struct { uint16_t limit; uint64_t base; } __packed none = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(none));
    cpu_halt_forever();
}
