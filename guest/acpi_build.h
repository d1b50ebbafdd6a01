/*
 * What the two halves of the ACPI table generator share (private to
 * guest/): the output cursor and its byte writers, the table header, and
 * the DSDT emitter. guest/acpi_tables.c writes the fixed-layout tables and
 * drives the two runs (measure, then write), guest/acpi_dsdt.c the AML.
 */
#ifndef GUEST_ACPI_BUILD_H
#define GUEST_ACPI_BUILD_H

#include <hv/acpi_tables.h>

/* Where each table starts, as offsets from base. */
struct acpi_offs {
    size_t rsdp, facs, dsdt, fadt, madt, xsdt, rsdt, end;
};

struct acpi_out {
    uint8_t *buf;               /* NULL: only measure */
    size_t cap;
    size_t pos;
    uint64_t base;
    const struct acpi_tables_desc *d;
    struct acpi_offs at;        /* addresses to write (from the measuring run) */
    struct acpi_offs got;       /* where this run put the tables */
};

static inline void put8(struct acpi_out *o, uint8_t v)
{
    if (o->buf && o->pos < o->cap)
        o->buf[o->pos] = v;
    o->pos++;
}

static inline void put16(struct acpi_out *o, uint16_t v)
{
    put8(o, (uint8_t)v);
    put8(o, (uint8_t)(v >> 8));
}

static inline void put32(struct acpi_out *o, uint32_t v)
{
    put16(o, (uint16_t)v);
    put16(o, (uint16_t)(v >> 16));
}

static inline void put64(struct acpi_out *o, uint64_t v)
{
    put32(o, (uint32_t)v);
    put32(o, (uint32_t)(v >> 32));
}

static inline void put_str(struct acpi_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(o, (uint8_t)s[i]);
}

static inline void put_zero(struct acpi_out *o, size_t n)
{
    while (n--)
        put8(o, 0);
}

/* 5.2.6 header with this generator's identification; acpi_table_end()
 * fills in the length and the checksum. Returns the table's offset. */
size_t acpi_table_begin(struct acpi_out *o, const char *sig, uint8_t rev);
void acpi_table_end(struct acpi_out *o, size_t start);

/* The DSDT: \_SB with a processor device per vCPU, and \_S5. */
void acpi_dsdt_emit(struct acpi_out *o);

#endif
