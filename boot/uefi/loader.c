/*
 * hvboot: the UEFI loader (BOOTX64.EFI).
 *
 * Started by the firmware from an EFI System Partition, it reads the core
 * (\hv\hv.elf) and its configuration (\hv\hv.cfg) from the same volume,
 * places the core's PT_LOAD segments at their linked physical address (or
 * a 2 MiB multiple above it), fills struct boot_info, leaves boot services
 * and calls the core's entry64 with the magic and the boot_info address.
 *
 * Every allocation lies below 4 GiB (the core's entry tables identity-map
 * only that) and is EfiLoaderData, except the core image: EfiLoaderCode,
 * because firmware may map EfiLoaderData non-executable (EDK2's
 * PcdDxeNxMemoryProtectionPolicy) and entry64 runs on the firmware's page
 * tables. Both types become BOOT_MEM_USABLE in the map we hand over: the
 * core copies boot_info first of all and reserves its image and the
 * modules before it hands out any memory.
 *
 * Messages go to the firmware console (ConOut) and to COM1, which we drive
 * directly so that the last lines, after ExitBootServices, appear too.
 * Where the firmware already copies ConOut to a serial port (OVMF does),
 * COM1 is left to it until then, so that no line appears twice.
 */
#include <efi.h>
#include <stdarg.h>
#include <hv/boot_info.h>
#include <hv/fmt.h>
#include <hv/layout.h>

#define CORE_PATH     "hv.elf"       /* relative to \hv on the boot volume */
#define CONFIG_PATH   "hv.cfg"
#define LOADER_NAME   "hvboot (UEFI)"
#define FAIL_STALL_US 5000000        /* let a person read the error */
#define BELOW_4G      0xffffffffULL
#define LOAD_LIMIT    (LOAD_BASE + GiB(1))  /* entry64 maps 1 GiB of image */
#define ELF_PHNUM_MAX 64
#define MAX_ALLOCS    (BOOT_MODULES_MAX + 8)

/* UEFI 2.8 7.2: "specific purpose" memory is for a particular user; not
 * general-purpose RAM for us. Older headers lack the name. */
#define EFI_MEMORY_SP_BIT 0x0000000000040000ULL

EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *systab);

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;
static EFI_HANDLE image;
static EFI_FILE_HANDLE root;
static struct boot_info *bi;
static bool boot_services_gone;

