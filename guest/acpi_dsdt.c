/*
 * The DSDT of the generated ACPI tables (5.2.11.1): AML written directly,
 * as iasl compiles it with optimizations off (each package length in its
 * shortest encoding, computed before the package is written, so one pass
 * suffices). Pure logic; the shared writers are in acpi_build.h. Section
 * numbers refer to ACPI 6.5.
 */
#include "acpi_build.h"

#define DSDT_REV        2       /* 2 and later: 64-bit AML integers (19.6.28) */

/* AML opcodes (20.2). */
#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_NAME        0x08
#define AML_BYTE        0x0a
#define AML_WORD        0x0b
#define AML_DWORD       0x0c
#define AML_STRING      0x0d
#define AML_SCOPE       0x10
#define AML_BUFFER      0x11
#define AML_PACKAGE     0x12
#define AML_ROOT        0x5c
#define AML_EXT         0x5b
#define AML_DEVICE      0x82    /* after AML_EXT */

/* Bytes of a PkgLength (20.2.4) whose package has `inner` bytes after it:
 * the encoded value counts the PkgLength itself. */
static unsigned pkglen_bytes(size_t inner)
{
    if (inner + 1 <= 0x3f)
        return 1;
    if (inner + 2 <= 0xfff)
        return 2;
    if (inner + 3 <= 0xfffff)
        return 3;
    return 4;
}

static void aml_pkglen(struct acpi_out *o, size_t inner)
{
    unsigned n = pkglen_bytes(inner);
    size_t v = inner + n;

    if (n == 1) {
        put8(o, (uint8_t)v);
        return;
    }
    put8(o, (uint8_t)(((n - 1) << 6) | (v & 0x0f)));
    for (unsigned k = 1; k < n; k++)
        put8(o, (uint8_t)(v >> (4 + 8 * (k - 1))));
}

/* ComputationalData integer (20.2.3), shortest encoding. */
static size_t aml_int_len(uint32_t v)
{
    if (v <= 1)
        return 1;
    if (v <= 0xff)
        return 2;
    if (v <= 0xffff)
        return 3;
    return 5;
}

static void aml_int(struct acpi_out *o, uint32_t v)
{
    if (v <= 1) {
        put8(o, v ? AML_ONE : AML_ZERO);
    } else if (v <= 0xff) {
        put8(o, AML_BYTE);
        put8(o, (uint8_t)v);
    } else if (v <= 0xffff) {
        put8(o, AML_WORD);
        put16(o, (uint16_t)v);
    } else {
        put8(o, AML_DWORD);
        put32(o, v);
    }
}

#define CPU_HID         "ACPI0007"      /* processor device (8.4) */
#define HID_LEN         (1 + 4 + 1 + 8 + 1) /* NameOp _HID StringPrefix "..." NUL */

/* The body of Device(Cnnn) { Name(_HID, "ACPI0007") Name(_UID, uid) }:
 * everything after its PkgLength. */
static size_t cpu_dev_inner(uint32_t uid)
{
    return 4 + HID_LEN + 1 + 4 + aml_int_len(uid);
}

static size_t cpu_dev_len(uint32_t uid)
{
    size_t inner = cpu_dev_inner(uid);

    return 2 + pkglen_bytes(inner) + inner;
}

/*
 * One processor device per vCPU (8.4, 19.6.30: Processor() is deprecated
 * since ACPI 6.0): its _UID is the MADT entry's ACPI Processor UID, which
 * is how Linux ties the namespace object to the CPU (no _MAT needed).
 */
static void aml_cpu_dev(struct acpi_out *o, unsigned i)
{
    static const char hex[] = "0123456789ABCDEF";

    put8(o, AML_EXT);
    put8(o, AML_DEVICE);
    aml_pkglen(o, cpu_dev_inner(i));
    put8(o, 'C');
    put8(o, (uint8_t)hex[(i >> 8) & 0xf]);
    put8(o, (uint8_t)hex[(i >> 4) & 0xf]);
    put8(o, (uint8_t)hex[i & 0xf]);
    put8(o, AML_NAME);
    put_str(o, "_HID", 4);
    put8(o, AML_STRING);
    put_str(o, CPU_HID, 9);                     /* with its NUL */
    put8(o, AML_NAME);
    put_str(o, "_UID", 4);
    aml_int(o, i);
}

