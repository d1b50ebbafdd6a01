/*
 * The core's memory services: one page allocator (mm/pmm.c) built from the
 * boot memory map, with the core image, the boot modules and the low
 * megabyte's firmware areas kept out, and a heap (mm/heap.c) on top.
 * Both are shared by all CPUs behind one lock each.
 */
#include <hv/mm.h>
#include <hv/pmm.h>
#include <hv/heap.h>
#include <hv/boot_info.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/spinlock.h>
#include <hv/string.h>

/* Physical minus linked address of the core image; core/entry.asm sets
 * it before kmain (include/hv/layout.h). In .data: set before any C runs. */
uint64_t kernel_load_delta __attribute__((section(".data")));

static struct pmm pmm;
static struct heap heap;
static spinlock_t pmm_lock = SPINLOCK_INIT;
static spinlock_t heap_lock = SPINLOCK_INIT;

bool mm_init(const struct boot_info *bi)
{
    struct pmm_range reserved[BOOT_MODULES_MAX + 2];
    size_t n = 0;

    /* The core image: text, data, bss and the boot page tables. */
    reserved[n++] = (struct pmm_range){ kva_to_phys(__image_start),
                                        (uint64_t)(__image_end - __image_start) };
    if (bi->image_base && bi->image_size)
        reserved[n++] = (struct pmm_range){ bi->image_base, bi->image_size };
    for (uint32_t i = 0; i < bi->module_count; i++)
        reserved[n++] = (struct pmm_range){ bi->modules[i].base, bi->modules[i].size };

    int rc = pmm_init(&pmm, bi->mmap, bi->mmap_count, reserved, n);
    if (rc < 0)
        kprintf("mm: the firmware memory map holds no usable memory (error %d)\n", rc);
    return rc >= 0;
}

void mm_print_summary(void)
{
    kprintf("mem: %lu MiB free for allocation (%lu pages), %lu KiB below 1 MiB kept for the SMP trampoline\n",
            pmm_free_pages(&pmm) >> 8, pmm_free_pages(&pmm), pmm_low_free_pages(&pmm) * 4);
}

static void *alloc_locked(size_t npages, uint64_t align, uint64_t max_addr)
{
    uint64_t f = spin_lock_irqsave(&pmm_lock);
    uint64_t pa = pmm_alloc(&pmm, npages, align, max_addr);
    spin_unlock_irqrestore(&pmm_lock, f);
    if (!pa)
        return NULL;
    void *p = phys_to_ptr(pa);
    memset(p, 0, npages * PAGE_SIZE);
    return p;
}

void *page_alloc(size_t npages)
{
    return alloc_locked(npages, PAGE_SIZE, 0);
}

void *page_alloc_below4g(size_t npages)
{
    return alloc_locked(npages, PAGE_SIZE, GiB(4));
}

void *page_alloc_aligned(size_t npages, uint64_t align)
{
    return alloc_locked(npages, align, 0);
}

void page_free(void *p, size_t npages)
{
    uint64_t f = spin_lock_irqsave(&pmm_lock);
    pmm_free(&pmm, (uint64_t)p, npages);
    spin_unlock_irqrestore(&pmm_lock, f);
}

uint64_t page_alloc_low(void)
{
    uint64_t f = spin_lock_irqsave(&pmm_lock);
    uint64_t pa = pmm_alloc_low(&pmm);
    spin_unlock_irqrestore(&pmm_lock, f);
    return pa;
}

uint64_t mm_free_pages(void)
{
    return pmm_free_pages(&pmm);
}

static void *heap_pages(void *ctx, size_t npages)
{
    (void)ctx;
    return page_alloc(npages);
}

void *kmalloc(size_t size)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    if (!heap.get_pages)
        heap_init(&heap, heap_pages, NULL);
    void *p = heap_alloc(&heap, size);
    spin_unlock_irqrestore(&heap_lock, f);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    uint64_t f = spin_lock_irqsave(&heap_lock);
    if (p && heap_free(&heap, p) != 0)
        kprintf("mm: kfree(%p): not a live heap block; ignored\n", p);
    spin_unlock_irqrestore(&heap_lock, f);
}
