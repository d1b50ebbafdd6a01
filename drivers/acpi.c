/*
 * ACPI table parser (include/hv/acpi.h). Pure logic: firmware memory is
 * read only through struct acpi_mem, every table is mapped first for its
 * header and then for exactly the length the header gives, and all reads
 * stay inside what was mapped. Multi-byte fields are assembled byte by byte
 * (tables are byte-packed and little-endian, ACPI 6.5 5.2). Section
 * numbers refer to ACPI 6.5.
 *
 * This file finds the RSDP, checks every table and decodes the MADT, FADT
 * and HPET into struct acpi_info; drivers/acpi_aml.c finds \_S5 in the
 * DSDT/SSDT AML, drivers/acpi_describe.c logs the summary.
 */
#include <hv/acpi.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <stdarg.h>

#define RSDP_V1_LEN     20      /* 5.2.5.3: the ACPI 1.0 part */
#define RSDP_V2_LEN     36
#define RSDP_MAX_LEN    KiB(4)  /* a longer "length" field is corrupt */

#define EBDA_SEG_PTR    0x40e   /* 5.2.5.1: BDA word holding the EBDA segment */
#define EBDA_SCAN_LEN   KiB(1)
#define BIOS_AREA_START 0xe0000
#define BIOS_AREA_END   0x100000

#define MADT_ENTRIES    44      /* 5.2.12: header, LAPIC address, flags */
#define FADT_V1_LEN     116     /* ACPI 1.0 FADT: ends with the flags */
#define HPET_MIN_LEN    52      /* IA-PC HPET spec table 3: up to the base GAS */

typedef unsigned long long ull;

struct parser {
    const struct acpi_mem *m;
    struct acpi_info *out;
    acpi_log_fn log;
    void *log_ctx;
    struct acpi_s5 ssdt_s5;         /* the first \_S5 found in an SSDT */
    struct acpi_table scratch;      /* record sink once tables[] is full */
};

/* ---- helpers ---------------------------------------------------------- */

static void emit(acpi_log_fn log, void *ctx, const char *fmt, ...) __printf(3, 4);
static void emit(acpi_log_fn log, void *ctx, const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log(ctx, buf);
}

#define plog(p, ...) emit((p)->log, (p)->log_ctx, __VA_ARGS__)

/* [phys, phys + len) through the accessor; NULL when empty, wrapping or
 * not readable. */
static const uint8_t *mem_read(const struct acpi_mem *m, uint64_t phys, size_t len)
{
    if (!m || !m->map || len == 0 || (uint64_t)len - 1 > UINT64_MAX - phys)
        return NULL;
    return m->map(m->ctx, phys, len);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* 5.2.5.3, 5.2.6: all bytes, checksum included, sum to zero. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static bool sig_is(const uint8_t *p, const char *sig)
{
    return p[0] == (uint8_t)sig[0] && p[1] == (uint8_t)sig[1] &&
           p[2] == (uint8_t)sig[2] && p[3] == (uint8_t)sig[3];
}

/* Printable copy of a 4-byte signature for messages and the table list. */
static void sig_copy(char out[5], const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    out[4] = '\0';
}

/* 5.2.3.2 Generic Address Structure: 12 bytes. */
static void gas_decode(const uint8_t *p, struct acpi_gas *g)
{
    g->space_id = p[0];
    g->bit_width = p[1];
    g->bit_offset = p[2];
    g->access_size = p[3];
    g->address = rd64(p + 4);
}

/* ---- RSDP --------------------------------------------------------------- */

/* The revision >= 2 part of an RSDP whose first 20 bytes are valid (5.2.5.3).
 * Returns NULL and the XSDT address, or what is wrong. */
static const char *rsdp_ext_check(const struct acpi_mem *m, uint64_t phys, uint64_t *xsdt)
{
    const uint8_t *h = mem_read(m, phys, RSDP_V2_LEN);
    if (!h)
        return "its extended part is not readable";
    uint32_t len = rd32(h + 20);
    if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN)
        return "its length field is absurd";
    const uint8_t *x = mem_read(m, phys, len);
    if (!x)
        return "its extended part is not readable";
    if (sum8(x, len))
        return "its extended checksum is bad";
    *xsdt = rd64(h + 24);
    return NULL;
}