/* Everything we allocated, to give it back if we fail before the hand-over. */
static struct { EFI_PHYSICAL_ADDRESS base; UINTN pages; } allocs[MAX_ALLOCS];
static unsigned alloc_count;

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void scopy(char *dst, const char *src, size_t size)
{
    size_t i = 0;
    for (; i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* Small copies in pure code; bulk work uses the boot services. */
static void mcopy(void *dst, const void *src, uint64_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (uint64_t i = 0; i < n; i++)
        d[i] = s[i];
}

/* lib/fmt.c (shared with the core) calls strlen; gnu-efi has none. */
size_t strlen(const char *s);
size_t strlen(const char *s)
{
    return slen(s);
}

/* For messages only: non-ASCII becomes '?'. */
static void ucs2_to_ascii(const CHAR16 *w, char *out, size_t size)
{
    size_t n = 0;
    for (; w && *w && n + 1 < size; w++)
        out[n++] = *w >= 0x20 && *w < 0x7f ? (char)*w : '?';
    out[n] = 0;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* UEFI 2.10 Appendix D: the status codes we may meet, by name. */
static const char *efi_err(EFI_STATUS s)
{
    static char other[32];

    switch (s) {
    case EFI_LOAD_ERROR: return "EFI_LOAD_ERROR";
    case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
    case EFI_UNSUPPORTED: return "EFI_UNSUPPORTED";
    case EFI_BAD_BUFFER_SIZE: return "EFI_BAD_BUFFER_SIZE";
    case EFI_BUFFER_TOO_SMALL: return "EFI_BUFFER_TOO_SMALL";
    case EFI_NOT_READY: return "EFI_NOT_READY";
    case EFI_DEVICE_ERROR: return "EFI_DEVICE_ERROR";
    case EFI_OUT_OF_RESOURCES: return "EFI_OUT_OF_RESOURCES";
    case EFI_VOLUME_CORRUPTED: return "EFI_VOLUME_CORRUPTED";
    case EFI_NO_MEDIA: return "EFI_NO_MEDIA";
    case EFI_NOT_FOUND: return "EFI_NOT_FOUND";
    case EFI_ACCESS_DENIED: return "EFI_ACCESS_DENIED";
    case EFI_END_OF_FILE: return "EFI_END_OF_FILE";
    default:
        hv_snprintf(other, sizeof(other), "status %#lx", (uint64_t)s);
        return other;
    }
}

/* ---- COM1 ------------------------------------------------------------- */

#define COM1 0x3f8

static bool uart_present;       /* the scratch register answered */
static bool uart_ready;         /* programmed by us */
static bool conout_has_serial;  /* the firmware already mirrors ConOut there */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* A 16550 keeps what is written to its scratch register (offset 7); with
 * no UART there the bus floats and reads back 0xff. */
static void uart_probe(void)
{
    outb(COM1 + 7, 0x5a);
    if (inb(COM1 + 7) != 0x5a)
        return;
    outb(COM1 + 7, 0xa5);
    uart_present = inb(COM1 + 7) == 0xa5;
}

/* 115200 8N1, FIFOs on, interrupts off (16550 data sheet: divisor latch
 * 1 with the 1.8432 MHz clock). */
static void uart_setup(void)
{
    if (!uart_present || uart_ready)
        return;
    outb(COM1 + 1, 0x00);       /* IER: no interrupts */
    outb(COM1 + 3, 0x80);       /* LCR: DLAB */
    outb(COM1 + 0, 0x01);       /* divisor low */
    outb(COM1 + 1, 0x00);       /* divisor high */
    outb(COM1 + 3, 0x03);       /* LCR: 8 bits, no parity, 1 stop */
    outb(COM1 + 2, 0xc7);       /* FCR: enable and clear FIFOs */
    outb(COM1 + 4, 0x03);       /* MCR: DTR, RTS; OUT2 off (no IRQ) */
    uart_ready = true;
}

static void uart_putc(char c)
{
    /* Bounded wait for THR empty: a wedged UART must not hang the boot. */
    for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        __asm__ volatile("pause");
    outb(COM1, (uint8_t)c);
}

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s);
    }
}

/* ---- console ------------------------------------------------------------ */

static void conout_puts(const char *s)
{
    CHAR16 buf[130];
    unsigned n = 0;

    if (!st->ConOut)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            buf[n++] = L'\r';
        buf[n++] = c < 0x80 ? c : L'?';
        if (n >= 128 || !s[1]) {
            buf[n] = 0;
            st->ConOut->OutputString(st->ConOut, buf);
            n = 0;
        }
    }
}

/* One line (or several) on every console we have. When the firmware
 * already copies ConOut to a serial port, writing COM1 as well would print
 * each line twice there, so COM1 is ours only after ExitBootServices. */
static void __printf(1, 2) say(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (!boot_services_gone)
        conout_puts(line);
    if (uart_ready && (boot_services_gone || !conout_has_serial))
        uart_puts(line);
}

/* Does any text output device of the firmware sit on a UART? Then ConOut
 * (the splitter over all of them) already reaches the serial port. */
static bool firmware_console_on_serial(void)
{
    EFI_GUID text_guid = EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL_GUID;
    EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
    EFI_HANDLE *handles = NULL;
    UINTN count = 0;
    bool found = false;

    if (bs->LocateHandleBuffer(ByProtocol, &text_guid, NULL, &count, &handles) != EFI_SUCCESS)
        return false;
    for (UINTN i = 0; i < count && !found; i++) {
        EFI_DEVICE_PATH *dp;
        if (bs->HandleProtocol(handles[i], &dp_guid, (void **)&dp) != EFI_SUCCESS || !dp)
            continue;
        for (unsigned guard = 0; guard < 64 && !IsDevicePathEndType(dp); guard++) {
            if (DevicePathType(dp) == MESSAGING_DEVICE_PATH && DevicePathSubType(dp) == MSG_UART_DP) {
                found = true;
                break;
            }
            if (DevicePathNodeLength(dp) < 4)
                break;
            dp = NextDevicePathNode(dp);
        }
    }
    bs->FreePool(handles);
    return found;
}

/* ---- memory ------------------------------------------------------------- */

static void alloc_track(EFI_PHYSICAL_ADDRESS base, UINTN pages)
{
    if (alloc_count < MAX_ALLOCS) {
        allocs[alloc_count].base = base;
        allocs[alloc_count].pages = pages;
        alloc_count++;
    }
}

