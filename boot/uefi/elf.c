/*
 * hvboot: the core image. Its PT_LOAD segments go to their linked
 * physical address (or a 2 MiB multiple above it), in EfiLoaderCode pages:
 * firmware may map EfiLoaderData non-executable (EDK2's
 * PcdDxeNxMemoryProtectionPolicy) and entry64 runs on the firmware's page
 * tables.
 */
#include "loader.h"
#include <hv/fmt.h>
#include <hv/layout.h>
#include <hv/string.h>

#define LOAD_LIMIT    (LOAD_BASE + GiB(1))  /* entry64 maps 1 GiB of image */
#define ELF_PHNUM_MAX 64

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
    memcpy(ph, buf + eh->e_phoff, ph_bytes);     /* e_phoff may be unaligned */

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
 * load delta is a non-negative multiple of 2 MiB (core/entry.asm maps the
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

EFI_STATUS core_load(const char *path, uint64_t *entry)
{
    EFI_PHYSICAL_ADDRESS file, where = 0;
    uint64_t size;
    struct core_layout l;
    char err[200];
    EFI_STATUS s;

    say("hvboot: loading \\hv\\%s\n", path);
    s = file_read(path, &file, &size);
    if (s == EFI_NOT_FOUND)
        say("hvboot: error: \\hv\\%s not found on the boot volume\n", path);
    if (s != EFI_SUCCESS)
        return s;

    const uint8_t *buf = (const void *)(uintptr_t)file;
    if (!elf_check(buf, size, &l, err, sizeof(err))) {
        say("hvboot: error: \\hv\\%s is not a usable core image: %s\n", path, err);
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
        memcpy(&p, buf + eh->e_phoff + i * sizeof(p), sizeof(p));
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
