/*
 * hvboot: the rest of struct boot_info (ACPI RSDP, framebuffer, command
 * line, memory map) and the exit from boot services. The memory map is
 * converted between the last GetMemoryMap and ExitBootServices, into the
 * boot_info already allocated.
 */
#include "loader.h"
#include <arch/cpu.h>
#include <hv/string.h>

/* UEFI 2.8 7.2: "specific purpose" memory is for a particular user; not
 * general-purpose RAM for us. Older headers lack the name. */
#define EFI_MEMORY_SP_BIT 0x0000000000040000ULL

/* ACPI 6.5 5.2.5.2: prefer the 2.0 RSDP (it carries the XSDT). */
void find_rsdp(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    uint64_t v1 = 0, v2 = 0;

    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
        if (memcmp(&t->VendorGuid, &acpi20, sizeof(EFI_GUID)) == 0)
            v2 = (uint64_t)(uintptr_t)t->VendorTable;
        else if (memcmp(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)) == 0)
            v1 = (uint64_t)(uintptr_t)t->VendorTable;
    }
    bi->rsdp = v2 ? v2 : v1;
    if (bi->rsdp)
        say("hvboot: ACPI %s RSDP at %#lx\n", v2 ? "2.0" : "1.0", bi->rsdp);
    else
        say("hvboot: the firmware installed no ACPI tables (no RSDP)\n");
}

static void mask_pos(uint32_t mask, uint8_t *pos, uint8_t *size)
{
    if (!mask) {
        *pos = *size = 0;
        return;
    }
    *pos = (uint8_t)__builtin_ctz(mask);
    *size = 0;
    for (mask >>= *pos; mask & 1; mask >>= 1)   /* no libgcc popcount here */
        (*size)++;
}

void find_framebuffer(void)
{
    EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
    struct boot_framebuffer *fb = &bi->fb;

    if (bs->LocateProtocol(&gop_guid, NULL, (void **)&gop) != EFI_SUCCESS ||
        !gop || !gop->Mode || !gop->Mode->Info) {
        say("hvboot: no graphics output; no framebuffer for the core\n");
        return;
    }
    const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
    switch (mi->PixelFormat) {
    case PixelRedGreenBlueReserved8BitPerColor:
        fb->red_pos = 0, fb->green_pos = 8, fb->blue_pos = 16;
        fb->red_size = fb->green_size = fb->blue_size = 8;
        break;
    case PixelBlueGreenRedReserved8BitPerColor:
        fb->blue_pos = 0, fb->green_pos = 8, fb->red_pos = 16;
        fb->red_size = fb->green_size = fb->blue_size = 8;
        break;
    case PixelBitMask: {
        const EFI_PIXEL_BITMASK *m = &mi->PixelInformation;
        /* The highest mask bit gives the pixel size (as Linux's efifb
         * reads it); the core draws 32-bit pixels only. */
        uint32_t all = m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask;
        if ((all >> 24) == 0) {
            say("hvboot: framebuffer pixel masks %#x/%#x/%#x are not 32 bpp; not used\n",
                m->RedMask, m->GreenMask, m->BlueMask);
            return;
        }
        mask_pos(m->RedMask, &fb->red_pos, &fb->red_size);
        mask_pos(m->GreenMask, &fb->green_pos, &fb->green_size);
        mask_pos(m->BlueMask, &fb->blue_pos, &fb->blue_size);
        break;
    }
    default:
        say("hvboot: graphics output without a linear framebuffer (BltOnly); not used\n");
        return;
    }
    fb->type = BOOT_FB_RGB;
    fb->base = gop->Mode->FrameBufferBase;
    fb->width = mi->HorizontalResolution;
    fb->height = mi->VerticalResolution;
    fb->bpp = 32;
    fb->pitch = mi->PixelsPerScanLine * 4;
    say("hvboot: framebuffer %ux%u at %#lx, pitch %u\n",
        fb->width, fb->height, fb->base, fb->pitch);
}

/*
 * LoadOptions as the core's command line. From the UEFI shell they are
 * the whole command ("BOOTX64.EFI arg ..."), so a first word ending in .efi
 * is dropped; boot manager entries may carry binary data instead (EDK2
 * puts a GUID there), which is not text and is ignored.
 */
void cmdline_from_options(void)
{
    EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    EFI_LOADED_IMAGE *li;
    char tmp[BOOT_CMDLINE_MAX];
    size_t n = 0;

    if (bs->HandleProtocol(image, &li_guid, (void **)&li) != EFI_SUCCESS ||
        !li->LoadOptions || li->LoadOptionsSize < 2)
        return;
    const CHAR16 *w = li->LoadOptions;
    size_t chars = li->LoadOptionsSize / 2;
    for (size_t i = 0; i < chars && w[i]; i++) {
        if (w[i] != L'\t' && (w[i] < 0x20 || w[i] > 0x7e))
            return;                     /* not text */
        if (n + 1 >= sizeof(tmp)) {
            say("hvboot: load options longer than %d characters; truncated\n",
                BOOT_CMDLINE_MAX - 1);
            break;
        }
        tmp[n++] = w[i] == L'\t' ? ' ' : (char)w[i];
    }
    tmp[n] = 0;

    const char *s = tmp;
    while (*s == ' ')
        s++;
    const char *e = s;
    while (*e && *e != ' ')
        e++;
    if (e - s >= 4 && (e[-4] == '.') && (e[-3] | 0x20) == 'e' && (e[-2] | 0x20) == 'f' &&
        (e[-1] | 0x20) == 'i')
        s = e;
    while (*s == ' ')
        s++;
    hv_strlcpy(bi->cmdline, s, sizeof(bi->cmdline));
    for (size_t k = strlen(bi->cmdline); k > 0 && bi->cmdline[k - 1] == ' '; k--)
        bi->cmdline[k - 1] = 0;
    if (bi->cmdline[0])
        say("hvboot: command line \"%s\"\n", bi->cmdline);
}