static void alloc_release_all(void)
{
    while (alloc_count) {
        alloc_count--;
        bs->FreePages(allocs[alloc_count].base, allocs[alloc_count].pages);
    }
}

static void alloc_release(EFI_PHYSICAL_ADDRESS base)
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
static EFI_STATUS pages_below_4g(uint64_t bytes, EFI_PHYSICAL_ADDRESS *out)
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

/* ---- files -------------------------------------------------------------- */

static EFI_STATUS volume_open(void)
{
    EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
    EFI_LOADED_IMAGE *li;
    EFI_FILE_IO_INTERFACE *fs;
    EFI_STATUS s;

    s = bs->HandleProtocol(image, &li_guid, (void **)&li);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: no LoadedImage protocol on our own image (%s)\n", efi_err(s));
        return s;
    }
    s = bs->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: the device hvboot was started from has no FAT file "
            "system the firmware can read (%s); put it on an EFI System "
            "Partition next to \\hv\\\n", efi_err(s));
        return s;
    }
    s = fs->OpenVolume(fs, &root);
    if (s != EFI_SUCCESS)
        say("hvboot: error: cannot open the boot volume (%s)\n", efi_err(s));
    return s;
}

/* "\hv\" + relative path, '/' accepted as separator, in UCS-2. */
static bool path_make(const char *rel, CHAR16 *out, size_t max)
{
    const char *prefix = "\\hv\\";
    size_t n = 0;

    for (const char *p = prefix; *p; p++)
        out[n++] = (CHAR16)*p;
    for (const char *p = rel; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (n + 1 >= max || c < 0x20 || c >= 0x7f)
            return false;
        out[n++] = c == '/' ? L'\\' : c;
    }
    out[n] = 0;
    return true;
}

/* Read \hv\<rel> into fresh pages below 4 GiB. EFI_NOT_FOUND is returned
 * quietly (the caller decides whether that matters); other failures are
 * reported here. */
static EFI_STATUS file_read(const char *rel, EFI_PHYSICAL_ADDRESS *base, uint64_t *size)
{
    EFI_GUID info_guid = EFI_FILE_INFO_ID;
    CHAR16 path[BOOT_NAME_MAX + 8];
    EFI_FILE_HANDLE fh;
    union { EFI_FILE_INFO info; uint8_t raw[512]; } ib;
    UINTN ilen = sizeof(ib);
    EFI_STATUS s;

    if (!path_make(rel, path, ARRAY_SIZE(path))) {
        say("hvboot: error: bad file name \"%s\" (printable ASCII, shorter than %d)\n",
            rel, BOOT_NAME_MAX);
        return EFI_INVALID_PARAMETER;
    }
    s = root->Open(root, &fh, path, EFI_FILE_MODE_READ, 0);
    if (s == EFI_NOT_FOUND)
        return s;
    if (s != EFI_SUCCESS) {
        say("hvboot: error: cannot open \\hv\\%s (%s)\n", rel, efi_err(s));
        return s;
    }
    s = fh->GetInfo(fh, &info_guid, &ilen, &ib);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: cannot get the size of \\hv\\%s (%s)\n", rel, efi_err(s));
        goto out;
    }
    if (ib.info.Attribute & EFI_FILE_DIRECTORY) {
        say("hvboot: error: \\hv\\%s is a directory\n", rel);
        s = EFI_INVALID_PARAMETER;
        goto out;
    }
    *size = ib.info.FileSize;
    if (*size >= GiB(2)) {
        say("hvboot: error: \\hv\\%s is %lu MiB; files must stay below 2 GiB\n",
            rel, *size >> 20);
        s = EFI_BAD_BUFFER_SIZE;
        goto out;
    }
    s = pages_below_4g(*size, base);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: no memory below 4 GiB for \\hv\\%s (%lu KiB, %s)\n",
            rel, *size >> 10, efi_err(s));
        goto out;
    }
    /* Short reads are legal (UEFI 13.5 EFI_FILE_PROTOCOL.Read): loop. */
    for (uint64_t done = 0; done < *size;) {
        UINTN chunk = (UINTN)MIN(*size - done, MiB(16));
        s = fh->Read(fh, &chunk, (void *)(uintptr_t)(*base + done));
        if (s == EFI_SUCCESS && chunk == 0)
            s = EFI_END_OF_FILE;
        if (s != EFI_SUCCESS) {
            say("hvboot: error: reading \\hv\\%s failed at byte %lu of %lu (%s)\n",
                rel, done, *size, efi_err(s));
            alloc_release(*base);
            goto out;
        }
        done += chunk;
    }