static bool rsdp_valid(const struct acpi_mem *m, uint64_t phys)
{
    const uint8_t *r = mem_read(m, phys, RSDP_V1_LEN);
    uint64_t xsdt;

    if (!r || memcmp(r, "RSD PTR ", 8) != 0 || sum8(r, RSDP_V1_LEN))
        return false;
    return r[15] < 2 || rsdp_ext_check(m, phys, &xsdt) == NULL;
}

/* Candidates lie on 16-byte boundaries and must fit the area (5.2.5.1). */
static bool rsdp_scan(const struct acpi_mem *m, uint64_t start, uint64_t end, uint64_t *out)
{
    for (uint64_t a = start; a + RSDP_V1_LEN <= end; a += 16) {
        if (rsdp_valid(m, a)) {
            *out = a;
            return true;
        }
    }
    return false;
}

bool acpi_find_rsdp_legacy(const struct acpi_mem *m, uint64_t *rsdp_out)
{
    if (!m || !m->map || !rsdp_out)
        return false;
    const uint8_t *bda = mem_read(m, EBDA_SEG_PTR, 2);
    if (bda) {
        uint64_t ebda = (uint64_t)rd16(bda) << 4;
        if (ebda && rsdp_scan(m, ebda, ebda + EBDA_SCAN_LEN, rsdp_out))
            return true;
    }
    return rsdp_scan(m, BIOS_AREA_START, BIOS_AREA_END, rsdp_out);
}

/* ---- tables ------------------------------------------------------------- */

static struct acpi_table *record_new(struct parser *p, uint64_t phys)
{
    struct acpi_info *out = p->out;
    struct acpi_table *rec;

    if (out->table_count < ACPI_MAX_TABLES) {
        rec = &out->tables[out->table_count++];
    } else {
        if (out->tables_dropped++ == 0)
            plog(p, "acpi: more than %d tables; the rest are parsed but not listed",
                 ACPI_MAX_TABLES);
        rec = &p->scratch;
    }
    memset(rec, 0, sizeof(*rec));
    memcpy(rec->sig, "????", 5);
    rec->address = phys;
    rec->status = ACPI_TABLE_UNREADABLE;
    return rec;
}

/*
 * Map and check one table (5.2.6): readable header, sane length, readable
 * in full, checksum, and the signature `want` if given. Problems are
 * reported as "<SIG> at <addr>: <problem>, <consequence>". Returns the
 * table and its length, or NULL.
 */
static const uint8_t *table_get(struct parser *p, uint64_t phys, const char *want,
                                const char *consequence, uint32_t *len_out,
                                struct acpi_table *rec)
{
    const char *name = want ? want : "table";
    const uint8_t *h = mem_read(p->m, phys, ACPI_HEADER_LEN);

    if (!h) {
        plog(p, "acpi: %s at %#llx: header not readable, %s", name, (ull)phys, consequence);
        rec->status = ACPI_TABLE_UNREADABLE;
        return NULL;
    }
    sig_copy(rec->sig, h);
    uint32_t len = rd32(h + 4);
    rec->length = len;
    if (want && !sig_is(h, want)) {
        plog(p, "acpi: %s at %#llx: signature is \"%s\", %s", want, (ull)phys, rec->sig,
             consequence);
        rec->status = ACPI_TABLE_BAD_SIGNATURE;
        return NULL;
    }
    name = rec->sig;
    if (len < ACPI_HEADER_LEN || len > ACPI_MAX_TABLE_LEN) {
        plog(p, "acpi: %s at %#llx: absurd length %u, %s", name, (ull)phys, len, consequence);
        rec->status = ACPI_TABLE_BAD_LENGTH;
        return NULL;
    }
    const uint8_t *t = mem_read(p->m, phys, len);
    if (!t) {
        plog(p, "acpi: %s at %#llx: truncated (its %u bytes are not readable), %s", name,
             (ull)phys, len, consequence);
        rec->status = ACPI_TABLE_TRUNCATED;
        return NULL;
    }
    if (sum8(t, len)) {
        plog(p, "acpi: %s at %#llx: bad checksum, %s", name, (ull)phys, consequence);
        rec->status = ACPI_TABLE_BAD_CHECKSUM;
        return NULL;
    }
    rec->status = ACPI_TABLE_OK;
    rec->valid = true;
    *len_out = len;
    return t;
}

