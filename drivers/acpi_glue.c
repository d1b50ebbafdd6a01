/*
 * The core's side of ACPI: find the RSDP (from the boot path, else by the
 * BIOS scan on multiboot2/BIOS machines), parse through an accessor that
 * only reaches identity-mapped memory, and print what was found.
 */
#include <hv/acpi.h>
#include <hv/boot_info.h>
#include <hv/console.h>
#include <hv/layout.h>

/* Whatever a firmware table claims, we only read below this (the boot
 * page tables map 4 GiB; paging.c maps more, but ACPI tables live low). */
#define ACPI_READ_LIMIT GiB(4)

static const void *map_phys(void *ctx, uint64_t phys, size_t len)
{
    (void)ctx;
    if (len > ACPI_READ_LIMIT || phys > ACPI_READ_LIMIT - len)
        return NULL;
    return phys_to_ptr(phys);
}

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    kprintf("%s\n", msg);
}

bool acpi_init(const struct boot_info *bi, struct acpi_info *out)
{
    const struct acpi_mem mem = { .map = map_phys, .ctx = NULL };
    uint64_t rsdp = bi->rsdp;

    if (!rsdp && bi->path == BOOT_PATH_MULTIBOOT2) {
        /* Only a BIOS machine keeps the RSDP in the legacy areas. */
        if (acpi_find_rsdp_legacy(&mem, &rsdp))
            kprintf("acpi: RSDP found by the BIOS area scan at %#lx\n", rsdp);
    }
    if (!rsdp) {
        kprintf("acpi: no RSDP from the firmware: no ACPI tables; one CPU, "
                "no ACPI power-off\n");
        return false;
    }
    int rc = acpi_parse(&mem, rsdp, out, log_line, NULL);
    if (rc != 0) {
        kprintf("acpi: tables at RSDP %#lx unusable (error %d); one CPU, "
                "no ACPI power-off\n", rsdp, rc);
        return false;
    }
    acpi_describe(out, log_line, NULL);
    return true;
}
