/*
 * The pvpanic device (dm/, include/hv/dm.h): one I/O port, described to
 * the guest by its ACPI tables as device "QEMU0001" (guest/acpi_dsdt.c),
 * through which a guest kernel says it panicked, as QEMU's pvpanic does
 * (QEMU docs/specs/pvpanic.txt; Linux drivers/misc/pvpanic). A read gives
 * the events the device supports; writing PANICKED stops the guest with a
 * non-zero status, so on_stop = restart brings it back; CRASH_LOADED (a
 * crash kernel is about to run) is only logged. A panicking kernel would
 * otherwise spin forever where no one can tell it from a busy one.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/log.h>
#include <hv/mm.h>

#define PVPANIC_PANICKED     BIT(0)
#define PVPANIC_CRASH_LOADED BIT(1)

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)d; (void)v; (void)port; (void)size;
    return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)port; (void)size;
    if (val & PVPANIC_PANICKED)
        guest_stop(d->guest, VPVPANIC_STATUS, "its kernel panicked (pvpanic)");
    else if (val & PVPANIC_CRASH_LOADED)
        kprintf("guest %s: its kernel panicked and starts its crash kernel (pvpanic)\n",
                d->guest->name);
}

static const struct vdev_ops pvpanic_ops = {
    .name = "pvpanic",
    .port_read = port_read,
    .port_write = port_write,
};

bool vpvpanic_attach(struct guest *g, uint16_t port)
{
    struct vdev *d = kzalloc(sizeof(*d));
    if (!d)
        return false;
    if (!bus_add_device(g, d, &pvpanic_ops)) {
        kfree(d);
        return false;
    }
    return bus_map_ports(g, d, port, 1);
}
