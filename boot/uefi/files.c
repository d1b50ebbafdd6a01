/*
 * hvboot: the files on the boot volume, all under \hv\ next to hvboot:
 * the core, the configuration and the files the configuration names,
 * each read into pages below 4 GiB and, except the core, handed to it as
 * a boot module named by its path.
 */
#include "loader.h"
#include <hv/config.h>
#include <hv/string.h>

static EFI_FILE_HANDLE root;

EFI_STATUS volume_open(void)
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

void volume_close(void)
{
    if (root)
        root->Close(root);
    root = NULL;
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
EFI_STATUS file_read(const char *rel, EFI_PHYSICAL_ADDRESS *base, uint64_t *size)
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
EFI_STATUS load_module(const char *path)
{
    EFI_PHYSICAL_ADDRESS base;
    uint64_t size;
    EFI_STATUS s;

    if (bi->module_count >= BOOT_MODULES_MAX) {
        say("hvboot: error: more than %d modules; \\hv\\%s not loaded\n",
            BOOT_MODULES_MAX, path);
        return EFI_OUT_OF_RESOURCES;
    }
    if (strlen(path) >= BOOT_NAME_MAX) {
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
    hv_strlcpy(m->name, path, sizeof(m->name));
    say("hvboot: module %s at %#lx, %lu bytes\n", path, base, size);
    return EFI_SUCCESS;
}

static bool module_loaded(const char *path)
{
    for (uint32_t i = 0; i < bi->module_count; i++)
        if (strcmp(bi->modules[i].name, path) == 0)
            return true;
    return false;
}

/* `what` is the configuration key that named the file, for the message. */
static void load_named(const char *path, const char *what)
{
    if (path[0] && !module_loaded(path) && load_module(path) == EFI_NOT_FOUND)
        say("hvboot: \\hv\\%s (%s in the configuration) not found\n", path, what);
}

/*
 * The files the configuration names: each guest's `kernel = PATH` and
 * `module = PATH [string]`, relative to \hv\ as the configuration itself.
 * The core's own parser (config/) finds them, so these are exactly the
 * paths the core will look up; it reports nothing here (the core parses
 * the file again and reports every problem, docs/configuration.md), and
 * the files of a guest with errors are not loaded: the core refuses that
 * guest. A file named twice is loaded once; a missing one is reported and
 * left for the core to refuse that guest.
 */
void load_config_files(const struct boot_module *cfg)
{
    struct hv_config *hc;       /* 40 KiB or so: from the pool, not the stack */
    EFI_STATUS s;

    s = bs->AllocatePool(EfiLoaderData, sizeof(*hc), (void **)&hc);
    if (s != EFI_SUCCESS) {
        say("hvboot: error: no memory to parse \\hv\\%s (%s); the files it names "
            "are not loaded\n", cfg->name, efi_err(s));
        return;
    }
    config_defaults(hc);
    config_parse((const char *)(uintptr_t)cfg->base, cfg->size, cfg->name, hc, NULL, NULL);
    for (unsigned i = 0; i < hc->guest_count; i++) {
        const struct guest_config *g = &hc->guests[i];
        if (!g->valid)
            continue;
        load_named(g->kernel, "kernel");
        for (unsigned m = 0; m < g->module_count; m++)
            load_named(g->modules[m].path, "module");
        if (g->initrd[0])
            load_named(g->initrd, "initrd");
    }
    bs->FreePool(hc);
}
