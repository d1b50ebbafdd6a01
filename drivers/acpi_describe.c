/*
 * The ACPI summary in the boot log (include/hv/acpi.h, acpi_describe()):
 * one line each for the RSDP and root table, the MADT, the FADT with \_S5,
 * and the HPET, from what acpi_parse() (drivers/acpi.c) found. Pure logic.
 */
#include <hv/acpi.h>
#include <hv/fmt.h>
#include <stdarg.h>

typedef unsigned long long ull;

/* One log line built piece by piece; what does not fit is cut off, as a
 * line formatted at once would be (256 bytes). */
struct line {
    char buf[256];
    size_t n;
};

static void line_add(struct line *l, const char *fmt, ...) __printf(2, 3);
static void line_add(struct line *l, const char *fmt, ...)
{
    va_list ap;

    if (l->n >= sizeof(l->buf) - 1)
        return;
    va_start(ap, fmt);
    int w = hv_vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        l->n = MIN(l->n + (size_t)w, sizeof(l->buf) - 1);
}

static const char *plural(unsigned n)
{
    return n == 1 ? "" : "s";
}

static const char *space_name(uint8_t id)
{
    switch (id) {
    case ACPI_GAS_MEMORY: return "mem";
    case ACPI_GAS_IO: return "io";
    case ACPI_GAS_PCI_CONFIG: return "pci";
    default: return "space?";
    }
}

static void describe_root(const struct acpi_info *a, acpi_log_fn log, void *ctx)
{
    struct line l = { .n = 0 };

    if (!a->root_table) {
        line_add(&l, "acpi: RSDP at %#llx unusable: no ACPI tables", (ull)a->rsdp);
        log(ctx, l.buf);
        return;
    }
    line_add(&l, "acpi: RSDP rev %u OEM %s at %#llx, %s with %u table%s", a->revision,
             a->oem_id[0] ? a->oem_id : "(none)", (ull)a->rsdp, a->xsdt_used ? "XSDT" : "RSDT",
             a->root_entries, plural(a->root_entries));
    const char *sep = ":";
    for (unsigned i = 0; i < a->table_count; i++) {
        const struct acpi_table *t = &a->tables[i];
        if (t->from_fadt)
            continue;
        line_add(&l, "%s %s%s", sep, t->sig,
                 t->status == ACPI_TABLE_OK ? "" :
                 t->status == ACPI_TABLE_DUPLICATE ? "(dup)" : "(bad)");
        sep = "";
    }
    if (a->tables_dropped)
        line_add(&l, " +%u more", a->tables_dropped);
    log(ctx, l.buf);
}

static void describe_madt(const struct acpi_madt *md, acpi_log_fn log, void *ctx)
{
    struct line l = { .n = 0 };

    if (!md->present) {
        log(ctx, "acpi: no MADT: the CPU list is unknown");
        return;
    }
    line_add(&l, "acpi: MADT: %u CPU%s (apic", md->cpus_enabled, plural(md->cpus_enabled));
    unsigned shown = 0;
    for (unsigned i = 0; i < md->cpu_count; i++) {
        if (!md->cpus[i].enabled)
            continue;
        if (shown++ == 24) {
            line_add(&l, " ...");
            break;
        }
        line_add(&l, " %u", md->cpus[i].apic_id);
    }
    line_add(&l, ")");
    if (md->cpus_online_capable)
        line_add(&l, ", %u online-capable", md->cpus_online_capable);
    if (md->cpus_disabled)
        line_add(&l, ", %u disabled", md->cpus_disabled);
    if (md->cpus_duplicate)
        line_add(&l, ", %u duplicate", md->cpus_duplicate);
    if (md->cpus_dropped)
        line_add(&l, ", %u over the limit", md->cpus_dropped);
    line_add(&l, ", %u IOAPIC%s", md->ioapic_count, plural(md->ioapic_count));
    line_add(&l, ", LAPIC at %#llx", (ull)md->lapic_address);
    if (md->walk_stopped)
        line_add(&l, " (entries after a malformed one ignored)");
    log(ctx, l.buf);
}

static void describe_fadt(const struct acpi_info *a, acpi_log_fn log, void *ctx)
{
    const struct acpi_fadt *f = &a->fadt;
    struct line l = { .n = 0 };

    if (!f->present) {
        log(ctx, "acpi: no FADT: no ACPI power-off, reset register or PM timer");
        return;
    }
    line_add(&l, "acpi: FADT: ");
    if (f->pm1a_cnt_port)
        line_add(&l, "PM1a_CNT %#x", f->pm1a_cnt_port);
    else
        line_add(&l, "PM1a_CNT none");
    if (f->pm1b_cnt_port)
        line_add(&l, " PM1b_CNT %#x", f->pm1b_cnt_port);
    if (f->pm_timer_port)
        line_add(&l, ", PM timer %#x (%s)", f->pm_timer_port,
                 f->pm_timer_32bit ? "32-bit" : "24-bit");
    else
        line_add(&l, ", PM timer none");
    if (f->reset_supported)
        line_add(&l, ", reset reg %s %#llx value %#x", space_name(f->reset_reg.space_id),
                 (ull)f->reset_reg.address, f->reset_value);
    else
        line_add(&l, ", reset reg none");
    if (f->dsdt && !f->dsdt_valid)
        line_add(&l, ", DSDT at %#llx unusable", (ull)f->dsdt);
    if (a->s5.found)
        line_add(&l, ", S5 SLP_TYP a=%u b=%u%s", a->s5.slp_typa, a->s5.slp_typb,
                 a->s5.in_ssdt ? " (SSDT)" : "");
    else
        line_add(&l, ", S5 not found");
    if (f->flags & ACPI_FADT_HW_REDUCED)
        line_add(&l, ", hardware-reduced");
    log(ctx, l.buf);
}

void acpi_describe(const struct acpi_info *a, acpi_log_fn log, void *ctx)
{
    if (!a || !log)
        return;
    describe_root(a, log, ctx);
    describe_madt(&a->madt, log, ctx);
    describe_fadt(a, log, ctx);
    if (a->hpet.present) {
        struct line l = { .n = 0 };
        line_add(&l, "acpi: HPET at %#llx", (ull)a->hpet.address);
        log(ctx, l.buf);
    } else {
        log(ctx, "acpi: no HPET");
    }
}
