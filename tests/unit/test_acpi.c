/*
 * ACPI table parser against byte fixtures placed at chosen "physical"
 * addresses. The fixture's map() hands out a fresh heap copy of exactly
 * the requested length, so any read past what the parser mapped is an
 * AddressSanitizer error, not a silent success.
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

/* ---- sparse physical memory ------------------------------------------- */

struct region {
    uint64_t base;
    size_t size;
    uint8_t *data;
};

struct fmem {
    struct region r[16];
    int nr;
    void **copies;
    size_t ncopies, cap;
    unsigned long map_calls;
};

static struct fmem fm;
static struct acpi_mem mem;
static struct acpi_info *info;

static const void *fm_map(void *ctx, uint64_t phys, size_t len)
{
    struct fmem *f = ctx;

    f->map_calls++;
    assert_true(len > 0);
    for (int i = 0; i < f->nr; i++) {
        struct region *r = &f->r[i];
        if (phys < r->base || len > r->size || phys - r->base > r->size - len)
            continue;
        if (f->ncopies == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 256;
            f->copies = realloc(f->copies, f->cap * sizeof(void *));
            assert_non_null(f->copies);
        }
        void *c = malloc(len);
        assert_non_null(c);
        memcpy(c, r->data + (phys - r->base), len);
        f->copies[f->ncopies++] = c;
        return c;
    }
    return NULL;
}

static void fm_free_copies(void)
{
    for (size_t i = 0; i < fm.ncopies; i++)
        free(fm.copies[i]);
    fm.ncopies = 0;
}

static uint8_t *region(uint64_t base, size_t size)
{
    assert_true(fm.nr < 16);
    struct region *r = &fm.r[fm.nr++];
    r->base = base;
    r->size = size;
    r->data = calloc(1, size);
    assert_non_null(r->data);
    return r->data;
}

/* Pointer to fixture byte `phys` (which must be inside a region). */
static uint8_t *P(uint64_t phys)
{
    for (int i = 0; i < fm.nr; i++)
        if (phys >= fm.r[i].base && phys - fm.r[i].base < fm.r[i].size)
            return fm.r[i].data + (phys - fm.r[i].base);
    fail_msg("fixture address %#llx is in no region", (unsigned long long)phys);
    return NULL;
}

/* ---- log capture -------------------------------------------------------- */

#define MAX_LOGS 512
static char logs[MAX_LOGS][256];
static int nlogs;

static void cap_log(void *ctx, const char *msg)
{
    assert_ptr_equal(ctx, &fm);
    assert_non_null(msg);
    assert_int_equal(strncmp(msg, "acpi: ", 6), 0);
    assert_null(strchr(msg, '\n'));
    if (nlogs < MAX_LOGS)
        snprintf(logs[nlogs++], sizeof(logs[0]), "%s", msg);
}

static int logged_count(const char *sub)
{
    int n = 0;
    for (int i = 0; i < nlogs; i++)
        if (strstr(logs[i], sub))
            n++;
    return n;
}

static void print_logs(void)
{
    for (int i = 0; i < nlogs; i++)
        fprintf(stderr, "  log: %s\n", logs[i]);
}

#define assert_logged(s) do {                                          \
        if (!logged_count(s)) {                                        \
            print_logs();                                              \
            fail_msg("no log line contains \"%s\"", (s));              \
        }                                                              \
    } while (0)

#define assert_not_logged(s) do {                                      \
        if (logged_count(s)) {                                         \
            print_logs();                                              \
            fail_msg("a log line contains \"%s\"", (s));               \
        }                                                              \
    } while (0)

static void clear_logs(void)
{
    nlogs = 0;
}

static int parse(uint64_t rsdp)
{
    clear_logs();
    return acpi_parse(&mem, rsdp, info, cap_log, &fm);
}

/* ---- table builders ----------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t csum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Bytes of fixture memory readable from `phys` on. */
static size_t room(uint64_t phys)
{
    for (int i = 0; i < fm.nr; i++)
        if (phys >= fm.r[i].base && phys - fm.r[i].base < fm.r[i].size)
            return fm.r[i].size - (size_t)(phys - fm.r[i].base);
    return 0;
}

/* Recompute the checksum of the table at `phys` from its header length
 * (a length running out of the fixture is left alone: unreadable anyway). */
static void fix(uint64_t phys)
{
    uint8_t *t = P(phys);
    uint32_t len = get32(t + 4);
    if (len < 10 || len > room(phys))
        return;
    t[9] = 0;
    t[9] = (uint8_t)-csum(t, len);
}

static void corrupt(uint64_t phys)
{
    P(phys)[9] ^= 0x5a;
}

/* A table header (5.2.6); the caller fills the body and calls fix(). */
static uint8_t *table(uint64_t phys, const char *sig, uint32_t len, uint8_t rev)
{
    uint8_t *t = P(phys);
    memset(t, 0, len < 36 ? 36 : len);
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "HVTEST", 6);
    memcpy(t + 16, "FIXTURE ", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "HVT ", 4);
    put32(t + 32, 1);
    return t;
}

static void gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
    p[0] = space;
    p[1] = width;
    p[2] = 0;
    p[3] = space == ACPI_GAS_MEMORY ? 3 : 1;
    put64(p + 4, addr);
}

static void rsdp(uint64_t phys, uint8_t rev, const char *oem, uint32_t rsdt, uint64_t xsdt)
{
    uint8_t *r = P(phys);
    memset(r, 0, rev >= 2 ? 36 : 20);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, oem, 6);
    r[15] = rev;
    put32(r + 16, rsdt);
    r[8] = (uint8_t)-csum(r, 20);
    if (rev >= 2) {
        put32(r + 20, 36);
        put64(r + 24, xsdt);
        r[32] = (uint8_t)-csum(r, 36);
    }
}

static void rsdt(uint64_t phys, const uint64_t *e, size_t n)
{
    uint8_t *t = table(phys, "RSDT", (uint32_t)(36 + 4 * n), 1);
    for (size_t i = 0; i < n; i++)
        put32(t + 36 + 4 * i, (uint32_t)e[i]);
    fix(phys);
}

static void xsdt(uint64_t phys, const uint64_t *e, size_t n)
{
    uint8_t *t = table(phys, "XSDT", (uint32_t)(36 + 8 * n), 1);
    for (size_t i = 0; i < n; i++)
        put64(t + 36 + 8 * i, e[i]);
    fix(phys);
}

/* MADT under construction. */
struct madt_b {
    uint64_t phys;
    uint8_t *t;
    size_t off;
};

static struct madt_b madt_begin(uint64_t phys, uint32_t lapic, uint32_t flags)
{
    struct madt_b b = { phys, table(phys, "APIC", 44, 3), 44 };
    put32(b.t + 36, lapic);
    put32(b.t + 40, flags);
    return b;
}

static void madt_raw(struct madt_b *b, const uint8_t *e, size_t n)
{
    memcpy(b->t + b->off, e, n);
    b->off += n;
}

static void madt_lapic(struct madt_b *b, uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t e[8] = { 0, 8, uid, id };
    put32(e + 4, flags);
    madt_raw(b, e, sizeof(e));
}

static void madt_x2apic(struct madt_b *b, uint32_t id, uint32_t uid, uint32_t flags)
{
    uint8_t e[16] = { 9, 16 };
    put32(e + 4, id);
    put32(e + 8, flags);
    put32(e + 12, uid);
    madt_raw(b, e, sizeof(e));
}

static void madt_ioapic(struct madt_b *b, uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t e[12] = { 1, 12, id, 0 };
    put32(e + 4, addr);
    put32(e + 8, gsi);
    madt_raw(b, e, sizeof(e));
}

static void madt_iso(struct madt_b *b, uint8_t src, uint32_t gsi, uint16_t flags)
{
    uint8_t e[10] = { 2, 10, 0, src };
    put32(e + 4, gsi);
    put16(e + 8, flags);
    madt_raw(b, e, sizeof(e));
}

/* Finish with the current size (or an explicit header length if nonzero). */
static void madt_end(struct madt_b *b, uint32_t len)
{
    put32(b->t + 4, len ? len : (uint32_t)b->off);
    fix(b->phys);
}

