/*
 * The core's side of ACPI: find the RSDP (from the boot path, else by the
 * BIOS scan on multiboot2/BIOS machines), parse through an accessor that
 * only reaches identity-mapped memory, and print what was found.
 */
#include <hv/acpi.h>
#include <hv/boot_info.h>
#include <hv/log.h>
#include <hv/layout.h>

/* Device registers start here on PC platforms (IOAPIC, HPET, LAPIC,
 * firmware flash): a corrupt table pointer must not make us read them. */
#define MMIO_WINDOW 0xfec00000ULL
#define LOW_MEMORY  0x100000ULL

/* Reads are allowed only inside one memory-map range that can hold
 * tables (RAM, ACPI, reserved below the MMIO window) or in the first MiB
 * (BIOS areas). Anything else, such as an MMIO hole, is refused. */
static const void *map_phys(void *ctx, uint64_t phys, size_t len)
{
    const struct boot_info *bi = ctx;
    uint64_t end = phys + len;

    if (end < phys)
        return NULL;
    if (end <= LOW_MEMORY)
        return phys_to_ptr(phys);
    for (uint32_t i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_range *r = &bi->mmap[i];
        uint64_t rend = r->base + r->length;
        if (phys < r->base || end > rend || rend < r->base)
            continue;
        if (r->type == BOOT_MEM_USABLE || r->type == BOOT_MEM_ACPI_RECLAIM ||
            r->type == BOOT_MEM_ACPI_NVS ||
            (r->type == BOOT_MEM_RESERVED && end <= MMIO_WINDOW))
            return phys_to_ptr(phys);
    }
    return NULL;
}

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    kprintf("%s\n", msg);
}

bool acpi_init(const struct boot_info *bi, struct acpi_info *out)
{
    const struct acpi_mem mem = { .map = map_phys, .ctx = (void *)bi };
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
