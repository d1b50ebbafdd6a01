/*
 * The per-guest ACPI table generator (guest/acpi_tables.c), checked by
 * reading its output back with the host's own parser (drivers/acpi.c):
 * the legacy RSDP scan, every checksum, the MADT's CPUs, the FADT's PM
 * blocks and reset register, \_S5. What the parser does not look at (the
 * RSDT, the FACS, the AML's package lengths) is checked here directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hv/acpi.h>
#include <hv/acpi_tables.h>

#define AREA_BASE 0xe0000ULL
#define AREA_SIZE 0x20000       /* 0xe0000-0xfffff */
#define FILL      0x5a          /* what the buffer held before */

/* ---- guest memory: the BIOS area only ----------------------------------- */

struct gmem {
    uint64_t base;
    size_t size;
    uint8_t *data;
};

static struct gmem gm;

/* Exactly the requested bytes of the area, or NULL; the area is its own
 * heap block, so a read past its end is an ASan error. */
static const void *gm_map(void *ctx, uint64_t phys, size_t len)
{
    struct gmem *g = ctx;

    if (phys < g->base || len > g->size || phys - g->base > g->size - len)
        return NULL;
    return g->data + (phys - g->base);
}

static const struct acpi_mem mem = { .map = gm_map, .ctx = &gm };

static uint8_t *G(uint64_t phys)
{
    assert_true(phys >= gm.base && phys - gm.base < gm.size);
    return gm.data + (phys - gm.base);
}