/* ---- memory map and exit ------------------------------------------------ */

static uint32_t mem_type(const EFI_MEMORY_DESCRIPTOR *d)
{
    switch (d->Type) {
    case EfiConventionalMemory:
        if (d->Attribute & EFI_MEMORY_SP_BIT)
            return BOOT_MEM_RESERVED;
        /* fall through */
    case EfiBootServicesCode:
    case EfiBootServicesData:
    case EfiLoaderCode:
    case EfiLoaderData:     /* boot_info, modules, core: the core reserves them */
        return BOOT_MEM_USABLE;
    case EfiACPIReclaimMemory:
        return BOOT_MEM_ACPI_RECLAIM;
    case EfiACPIMemoryNVS:
        return BOOT_MEM_ACPI_NVS;
    case EfiUnusableMemory:
        return BOOT_MEM_BAD;
    default:                /* runtime services, MMIO, reserved, persistent, ... */
        return BOOT_MEM_RESERVED;
    }
}

/*
 * Insert a range into the base-sorted table, merging with a neighbour of
 * the same type it touches. Returns false if the table is full. No
 * allocation, no output: this runs between GetMemoryMap and
 * ExitBootServices.
 */
static bool mmap_insert(uint64_t base, uint64_t len, uint32_t type)
{
    struct boot_mem_range *r = bi->mmap;
    uint32_t n = bi->mmap_count, i = 0;

    while (i < n && r[i].base < base)
        i++;
    if (i > 0 && r[i - 1].type == type && r[i - 1].base + r[i - 1].length == base) {
        r[i - 1].length += len;
        if (i < n && r[i].type == type && r[i - 1].base + r[i - 1].length == r[i].base) {
            r[i - 1].length += r[i].length;
            for (uint32_t j = i; j + 1 < n; j++)
                r[j] = r[j + 1];
            bi->mmap_count--;
        }
        return true;
    }
    if (i < n && r[i].type == type && base + len == r[i].base) {
        r[i].base = base;
        r[i].length += len;
        return true;
    }
    if (n >= BOOT_MMAP_MAX)
        return false;
    for (uint32_t j = n; j > i; j--)
        r[j] = r[j - 1];
    r[i].base = base;
    r[i].length = len;
    r[i].type = type;
    r[i].reserved = 0;
    bi->mmap_count++;
    return true;
}

static unsigned mmap_convert(const uint8_t *map, UINTN map_size, UINTN desc_size)
{
    unsigned dropped = 0;

    bi->mmap_count = 0;
    for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
        const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
        uint64_t len = d->NumberOfPages * PAGE_SIZE;
        if (d->NumberOfPages == 0 || d->NumberOfPages > (UINT64_MAX >> PAGE_SHIFT) ||
            d->PhysicalStart + len < d->PhysicalStart)
            continue;           /* empty or wraps: firmware bug, skip */
        if (!mmap_insert(d->PhysicalStart, len, mem_type(d)))
            dropped++;
    }
    return dropped;
}

/*
 * UEFI 2.10 7.4 ExitBootServices: the MapKey must come from the latest
 * GetMemoryMap; if the map changed in between, the call fails with
 * EFI_INVALID_PARAMETER and we must get the map again. After the first
 * attempt only GetMemoryMap and ExitBootServices may be called, so the map
 * buffer is allocated with room to spare beforehand and the conversion
 * writes into the already allocated boot_info.
 */
EFI_STATUS exit_boot_services(unsigned *descs, unsigned *dropped)
{
    UINTN map_size = 0, key, desc_size, cap = 0;
    UINT32 desc_ver;
    uint8_t *map = NULL;
    bool attempted = false;
    EFI_STATUS s;

    s = bs->GetMemoryMap(&map_size, NULL, &key, &desc_size, &desc_ver);
    if (s != EFI_BUFFER_TOO_SMALL) {
        say("hvboot: error: GetMemoryMap failed (%s)\n", efi_err(s));
        return s;
    }
    for (unsigned tries = 0; tries < 8; tries++) {
        if (!map) {
            cap = map_size + 16 * desc_size;
            s = bs->AllocatePool(EfiLoaderData, cap, (void **)&map);
            if (s != EFI_SUCCESS) {
                say("hvboot: error: no memory for the memory map (%s)\n", efi_err(s));
                return s;
            }
        }
        map_size = cap;
        s = bs->GetMemoryMap(&map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &desc_size,
                             &desc_ver);
        if (s == EFI_BUFFER_TOO_SMALL && !attempted) {
            bs->FreePool(map);
            map = NULL;
            continue;
        }
        if (s != EFI_SUCCESS)
            break;
        *descs = (unsigned)(map_size / desc_size);
        *dropped = mmap_convert(map, map_size, desc_size);
        attempted = true;
        s = bs->ExitBootServices(image, key);
        if (s == EFI_SUCCESS) {
            console_firmware_gone();
            return EFI_SUCCESS;
        }
        if (s != EFI_INVALID_PARAMETER)
            break;
    }
    if (!attempted) {
        say("hvboot: error: GetMemoryMap failed (%s)\n", efi_err(s));
        return s;
    }
    /* Boot services may be half gone: COM1 is all we can still use. */
    console_firmware_gone();
    say("hvboot: error: ExitBootServices failed (%s); stopped\n", efi_err(s));
    cpu_halt_forever();
}
