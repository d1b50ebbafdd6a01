/*
 * A guest's device bus (vm/bus.c): the port-I/O and MMIO ranges its
 * device models claim. Each model (a file in dm/, and the local APIC page of
 * vm/vlapic_io.c) is one object with its own per-guest state behind a
 * struct vdev; the exit handlers find the device for a port or a
 * guest-physical address and call it; re-creating the guest resets them
 * all. Device models register at guest creation, from its configuration.
 */
#ifndef HV_BUS_H
#define HV_BUS_H

#include <hv/compiler.h>

struct guest;
struct vcpu;
struct vdev;

struct vdev_ops {
    const char *name;
    /* Port I/O: size 1, 2 or 4, port absolute. A read of a port the model
     * does not decode returns all ones. */
    uint32_t (*port_read)(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size);
    void (*port_write)(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size,
                       uint32_t val);
    /* MMIO at guest-physical gpa, size 1-8. False: not claimed now (the
     * access is then treated as one to unbacked memory). */
    bool (*mmio_read)(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size,
                      uint64_t *val);
    bool (*mmio_write)(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size,
                       uint64_t val);
    /* Back to power-on state (the guest is re-created). */
    void (*reset)(struct vdev *d);
    /* Timed work (dm/timer.c): called once the TSC has reached the time
     * the device last gave dm_timer_set; it does what is due (raises an
     * interrupt) and sets its next time, or none. */
    void (*timer)(struct vdev *d, uint64_t now);
};

/* Embedded first in each model's state. */
struct vdev {
    const struct vdev_ops *ops;
    struct guest *guest;
    volatile uint64_t timer_at;     /* TSC of its next timed work (dm_timer_set), 0: none */
};

#define BUS_MAX_DEVICES 32
#define BUS_MAX_RANGES  32     /* a PC guest uses about 14 port ranges */

struct bus_range {
    uint64_t base, size;
    struct vdev *dev;
};

struct bus {
    struct vdev *devices[BUS_MAX_DEVICES];
    unsigned device_count;
    struct bus_range ports[BUS_MAX_RANGES];
    unsigned port_count;
    struct bus_range mmio[BUS_MAX_RANGES];
    unsigned mmio_count;
};

/* Add a device (once) and claim ranges for it; false when a range
 * overlaps one already claimed or a table is full. */
bool bus_add_device(struct guest *g, struct vdev *d, const struct vdev_ops *ops);
bool bus_map_ports(struct guest *g, struct vdev *d, uint16_t base, unsigned count);
bool bus_map_mmio(struct guest *g, struct vdev *d, uint64_t gpa, uint64_t size);
/* The device claiming a port / guest-physical address, or NULL. */
struct vdev *bus_find_port(const struct guest *g, uint16_t port);
struct vdev *bus_find_mmio(const struct guest *g, uint64_t gpa);
/* The first device of a model (e.g. the guest's UART), or NULL. */
struct vdev *bus_find_device(const struct guest *g, const struct vdev_ops *ops);
/* Every device back to its power-on state. */
void bus_reset(struct guest *g);
/* Free every device (the guest is destroyed). */
void bus_destroy(struct guest *g);

#endif
