/*
 * Final page tables: an identity map of physical memory (1 GiB pages when
 * CPUID.80000001H:EDX[26] says so, else 2 MiB pages) and the core's image
 * at KERNEL_VBASE. The tables sit below 4 GiB because APs load CR3 from
 * 16-bit code (trampoline.asm). Memory types come from the MTRRs with the
 * default PAT (WB), so RAM is WB and MMIO holes stay UC (SDM Vol. 3A 12.5.2.2).
 */
#include <arch/paging.h>
#include <arch/cpu.h>
#include <hv/boot_info.h>
#include <hv/log.h>
#include <hv/smp.h>
#include <hv/layout.h>
#include <hv/mm.h>

#define PTE_P   BIT(0)
#define PTE_W   BIT(1)
#define PTE_PS  BIT(7)

static uint64_t *table_alloc(void)
{
    uint64_t *t = page_alloc_below4g(1);
    if (!t)
        panic("paging: out of memory below 4 GiB for page tables");
    return t;
}

static uint64_t map_top(const struct boot_info *bi)
{
    uint64_t top = GiB(4);

    /* RAM and ACPI memory; reserved windows far above RAM (QEMU puts one
     * at 1 TiB) need no mapping. */
    for (uint32_t i = 0; i < bi->mmap_count; i++) {
        if (bi->mmap[i].type == BOOT_MEM_RESERVED || bi->mmap[i].type == BOOT_MEM_BAD)
            continue;
        uint64_t end = bi->mmap[i].base + bi->mmap[i].length;
        if (end > top && end > bi->mmap[i].base)
            top = end;
    }
    if (bi->fb.type == BOOT_FB_RGB) {
        uint64_t fb_end = bi->fb.base + (uint64_t)bi->fb.pitch * bi->fb.height;
        if (fb_end > top)
            top = fb_end;
    }
    /* The identity map lives in the lower canonical half: 64 TiB at most. */
    if (top > (1ULL << 46))
        top = 1ULL << 46;
    return ALIGN_UP(top, GiB(1));
}

void paging_init(const struct boot_info *bi)
{
    bool gb_pages = (cpuid(0x80000001, 0).edx & BIT(26)) != 0;
    uint64_t top = map_top(bi);
    uint64_t *pml4 = table_alloc();

    for (uint64_t gb = 0; gb < top; gb += GiB(1)) {
        unsigned l4 = (gb >> 39) & 511, l3 = (gb >> 30) & 511;
        if (!(pml4[l4] & PTE_P))
            pml4[l4] = kva_to_phys(table_alloc()) | PTE_P | PTE_W;
        uint64_t *pdpt = phys_to_ptr(pml4[l4] & ~0xfffULL);
        if (gb_pages) {
            pdpt[l3] = gb | PTE_P | PTE_W | PTE_PS;
            continue;
        }
        uint64_t *pd = table_alloc();
        for (unsigned i = 0; i < 512; i++)
            pd[i] = (gb + i * MiB(2)) | PTE_P | PTE_W | PTE_PS;
        pdpt[l3] = kva_to_phys(pd) | PTE_P | PTE_W;
    }

    /* The high half: KERNEL_VBASE + x -> kernel_load_delta + x, 1 GiB. */
    uint64_t *pdpt_hi = table_alloc(), *pd_hi = table_alloc();
    for (unsigned i = 0; i < 512; i++)
        pd_hi[i] = (kernel_load_delta + i * MiB(2)) | PTE_P | PTE_W | PTE_PS;
    pdpt_hi[510] = kva_to_phys(pd_hi) | PTE_P | PTE_W;
    pml4[511] = kva_to_phys(pdpt_hi) | PTE_P | PTE_W;

    write_cr3(kva_to_phys(pml4));
    kprintf("paging: identity map up to %lu GiB with %s pages\n",
            top >> 30, gb_pages ? "1 GiB" : "2 MiB");
}