/* ---- MADT (5.2.12) ------------------------------------------------------ */

static void madt_cpu(struct parser *p, uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2)
{
    struct acpi_madt *md = &p->out->madt;
    bool enabled = flags & BIT(0);
    /* Online Capable (bit 1) is reserved when Enabled is set (table 5.23). */
    bool online_capable = !enabled && (flags & BIT(1));

    if (!enabled && !online_capable) {
        md->cpus_disabled++;
        return;
    }
    for (unsigned i = 0; i < md->cpu_count; i++) {
        if (md->cpus[i].apic_id == apic_id) {
            plog(p, "acpi: MADT: APIC ID %u listed twice (uid %u and %u), second entry ignored",
                 apic_id, md->cpus[i].acpi_uid, uid);
            md->cpus_duplicate++;
            return;
        }
    }
    if (md->cpu_count == ACPI_MAX_CPUS) {
        if (md->cpus_dropped++ == 0)
            plog(p, "acpi: MADT: more than %d CPUs; apic %u and later not listed",
                 ACPI_MAX_CPUS, apic_id);
        return;
    }
    struct acpi_cpu *c = &md->cpus[md->cpu_count++];
    c->apic_id = apic_id;
    c->acpi_uid = uid;
    c->enabled = enabled;
    c->online_capable = online_capable;
    c->x2apic = x2;
    if (enabled)
        md->cpus_enabled++;
    else
        md->cpus_online_capable++;
}

static void madt_nmi(struct parser *p, uint32_t uid, uint16_t flags, uint8_t lint, bool x2)
{
    struct acpi_madt *md = &p->out->madt;

    if (md->nmi_count == ACPI_MAX_LAPIC_NMIS) {
        md->nmis_dropped++;
        return;
    }
    struct acpi_lapic_nmi *n = &md->nmis[md->nmi_count++];
    n->acpi_uid = uid;
    n->flags = flags;
    n->lint = lint;
    n->x2apic = x2;
}

/* Minimum lengths of the entry types we read (tables 5.22 to 5.35). */
static uint8_t madt_min_len(uint8_t type)
{
    switch (type) {
    case 0: return 8;       /* Processor Local APIC */
    case 1: return 12;      /* I/O APIC */
    case 2: return 10;      /* Interrupt Source Override */
    case 4: return 6;       /* Local APIC NMI */
    case 5: return 12;      /* Local APIC Address Override */
    case 9: return 16;      /* Processor Local x2APIC */
    case 10: return 12;     /* Local x2APIC NMI */
    default: return 2;      /* not read */
    }
}

static void madt_entry(struct parser *p, const uint8_t *e, uint8_t elen, size_t off)
{
    struct acpi_madt *md = &p->out->madt;
    uint8_t type = e[0];

    if (elen < madt_min_len(type)) {
        plog(p, "acpi: MADT: type %u entry at offset %zu is too short (%u bytes), skipped",
             type, off, elen);
        return;
    }
    switch (type) {
    case 0:
        madt_cpu(p, e[3], e[2], rd32(e + 4), false);
        break;
    case 1:
        if (md->ioapic_count == ACPI_MAX_IOAPICS) {
            if (md->ioapics_dropped++ == 0)
                plog(p, "acpi: MADT: more than %d IOAPICs; id %u and later ignored",
                     ACPI_MAX_IOAPICS, e[2]);
            break;
        }
        md->ioapics[md->ioapic_count].id = e[2];
        md->ioapics[md->ioapic_count].address = rd32(e + 4);
        md->ioapics[md->ioapic_count].gsi_base = rd32(e + 8);
        md->ioapic_count++;
        break;
    case 2:
        if (md->iso_count == ACPI_MAX_ISOS) {
            if (md->isos_dropped++ == 0)
                plog(p, "acpi: MADT: more than %d interrupt source overrides; "
                     "IRQ %u and later ignored", ACPI_MAX_ISOS, e[3]);
            break;
        }
        md->isos[md->iso_count].bus = e[2];
        md->isos[md->iso_count].source = e[3];
        md->isos[md->iso_count].gsi = rd32(e + 4);
        md->isos[md->iso_count].flags = rd16(e + 8);
        md->iso_count++;
        break;
    case 4:
        madt_nmi(p, e[2], rd16(e + 3), e[5], false);
        break;
    case 5:
        /* 5.2.12.8: the 64-bit address replaces the 32-bit header field. */
        md->lapic_address = rd64(e + 4);
        md->lapic_override = true;
        break;
    case 9:
        madt_cpu(p, rd32(e + 4), rd32(e + 12), rd32(e + 8), true);
        break;
    case 10:
        madt_nmi(p, rd32(e + 4), rd16(e + 2), e[8], true);
        break;
    default:
        break;
    }
}

