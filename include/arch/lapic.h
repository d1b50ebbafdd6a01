/* Local APIC, xAPIC (MMIO) or x2APIC (MSR) mode (SDM Vol. 3A ch. 11). */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <hv/compiler.h>

#define ICR_INIT        (5u << 8)
#define ICR_STARTUP     (6u << 8)
#define ICR_NMI         (4u << 8)
#define ICR_FIXED       (0u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)

/* Enable the LAPIC on the running CPU; x2APIC mode when the CPU has it. */
void lapic_init(void);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Send an IPI; false if the xAPIC never reported delivery. */
bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);

/* Per-CPU timer. lapic_timer_calibrate runs once (BSP) against the TSC. */
void lapic_timer_calibrate(void);
uint64_t lapic_timer_hz(void);
void lapic_timer_periodic(uint8_t vector, uint32_t hz);
/* One interrupt on `vector` after about `tsc_ticks` TSC ticks. */
void lapic_timer_oneshot(uint8_t vector, uint64_t tsc_ticks);
void lapic_timer_stop(void);

#endif
