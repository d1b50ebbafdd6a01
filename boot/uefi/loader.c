/*
 * hvboot: the UEFI loader (BOOTX64.EFI).
 *
 * Started by the firmware from an EFI System Partition, it reads the core
 * (\hv\hv.elf) and its configuration (\hv\hv.cfg) from the same volume,
 * and the files the configuration names, found by the core's own parser
 * (config/); places the core's PT_LOAD segments at their linked physical
 * address (or a 2 MiB multiple above it), fills struct boot_info, leaves
 * boot services and calls the core's entry64 with the magic and the
 * boot_info address.
 *
 * Every allocation lies below 4 GiB (the core's entry tables identity-map
 * only that) and is EfiLoaderData, except the core image: EfiLoaderCode,
 * because firmware may map EfiLoaderData non-executable (EDK2's
 * PcdDxeNxMemoryProtectionPolicy) and entry64 runs on the firmware's page
 * tables. Both types become BOOT_MEM_USABLE in the map we hand over: the
 * core copies boot_info first of all and reserves its image and the
 * modules before it hands out any memory.
 *
 * This file is the main flow and the page allocations; console.c the
 * messages (ConOut and COM1), files.c the files, elf.c the core image,
 * bootinfo.c the rest of boot_info and ExitBootServices. Strings and
 * formatting come from lib/ (string.c, strlcpy.c, fmt.c), shared with the
 * core.
 */
#include "loader.h"
#include <arch/cpu.h>
#include <hv/string.h>

#define CORE_PATH     "hv.elf"       /* relative to \hv on the boot volume */
#define CONFIG_PATH   "hv.cfg"
#define LOADER_NAME   "hvboot (UEFI)"
#define FAIL_STALL_US 5000000        /* let a person read the error */
#define MAX_ALLOCS    (BOOT_MODULES_MAX + 8)

EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *systab);

EFI_SYSTEM_TABLE *st;
EFI_BOOT_SERVICES *bs;
EFI_HANDLE image;
struct boot_info *bi;

/* Everything we allocated, to give it back if we fail before the hand-over. */
static struct { EFI_PHYSICAL_ADDRESS base; UINTN pages; } allocs[MAX_ALLOCS];
static unsigned alloc_count;

/* For messages only: non-ASCII becomes '?'. */
static void ucs2_to_ascii(const CHAR16 *w, char *out, size_t size)
{
    size_t n = 0;
    for (; w && *w && n + 1 < size; w++)
        out[n++] = *w >= 0x20 && *w < 0x7f ? (char)*w : '?';
    out[n] = 0;
}

/* ---- memory ------------------------------------------------------------- */

void alloc_track(EFI_PHYSICAL_ADDRESS base, UINTN pages)
{
    if (alloc_count < MAX_ALLOCS) {
        allocs[alloc_count].base = base;
        allocs[alloc_count].pages = pages;
        alloc_count++;
    }
}

void alloc_release_all(void)
{
    while (alloc_count) {
        alloc_count--;
        bs->FreePages(allocs[alloc_count].base, allocs[alloc_count].pages);
    }
}

void alloc_release(EFI_PHYSICAL_ADDRESS base)
{
    for (unsigned i = 0; i < alloc_count; i++) {
        if (allocs[i].base == base) {
            bs->FreePages(base, allocs[i].pages);
            allocs[i] = allocs[--alloc_count];
            return;
        }
    }
}

/* Pages anywhere below 4 GiB. */
EFI_STATUS pages_below_4g(uint64_t bytes, EFI_PHYSICAL_ADDRESS *out)
{
    UINTN pages = (UINTN)(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
    EFI_PHYSICAL_ADDRESS addr = BELOW_4G;
    EFI_STATUS s;

    if (pages == 0)
        pages = 1;
    s = bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, pages, &addr);
    if (s != EFI_SUCCESS)
        return s;
    alloc_track(addr, pages);
    *out = addr;
    return EFI_SUCCESS;
}

/* ---- main --------------------------------------------------------------- */

typedef void (__attribute__((sysv_abi)) *core_entry_t)(uint64_t magic, uint64_t info);

static EFI_STATUS run(uint64_t tsc)
{
    EFI_PHYSICAL_ADDRESS bi_phys;
    uint64_t entry;
    unsigned descs = 0, dropped = 0;
    EFI_STATUS s;

    /* Our own work may take a while on slow media: the boot manager's
     * 5-minute watchdog (UEFI 2.10 3.1.2) would reset the machine. */
    bs->SetWatchdogTimer(0, 0, 0, NULL);

    s = pages_below_4g(sizeof(*bi), &bi_phys);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: no memory below 4 GiB for the boot information (%s)\n", efi_err(s));
        return s;
    }
    bi = (void *)(uintptr_t)bi_phys;
    bs->SetMem(bi, sizeof(*bi), 0);
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->path = BOOT_PATH_UEFI;
    bi->start_tsc = tsc;
    hv_strlcpy(bi->loader_name, LOADER_NAME, sizeof(bi->loader_name));

    cmdline_from_options();
    s = volume_open();
    if (s != EFI_SUCCESS)
        return s;
    s = core_load(CORE_PATH, &entry);
    if (s != EFI_SUCCESS)
        return s;
    s = load_module(CONFIG_PATH);
    if (s == EFI_NOT_FOUND)
        say("hvboot: no \\hv\\%s; the core will use its defaults\n", CONFIG_PATH);
    else if (s != EFI_SUCCESS)
        return s;
    else
        load_config_files(&bi->modules[bi->module_count - 1]);
    volume_close();
    find_rsdp();
    find_framebuffer();

    say("hvboot: boot information at %#lx; leaving boot services\n", bi_phys);
    s = exit_boot_services(&descs, &dropped);
    if (s != EFI_SUCCESS)
        return s;

    /* From here on only COM1 (programmed by us) can carry messages. */
    say("hvboot: %u memory ranges from %u firmware descriptors%s\n", bi->mmap_count, descs,
        dropped ? " (some dropped: table full)" : "");
    say("hvboot: starting the core at %#lx\n", entry);
    __asm__ volatile("cli" ::: "memory");
    ((core_entry_t)(uintptr_t)entry)(BOOT_INFO_MAGIC, bi_phys);
    cpu_halt_forever();         /* the core never returns */
}

/* gnu-efi's crt0 relocates us and calls this with the System V ABI. */
EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *systab)
{
    uint64_t tsc = rdtsc();
    EFI_STATUS s;

    st = systab;
    bs = systab->BootServices;
    image = image_handle;

    console_init();

    char vendor[48];
    ucs2_to_ascii(systab->FirmwareVendor, vendor, sizeof(vendor));
    say("hvboot: UEFI loader for hv; firmware \"%s\" %#x, UEFI %u.%u\n", vendor,
        systab->FirmwareRevision, systab->Hdr.Revision >> 16, (systab->Hdr.Revision & 0xffff) / 10);
    s = run(tsc);

    /* Only failures before ExitBootServices come back here. */
    say("hvboot: cannot start hv (%s); returning to the firmware in %d s\n",
        efi_err(s), FAIL_STALL_US / 1000000);
    volume_close();
    alloc_release_all();
    bs->Stall(FAIL_STALL_US);
    return s;
}
