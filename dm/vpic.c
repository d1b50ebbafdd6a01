/*
 * The 8259 pair (dm/, include/hv/dm.h): initialisation words and masks
 * are accepted, the masks read back; no interrupt is ever raised through
 * it yet. Its state is the guest's and goes back to power-on (all masked
 * off, i.e. 0) when the guest is re-created.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/mm.h>

struct vpic {
    struct vdev dev;                /* first: the bus hands us this */
    uint8_t mask[2];                /* OCW1 of the master (0x21) and the slave (0xa1) */
};

static unsigned chip(uint16_t port)
{
    return (port & 0x80) ? 1 : 0;
}

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v; (void)size;
    if (port & 1)
        return ((struct vpic *)d)->mask[chip(port)];
    return 0;                       /* IRR/ISR: nothing pending */
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    if (port & 1)
        ((struct vpic *)d)->mask[chip(port)] = (uint8_t)val;
}

static void reset(struct vdev *d)
{
    struct vpic *p = (struct vpic *)d;
    p->mask[0] = p->mask[1] = 0;
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
    return bus_map_ports(g, &p->dev, 0x20, 2) && bus_map_ports(g, &p->dev, 0xa0, 2);
}
