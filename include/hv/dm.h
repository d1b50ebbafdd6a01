/*
 * Device models (dm/), one file each, each with its own per-guest state
 * behind the guest's bus (include/hv/bus.h), created from the guest's
 * configuration when it is built and reset when it is re-created.
 */
#ifndef HV_DM_H
#define HV_DM_H

#include <hv/compiler.h>

struct guest;
struct guest_config;
struct vdev;

/* A device model: `create` adds it to a new guest when the guest's
 * configuration asks for it (true: added, or not wanted). The guest's
 * life cycle (guest/lifecycle.c) creates every model of dm_models in
 * order; a new model is one file in dm/ and one line in dm/models.c. */
struct dm_model {
    const char *name;
    bool (*create)(struct guest *g, const struct guest_config *gc);
};
extern const struct dm_model dm_models[];
extern const unsigned dm_model_count;

/* dm/vuart.c (model: dm/pc16550d.c, include/hv/pc16550d.h): a 16550A
 * UART at `base` (8 ports); what the guest sends is its output line
 * ("[NAME] ..."), what the operator types (`console NAME`) waits in a
 * receive FIFO for the guest to read. Its interrupts (received data, THR
 * empty, line and modem status, gated by MCR.OUT2) are ISA IRQ 4, or 3
 * at 0x2f8 and 0x2e8. */
bool vuart_attach(struct guest *g, uint16_t base);
/* A byte typed by the operator for this guest; false when its FIFO is
 * full or it has no UART. */
bool vuart_receive(struct guest *g, uint8_t c);

/* dm/debug_exit.c: writing v to the test-exit port stops the guest with
 * status v (configuration: debug_exit = PORT). */
bool debug_exit_attach(struct guest *g, uint16_t port);

/* dm/vpic.c (model: dm/i8259.c, include/hv/i8259.h): the 8259A pair at
 * 0x20-0x21 and 0xa0-0xa1 with the ELCR at 0x4d0-0x4d1, initialised as a
 * BIOS does (vectors 0x08 and 0x70), masks clear. ISA IRQ 0-15 (dm_irq_set and
 * dm_irq_pulse drive it beside the I/O APIC); its INT output is the boot
 * vCPU's LINT0 (vcpu_set_extint). vpic_set_line and vpic_pulse are
 * dm_irq_set's and dm_irq_pulse's half for it. dm_pic_ack: the
 * interrupt acknowledge when the guest takes it (exit/interrupt.c): the
 * vector, -1 for a guest without the pair. */
bool vpic_attach(struct guest *g);
void vpic_set_line(struct guest *g, unsigned isa_irq, bool high);
void vpic_pulse(struct guest *g, unsigned isa_irq);
int dm_pic_ack(struct guest *g);

/* dm/vpvpanic.c: the pvpanic port the guest's ACPI tables describe
 * ("QEMU0001", ACPI_TABLES_PVPANIC_PORT): a kernel that panics writes
 * there and the guest stops with VPVPANIC_STATUS. */
#define VPVPANIC_STATUS 1
bool vpvpanic_attach(struct guest *g, uint16_t port);

/* dm/vpci_io.c (model: dm/vpci.c, include/hv/vpci.h): PCI configuration
 * mechanism #1 at 0xcf8-0xcff with one host bridge at 00:00.0, and the
 * reset control register at 0xcf9 (the FADT's reset register): RST_CPU
 * going 0 -> 1 is guest_reboot. */
bool vpci_attach(struct guest *g);

/* dm/vacpi_pm_io.c (model: dm/vacpi_pm.c, include/hv/vacpi_pm.h): the
 * ACPI PM1a event and control blocks and the PM timer at the ports the
 * guest's FADT gives; S5 (\_S5's SLP_TYP with SLP_EN) stops the guest
 * with status 0. */
bool vacpi_pm_attach(struct guest *g, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port);

/* dm/vkbc.c: the keyboard controller's reset pulse (0xfe to port 0x64)
 * is guest_reboot; 0x64 reads 0 (ready); no 8042 otherwise. */
#define VKBC_PORT 0x64
bool vkbc_attach(struct guest *g);

/* dm/vpit.c (model: dm/pit8254.c, include/hv/pit8254.h): the 8254
 * interval timer at 0x40-0x43 and port 0x61 (channel 2's gate, the
 * speaker bit, OUT2), clocked from the TSC; the rising edges of OUT 0
 * are ISA IRQ 0. */
bool vpit_attach(struct guest *g);

/* dm/vrtc.c (model: dm/mc146818.c, include/hv/mc146818.h): the CMOS
 * real-time clock and its 128 bytes of RAM at 0x70/0x71; the guest's own
 * clock, from the machine's (drivers/rtc.c) plus what it writes; its
 * periodic, alarm and update interrupts are ISA IRQ 8. */
bool vrtc_attach(struct guest *g);

/* dm/timer.c: device time. A model with timed work (an interrupt at a
 * given TSC) gives its vdev_ops a `timer` and says when with
 * dm_timer_set(d, tsc), 0 for nothing; the guest's dm_deadline is the
 * earliest of its devices' (include/hv/guest.h). dm_timers_run(g, now)
 * calls the `timer` of each device whose time has come: exit/interrupt.c
 * before an entry of any of its vCPUs, sched/run.c while its boot vCPU
 * waits. A device that is late (the guest was not running) does what
 * is due once, not once per missed period. */
void dm_timer_set(struct vdev *d, uint64_t tsc);
void dm_timers_run(struct guest *g, uint64_t now);

/* dm/vioapic.c (model: dm/ioapic.c, include/hv/ioapic.h): the guest's
 * I/O APIC at IOAPIC_BASE (0xfec00000), ID 0, 24 pins from GSI 0, as its
 * MADT says; it delivers to the guest's own vCPUs only. Every guest has
 * one. */
bool vioapic_attach(struct guest *g);

/* ISA interrupt lines, through the I/O APIC pins the MADT gives them:
 * IRQ 0 is pin 2, IRQ 2 (the 8259 cascade) has none, the others are
 * their own pin; IRQ 9 (the SCI) is level-triggered, the rest edge. The
 * same lines go to the 8259 pair (dm/vpic.c, IRQ n is its IRn), which
 * delivers what its masks let through to the boot vCPU's LINT0.
 *  - dm_irq_set: the line's state, true = asserted (active high, as the
 *    MADT declares every ISA line). An edge pin delivers on a rising
 *    edge while unmasked; a level pin while high, unmasked and not
 *    waiting for the guest's EOI (remote IRR).
 *  - dm_irq_pulse: a rising edge and back (for edge-triggered sources
 *    like the PIT's OUT 0).
 * Nothing for IRQ 2, IRQ >= 16; nothing at the I/O APIC of a guest
 * without one. Any CPU; the caller may hold its own device lock (the
 * 8259's and then the I/O APIC's lock are taken inside it, one after the
 * other, never the other way round), which keeps its line changes in
 * order. */
void dm_irq_set(struct guest *g, unsigned isa_irq, bool level_high);
void dm_irq_pulse(struct guest *g, unsigned isa_irq);
/* The guest EOI'd the level-triggered `vector` at one of its local
 * APICs (exit_level_eoi): its I/O APIC clears remote IRR of the pins with
 * that vector and delivers again those still asserted (SDM Vol. 3A
 * 11.8.5, "broadcast EOI"). */
void dm_ioapic_eoi(struct guest *g, uint8_t vector);

#endif
