/*
 * ACPI table parser: RSDP, RSDT/XSDT, MADT, FADT, DSDT/SSDT (\_S5 only)
 * and HPET. Pure logic (drivers/acpi.c; the \_S5 AML scan in acpi_aml.c,
 * the log summary in acpi_describe.c): physical memory is only read
 * through struct acpi_mem, every read of a table is bounds-checked against
 * the length the accessor granted, and the results land in fixed-size
 * arrays (no allocation). Section numbers refer to ACPI 6.5.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <hv/compiler.h>

#define ACPI_MAX_CPUS        256
#define ACPI_MAX_IOAPICS     16
#define ACPI_MAX_ISOS        32
#define ACPI_MAX_LAPIC_NMIS  16
#define ACPI_MAX_TABLES      64

/* Largest table we accept; anything bigger is a corrupt length field. */
#define ACPI_MAX_TABLE_LEN   MiB(16)
#define ACPI_HEADER_LEN      36     /* 5.2.6 System Description Table Header */

/* acpi_parse() results (0 on success). */
#define ACPI_E_INVAL         (-1)   /* NULL argument */
#define ACPI_E_NO_RSDP       (-2)   /* RSDP unreadable or no "RSD PTR " signature */
#define ACPI_E_RSDP_CHECKSUM (-3)   /* RSDP checksum over the first 20 bytes wrong */
#define ACPI_E_NO_ROOT       (-4)   /* neither a valid XSDT nor a valid RSDT */

/* Generic Address Structure address spaces (5.2.3.2). */
#define ACPI_GAS_MEMORY      0
#define ACPI_GAS_IO          1
#define ACPI_GAS_PCI_CONFIG  2

/* FADT flags (5.2.9, table 5.10). */
#define ACPI_FADT_TMR_VAL_EXT     BIT(8)
#define ACPI_FADT_RESET_REG_SUP   BIT(10)
#define ACPI_FADT_HW_REDUCED      BIT(20)

/* FADT IAPC_BOOT_ARCH (5.2.9.3). */
#define ACPI_BOOT_ARCH_LEGACY_DEVICES  BIT(0)
#define ACPI_BOOT_ARCH_8042            BIT(1)

/* MADT flags (5.2.12, table 5.20). */
#define ACPI_MADT_PCAT_COMPAT     BIT(0)

/*
 * Reads physical memory. map() returns a pointer to `len` readable bytes
 * starting at `phys`, or NULL if any part of [phys, phys + len) is not
 * readable. The parser never reads past the `len` it asked for, and keeps
 * using returned pointers until acpi_parse() returns (the core's accessor
 * returns identity-mapped addresses, which stay valid).
 */
struct acpi_mem {
    const void *(*map)(void *ctx, uint64_t phys, size_t len);
    void *ctx;
};

/* One complete message line, starting with "acpi: ", without a newline. */
typedef void (*acpi_log_fn)(void *ctx, const char *msg);

/* A Generic Address Structure, decoded (not the packed firmware layout). */
struct acpi_gas {
    uint8_t space_id;           /* ACPI_GAS_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
};

/*
 * A processor from a Processor Local APIC (type 0) or Processor Local
 * x2APIC (type 9) entry. Only CPUs that are enabled or online-capable are
 * listed; disabled, non-online-capable ones are excluded and only counted
 * in acpi_madt.cpus_disabled.
 */
struct acpi_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;               /* flags bit 0: usable now */
    bool online_capable;        /* flags bit 1 (only meaningful when !enabled) */
    bool x2apic;                /* came from a type 9 entry */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t address;
    uint32_t gsi_base;
};

/* Interrupt Source Override (type 2): ISA IRQ `source` is GSI `gsi`. */
struct acpi_iso {
    uint8_t bus;
    uint8_t source;
    uint32_t gsi;
    uint16_t flags;             /* MPS INTI flags: polarity, trigger mode */
};

/* Local APIC NMI (type 4) or Local x2APIC NMI (type 10). */
struct acpi_lapic_nmi {
    uint32_t acpi_uid;          /* 0xff (type 4) / 0xffffffff (type 10): all CPUs */
    uint16_t flags;
    uint8_t lint;
    bool x2apic;
};

struct acpi_madt {
    bool present;
    uint64_t table;             /* physical address of the MADT */
    uint64_t lapic_address;     /* the 32-bit field, or the type 5 override */
    bool lapic_override;        /* a type 5 entry supplied lapic_address */
    uint32_t flags;
    bool pcat_compat;           /* 8259 PICs present: mask them */
    bool walk_stopped;          /* a malformed entry ended the walk early */

    unsigned cpu_count;         /* entries in cpus[] */
    unsigned cpus_enabled;      /* of those, enabled */
    unsigned cpus_online_capable; /* of those, not enabled but online-capable */
    unsigned cpus_disabled;     /* excluded: neither enabled nor online-capable */
    unsigned cpus_duplicate;    /* ignored: APIC ID already listed */
    unsigned cpus_dropped;      /* not listed: more than ACPI_MAX_CPUS */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];

    unsigned ioapic_count;
    unsigned ioapics_dropped;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];

    unsigned iso_count;
    unsigned isos_dropped;
    struct acpi_iso isos[ACPI_MAX_ISOS];

    unsigned nmi_count;
    unsigned nmis_dropped;
    struct acpi_lapic_nmi nmis[ACPI_MAX_LAPIC_NMIS];
};

struct acpi_fadt {
    bool present;
    uint64_t table;             /* physical address of the FADT */
    uint8_t revision;
    uint32_t length;
    uint32_t flags;             /* ACPI_FADT_* */
    uint16_t sci_int;
    uint32_t smi_cmd;           /* I/O port, 0: no SMI command (ACPI-only) */
    uint8_t acpi_enable;
    uint8_t acpi_disable;