/* FADT: `len` bytes, the classic PM blocks at the given I/O ports. */
static uint8_t *fadt(uint64_t phys, uint32_t len, uint8_t rev, uint32_t dsdt32)
{
    uint8_t *t = table(phys, "FACP", len, rev);
    put32(t + 40, dsdt32);
    put16(t + 46, 9);           /* SCI_INT */
    put32(t + 48, 0xb2);        /* SMI_CMD */
    t[52] = 0xf1;               /* ACPI_ENABLE */
    t[53] = 0xf0;               /* ACPI_DISABLE */
    put32(t + 56, 0xb000);      /* PM1a_EVT_BLK */
    put32(t + 64, 0xb004);      /* PM1a_CNT_BLK */
    put32(t + 76, 0xb008);      /* PM_TMR_BLK */
    t[88] = 4;
    t[89] = 2;
    t[91] = 4;
    return t;
}

static void aml_table(uint64_t phys, const char *sig, const uint8_t *aml, size_t n)
{
    uint8_t *t = table(phys, sig, (uint32_t)(36 + n), 2);
    memcpy(t + 36, aml, n);
    fix(phys);
}

/* Name(\_S5, Package(count) {elems}) with a PkgLength of `plbytes` bytes. */
static size_t s5_aml(uint8_t *b, bool root, int plbytes, uint8_t count, const uint8_t *elems,
                     size_t n)
{
    size_t o = 0;
    b[o++] = 0x08;
    if (root)
        b[o++] = '\\';
    memcpy(b + o, "_S5_", 4);
    o += 4;
    b[o++] = 0x12;
    size_t v = (size_t)plbytes + 1 + n;
    if (plbytes == 1) {
        assert_true(v < 64);
        b[o++] = (uint8_t)v;
    } else {
        b[o++] = (uint8_t)(((plbytes - 1) << 6) | (v & 0x0f));
        for (int k = 1; k < plbytes; k++)
            b[o++] = (uint8_t)(v >> (4 + 8 * (k - 1)));
    }
    b[o++] = count;
    memcpy(b + o, elems, n);
    return o + n;
}

/* ---- the standard machine ----------------------------------------------- */

#define BDA_BASE     0x400ULL
#define EBDA_BASE    0x9fc00ULL
#define BIOS_BASE    0xe0000ULL
#define RSDP_ADDR    0xf5a10ULL
#define TBL_BASE     0x7fe0000ULL
#define TBL_SIZE     0x20000
#define RSDT_ADDR    0x7fe0000ULL
#define XSDT_ADDR    0x7fe0100ULL
#define FADT_ADDR    0x7fe0200ULL
#define MADT_ADDR    0x7fe0400ULL
#define HPET_ADDR    0x7fe0600ULL
#define MADT2_ADDR   0x7fe0800ULL
#define FADT2_ADDR   0x7fe0a00ULL
#define SSDT_ADDR    0x7fe0c00ULL
#define DSDT_ADDR    0x7fe1000ULL
#define DSDT2_ADDR   0x7fe2000ULL
#define BIG_ADDR     0x7fe4000ULL
#define HIGH_BASE    0x100000000ULL

static const uint8_t filler_aml[] = {
    /* Scope(\_SB) { Name(_HID, EisaId("PNP0A03")) } */
    0x10, 0x0f, '\\', '_', 'S', 'B', '_', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
};

static void std_dsdt(uint64_t phys, uint8_t a, uint8_t b)
{
    uint8_t aml[64];
    uint8_t el[] = { 0x0a, a, 0x0a, b, 0x00, 0x00 };
    memcpy(aml, filler_aml, sizeof(filler_aml));
    size_t n = sizeof(filler_aml) + s5_aml(aml + sizeof(filler_aml), true, 1, 4, el, sizeof(el));
    aml_table(phys, "DSDT", aml, n);
}

static void std_madt(uint64_t phys, unsigned ncpus)
{
    struct madt_b b = madt_begin(phys, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    for (unsigned i = 0; i < ncpus; i++)
        madt_lapic(&b, (uint8_t)i, (uint8_t)i, 1);
    madt_ioapic(&b, (uint8_t)ncpus, 0xfec00000, 0);
    madt_iso(&b, 0, 2, 0);
    madt_end(&b, 0);
}

static void std_hpet(uint64_t phys, uint8_t space, uint64_t base)
{
    uint8_t *t = table(phys, "HPET", 56, 1);
    put32(t + 36, 0x8086a201);
    gas(t + 40, space, 64, base);
    t[52] = 0;
    put16(t + 53, 0x37ee);
    fix(phys);
}

/* RSDP (rev 0 or 2) -> RSDT [+ XSDT] -> FADT (rev 1), MADT (2 CPUs), HPET;
 * DSDT with \_S5 = {0, 0}. */
static void std_machine(uint8_t rev)
{
    uint64_t e[] = { FADT_ADDR, MADT_ADDR, HPET_ADDR };

    rsdp(RSDP_ADDR, rev, "BOCHS ", (uint32_t)RSDT_ADDR, rev >= 2 ? XSDT_ADDR : 0);
    rsdt(RSDT_ADDR, e, 3);
    if (rev >= 2)
        xsdt(XSDT_ADDR, e, 3);
    fadt(FADT_ADDR, 116, 1, (uint32_t)DSDT_ADDR);
    fix(FADT_ADDR);
    std_madt(MADT_ADDR, 2);
    std_hpet(HPET_ADDR, ACPI_GAS_MEMORY, 0xfed00000);
    std_dsdt(DSDT_ADDR, 0, 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&fm, 0, sizeof(fm));
    mem.map = fm_map;
    mem.ctx = &fm;
    region(BDA_BASE, 0x100);
    region(EBDA_BASE, 0x400);
    region(BIOS_BASE, 0x20000);
    region(TBL_BASE, TBL_SIZE);
    region(HIGH_BASE, 0x1000);
    info = malloc(sizeof(*info));
    assert_non_null(info);
    memset(info, 0xa5, sizeof(*info));      /* acpi_parse must clear it */
    clear_logs();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fm_free_copies();
    free(fm.copies);
    for (int i = 0; i < fm.nr; i++)
        free(fm.r[i].data);
    free(info);
    memset(&fm, 0, sizeof(fm));
    return 0;
}

static const struct acpi_table *find_table(const char *sig, unsigned nth)
{
    for (unsigned i = 0; i < info->table_count; i++)
        if (strcmp(info->tables[i].sig, sig) == 0 && nth-- == 0)
            return &info->tables[i];
    return NULL;
}

/* ---- RSDP and root tables ----------------------------------------------- */

static void test_rsdp_v1_rsdt(void **state)
{
    (void)state;
    std_machine(0);
    /* A revision 0 RSDP is 20 bytes: put it where only those are readable. */
    region(0x80000, 20);
    rsdp(0x80000, 0, "BOCHS ", (uint32_t)RSDT_ADDR, 0);

    assert_int_equal(parse(0x80000), 0);
    assert_int_equal(info->rsdp, 0x80000);
    assert_int_equal(info->revision, 0);
    assert_string_equal(info->oem_id, "BOCHS");
    assert_false(info->xsdt_used);
    assert_int_equal(info->root_table, RSDT_ADDR);
    assert_int_equal(info->root_entries, 3);
    assert_int_equal(info->table_count, 4);     /* FACP APIC HPET + DSDT */
    assert_string_equal(info->tables[0].sig, "FACP");
    assert_int_equal(info->tables[0].address, FADT_ADDR);
    assert_true(info->tables[0].valid);
    assert_string_equal(info->tables[1].sig, "APIC");
    assert_string_equal(info->tables[2].sig, "HPET");
    assert_string_equal(info->tables[3].sig, "DSDT");
    assert_true(info->tables[3].from_fadt);
    assert_true(info->madt.present);
    assert_int_equal(info->madt.cpu_count, 2);
    assert_true(info->fadt.present);
    assert_true(info->hpet.present);
    assert_true(info->s5.found);
    assert_int_equal(nlogs, 0);
}

static void test_rsdp_v2_xsdt(void **state)
{
    (void)state;
    std_machine(2);
    /* The XSDT lists a MADT above 4 GiB with 3 CPUs; the RSDT one has 2.
     * Proves 64-bit entries are read and the XSDT wins. */
    const uint64_t high_madt = HIGH_BASE + 0x100;
    std_madt(high_madt, 3);
    uint64_t e[] = { FADT_ADDR, high_madt, HPET_ADDR };
    xsdt(XSDT_ADDR, e, 3);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->revision, 2);
    assert_true(info->xsdt_used);
    assert_int_equal(info->root_table, XSDT_ADDR);
    assert_int_equal(info->root_entries, 3);
    assert_int_equal(info->madt.table, high_madt);
    assert_int_equal(info->madt.cpu_count, 3);
    assert_int_equal(nlogs, 0);
}

