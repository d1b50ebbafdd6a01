/* TSC frequency and busy-wait delays. */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <hv/compiler.h>

struct acpi_info;

/* Determine the TSC frequency: CPUID 0x15/0x16, else calibrate against the
 * ACPI PM timer, the HPET or the PIT. */
void tsc_init(const struct acpi_info *acpi);
uint64_t tsc_hz(void);
void udelay(uint64_t us);
void mdelay(uint64_t ms);

#endif
