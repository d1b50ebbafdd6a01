/*
 * A guest's PCI configuration space (include/hv/vpci.h), pure. PCI Local
 * Bus Specification 3.0: configuration mechanism #1 in 3.2.2.3.2, the
 * type 0 header in 6.1-6.2.
 *
 * Why a host bridge and nothing else: Linux finds PCI through mechanism #1
 * (arch/x86/pci/direct.c, pci_check_type1): a dword 0x80000000 written to
 * 0xcf8 must read back, and, on a machine without DMI (we give none, so
 * its BIOS year is 0), pci_sanity_check() then wants a device on bus 0
 * whose class is a host bridge or VGA, or whose vendor is Intel or
 * Compaq. Without one it falls back to mechanism #2, finds nothing and
 * runs with no PCI at all, which works too but is not a PC. The host
 * bridge answers both questions (class 0x0600, vendor 0x8086); it has no
 * BARs, no interrupt and no capability list, so there is nothing for the
 * guest to program.
 *
 * Which host bridge: the i440FX's 82441FX (8086:1237) rather than Q35's
 * 8086:29c0. With Q35 an OS expects PCI Express: an MCFG table, the ICH9
 * LPC bridge at 00:1f.0 and its devices; the i440FX is a plain PCI host
 * bridge that asks for nothing else, and it is the chipset whose reset
 * control register at 0xcf9 the FADT names (PIIX3/PIIX4 RC; ICH's RST_CNT
 * has the same bits). Linux has no quirk for it that touches anything we
 * do not model (quirk_natoma only notes a PCI-to-PCI DMA erratum).
 */
#include <hv/vpci.h>

#define DATA_END        (VPCI_PORT_DATA + 4)

/* Command register bits (6.2.2) the host bridge implements: I/O and
 * memory space, bus master, parity error response, SERR# enable. The
 * others are hardwired to 0, as 6.2.2 allows. */
#define COMMAND_WRITABLE 0x0147
/* After reset: memory space and bus master on, as firmware leaves a host
 * bridge (it forwards the CPU's memory cycles and the devices' DMA). */
#define COMMAND_RESET    0x0006
/* Status (6.2.3): medium DEVSEL timing and fast back-to-back capable, a
 * plain PCI 2.x target; bit 4 clear: no capability list, so the pointer
 * at 0x34 is 0. No error is ever signalled, so its write-1-to-clear bits
 * stay 0 and writes are ignored. */
#define HOST_STATUS      0x0280

void vpci_reset(struct vpci *p)
{
    p->address = 0;
    p->command = COMMAND_RESET;
    p->reset_control = 0;
}

static bool is_host(unsigned bus, unsigned dev, unsigned fn)
{
    return bus == 0 && dev == 0 && fn == 0;
}

/* The host bridge's type 0 header (6.1, figure 6-1) a dword at a time. */
static uint32_t host_dword(const struct vpci *p, unsigned reg)
{
    switch (reg) {
    case 0x00:
        return VPCI_HOST_VENDOR | (uint32_t)VPCI_HOST_DEVICE << 16;
    case 0x04:
        return p->command | (uint32_t)HOST_STATUS << 16;
    case 0x08:
        return VPCI_HOST_REVISION | (uint32_t)VPCI_HOST_CLASS << 8;
    default:
        /* 0x0c: cache line size and latency timer 0, header type 0
         * (single function, so functions 1-7 are not probed), no BIST;
         * 0x10-0x24: no BARs (a sizing write of all ones reads back 0);
         * 0x2c: subsystem IDs 0, "not supplied" (the 82441FX predates
         * them); 0x34: no capabilities; 0x3c: no interrupt pin; the
         * chipset registers above 0x40 (PAM, SMRAM) read 0: there is no
         * BIOS shadowing to control. */
        return 0;
    }
}

uint8_t vpci_config_byte(const struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
                         unsigned reg)
{
    /* No device: the host bridge ends the cycle with a master abort and
     * returns all ones, so the Vendor ID reads 0xffff, which no device
     * has (6.1). */
    if (!is_host(bus, dev, fn) || reg > 0xff)
        return 0xff;
    return (uint8_t)(host_dword(p, reg & ~3u) >> (8 * (reg & 3)));
}