static void test_xsdt_bad_checksum_falls_back(void **state)
{
    (void)state;
    std_machine(2);
    std_madt(MADT2_ADDR, 3);
    uint64_t e[] = { FADT_ADDR, MADT2_ADDR, HPET_ADDR };
    xsdt(XSDT_ADDR, e, 3);          /* XSDT says 3 CPUs, RSDT 2 */
    corrupt(XSDT_ADDR);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_int_equal(info->root_table, RSDT_ADDR);
    assert_int_equal(info->madt.table, MADT_ADDR);
    assert_int_equal(info->madt.cpu_count, 2);
    assert_logged("acpi: XSDT at 0x7fe0100: bad checksum, falling back to the RSDT at 0x7fe0000");
}

static void test_xsdt_other_fallbacks(void **state)
{
    (void)state;
    std_machine(2);

    /* XSDT address unreadable. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, 0x5000000);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_true(info->madt.present);
    assert_logged("XSDT at 0x5000000: header not readable, falling back to the RSDT");

    /* XSDT pointer that is not an XSDT. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_logged("XSDT at 0x7fe0200: signature is \"FACP\"");

    /* Revision 2 without an XSDT address. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, 0);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_logged("no XSDT address; using the RSDT");

    /* Revision 2 with a bad extended checksum: the 20-byte part is fine, so
     * the RSDT is still usable but the XSDT address is not trusted. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, XSDT_ADDR);
    P(RSDP_ADDR)[32] ^= 1;
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_logged("extended checksum is bad; using the RSDT");

    /* Absurd extended length. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, XSDT_ADDR);
    put32(P(RSDP_ADDR) + 20, 0x10000000);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->xsdt_used);
    assert_logged("length field is absurd");

    /* Bad XSDT and no RSDT at all. */
    rsdp(RSDP_ADDR, 2, "BOCHS ", 0, XSDT_ADDR);
    corrupt(XSDT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), ACPI_E_NO_ROOT);
    assert_logged("XSDT at 0x7fe0100: bad checksum, and there is no RSDT");
}

static void test_rsdp_errors(void **state)
{
    (void)state;
    std_machine(0);

    P(RSDP_ADDR)[12] ^= 0x10;               /* an OEM byte: checksum now wrong */
    assert_int_equal(parse(RSDP_ADDR), ACPI_E_RSDP_CHECKSUM);
    assert_logged("acpi: RSDP at 0xf5a10: bad checksum");
    assert_false(info->madt.present);
    assert_false(info->fadt.present);

    assert_int_equal(parse(0x3000000), ACPI_E_NO_RSDP);    /* nothing there */
    assert_logged("RSDP at 0x3000000: not readable");

    assert_int_equal(parse(RSDP_ADDR + 16), ACPI_E_NO_RSDP);
    assert_logged("no \"RSD PTR \" signature");

    /* Valid RSDP, broken RSDT, no XSDT. */
    rsdp(RSDP_ADDR, 0, "BOCHS ", (uint32_t)RSDT_ADDR, 0);
    corrupt(RSDT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), ACPI_E_NO_ROOT);
    assert_logged("RSDT at 0x7fe0000: bad checksum, no usable root table");
    assert_false(info->madt.present);

    /* RSDT address 0. */
    rsdp(RSDP_ADDR, 0, "BOCHS ", 0, 0);
    assert_int_equal(parse(RSDP_ADDR), ACPI_E_NO_ROOT);

    assert_int_equal(acpi_parse(NULL, RSDP_ADDR, info, NULL, NULL), ACPI_E_INVAL);
    assert_int_equal(acpi_parse(&mem, RSDP_ADDR, NULL, NULL, NULL), ACPI_E_INVAL);
}

static void test_root_entries(void **state)
{
    (void)state;
    std_machine(0);
    /* A null entry, and a length leaving a partial 4-byte entry. */
    uint64_t e[] = { 0, FADT_ADDR, MADT_ADDR };
    rsdt(RSDT_ADDR, e, 3);
    uint8_t *t = P(RSDT_ADDR);
    put32(t + 48, (uint32_t)HPET_ADDR);
    put32(t + 4, 36 + 12 + 3);              /* HPET entry cut to 3 bytes */
    fix(RSDT_ADDR);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->root_entries, 3);
    assert_true(info->madt.present);
    assert_true(info->fadt.present);
    assert_false(info->hpet.present);
    assert_logged("RSDT entry 0 is null, skipped");
    assert_logged("not a whole number of entries");
}

static void test_table_list_overflow(void **state)
{
    (void)state;
    std_machine(2);
    /* 70 tables: 68 dummies, the FADT, and last an SSDT holding \_S5. */
    uint64_t e[70];
    for (int i = 0; i < 68; i++) {
        e[i] = BIG_ADDR + 64 * (uint64_t)i;
        char sig[5] = { 'T', (char)('0' + i / 10), (char)('0' + i % 10), 'X', 0 };
        table(e[i], sig, 36, 1);
        fix(e[i]);
    }
    e[68] = FADT_ADDR;
    uint8_t aml[32], el[] = { 0x0a, 3, 0x0a, 4 };
    aml_table(SSDT_ADDR, "SSDT", aml, s5_aml(aml, false, 1, 2, el, sizeof(el)));
    e[69] = SSDT_ADDR;
    const uint64_t big_xsdt = BIG_ADDR + 0x2000;
    xsdt(big_xsdt, e, 70);
    rsdp(RSDP_ADDR, 2, "BOCHS ", (uint32_t)RSDT_ADDR, big_xsdt);
    aml_table(DSDT_ADDR, "DSDT", filler_aml, sizeof(filler_aml));   /* no \_S5 */

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->root_entries, 70);
    assert_int_equal(info->table_count, ACPI_MAX_TABLES);
    assert_int_equal(info->tables_dropped, 70 + 1 - ACPI_MAX_TABLES);
    assert_int_equal(logged_count("more than 64 tables"), 1);
    assert_true(info->fadt.present);        /* parsed though not listed */
    assert_true(info->s5.found);
    assert_true(info->s5.in_ssdt);
    assert_int_equal(info->s5.slp_typa, 3);
    assert_int_equal(info->s5.slp_typb, 4);
}

/* ---- legacy RSDP scan ---------------------------------------------------- */

static void test_scan_ebda(void **state)
{
    (void)state;
    uint64_t found = 0;

    put16(P(0x40e), (uint16_t)(EBDA_BASE >> 4));
    rsdp(EBDA_BASE + 0x30, 0, "EBDA  ", 0x1000, 0);
    rsdp(RSDP_ADDR, 0, "BIOS  ", 0x1000, 0);
    assert_true(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, EBDA_BASE + 0x30);      /* the EBDA is searched first */

    /* The EBDA one broken: the BIOS area one is found. */
    *P(EBDA_BASE + 0x30 + 8) ^= 1;
    assert_true(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, RSDP_ADDR);
}

static void test_scan_ebda_only_first_kib(void **state)
{
    (void)state;
    uint64_t found = 0;

    /* A 2 KiB EBDA with the RSDP in its second KiB: not part of the search. */
    region(0x90000, 0x800);
    put16(P(0x40e), 0x9000);
    rsdp(0x90000 + 0x400, 0, "LATE  ", 0x1000, 0);
    assert_false(acpi_find_rsdp_legacy(&mem, &found));
    rsdp(0x90000 + 0x3e0, 0, "EARLY ", 0x1000, 0);  /* last slot that fits */
    assert_true(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, 0x903e0);
}

static void test_scan_bios_area(void **state)
{
    (void)state;
    uint64_t found = 0;

    /* No EBDA pointer; a bad-checksum, a misaligned and a rev 2 with a bad
     * extended checksum candidate come before the good one. */
    rsdp(0xe1000, 0, "BAD   ", 0x1000, 0);
    *P(0xe1000 + 16) ^= 1;
    rsdp(0xe2008, 0, "ODD   ", 0x1000, 0);
    rsdp(0xe3000, 2, "EXT   ", 0x1000, 0x2000);
    *P(0xe3000 + 32) ^= 1;
    rsdp(0xfffd0, 2, "GOOD  ", 0x1000, 0x2000);
    assert_true(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, 0xfffd0);

    /* The signature alone is not enough. */
    *P(0xfffd0 + 8) ^= 1;
    assert_false(acpi_find_rsdp_legacy(&mem, &found));

    /* Fix the rev 2 one: found in its place. */
    *P(0xe3000 + 32) ^= 1;
    assert_true(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, 0xe3000);

    assert_false(acpi_find_rsdp_legacy(NULL, &found));
    assert_false(acpi_find_rsdp_legacy(&mem, NULL));
}

