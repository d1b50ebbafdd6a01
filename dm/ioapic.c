/*
 * The I/O APIC's register logic (include/hv/ioapic.h): the indirect
 * registers behind IOREGSEL/IOWIN, the redirection table with its
 * read-only bits, the pins' line states, edge and level delivery with
 * remote IRR, and the EOI paths. Pure: delivering a message is the
 * caller's `deliver` (dm/vioapic.c routes it to the guest's vCPUs).
 */
#include <hv/ioapic.h>
#include <arch/vlapic.h>

void ioapic_reset(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx)
{
    *io = (struct ioapic){ .deliver = deliver, .ctx = ctx };
    /* 82093AA 3.2.4: the mask bit is set at reset; the rest is undefined
     * there, zero here. */
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        io->rte[i] = IOAPIC_RTE_MASKED;
}

int ioapic_isa_pin(unsigned isa_irq)
{
    /* The MADT's interrupt source override puts the PIT's IRQ 0 on pin
     * 2 (guest/acpi_tables.c); ISA IRQ 2 is the 8259 cascade, which no
     * device raises, and has no pin of its own (ACPI 5.2.12.5). */
    if (isa_irq == 0)
        return 2;
    if (isa_irq == 2 || isa_irq >= 16)
        return -1;
    return (int)isa_irq;
}

/* Only fixed and lowest-priority messages are answered by an EOI; the
 * other delivery modes are meant to be edge-triggered (82093AA 3.2.4,
 * "Trigger Mode"), so a level pin in one of them fires on its rising
 * edge and never waits on remote IRR. */
static bool uses_remote_irr(uint64_t rte)
{
    unsigned mode = ioapic_rte_mode(rte);
    return (rte & IOAPIC_RTE_LEVEL) && (mode == IOAPIC_MODE_FIXED || mode == IOAPIC_MODE_LOWEST);
}

static void send(struct ioapic *io, unsigned pin)
{
    if (io->deliver(io->ctx, io->rte[pin]) && uses_remote_irr(io->rte[pin]))
        io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
}

/* A level pin delivers whenever it is asserted, unmasked and not waiting
 * for an EOI (82093AA 3.2.4, "Remote IRR"): after the line rises, after
 * an unmask, after an EOI. A message no local APIC took leaves remote IRR
 * clear, so the next of those events tries again. */
static void service_level(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];
    if (uses_remote_irr(rte) && !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) &&
        (io->lines & BIT(pin)))
        send(io, pin);
}

void ioapic_set_line(struct ioapic *io, unsigned pin, bool asserted)
{
    if (pin >= IOAPIC_PINS)
        return;
    bool was = io->lines & BIT(pin);
    if (asserted)
        io->lines |= (uint32_t)BIT(pin);
    else
        io->lines &= ~(uint32_t)BIT(pin);
    uint64_t rte = io->rte[pin];
    if (uses_remote_irr(rte))
        service_level(io, pin);
    else if (asserted && !was && !(rte & IOAPIC_RTE_MASKED))
        send(io, pin);          /* an edge; on a masked pin it is lost */
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = io->rte[pin];
        if (!(rte & IOAPIC_RTE_REMOTE_IRR) || (rte & IOAPIC_RTE_VECTOR) != vector)
            continue;
        io->rte[pin] = rte & ~IOAPIC_RTE_REMOTE_IRR;
        service_level(io, pin);     /* still asserted: again */
    }
}

uint32_t ioapic_reg_read(const struct ioapic *io, uint32_t index)
{
    switch (index) {
    case IOAPIC_REG_ID:
        return (uint32_t)io->id << 24;
    case IOAPIC_REG_VERSION:
        return ((IOAPIC_PINS - 1u) << 16) | IOAPIC_VERSION;
    case IOAPIC_REG_ARB:
        /* 82093AA 3.2.3: loaded with the ID when the ID is written. */
        return (uint32_t)io->id << 24;
    }
    if (index >= IOAPIC_REG_REDIR && index < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
        uint64_t rte = io->rte[(index - IOAPIC_REG_REDIR) / 2];
        return (uint32_t)(index & 1 ? rte >> 32 : rte);
    }
    return 0;                       /* reserved */
}