static int setup(void **state)
{
    (void)state;
    gm.base = AREA_BASE;
    gm.size = AREA_SIZE;
    gm.data = malloc(AREA_SIZE);
    assert_non_null(gm.data);
    memset(gm.data, FILL, AREA_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(gm.data);
    gm.data = NULL;
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static char logs[64][256];
static int nlogs;

static void cap_log(void *ctx, const char *msg)
{
    (void)ctx;
    if (nlogs < 64)
        snprintf(logs[nlogs++], sizeof(logs[0]), "%s", msg);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* A standard header (5.2.6) at phys: signature, length within `used`,
 * checksum, identification. Returns its length. */
static uint32_t check_header(uint64_t phys, const char *sig, uint8_t rev,
                             const struct acpi_tables_layout *l)
{
    const uint8_t *t = G(phys);
    uint32_t len = rd32(t + 4);

    assert_memory_equal(t, sig, 4);
    assert_true(len >= 36);
    assert_true(phys - AREA_BASE + len <= l->used);
    assert_int_equal(t[8], rev);
    assert_int_equal(sum(t, len), 0);
    assert_memory_equal(t + 10, "HVHV  ", 6);
    assert_memory_equal(t + 16, "HVGUEST ", 8);
    assert_int_equal(rd32(t + 24), 1);
    assert_memory_equal(t + 28, "HVHV", 4);
    assert_int_equal(rd32(t + 32), 1);
    return len;
}

/* PkgLength (20.2.4) at *pos; returns the package end. */
static size_t pkg_end(const uint8_t *a, size_t *pos)
{
    size_t p = *pos, v;
    unsigned n = a[p] >> 6;

    if (n == 0) {
        v = a[p] & 0x3f;
    } else {
        assert_int_equal(a[p] & 0x30, 0);
        v = a[p] & 0x0f;
        for (unsigned k = 0; k < n; k++)
            v |= (size_t)a[p + 1 + k] << (4 + 8 * k);
    }
    /* the shortest encoding, as iasl writes it */
    if (n > 0)
        assert_true(v > (n == 1 ? 0x3fu : n == 2 ? 0xfffu : 0xfffffu));
    *pos = p + 1 + n;
    return p + v;
}

/*
 * Walk the DSDT's AML: Scope(\_SB) holding exactly `vcpus` Device(Cnnn)
 * with _HID "ACPI0007" and _UID n, then the pvpanic Device(PEVT), each
 * package ending where the next term starts, then Name(\_S5, Package(4){...}) ending at the table end.
 */
static void check_dsdt_aml(uint64_t dsdt, unsigned vcpus)
{
    const uint8_t *t = G(dsdt);
    size_t len = rd32(t + 4), p = 36;

    assert_int_equal(t[p++], 0x10);                     /* ScopeOp */
    size_t scope_end = pkg_end(t, &p);
    assert_memory_equal(t + p, "\\_SB_", 5);
    p += 5;
    unsigned n = 0;
    bool pevt_seen = false;
    while (p < scope_end) {
        char name[5];
        if (!pevt_seen && p + 6 < scope_end && memcmp(t + p + 3, "PEVT", 4) == 0) {
            /* the pvpanic device, last in \_SB */
            p += 2;
            size_t dev_end = pkg_end(t, &p);
            static const uint8_t pevt[] = "PEVT\x08_HID\x0dQEMU0001\0\x08_CRS\x11\x0d\x0a\x0a"
                                          "\x47\x01\x05\x05\x05\x05\x01\x01\x79\x00";
            assert_int_equal(dev_end - p, sizeof(pevt) - 1);
            assert_memory_equal(t + p, pevt, sizeof(pevt) - 1);
            p = dev_end;
            pevt_seen = true;
            continue;
        }
        assert_false(pevt_seen);                        /* the CPUs come first */
        assert_int_equal(t[p], 0x5b);
        assert_int_equal(t[p + 1], 0x82);                /* DeviceOp */
        p += 2;
        size_t dev_end = pkg_end(t, &p);
        snprintf(name, sizeof(name), "C%03X", n);
        assert_memory_equal(t + p, name, 4);
        p += 4;
        assert_memory_equal(t + p, "\x08_HID\x0d" "ACPI0007", 14);
        p += 14;
        assert_int_equal(t[p++], 0);
        assert_memory_equal(t + p, "\x08_UID", 5);
        p += 5;
        uint32_t uid;
        switch (t[p]) {
        case 0x00: uid = 0; p += 1; break;
        case 0x01: uid = 1; p += 1; break;
        case 0x0a: uid = t[p + 1]; p += 2; break;
        case 0x0b: uid = rd16(t + p + 1); p += 3; break;
        default: fail_msg("_UID encoding %#x", t[p]);
        }
        assert_int_equal(uid, n);
        assert_int_equal(p, dev_end);
        n++;
    }
    assert_int_equal(p, scope_end);
    assert_int_equal(n, vcpus);
    assert_true(pevt_seen);                             /* every test uses the PC defaults */

    assert_memory_equal(t + p, "\x08\\_S5_\x12", 7);
    p += 7;
    size_t pkg = pkg_end(t, &p);
    assert_int_equal(pkg, len);
    assert_int_equal(t[p++], 4);
    assert_memory_equal(t + p, "\x0a\x05\x0a\x05\x00\x00", 6);
    assert_int_equal(p + 6, len);
}

/* ---- the full round trip ------------------------------------------------ */

static void build_ok(const struct acpi_tables_desc *d, uint64_t base, size_t size,
                     struct acpi_tables_layout *l)
{
    char err[160] = "";
    int rc = acpi_tables_build(d, base, G(base), size, l, err, sizeof(err));
    if (rc)
        fail_msg("build failed (%d): %s", rc, err);
    assert_int_equal(l->used, acpi_tables_size(d, base));
    /* past `used`: untouched */
    for (size_t i = l->used; i < size && i < l->used + 256; i++)
        assert_int_equal(*G(base + i), FILL);
}

static struct acpi_info info;

static void roundtrip(unsigned vcpus)
{
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;

    acpi_tables_pc_defaults(&d, vcpus);
    build_ok(&d, AREA_BASE, AREA_SIZE, &l);

    /* RSDP: where the legacy scan finds it, both checksums (5.2.5.3). */
    uint64_t rsdp = 0;
    assert_true(acpi_find_rsdp_legacy(&mem, &rsdp));
    assert_int_equal(rsdp, l.rsdp);
    assert_int_equal(rsdp % 16, 0);
    const uint8_t *r = G(rsdp);
    assert_int_equal(sum(r, 20), 0);
    assert_int_equal(sum(r, 36), 0);
    assert_int_equal(r[15], 2);
    assert_int_equal(rd32(r + 20), 36);
    assert_int_equal(rd64(r + 24), l.xsdt);
    assert_int_equal(rd32(r + 16), l.rsdt);

    nlogs = 0;
    assert_int_equal(acpi_parse(&mem, rsdp, &info, cap_log, NULL), 0);
    for (int i = 0; i < nlogs; i++)
        fprintf(stderr, "  log: %s\n", logs[i]);
    assert_int_equal(nlogs, 0);
    assert_int_equal(info.revision, 2);
    assert_string_equal(info.oem_id, "HVHV");
    assert_true(info.xsdt_used);
    assert_int_equal(info.root_table, l.xsdt);
    assert_int_equal(info.root_entries, 2);
    assert_int_equal(info.table_count, 3);
    for (unsigned i = 0; i < info.table_count; i++) {
        assert_true(info.tables[i].valid);
        assert_int_equal(info.tables[i].status, ACPI_TABLE_OK);
    }
    assert_string_equal(info.tables[0].sig, "FACP");
    assert_string_equal(info.tables[1].sig, "APIC");
    assert_string_equal(info.tables[2].sig, "DSDT");

    /* MADT: one enabled CPU per vCPU, the I/O APIC, two overrides, LINT1. */
    const struct acpi_madt *m = &info.madt;
    assert_true(m->present);
    assert_int_equal(m->table, l.madt);
    assert_int_equal(m->lapic_address, 0xfee00000);
    assert_false(m->lapic_override);
    assert_true(m->pcat_compat);
    assert_false(m->walk_stopped);
    assert_int_equal(m->cpu_count, vcpus);
    assert_int_equal(m->cpus_enabled, vcpus);
    assert_int_equal(m->cpus_disabled + m->cpus_duplicate + m->cpus_dropped, 0);
    for (unsigned i = 0; i < vcpus; i++) {
        assert_int_equal(m->cpus[i].apic_id, i);
        assert_int_equal(m->cpus[i].acpi_uid, i);
        assert_true(m->cpus[i].enabled);
        assert_false(m->cpus[i].x2apic);
    }
    assert_int_equal(m->ioapic_count, 1);
    assert_int_equal(m->ioapics[0].id, 0);
    assert_int_equal(m->ioapics[0].address, 0xfec00000);
    assert_int_equal(m->ioapics[0].gsi_base, 0);
    assert_int_equal(m->iso_count, 2);
    assert_int_equal(m->isos[0].bus, 0);
    assert_int_equal(m->isos[0].source, 0);
    assert_int_equal(m->isos[0].gsi, 2);
    assert_int_equal(m->isos[0].flags, 0x0005);         /* edge, active high */
    assert_int_equal(m->isos[1].source, 9);
    assert_int_equal(m->isos[1].gsi, 9);
    assert_int_equal(m->isos[1].flags, 0x000d);         /* level, active high */
    assert_int_equal(m->nmi_count, 1);
    assert_int_equal(m->nmis[0].acpi_uid, 0xff);
    assert_int_equal(m->nmis[0].lint, 1);
    assert_false(m->nmis[0].x2apic);
    /* header + entries, nothing else */
    assert_int_equal(rd32(G(l.madt) + 4), 44 + 8 * vcpus + 12 + 2 * 10 + 6);

    /* FADT: full (not hardware-reduced), PM blocks, timer, reset. */
    const struct acpi_fadt *f = &info.fadt;
    assert_true(f->present);
    assert_int_equal(f->table, l.fadt);
    assert_int_equal(f->revision, 6);
    assert_int_equal(f->length, 276);
    assert_int_equal(G(l.fadt)[131], 3);                /* minor version: 6.3 */
    assert_false(f->flags & ACPI_FADT_HW_REDUCED);
    assert_int_equal(f->sci_int, 9);
    assert_int_equal(f->smi_cmd, 0);
    assert_int_equal(f->pm1a_evt_port, 0x600);
    assert_int_equal(f->pm1a_cnt_port, 0x604);
    assert_int_equal(f->pm_timer_port, 0x608);
    assert_int_equal(f->pm1a_evt.bit_width, 32);
    assert_int_equal(f->pm1a_cnt.bit_width, 16);
    assert_int_equal(f->pm_tmr.bit_width, 32);
    assert_int_equal(f->pm1b_evt_port + f->pm1b_cnt_port, 0);
    assert_true(f->pm_timer_32bit);
    assert_true(f->reset_supported);
    assert_int_equal(f->reset_reg.space_id, ACPI_GAS_IO);
    assert_int_equal(f->reset_reg.bit_width, 8);
    assert_int_equal(f->reset_reg.bit_offset, 0);
    assert_int_equal(f->reset_reg.access_size, 1);
    assert_int_equal(f->reset_reg.address, 0xcf9);
    assert_int_equal(f->reset_value, 0x06);
    assert_int_equal(f->dsdt, l.dsdt);
    assert_true(f->dsdt_valid);
    assert_true(f->boot_arch_valid);
    assert_true(f->legacy_devices);
    assert_false(f->has_8042);
    assert_true(f->iapc_boot_arch & BIT(2));            /* VGA not present */
    assert_false(f->iapc_boot_arch & BIT(5));           /* the CMOS RTC is there */
    /* the 32-bit fields agree with the X_ ones (ACPICA warns otherwise) */
    const uint8_t *ft = G(l.fadt);
    assert_int_equal(rd32(ft + 40), rd64(ft + 140));
    assert_int_equal(rd32(ft + 56), rd64(ft + 148 + 4));
    assert_int_equal(rd32(ft + 64), rd64(ft + 172 + 4));
    assert_int_equal(rd32(ft + 76), rd64(ft + 208 + 4));
    assert_int_equal(rd32(ft + 36), l.facs);            /* FIRMWARE_CTRL */
    assert_int_equal(rd64(ft + 132), 0);                /* X_FIRMWARE_CTRL */
    assert_int_equal(ft[108], 0x32);                    /* CENTURY */

    /* \_S5 */
    assert_true(info.s5.found);
    assert_false(info.s5.in_ssdt);
    assert_int_equal(info.s5.slp_typa, ACPI_TABLES_SLP_TYP_S5);
    assert_int_equal(info.s5.slp_typb, ACPI_TABLES_SLP_TYP_S5);

    /* What the parser does not check. */
    check_header(l.xsdt, "XSDT", 1, &l);
    check_header(l.fadt, "FACP", 6, &l);
    check_header(l.madt, "APIC", 5, &l);
    check_header(l.dsdt, "DSDT", 2, &l);
    assert_int_equal(check_header(l.rsdt, "RSDT", 1, &l), 44);
    assert_int_equal(rd32(G(l.rsdt) + 36), l.fadt);
    assert_int_equal(rd32(G(l.rsdt) + 40), l.madt);
    assert_int_equal(rd64(G(l.xsdt) + 36), l.fadt);
    assert_int_equal(rd64(G(l.xsdt) + 44), l.madt);
    assert_int_equal(l.facs % 64, 0);
    assert_memory_equal(G(l.facs), "FACS", 4);
    assert_int_equal(rd32(G(l.facs) + 4), 64);
    assert_int_equal(G(l.facs)[32], 2);
    check_dsdt_aml(l.dsdt, vcpus);
}

static void test_1_vcpu(void **state)
{
    (void)state;
    roundtrip(1);
}

static void test_2_vcpus(void **state)
{
    (void)state;
    roundtrip(2);
}

static void test_16_vcpus(void **state)
{
    (void)state;
    roundtrip(16);
}

static void test_64_vcpus(void **state)
{
    (void)state;
    roundtrip(64);
}

/* 255 devices: the \_SB scope's PkgLength needs three bytes. */
static void test_max_vcpus(void **state)
{
    (void)state;
    roundtrip(ACPI_TABLES_MAX_VCPUS);
    assert_true(rd32(G(info.fadt.dsdt) + 4) > 0xfff);
}

/* ---- space and placement ------------------------------------------------ */

static void test_no_space(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;
    char err[160];

    acpi_tables_pc_defaults(&d, 64);
    size_t need = acpi_tables_size(&d, AREA_BASE);
    assert_true(need > 0 && need < 8192);

    err[0] = 0;
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, G(AREA_BASE), need - 1, &l, err,
                                       sizeof(err)), ACPI_TABLES_E_NO_SPACE);
    char want[160];
    snprintf(want, sizeof(want), "acpi tables: 64 vCPUs need %zu bytes at 0xe0000, only %zu "
             "available", need, need - 1);
    assert_string_equal(err, want);
    for (size_t i = 0; i < need; i++)                   /* nothing written */
        assert_int_equal(*G(AREA_BASE + i), FILL);

    assert_int_equal(acpi_tables_build(&d, AREA_BASE, G(AREA_BASE), 0, &l, err, sizeof(err)),
                     ACPI_TABLES_E_NO_SPACE);
    /* exactly enough is enough */
    build_ok(&d, AREA_BASE, need, &l);
    assert_int_equal(l.used, need);
    /* a truncated error buffer still ends in NUL; none at all is fine */
    char small[8];
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, G(AREA_BASE), 10, &l, small,
                                       sizeof(small)), ACPI_TABLES_E_NO_SPACE);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, G(AREA_BASE), 10, &l, NULL, 0),
                     ACPI_TABLES_E_NO_SPACE);
}

