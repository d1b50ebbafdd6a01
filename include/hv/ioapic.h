/*
 * The guest's I/O APIC as register logic (dm/ioapic.c, pure, unit-tested
 * in tests/unit/test_ioapic.c); the device on the guest's bus, its lock,
 * the ISA interrupt lines and the delivery to vCPUs are dm/vioapic.c.
 * References: Intel 82093AA I/O APIC datasheet (order 290566), "82093AA"
 * below, and for the EOI register of version 0x20 the I/O APIC of the
 * Intel ICH/PCH I/O controller hubs (ICH9 datasheet, "APIC" register
 * map of the LPC interface: index, data, EOI at 0x40; "ICH9" below).
 *
 * What the guest's MADT says (guest/acpi_tables.c): one I/O APIC, ID 0,
 * at IOAPIC_BASE, GSI base 0, 24 pins; ISA IRQ 0 is GSI 2 (edge, active
 * high), the SCI's IRQ 9 is level, active high; the other ISA IRQs are
 * their own GSI, edge, active high (the ISA defaults, ACPI 5.2.12.5).
 *
 * Pins are driven as asserted / not asserted: the MADT declares every
 * line active high, the device models drive them that way, and the
 * polarity bit is kept and read back but not applied (as QEMU's and KVM's
 * I/O APICs do), so a guest that programs a pin active low gets no storm
 * from a line at rest.
 */
#ifndef HV_IOAPIC_H
#define HV_IOAPIC_H

#include <hv/compiler.h>

struct vlapic;

#define IOAPIC_BASE     0xfec00000ULL   /* = ACPI_TABLES_IOAPIC_ADDR */
#define IOAPIC_SIZE     0x1000ULL       /* the page it decodes */
#define IOAPIC_PINS     24              /* = ACPI_TABLES_IOAPIC_PINS */
#define IOAPIC_VERSION  0x20            /* with the EOI register (ICH9) */

/* Memory-mapped registers, offsets from IOAPIC_BASE (82093AA 3.1; EOI:
 * ICH9). Each is 32 bits. */
#define IOAPIC_MMIO_IOREGSEL    0x00
#define IOAPIC_MMIO_IOWIN       0x10
#define IOAPIC_MMIO_EOI         0x40

/* Indirect registers selected by IOREGSEL (82093AA 3.2). */
#define IOAPIC_REG_ID           0x00    /* bits 27:24 */
#define IOAPIC_REG_VERSION      0x01    /* version 7:0, max redirection entry 23:16 */
#define IOAPIC_REG_ARB          0x02    /* arbitration ID 27:24, read-only */
#define IOAPIC_REG_REDIR        0x10    /* 0x10 + 2n: entry n bits 31:0, + 1: 63:32 */

/* Redirection table entry (82093AA 3.2.4). */
#define IOAPIC_RTE_VECTOR       0xffULL
#define IOAPIC_RTE_MODE_SHIFT   8       /* delivery mode 10:8 */
#define IOAPIC_RTE_LOGICAL      BIT(11) /* destination mode */
#define IOAPIC_RTE_DELIVS       BIT(12) /* delivery status, read-only */
#define IOAPIC_RTE_POLARITY_LOW BIT(13)
#define IOAPIC_RTE_REMOTE_IRR   BIT(14) /* read-only */
#define IOAPIC_RTE_LEVEL        BIT(15) /* trigger mode */
#define IOAPIC_RTE_MASKED       BIT(16)
#define IOAPIC_RTE_DEST_SHIFT   56      /* destination 63:56 */
/* What a guest write can change: vector, mode, destination mode,
 * polarity, trigger, mask, destination. */
#define IOAPIC_RTE_WRITABLE     (0xff00000000000000ULL | 0x1afffULL)

/* Delivery modes (82093AA 3.2.4, bits 10:8). */
#define IOAPIC_MODE_FIXED       0
#define IOAPIC_MODE_LOWEST      1
#define IOAPIC_MODE_SMI         2
#define IOAPIC_MODE_NMI         4
#define IOAPIC_MODE_INIT        5
#define IOAPIC_MODE_EXTINT      7

static inline unsigned ioapic_rte_mode(uint64_t rte)
{
    return (unsigned)(rte >> IOAPIC_RTE_MODE_SHIFT) & 7;
}

/* Deliver the interrupt message of redirection entry `rte` (its vector,
 * delivery mode, destination); true when at least one local APIC took
 * it. Called with the model's state consistent; it must not call back
 * into the model. */
typedef bool (*ioapic_deliver_fn)(void *ctx, uint64_t rte);

struct ioapic {
    uint32_t ioregsel;                  /* bits 7:0 (31:8 reserved, read 0) */
    uint8_t id;                         /* 4 bits (82093AA 3.2.1) */
    uint32_t lines;                     /* bit n: pin n asserted */
    uint64_t rte[IOAPIC_PINS];
    ioapic_deliver_fn deliver;
    void *ctx;
};

/* Power-on state (82093AA 3.2.4: every entry masked; ID 0, lines low),
 * delivering through `deliver(ctx, rte)`. */
void ioapic_reset(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx);

/* A guest access at `offset` from IOAPIC_BASE, `size` 1, 2, 4 or 8
 * bytes. Registers are 32 bits wide and meant for aligned 32-bit
 * accesses (82093AA 3.1); narrower ones see or change their bytes of
 * IOREGSEL, IOWIN and EOI, anything else reads 0 and is ignored. A write
 * may deliver (an unmasked level pin, the EOI register). */
uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, unsigned size);
void ioapic_mmio_write(struct ioapic *io, uint64_t offset, unsigned size, uint64_t val);

/* The indirect registers as IOWIN reaches them (index = IOREGSEL). */
uint32_t ioapic_reg_read(const struct ioapic *io, uint32_t index);
void ioapic_reg_write(struct ioapic *io, uint32_t index, uint32_t val);

/* Pin `pin` driven to `asserted`. Edge pins deliver on a rising edge
 * while unmasked (a masked edge is lost, 82093AA 3.2.4 "Interrupt
 * Mask"); level pins deliver while asserted, unmasked and remote IRR
 * clear, and set remote IRR when a local APIC took the message. */
void ioapic_set_line(struct ioapic *io, unsigned pin, bool asserted);

/* The guest ended `vector` (a broadcast EOI from a local APIC, SDM Vol.
 * 3A 11.8.5, or a write of the EOI register): level pins with that vector
 * clear remote IRR and deliver again if still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* The I/O APIC pin of ISA IRQ `isa_irq` per the guest's MADT: IRQ 0 ->
 * pin 2 (interrupt source override), IRQ 2 -> none (the 8259 cascade,
 * whose pin IRQ 0 took), others identity; -1 for none or >= 16. */
int ioapic_isa_pin(unsigned isa_irq);

/* Does the message of `rte` (fixed, lowest priority, NMI...) select the
 * local APIC `l`? Physical mode: its APIC ID (0xff: every APIC); logical
 * mode: its LDR and DFR, flat or cluster (SDM Vol. 3A 11.6.2.2), or in
 * x2APIC mode its logical ID (11.12.10.2), the 8-bit destination naming
 * cluster 0. An APIC disabled in IA32_APIC_BASE takes nothing. The
 * x2APIC forms treat destination 0xff as broadcast, as KVM does for its
 * I/O APIC: without interrupt remapping an 8-bit destination is all there
 * is. */
bool ioapic_rte_selects(const struct vlapic *l, uint64_t rte);

#endif
