/*
 * Physical page allocator, pure logic: a sorted array of free extents built
 * from the firmware memory map.
 *
 * The rule (pmm_init): a page is free only when the usable ranges of the
 * map, taken together, cover it entirely and no other range touches it,
 * be it a non-usable map entry (firmware, ACPI, NVS, bad) or a reserved
 * range the caller names (core image, boot modules, boot information).
 * Usable memory is thus shrunk inward to page boundaries and everything
 * else grown outward; on overlap, reserved wins. Page 0 is never memory.
 *
 * Memory below 1 MiB (PMM_LOW_LIMIT) forms a separate pool that only
 * pmm_alloc_low hands out (the SMP start-up trampoline must sit there,
 * SDM Vol. 3A 9.4.4.1: the SIPI vector names a page below 1 MiB); general
 * allocations never dip into it. Extents never straddle 1 MiB.
 *
 * No locking and no globals: the core keeps one struct pmm behind a lock.
 */
#ifndef HV_PMM_H
#define HV_PMM_H

#include <hv/boot_info.h>

#define PMM_MAX_EXTENTS 512
#define PMM_LOW_LIMIT   0x100000ULL

struct pmm_range {
    uint64_t base;
    uint64_t length;            /* bytes */
};

struct pmm {
    /* Free memory: sorted, disjoint, page-aligned, non-empty; neighbours
     * are merged except across PMM_LOW_LIMIT. */
    struct pmm_range ext[PMM_MAX_EXTENTS];
    size_t count;
    /* Everything free after pmm_init: pmm_free refuses anything else. */
    struct pmm_range managed[PMM_MAX_EXTENTS];
    size_t managed_count;
    uint64_t total_pages;       /* managed, at or above 1 MiB */
    uint64_t free_pages;        /* free, at or above 1 MiB */
    uint64_t low_total_pages;   /* managed, below 1 MiB */
    uint64_t low_free_pages;    /* free, below 1 MiB */
    uint64_t lost_pages;        /* dropped because ext[] was full */
};

enum pmm_error {
    PMM_OK = 0,
    PMM_ERR_NO_MEMORY = -1,     /* pmm_init: no page at or above 1 MiB is free */
    PMM_ERR_NOT_MANAGED = -2,   /* pmm_free: memory this allocator never owned */
    PMM_ERR_DOUBLE_FREE = -3,   /* pmm_free: (part of) the block is already free */
    PMM_ERR_BAD_ARG = -4,       /* pmm_free: unaligned, empty or wrapping block */
};

/*
 * Build the allocator from `n` map entries (any order; overlapping,
 * zero-length, unaligned and wrapping entries are all fine) and `nres`
 * extra reserved ranges. When the free memory is too fragmented for
 * PMM_MAX_EXTENTS extents, the smallest extents are dropped and counted in
 * lost_pages. Returns PMM_OK, or PMM_ERR_NO_MEMORY (the state is then
 * valid, just without general memory).
 */
int pmm_init(struct pmm *p, const struct boot_mem_range *map, size_t n,
             const struct pmm_range *reserved, size_t nres);

/*
 * npages contiguous pages at or above 1 MiB, starting on an `align`-byte
 * boundary (a power of two >= 4096), ending at or below max_addr (an
 * exclusive limit; 0: none). First fit from the lowest address. Returns
 * the physical address, or 0 when nothing fits or the arguments are bad.
 */
uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, uint64_t max_addr);

/* One page below 1 MiB, or 0 when that pool is empty. */
uint64_t pmm_alloc_low(struct pmm *p);

/*
 * Give back npages pages at addr (from either pool). The block must lie
 * within memory pmm_init found free and none of it may be free already;
 * otherwise nothing changes and an enum pmm_error is returned. Neighbours
 * are merged, so freeing everything restores the initial extents.
 */
int pmm_free(struct pmm *p, uint64_t addr, uint64_t npages);

/* Calls fn for every free extent (both pools), lowest address first. */
typedef void (*pmm_extent_fn)(void *ctx, uint64_t base, uint64_t npages);
void pmm_for_each_free(const struct pmm *p, pmm_extent_fn fn, void *ctx);

/* Recomputes every invariant of the extent array and the counters; false
 * means the state is damaged (for tests and a debug command). */
bool pmm_check(const struct pmm *p);

static inline uint64_t pmm_free_pages(const struct pmm *p) { return p->free_pages; }
static inline uint64_t pmm_total_pages(const struct pmm *p) { return p->total_pages; }
static inline uint64_t pmm_low_free_pages(const struct pmm *p) { return p->low_free_pages; }
static inline uint64_t pmm_low_total_pages(const struct pmm *p) { return p->low_total_pages; }
static inline uint64_t pmm_lost_pages(const struct pmm *p) { return p->lost_pages; }

#endif