static bool parse_madt(struct parser *p, const uint8_t *t, uint32_t len, uint64_t phys)
{
    struct acpi_madt *md = &p->out->madt;

    if (len < MADT_ENTRIES) {
        plog(p, "acpi: APIC at %#llx: too short for a MADT (%u bytes), ignored", (ull)phys, len);
        return false;
    }
    memset(md, 0, sizeof(*md));
    md->present = true;
    md->table = phys;
    md->lapic_address = rd32(t + 36);
    md->flags = rd32(t + 40);
    md->pcat_compat = md->flags & ACPI_MADT_PCAT_COMPAT;

    /* Each entry starts with type and length (5.2.12). A length below 2
     * would never advance and one past the end would read outside the
     * table: both end the walk. */
    size_t off = MADT_ENTRIES;
    while (off < len) {
        if (len - off < 2) {
            plog(p, "acpi: MADT at %#llx: stray byte at offset %zu, walk stopped",
                 (ull)phys, off);
            md->walk_stopped = true;
            break;
        }
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2) {
            plog(p, "acpi: MADT at %#llx: type %u entry at offset %zu has length %u, "
                 "walk stopped", (ull)phys, type, off, elen);
            md->walk_stopped = true;
            break;
        }
        if (elen > len - off) {
            plog(p, "acpi: MADT at %#llx: type %u entry at offset %zu (length %u) runs past "
                 "the end of the table (%u bytes), walk stopped", (ull)phys, type, off, elen, len);
            md->walk_stopped = true;
            break;
        }
        madt_entry(p, t + off, elen, off);
        off += elen;
    }
    return true;
}

/* ---- FADT (5.2.9) ------------------------------------------------------- */

/*
 * One register block: the 64-bit X_ GAS when the table is long enough and
 * its address is non-zero, else the 32-bit field as an I/O block of
 * `len32` bytes (table 5.9). Only I/O space is usable for these blocks.
 */
static void fadt_block(struct parser *p, const uint8_t *t, uint32_t len, const char *name,
                       size_t off32, uint8_t len32, size_t offx, struct acpi_gas *g,
                       uint16_t *port)
{
    memset(g, 0, sizeof(*g));
    *port = 0;
    if (len >= offx + 12)
        gas_decode(t + offx, g);
    if (!g->address) {
        memset(g, 0, sizeof(*g));
        uint32_t a = rd32(t + off32);
        if (!a)
            return;
        g->space_id = ACPI_GAS_IO;
        g->bit_width = (uint8_t)(len32 * 8);
        g->address = a;
    }
    if (g->space_id != ACPI_GAS_IO) {
        plog(p, "acpi: FADT: %s at %#llx is in address space %u, not I/O: unsupported",
             name, (ull)g->address, g->space_id);
        return;
    }
    if (g->address > 0xffff) {
        plog(p, "acpi: FADT: %s I/O port %#llx is out of range: unsupported", name,
             (ull)g->address);
        return;
    }
    *port = (uint16_t)g->address;
}

