/*
 * Physical page allocator (see include/hv/pmm.h).
 *
 * pmm_init sweeps the address space once from boundary to boundary: every
 * start and end of every range cuts it into elementary intervals, and each
 * interval is either entirely inside a range or entirely outside it. So an
 * interval is classified by asking which ranges contain its first byte,
 * and the free memory is the union of intervals inside some usable range
 * and inside no other range, each maximal run shrunk inward to pages.
 * Taking the union first matters: two usable entries that meet in the
 * middle of a page still cover that page. The sweep is quadratic in the
 * number of ranges (a few hundred at most, once per boot) and needs no
 * scratch memory, which is all there is before the allocator exists.
 */
#include <hv/pmm.h>
#include <hv/string.h>

#define PG   PAGE_SIZE
/* Highest page boundary: ranges reaching past it are clamped to it, so
 * rounding up never wraps. No machine has memory up there. */
#define TOP  (~0ULL & ~(PG - 1))

static bool in_low_pool(uint64_t base)
{
    return base < PMM_LOW_LIMIT;
}

/* ---- the extent array ------------------------------------------------- */

static void count_free(struct pmm *p, uint64_t base, uint64_t len, bool add)
{
    uint64_t *c = in_low_pool(base) ? &p->low_free_pages : &p->free_pages;

    if (add)
        *c += len / PG;
    else
        *c -= len / PG;
}

/* Removes ext[i]; the caller has already taken it out of the counters. */
static void ext_remove(struct pmm *p, size_t i)
{
    memmove(&p->ext[i], &p->ext[i + 1], (p->count - i - 1) * sizeof(p->ext[0]));
    p->count--;
}

/*
 * Inserts a free extent at index i (the caller keeps the order) and counts
 * it. When the array is full, the smallest extent goes, which may be the
 * new one: losing a few small holes beats failing the operation.
 */
static void ext_insert(struct pmm *p, size_t i, uint64_t base, uint64_t len)
{
    if (p->count == PMM_MAX_EXTENTS) {
        size_t s = 0;
        for (size_t k = 1; k < p->count; k++)
            if (p->ext[k].length < p->ext[s].length)
                s = k;
        if (p->ext[s].length >= len) {
            p->lost_pages += len / PG;
            return;
        }
        p->lost_pages += p->ext[s].length / PG;
        count_free(p, p->ext[s].base, p->ext[s].length, false);
        ext_remove(p, s);
        if (s < i)
            i--;
    }
    memmove(&p->ext[i + 1], &p->ext[i], (p->count - i) * sizeof(p->ext[0]));
    p->ext[i] = (struct pmm_range){ base, len };
    p->count++;
    count_free(p, base, len, true);
}

/* Hands out [a, a + size) from ext[i], keeping what is left on each side. */
static void ext_take(struct pmm *p, size_t i, uint64_t a, uint64_t size)
{
    uint64_t b = p->ext[i].base, e = b + p->ext[i].length;

    count_free(p, b, e - b, false);
    ext_remove(p, i);
    /* The tail first: after the removal it always has room. */
    if (a + size < e)
        ext_insert(p, i, a + size, e - (a + size));
    if (a > b)
        ext_insert(p, i, b, a - b);
}

/* ---- pmm_init --------------------------------------------------------- */

struct sweep {
    const struct boot_mem_range *map;
    size_t n;
    const struct pmm_range *res;
    size_t nres;
};

/*
 * Range k of the sweep as [*b, *e): the map entries, then the reserved
 * ranges, then page 0, all at byte precision. Only the free runs are
 * rounded (inward, in sweep_emit): a run ends where any other range
 * begins, so a page such a range touches is never whole inside a run,
 * which is the same as growing that range outward to pages. False when
 * the range is empty.
 */
static bool sweep_range(const struct sweep *s, size_t k, uint64_t *b, uint64_t *e,
                        bool *usable)
{
    uint64_t base, len;

    if (k < s->n) {
        base = s->map[k].base;
        len = s->map[k].length;
        *usable = s->map[k].type == BOOT_MEM_USABLE;
    } else if (k < s->n + s->nres) {
        base = s->res[k - s->n].base;
        len = s->res[k - s->n].length;
        *usable = false;
    } else {
        base = 0;               /* page 0: the real-mode IVT, and NULL */
        len = PG;
        *usable = false;
    }
    if (len == 0 || base >= TOP)
        return false;
    *b = base;
    *e = len > TOP - base ? TOP : base + len;
    return true;
}

/* Records the maximal free run [b, e), shrunk inward to whole pages. */
static void sweep_emit(struct pmm *p, uint64_t b, uint64_t e)
{
    b = ALIGN_UP(b, PG);            /* b < TOP: cannot wrap */
    e = ALIGN_DOWN(e, PG);
    if (e > b)
        ext_insert(p, p->count, b, e - b);
}