static void test_scan_nothing_mapped(void **state)
{
    (void)state;
    uint64_t found = 0x1234;
    for (int i = 0; i < fm.nr; i++)
        fm.r[i].size = 0;               /* nothing readable at all */
    assert_false(acpi_find_rsdp_legacy(&mem, &found));
    assert_int_equal(found, 0x1234);
}

/* ---- MADT --------------------------------------------------------------- */

static void madt_machine(void)
{
    std_machine(0);
}

static void test_madt_entries(void **state)
{
    (void)state;
    madt_machine();
    struct madt_b b = madt_begin(MADT_ADDR, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
    madt_lapic(&b, 0, 0, 1);                    /* enabled */
    madt_lapic(&b, 1, 1, 1);                    /* enabled */
    madt_lapic(&b, 2, 2, 0);                    /* disabled: excluded */
    madt_lapic(&b, 3, 3, 2);                    /* online-capable: listed */
    madt_x2apic(&b, 300, 4, 1);                 /* x2APIC, enabled */
    madt_lapic(&b, 5, 1, 1);                    /* duplicate APIC ID 1 */
    madt_x2apic(&b, 0, 6, 1);                   /* duplicate APIC ID 0 */
    madt_x2apic(&b, 301, 7, 3);                 /* enabled: bit 1 is reserved */
    madt_ioapic(&b, 8, 0xfec00000, 0);
    madt_ioapic(&b, 9, 0xfec01000, 24);
    madt_iso(&b, 0, 2, 0);
    madt_iso(&b, 9, 9, 0x000d);
    const uint8_t nmi[6] = { 4, 6, 0xff, 0x05, 0x00, 1 };
    madt_raw(&b, nmi, sizeof(nmi));
    const uint8_t x2nmi[12] = { 10, 12, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0 };
    madt_raw(&b, x2nmi, sizeof(x2nmi));
    const uint8_t unknown[6] = { 0x7f, 6, 1, 2, 3, 4 };
    madt_raw(&b, unknown, sizeof(unknown));
    const uint8_t short_lapic[6] = { 0, 6, 9, 9, 1, 0 };   /* too short: skipped */
    madt_raw(&b, short_lapic, sizeof(short_lapic));
    uint8_t ovr[12] = { 5, 12, 0, 0 };
    put64(ovr + 4, 0x1fee00000ULL);
    madt_raw(&b, ovr, sizeof(ovr));
    madt_lapic(&b, 10, 10, 1);                  /* still reached after all that */
    madt_end(&b, 0);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_madt *m = &info->madt;
    assert_true(m->present);
    assert_int_equal(m->table, MADT_ADDR);
    assert_int_equal(m->flags, 1);
    assert_true(m->pcat_compat);
    assert_true(m->lapic_override);
    assert_int_equal(m->lapic_address, 0x1fee00000ULL);
    assert_false(m->walk_stopped);

    assert_int_equal(m->cpu_count, 6);
    assert_int_equal(m->cpus_enabled, 5);
    assert_int_equal(m->cpus_online_capable, 1);
    assert_int_equal(m->cpus_disabled, 1);
    assert_int_equal(m->cpus_duplicate, 2);
    assert_int_equal(m->cpus_dropped, 0);
    static const struct { uint32_t id, uid; bool en, oc, x2; } want[] = {
        { 0, 0, true, false, false },
        { 1, 1, true, false, false },
        { 3, 3, false, true, false },
        { 300, 4, true, false, true },
        { 301, 7, true, false, true },
        { 10, 10, true, false, false },
    };
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(m->cpus[i].apic_id, want[i].id);
        assert_int_equal(m->cpus[i].acpi_uid, want[i].uid);
        assert_int_equal(m->cpus[i].enabled, want[i].en);
        assert_int_equal(m->cpus[i].online_capable, want[i].oc);
        assert_int_equal(m->cpus[i].x2apic, want[i].x2);
    }
    assert_logged("APIC ID 1 listed twice (uid 1 and 5), second entry ignored");
    assert_logged("APIC ID 0 listed twice");
    assert_logged("type 0 entry at offset");

    assert_int_equal(m->ioapic_count, 2);
    assert_int_equal(m->ioapics[0].id, 8);
    assert_int_equal(m->ioapics[0].address, 0xfec00000);
    assert_int_equal(m->ioapics[0].gsi_base, 0);
    assert_int_equal(m->ioapics[1].id, 9);
    assert_int_equal(m->ioapics[1].address, 0xfec01000);
    assert_int_equal(m->ioapics[1].gsi_base, 24);

    assert_int_equal(m->iso_count, 2);
    assert_int_equal(m->isos[0].source, 0);
    assert_int_equal(m->isos[0].gsi, 2);
    assert_int_equal(m->isos[1].source, 9);
    assert_int_equal(m->isos[1].gsi, 9);
    assert_int_equal(m->isos[1].flags, 0x000d);

    assert_int_equal(m->nmi_count, 2);
    assert_int_equal(m->nmis[0].acpi_uid, 0xff);
    assert_int_equal(m->nmis[0].flags, 5);
    assert_int_equal(m->nmis[0].lint, 1);
    assert_false(m->nmis[0].x2apic);
    assert_int_equal(m->nmis[1].acpi_uid, 0xffffffff);
    assert_int_equal(m->nmis[1].flags, 5);
    assert_int_equal(m->nmis[1].lint, 1);
    assert_true(m->nmis[1].x2apic);
}

static void test_madt_zero_length_entry(void **state)
{
    (void)state;
    madt_machine();
    struct madt_b b = madt_begin(MADT_ADDR, 0xfee00000, 0);
    madt_lapic(&b, 0, 0, 1);
    const uint8_t zero[8] = { 0, 0, 1, 1, 1, 0, 0, 0 };
    madt_raw(&b, zero, sizeof(zero));
    madt_lapic(&b, 2, 2, 1);                    /* never reached */
    madt_end(&b, 0);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->madt.present);
    assert_true(info->madt.walk_stopped);
    assert_false(info->madt.pcat_compat);
    assert_int_equal(info->madt.cpu_count, 1);
    assert_int_equal(info->madt.cpus[0].apic_id, 0);
    assert_logged("MADT at 0x7fe0400: type 0 entry at offset 52 has length 0, walk stopped");
    assert_true(info->fadt.present);            /* the rest goes on */

    /* Length 1 is just as bad. */
    P(MADT_ADDR + 53)[0] = 1;
    fix(MADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.cpu_count, 1);
    assert_logged("has length 1, walk stopped");
}

static void test_madt_entry_past_end(void **state)
{
    (void)state;
    madt_machine();
    struct madt_b b = madt_begin(MADT_ADDR, 0xfee00000, 0);
    madt_lapic(&b, 0, 0, 1);
    madt_lapic(&b, 1, 1, 1);
    /* The table ends 6 bytes into the second entry. */
    madt_end(&b, 44 + 8 + 6);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.cpu_count, 1);
    assert_true(info->madt.walk_stopped);
    assert_logged("type 0 entry at offset 52 (length 8) runs past the end of the table (58 bytes)");

    /* One stray byte after the last entry. */
    madt_end(&b, 44 + 16 + 1);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.cpu_count, 2);
    assert_true(info->madt.walk_stopped);
    assert_logged("stray byte at offset 60");

    /* Exactly covering both entries: clean. */
    madt_end(&b, 44 + 16);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.cpu_count, 2);
    assert_false(info->madt.walk_stopped);
}

