/*
 * TSC frequency. CPUID leaf 0x15 (crystal ratio) or 0x16 (base MHz) when
 * the CPU reports them, checked against a measurement with a fixed-rate
 * clock, the ACPI PM timer (3.579545 MHz) or the HPET: two windows of
 * CAL_MS each, and arch/x86/tsc_pick.c decides which rate to believe.
 * Without either, PIT channel 2 (1.193182 MHz) is the reference. Without
 * a CPUID rate the measurement is the rate.
 */
#include <arch/tsc.h>
#include <arch/cpu.h>
#include <hv/acpi.h>
#include <hv/log.h>
#include <hv/layout.h>

#define PM_TIMER_HZ 3579545ULL
#define PIT_HZ      1193182ULL
#define CAL_MS      10         /* per measurement; two are made */

static uint64_t hz;

static uint64_t from_cpuid(const char **source)
{
    uint32_t max = cpuid(0, 0).eax;

    if (max >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);   /* SDM Vol. 2A CPUID leaf 15H */
        if (r.eax && r.ebx && r.ecx) {
            *source = "CPUID 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax;
        }
    }
    if (max >= 0x16) {
        uint32_t mhz = cpuid(0x16, 0).eax & 0xffff;
        if (mhz) {
            *source = "CPUID 0x16";
            return (uint64_t)mhz * 1000000;
        }
    }
    return 0;
}

static uint64_t with_pm_timer(uint16_t port, bool ext32)
{
    uint32_t mask = ext32 ? 0xffffffff : 0xffffff;
    uint64_t want = PM_TIMER_HZ * CAL_MS / 1000, elapsed = 0;
    uint32_t last = inl(port) & mask;
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;

    while (elapsed < want) {
        uint32_t now = inl(port) & mask;
        elapsed += (now - last) & mask;
        last = now;
        if (++spins > 100000000)
            return 0;           /* a timer that never moves */
    }
    return (rdtsc() - t0) * PM_TIMER_HZ / elapsed;
}

static uint64_t with_hpet(uint64_t base)
{
    volatile uint64_t *regs = phys_to_ptr(base);
    uint64_t period_fs = regs[0] >> 32;        /* capabilities: counter period */

    if (period_fs == 0 || period_fs > 100000000)
        return 0;
    regs[0x10 / 8] |= 1;                       /* general config: enable */
    uint64_t want = 1000000000000ULL * CAL_MS / 1000 / period_fs;
    uint64_t c0 = regs[0xf0 / 8], t0 = rdtsc(), spins = 0;
    while (regs[0xf0 / 8] - c0 < want)
        if (++spins > 100000000)
            return 0;
    uint64_t ticks = regs[0xf0 / 8] - c0;
    /* Elapsed time in ns (fs would overflow the product below). */
    uint64_t ns = ticks * period_fs / 1000000;
    return ns ? (rdtsc() - t0) * 1000000000ULL / ns : 0;
}

static uint64_t with_pit(void)
{
    /* Channel 2, mode 0, gate via port 0x61; OUT2 (bit 5) goes high at 0. */
    uint16_t count = (uint16_t)(PIT_HZ * CAL_MS / 1000);
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    uint64_t t0 = rdtsc(), spins = 0;
    /* OUT2 is low while the count runs: high at once means no PIT answers
     * there (a machine without legacy devices reads 0xff). */
    if (inb(0x61) & 0x20)
        return 0;
    while (!(inb(0x61) & 0x20))
        if (++spins > 100000000)
            return 0;
    return (rdtsc() - t0) * 1000 / CAL_MS;
}

void tsc_init(const struct acpi_info *acpi)
{
    struct tsc_inputs in = { .cpuid_source = NULL };
    char line[200];

    in.cpuid_hz = from_cpuid(&in.cpuid_source);
    if (acpi && acpi->fadt.pm_timer_port) {
        in.clock = "ACPI PM timer";
        for (unsigned i = 0; i < 2; i++)
            in.measured_hz[i] = with_pm_timer(acpi->fadt.pm_timer_port,
                                              acpi->fadt.pm_timer_32bit);
    }
    if (!in.measured_hz[0] && !in.measured_hz[1] && acpi && acpi->hpet.present &&
        acpi->hpet.address) {
        in.clock = "HPET";
        for (unsigned i = 0; i < 2; i++)
            in.measured_hz[i] = with_hpet(acpi->hpet.address);
    }
    if (!in.measured_hz[0] && !in.measured_hz[1]) {
        /* Neither (firmware without ACPI tables, e.g. OVMF in Bochs, or a
         * table without the timer): PIT channel 2, twice as well, so that
         * a CPUID rate that is wrong is caught here too (Bochs's CPUID
         * says 3.5 GHz for a 50 MHz TSC; a guest told 3.5 GHz sees its
         * clock run 70 times slow and reports soft lockups). */
        in.clock = "PIT";
        for (unsigned i = 0; i < 2; i++)
            in.measured_hz[i] = with_pit();
    }
    hz = tsc_pick(&in, line, sizeof(line));
    kprintf("%s\n", line);
    if (!hz) {
        hz = 1000000000;
        kprintf("tsc: guessing 1000.000 MHz (no working clock found)\n");
    }
}

uint64_t tsc_hz(void)
{
    return hz;
}


void udelay(uint64_t us)
{
    /* Not hz / 1000000 * us: at 49.999 MHz that waits 2 % short, and the
     * LAPIC timer is calibrated with this (arch/x86/lapic.c). */
    uint64_t end = rdtsc() + hz / 1000000 * us + hz % 1000000 * us / 1000000;
    while (rdtsc() < end)
        cpu_relax();
}

void mdelay(uint64_t ms)
{
    udelay(ms * 1000);
}
