/* Physical page allocator (see include/hv/pmm.h). */
#include <hv/pmm.h>
#include <hv/string.h>

#define PG 4096ULL

/* Remove [b, e) from a sorted, disjoint range list. */
static void list_cut(struct pmm_range *r, size_t *n, size_t cap, uint64_t b, uint64_t e,
                     uint64_t *lost)
{
    for (size_t i = 0; i < *n; i++) {
        uint64_t rb = r[i].base, re = rb + r[i].length;
        if (e <= rb || b >= re)
            continue;
        if (b > rb && e < re) {                 /* split in two */
            if (*n == cap) {                    /* no room: keep the larger part */
                if (b - rb >= re - e) {
                    *lost += (re - e) / PG;
                    r[i].length = b - rb;
                } else {
                    *lost += (b - rb) / PG;
                    r[i].base = e;
                    r[i].length = re - e;
                }
                continue;
            }
            memmove(&r[i + 2], &r[i + 1], (*n - i - 1) * sizeof(*r));
            r[i].length = b - rb;
            r[i + 1] = (struct pmm_range){ e, re - e };
            (*n)++;
            i++;
        } else if (b <= rb && e >= re) {        /* swallowed */
            memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(*r));
            (*n)--;
            i--;
        } else if (b <= rb) {                   /* cut the head */
            r[i].base = e;
            r[i].length = re - e;
        } else {                                /* cut the tail */
            r[i].length = b - rb;
        }
    }
}

/* Insert [b, e) into a sorted, disjoint list, merging neighbours. Ranges
 * overlapping an existing one are merged too (usable map entries may
 * overlap each other). */
static bool list_add(struct pmm_range *r, size_t *n, size_t cap, uint64_t b, uint64_t e)
{
    size_t i = 0;
    while (i < *n && r[i].base + r[i].length < b)
        i++;
    /* r[i] is the first range that ends at or after b: merge while touching. */
    size_t j = i;
    while (j < *n && r[j].base <= e) {
        uint64_t rb = r[j].base, re = rb + r[j].length;
        b = rb < b ? rb : b;
        e = re > e ? re : e;
        j++;
    }
    if (j == i) {
        if (*n == cap)
            return false;
        memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
        (*n)++;
    } else if (j > i + 1) {
        memmove(&r[i + 1], &r[j], (*n - j) * sizeof(*r));
        *n -= j - i - 1;
    }
    r[i] = (struct pmm_range){ b, e - b };
    return true;
}

static uint64_t pages_in(const struct pmm_range *r, size_t n, uint64_t lo, uint64_t hi)
{
    uint64_t pages = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = r[i].base, e = b + r[i].length;
        b = b < lo ? lo : b;
        e = e > hi ? hi : e;
        if (e > b)
            pages += (e - b) / PG;
    }
    return pages;
}

static void recount(struct pmm *p)
{
    p->free_pages = pages_in(p->ext, p->count, PMM_LOW_LIMIT, ~0ULL);
    p->low_free_pages = pages_in(p->ext, p->count, 0, PMM_LOW_LIMIT);
}

static bool end_of(uint64_t base, uint64_t len, uint64_t *end)
{
    *end = base + len;
    if (*end < base)
        *end = ~0ULL & ~(PG - 1);               /* clamp an overflowing entry */
    return len != 0;
}

