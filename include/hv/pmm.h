/*
 * Physical page allocator, pure logic: a sorted array of free extents built
 * from the firmware memory map. A page is free only when usable ranges
 * cover it entirely and no other range (firmware, ACPI, bad, or a reserved
 * range the caller names: core image, modules) touches it; page 0 and
 * memory below 1 MiB are never handed out by pmm_alloc (the low pool serves
 * only pmm_alloc_low, for the SMP trampoline).
 */
#ifndef HV_PMM_H
#define HV_PMM_H

#include <hv/boot_info.h>

#define PMM_MAX_EXTENTS 512
#define PMM_LOW_LIMIT   0x100000ULL

struct pmm_range {
    uint64_t base;
    uint64_t length;
};

struct pmm {
    struct pmm_range ext[PMM_MAX_EXTENTS];  /* free, sorted, disjoint, page-aligned */
    size_t count;
    struct pmm_range managed[PMM_MAX_EXTENTS]; /* all pages ever free: for pmm_free checks */
    size_t managed_count;
    uint64_t total_pages;                   /* managed above 1 MiB */
    uint64_t free_pages;                    /* free above 1 MiB */
    uint64_t low_free_pages;                /* free below 1 MiB */
    uint64_t lost_pages;                    /* dropped: map too fragmented */
};

enum pmm_error {
    PMM_OK = 0,
    PMM_ERR_NO_MEMORY = -1,     /* nothing usable in the map */
    PMM_ERR_NOT_MANAGED = -2,   /* pmm_free of memory never handed out */
    PMM_ERR_DOUBLE_FREE = -3,   /* pmm_free of memory already free */
    PMM_ERR_BAD_ARG = -4,
};

int pmm_init(struct pmm *p, const struct boot_mem_range *map, size_t n,
             const struct pmm_range *reserved, size_t nres);
/* npages pages aligned to `align` bytes (power of two >= 4096) ending at
 * or below max_addr (0: no limit). Returns the physical address or 0. */
uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, uint64_t max_addr);
int pmm_free(struct pmm *p, uint64_t addr, uint64_t npages);
/* One page below 1 MiB, or 0. */
uint64_t pmm_alloc_low(struct pmm *p);

static inline uint64_t pmm_free_pages(const struct pmm *p) { return p->free_pages; }
static inline uint64_t pmm_low_free_pages(const struct pmm *p) { return p->low_free_pages; }

#endif