int pmm_init(struct pmm *p, const struct boot_mem_range *map, size_t n,
             const struct pmm_range *reserved, size_t nres)
{
    const struct sweep s = { map, map ? n : 0, reserved, reserved ? nres : 0 };
    const size_t nr = s.n + s.nres + 1;
    uint64_t cur = 0, run_b = 0, run_e = 0;
    bool open = false;

    memset(p, 0, sizeof(*p));
    for (;;) {
        /* The next boundary after cur; 1 MiB always is one, so that no
         * run straddles the two pools. */
        uint64_t next = TOP, b, e;
        bool usable, in_usable = false, in_other = false;

        if (cur < PMM_LOW_LIMIT)
            next = PMM_LOW_LIMIT;
        for (size_t k = 0; k < nr; k++) {
            if (!sweep_range(&s, k, &b, &e, &usable))
                continue;
            if (b > cur && b < next)
                next = b;
            if (e > cur && e < next)
                next = e;
            if (b <= cur && cur < e) {
                if (usable)
                    in_usable = true;
                else
                    in_other = true;
            }
        }
        if (in_usable && !in_other) {
            if (!open) {
                open = true;
                run_b = cur;
            }
            run_e = next;
        } else if (open) {
            sweep_emit(p, run_b, run_e);
            open = false;
        }
        if (open && next == PMM_LOW_LIMIT) {
            sweep_emit(p, run_b, run_e);
            open = false;
        }
        if (next >= TOP)
            break;
        cur = next;
    }
    if (open)
        sweep_emit(p, run_b, run_e);

    memcpy(p->managed, p->ext, p->count * sizeof(p->ext[0]));
    p->managed_count = p->count;
    p->total_pages = p->free_pages;
    p->low_total_pages = p->low_free_pages;
    return p->free_pages ? PMM_OK : PMM_ERR_NO_MEMORY;
}

/* ---- allocation ------------------------------------------------------- */

uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, uint64_t max_addr)
{
    if (npages == 0 || npages > (TOP >> PAGE_SHIFT) || align < PG || (align & (align - 1)))
        return 0;
    uint64_t size = npages * PG;

    for (size_t i = 0; i < p->count; i++) {
        uint64_t b = p->ext[i].base, e = b + p->ext[i].length;
        if (in_low_pool(b))
            continue;
        if (b > ~0ULL - (align - 1))
            break;                  /* the rest lie higher still */
        uint64_t a = ALIGN_UP(b, align);
        /* Extents are sorted, so once the lowest candidate start breaks
         * max_addr every later one does too. */
        if (max_addr && (a >= max_addr || max_addr - a < size))
            break;
        if (a >= e || e - a < size)
            continue;
        ext_take(p, i, a, size);
        return a;
    }
    return 0;
}

uint64_t pmm_alloc_low(struct pmm *p)
{
    if (p->count == 0 || !in_low_pool(p->ext[0].base))
        return 0;
    uint64_t a = p->ext[0].base;
    ext_take(p, 0, a, PG);
    return a;
}

/* ---- freeing ---------------------------------------------------------- */

static bool is_managed(const struct pmm *p, uint64_t b, uint64_t e)
{
    for (size_t k = 0; k < p->managed_count; k++) {
        const struct pmm_range *m = &p->managed[k];
        if (b >= m->base && e <= m->base + m->length)
            return true;
    }
    return false;
}

int pmm_free(struct pmm *p, uint64_t addr, uint64_t npages)
{
    if (npages == 0 || !IS_ALIGNED(addr, PG) || npages > (TOP >> PAGE_SHIFT) ||
        addr > TOP - npages * PG)
        return PMM_ERR_BAD_ARG;
    uint64_t size = npages * PG, e = addr + size;

    /* A managed extent never straddles 1 MiB, so neither does the block. */
    if (!is_managed(p, addr, e))
        return PMM_ERR_NOT_MANAGED;

    /* i: the first extent at or above addr. */
    size_t lo = 0, hi = p->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ext[mid].base < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo;
    struct pmm_range *prev = i > 0 ? &p->ext[i - 1] : NULL;
    struct pmm_range *next = i < p->count ? &p->ext[i] : NULL;
    if ((prev && prev->base + prev->length > addr) || (next && next->base < e))
        return PMM_ERR_DOUBLE_FREE;

    /* Merge with the neighbours, except across the pool boundary. */
    bool join_prev = prev && prev->base + prev->length == addr && addr != PMM_LOW_LIMIT;
    bool join_next = next && next->base == e && e != PMM_LOW_LIMIT;
    if (join_prev && join_next) {
        prev->length += size + next->length;
        ext_remove(p, i);
    } else if (join_prev) {
        prev->length += size;
    } else if (join_next) {
        next->base = addr;
        next->length += size;
    } else {
        ext_insert(p, i, addr, size);
        return PMM_OK;              /* counted by ext_insert */
    }
    count_free(p, addr, size, true);
    return PMM_OK;
}

/* ---- inspection ------------------------------------------------------- */

void pmm_for_each_free(const struct pmm *p, pmm_extent_fn fn, void *ctx)
{
    for (size_t i = 0; i < p->count; i++)
        fn(ctx, p->ext[i].base, p->ext[i].length / PG);
}

static bool extents_valid(const struct pmm_range *r, size_t n, uint64_t *low, uint64_t *high)
{
    *low = *high = 0;
    if (n > PMM_MAX_EXTENTS)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = r[i].base, len = r[i].length;
        if (len == 0 || !IS_ALIGNED(b, PG) || !IS_ALIGNED(len, PG) || b == 0 || len > TOP - b)
            return false;
        if (in_low_pool(b) && b + len > PMM_LOW_LIMIT)
            return false;
        if (i > 0) {
            uint64_t pe = r[i - 1].base + r[i - 1].length;
            if (pe > b || (pe == b && b != PMM_LOW_LIMIT))
                return false;       /* overlapping, unsorted or unmerged */
        }
        if (in_low_pool(b))
            *low += len / PG;
        else
            *high += len / PG;
    }
    return true;
}

bool pmm_check(const struct pmm *p)
{
    uint64_t low, high, mlow, mhigh;

    if (!extents_valid(p->ext, p->count, &low, &high) ||
        !extents_valid(p->managed, p->managed_count, &mlow, &mhigh))
        return false;
    if (low != p->low_free_pages || high != p->free_pages ||
        mlow != p->low_total_pages || mhigh != p->total_pages)
        return false;
    for (size_t i = 0; i < p->count; i++)
        if (!is_managed(p, p->ext[i].base, p->ext[i].base + p->ext[i].length))
            return false;
    return true;
}
