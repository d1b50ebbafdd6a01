/*
 * ACPI tables generated per guest (include/hv/acpi_tables.h). Pure logic.
 *
 * Every table is emitted by one function that writes through struct
 * acpi_out (guest/acpi_build.h; the DSDT's AML is in guest/acpi_dsdt.c);
 * the same functions run twice: first without a buffer to measure (so the
 * size check happens before a single byte is written), then into the
 * caller's buffer with the addresses the first run found. Multi-byte
 * fields are stored byte by byte, little-endian (5.2). Section numbers
 * refer to ACPI 6.5.
 *
 * Buffer layout, in this order from `base`: RSDP (16-byte aligned, first,
 * so the legacy scan of 0xe0000-0xfffff meets it), FACS (64-byte aligned,
 * 5.2.10), DSDT, FADT, MADT, XSDT, RSDT (each 16-byte aligned).
 */
#include "acpi_build.h"
#include <hv/fmt.h>
#include <hv/string.h>
#include <stdarg.h>

typedef unsigned long long ull;

#define RSDP_LEN        36      /* 5.2.5.3, revision 2 */
#define FACS_LEN        64      /* 5.2.10 */
#define FADT_REV        6
#define FADT_MINOR      3       /* ACPI 6.3 */
#define MADT_REV        5       /* ACPI 6.3: Online Capable flag defined */
#define XSDT_REV        1
#define RSDT_REV        1

/* FADT flags (table 5.10). */
#define F_WBINVD        BIT(0)  /* must be set from ACPI 2.0 on */
#define F_PROC_C1       BIT(2)  /* HLT works on every CPU */
#define F_SLP_BUTTON    BIT(5)  /* set: no fixed-feature sleep button */
#define F_TMR_VAL_EXT   BIT(8)  /* 32-bit PM timer */
#define F_RESET_REG_SUP BIT(10)

/* IAPC_BOOT_ARCH (table 5.11). */
#define BA_LEGACY_DEVICES BIT(0) /* the 16550 at 0x3f8, enumerated by no one */
#define BA_VGA_NOT_PRESENT BIT(2)

/* MPS INTI flags (table 5.26): polarity bits 1:0, trigger mode bits 3:2. */
#define INTI_HIGH       0x1
#define INTI_LOW        0x3
#define INTI_EDGE       (0x1 << 2)
#define INTI_LEVEL      (0x3 << 2)

/* GAS access sizes (5.2.3.2). */
#define GAS_BYTE        1
#define GAS_WORD        2
#define GAS_DWORD       3
#define GAS_IO          1

/* Pad with zeros up to a guest-physical multiple of `align`. */
static void align_to(struct acpi_out *o, unsigned align)
{
    while ((o->base + o->pos) % align)
        put8(o, 0);
}

static uint64_t gpa(const struct acpi_out *o, size_t off)
{
    return o->base + off;
}

