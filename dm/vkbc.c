/*
 * The keyboard controller's reset line, and nothing else of it (dm/,
 * include/hv/dm.h): port 0x64, where the 8042 takes the command 0xfe,
 * "pulse output port bit 0", which on a PC is wired to the CPU's reset
 * (IBM PC AT Technical Reference, keyboard controller commands). It is
 * the reset Linux tries after the ACPI reset register, and alone with
 * reboot=k.
 *
 * The guest has no 8042: its FADT leaves IAPC_BOOT_ARCH's "8042" flag
 * clear (guest/acpi_tables.c), so Linux never probes one
 * (acpi_parse_fadt: X86_LEGACY_I8042_FIRMWARE_ABSENT) and port 0x60 stays
 * unclaimed (all ones). Reading 0x64 gives 0: no data waiting (bit 0)
 * and the input buffer empty (bit 1). Linux's kb_wait() polls for bit 1
 * clear before each 0xfe, up to 0x10000 reads; all ones would make every
 * one of its ten attempts wait the whole way before the write.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/mm.h>

/* Commands 0xf0-0xff pulse low, for about 6 us, the output port bits
 * whose bit in the command's low nibble is 0; bit 0 is the CPU's reset.
 * 0xfe pulses that one alone; any even one of them pulses it too, as QEMU
 * treats them. */
#define KBC_CMD_PULSE       0xf0
#define KBC_OUT_RESET       0x01

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)d; (void)v; (void)port;
    /* Status 0 in the first byte; a wider read runs into unclaimed ports. */
    return size == 1 ? 0 : 0xffffff00u;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    uint8_t cmd = (uint8_t)val;     /* a wider write: its first byte is 0x64's */
    /* Every other command does nothing, as with no controller. */
    if ((cmd & 0xf0) == KBC_CMD_PULSE && !(cmd & KBC_OUT_RESET))
        guest_reboot(d->guest, "keyboard controller reset pulse, port %#x = 0x%02x", port, cmd);
}

static const struct vdev_ops vkbc_ops = {
    .name = "keyboard controller reset",
    .port_read = port_read,
    .port_write = port_write,
};

bool vkbc_attach(struct guest *g)
{
    struct vdev *d = kzalloc(sizeof(*d));
    if (!d)
        return false;
    if (!bus_add_device(g, d, &vkbc_ops)) {
        kfree(d);
        return false;
    }
    return bus_map_ports(g, d, VKBC_PORT, 1);
}