static void test_madt_limits(void **state)
{
    (void)state;
    madt_machine();
    struct madt_b b = madt_begin(BIG_ADDR, 0xfee00000, 0);
    for (uint32_t i = 0; i < 300; i++)
        madt_x2apic(&b, 1000 + i, i, 1);
    for (uint8_t i = 0; i < 17; i++)
        madt_ioapic(&b, i, 0xfec00000 + 0x1000u * i, 24u * i);
    for (uint8_t i = 0; i < 33; i++)
        madt_iso(&b, i, i, 0);
    const uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 };
    for (int i = 0; i < 20; i++)
        madt_raw(&b, nmi, sizeof(nmi));
    madt_end(&b, 0);
    uint64_t e[] = { FADT_ADDR, BIG_ADDR };
    rsdt(RSDT_ADDR, e, 2);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_madt *m = &info->madt;
    assert_int_equal(m->cpu_count, ACPI_MAX_CPUS);
    assert_int_equal(m->cpus_enabled, ACPI_MAX_CPUS);
    assert_int_equal(m->cpus_dropped, 300 - ACPI_MAX_CPUS);
    assert_int_equal(m->cpus[255].apic_id, 1255);
    assert_int_equal(logged_count("more than 256 CPUs; apic 1256 and later not listed"), 1);
    assert_int_equal(m->ioapic_count, ACPI_MAX_IOAPICS);
    assert_int_equal(m->ioapics_dropped, 1);
    assert_int_equal(m->ioapics[15].gsi_base, 24 * 15);
    assert_logged("more than 16 IOAPICs; id 16 and later ignored");
    assert_int_equal(m->iso_count, ACPI_MAX_ISOS);
    assert_int_equal(m->isos_dropped, 1);
    assert_int_equal(m->nmi_count, ACPI_MAX_LAPIC_NMIS);
    assert_int_equal(m->nmis_dropped, 4);
}

static void test_madt_bad_checksum_fadt_still_parsed(void **state)
{
    (void)state;
    std_machine(0);
    corrupt(MADT_ADDR);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->madt.present);
    assert_int_equal(info->madt.cpu_count, 0);
    assert_true(info->fadt.present);
    assert_int_equal(info->fadt.pm1a_cnt_port, 0xb004);
    assert_true(info->hpet.present);
    assert_logged("acpi: APIC at 0x7fe0400: bad checksum, ignored");
    const struct acpi_table *t = find_table("APIC", 0);
    assert_non_null(t);
    assert_false(t->valid);
    assert_int_equal(t->status, ACPI_TABLE_BAD_CHECKSUM);
}

static void test_duplicate_tables(void **state)
{
    (void)state;
    std_machine(0);
    /* Bad MADT, good MADT (3 CPUs), another good MADT (1 CPU); two FADTs. */
    std_madt(MADT2_ADDR, 3);
    std_madt(BIG_ADDR, 1);
    corrupt(MADT_ADDR);
    fadt(FADT2_ADDR, 116, 1, (uint32_t)DSDT_ADDR);
    put32(P(FADT2_ADDR) + 64, 0x4004);
    fix(FADT2_ADDR);
    uint64_t e[] = { MADT_ADDR, FADT_ADDR, MADT2_ADDR, BIG_ADDR, FADT2_ADDR };
    rsdt(RSDT_ADDR, e, 5);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.table, MADT2_ADDR);     /* first valid one */
    assert_int_equal(info->madt.cpu_count, 3);
    assert_int_equal(info->fadt.table, FADT_ADDR);
    assert_int_equal(info->fadt.pm1a_cnt_port, 0xb004);
    assert_logged("APIC at 0x7fe4000: another MADT (at 0x7fe0800) came first, ignored");
    assert_logged("FACP at 0x7fe0a00: another FADT (at 0x7fe0200) came first, ignored");
    assert_int_equal(find_table("APIC", 0)->status, ACPI_TABLE_BAD_CHECKSUM);
    assert_int_equal(find_table("APIC", 1)->status, ACPI_TABLE_OK);
    assert_int_equal(find_table("APIC", 2)->status, ACPI_TABLE_DUPLICATE);
    assert_true(find_table("APIC", 2)->valid);

    /* A MADT too short for its fixed fields does not count as the first. */
    table(MADT_ADDR, "APIC", 40, 3);
    fix(MADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_int_equal(info->madt.table, MADT2_ADDR);
    assert_logged("APIC at 0x7fe0400: too short for a MADT (40 bytes), ignored");
    assert_int_equal(find_table("APIC", 0)->status, ACPI_TABLE_MALFORMED);
    assert_false(find_table("APIC", 0)->valid);
}

/* ---- generic table checks ------------------------------------------------ */

static void test_truncated_table(void **state)
{
    (void)state;
    std_machine(0);
    /* An HPET whose header fits at the very end of readable memory but
     * whose 56 bytes do not. */
    const uint64_t end_hpet = TBL_BASE + TBL_SIZE - 40;
    uint8_t hdr[40];
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, "HPET", 4);
    put32(hdr + 4, 56);
    memcpy(P(end_hpet), hdr, sizeof(hdr));
    /* And an entry whose header itself is not readable. */
    uint64_t e[] = { end_hpet, TBL_BASE + TBL_SIZE - 20, FADT_ADDR, MADT_ADDR };
    rsdt(RSDT_ADDR, e, 4);

    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);
    assert_logged("acpi: HPET at 0x7ffffd8: truncated (its 56 bytes are not readable), ignored");
    assert_logged("acpi: table at 0x7ffffec: header not readable, ignored");
    assert_true(info->fadt.present);
    assert_true(info->madt.present);
    assert_int_equal(info->tables[0].status, ACPI_TABLE_TRUNCATED);
    assert_string_equal(info->tables[0].sig, "HPET");
    assert_int_equal(info->tables[1].status, ACPI_TABLE_UNREADABLE);
    assert_string_equal(info->tables[1].sig, "????");
}

static void test_absurd_length(void **state)
{
    (void)state;
    std_machine(0);
    /* The whole tables region is readable, so only the length check can
     * stop these. */
    put32(P(HPET_ADDR) + 4, 0x7fffffff);
    put32(P(MADT_ADDR) + 4, 10);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);
    assert_false(info->madt.present);
    assert_true(info->fadt.present);
    assert_logged("HPET at 0x7fe0600: absurd length 2147483647, ignored");
    assert_logged("APIC at 0x7fe0400: absurd length 10, ignored");
    assert_int_equal(find_table("HPET", 0)->status, ACPI_TABLE_BAD_LENGTH);

    /* The limit itself: 16 MiB + 1 is refused without being mapped. */
    put32(P(HPET_ADDR) + 4, (uint32_t)ACPI_MAX_TABLE_LEN + 1);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_logged("absurd length 16777217");
}

/* ---- FADT --------------------------------------------------------------- */

static void test_fadt_rev1_short(void **state)
{
    (void)state;
    std_machine(0);
    /* A revision 1 FADT of 116 bytes ending exactly where readable memory
     * ends: nothing past its flags may be touched. RESET_REG_SUP is set
     * but the table has no reset register. */
    region(0x6000000, 116);
    uint8_t *t = fadt(0x6000000, 116, 1, (uint32_t)DSDT_ADDR);
    put32(t + 68, 0xb044);          /* PM1b_CNT_BLK */
    put32(t + 112, ACPI_FADT_RESET_REG_SUP);
    t[109] = 0;                     /* reserved in rev 1: no "no 8042" */
    fix(0x6000000);
    uint64_t e[] = { 0x6000000, MADT_ADDR };
    rsdt(RSDT_ADDR, e, 2);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_fadt *f = &info->fadt;
    assert_true(f->present);
    assert_int_equal(f->revision, 1);
    assert_int_equal(f->length, 116);
    assert_int_equal(f->sci_int, 9);
    assert_int_equal(f->smi_cmd, 0xb2);
    assert_int_equal(f->acpi_enable, 0xf1);
    assert_int_equal(f->acpi_disable, 0xf0);
    assert_int_equal(f->pm1a_evt_port, 0xb000);
    assert_int_equal(f->pm1a_evt.bit_width, 32);
    assert_int_equal(f->pm1b_evt_port, 0);
    assert_int_equal(f->pm1a_cnt_port, 0xb004);
    assert_int_equal(f->pm1a_cnt.space_id, ACPI_GAS_IO);
    assert_int_equal(f->pm1a_cnt.bit_width, 16);
    assert_int_equal(f->pm1b_cnt_port, 0xb044);
    assert_int_equal(f->pm_timer_port, 0xb008);
    assert_false(f->pm_timer_32bit);
    assert_false(f->reset_supported);
    assert_logged("RESET_REG_SUP set but the table (116 bytes) has no reset register");
    assert_int_equal(f->dsdt, DSDT_ADDR);
    assert_true(f->dsdt_valid);
    assert_false(f->boot_arch_valid);
    assert_true(f->legacy_devices);
    assert_true(f->has_8042);
    assert_true(info->s5.found);
}

