/*
 * A guest's PCI configuration space (issue 10), pure logic (dm/vpci.c,
 * unit-tested in tests/unit/test_vpci.c); the device on the guest's bus
 * is dm/vpci_io.c. Configuration mechanism #1 (PCI Local Bus 3.0,
 * 3.2.2.3.2): CONFIG_ADDRESS, a dword at 0xcf8, and CONFIG_DATA, 0xcfc to
 * 0xcff. Bus 0 has one device, a host bridge at 00:00.0; every other
 * device reads all ones. The byte at 0xcf9 is the chipset's reset control
 * register, which the FADT names as the ACPI reset register
 * (include/hv/acpi_tables.h).
 */
#ifndef HV_VPCI_H
#define HV_VPCI_H

#include <hv/compiler.h>

#define VPCI_PORT_ADDRESS   0xcf8       /* CONFIG_ADDRESS, dword accesses only */
#define VPCI_PORT_RESET     0xcf9       /* reset control, byte accesses only */
#define VPCI_PORT_DATA      0xcfc       /* CONFIG_DATA, 0xcfc-0xcff */
#define VPCI_PORTS          8           /* 0xcf8-0xcff */

/* CONFIG_ADDRESS: enable, bus, device, function, dword register; bits
 * 30:24 and 1:0 are reserved and read 0 (3.2.2.3.2). */
#define VPCI_ADDR_ENABLE    BIT(31)
#define VPCI_ADDR_MASK      0x80fffffcu

/* The host bridge: the 82441FX of the i440FX chipset, the PMC of the PC
 * platform that QEMU's and most hypervisors' "pc" machines show. */
#define VPCI_HOST_VENDOR    0x8086
#define VPCI_HOST_DEVICE    0x1237
#define VPCI_HOST_REVISION  0x02
#define VPCI_HOST_CLASS     0x060000    /* bridge, host bridge, no interface */

/* Reset control register bits (PIIX4 RC, ICH RST_CNT). */
#define VPCI_RC_SYS_RST     BIT(1)      /* a hard (system) rather than a CPU-only reset */
#define VPCI_RC_RST_CPU     BIT(2)      /* 0 -> 1 starts the reset */
#define VPCI_RC_FULL_RST    BIT(3)      /* ICH: power-cycle as well */

struct vpci {
    uint32_t address;       /* CONFIG_ADDRESS as read back */
    uint16_t command;       /* the host bridge's command register */
    uint8_t reset_control;  /* 0xcf9 */
};

enum vpci_action {
    VPCI_NONE = 0,
    VPCI_RESET,             /* RST_CPU went from 0 to 1: reset the machine */
};

/* Power-on state. */
void vpci_reset(struct vpci *p);
/* An access of 1, 2 or 4 bytes at `port` (0xcf8-0xcff); bytes outside
 * them, and accesses the chipset does not decode, read all ones and are
 * ignored when written. */
uint32_t vpci_read(const struct vpci *p, uint16_t port, unsigned size);
enum vpci_action vpci_write(struct vpci *p, uint16_t port, unsigned size, uint32_t val);
/* One byte of the configuration space of bus/dev/fn at register `reg`
 * (0-255): all ones where there is no device. */
uint8_t vpci_config_byte(const struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
                         unsigned reg);

#endif