out:
    fh->Close(fh);
    return s;
}

/*
 * Load \hv\<path> as a boot module for the core, named by <path> (the core
 * recognises its configuration by the ".cfg" suffix). Reusable for the
 * guest images a configuration will list. EFI_NOT_FOUND is not reported.
 */
static EFI_STATUS load_module(const char *path)
{
    EFI_PHYSICAL_ADDRESS base;
    uint64_t size;
    EFI_STATUS s;

    if (bi->module_count >= BOOT_MODULES_MAX) {
        say("hvboot: error: more than %d modules; \\hv\\%s not loaded\n",
            BOOT_MODULES_MAX, path);
        return EFI_OUT_OF_RESOURCES;
    }
    if (slen(path) >= BOOT_NAME_MAX) {
        say("hvboot: error: module name \"%s\" longer than %d characters\n",
            path, BOOT_NAME_MAX - 1);
        return EFI_INVALID_PARAMETER;
    }
    say("hvboot: loading \\hv\\%s\n", path);
    s = file_read(path, &base, &size);
    if (s != EFI_SUCCESS)
        return s;
    struct boot_module *m = &bi->modules[bi->module_count++];
    m->base = base;
    m->size = size;
    scopy(m->name, path, sizeof(m->name));
    say("hvboot: module %s at %#lx, %lu bytes\n", path, base, size);
    return EFI_SUCCESS;
}

/*
 * The files the configuration names: every `kernel = PATH` and
 * `module = PATH [string]` line, relative to \hv\ as the configuration
 * itself. Only the paths are read here; the core parses and checks the
 * file (docs/configuration.md). A file named twice is loaded once; a
 * missing one is reported and left for the core to refuse that guest.
 */
static bool starts_with(const char *t, uint64_t n, const char *word)
{
    uint64_t i = 0;
    for (; word[i]; i++)
        if (i >= n || t[i] != word[i])
            return false;
    return true;
}

static bool module_loaded(const char *path)
{
    for (uint32_t i = 0; i < bi->module_count; i++) {
        const char *a = bi->modules[i].name, *b = path;
        while (*a && *a == *b)
            a++, b++;
        if (*a == 0 && *b == 0)
            return true;
    }
    return false;
}

static void load_config_files(const struct boot_module *cfg)
{
    const char *t = (const char *)(uintptr_t)cfg->base;
    uint64_t n = cfg->size;

    for (uint64_t pos = 0; pos < n;) {
        uint64_t end = pos;
        while (end < n && t[end] != '\n')
            end++;
        uint64_t i = pos;
        while (i < end && (t[i] == ' ' || t[i] == '\t'))
            i++;
        const char *key = NULL;
        if (starts_with(t + i, end - i, "kernel"))
            key = "kernel", i += 6;
        else if (starts_with(t + i, end - i, "module"))
            key = "module", i += 6;
        if (key) {
            while (i < end && (t[i] == ' ' || t[i] == '\t'))
                i++;
            if (i < end && t[i] == '=') {
                i++;
                while (i < end && (t[i] == ' ' || t[i] == '\t'))
                    i++;
                char path[BOOT_NAME_MAX];
                size_t k = 0;
                while (i < end && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' &&
                       t[i] != '#' && t[i] != ';' && k + 1 < sizeof(path))
                    path[k++] = t[i++];
                path[k] = 0;
                if (k && !module_loaded(path) && load_module(path) == EFI_NOT_FOUND)
                    say("hvboot: \\hv\\%s (%s in the configuration) not found\n", path, key);
            }
        }
        pos = end + 1;
    }
}

/* ---- the core image (ELF64, System V ABI gABI "Program Header") --------- */

struct elf64_ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

#define ELF_ET_EXEC    2
#define ELF_EM_X86_64  62
#define ELF_PT_LOAD    1
#define ELF_PF_X       1

struct core_layout {
    uint64_t lo, hi;            /* page-rounded physical span of PT_LOADs */
    uint64_t entry_phys;        /* linked physical address of e_entry */
};

/*
 * Check everything the placement below relies on; on failure write the
 * reason into err. Pure: reads only buf[0..size).
 */