static void test_fadt_x_fields_and_reset(void **state)
{
    (void)state;
    std_machine(2);
    std_dsdt(DSDT_ADDR, 1, 1);          /* the 32-bit DSDT */
    std_dsdt(DSDT2_ADDR, 5, 6);         /* the X_DSDT */
    uint8_t *t = fadt(FADT_ADDR, 276, 6, (uint32_t)DSDT_ADDR);
    put32(t + 64, 0x1004);                              /* PM1a_CNT_BLK (ignored) */
    put32(t + 68, 0x2004);                              /* PM1b_CNT_BLK (used) */
    put32(t + 76, 0x1008);                              /* PM_TMR_BLK (ignored) */
    put32(t + 112, ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP);
    put16(t + 109, ACPI_BOOT_ARCH_8042);                /* 8042, no legacy devices */
    gas(t + 116, ACPI_GAS_IO, 8, 0xcf9);
    t[128] = 0x06;
    put64(t + 140, DSDT2_ADDR);
    gas(t + 148, ACPI_GAS_IO, 32, 0x600);               /* X_PM1a_EVT */
    gas(t + 172, ACPI_GAS_IO, 16, 0x604);               /* X_PM1a_CNT */
    /* X_PM1b_CNT (184) left zero: falls back to the 32-bit field */
    gas(t + 208, ACPI_GAS_IO, 32, 0x608);               /* X_PM_TMR */
    fix(FADT_ADDR);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_fadt *f = &info->fadt;
    assert_true(f->present);
    assert_int_equal(f->revision, 6);
    assert_int_equal(f->pm1a_evt_port, 0x600);
    assert_int_equal(f->pm1a_cnt_port, 0x604);
    assert_int_equal(f->pm1a_cnt.bit_width, 16);
    assert_int_equal(f->pm1b_cnt_port, 0x2004);
    assert_int_equal(f->pm_timer_port, 0x608);
    assert_true(f->pm_timer_32bit);
    assert_true(f->reset_supported);
    assert_int_equal(f->reset_reg.space_id, ACPI_GAS_IO);
    assert_int_equal(f->reset_reg.bit_width, 8);
    assert_int_equal(f->reset_reg.address, 0xcf9);
    assert_int_equal(f->reset_value, 6);
    assert_int_equal(f->dsdt, DSDT2_ADDR);
    assert_logged("DSDT 0x7fe1000 and X_DSDT 0x7fe2000 differ; using X_DSDT");
    assert_true(info->s5.found);
    assert_false(info->s5.in_ssdt);
    assert_int_equal(info->s5.slp_typa, 5);
    assert_int_equal(info->s5.slp_typb, 6);
    assert_true(f->boot_arch_valid);
    assert_false(f->legacy_devices);
    assert_true(f->has_8042);

    /* The same reset register without RESET_REG_SUP does not count. */
    put32(t + 112, ACPI_FADT_TMR_VAL_EXT);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.reset_supported);

    /* Reset register in memory space is fine, at address 0 it is not. */
    put32(t + 112, ACPI_FADT_RESET_REG_SUP);
    gas(t + 116, ACPI_GAS_MEMORY, 8, 0xfed00000);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->fadt.reset_supported);
    assert_int_equal(info->fadt.reset_reg.space_id, ACPI_GAS_MEMORY);
    assert_false(info->fadt.pm_timer_32bit);
    gas(t + 116, ACPI_GAS_IO, 8, 0);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.reset_supported);
    assert_logged("reset register address is 0");

    /* ... nor in an address space we cannot write (functional fixed HW). */
    gas(t + 116, 0x7f, 8, 0xcf9);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.reset_supported);
    assert_logged("reset register in address space 127: unsupported");
}

static void test_fadt_pm1_not_io(void **state)
{
    (void)state;
    std_machine(0);
    uint8_t *t = fadt(FADT_ADDR, 244, 5, (uint32_t)DSDT_ADDR);
    gas(t + 172, ACPI_GAS_MEMORY, 16, 0xfe000004);      /* X_PM1a_CNT in MMIO */
    gas(t + 208, ACPI_GAS_MEMORY, 32, 0xfe000008);      /* X_PM_TMR in MMIO */
    gas(t + 184, ACPI_GAS_IO, 16, 0x12345);             /* X_PM1b_CNT: not a port */
    fix(FADT_ADDR);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_fadt *f = &info->fadt;
    assert_true(f->present);
    assert_int_equal(f->pm1a_cnt_port, 0);
    assert_int_equal(f->pm1a_cnt.space_id, ACPI_GAS_MEMORY);
    assert_int_equal(f->pm1a_cnt.address, 0xfe000004);
    assert_int_equal(f->pm_timer_port, 0);
    assert_int_equal(f->pm1b_cnt_port, 0);
    assert_int_equal(f->pm1a_evt_port, 0xb000);         /* X_ zero: 32-bit field */
    assert_logged("FADT: PM1a_CNT at 0xfe000004 is in address space 0, not I/O: unsupported");
    assert_logged("FADT: PM_TMR at 0xfe000008 is in address space 0");
    assert_logged("FADT: PM1b_CNT I/O port 0x12345 is out of range");
}

static void test_fadt_rev3_no_x_dsdt(void **state)
{
    (void)state;
    std_machine(0);
    /* 132 bytes, alone in readable memory: the reset register is covered,
     * X_DSDT (140) is not and must not be read. */
    region(0x6000000, 132);
    uint8_t *t = fadt(0x6000000, 132, 3, (uint32_t)DSDT_ADDR);
    put32(t + 112, ACPI_FADT_RESET_REG_SUP);
    put16(t + 109, ACPI_BOOT_ARCH_LEGACY_DEVICES | ACPI_BOOT_ARCH_8042);
    gas(t + 116, ACPI_GAS_IO, 8, 0xcf9);
    t[128] = 0x0e;
    fix(0x6000000);
    uint64_t e[] = { 0x6000000 };
    rsdt(RSDT_ADDR, e, 1);

    assert_int_equal(parse(RSDP_ADDR), 0);
    const struct acpi_fadt *f = &info->fadt;
    assert_true(f->present);
    assert_true(f->reset_supported);
    assert_int_equal(f->reset_value, 0x0e);
    assert_int_equal(f->dsdt, DSDT_ADDR);
    assert_true(f->boot_arch_valid);
    assert_true(f->legacy_devices);
    assert_true(f->has_8042);
    assert_false(info->madt.present);
}

static void test_fadt_too_short(void **state)
{
    (void)state;
    std_machine(0);
    fadt(FADT_ADDR, 100, 1, (uint32_t)DSDT_ADDR);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.present);
    assert_false(info->s5.found);               /* no FADT, no DSDT */
    assert_logged("FACP at 0x7fe0200: too short for a FADT (100 bytes, at least 116), ignored");
    assert_int_equal(find_table("FACP", 0)->status, ACPI_TABLE_MALFORMED);
}

static void test_dsdt_problems(void **state)
{
    (void)state;
    std_machine(0);

    /* The FADT's DSDT pointer leads to something else. */
    fadt(FADT_ADDR, 116, 1, (uint32_t)MADT_ADDR);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.dsdt_valid);
    assert_false(info->s5.found);
    assert_logged("DSDT at 0x7fe0400: signature is \"APIC\", ignored");

    /* A DSDT with a bad checksum: not searched. */
    fadt(FADT_ADDR, 116, 1, (uint32_t)DSDT_ADDR);
    fix(FADT_ADDR);
    corrupt(DSDT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->fadt.dsdt_valid);
    assert_false(info->s5.found);
    assert_logged("DSDT at 0x7fe1000: bad checksum, ignored");
    const struct acpi_table *d = find_table("DSDT", 0);
    assert_non_null(d);
    assert_true(d->from_fadt);
    assert_false(d->valid);

    /* No DSDT address at all. */
    fadt(FADT_ADDR, 116, 1, 0);
    fix(FADT_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_logged("FADT at 0x7fe0200 has no DSDT address");
}

/* ---- \_S5 ------------------------------------------------------------- */

static bool s5(const uint8_t *aml, size_t n, uint32_t *a, uint32_t *b)
{
    /* An exact-size heap copy, so reading past n is caught. */
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, aml, n);
    *a = *b = 0xdead;
    bool r = acpi_aml_find_s5(c, n, a, b);
    free(c);
    return r;
}