static void test_placement(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;
    char err[160];
    static uint8_t scratch[8192];

    acpi_tables_pc_defaults(&d, 4);
    assert_int_equal(acpi_tables_build(&d, 0x80000, scratch, sizeof(scratch), &l, err,
                                       sizeof(err)), ACPI_TABLES_E_PLACEMENT);
    assert_string_equal(err, "acpi tables: RSDP at 0x80000 is outside 0xe0000-0xfffff, "
                        "where the legacy scan looks (ACPI 5.2.5.1)");
    assert_int_equal(acpi_tables_build(&d, 0xfffe0, scratch, sizeof(scratch), &l, err,
                                       sizeof(err)), ACPI_TABLES_E_PLACEMENT);
    assert_int_equal(acpi_tables_build(&d, 0xffffffffffffff00ULL, scratch, sizeof(scratch),
                                       &l, err, sizeof(err)), ACPI_TABLES_E_PLACEMENT);

    /* An unaligned base: the RSDP moves to the next 16 bytes, the FACS to
     * the next 64, and everything still parses. */
    build_ok(&d, 0xf0008, 0x10000 - 8, &l);
    assert_int_equal(l.rsdp, 0xf0010);
    assert_int_equal(l.facs % 64, 0);
    uint64_t rsdp;
    assert_true(acpi_find_rsdp_legacy(&mem, &rsdp));
    assert_int_equal(rsdp, 0xf0010);
    assert_int_equal(acpi_parse(&mem, rsdp, &info, NULL, NULL), 0);
    assert_int_equal(info.madt.cpu_count, 4);
    assert_true(info.s5.found);
    /* the size counts from the base: the FACS sits at the same 64-byte
     * boundary whether the base is 0xf0000 or 8 bytes later */
    assert_int_equal(acpi_tables_size(&d, 0xf0008), l.used);
    assert_int_equal(acpi_tables_size(&d, 0xf0000), l.used + 8);
}

