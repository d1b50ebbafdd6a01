/*
 * The guest's I/O APIC (include/hv/dm.h): the register logic of
 * dm/ioapic.c on the guest's bus at IOAPIC_BASE, the ISA interrupt lines
 * the other device models drive (dm_irq_set, dm_irq_pulse), the EOIs of
 * level-triggered vectors its local APICs report (dm_ioapic_eoi), and the
 * delivery of its messages to the guest's own vCPUs.
 *
 * The page is on the bus and not in the EPT, so every access exits as an
 * EPT violation and exit/ept.c emulates it here, as for the xAPIC page
 * (vm/vlapic_io.c). Lines change and EOIs arrive on any CPU (a vCPU's
 * device access, a device timer, the operator's console): one lock per
 * I/O APIC. It is taken inside the device models' own locks (a model
 * drives its line under its lock, so line changes keep their order) and
 * nothing is called under it but the posting of interrupts to vCPUs, so
 * the order device lock -> I/O APIC lock never inverts.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/ioapic.h>
#include <hv/acpi_tables.h>
#include <hv/spinlock.h>
#include <hv/mm.h>

_Static_assert(IOAPIC_BASE == ACPI_TABLES_IOAPIC_ADDR, "the MADT's I/O APIC is this one");
_Static_assert(IOAPIC_PINS == ACPI_TABLES_IOAPIC_PINS, "the MADT's I/O APIC has these pins");

struct vioapic {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;
    struct ioapic io;
};

/* One message to the guest's vCPUs that `rte` selects (SDM Vol. 3A
 * 11.6.2 for the destination, the 82093AA's delivery modes): fixed to
 * each, lowest priority to the first (the arbitration among equals is the
 * platform's choice, SDM 11.6.2.4), NMI to each. True when some vCPU took
 * it, which for a level pin means an EOI will come. */
static bool deliver(void *ctx, uint64_t rte)
{
    struct guest *g = ctx;
    unsigned mode = ioapic_rte_mode(rte);
    uint8_t vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR);
    bool level = rte & IOAPIC_RTE_LEVEL;
    bool taken = false;

    for (unsigned i = 0; i < g->vcpu_count; i++) {
        struct vcpu *t = g->vcpus[i];
        if (!ioapic_rte_selects(&t->lapic, rte))
            continue;
        switch (mode) {
        case IOAPIC_MODE_FIXED:
        case IOAPIC_MODE_LOWEST:
            /* Vectors 0-15 are illegal (SDM 11.5.3): nobody takes them. */
            if (vector < 16)
                return false;
            if (level)
                vcpu_post_interrupt_level(t, vector);
            else
                vcpu_post_interrupt(t, vector);
            taken = true;
            if (mode == IOAPIC_MODE_LOWEST)
                return true;
            break;
        case IOAPIC_MODE_NMI:
            vcpu_post_nmi(t);
            taken = true;
            break;
        default:
            /* SMI: there is no SMM here. INIT: a guest's reset of its own
             * vCPUs goes through its local APICs. ExtINT: not wired
             * through the I/O APIC; the 8259 reaches the boot vCPU at its
             * LINT0 (dm/vpic.c), the virtual wire Linux and BIOSes use. */
            return false;
        }
    }
    return taken;
}

static struct vioapic *to_vioapic(struct vdev *d)
{
    return (struct vioapic *)d;
}

static bool mmio_read(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size, uint64_t *val)
{
    (void)v;
    struct vioapic *a = to_vioapic(d);
    uint64_t f = spin_lock_irqsave(&a->lock);
    *val = ioapic_mmio_read(&a->io, gpa - IOAPIC_BASE, size);
    spin_unlock_irqrestore(&a->lock, f);
    return true;
}

static bool mmio_write(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
    (void)v;
    struct vioapic *a = to_vioapic(d);
    uint64_t f = spin_lock_irqsave(&a->lock);
    ioapic_mmio_write(&a->io, gpa - IOAPIC_BASE, size, val);
    spin_unlock_irqrestore(&a->lock, f);
    return true;
}

static void reset(struct vdev *d)
{
    struct vioapic *a = to_vioapic(d);
    uint64_t f = spin_lock_irqsave(&a->lock);
    ioapic_reset(&a->io, deliver, d->guest);
    spin_unlock_irqrestore(&a->lock, f);
}

static const struct vdev_ops vioapic_ops = {
    .name = "I/O APIC",
    .mmio_read = mmio_read,
    .mmio_write = mmio_write,
    .reset = reset,
};

bool vioapic_attach(struct guest *g)
{
    struct vioapic *a = kzalloc(sizeof(*a));
    if (!a)
        return false;
    if (!bus_add_device(g, &a->dev, &vioapic_ops)) {
        kfree(a);
        return false;
    }
    ioapic_reset(&a->io, deliver, g);
    return bus_map_mmio(g, &a->dev, IOAPIC_BASE, IOAPIC_SIZE);
}

static struct vioapic *find(struct guest *g)
{
    return (struct vioapic *)bus_find_device(g, &vioapic_ops);
}

void dm_irq_set(struct guest *g, unsigned isa_irq, bool level_high)
{
    vpic_set_line(g, isa_irq, level_high);
    int pin = ioapic_isa_pin(isa_irq);
    struct vioapic *a = pin >= 0 ? find(g) : NULL;
    if (!a)
        return;
    uint64_t f = spin_lock_irqsave(&a->lock);
    ioapic_set_line(&a->io, (unsigned)pin, level_high);
    spin_unlock_irqrestore(&a->lock, f);
}

void dm_irq_pulse(struct guest *g, unsigned isa_irq)
{
    vpic_pulse(g, isa_irq);
    int pin = ioapic_isa_pin(isa_irq);
    struct vioapic *a = pin >= 0 ? find(g) : NULL;
    if (!a)
        return;
    /* Both edges under one hold of the lock: a line another CPU holds
     * high meanwhile is not lowered behind its back (a pulse on a high
     * line is no edge, and leaves it high). */
    uint64_t f = spin_lock_irqsave(&a->lock);
    bool was = a->io.lines & BIT(pin);
    ioapic_set_line(&a->io, (unsigned)pin, true);
    ioapic_set_line(&a->io, (unsigned)pin, was);
    spin_unlock_irqrestore(&a->lock, f);
}

void dm_ioapic_eoi(struct guest *g, uint8_t vector)
{
    struct vioapic *a = find(g);
    if (!a)
        return;
    uint64_t f = spin_lock_irqsave(&a->lock);
    ioapic_eoi(&a->io, vector);
    spin_unlock_irqrestore(&a->lock, f);
}
