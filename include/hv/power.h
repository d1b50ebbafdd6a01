/* Orderly power-off and reset. */
#ifndef HV_POWER_H
#define HV_POWER_H

#include <hv/compiler.h>

struct acpi_info;

/* Which mechanisms may be used: ACPI always; the emulators' test exits
 * (QEMU isa-debug-exit, Bochs port 0x8900) only when the configuration
 * says test_exits = yes. `acpi` may be NULL (no usable tables). */
void power_init(const struct acpi_info *acpi, bool test_exits);

/* Stop the other CPUs, leave VMX operation and switch the machine off;
 * when nothing works, say so and halt. status is passed to test exits. */
__noreturn void power_off(int status);
__noreturn void power_reset(void);
__noreturn void power_halt(const char *why);

#endif
