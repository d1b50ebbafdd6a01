/*
 * Which TSC rate to believe (include/arch/tsc.h), and the log line that
 * says so. Pure logic: arch/x86/tsc.c reads CPUID and measures; this
 * decides.
 *
 * CPUID 0x15/0x16 (SDM Vol. 2A, CPUID leaves 15H and 16H) states the rate
 * the processor was built for; nothing makes an emulator or a virtual
 * machine agree with it (Bochs says 3.5 GHz while its TSC follows the
 * emulated instruction rate, 50 MHz with ips=50000000), and 0x16 is only
 * the nominal base frequency on real machines. A measurement against a
 * fixed-rate clock (ACPI PM timer, HPET) is what the hypervisor's slices
 * and timers actually get, but one measurement can be disturbed (an SMI,
 * the host descheduling a virtual CPU), so it overrides CPUID only when two
 * of them agree with each other.
 */
#include <arch/tsc.h>
#include <hv/fmt.h>

/* a and b within TSC_AGREE_PERCENT of b. */
bool tsc_rates_agree(uint64_t a, uint64_t b)
{
    uint64_t d = a > b ? a - b : b - a;
    /* d * 100 <= b * TSC_AGREE_PERCENT, without overflow. */
    return b && d / TSC_AGREE_PERCENT <= b / 100 &&
           (d / TSC_AGREE_PERCENT < b / 100 || d % TSC_AGREE_PERCENT * 100 <= b % 100 * TSC_AGREE_PERCENT);
}

/* "3500.000" for 3.5 GHz. */
static void mhz(char *buf, size_t len, uint64_t hz)
{
    hv_snprintf(buf, len, "%llu.%03llu MHz", (unsigned long long)(hz / 1000000),
                (unsigned long long)(hz / 1000 % 1000));
}

/* How far `a` is from `b`, "+6900.0 %" or "-2.5 %", one decimal. */
static void percent_off(char *buf, size_t len, uint64_t a, uint64_t b)
{
    uint64_t d = a > b ? a - b : b - a;
    /* per mille, rounded; saturated where d * 1000 would not fit. */
    uint64_t pm = !b ? 0 : d > (UINT64_MAX - b) / 1000 ? UINT64_MAX / 1000 : (d * 1000 + b / 2) / b;
    hv_snprintf(buf, len, "%c%llu.%llu %%", a >= b ? '+' : '-', (unsigned long long)(pm / 10),
                (unsigned long long)(pm % 10));
}

uint64_t tsc_pick(const struct tsc_inputs *in, char *line, size_t len)
{
    const char *csrc = in->cpuid_source ? in->cpuid_source : "CPUID";
    const char *clock = in->clock ? in->clock : "a reference clock";
    uint64_t c = in->cpuid_hz, m0 = in->measured_hz[0], m1 = in->measured_hz[1];
    char cs[32], ms[32], ms0[32], ms1[32], off[32];

    /* The measurement: the mean of the two when both worked, rounded to
     * TSC_MEASURE_ROUND_HZ. */
    unsigned n = (m0 != 0) + (m1 != 0);
    uint64_t m = n == 2 ? m0 / 2 + m1 / 2 + (m0 % 2 + m1 % 2) / 2 : (m0 ? m0 : m1);
    if (m >= TSC_MEASURE_ROUND_HZ && m <= UINT64_MAX - TSC_MEASURE_ROUND_HZ)
        m = (m + TSC_MEASURE_ROUND_HZ / 2) / TSC_MEASURE_ROUND_HZ * TSC_MEASURE_ROUND_HZ;
    mhz(cs, sizeof(cs), c);
    mhz(ms, sizeof(ms), m);
    mhz(ms0, sizeof(ms0), m0);
    mhz(ms1, sizeof(ms1), m1);

    if (!c && !m) {
        hv_snprintf(line, len, "tsc: no rate from CPUID and no working clock to measure it");
        return 0;
    }
    if (!m) {
        hv_snprintf(line, len, "tsc: %s (%s; not checked: no ACPI PM timer, HPET or PIT to "
                    "measure it against)", cs, csrc);
        return c;
    }
    if (!c) {
        hv_snprintf(line, len, "tsc: %s (%s)", ms, clock);
        return m;
    }
    if (tsc_rates_agree(c, m0) || tsc_rates_agree(c, m1)) {
        /* CPUID is exact where it is right; the measurement has noise. */
        hv_snprintf(line, len, "tsc: %s (%s; the %s measures %s, within %u %%)", cs, csrc,
                    clock, ms, TSC_AGREE_PERCENT);
        return c;
    }
    if (n == 2 && !tsc_rates_agree(m0, m1)) {
        hv_snprintf(line, len, "tsc: %s (%s; the %s measures %s and %s, which disagree with "
                    "each other as well: keeping CPUID's rate)", cs, csrc, clock, ms0, ms1);
        return c;
    }
    percent_off(off, sizeof(off), c, m);
    hv_snprintf(line, len, "tsc: %s (measured with the %s; %s says %s, %s off, more than %u %%: "
                "using the measured rate)", ms, clock, csrc, cs, off, TSC_AGREE_PERCENT);
    return m;
}
