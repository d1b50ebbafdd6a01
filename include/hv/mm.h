/* Memory services of the core (mm/mm.c wraps the pure pmm and heap). */
#ifndef HV_MM_H
#define HV_MM_H

#include <hv/compiler.h>

struct boot_info;

/* Build the page allocator from the boot memory map, keeping the core
 * image, the boot modules and everything not usable out of it. */
/* False (with the reason printed) when no memory is usable. */
bool mm_init(const struct boot_info *bi);
void mm_print_summary(void);

/* Zeroed, page-aligned runs of identity-mapped pages; NULL when out. */
void *page_alloc(size_t npages);
/* Same, below 4 GiB (page tables an AP loads from 32-bit code...). */
void *page_alloc_below4g(size_t npages);
void page_free(void *p, size_t npages);
/* Zeroed run aligned to `align` bytes (a power of two), e.g. guest RAM. */
void *page_alloc_aligned(size_t npages, uint64_t align);
/* One page below 1 MiB for the SMP trampoline; 0 when none is free. */
uint64_t page_alloc_low(void);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

uint64_t mm_free_pages(void);

#endif