static bool elf_check(const uint8_t *buf, uint64_t size, struct core_layout *out,
                      char *err, size_t errlen)
{
    const struct elf64_ehdr *eh = (const void *)buf;
    struct elf64_phdr ph[ELF_PHNUM_MAX];
    uint64_t lo = UINT64_MAX, hi = 0;
    bool entry_found = false;
    unsigned loads = 0;

    if (size < sizeof(*eh)) {
        hv_snprintf(err, errlen, "file is %lu bytes, shorter than an ELF header", size);
        return false;
    }
    if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
        eh->e_ident[3] != 'F') {
        hv_snprintf(err, errlen, "not an ELF file (bad magic)");
        return false;
    }
    if (eh->e_ident[4] != 2 || eh->e_ident[5] != 1) {
        hv_snprintf(err, errlen, "not a 64-bit little-endian ELF (class %u, data %u)",
                    eh->e_ident[4], eh->e_ident[5]);
        return false;
    }
    if (eh->e_machine != ELF_EM_X86_64) {
        hv_snprintf(err, errlen, "machine %u is not x86-64", eh->e_machine);
        return false;
    }
    if (eh->e_type != ELF_ET_EXEC) {
        hv_snprintf(err, errlen, "ELF type %u is not an executable (ET_EXEC)", eh->e_type);
        return false;
    }
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > ELF_PHNUM_MAX) {
        hv_snprintf(err, errlen, "bad program header table (%u entries of %u bytes)",
                    eh->e_phnum, eh->e_phentsize);
        return false;
    }
    uint64_t ph_bytes = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
    if (eh->e_phoff > size || ph_bytes > size - eh->e_phoff) {
        hv_snprintf(err, errlen, "program headers at offset %#lx run past the end "
                    "of the file (%lu bytes)", eh->e_phoff, size);
        return false;
    }
    mcopy(ph, buf + eh->e_phoff, ph_bytes);     /* e_phoff may be unaligned */

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->p_type != ELF_PT_LOAD || p->p_memsz == 0)
            continue;
        loads++;
        if (p->p_offset > size || p->p_filesz > size - p->p_offset) {
            hv_snprintf(err, errlen, "segment %u: file bytes [%#lx, +%#lx) run past "
                        "the end of the file (%lu bytes)", i, p->p_offset, p->p_filesz, size);
            return false;
        }
        if (p->p_filesz > p->p_memsz) {
            hv_snprintf(err, errlen, "segment %u: file size %#lx exceeds memory size %#lx",
                        i, p->p_filesz, p->p_memsz);
            return false;
        }
        if (p->p_paddr < LOAD_BASE || p->p_paddr >= LOAD_LIMIT ||
            p->p_memsz > LOAD_LIMIT - p->p_paddr) {
            hv_snprintf(err, errlen, "segment %u: physical [%#lx, +%#lx) lies outside "
                        "[%#lx, %#lx)", i, p->p_paddr, p->p_memsz,
                        (uint64_t)LOAD_BASE, (uint64_t)LOAD_LIMIT);
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            const struct elf64_phdr *q = &ph[j];
            if (q->p_type != ELF_PT_LOAD || q->p_memsz == 0)
                continue;
            if (p->p_paddr < q->p_paddr + q->p_memsz && q->p_paddr < p->p_paddr + p->p_memsz) {
                hv_snprintf(err, errlen, "segments %u and %u overlap at physical %#lx",
                            j, i, MAX(p->p_paddr, q->p_paddr));
                return false;
            }
        }
        /* The entry point runs before the core's own paging: it must be in
         * an executable segment linked where it is loaded (entry64). */
        if ((p->p_flags & ELF_PF_X) && p->p_vaddr == p->p_paddr &&
            eh->e_entry >= p->p_vaddr && eh->e_entry - p->p_vaddr < p->p_memsz)
            entry_found = true;
        lo = MIN(lo, p->p_paddr);
        hi = MAX(hi, p->p_paddr + p->p_memsz);
    }
    if (loads == 0) {
        hv_snprintf(err, errlen, "no loadable (PT_LOAD) segment");
        return false;
    }
    if (!entry_found) {
        hv_snprintf(err, errlen, "entry point %#lx is not inside an executable segment "
                    "linked at its physical address", eh->e_entry);
        return false;
    }
    out->lo = ALIGN_DOWN(lo, PAGE_SIZE);
    out->hi = ALIGN_UP(hi, PAGE_SIZE);
    out->entry_phys = eh->e_entry;
    return true;
}