/* ---- descriptions refused ----------------------------------------------- */

static void expect_inval(const struct acpi_tables_desc *d, const char *want)
{
    struct acpi_tables_layout l;
    char err[160] = "";

    assert_int_equal(acpi_tables_build(d, AREA_BASE, G(AREA_BASE), AREA_SIZE, &l, err,
                                       sizeof(err)), ACPI_TABLES_E_INVAL);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
    assert_int_equal(acpi_tables_size(d, AREA_BASE), 0);
    assert_int_equal(*G(AREA_BASE), FILL);
}

static void test_invalid(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;
    char err[160];

    expect_inval(NULL, "no description");
    acpi_tables_pc_defaults(&d, 0);
    expect_inval(&d, "0 vCPUs (1 to 255");
    acpi_tables_pc_defaults(&d, 256);
    expect_inval(&d, "256 vCPUs");

    uint32_t dup[] = { 0, 1, 2, 1 };
    acpi_tables_pc_defaults(&d, 4);
    d.apic_ids = dup;
    expect_inval(&d, "vCPUs 1 and 3 have the same APIC ID 1");
    uint32_t bcast[] = { 0, 0xffffffff };
    acpi_tables_pc_defaults(&d, 2);
    d.apic_ids = bcast;
    expect_inval(&d, "vCPU 1: APIC ID 0xffffffff");

    acpi_tables_pc_defaults(&d, 1);
    d.ioapic_address = 0;
    expect_inval(&d, "I/O APIC at address 0");
    acpi_tables_pc_defaults(&d, 1);
    d.ioapic_gsi_base = 8;
    expect_inval(&d, "GSI 8-31) do not cover GSI 2");
    acpi_tables_pc_defaults(&d, 1);
    d.sci_irq = 2;
    expect_inval(&d, "SCI on IRQ 2");
    d.sci_irq = 16;
    expect_inval(&d, "SCI on IRQ 16");
    d.sci_irq = 0;
    expect_inval(&d, "SCI on IRQ 0");

    acpi_tables_pc_defaults(&d, 1);
    d.pm1a_cnt_port = 0x602;
    expect_inval(&d, "PM1a_CNT ports 0x602-0x603 overlap PM1a_EVT at 0x600-0x603");
    acpi_tables_pc_defaults(&d, 1);
    d.reset_port = 0x609;
    expect_inval(&d, "reset ports 0x609-0x609 overlap PM_TMR at 0x608-0x60b");
    acpi_tables_pc_defaults(&d, 1);
    d.pm_tmr_port = 0;
    expect_inval(&d, "PM_TMR port 0 (4 bytes) is not a usable I/O range");
    d.pm_tmr_port = 0xfffd;
    expect_inval(&d, "PM_TMR port 0xfffd (4 bytes)");
    acpi_tables_pc_defaults(&d, 1);
    d.century = 0x0d;
    expect_inval(&d, "century CMOS index 0xd");
    d.century = 0x80;
    expect_inval(&d, "century CMOS index 0x80");
    d.century = 0;                                      /* none: fine */
    struct acpi_tables_layout ok;
    build_ok(&d, AREA_BASE, AREA_SIZE, &ok);
    assert_int_equal(G(ok.fadt)[108], 0);

    acpi_tables_pc_defaults(&d, 1);
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, NULL, 100, &l, err, sizeof(err)),
                     ACPI_TABLES_E_INVAL);
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, G(AREA_BASE), AREA_SIZE, NULL, err,
                                       sizeof(err)), ACPI_TABLES_E_INVAL);
}