static void config_write_byte(struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
                              unsigned reg, uint8_t b)
{
    if (!is_host(bus, dev, fn))
        return;             /* master abort: the write goes nowhere */
    if (reg == 0x04 || reg == 0x05) {
        unsigned shift = 8 * (reg - 0x04);
        uint16_t mask = (uint16_t)((COMMAND_WRITABLE >> shift) & 0xff);
        uint16_t old = (uint16_t)((p->command >> shift) & 0xff);
        uint16_t nb = (uint16_t)((old & ~mask) | (b & mask));
        p->command = (uint16_t)((p->command & ~(0xff << shift)) | (nb << shift));
    }
    /* Everything else is read-only or not implemented. */
}

/* The register CONFIG_DATA's byte at `port` reaches, if enabled. */
static bool data_target(const struct vpci *p, uint16_t port, unsigned *bus, unsigned *dev,
                        unsigned *fn, unsigned *reg)
{
    /* Bit 31 clear: CONFIG_DATA is an ordinary I/O port with nothing
     * behind it (3.2.2.3.2). */
    if (port < VPCI_PORT_DATA || port >= DATA_END || !(p->address & VPCI_ADDR_ENABLE))
        return false;
    *bus = (p->address >> 16) & 0xff;
    *dev = (p->address >> 11) & 0x1f;
    *fn = (p->address >> 8) & 7;
    *reg = (p->address & 0xfc) + (port - VPCI_PORT_DATA);
    return true;
}

uint32_t vpci_read(const struct vpci *p, uint16_t port, unsigned size)
{
    /* CONFIG_ADDRESS is a dword register; smaller accesses to 0xcf8-0xcfb
     * are ordinary I/O cycles (3.2.2.3.2), of which only the reset
     * control byte at 0xcf9 means anything here. */
    if (port == VPCI_PORT_ADDRESS && size == 4)
        return p->address;
    if (port == VPCI_PORT_RESET && size == 1)
        return p->reset_control;
    uint32_t v = 0;
    for (unsigned k = 0; k < size && k < 4; k++) {
        unsigned bus, dev, fn, reg;
        uint8_t b = 0xff;
        if (data_target(p, (uint16_t)(port + k), &bus, &dev, &fn, &reg))
            b = vpci_config_byte(p, bus, dev, fn, reg);
        v |= (uint32_t)b << (8 * k);
    }
    return v;
}

enum vpci_action vpci_write(struct vpci *p, uint16_t port, unsigned size, uint32_t val)
{
    if (port == VPCI_PORT_ADDRESS && size == 4) {
        p->address = val & VPCI_ADDR_MASK;
        return VPCI_NONE;
    }
    if (port == VPCI_PORT_RESET && size == 1) {
        /* The reset starts when RST_CPU goes from 0 to 1 (PIIX4 RC, ICH
         * RST_CNT); SYS_RST and FULL_RST choose how hard it is, which
         * makes no difference to a guest that is re-created whole. Linux
         * writes SYS_RST first, then SYS_RST | RST_CPU (0x06, or 0x0e for
         * a cold reboot), and the FADT's reset value is 0x06. */
        uint8_t old = p->reset_control;
        p->reset_control = (uint8_t)(val & (VPCI_RC_SYS_RST | VPCI_RC_RST_CPU | VPCI_RC_FULL_RST));
        if (!(old & VPCI_RC_RST_CPU) && (val & VPCI_RC_RST_CPU))
            return VPCI_RESET;
        return VPCI_NONE;
    }
    for (unsigned k = 0; k < size && k < 4; k++) {
        unsigned bus, dev, fn, reg;
        if (data_target(p, (uint16_t)(port + k), &bus, &dev, &fn, &reg))
            config_write_byte(p, bus, dev, fn, reg, (uint8_t)(val >> (8 * k)));
    }
    return VPCI_NONE;
}
