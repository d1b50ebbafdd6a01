/*
 * The guest's 8259A pair on its bus (include/hv/dm.h; register logic:
 * dm/i8259.c, include/hv/i8259.h): ports 0x20-0x21 and 0xa0-0xa1, the
 * edge/level control registers at 0x4d0-0x4d1. The ISA lines reach it
 * through dm_irq_set and dm_irq_pulse (dm/vioapic.c), beside the I/O
 * APIC; its INT output is the boot vCPU's INTR line at LINT0
 * (vcpu_set_extint), and exit/interrupt.c reads the vector with
 * dm_pic_ack when the guest takes the interrupt.
 *
 * Lines change on any CPU (device timers, a vCPU's device access, the
 * operator's console): one lock. It is taken inside the device models'
 * own locks, never together with the I/O APIC's, and nothing is called
 * under it but the posting of the INT line to the vCPU.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/i8259.h>
#include <hv/spinlock.h>
#include <hv/mm.h>

#define ELCR_PORT 0x4d0

struct vpic {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;
    struct i8259 pic;
};

static struct vpic *to_vpic(struct vdev *d)
{
    return (struct vpic *)d;
}

/* The INT output to the boot vCPU, after every change (under the lock,
 * so the line's changes keep their order). */
static void update(struct vpic *p)
{
    struct guest *g = p->dev.guest;
    if (g->vcpu_count)
        vcpu_set_extint(g->vcpus[0], i8259_output(&p->pic));
}

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v; (void)size;
    struct vpic *p = to_vpic(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint8_t val = (port & ~1u) == ELCR_PORT ? i8259_elcr_read(&p->pic, port & 1)
                                            : i8259_read(&p->pic, (port & 0x80) != 0, port & 1);
    update(p);                      /* a poll read acknowledges */
    spin_unlock_irqrestore(&p->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    struct vpic *p = to_vpic(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    if ((port & ~1u) == ELCR_PORT)
        i8259_elcr_write(&p->pic, port & 1, (uint8_t)val);
    else
        i8259_write(&p->pic, (port & 0x80) != 0, port & 1, (uint8_t)val);
    update(p);
    spin_unlock_irqrestore(&p->lock, f);
}

static void reset(struct vdev *d)
{
    struct vpic *p = to_vpic(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    i8259_reset(&p->pic);
    update(p);
    spin_unlock_irqrestore(&p->lock, f);
}

static const struct vdev_ops vpic_ops = {
    .name = "8259 PIC",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
};

bool vpic_attach(struct guest *g)
{
    struct vpic *p = kzalloc(sizeof(*p));
    if (!p)
        return false;
    if (!bus_add_device(g, &p->dev, &vpic_ops)) {
        kfree(p);
        return false;
    }
    i8259_reset(&p->pic);
    return bus_map_ports(g, &p->dev, 0x20, 2) && bus_map_ports(g, &p->dev, 0xa0, 2) &&
           bus_map_ports(g, &p->dev, ELCR_PORT, 2);
}

static struct vpic *find(struct guest *g)
{
    return (struct vpic *)bus_find_device(g, &vpic_ops);
}

void vpic_set_line(struct guest *g, unsigned isa_irq, bool high)
{
    struct vpic *p = find(g);
    if (!p)
        return;
    uint64_t f = spin_lock_irqsave(&p->lock);
    i8259_set_line(&p->pic, isa_irq, high);
    update(p);
    spin_unlock_irqrestore(&p->lock, f);
}

void vpic_pulse(struct guest *g, unsigned isa_irq)
{
    struct vpic *p = find(g);
    if (!p)
        return;
    /* Both edges under one hold of the lock. */
    uint64_t f = spin_lock_irqsave(&p->lock);
    i8259_pulse(&p->pic, isa_irq);
    update(p);
    spin_unlock_irqrestore(&p->lock, f);
}

int dm_pic_ack(struct guest *g)
{
    struct vpic *p = find(g);
    if (!p)
        return -1;
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint8_t vec = i8259_ack(&p->pic);
    update(p);
    spin_unlock_irqrestore(&p->lock, f);
    return vec;
}