/*
 * Reserve the core's span at its linked address, else at the lowest
 * address congruent to it modulo 2 MiB inside a block below 4 GiB, so the
 * load delta is a non-negative multiple of 2 MiB (boot/entry.asm maps the
 * high half with 2 MiB pages at that delta).
 */
static EFI_STATUS core_place(const struct core_layout *l, EFI_PHYSICAL_ADDRESS *where)
{
    uint64_t span = l->hi - l->lo;
    UINTN pages = (UINTN)(span / PAGE_SIZE);
    EFI_PHYSICAL_ADDRESS addr = l->lo;
    EFI_PHYSICAL_ADDRESS held[4];
    unsigned nheld = 0;
    EFI_STATUS s;

    s = bs->AllocatePages(AllocateAddress, EfiLoaderCode, pages, &addr);
    if (s == EFI_SUCCESS) {
        alloc_track(addr, pages);
        *where = addr;
        return EFI_SUCCESS;
    }
    say("hvboot: %#lx..%#lx is in use; placing the core elsewhere\n",
        l->lo, l->hi);

    UINTN slack = (UINTN)(MiB(2) / PAGE_SIZE);
    while (nheld < ARRAY_SIZE(held)) {
        addr = BELOW_4G;
        s = bs->AllocatePages(AllocateMaxAddress, EfiLoaderCode, pages + slack, &addr);
        if (s != EFI_SUCCESS)
            break;
        uint64_t start = addr + ((l->lo - addr) & (MiB(2) - 1));
        if (start < l->lo) {
            /* Below the linked address: a negative delta is not supported.
             * Keep it so the next try lands elsewhere. */
            held[nheld++] = addr;
            continue;
        }
        /* Give back the slack on both sides. */
        if (start > addr)
            bs->FreePages(addr, (UINTN)((start - addr) / PAGE_SIZE));
        uint64_t tail = addr + (pages + slack) * PAGE_SIZE - (start + span);
        if (tail)
            bs->FreePages(start + span, (UINTN)(tail / PAGE_SIZE));
        alloc_track(start, pages);
        *where = start;
        s = EFI_SUCCESS;
        break;
    }
    bool placed = s == EFI_SUCCESS;
    while (nheld)
        bs->FreePages(held[--nheld], pages + slack);
    if (!placed)
        say("hvboot: error: no %lu KiB block below 4 GiB for the core (%s)\n",
            span >> 10, efi_err(s));
    return placed ? EFI_SUCCESS : EFI_OUT_OF_RESOURCES;
}

static EFI_STATUS core_load(uint64_t *entry)
{
    EFI_PHYSICAL_ADDRESS file, where = 0;
    uint64_t size;
    struct core_layout l;
    char err[200];
    EFI_STATUS s;

    say("hvboot: loading \\hv\\%s\n", CORE_PATH);
    s = file_read(CORE_PATH, &file, &size);
    if (s == EFI_NOT_FOUND)
        say("hvboot: error: \\hv\\%s not found on the boot volume\n", CORE_PATH);
    if (s != EFI_SUCCESS)
        return s;

    const uint8_t *buf = (const void *)(uintptr_t)file;
    if (!elf_check(buf, size, &l, err, sizeof(err))) {
        say("hvboot: error: \\hv\\%s is not a usable core image: %s\n", CORE_PATH, err);
        return EFI_LOAD_ERROR;
    }
    s = core_place(&l, &where);
    if (s != EFI_SUCCESS)
        return s;

    /* Zero the whole span (bss and gaps between segments), then copy. */
    uint64_t delta = where - l.lo;
    bs->SetMem((void *)(uintptr_t)where, l.hi - l.lo, 0);
    const struct elf64_ehdr *eh = (const void *)buf;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr p;
        mcopy(&p, buf + eh->e_phoff + i * sizeof(p), sizeof(p));
        if (p.p_type == ELF_PT_LOAD && p.p_memsz)
            bs->CopyMem((void *)(uintptr_t)(p.p_paddr + delta), (void *)(buf + p.p_offset),
                        p.p_filesz);
    }
    alloc_release(file);

    bi->image_base = where;
    bi->image_size = l.hi - l.lo;
    *entry = l.entry_phys + delta;
    say("hvboot: core at %#lx..%#lx (load delta %#lx), entry %#lx\n",
        where, where + (l.hi - l.lo), delta, *entry);
    return EFI_SUCCESS;
}

