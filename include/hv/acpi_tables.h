/*
 * ACPI tables generated per guest (issue 10): RSDP, XSDT (and an RSDT for
 * ACPI 1.0 readers), FADT, FACS, MADT and a DSDT with \_S5 and one
 * processor device per vCPU, written into a caller's byte buffer that will
 * sit at guest-physical `base`. Pure logic (guest/acpi_tables.c): no
 * hardware, no globals; unit-tested in tests/unit/test_acpi_tables.c by
 * reading the result back with the host's own parser (include/hv/acpi.h).
 * Section numbers refer to ACPI 6.5; the tables claim ACPI 6.3 (FADT 6.3,
 * MADT revision 5).
 *
 * The platform they describe is a PC without firmware: the PM1a event and
 * control blocks and the PM timer are I/O ports the hypervisor serves, the
 * SCI is ISA IRQ 9, the reset register is the chipset's 0xcf9, one I/O APIC
 * with 24 pins at GSI 0, the 8259 pair present (PCAT_COMPAT), no VGA, no
 * 8042, a CMOS RTC. What the device models must do to match is in the
 * comments of the constants below.
 */
#ifndef HV_ACPI_TABLES_H
#define HV_ACPI_TABLES_H

#include <hv/compiler.h>

/* APIC IDs below 255 go in Processor Local APIC entries, the others in
 * Processor Local x2APIC entries (5.2.12.12); UID 255 would collide with
 * the "all processors" UID of the Local APIC NMI entry (5.2.12.7). */
#define ACPI_TABLES_MAX_VCPUS   255

/*
 * \_S5's SLP_TYPa/b value. The PM1a control model powers the guest off on
 * a 16-bit write with SLP_EN (bit 13) set and SLP_TYP (bits 12:10) equal to
 * this (4.8.3.2.1, 7.4.2): Linux writes 0x1400 and then 0x3400. No other
 * sleep state is declared, so any other SLP_TYP with SLP_EN is ignored.
 * 5 because it names the state (as cloud-hypervisor's shutdown device);
 * the value is the platform's choice, not the spec's.
 */
#define ACPI_TABLES_SLP_TYP_S5  5

/* The default I/O ports of the PM blocks (those of QEMU's PIIX4/ICH9 PM
 * base 0x600), their lengths fixed by the FADT we write (5.2.9):
 * PM1a_EVT: status word (+0) and enable word (+2); the enable bits the OS
 * sets (TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, RTC_EN 10) must read back as
 * written, or ACPICA reports "Could not enable ... event". PM1a_CNT: a
 * word; SCI_EN (bit 0) reads 1 (no SMI_CMD: always in ACPI mode, 5.2.9).
 * PM_TMR: a 32-bit free-running 3.579545 MHz counter (TMR_VAL_EXT set). */
#define ACPI_TABLES_PM1A_EVT    0x600
#define ACPI_TABLES_PM1A_CNT    0x604
#define ACPI_TABLES_PM_TMR      0x608
#define ACPI_TABLES_PM1_EVT_LEN 4
#define ACPI_TABLES_PM1_CNT_LEN 2
#define ACPI_TABLES_PM_TMR_LEN  4

/* RESET_REG: a byte write of 0x06 (SYS_RST | RST_CPU, the PIIX/ICH reset
 * control register) to I/O port 0xcf9, inside the PCI configuration
 * window 0xcf8-0xcff: the PCI model must take byte accesses to 0xcf9. */
#define ACPI_TABLES_RESET_PORT  0xcf9
#define ACPI_TABLES_RESET_VALUE 0x06

#define ACPI_TABLES_SCI_IRQ     9
#define ACPI_TABLES_IOAPIC_ADDR 0xfec00000u
#define ACPI_TABLES_IOAPIC_PINS 24
#define ACPI_TABLES_LAPIC_ADDR  0xfee00000u
/* CMOS index of the century byte (FADT CENTURY): the RTC model answers it
 * in BCD (0x20), Linux reads it when the field is non-zero. */