static void patch32(struct acpi_out *o, size_t off, uint32_t v)
{
    if (!o->buf || off + 4 > o->cap)
        return;
    for (int i = 0; i < 4; i++)
        o->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Store the checksum byte at `at` so that [start, start + len) sums to 0. */
static void checksum(struct acpi_out *o, size_t start, size_t len, size_t at)
{
    if (!o->buf || start + len > o->cap)
        return;
    o->buf[at] = 0;
    o->buf[at] = (uint8_t)-sum8(o->buf + start, len);
}

/* 5.2.6: signature, length (patched by acpi_table_end), revision, checksum. */
size_t acpi_table_begin(struct acpi_out *o, const char *sig, uint8_t rev)
{
    size_t start = o->pos;

    put_str(o, sig, 4);
    put32(o, 0);
    put8(o, rev);
    put8(o, 0);
    put_str(o, ACPI_TABLES_OEM_ID, 6);
    put_str(o, ACPI_TABLES_OEM_TABLE, 8);
    put32(o, ACPI_TABLES_OEM_REV);
    put_str(o, ACPI_TABLES_CREATOR, 4);
    put32(o, ACPI_TABLES_CREATOR_REV);
    return start;
}

void acpi_table_end(struct acpi_out *o, size_t start)
{
    size_t len = o->pos - start;

    patch32(o, start + 4, (uint32_t)len);
    checksum(o, start, len, start + 9);
}

/* 5.2.3.2 Generic Address Structure, I/O space. */
static void put_gas_io(struct acpi_out *o, unsigned bits, uint8_t access, uint16_t port)
{
    put8(o, GAS_IO);
    put8(o, (uint8_t)bits);
    put8(o, 0);
    put8(o, access);
    put64(o, port);
}

/* ---- RSDP (5.2.5.3) and FACS (5.2.10) ------------------------------------ */

static void emit_rsdp(struct acpi_out *o)
{
    size_t start = o->pos;

    o->got.rsdp = start;
    put_str(o, "RSD PTR ", 8);
    put8(o, 0);                                 /* checksum over bytes 0-19 */
    put_str(o, ACPI_TABLES_OEM_ID, 6);
    put8(o, 2);                                 /* revision: ACPI 2.0 and later */
    put32(o, (uint32_t)gpa(o, o->at.rsdt));
    put32(o, RSDP_LEN);
    put64(o, gpa(o, o->at.xsdt));
    put8(o, 0);                                 /* extended checksum, all 36 */
    put_zero(o, 3);
    checksum(o, start, 20, start + 8);
    checksum(o, start, RSDP_LEN, start + 32);
}

/*
 * Required when the FADT is not hardware-reduced (5.2.9 FIRMWARE_CTRL).
 * No waking vector (no S3/S4 is declared), no S4BIOS; the global lock
 * lives here for ACPICA even though no AML of ours takes it.
 */
static void emit_facs(struct acpi_out *o)
{
    o->got.facs = o->pos;
    put_str(o, "FACS", 4);
    put32(o, FACS_LEN);
    put32(o, 0);                                /* hardware signature */
    put32(o, 0);                                /* firmware waking vector */
    put32(o, 0);                                /* global lock */
    put32(o, 0);                                /* flags */
    put64(o, 0);                                /* X firmware waking vector */
    put8(o, 2);                                 /* version (table 5.14) */
    put_zero(o, 3);
    put32(o, 0);                                /* OSPM flags */
    put_zero(o, 24);
}

/* ---- FADT (5.2.9, table 5.9) --------------------------------------------- */

static void emit_fadt(struct acpi_out *o)
{
    const struct acpi_tables_desc *d = o->d;
    size_t start = acpi_table_begin(o, "FACP", FADT_REV);
    uint32_t dsdt = (uint32_t)gpa(o, o->at.dsdt);

    o->got.fadt = start;
    put32(o, (uint32_t)gpa(o, o->at.facs));    /* 36 FIRMWARE_CTRL (X_ stays 0) */
    put32(o, dsdt);                             /* 40 DSDT */
    put8(o, 0);                                 /* 44 reserved */
    put8(o, 0);                                 /* 45 Preferred_PM_Profile: unspecified */
    put16(o, d->sci_irq);                       /* 46 SCI_INT */
    put32(o, 0);                                /* 48 SMI_CMD: none, always ACPI mode */
    put8(o, 0);                                 /* 52 ACPI_ENABLE */
    put8(o, 0);                                 /* 53 ACPI_DISABLE */
    put8(o, 0);                                 /* 54 S4BIOS_REQ */
    put8(o, 0);                                 /* 55 PSTATE_CNT */
    put32(o, d->pm1a_evt_port);                 /* 56 PM1a_EVT_BLK */
    put32(o, 0);                                /* 60 PM1b_EVT_BLK */
    put32(o, d->pm1a_cnt_port);                 /* 64 PM1a_CNT_BLK */
    put32(o, 0);                                /* 68 PM1b_CNT_BLK */
    put32(o, 0);                                /* 72 PM2_CNT_BLK */
    put32(o, d->pm_tmr_port);                   /* 76 PM_TMR_BLK */
    put32(o, 0);                                /* 80 GPE0_BLK: no GPEs */
    put32(o, 0);                                /* 84 GPE1_BLK */
    put8(o, ACPI_TABLES_PM1_EVT_LEN);           /* 88 PM1_EVT_LEN */
    put8(o, ACPI_TABLES_PM1_CNT_LEN);           /* 89 PM1_CNT_LEN */
    put8(o, 0);                                 /* 90 PM2_CNT_LEN */
    put8(o, ACPI_TABLES_PM_TMR_LEN);            /* 91 PM_TMR_LEN */
    put8(o, 0);                                 /* 92 GPE0_BLK_LEN */
    put8(o, 0);                                 /* 93 GPE1_BLK_LEN */
    put8(o, 0);                                 /* 94 GPE1_BASE */
    put8(o, 0);                                 /* 95 CST_CNT: no _CST */
    put16(o, 0x0fff);                           /* 96 P_LVL2_LAT > 100: no C2 */
    put16(o, 0x0fff);                           /* 98 P_LVL3_LAT > 1000: no C3 */
    put16(o, 0);                                /* 100 FLUSH_SIZE (WBINVD is used) */
    put16(o, 0);                                /* 102 FLUSH_STRIDE */
    put8(o, 0);                                 /* 104 DUTY_OFFSET */
    put8(o, 0);                                 /* 105 DUTY_WIDTH: no throttling */
    put8(o, 0);                                 /* 106 DAY_ALRM: no RTC alarm day */
    put8(o, 0);                                 /* 107 MON_ALRM */
    put8(o, d->century);                        /* 108 CENTURY */
    put16(o, BA_LEGACY_DEVICES | BA_VGA_NOT_PRESENT); /* 109 IAPC_BOOT_ARCH */
    put8(o, 0);                                 /* 111 reserved */
    put32(o, F_WBINVD | F_PROC_C1 | F_SLP_BUTTON | F_TMR_VAL_EXT | F_RESET_REG_SUP);
    put_gas_io(o, 8, GAS_BYTE, d->reset_port);  /* 116 RESET_REG */
    put8(o, d->reset_value);                    /* 128 RESET_VALUE */
    put16(o, 0);                                /* 129 ARM_BOOT_ARCH */
    put8(o, FADT_MINOR);                        /* 131 FADT Minor Version */
    put64(o, 0);                                /* 132 X_FIRMWARE_CTRL: FACS below 4G */
    put64(o, dsdt);                             /* 140 X_DSDT, equal to DSDT */
    /* 148.. X_ blocks: bit widths equal to the _LEN fields, which ACPICA
     * checks ("32/64X length mismatch"). */
    put_gas_io(o, ACPI_TABLES_PM1_EVT_LEN * 8, GAS_WORD, d->pm1a_evt_port);
    put_zero(o, 12);                            /* 160 X_PM1b_EVT_BLK */
    put_gas_io(o, ACPI_TABLES_PM1_CNT_LEN * 8, GAS_WORD, d->pm1a_cnt_port);
    put_zero(o, 12);                            /* 184 X_PM1b_CNT_BLK */
    put_zero(o, 12);                            /* 196 X_PM2_CNT_BLK */
    put_gas_io(o, ACPI_TABLES_PM_TMR_LEN * 8, GAS_DWORD, d->pm_tmr_port);
    put_zero(o, 12);                            /* 220 X_GPE0_BLK */
    put_zero(o, 12);                            /* 232 X_GPE1_BLK */
    put_zero(o, 12);                            /* 244 SLEEP_CONTROL_REG (HW-reduced only) */
    put_zero(o, 12);                            /* 256 SLEEP_STATUS_REG */
    put_str(o, "HVHV\0\0\0\0", 8);              /* 268 Hypervisor Vendor Identity */
    acpi_table_end(o, start);
}

/* ---- MADT (5.2.12) ------------------------------------------------------- */

static uint32_t apic_id(const struct acpi_tables_desc *d, unsigned i)
{
    return d->apic_ids ? d->apic_ids[i] : i;
}

static void put_iso(struct acpi_out *o, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    put8(o, 2);                                 /* Interrupt Source Override */
    put8(o, 10);
    put8(o, 0);                                 /* bus: ISA */
    put8(o, irq);
    put32(o, gsi);
    put16(o, flags);
}

static void emit_madt(struct acpi_out *o)
{
    const struct acpi_tables_desc *d = o->d;
    size_t start = acpi_table_begin(o, "APIC", MADT_REV);
    bool any_x2 = false;

    o->got.madt = start;
    put32(o, ACPI_TABLES_LAPIC_ADDR);
    put32(o, 1);                                /* PCAT_COMPAT: the 8259 pair exists */

    /* 5.2.12.2 / 5.2.12.12: UID = vCPU index, the _UID of device Cnnn. */
    for (unsigned i = 0; i < d->vcpus; i++) {
        uint32_t id = apic_id(d, i);
        if (id < 255) {
            put8(o, 0);
            put8(o, 8);
            put8(o, (uint8_t)i);
            put8(o, (uint8_t)id);
            put32(o, 1);                        /* Enabled */
        } else {
            any_x2 = true;
            put8(o, 9);
            put8(o, 16);
            put16(o, 0);
            put32(o, id);
            put32(o, 1);
            put32(o, i);
        }
    }

    put8(o, 1);                                 /* I/O APIC (5.2.12.3) */
    put8(o, 12);
    put8(o, d->ioapic_id);
    put8(o, 0);
    put32(o, d->ioapic_address);
    put32(o, d->ioapic_gsi_base);

    /* 5.2.12.5: the PIT's IRQ 0 is pin 2 of the I/O APIC, as on every PC
     * since the 8259 cascade took pin 0's place; ISA edge, active high. */
    put_iso(o, 0, 2, INTI_EDGE | INTI_HIGH);
    /* The SCI is level-triggered (5.2.9 SCI_INT: "sharable, level,
     * active low" is only the default when no override exists). Active
     * high is what the PIIX/ICH chipsets deliver to the I/O APIC and what
     * QEMU declares, so the Linux path is the common one, and the I/O APIC
     * model asserts the pin as 1 with no inversion. */
    put_iso(o, d->sci_irq, d->sci_irq, INTI_LEVEL | INTI_HIGH);

    /* 5.2.12.7: LINT1 of every CPU is NMI (Linux warns "NMI not connected
     * to LINT 1!" otherwise); edge, active high. The x2APIC form covers
     * the CPUs that only have an x2APIC entry (5.2.12.13). */
    put8(o, 4);
    put8(o, 6);
    put8(o, 0xff);                              /* all processors */
    put16(o, INTI_EDGE | INTI_HIGH);
    put8(o, 1);
    if (any_x2) {
        put8(o, 10);
        put8(o, 12);
        put16(o, INTI_EDGE | INTI_HIGH);
        put32(o, 0xffffffff);
        put8(o, 1);
        put_zero(o, 3);
    }
    acpi_table_end(o, start);
}

/* ---- XSDT (5.2.8) and RSDT (5.2.7) --------------------------------------- */

static void emit_xsdt(struct acpi_out *o)
{
    size_t start = acpi_table_begin(o, "XSDT", XSDT_REV);

    o->got.xsdt = start;
    put64(o, gpa(o, o->at.fadt));
    put64(o, gpa(o, o->at.madt));
    acpi_table_end(o, start);
}

/* For ACPI 1.0 readers and Linux's acpi=rsdt; OSPM uses the XSDT. */
static void emit_rsdt(struct acpi_out *o)
{
    size_t start = acpi_table_begin(o, "RSDT", RSDT_REV);

    o->got.rsdt = start;
    put32(o, (uint32_t)gpa(o, o->at.fadt));
    put32(o, (uint32_t)gpa(o, o->at.madt));
    acpi_table_end(o, start);
}

static void emit_all(struct acpi_out *o)
{
    align_to(o, 16);
    emit_rsdp(o);
    align_to(o, 64);
    emit_facs(o);
    align_to(o, 16);
    acpi_dsdt_emit(o);
    align_to(o, 16);
    emit_fadt(o);
    align_to(o, 16);
    emit_madt(o);
    align_to(o, 16);
    emit_xsdt(o);
    align_to(o, 16);
    emit_rsdt(o);
    o->got.end = o->pos;
}

/* ---- checks and entry points --------------------------------------------- */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) __printf(4, 5);
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        hv_vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool ports_overlap(uint16_t a, unsigned alen, uint16_t b, unsigned blen)
{
    return (uint32_t)a < (uint32_t)b + blen && (uint32_t)b < (uint32_t)a + alen;
}