void ioapic_reg_write(struct ioapic *io, uint32_t index, uint32_t val)
{
    if (index == IOAPIC_REG_ID) {
        io->id = (val >> 24) & 0xf;
        return;
    }
    if (index < IOAPIC_REG_REDIR || index >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
        return;                     /* version, arbitration, reserved: read-only */
    unsigned pin = (index - IOAPIC_REG_REDIR) / 2;
    uint64_t old = io->rte[pin];
    uint64_t w = index & 1 ? (uint64_t)val << 32 | (uint32_t)old
                           : (old & 0xffffffff00000000ULL) | val;
    uint64_t rte = (w & IOAPIC_RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
    /* Remote IRR means nothing for an edge pin; switching a pin to edge
     * clears it (what Linux's clear_IO_APIC_pin relies on for an I/O
     * APIC without an EOI register; KVM does the same). */
    if (!(rte & IOAPIC_RTE_LEVEL))
        rte &= ~IOAPIC_RTE_REMOTE_IRR;
    io->rte[pin] = rte;
    service_level(io, pin);         /* e.g. unmasked while asserted */
}

/* 32-bit register `reg` (an offset multiple of 4) as the guest reads it. */
static uint32_t dword_read(const struct ioapic *io, uint64_t reg)
{
    switch (reg) {
    case IOAPIC_MMIO_IOREGSEL:
        return io->ioregsel;
    case IOAPIC_MMIO_IOWIN:
        return ioapic_reg_read(io, io->ioregsel);
    default:
        return 0;                   /* EOI is write-only; the rest reserved */
    }
}

/* The bytes of `mask` in `val` written to 32-bit register `reg`. */
static void dword_write(struct ioapic *io, uint64_t reg, uint32_t mask, uint32_t val)
{
    switch (reg) {
    case IOAPIC_MMIO_IOREGSEL:
        /* 82093AA 3.1.1: bits 7:0 select the register, 31:8 reserved. */
        io->ioregsel = ((io->ioregsel & ~mask) | (val & mask)) & 0xff;
        break;
    case IOAPIC_MMIO_IOWIN: {
        uint32_t cur = ioapic_reg_read(io, io->ioregsel);
        ioapic_reg_write(io, io->ioregsel, (cur & ~mask) | (val & mask));
        break;
    }
    case IOAPIC_MMIO_EOI:
        /* ICH9: bits 7:0 are the vector; the rest is ignored. */
        if (mask & 0xff)
            ioapic_eoi(io, (uint8_t)val);
        break;
    default:
        break;
    }
}

uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, unsigned size)
{
    uint64_t val = 0;
    for (unsigned i = 0; i < size && i < 8; i++) {
        uint64_t b = offset + i;
        val |= (uint64_t)((dword_read(io, b & ~3ULL) >> ((b & 3) * 8)) & 0xff) << (i * 8);
    }
    return val;
}

void ioapic_mmio_write(struct ioapic *io, uint64_t offset, unsigned size, uint64_t val)
{
    if (size > 8)
        size = 8;
    /* One register write per 32-bit register the access touches, with
     * the bytes it covers: an 8-byte write of IOREGSEL also writes the
     * reserved dword after it, which ignores it. */
    uint64_t end = offset + size;
    for (uint64_t reg = offset & ~3ULL; reg < end; reg += 4) {
        uint32_t mask = 0, dv = 0;
        for (unsigned b = 0; b < 4; b++) {
            uint64_t a = reg + b;
            if (a < offset || a >= end)
                continue;
            mask |= 0xffu << (b * 8);
            dv |= (uint32_t)((val >> ((a - offset) * 8)) & 0xff) << (b * 8);
        }
        dword_write(io, reg, mask, dv);
    }
}

bool ioapic_rte_selects(const struct vlapic *l, uint64_t rte)
{
    if (!l->hw_enabled)
        return false;
    uint32_t dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT);
    if (l->x2apic && dest == 0xff)
        dest = 0xffffffffu;
    /* vlapic_ipi_selects with no shorthand: the destination matching of
     * an IPI, which is that of any interrupt message (SDM Vol. 3A
     * 11.6.2). */
    return vlapic_ipi_selects(l, rte & IOAPIC_RTE_LOGICAL ? (uint32_t)BIT(11) : 0, dest);
}