/* ---- boot_info ---------------------------------------------------------- */

static bool guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
    const uint8_t *x = (const void *)a, *y = (const void *)b;
    for (unsigned i = 0; i < sizeof(EFI_GUID); i++)
        if (x[i] != y[i])
            return false;
    return true;
}

/* ACPI 6.5 5.2.5.2: prefer the 2.0 RSDP (it carries the XSDT). */
static void find_rsdp(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    uint64_t v1 = 0, v2 = 0;

    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
        if (guid_eq(&t->VendorGuid, &acpi20))
            v2 = (uint64_t)(uintptr_t)t->VendorTable;
        else if (guid_eq(&t->VendorGuid, &acpi10))
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

static void find_framebuffer(void)
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
static void cmdline_from_options(void)
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
    scopy(bi->cmdline, s, sizeof(bi->cmdline));
    for (size_t k = slen(bi->cmdline); k > 0 && bi->cmdline[k - 1] == ' '; k--)
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

static __noreturn void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/*
 * UEFI 2.10 7.4 ExitBootServices: the MapKey must come from the latest
 * GetMemoryMap; if the map changed in between, the call fails with
 * EFI_INVALID_PARAMETER and we must get the map again. After the first
 * attempt only GetMemoryMap and ExitBootServices may be called, so the map
 * buffer is allocated with room to spare beforehand and the conversion
 * writes into the already allocated boot_info.
 */
static EFI_STATUS exit_boot_services(unsigned *descs, unsigned *dropped)
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
            boot_services_gone = true;
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
    boot_services_gone = true;
    uart_setup();
    say("hvboot: error: ExitBootServices failed (%s); stopped\n", efi_err(s));
    halt_forever();
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
    scopy(bi->loader_name, LOADER_NAME, sizeof(bi->loader_name));

    cmdline_from_options();
    s = volume_open();
    if (s != EFI_SUCCESS)
        return s;
    s = core_load(&entry);
    if (s != EFI_SUCCESS)
        return s;
    s = load_module(CONFIG_PATH);
    if (s == EFI_NOT_FOUND)
        say("hvboot: no \\hv\\%s; the core will use its defaults\n", CONFIG_PATH);
    else if (s != EFI_SUCCESS)
        return s;
    else
        load_config_files(&bi->modules[bi->module_count - 1]);
    root->Close(root);
    root = NULL;
    find_rsdp();
    find_framebuffer();

    say("hvboot: boot information at %#lx; leaving boot services\n", bi_phys);
    s = exit_boot_services(&descs, &dropped);
    if (s != EFI_SUCCESS)
        return s;

    /* From here on only COM1 (programmed by us) can carry messages. */
    uart_setup();
    say("hvboot: %u memory ranges from %u firmware descriptors%s\n", bi->mmap_count, descs,
        dropped ? " (some dropped: table full)" : "");
    say("hvboot: starting the core at %#lx\n", entry);
    __asm__ volatile("cli" ::: "memory");
    ((core_entry_t)(uintptr_t)entry)(BOOT_INFO_MAGIC, bi_phys);
    halt_forever();             /* the core never returns */
}

/* gnu-efi's crt0 relocates us and calls this with the System V ABI. */
EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *systab)
{
    uint64_t tsc = rdtsc();
    EFI_STATUS s;

    st = systab;
    bs = systab->BootServices;
    image = image_handle;

    uart_probe();
    conout_has_serial = firmware_console_on_serial();
    if (!conout_has_serial)
        uart_setup();   /* else the firmware owns COM1 until we leave */

    char vendor[48];
    ucs2_to_ascii(systab->FirmwareVendor, vendor, sizeof(vendor));
    say("hvboot: UEFI loader for hv; firmware \"%s\" %#x, UEFI %u.%u\n", vendor,
        systab->FirmwareRevision, systab->Hdr.Revision >> 16, (systab->Hdr.Revision & 0xffff) / 10);
    s = run(tsc);

    /* Only failures before ExitBootServices come back here. */
    say("hvboot: cannot start hv (%s); returning to the firmware in %d s\n",
        efi_err(s), FAIL_STALL_US / 1000000);
    if (root)
        root->Close(root);
    alloc_release_all();
    bs->Stall(FAIL_STALL_US);
    return s;
}