static int check_desc(const struct acpi_tables_desc *d, char *err, size_t errlen)
{
    const int E = ACPI_TABLES_E_INVAL;

    if (!d)
        return fail(err, errlen, E, "acpi tables: no description");
    if (d->vcpus < 1 || d->vcpus > ACPI_TABLES_MAX_VCPUS)
        return fail(err, errlen, E, "acpi tables: %u vCPUs (1 to %u can be described)",
                    d->vcpus, ACPI_TABLES_MAX_VCPUS);
    for (unsigned i = 0; i < d->vcpus; i++) {
        uint32_t id = apic_id(d, i);
        if (id == 0xffffffff)
            return fail(err, errlen, E, "acpi tables: vCPU %u: APIC ID 0xffffffff is the "
                        "broadcast ID", i);
        for (unsigned j = 0; j < i; j++)
            if (apic_id(d, j) == id)
                return fail(err, errlen, E, "acpi tables: vCPUs %u and %u have the same "
                            "APIC ID %u", j, i, id);
    }
    if (!d->ioapic_address)
        return fail(err, errlen, E, "acpi tables: I/O APIC at address 0");
    if (d->sci_irq == 0 || d->sci_irq == 2 || d->sci_irq > 15)
        return fail(err, errlen, E, "acpi tables: SCI on IRQ %u (an ISA IRQ other than the "
                    "timer's 0 and the cascade's 2)", d->sci_irq);
    uint64_t gb = d->ioapic_gsi_base;
    if (gb > 2 || gb + ACPI_TABLES_IOAPIC_PINS <= d->sci_irq)
        return fail(err, errlen, E, "acpi tables: the I/O APIC's pins (GSI %u-%llu) do not "
                    "cover GSI 2 (timer) and %u (SCI)", d->ioapic_gsi_base,
                    (ull)(gb + ACPI_TABLES_IOAPIC_PINS - 1), d->sci_irq);

    static const char *const name[] = { "PM1a_EVT", "PM1a_CNT", "PM_TMR", "reset" };
    uint16_t port[] = { d->pm1a_evt_port, d->pm1a_cnt_port, d->pm_tmr_port, d->reset_port };
    unsigned len[] = { ACPI_TABLES_PM1_EVT_LEN, ACPI_TABLES_PM1_CNT_LEN,
                       ACPI_TABLES_PM_TMR_LEN, 1 };
    for (unsigned i = 0; i < 4; i++) {
        if (!port[i] || (uint32_t)port[i] + len[i] > 0x10000)
            return fail(err, errlen, E, "acpi tables: %s port %#x (%u bytes) is not a usable "
                        "I/O range", name[i], port[i], len[i]);
        for (unsigned j = 0; j < i; j++)
            if (ports_overlap(port[j], len[j], port[i], len[i]))
                return fail(err, errlen, E, "acpi tables: %s ports %#x-%#x overlap %s at "
                            "%#x-%#x", name[i], port[i], port[i] + len[i] - 1, name[j],
                            port[j], port[j] + len[j] - 1);
    }
    /* CMOS indexes 0x00-0x0d are the RTC's registers; 0x80 and up are not
     * reachable through port 0x70's 7-bit index. */
    if (d->century && (d->century < 0x0e || d->century > 0x7f))
        return fail(err, errlen, E, "acpi tables: century CMOS index %#x (0x0e-0x7f, or 0 "
                    "for none)", d->century);
    return 0;
}

