/* TSC frequency and busy-wait delays. */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <hv/compiler.h>

struct acpi_info;

/* Determine the TSC frequency: CPUID 0x15/0x16, cross-checked against
 * the ACPI PM timer, else the HPET, else PIT channel 2 (the measured rate
 * wins when two measurements agree and differ from CPUID by more than
 * TSC_AGREE_PERCENT); without a CPUID rate, the measurement. Logs one
 * "tsc:" line saying which. */
void tsc_init(const struct acpi_info *acpi);
uint64_t tsc_hz(void);
void udelay(uint64_t us);
void mdelay(uint64_t ms);

/* The decision, pure (arch/x86/tsc_pick.c, unit-tested). */
#define TSC_AGREE_PERCENT 1
/* A measured rate is rounded to this: finer than the measurement resolves
 * at GHz rates (a PM timer tick is 279 ns of a 10 ms window, 3e-5), and
 * it keeps an emulator's round rate round (Bochs: 50.000 MHz, not
 * 49.999), so that code dividing it into MHz or kHz loses nothing. */
#define TSC_MEASURE_ROUND_HZ 10000

struct tsc_inputs {
    uint64_t cpuid_hz;          /* 0: CPUID gives no rate */
    const char *cpuid_source;   /* "CPUID 0x15", "CPUID 0x16" */
    uint64_t measured_hz[2];    /* two measurements; 0: failed or not made */
    const char *clock;          /* what they were measured against: "ACPI PM timer" */
};

/* True when a is within TSC_AGREE_PERCENT of b (and b is not 0). */
bool tsc_rates_agree(uint64_t a, uint64_t b);

/* The rate to use (0: none at all), and the "tsc: ..." line (no newline)
 * naming it, its source and, when CPUID and the measurement both exist,
 * both values and which one won. CPUID's rate is kept when it agrees with
 * either measurement, or when the two measurements disagree with each
 * other (a disturbed measurement is no reason to doubt CPUID); otherwise
 * the mean of the measurements is used, rounded to TSC_MEASURE_ROUND_HZ. */
uint64_t tsc_pick(const struct tsc_inputs *in, char *line, size_t len);

#endif