#define ACPI_TABLES_CENTURY     0x32

/* pvpanic (QEMU's docs/specs/pvpanic.txt, ACPI _HID "QEMU0001"): one
 * I/O port; the guest writes bit 0 (PANICKED) when its kernel panics, which
 * stops it (dm/vpvpanic.c). Linux's pvpanic-mmio driver binds to it. */
#define ACPI_TABLES_PVPANIC_PORT 0x505

/* The legacy scan area the RSDP must lie in (5.2.5.1). */
#define ACPI_TABLES_BIOS_START  0xe0000ULL
#define ACPI_TABLES_BIOS_END    0x100000ULL

/* Identification written into every header (5.2.6). */
#define ACPI_TABLES_OEM_ID      "HVHV  "    /* 6 bytes */
#define ACPI_TABLES_OEM_TABLE   "HVGUEST "  /* 8 bytes, the same in every table */
#define ACPI_TABLES_OEM_REV     1
#define ACPI_TABLES_CREATOR     "HVHV"      /* we are the "ASL compiler" */
#define ACPI_TABLES_CREATOR_REV 1

/* acpi_tables_build() results. */
#define ACPI_TABLES_E_INVAL     (-1)   /* the description is inconsistent */
#define ACPI_TABLES_E_NO_SPACE  (-2)   /* the tables do not fit the space given */
#define ACPI_TABLES_E_PLACEMENT (-3)   /* the RSDP would fall outside 0xe0000-0xfffff */

struct acpi_tables_desc {
    unsigned vcpus;             /* 1..ACPI_TABLES_MAX_VCPUS */
    const uint32_t *apic_ids;   /* vcpus distinct IDs; NULL: 0..vcpus-1 */

    uint8_t ioapic_id;
    uint32_t ioapic_address;
    uint32_t ioapic_gsi_base;   /* its 24 pins must cover GSI 2 and the SCI */

    uint16_t pm1a_evt_port;     /* ACPI_TABLES_PM1_EVT_LEN bytes */
    uint16_t pm1a_cnt_port;     /* ACPI_TABLES_PM1_CNT_LEN bytes */
    uint16_t pm_tmr_port;       /* ACPI_TABLES_PM_TMR_LEN bytes */
    uint16_t reset_port;
    uint8_t reset_value;
    uint8_t sci_irq;            /* ISA IRQ, identity-mapped to its GSI */
    uint8_t century;            /* CMOS index, 0: none */
    uint16_t pvpanic_port;      /* a QEMU0001 device in \_SB; 0: none */
};

/* Where each table landed (guest-physical) and how much of the buffer is
 * used, from its first byte. `rsdp` goes in the zero page
 * (boot_params.acpi_rsdp_addr) and the PVH start_info (rsdp_paddr). */
struct acpi_tables_layout {
    uint64_t rsdp, xsdt, rsdt, fadt, facs, madt, dsdt;
    size_t used;
};

/* The description of the platform above for `vcpus` vCPUs with APIC IDs
 * 0..vcpus-1. */
void acpi_tables_pc_defaults(struct acpi_tables_desc *d, unsigned vcpus);

/*
 * Bytes acpi_tables_build() needs for `d` at `base` (padding for the RSDP's
 * 16-byte and the FACS's 64-byte alignment depends on base), or 0 when the
 * description is invalid.
 */
size_t acpi_tables_size(const struct acpi_tables_desc *d, uint64_t base);

/*
 * Write the tables into buf[0, size), which the guest will see at
 * guest-physical `base`. Returns 0 and fills *out, or ACPI_TABLES_E_* with
 * the reason in err ("acpi tables: ..."); on error nothing is written to
 * buf. Bytes past out->used are left alone; padding inside is zeroed.
 */
int acpi_tables_build(const struct acpi_tables_desc *d, uint64_t base, uint8_t *buf,
                      size_t size, struct acpi_tables_layout *out, char *err, size_t errlen);

#endif
