/* The device models a guest can have, in the order they are created
 * (include/hv/dm.h). Each decides from the guest's configuration whether
 * it is wanted. */
#include <hv/dm.h>
#include <hv/config.h>
#include <hv/acpi_tables.h>
#include <hv/guest.h>
#include <hv/log.h>

static bool create_uart(struct guest *g, const struct guest_config *gc)
{
    return !gc->has_serial || vuart_attach(g, gc->serial_port);
}

static bool create_debug_exit(struct guest *g, const struct guest_config *gc)
{
    return !gc->has_debug_exit || debug_exit_attach(g, gc->debug_exit_port);
}

static bool create_pic(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vpic_attach(g);      /* every PC has one */
}

static bool create_ioapic(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vioapic_attach(g);   /* what its MADT says; test kernels never touch it */
}

static bool create_pvpanic(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vpvpanic_attach(g, ACPI_TABLES_PVPANIC_PORT);   /* what its DSDT says */
}

/* The passthrough_io range of gc that overlaps [first, first + len), or
 * NULL. Passed-through ports never exit (exit/io.c), so a model there
 * would never be reached. */
static const struct io_range *passed_through(const struct guest_config *gc, unsigned first,
                                             unsigned len)
{
    for (unsigned i = 0; i < gc->passthrough_count; i++)
        if (gc->passthrough[i].first < first + len && first <= gc->passthrough[i].last)
            return &gc->passthrough[i];
    return NULL;
}

static bool create_pci(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vpci_attach(g);      /* 0xcf8-0xcff: never passed through (config/resources.c) */
}

/* What its FADT says (guest/acpi_tables.c, acpi_tables_pc_defaults). A
 * guest given real ports there would send its sleep and power-off writes
 * to whatever the machine has at them: refused. */
static bool create_acpi_pm(struct guest *g, const struct guest_config *gc)
{
    unsigned first = ACPI_TABLES_PM1A_EVT;
    unsigned len = ACPI_TABLES_PM_TMR + ACPI_TABLES_PM_TMR_LEN - first;
    const struct io_range *r = passed_through(gc, first, len);
    if (r) {
        kprintf("guest %s: passthrough_io %#x-%#x (line %u) overlaps ports %#x-%#x, its ACPI PM "
                "registers (its FADT points its kernel there)\n", g->name, r->first, r->last,
                r->line, first, first + len - 1);
        return false;
    }
    return vacpi_pm_attach(g, ACPI_TABLES_PM1A_EVT, ACPI_TABLES_PM1A_CNT, ACPI_TABLES_PM_TMR);
}

/* A guest given the real keyboard controller (passthrough_io 0x60-0x64)
 * talks to it, reset pulse included. */
static bool create_kbc(struct guest *g, const struct guest_config *gc)
{
    return passed_through(gc, VKBC_PORT, 1) || vkbc_attach(g);
}

/* The 8254 (0x40-0x43 and port 0x61) and the CMOS clock (0x70-0x71):
 * every PC has them. A guest given any of their ports with passthrough_io
 * keeps the real device and gets no model of it, so that it never talks
 * to two halves of different ones (the victim of tests/guests/isolation.cfg
 * owns the real CMOS). */
static bool skip_for_passthrough(struct guest *g, const struct guest_config *gc, unsigned first,
                                 unsigned len, const char *what)
{
    const struct io_range *r = passed_through(gc, first, len);
    if (r)
        kprintf("guest %s: passthrough_io %#x-%#x (line %u): the machine's %s there, no virtual "
                "one\n", g->name, r->first, r->last, r->line, what);
    return r != NULL;
}

static bool create_pit(struct guest *g, const struct guest_config *gc)
{
    return skip_for_passthrough(g, gc, 0x40, 4, "8254 timer") ||
           skip_for_passthrough(g, gc, 0x61, 1, "8254 timer's port 0x61") || vpit_attach(g);
}

static bool create_rtc(struct guest *g, const struct guest_config *gc)
{
    return skip_for_passthrough(g, gc, 0x70, 2, "CMOS clock") || vrtc_attach(g);
}

const struct dm_model dm_models[] = {
    { "16550 UART", create_uart },
    { "test-exit port", create_debug_exit },
    { "8259 PIC", create_pic },
    { "I/O APIC", create_ioapic },
    { "pvpanic", create_pvpanic },
    { "PCI configuration space", create_pci },
    { "ACPI PM registers", create_acpi_pm },
    { "keyboard controller reset", create_kbc },
    { "8254 PIT", create_pit },
    { "CMOS RTC", create_rtc },
};
const unsigned dm_model_count = sizeof(dm_models) / sizeof(dm_models[0]);