/* ---- other descriptions ------------------------------------------------- */

/* IDs of 255 and above take x2APIC entries, with the x2APIC NMI entry. */
static void test_x2apic_ids(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;
    uint32_t ids[] = { 0, 254, 255, 300, 7 };

    acpi_tables_pc_defaults(&d, 5);
    d.apic_ids = ids;
    build_ok(&d, AREA_BASE, AREA_SIZE, &l);
    nlogs = 0;
    assert_int_equal(acpi_parse(&mem, l.rsdp, &info, cap_log, NULL), 0);
    assert_int_equal(nlogs, 0);
    const struct acpi_madt *m = &info.madt;
    assert_int_equal(m->cpu_count, 5);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(m->cpus[i].apic_id, ids[i]);
        assert_int_equal(m->cpus[i].acpi_uid, i);
        assert_true(m->cpus[i].enabled);
        assert_int_equal(m->cpus[i].x2apic, ids[i] >= 255);
    }
    assert_int_equal(m->nmi_count, 2);
    assert_false(m->nmis[0].x2apic);
    assert_true(m->nmis[1].x2apic);
    assert_int_equal(m->nmis[1].acpi_uid, 0xffffffff);
    assert_int_equal(m->nmis[1].lint, 1);
    assert_int_equal(rd32(G(l.madt) + 4), 44 + 3 * 8 + 2 * 16 + 12 + 20 + 6 + 12);
    check_dsdt_aml(l.dsdt, 5);
}

