/*
 * A 16550A UART (dm/, include/hv/dm.h): the register logic of
 * dm/pc16550d.c at the guest's port base; what it transmits goes to the
 * guest's output line, what the operator types (mgmt/shell.c, any CPU)
 * to its receive FIFO; its interrupt output drives the guest's ISA IRQ
 * line (dm_irq_set).
 *
 * The IRQ: 4 for 0x3f8 and 0x3e8, 3 for 0x2f8 and 0x2e8 (the PC's COM1-4,
 * what Linux assumes for them), 4 elsewhere. The line follows the UART's
 * output (an interrupt pending and enabled, MCR.OUT2 set) after every
 * register access and every received byte. ISA serial lines are
 * edge-triggered on the I/O APIC (the MADT has no override for them), so
 * what delivers is the line going up: when the guest has serviced every
 * condition (IIR reads "none", the line goes down) the next one makes a
 * new edge. Linux's 8250 handler reads IIR until it says "none", so no
 * condition is left behind an edge it did not see. The line is driven
 * under the UART's lock, so two CPUs cannot swap a rise and a fall.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/pc16550d.h>
#include <hv/spinlock.h>
#include <hv/mm.h>

struct vuart {
    struct vdev dev;                /* first: the bus hands us this */
    uint16_t base;
    unsigned irq;                   /* ISA IRQ */
    spinlock_t lock;                /* vCPUs on several CPUs, the console CPU */
    struct pc16550d regs;
    bool line;                      /* the IRQ line as last driven */
};

static struct vuart *to_vuart(struct vdev *d)
{
    return (struct vuart *)d;
}

/* Under u->lock. */
static void update_irq(struct vuart *u)
{
    bool on = pc16550d_irq(&u->regs);
    if (on != u->line) {
        u->line = on;
        dm_irq_set(u->dev.guest, u->irq, on);
    }
}

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v; (void)size;
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    uint32_t val = pc16550d_read(&u->regs, (unsigned)(port - u->base));
    update_irq(u);
    spin_unlock_irqrestore(&u->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    struct vuart *u = to_vuart(d);
    uint8_t out;
    uint64_t f = spin_lock_irqsave(&u->lock);
    bool tx = pc16550d_write(&u->regs, (unsigned)(port - u->base), (uint8_t)val, &out);
    update_irq(u);
    spin_unlock_irqrestore(&u->lock, f);
    if (tx)
        guest_log_putc(d->guest, (char)out);
}

static void reset(struct vdev *d)
{
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    pc16550d_reset(&u->regs);
    update_irq(u);                  /* down, whichever device is reset first */
    spin_unlock_irqrestore(&u->lock, f);
}

static const struct vdev_ops vuart_ops = {
    .name = "16550 UART",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
};

bool vuart_attach(struct guest *g, uint16_t base)
{
    struct vuart *u = kzalloc(sizeof(*u));
    if (!u)
        return false;
    u->base = base;
    u->irq = (base == 0x2f8 || base == 0x2e8) ? 3 : 4;
    pc16550d_reset(&u->regs);
    if (!bus_add_device(g, &u->dev, &vuart_ops)) {
        kfree(u);
        return false;
    }
    return bus_map_ports(g, &u->dev, base, 8);
}

/* The operator typed into this guest (mgmt/shell.c); a full FIFO drops
 * the byte and reports an overrun, as the chip would (no flow control). */
bool vuart_receive(struct guest *g, uint8_t c)
{
    struct vdev *d = bus_find_device(g, &vuart_ops);
    if (!d)
        return false;
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    bool ok = pc16550d_receive(&u->regs, c);
    update_irq(u);
    spin_unlock_irqrestore(&u->lock, f);
    return ok;
}