static bool parse_fadt(struct parser *p, const uint8_t *t, uint32_t len, uint64_t phys)
{
    struct acpi_fadt *f = &p->out->fadt;

    if (len < FADT_V1_LEN) {
        plog(p, "acpi: FACP at %#llx: too short for a FADT (%u bytes, at least %u), ignored",
             (ull)phys, len, FADT_V1_LEN);
        return false;
    }
    memset(f, 0, sizeof(*f));
    f->present = true;
    f->table = phys;
    f->revision = t[8];
    f->length = len;
    f->sci_int = rd16(t + 46);
    f->smi_cmd = rd32(t + 48);
    f->acpi_enable = t[52];
    f->acpi_disable = t[53];
    f->flags = rd32(t + 112);

    /* Offsets from table 5.9: PM1a/b_EVT_BLK 56/60 (X_ 148/160), PM1a/b_CNT_BLK
     * 64/68 (X_ 172/184), PM_TMR_BLK 76 (X_ 208); lengths at 88, 89, 91. */
    fadt_block(p, t, len, "PM1a_EVT", 56, t[88], 148, &f->pm1a_evt, &f->pm1a_evt_port);
    fadt_block(p, t, len, "PM1b_EVT", 60, t[88], 160, &f->pm1b_evt, &f->pm1b_evt_port);
    fadt_block(p, t, len, "PM1a_CNT", 64, t[89], 172, &f->pm1a_cnt, &f->pm1a_cnt_port);
    fadt_block(p, t, len, "PM1b_CNT", 68, t[89], 184, &f->pm1b_cnt, &f->pm1b_cnt_port);
    fadt_block(p, t, len, "PM_TMR", 76, t[91], 208, &f->pm_tmr, &f->pm_timer_port);
    f->pm_timer_32bit = f->flags & ACPI_FADT_TMR_VAL_EXT;

    /* RESET_REG (GAS at 116) and RESET_VALUE (128) exist from revision 2;
     * they count only with RESET_REG_SUP (4.8.4.6). */
    if (f->flags & ACPI_FADT_RESET_REG_SUP) {
        struct acpi_gas r;
        if (len < 129) {
            plog(p, "acpi: FADT: RESET_REG_SUP set but the table (%u bytes) has no "
                 "reset register", len);
        } else {
            gas_decode(t + 116, &r);
            if (!r.address) {
                plog(p, "acpi: FADT: RESET_REG_SUP set but the reset register address is 0");
            } else if (r.space_id != ACPI_GAS_IO && r.space_id != ACPI_GAS_MEMORY &&
                       r.space_id != ACPI_GAS_PCI_CONFIG) {
                plog(p, "acpi: FADT: reset register in address space %u: unsupported",
                     r.space_id);
            } else {
                f->reset_reg = r;
                f->reset_value = t[128];
                f->reset_supported = true;
            }
        }
    }

    /* X_DSDT (140) takes precedence over DSDT (40) when present (table 5.9). */
    uint32_t dsdt32 = rd32(t + 40);
    uint64_t xdsdt = len >= 148 ? rd64(t + 140) : 0;
    if (xdsdt) {
        if (dsdt32 && dsdt32 != xdsdt)
            plog(p, "acpi: FADT: DSDT %#x and X_DSDT %#llx differ; using X_DSDT", dsdt32,
                 (ull)xdsdt);
        f->dsdt = xdsdt;
    } else {
        f->dsdt = dsdt32;
    }

    /* IAPC_BOOT_ARCH (109, 5.2.9.3) is reserved in revision 1 FADTs, which
     * describe PC-AT compatible machines: legacy devices and an 8042. */
    if (f->revision >= 2) {
        f->boot_arch_valid = true;
        f->iapc_boot_arch = rd16(t + 109);
        f->legacy_devices = f->iapc_boot_arch & ACPI_BOOT_ARCH_LEGACY_DEVICES;
        f->has_8042 = f->iapc_boot_arch & ACPI_BOOT_ARCH_8042;
    } else {
        f->legacy_devices = true;
        f->has_8042 = true;
    }
    return true;
}

/* ---- HPET (IA-PC HPET Specification 1.0a, 3.2.4) ------------------------ */