static void measure(const struct acpi_tables_desc *d, uint64_t base, struct acpi_offs *at)
{
    struct acpi_out o = { .buf = NULL, .base = base, .d = d };

    emit_all(&o);
    *at = o.got;
}

void acpi_tables_pc_defaults(struct acpi_tables_desc *d, unsigned vcpus)
{
    memset(d, 0, sizeof(*d));
    d->vcpus = vcpus;
    d->apic_ids = NULL;
    d->ioapic_id = 0;
    d->ioapic_address = ACPI_TABLES_IOAPIC_ADDR;
    d->ioapic_gsi_base = 0;
    d->pm1a_evt_port = ACPI_TABLES_PM1A_EVT;
    d->pm1a_cnt_port = ACPI_TABLES_PM1A_CNT;
    d->pm_tmr_port = ACPI_TABLES_PM_TMR;
    d->reset_port = ACPI_TABLES_RESET_PORT;
    d->reset_value = ACPI_TABLES_RESET_VALUE;
    d->sci_irq = ACPI_TABLES_SCI_IRQ;
    d->century = ACPI_TABLES_CENTURY;
    d->pvpanic_port = ACPI_TABLES_PVPANIC_PORT;
}

size_t acpi_tables_size(const struct acpi_tables_desc *d, uint64_t base)
{
    struct acpi_offs at;

    if (check_desc(d, NULL, 0))
        return 0;
    measure(d, base, &at);
    return at.end;
}

