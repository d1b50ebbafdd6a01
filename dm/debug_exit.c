/* The test-exit port (dm/, include/hv/dm.h): a guest writes its status
 * and stops, as QEMU's isa-debug-exit lets a test kernel do. */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/mm.h>

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    guest_stop(d->guest, (int)(val & 0xff), "wrote %#x to the test-exit port %#x", val & 0xff,
               port);
}

static const struct vdev_ops debug_exit_ops = {
    .name = "test-exit port",
    .port_write = port_write,
};

bool debug_exit_attach(struct guest *g, uint16_t port)
{
    struct vdev *d = kzalloc(sizeof(*d));
    if (!d)
        return false;
    if (!bus_add_device(g, d, &debug_exit_ops)) {
        kfree(d);
        return false;
    }
    return bus_map_ports(g, d, port, 1);
}