static bool parse_hpet(struct parser *p, const uint8_t *t, uint32_t len, uint64_t phys)
{
    struct acpi_hpet *h = &p->out->hpet;
    struct acpi_gas base;

    if (len < HPET_MIN_LEN) {
        plog(p, "acpi: HPET at %#llx: too short (%u bytes), ignored", (ull)phys, len);
        return false;
    }
    gas_decode(t + 40, &base);
    if (base.space_id != ACPI_GAS_MEMORY || !base.address) {
        plog(p, "acpi: HPET at %#llx: base %#llx in address space %u is unusable, ignored",
             (ull)phys, (ull)base.address, base.space_id);
        return false;
    }
    memset(h, 0, sizeof(*h));
    h->present = true;
    h->table = phys;
    h->address = base.address;
    h->event_timer_block_id = rd32(t + 36);
    h->hpet_number = len > 52 ? t[52] : 0;
    return true;
}

/* ---- \_S5 (7.4.2; the AML scan: drivers/acpi_aml.c) -------------------- */

static bool find_s5(const uint8_t *t, uint32_t len, struct acpi_s5 *s5)
{
    uint32_t a, b;

    if (!acpi_aml_find_s5(t + ACPI_HEADER_LEN, len - ACPI_HEADER_LEN, &a, &b))
        return false;
    s5->found = true;
    s5->slp_typa = a;
    s5->slp_typb = b;
    return true;
}

/* ---- root tables ------------------------------------------------------- */

static void table_entry(struct parser *p, uint64_t phys)
{
    struct acpi_info *out = p->out;
    struct acpi_table *rec = record_new(p, phys);
    uint32_t len;
    const uint8_t *t = table_get(p, phys, NULL, "ignored", &len, rec);

    if (!t)
        return;

    bool dup = false, used = true;
    uint64_t first = 0;
    const char *kind = NULL;
    if (sig_is(t, "APIC")) {
        kind = "MADT";
        if (out->madt.present) {
            dup = true;
            first = out->madt.table;
        } else {
            used = parse_madt(p, t, len, phys);
        }
    } else if (sig_is(t, "FACP")) {
        kind = "FADT";
        if (out->fadt.present) {
            dup = true;
            first = out->fadt.table;
        } else {
            used = parse_fadt(p, t, len, phys);
        }
    } else if (sig_is(t, "HPET")) {
        kind = "HPET";
        if (out->hpet.present) {
            dup = true;
            first = out->hpet.table;
        } else {
            used = parse_hpet(p, t, len, phys);
        }
    } else if (sig_is(t, "SSDT")) {
        if (!p->ssdt_s5.found)
            find_s5(t, len, &p->ssdt_s5);
    }
    if (dup) {
        plog(p, "acpi: %s at %#llx: another %s (at %#llx) came first, ignored", rec->sig,
             (ull)phys, kind, (ull)first);
        rec->status = ACPI_TABLE_DUPLICATE;
    } else if (!used) {
        rec->status = ACPI_TABLE_MALFORMED;
        rec->valid = false;
    }
}

/* Check the XSDT (8-byte entries) or RSDT (4-byte entries) and, when it is
 * valid, parse every table it lists (5.2.7, 5.2.8). */
static bool root_walk(struct parser *p, uint64_t phys, bool xsdt, const char *consequence)
{
    struct acpi_info *out = p->out;
    const char *name = xsdt ? "XSDT" : "RSDT";
    size_t esz = xsdt ? 8 : 4;
    uint32_t len;
    const uint8_t *t = table_get(p, phys, name, consequence, &len, &p->scratch);

    if (!t)
        return false;
    size_t n = (len - ACPI_HEADER_LEN) / esz;
    if ((len - ACPI_HEADER_LEN) % esz)
        plog(p, "acpi: %s at %#llx: length %u is not a whole number of entries; "
             "the partial one is ignored", name, (ull)phys, len);
    out->xsdt_used = xsdt;
    out->root_table = phys;
    out->root_entries = (unsigned)n;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = t + ACPI_HEADER_LEN + i * esz;
        uint64_t a = xsdt ? rd64(e) : rd32(e);
        if (!a) {
            plog(p, "acpi: %s entry %zu is null, skipped", name, i);
            continue;
        }
        table_entry(p, a);
    }
    return true;
}