static void test_s5_encodings(void **state)
{
    (void)state;
    uint8_t aml[512];
    uint32_t a, b;
    size_t n;

    /* BytePrefix values. */
    const uint8_t bytes[] = { 0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };
    n = s5_aml(aml, false, 1, 4, bytes, sizeof(bytes));
    assert_true(s5(aml, n, &a, &b));
    assert_int_equal(a, 5);
    assert_int_equal(b, 7);

    /* Zero and One, with the root prefix. */
    const uint8_t zo[] = { 0x00, 0x01 };
    n = s5_aml(aml, true, 1, 2, zo, sizeof(zo));
    assert_int_equal(aml[1], '\\');
    assert_true(s5(aml, n, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);

    /* Word, DWord and Ones. */
    const uint8_t wd[] = { 0x0b, 0x03, 0x01, 0x0c, 0x04, 0x03, 0x02, 0x01 };
    n = s5_aml(aml, false, 1, 2, wd, sizeof(wd));
    assert_true(s5(aml, n, &a, &b));
    assert_int_equal(a, 0x0103);
    assert_int_equal(b, 0x01020304);
    const uint8_t ones[] = { 0xff, 0x0a, 0x02 };
    n = s5_aml(aml, false, 1, 2, ones, sizeof(ones));
    assert_true(s5(aml, n, &a, &b));
    assert_int_equal(a, 0xffffffff);
    assert_int_equal(b, 2);

    /* Multi-byte PkgLength: 2, 3 and 4 bytes for a short package. */
    for (int pl = 2; pl <= 4; pl++) {
        n = s5_aml(aml, true, pl, 4, bytes, sizeof(bytes));
        assert_int_equal(aml[7] >> 6, pl - 1);
        assert_true(s5(aml, n, &a, &b));
        assert_int_equal(a, 5);
        assert_int_equal(b, 7);
    }

    /* A package longer than 63 bytes needs the 2-byte form. */
    uint8_t many[200];
    for (size_t i = 0; i < sizeof(many); i += 2) {
        many[i] = 0x0a;
        many[i + 1] = (uint8_t)(i / 2 + 3);
    }
    n = s5_aml(aml, false, 2, 100, many, sizeof(many));
    assert_true(s5(aml, n, &a, &b));
    assert_int_equal(a, 3);
    assert_int_equal(b, 4);

    /* Preceded by other AML. */
    uint8_t big[600];
    memcpy(big, filler_aml, sizeof(filler_aml));
    n = sizeof(filler_aml) + s5_aml(big + sizeof(filler_aml), false, 1, 4, bytes, sizeof(bytes));
    assert_true(s5(big, n, &a, &b));
    assert_int_equal(a, 5);
}

static void test_s5_rejected(void **state)
{
    (void)state;
    uint8_t aml[64];
    uint32_t a, b;
    size_t n;
    const uint8_t bytes[] = { 0x0a, 0x05, 0x0a, 0x07 };

    /* Not a NameOp before the name (e.g. a Store to \_S5_ elsewhere). */
    n = s5_aml(aml, false, 1, 2, bytes, sizeof(bytes));
    aml[0] = 0x70;
    assert_false(s5(aml, n, &a, &b));
    aml[0] = 0x08;

    /* Not a package. */
    aml[5] = 0x13;
    assert_false(s5(aml, n, &a, &b));
    aml[5] = 0x12;
    assert_true(s5(aml, n, &a, &b));

    /* QWordPrefix and a name as elements: not understood. */
    const uint8_t qw[] = { 0x0e, 1, 0, 0, 0, 0, 0, 0, 0, 0x00 };
    n = s5_aml(aml, false, 1, 2, qw, sizeof(qw));
    assert_false(s5(aml, n, &a, &b));
    const uint8_t second_bad[] = { 0x00, 'A', 'B', 'C', 'D' };
    n = s5_aml(aml, false, 1, 2, second_bad, sizeof(second_bad));
    assert_false(s5(aml, n, &a, &b));

    /* Fewer than two elements. */
    n = s5_aml(aml, false, 1, 1, bytes, sizeof(bytes));
    assert_false(s5(aml, n, &a, &b));

    /* Elements beyond the package's own length. */
    n = s5_aml(aml, false, 1, 2, bytes, sizeof(bytes));
    aml[6] = 5;                         /* pkglen, count, 0x0a 0x05, 0x0a: b cut */
    assert_false(s5(aml, n, &a, &b));

    /* A package longer than the AML. */
    aml[6] = 40;
    assert_false(s5(aml, n, &a, &b));

    /* Multi-byte PkgLength with the reserved bits 5-4 set. */
    n = s5_aml(aml, false, 2, 2, bytes, sizeof(bytes));
    aml[6] |= 0x10;
    assert_false(s5(aml, n, &a, &b));

    /* A rejected candidate does not stop the search. */
    uint8_t two[64];
    n = s5_aml(two, false, 1, 2, qw, sizeof(qw));
    n += s5_aml(two + n, false, 1, 2, bytes, sizeof(bytes));
    assert_true(s5(two, n, &a, &b));
    assert_int_equal(a, 5);
    assert_int_equal(b, 7);

    assert_false(acpi_aml_find_s5(NULL, 10, &a, &b));
}

static void test_s5_truncated(void **state)
{
    (void)state;
    uint8_t aml[64];
    uint32_t a, b;
    const uint8_t dw[] = { 0x0c, 1, 2, 3, 4, 0x0c, 5, 6, 7, 8 };

    /* Cut the AML at every length short of the whole: never found, never
     * read past the end (ASan). */
    for (int pl = 1; pl <= 4; pl++) {
        for (int root = 0; root <= 1; root++) {
            size_t n = s5_aml(aml, root, pl, 2, dw, sizeof(dw));
            assert_true(s5(aml, n, &a, &b));
            assert_int_equal(a, 0x04030201);
            assert_int_equal(b, 0x08070605);
            for (size_t cut = 0; cut < n; cut++)
                assert_false(s5(aml, cut, &a, &b));
        }
    }
}

static void test_s5_in_tables(void **state)
{
    (void)state;
    std_machine(2);
    uint8_t aml[64];
    const uint8_t el_ssdt[] = { 0x0a, 0x02, 0x0a, 0x03 };
    const uint8_t el_dsdt[] = { 0x01, 0x0a, 0x07 };

    /* DSDT without \_S5, SSDT with it. */
    aml_table(DSDT_ADDR, "DSDT", filler_aml, sizeof(filler_aml));
    aml_table(SSDT_ADDR, "SSDT", aml, s5_aml(aml, true, 1, 2, el_ssdt, sizeof(el_ssdt)));
    uint64_t e[] = { FADT_ADDR, SSDT_ADDR, MADT_ADDR };
    xsdt(XSDT_ADDR, e, 3);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->s5.found);
    assert_true(info->s5.in_ssdt);
    assert_int_equal(info->s5.slp_typa, 2);
    assert_int_equal(info->s5.slp_typb, 3);

    /* With \_S5 in the DSDT as well, the DSDT wins. */
    aml_table(DSDT_ADDR, "DSDT", aml, s5_aml(aml, false, 2, 2, el_dsdt, sizeof(el_dsdt)));
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->s5.found);
    assert_false(info->s5.in_ssdt);
    assert_int_equal(info->s5.slp_typa, 1);
    assert_int_equal(info->s5.slp_typb, 7);

    /* A truncated package in the DSDT, good SSDT: the SSDT's. */
    size_t n = s5_aml(aml, false, 1, 2, el_dsdt, sizeof(el_dsdt));
    aml_table(DSDT_ADDR, "DSDT", aml, n - 1);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->s5.in_ssdt);
    assert_int_equal(info->s5.slp_typa, 2);

    /* The DSDT's package running past the end of the DSDT, where the next
     * bytes of memory would complete it: still not found there. */
    aml_table(DSDT_ADDR, "DSDT", aml, n - 2);
    memcpy(P(DSDT_ADDR) + 36 + n - 2, aml + n - 2, 2);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->s5.in_ssdt);

    /* Nowhere at all. */
    aml_table(SSDT_ADDR, "SSDT", filler_aml, sizeof(filler_aml));
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->s5.found);
}

/* ---- HPET ---------------------------------------------------------------- */