/* Other ports, reset register, SCI and I/O APIC are carried through. */
static void test_custom_platform(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l;

    acpi_tables_pc_defaults(&d, 3);
    d.pm1a_evt_port = 0xb000;
    d.pm1a_cnt_port = 0xb004;
    d.pm_tmr_port = 0xb008;
    d.reset_port = 0x64;
    d.reset_value = 0xfe;
    d.sci_irq = 11;
    d.ioapic_id = 3;
    d.ioapic_address = 0xfec01000;
    build_ok(&d, AREA_BASE, AREA_SIZE, &l);
    assert_int_equal(acpi_parse(&mem, l.rsdp, &info, NULL, NULL), 0);
    assert_int_equal(info.fadt.pm1a_evt_port, 0xb000);
    assert_int_equal(info.fadt.pm1a_cnt_port, 0xb004);
    assert_int_equal(info.fadt.pm_timer_port, 0xb008);
    assert_int_equal(info.fadt.reset_reg.address, 0x64);
    assert_int_equal(info.fadt.reset_value, 0xfe);
    assert_int_equal(info.fadt.sci_int, 11);
    assert_int_equal(info.madt.isos[1].source, 11);
    assert_int_equal(info.madt.isos[1].gsi, 11);
    assert_int_equal(info.madt.ioapics[0].id, 3);
    assert_int_equal(info.madt.ioapics[0].address, 0xfec01000);
}

/* The output depends only on the description and the base: not on what
 * the buffer held, not on earlier calls. */
static void test_deterministic(void **state)
{
    (void)state;
    struct acpi_tables_desc d;
    struct acpi_tables_layout l1, l2;
    static uint8_t a[8192], b[8192];

    acpi_tables_pc_defaults(&d, 16);
    memset(a, 0x00, sizeof(a));
    memset(b, 0xff, sizeof(b));
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, a, sizeof(a), &l1, NULL, 0), 0);
    assert_int_equal(acpi_tables_build(&d, AREA_BASE, b, sizeof(b), &l2, NULL, 0), 0);
    assert_memory_equal(&l1, &l2, sizeof(l1));
    assert_memory_equal(a, b, l1.used);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_1_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_2_vcpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_16_vcpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_64_vcpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_vcpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x2apic_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_platform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
