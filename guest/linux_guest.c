/*
 * A Linux kernel as a guest (issue 10): the glue between the pure pieces
 * (guest/linux_image.c and linux_boot.c parse and place, guest/acpi_tables.c
 * describes the platform) and a guest being created or re-created by
 * guest/lifecycle.c. Everything written here lands in the guest's own RAM
 * through guest_ptr; the start state itself is vm/vcpu_vmcs.c's
 * (vcpu_set_entry, from the guest's entry_kind).
 *
 * Guest-physical places (all below the EBDA, RAM in the e820 map, except
 * the ACPI tables, which sit in the reserved BIOS area where a PC has
 * them and where an OS scans for the RSDP):
 *   0x1000-0x6fff   identity page tables of the 64-bit entry (4 GiB, 2 MiB pages)
 *   0x7000          the zero page or the PVH start_info (LINUX_BOOT_INFO_GPA)
 *   0x8000          the GDT: null, null, 0x10 code, 0x18 data (boot.rst)
 *   0x20000         the command line (LINUX_CMDLINE_GPA)
 *   0xe0000-0xfffff RSDP, XSDT, RSDT, FADT, FACS, MADT, DSDT
 */
#include <hv/linux_guest.h>
#include <hv/linux_boot.h>
#include <hv/acpi_tables.h>
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <hv/spinlock.h>

#define LINUX_PT_GPA    0x1000ULL       /* PML4, PDPT, then 4 page directories */
#define LINUX_GDT_GPA   0x8000ULL

static uint8_t *mem_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    return guest_ptr(ctx, gpa, len);
}

bool linux_image_is_bzimage(const uint8_t *img, size_t len)
{
    return len > 0x206 && img[0x202] == 'H' && img[0x203] == 'd' && img[0x204] == 'r' &&
           img[0x205] == 'S';
}

/* The boot protocol's GDT: __BOOT_CS 0x10 (64-bit code for the 64-bit
 * entry, else 32-bit) and __BOOT_DS 0x18, flat 4 GiB. */
static bool write_gdt(struct guest *g, bool long_mode)
{
    uint64_t gdt[4] = {
        0, 0,
        long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL,
        0x00cf93000000ffffULL,
    };
    void *p = guest_ptr(g, LINUX_GDT_GPA, sizeof(gdt));
    if (!p)
        return false;
    memcpy(p, gdt, sizeof(gdt));
    g->entry_gdt = LINUX_GDT_GPA;
    return true;
}

/* Identity map of [0, 4 GiB) with 2 MiB pages (SDM Vol. 3A 4.5): the
 * 64-bit boot protocol wants the kernel, the zero page and the command
 * line identity mapped; the kernel builds its own tables at once. */
static bool write_page_tables(struct guest *g)
{
    uint64_t *pt = guest_ptr(g, LINUX_PT_GPA, 6 * 4096);
    if (!pt)
        return false;
    memset(pt, 0, 6 * 4096);
    uint64_t *pml4 = pt, *pdpt = pt + 512, *pd = pt + 1024;
    pml4[0] = (LINUX_PT_GPA + 0x1000) | 0x3;                    /* present, writable */
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (LINUX_PT_GPA + 0x2000 + i * 0x1000ULL) | 0x3;
    for (unsigned i = 0; i < 4 * 512; i++)
        pd[i] = ((uint64_t)i << 21) | 0x83;                     /* present, writable, 2 MiB */
    g->entry_cr3 = LINUX_PT_GPA;
    return true;
}

/* The guest's ACPI tables in its BIOS area; the RSDP address, or 0. */
static uint64_t write_acpi(struct guest *g, char *err, size_t errlen)
{
    struct acpi_tables_desc d;
    struct acpi_tables_layout lay;
    uint64_t base = ACPI_TABLES_BIOS_START;
    size_t size = ACPI_TABLES_BIOS_END - base;
    uint8_t *buf = guest_ptr(g, base, size);

    acpi_tables_pc_defaults(&d, g->vcpu_count);
    if (!buf) {
        hv_snprintf(err, errlen, "acpi tables: no RAM at %#llx", (unsigned long long)base);
        return 0;
    }
    if (acpi_tables_build(&d, base, buf, size, &lay, err, errlen) != 0)
        return 0;
    return lay.rsdp;
}

bool linux_guest_load(struct guest *g, const struct linux_guest_files *f, char *err,
                      size_t errlen)
{
    struct guest_mem mem = { mem_ptr, guest_ram_end(g->ram_size), g };
    uint64_t rsdp = write_acpi(g, err, errlen);
    if (!rsdp)
        return false;
    struct linux_load_args args = {
        .ram_size = g->ram_size, .cmdline = f->cmdline,
        .initrd = f->initrd, .initrd_len = f->initrd_len, .rsdp = rsdp,
    };
    /* Large: e820 table of 128 entries; one per CPU would do, but loading
     * is rare and the stack is small. */
    static struct linux_boot_state st;
    static spinlock_t lock;
    spin_lock(&lock);
    int rc = linux_image_is_bzimage(f->kernel, f->kernel_len)
                 ? linux_bzimage_load(f->kernel, f->kernel_len, &mem, &args, &st, err, errlen)
                 : linux_pvh_load(f->kernel, f->kernel_len, &mem, &args, &st, err, errlen);
    struct linux_boot_state s = { .mode = st.mode, .entry = st.entry, .boot_info = st.boot_info };
    spin_unlock(&lock);
    if (rc != 0)
        return false;

    bool ok;
    struct vcpu *v0 = g->vcpus[0];
    g->entry = s.entry;
    switch (s.mode) {
    case LINUX_ENTRY_64:
        g->entry_kind = GUEST_ENTRY_LINUX64;
        g->entry_name = "bzImage 64-bit";
        v0->regs.rsi = s.boot_info;
        ok = write_gdt(g, true) && write_page_tables(g);
        break;
    case LINUX_ENTRY_32:
        g->entry_kind = GUEST_ENTRY_LINUX32;
        g->entry_name = "bzImage 32-bit";
        v0->regs.rsi = s.boot_info;
        ok = write_gdt(g, false);
        break;
    default:
        g->entry_kind = GUEST_ENTRY_LINUX32;
        g->entry_name = "PVH";
        v0->regs.rbx = s.boot_info;
        ok = write_gdt(g, false);
        break;
    }
    if (!ok)
        hv_snprintf(err, errlen, "no RAM for the boot GDT and page tables");
    return ok;
}
