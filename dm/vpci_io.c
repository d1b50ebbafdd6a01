/*
 * The PCI configuration ports on a guest's bus (dm/, include/hv/dm.h):
 * 0xcf8-0xcff to the pure model (dm/vpci.c), and a reset asked through
 * the reset control register at 0xcf9 (the FADT's reset register) to
 * guest_reboot. The configuration parser keeps 0xcf8-0xcff from every
 * passthrough_io (config/resources.c), so these ports are always the
 * model's.
 */
#include <hv/dm.h>
#include <hv/vpci.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/spinlock.h>
#include <hv/mm.h>

struct vpci_dev {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;                /* the guest's vCPUs on several CPUs */
    struct vpci pci;
};

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v;
    struct vpci_dev *p = (struct vpci_dev *)d;
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint32_t val = vpci_read(&p->pci, port, size);
    spin_unlock_irqrestore(&p->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v;
    struct vpci_dev *p = (struct vpci_dev *)d;
    uint64_t f = spin_lock_irqsave(&p->lock);
    enum vpci_action a = vpci_write(&p->pci, port, size, val);
    spin_unlock_irqrestore(&p->lock, f);
    if (a == VPCI_RESET)
        guest_reboot(d->guest, "reset control register, port %#x = 0x%02x", port, val & 0xff);
}

static void reset(struct vdev *d)
{
    vpci_reset(&((struct vpci_dev *)d)->pci);
}

static const struct vdev_ops vpci_ops = {
    .name = "PCI configuration space",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
};

bool vpci_attach(struct guest *g)
{
    struct vpci_dev *p = kzalloc(sizeof(*p));
    if (!p)
        return false;
    vpci_reset(&p->pci);
    if (!bus_add_device(g, &p->dev, &vpci_ops)) {
        kfree(p);
        return false;
    }
    return bus_map_ports(g, &p->dev, VPCI_PORT_ADDRESS, VPCI_PORTS);
}