static void test_hpet(void **state)
{
    (void)state;
    std_machine(0);
    P(HPET_ADDR)[52] = 2;
    fix(HPET_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_true(info->hpet.present);
    assert_int_equal(info->hpet.table, HPET_ADDR);
    assert_int_equal(info->hpet.address, 0xfed00000);
    assert_int_equal(info->hpet.event_timer_block_id, 0x8086a201);
    assert_int_equal(info->hpet.hpet_number, 2);

    /* Absent from the root table. */
    uint64_t e[] = { FADT_ADDR, MADT_ADDR };
    rsdt(RSDT_ADDR, e, 2);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);
    assert_int_equal(info->hpet.address, 0);
    assert_null(find_table("HPET", 0));

    /* Present but its base is in I/O space or zero: unusable. */
    uint64_t e3[] = { FADT_ADDR, MADT_ADDR, HPET_ADDR };
    rsdt(RSDT_ADDR, e3, 3);
    std_hpet(HPET_ADDR, ACPI_GAS_IO, 0xfed00000);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);
    assert_logged("HPET at 0x7fe0600: base 0xfed00000 in address space 1 is unusable, ignored");
    std_hpet(HPET_ADDR, ACPI_GAS_MEMORY, 0);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);

    /* Bad checksum. */
    std_hpet(HPET_ADDR, ACPI_GAS_MEMORY, 0xfed00000);
    corrupt(HPET_ADDR);
    assert_int_equal(parse(RSDP_ADDR), 0);
    assert_false(info->hpet.present);
    assert_logged("acpi: HPET at 0x7fe0600: bad checksum, ignored");
}

/* ---- summary -------------------------------------------------------------- */

static void test_describe(void **state)
{
    (void)state;
    std_machine(2);
    assert_int_equal(parse(RSDP_ADDR), 0);
    clear_logs();
    acpi_describe(info, cap_log, &fm);
    assert_int_equal(nlogs, 4);
    assert_string_equal(logs[0], "acpi: RSDP rev 2 OEM BOCHS at 0xf5a10, XSDT with 3 tables: "
                                 "FACP APIC HPET");
    assert_string_equal(logs[1], "acpi: MADT: 2 CPUs (apic 0 1), 1 IOAPIC, LAPIC at 0xfee00000");
    assert_string_equal(logs[2], "acpi: FADT: PM1a_CNT 0xb004, PM timer 0xb008 (24-bit), "
                                 "reset reg none, S5 SLP_TYP a=0 b=0");
    assert_string_equal(logs[3], "acpi: HPET at 0xfed00000");

    /* One CPU, a bad HPET, reset register, 32-bit timer, no \_S5. */
    std_madt(MADT_ADDR, 1);
    corrupt(HPET_ADDR);
    uint8_t *t = fadt(FADT_ADDR, 129, 2, (uint32_t)DSDT_ADDR);
    put32(t + 112, ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP);
    gas(t + 116, ACPI_GAS_IO, 8, 0xcf9);
    t[128] = 6;
    fix(FADT_ADDR);
    aml_table(DSDT_ADDR, "DSDT", filler_aml, sizeof(filler_aml));
    assert_int_equal(parse(RSDP_ADDR), 0);
    clear_logs();
    acpi_describe(info, cap_log, &fm);
    assert_int_equal(nlogs, 4);
    assert_string_equal(logs[0], "acpi: RSDP rev 2 OEM BOCHS at 0xf5a10, XSDT with 3 tables: "
                                 "FACP APIC HPET(bad)");
    assert_string_equal(logs[1], "acpi: MADT: 1 CPU (apic 0), 1 IOAPIC, LAPIC at 0xfee00000");
    assert_string_equal(logs[2], "acpi: FADT: PM1a_CNT 0xb004, PM timer 0xb008 (32-bit), "
                                 "reset reg io 0xcf9 value 0x6, S5 not found");
    assert_string_equal(logs[3], "acpi: no HPET");

    /* After a failed parse: nothing claimed. */
    P(RSDP_ADDR)[12] ^= 1;
    assert_int_equal(parse(RSDP_ADDR), ACPI_E_RSDP_CHECKSUM);
    clear_logs();
    acpi_describe(info, cap_log, &fm);
    assert_int_equal(nlogs, 4);
    assert_string_equal(logs[0], "acpi: RSDP at 0xf5a10 unusable: no ACPI tables");
    assert_string_equal(logs[1], "acpi: no MADT: the CPU list is unknown");
    assert_string_equal(logs[2], "acpi: no FADT: no ACPI power-off, reset register or PM timer");
    assert_string_equal(logs[3], "acpi: no HPET");

    acpi_describe(NULL, cap_log, &fm);
    acpi_describe(info, NULL, NULL);
}

static void test_describe_madt_details(void **state)
{
    (void)state;
    std_machine(0);
    struct madt_b b = madt_begin(MADT_ADDR, 0xfee00000, 0);
    for (uint8_t i = 0; i < 30; i++)
        madt_lapic(&b, i, i, 1);
    madt_lapic(&b, 30, 30, 2);
    madt_lapic(&b, 31, 31, 0);
    madt_lapic(&b, 32, 0, 1);
    madt_end(&b, 0);
    assert_int_equal(parse(RSDP_ADDR), 0);
    clear_logs();
    acpi_describe(info, cap_log, &fm);
    assert_string_equal(logs[1], "acpi: MADT: 30 CPUs (apic 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
                        "15 16 17 18 19 20 21 22 23 ...), 1 online-capable, 1 disabled, "
                        "1 duplicate, 0 IOAPICs, LAPIC at 0xfee00000");
}

/* ---- hostile input --------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Random and bit-flipped tables with fixed-up checksums: the parser may
 * reject them but must never read outside what it mapped or loop. */
static void test_hostile(void **state)
{
    (void)state;
    std_machine(2);
    uint8_t aml[64];
    const uint8_t el[] = { 0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };
    aml_table(SSDT_ADDR, "SSDT", aml, s5_aml(aml, true, 2, 4, el, sizeof(el)));
    uint64_t e[] = { FADT_ADDR, MADT_ADDR, HPET_ADDR, SSDT_ADDR };
    xsdt(XSDT_ADDR, e, 4);
    const uint64_t tabs[] = { FADT_ADDR, MADT_ADDR, HPET_ADDR, SSDT_ADDR, DSDT_ADDR, XSDT_ADDR };

    for (size_t ti = 0; ti < sizeof(tabs) / sizeof(tabs[0]); ti++) {
        uint8_t *t = P(tabs[ti]);
        uint32_t len = get32(t + 4);
        uint8_t saved[512];
        assert_true(len <= sizeof(saved));
        memcpy(saved, t, len);
        for (uint32_t i = 0; i < len; i++) {
            if (i == 9)
                continue;
            for (int v = 0; v < 3; v++) {
                t[i] = v == 0 ? 0x00 : v == 1 ? 0xff : (uint8_t)rng();
                fix(tabs[ti]);
                parse(RSDP_ADDR);
                fm_free_copies();
            }
            memcpy(t, saved, len);
        }
    }

    /* Entirely random MADT bodies. */
    for (int round = 0; round < 500; round++) {
        uint32_t len = 44 + rng() % 200;
        uint8_t *t = table(MADT_ADDR, "APIC", len, 3);
        for (uint32_t i = 36; i < len; i++)
            t[i] = (uint8_t)(rng() % 4 == 0 ? rng() % 12 : rng());
        fix(MADT_ADDR);
        assert_int_equal(parse(RSDP_ADDR), 0);
        assert_true(info->madt.cpu_count <= ACPI_MAX_CPUS);
        fm_free_copies();
    }

    /* Random AML around "_S5_" fragments. */
    for (int round = 0; round < 2000; round++) {
        uint8_t buf[48];
        size_t n = 1 + rng() % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rng();
        size_t at = rng() % n;
        static const uint8_t frag[] = { 0x08, '_', 'S', '5', '_', 0x12 };
        for (size_t i = 0; i < sizeof(frag) && at + i < n; i++)
            buf[at + i] = frag[i];
        uint32_t a, b;
        s5(buf, n, &a, &b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rsdp_v1_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_v2_xsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsdt_bad_checksum_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsdt_other_fallbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsdp_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_list_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_ebda, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_ebda_only_first_kib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_bios_area, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_nothing_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_zero_length_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_entry_past_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madt_bad_checksum_fadt_still_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absurd_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_rev1_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_x_fields_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_pm1_not_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_rev3_no_x_dsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fadt_too_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dsdt_problems, setup, teardown),
        cmocka_unit_test(test_s5_encodings),
        cmocka_unit_test(test_s5_rejected),
        cmocka_unit_test(test_s5_truncated),
        cmocka_unit_test_setup_teardown(test_s5_in_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hpet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_madt_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
    };
    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