int pmm_init(struct pmm *p, const struct boot_mem_range *map, size_t n,
             const struct pmm_range *reserved, size_t nres)
{
    uint64_t e;

    memset(p, 0, sizeof(*p));
    /* 1. Usable memory, shrunk inward to whole pages. */
    for (size_t i = 0; i < n; i++) {
        if (map[i].type != BOOT_MEM_USABLE || !end_of(map[i].base, map[i].length, &e))
            continue;
        uint64_t b = (map[i].base + PG - 1) & ~(PG - 1);
        e &= ~(PG - 1);
        if (b < map[i].base || e <= b)
            continue;
        if (!list_add(p->ext, &p->count, PMM_MAX_EXTENTS, b, e))
            p->lost_pages += (e - b) / PG;
    }
    /* 2. Everything else wins where it overlaps, grown outward to pages. */
    for (size_t i = 0; i < n; i++) {
        if (map[i].type == BOOT_MEM_USABLE || !end_of(map[i].base, map[i].length, &e))
            continue;
        list_cut(p->ext, &p->count, PMM_MAX_EXTENTS, map[i].base & ~(PG - 1),
                 (e + PG - 1) & ~(PG - 1), &p->lost_pages);
    }
    for (size_t i = 0; i < nres; i++) {
        if (!end_of(reserved[i].base, reserved[i].length, &e))
            continue;
        list_cut(p->ext, &p->count, PMM_MAX_EXTENTS, reserved[i].base & ~(PG - 1),
                 (e + PG - 1) & ~(PG - 1), &p->lost_pages);
    }
    /* 3. Page 0 (real-mode IVT, and a NULL pointer) is never memory. */
    list_cut(p->ext, &p->count, PMM_MAX_EXTENTS, 0, PG, &p->lost_pages);

    memcpy(p->managed, p->ext, p->count * sizeof(p->ext[0]));
    p->managed_count = p->count;
    recount(p);
    p->total_pages = p->free_pages;
    return p->free_pages ? PMM_OK : PMM_ERR_NO_MEMORY;
}

uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, uint64_t max_addr)
{
    if (npages == 0 || align < PG || (align & (align - 1)) || npages > (~0ULL / PG))
        return 0;
    uint64_t size = npages * PG;
    for (size_t i = 0; i < p->count; i++) {
        uint64_t b = p->ext[i].base, e = b + p->ext[i].length;
        if (b < PMM_LOW_LIMIT)
            b = PMM_LOW_LIMIT;
        uint64_t a = (b + align - 1) & ~(align - 1);
        if (a < b || a >= e || e - a < size)
            continue;
        if (max_addr && (a + size > max_addr))
            continue;
        uint64_t lost = 0;
        list_cut(p->ext, &p->count, PMM_MAX_EXTENTS, a, a + size, &lost);
        recount(p);
        return a;
    }
    return 0;
}

uint64_t pmm_alloc_low(struct pmm *p)
{
    for (size_t i = 0; i < p->count && p->ext[i].base < PMM_LOW_LIMIT; i++) {
        uint64_t a = p->ext[i].base;
        uint64_t lost = 0;
        list_cut(p->ext, &p->count, PMM_MAX_EXTENTS, a, a + PG, &lost);
        recount(p);
        return a;
    }
    return 0;
}

static bool inside(const struct pmm_range *r, size_t n, uint64_t b, uint64_t e)
{
    for (size_t i = 0; i < n; i++)
        if (b >= r[i].base && e <= r[i].base + r[i].length)
            return true;
    return false;
}

static bool overlaps(const struct pmm_range *r, size_t n, uint64_t b, uint64_t e)
{
    for (size_t i = 0; i < n; i++)
        if (b < r[i].base + r[i].length && e > r[i].base)
            return true;
    return false;
}

int pmm_free(struct pmm *p, uint64_t addr, uint64_t npages)
{
    if (npages == 0 || (addr & (PG - 1)) || npages > (~0ULL - addr) / PG)
        return PMM_ERR_BAD_ARG;
    uint64_t e = addr + npages * PG;
    if (!inside(p->managed, p->managed_count, addr, e))
        return PMM_ERR_NOT_MANAGED;
    if (overlaps(p->ext, p->count, addr, e))
        return PMM_ERR_DOUBLE_FREE;
    if (!list_add(p->ext, &p->count, PMM_MAX_EXTENTS, addr, e))
        p->lost_pages += npages;
    recount(p);
    return PMM_OK;
}
