/* A guest's device bus (include/hv/bus.h). Lookups are linear: a guest
 * has a handful of devices, and the common exits never get here. */
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/mm.h>

bool bus_add_device(struct guest *g, struct vdev *d, const struct vdev_ops *ops)
{
    struct bus *b = &g->bus;
    if (b->device_count == BUS_MAX_DEVICES)
        return false;
    d->ops = ops;
    d->guest = g;
    b->devices[b->device_count++] = d;
    return true;
}

static bool add_range(struct bus_range *t, unsigned *n, struct vdev *d, uint64_t base,
                      uint64_t size)
{
    if (*n == BUS_MAX_RANGES || size == 0)
        return false;
    for (unsigned i = 0; i < *n; i++)
        if (base < t[i].base + t[i].size && t[i].base < base + size)
            return false;
    t[(*n)++] = (struct bus_range){ base, size, d };
    return true;
}

bool bus_map_ports(struct guest *g, struct vdev *d, uint16_t base, unsigned count)
{
    if ((uint32_t)base + count > 0x10000)
        return false;
    return add_range(g->bus.ports, &g->bus.port_count, d, base, count);
}

bool bus_map_mmio(struct guest *g, struct vdev *d, uint64_t gpa, uint64_t size)
{
    return add_range(g->bus.mmio, &g->bus.mmio_count, d, gpa, size);
}

static struct vdev *find(const struct bus_range *t, unsigned n, uint64_t addr)
{
    for (unsigned i = 0; i < n; i++)
        if (addr >= t[i].base && addr - t[i].base < t[i].size)
            return t[i].dev;
    return NULL;
}

struct vdev *bus_find_port(const struct guest *g, uint16_t port)
{
    return find(g->bus.ports, g->bus.port_count, port);
}

struct vdev *bus_find_mmio(const struct guest *g, uint64_t gpa)
{
    return find(g->bus.mmio, g->bus.mmio_count, gpa);
}

struct vdev *bus_find_device(const struct guest *g, const struct vdev_ops *ops)
{
    for (unsigned i = 0; i < g->bus.device_count; i++)
        if (g->bus.devices[i]->ops == ops)
            return g->bus.devices[i];
    return NULL;
}

void bus_reset(struct guest *g)
{
    for (unsigned i = 0; i < g->bus.device_count; i++) {
        struct vdev *d = g->bus.devices[i];
        if (d->ops->reset)
            d->ops->reset(d);
    }
}

void bus_destroy(struct guest *g)
{
    for (unsigned i = 0; i < g->bus.device_count; i++)
        kfree(g->bus.devices[i]);
    g->bus = (struct bus){ 0 };
}