    /* The register blocks as used (X_ field if present and non-zero, else
     * the 32-bit field as an I/O block of the declared length). */
    struct acpi_gas pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm_tmr;
    /* I/O ports for the blocks above; 0 when absent or not in I/O space
     * (only I/O-space PM1 control and PM timer are supported). */
    uint16_t pm1a_evt_port, pm1b_evt_port;
    uint16_t pm1a_cnt_port, pm1b_cnt_port;
    uint16_t pm_timer_port;
    bool pm_timer_32bit;        /* flags.TMR_VAL_EXT, else 24 bits */

    bool reset_supported;       /* RESET_REG_SUP, the table covers it, address != 0 */
    struct acpi_gas reset_reg;
    uint8_t reset_value;

    uint64_t dsdt;              /* X_DSDT if non-zero and covered, else DSDT */
    bool dsdt_valid;            /* the DSDT at `dsdt` passed the checks */

    bool boot_arch_valid;       /* IAPC_BOOT_ARCH exists (FADT revision >= 2) */
    uint16_t iapc_boot_arch;
    bool legacy_devices;        /* LPC/ISA devices; assumed true without boot_arch */
    bool has_8042;              /* keyboard controller; assumed true without boot_arch */
};

/* \_S5 sleep type values (7.4.2.6, 16.1.2): written to PM1x_CNT.SLP_TYP. */
struct acpi_s5 {
    bool found;
    bool in_ssdt;               /* found in an SSDT, not in the DSDT */
    uint32_t slp_typa;
    uint32_t slp_typb;
};

struct acpi_hpet {
    bool present;               /* a valid HPET table with a memory-space base */
    uint64_t table;
    uint64_t address;           /* base of the register block */
    uint8_t hpet_number;
    uint32_t event_timer_block_id;
};

enum acpi_table_status {
    ACPI_TABLE_OK = 0,
    ACPI_TABLE_UNREADABLE,      /* header not mappable, or null entry */
    ACPI_TABLE_BAD_LENGTH,      /* < header size or > ACPI_MAX_TABLE_LEN */
    ACPI_TABLE_TRUNCATED,       /* header readable, full length not */
    ACPI_TABLE_BAD_CHECKSUM,
    ACPI_TABLE_BAD_SIGNATURE,   /* e.g. the FADT's DSDT pointer is not a DSDT */
    ACPI_TABLE_DUPLICATE,       /* valid, but an earlier one with this signature won */
    ACPI_TABLE_MALFORMED,       /* valid checksum but too short for its type */
};

struct acpi_table {
    char sig[5];                /* NUL-terminated; "????" when unreadable */
    bool valid;                 /* passed the checks: status OK or DUPLICATE */
    bool from_fadt;             /* the DSDT, reached through the FADT */
    uint8_t status;             /* enum acpi_table_status */
    uint32_t length;
    uint64_t address;
};

struct acpi_info {
    uint64_t rsdp;              /* physical address of the RSDP */
    uint8_t revision;           /* RSDP revision: 0 (ACPI 1.0) or 2 (2.0+) */
    char oem_id[7];             /* NUL-terminated, trailing spaces removed */
    bool xsdt_used;             /* else the RSDT */
    uint64_t root_table;        /* physical address of the XSDT/RSDT used */
    unsigned root_entries;      /* entries in it */

    unsigned table_count;       /* entries in tables[] */
    unsigned tables_dropped;    /* seen but not recorded: more than ACPI_MAX_TABLES */
    struct acpi_table tables[ACPI_MAX_TABLES];

    struct acpi_madt madt;
    struct acpi_fadt fadt;
    struct acpi_s5 s5;
    struct acpi_hpet hpet;
};

/*
 * The BIOS search for the RSDP (5.2.5.1): the first KiB of the EBDA (its
 * real-mode segment is the 16-bit word at physical 0x40e), then
 * 0xe0000-0xfffff, on 16-byte boundaries. A candidate counts only with the
 * "RSD PTR " signature, a valid checksum over 20 bytes and, for revision 2
 * and later, a valid extended checksum over its `length` bytes.
 */
bool acpi_find_rsdp_legacy(const struct acpi_mem *m, uint64_t *rsdp_out);

/*
 * Parse everything reachable from the RSDP at rsdp_phys into *out (which is
 * cleared first). Problems with individual tables are reported through
 * `log` (may be NULL) and those tables skipped. Returns 0, or ACPI_E_* when
 * there is no usable RSDP and root table (also reported through `log`).
 */
int acpi_parse(const struct acpi_mem *m, uint64_t rsdp_phys, struct acpi_info *out,
               acpi_log_fn log, void *log_ctx);

/*
 * Find `Name(\_S5, Package() { a, b, ... })` in an AML byte stream (a
 * DSDT/SSDT body, after the header) and return the first two elements.
 * Only integer encodings are accepted (Zero, One, Ones, Byte/Word/DWord
 * constants); never reads outside aml[0, len).
 */
bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint32_t *slp_typa, uint32_t *slp_typb);

/* Log a short summary: one line for the RSDP/root table, MADT, FADT (with
 * \_S5) and HPET. */
void acpi_describe(const struct acpi_info *a, acpi_log_fn log, void *ctx);

/* The core's glue (reads the RSDP from boot_info or scans for it, parses,
 * prints); implemented outside the pure parser. */
struct boot_info;
bool acpi_init(const struct boot_info *bi, struct acpi_info *out);

#endif