static void parse_dsdt(struct parser *p)
{
    struct acpi_fadt *f = &p->out->fadt;
    uint32_t len;

    if (!f->present)
        return;
    if (!f->dsdt) {
        plog(p, "acpi: FADT at %#llx has no DSDT address", (ull)f->table);
        return;
    }
    struct acpi_table *rec = record_new(p, f->dsdt);
    rec->from_fadt = true;
    const uint8_t *t = table_get(p, f->dsdt, "DSDT", "ignored", &len, rec);
    if (!t)
        return;
    f->dsdt_valid = true;
    find_s5(t, len, &p->out->s5);
}

int acpi_parse(const struct acpi_mem *m, uint64_t rsdp_phys, struct acpi_info *out,
               acpi_log_fn log, void *log_ctx)
{
    if (!m || !m->map || !out) {
        emit(log, log_ctx, "acpi: no memory accessor or result structure");
        return ACPI_E_INVAL;
    }
    memset(out, 0, sizeof(*out));
    struct parser p = { .m = m, .out = out, .log = log, .log_ctx = log_ctx };
    out->rsdp = rsdp_phys;

    const uint8_t *r = mem_read(m, rsdp_phys, RSDP_V1_LEN);
    if (!r) {
        plog(&p, "acpi: RSDP at %#llx: not readable", (ull)rsdp_phys);
        return ACPI_E_NO_RSDP;
    }
    if (memcmp(r, "RSD PTR ", 8) != 0) {
        plog(&p, "acpi: RSDP at %#llx: no \"RSD PTR \" signature", (ull)rsdp_phys);
        return ACPI_E_NO_RSDP;
    }
    if (sum8(r, RSDP_V1_LEN)) {
        plog(&p, "acpi: RSDP at %#llx: bad checksum", (ull)rsdp_phys);
        return ACPI_E_RSDP_CHECKSUM;
    }
    out->revision = r[15];
    size_t n = 0;
    for (int i = 0; i < 6; i++)
        out->oem_id[i] = (r[9 + i] >= 0x20 && r[9 + i] < 0x7f) ? (char)r[9 + i] : '?';
    for (n = 6; n > 0 && out->oem_id[n - 1] == ' '; n--)
        ;
    out->oem_id[n] = '\0';
    uint32_t rsdt = rd32(r + 16);

    /* 5.2.5.3: revision 2 and later add the XSDT, which OSPM uses instead
     * of the RSDT when present. */
    uint64_t xsdt = 0;
    bool ext_ok = false;
    if (out->revision >= 2) {
        const char *why = rsdp_ext_check(m, rsdp_phys, &xsdt);
        if (why)
            plog(&p, "acpi: RSDP at %#llx: revision %u but %s; using the RSDT",
                 (ull)rsdp_phys, out->revision, why);
        else
            ext_ok = true;
    }

    char fallback[96];
    if (rsdt)
        hv_snprintf(fallback, sizeof(fallback), "falling back to the RSDT at %#x", rsdt);
    else
        hv_snprintf(fallback, sizeof(fallback), "and there is no RSDT");
    if (xsdt && root_walk(&p, xsdt, true, fallback))
        goto tables_done;
    if (ext_ok && !xsdt)
        plog(&p, "acpi: RSDP rev %u has no XSDT address; using the RSDT", out->revision);
    if (!rsdt) {
        plog(&p, "acpi: RSDP at %#llx: no usable XSDT and no RSDT", (ull)rsdp_phys);
        return ACPI_E_NO_ROOT;
    }
    if (!root_walk(&p, rsdt, false, "no usable root table")) {
        out->root_table = 0;
        return ACPI_E_NO_ROOT;
    }

tables_done:
    parse_dsdt(&p);
    if (!out->s5.found && p.ssdt_s5.found) {
        out->s5 = p.ssdt_s5;
        out->s5.in_ssdt = true;
    }
    return 0;
}