int acpi_tables_build(const struct acpi_tables_desc *d, uint64_t base, uint8_t *buf,
                      size_t size, struct acpi_tables_layout *out, char *err, size_t errlen)
{
    struct acpi_offs at;

    if (!buf || !out)
        return fail(err, errlen, ACPI_TABLES_E_INVAL, "acpi tables: no buffer or result");
    int rc = check_desc(d, err, errlen);
    if (rc)
        return rc;
    measure(d, base, &at);
    if (at.end > size)
        return fail(err, errlen, ACPI_TABLES_E_NO_SPACE,
                    "acpi tables: %u vCPUs need %zu bytes at %#llx, only %zu available",
                    d->vcpus, at.end, (ull)base, size);
    uint64_t rsdp = base + at.rsdp;
    if (rsdp < ACPI_TABLES_BIOS_START || rsdp + RSDP_LEN > ACPI_TABLES_BIOS_END)
        return fail(err, errlen, ACPI_TABLES_E_PLACEMENT,
                    "acpi tables: RSDP at %#llx is outside %#llx-%#llx, where the legacy "
                    "scan looks (ACPI 5.2.5.1)", (ull)rsdp, ACPI_TABLES_BIOS_START,
                    ACPI_TABLES_BIOS_END - 1);
    /* The RSDT, FADT.DSDT and FIRMWARE_CTRL hold 32-bit addresses: with
     * the RSDP below 1 MiB, the few KiB after it are far below 4 GiB. */

    struct acpi_out o = { .buf = buf, .cap = size, .base = base, .d = d, .at = at };
    emit_all(&o);
    out->rsdp = base + o.got.rsdp;
    out->facs = base + o.got.facs;
    out->dsdt = base + o.got.dsdt;
    out->fadt = base + o.got.fadt;
    out->madt = base + o.got.madt;
    out->xsdt = base + o.got.xsdt;
    out->rsdt = base + o.got.rsdt;
    out->used = o.got.end;
    return 0;
}