/*
 * Device (PEVT) {
 *     Name (_HID, "QEMU0001")
 *     Name (_CRS, ResourceTemplate () { IO (Decode16, port, port, 1, 1) })
 * }
 * The pvpanic device (QEMU docs/specs/pvpanic.txt): _CRS is a buffer with
 * one I/O port descriptor (6.4.2.5: 0x47, decode 16-bit, min, max,
 * alignment, length) and the end tag (6.4.2.9: 0x79, checksum 0, which
 * means "treat as correct").
 */
#define PVPANIC_CRS_LEN 10
#define PVPANIC_INNER   (4 + HID_LEN + (1 + 4 + 1 + 1 + 2 + PVPANIC_CRS_LEN))

static size_t pvpanic_dev_len(const struct acpi_tables_desc *d)
{
    return d->pvpanic_port ? 2 + pkglen_bytes(PVPANIC_INNER) + PVPANIC_INNER : 0;
}

static void aml_pvpanic_dev(struct acpi_out *o, uint16_t port)
{
    put8(o, AML_EXT);
    put8(o, AML_DEVICE);
    aml_pkglen(o, PVPANIC_INNER);
    put_str(o, "PEVT", 4);
    put8(o, AML_NAME);
    put_str(o, "_HID", 4);
    put8(o, AML_STRING);
    put_str(o, "QEMU0001", 9);                  /* with its NUL */
    put8(o, AML_NAME);
    put_str(o, "_CRS", 4);
    put8(o, AML_BUFFER);
    aml_pkglen(o, 2 + PVPANIC_CRS_LEN);
    put8(o, AML_BYTE);
    put8(o, PVPANIC_CRS_LEN);
    put8(o, 0x47);                              /* I/O port descriptor, 7 bytes */
    put8(o, 0x01);                              /* decodes 16 address bits */
    put16(o, port);
    put16(o, port);
    put8(o, 1);                                 /* alignment */
    put8(o, 1);                                 /* length */
    put8(o, 0x79);                              /* end tag */
    put8(o, 0);
}

/*
 * DefinitionBlock ("", "DSDT", 2, "HVHV  ", "HVGUEST ", 1) {
 *     Scope (\_SB) { Device (C000) { ... } ... Device (PEVT) { ... } }
 *     Name (\_S5, Package (4) { SLP_TYP, SLP_TYP, 0, 0 })
 * }
 * \_S5 (7.4.2.6): SLP_TYPa for PM1a_CNT, SLP_TYPb for the absent PM1b
 * (same value, ignored), two reserved zeros. A PCI root bridge (PNP0A03
 * with _CRS and _PRT) joins \_SB with the PCI model; until then Linux
 * probes the host bridge through 0xcf8 without ACPI.
 */
void acpi_dsdt_emit(struct acpi_out *o)
{
    const struct acpi_tables_desc *d = o->d;
    size_t start = acpi_table_begin(o, "DSDT", DSDT_REV);

    o->got.dsdt = start;

    size_t devs = 0;
    for (unsigned i = 0; i < d->vcpus; i++)
        devs += cpu_dev_len(i);
    devs += pvpanic_dev_len(d);
    put8(o, AML_SCOPE);
    aml_pkglen(o, 1 + 4 + devs);
    put8(o, AML_ROOT);
    put_str(o, "_SB_", 4);
    for (unsigned i = 0; i < d->vcpus; i++)
        aml_cpu_dev(o, i);
    if (d->pvpanic_port)
        aml_pvpanic_dev(o, d->pvpanic_port);

    uint32_t t = ACPI_TABLES_SLP_TYP_S5;
    put8(o, AML_NAME);
    put8(o, AML_ROOT);
    put_str(o, "_S5_", 4);
    put8(o, AML_PACKAGE);
    aml_pkglen(o, 1 + 2 * aml_int_len(t) + 2);
    put8(o, 4);                                 /* NumElements */
    aml_int(o, t);
    aml_int(o, t);
    aml_int(o, 0);
    aml_int(o, 0);
    acpi_table_end(o, start);
}
