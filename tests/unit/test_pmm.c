/*
 * Physical page allocator: hand-written memory maps for each rule, then a
 * randomised run checked page by page against a reference bitmap computed
 * straight from the rule in include/hv/pmm.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hv/pmm.h>

#define PG 4096ULL
#define U  BOOT_MEM_USABLE
#define RS BOOT_MEM_RESERVED
#define AR BOOT_MEM_ACPI_RECLAIM
#define NV BOOT_MEM_ACPI_NVS
#define BD BOOT_MEM_BAD

static struct pmm pm;

#define M(b, l, t) ((struct boot_mem_range){ (b), (l), (t), 0 })

/* ---- helpers ---------------------------------------------------------- */

struct exts {
    struct pmm_range r[PMM_MAX_EXTENTS];
    size_t n;
};

static void collect_fn(void *ctx, uint64_t base, uint64_t npages)
{
    struct exts *e = ctx;
    assert_true(e->n < PMM_MAX_EXTENTS);
    e->r[e->n++] = (struct pmm_range){ base, npages * PG };
}

static struct exts collect(const struct pmm *p)
{
    struct exts e = { .n = 0 };
    pmm_for_each_free(p, collect_fn, &e);
    return e;
}

/* The free extents must be exactly the (base, length) pairs given. */
static void expect_exts(const struct pmm *p, size_t n, const struct pmm_range *want)
{
    struct exts e = collect(p);
    for (size_t i = 0; i < e.n && i < n; i++) {
        if (e.r[i].base != want[i].base || e.r[i].length != want[i].length)
            fail_msg("extent %zu: got [%#llx, +%#llx), want [%#llx, +%#llx)", i,
                     (unsigned long long)e.r[i].base, (unsigned long long)e.r[i].length,
                     (unsigned long long)want[i].base, (unsigned long long)want[i].length);
    }
    assert_int_equal(e.n, n);
    assert_true(pmm_check(p));
}

#define EXPECT(p, ...) do {                                                  \
        const struct pmm_range w_[] = { __VA_ARGS__ };                       \
        expect_exts((p), sizeof(w_) / sizeof(w_[0]), w_);                    \
    } while (0)
#define X(b, e) { (b), (e) - (b) }      /* extent from base to end */

/* ---- building from the map -------------------------------------------- */

static void test_basic_pc_map(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0, 0x9fc00, U),               /* conventional memory up to the EBDA */
        M(0x9fc00, 0x400, RS),
        M(0xf0000, 0x10000, RS),        /* BIOS ROM */
        M(0x100000, 0x7ee0000, U),      /* 1 MiB .. 127.875 MiB */
        M(0x7fe0000, 0x20000, AR),
        M(0xfffc0000, 0x40000, RS),
    };
    assert_int_equal(pmm_init(&pm, map, 6, NULL, 0), PMM_OK);
    /* The EBDA's partial page 0x9f000 goes; page 0 goes. */
    EXPECT(&pm, X(0x1000, 0x9f000), X(0x100000, 0x7fe0000));
    assert_int_equal(pmm_low_free_pages(&pm), 0x9e);
    assert_int_equal(pmm_low_total_pages(&pm), 0x9e);
    assert_int_equal(pmm_free_pages(&pm), (0x7fe0000 - 0x100000) / PG);
    assert_int_equal(pmm_total_pages(&pm), pmm_free_pages(&pm));
    assert_int_equal(pmm_lost_pages(&pm), 0);
}

static void test_unsorted_overlapping(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x3000000, 0x1000000, U),     /* 48..64 MiB */
        M(0x200000, 0x1000000, U),      /* 2..18 MiB */
        M(0x800000, 0x2000000, U),      /* 8..40 MiB: overlaps the one above */
        M(0x2400000, 0x100000, NV),     /* 36..37 MiB: firmware wins over usable */
        M(0x3800000, 0x1000, BD),       /* one bad page at 56 MiB */
        M(0x3000000, 0x2000, U),        /* duplicate of a part */
    };
    assert_int_equal(pmm_init(&pm, map, 6, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x200000, 0x2400000), X(0x2500000, 0x2800000),
           X(0x3000000, 0x3800000), X(0x3801000, 0x4000000));
}

static void test_usable_overlapped_by_reserved_entry(void **state)
{
    (void)state;
    /* A usable entry entirely inside a reserved one yields nothing, in
     * either order. */
    const struct boot_mem_range a[] = { M(0x100000, 0x400000, RS), M(0x200000, 0x1000, U) };
    const struct boot_mem_range b[] = { M(0x200000, 0x1000, U), M(0x100000, 0x400000, RS) };
    assert_int_equal(pmm_init(&pm, a, 2, NULL, 0), PMM_ERR_NO_MEMORY);
    EXPECT(&pm, );
    assert_int_equal(pmm_init(&pm, b, 2, NULL, 0), PMM_ERR_NO_MEMORY);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);
    assert_int_equal(pmm_alloc_low(&pm), 0);
}

static void test_zero_length_and_unaligned(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100800, 0xfffc00, U),       /* 1 MiB + 2 KiB .. 17 MiB + 1 KiB */
        M(0x400000, 0, RS),             /* zero-length: no effect */
        M(0x2000000, 0, U),             /* zero-length usable: nothing */
        M(0x500010, 0x10, RS),          /* 16 bytes: the whole page goes */
        M(0x600fff, 2, BD),             /* straddles two pages: both go */
    };
    assert_int_equal(pmm_init(&pm, map, 5, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x101000, 0x500000), X(0x501000, 0x600000), X(0x602000, 0x1100000));
}

static void test_usable_entries_meeting_mid_page(void **state)
{
    (void)state;
    /* Together they cover the page at 0x201000 entirely. */
    const struct boot_mem_range map[] = {
        M(0x201800, 0xfe800, U),        /* .. 0x300000 */
        M(0x100000, 0x101800, U),       /* .. 0x201800 */
    };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x300000));

    /* A one-byte gap between them costs the page. */
    const struct boot_mem_range gap[] = {
        M(0x100000, 0x101800, U),
        M(0x201801, 0xfe7ff, U),
    };
    assert_int_equal(pmm_init(&pm, gap, 2, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x201000), X(0x202000, 0x300000));
}

static void test_above_4g(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100000000ULL, 0x80000000ULL, U),    /* 4 .. 6 GiB */
        M(0x100000, 0x100000, U),
        M(0x140000000ULL, 0x1000, RS),          /* 5 GiB */
        M(0x1000000000ULL, 0x1000, U),          /* 64 GiB, one page */
    };
    assert_int_equal(pmm_init(&pm, map, 4, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x200000), X(0x100000000ULL, 0x140000000ULL),
           X(0x140001000ULL, 0x180000000ULL), X(0x1000000000ULL, 0x1000001000ULL));
    assert_int_equal(pmm_free_pages(&pm), 256 + 0x80000 - 1 + 1);
}

static void test_wrapping_entries(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100000, 0x100000, U),
        M(0xfffffffffffff800ULL, 0x1000, U),    /* wraps: clamped, no whole page */
        M(0xffffffff00000000ULL, ~0ULL, U),     /* wraps: up to the top page */
        M(0xffffffff80000000ULL, ~0ULL, RS),    /* wraps: cuts to the very end */
    };
    assert_int_equal(pmm_init(&pm, map, 4, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x200000), X(0xffffffff00000000ULL, 0xffffffff80000000ULL));
    /* An allocation near the top must not wrap either. */
    uint64_t a = pmm_alloc(&pm, 0x80000, 0x80000000ULL, 0);
    assert_int_equal(a, 0xffffffff00000000ULL);
    assert_int_equal(pmm_free(&pm, a, 0x80000), PMM_OK);
    assert_int_equal(pmm_alloc(&pm, 1, 1ULL << 63, 0), 0);
    assert_int_equal(pmm_free(&pm, 0xfffffffffffff000ULL, 2), PMM_ERR_BAD_ARG);
    assert_true(pmm_check(&pm));
}

static void test_reserved_ranges(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100000, 0xf00000, U),           /* 1 .. 16 MiB */
        M(0x2000000, 0x1000000, U),         /* 32 .. 48 MiB */
    };
    const struct pmm_range res[] = {
        { 0x100000, 0x80000 },              /* the start of the first */
        { 0x400000, 0x123456 },             /* its middle, unaligned end */
        { 0xfff800, 0x1000 },               /* its end, unaligned both ways */
        { 0x2fff000, 0x2000 },              /* spans the end of the second */
        { 0x5000000, 0x1000 },              /* outside everything */
        { 0x800000, 0 },                    /* empty */
    };
    assert_int_equal(pmm_init(&pm, map, 2, res, 6), PMM_OK);
    EXPECT(&pm, X(0x180000, 0x400000), X(0x524000, 0xfff000), X(0x2000000, 0x2fff000));
    /* None of the reserved bytes can be freed into the allocator. */
    assert_int_equal(pmm_free(&pm, 0x100000, 1), PMM_ERR_NOT_MANAGED);
    assert_int_equal(pmm_free(&pm, 0x523000, 1), PMM_ERR_NOT_MANAGED);
    assert_int_equal(pmm_free(&pm, 0xfff000, 1), PMM_ERR_NOT_MANAGED);
    assert_int_equal(pmm_free(&pm, 0x5000000, 1), PMM_ERR_NOT_MANAGED);
}

static void test_page0_never(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = { M(0, 0x3000, U), M(0x100000, 0x1000, U) };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x1000, 0x3000), X(0x100000, 0x101000));
    assert_int_equal(pmm_alloc_low(&pm), 0x1000);
    assert_int_equal(pmm_alloc_low(&pm), 0x2000);
    assert_int_equal(pmm_alloc_low(&pm), 0);
    assert_int_equal(pmm_free(&pm, 0, 1), PMM_ERR_NOT_MANAGED);
    assert_int_equal(pmm_free(&pm, 0, 3), PMM_ERR_NOT_MANAGED);
}

static void test_low_pool_separate(void **state)
{
    (void)state;
    /* One usable range across 1 MiB: two pools, two extents. */
    const struct boot_mem_range map[] = { M(0x80000, 0x100000, U) };
    assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), PMM_OK);
    EXPECT(&pm, X(0x80000, 0x100000), X(0x100000, 0x180000));
    assert_int_equal(pmm_low_total_pages(&pm), 0x80);
    assert_int_equal(pmm_total_pages(&pm), 0x80);

    /* General allocations use only the high pool ... */
    uint64_t a = pmm_alloc(&pm, 0x80, PG, 0);
    assert_int_equal(a, 0x100000);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);
    assert_int_equal(pmm_low_free_pages(&pm), 0x80);
    /* ... the low pool serves pmm_alloc_low alone. */
    for (uint64_t i = 0; i < 0x80; i++)
        assert_int_equal(pmm_alloc_low(&pm), 0x80000 + i * PG);
    assert_int_equal(pmm_alloc_low(&pm), 0);
    assert_int_equal(pmm_low_free_pages(&pm), 0);

    /* A block freed on either side of 1 MiB returns to its own pool. */
    assert_int_equal(pmm_free(&pm, 0xff000, 1), PMM_OK);
    assert_int_equal(pmm_free(&pm, 0x100000, 1), PMM_OK);
    EXPECT(&pm, X(0xff000, 0x100000), X(0x100000, 0x101000));
    assert_int_equal(pmm_low_free_pages(&pm), 1);
    assert_int_equal(pmm_free_pages(&pm), 1);
    /* A block across 1 MiB was never handed out as one. */
    assert_int_equal(pmm_free(&pm, 0xfe000, 4), PMM_ERR_NOT_MANAGED);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0x100000);
    assert_int_equal(pmm_alloc_low(&pm), 0xff000);
}

static void test_alignment(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = { M(0x100000, 0x1000000, U) };   /* 1 .. 17 MiB */
    assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), PMM_OK);

    /* Bad alignments are refused. */
    assert_int_equal(pmm_alloc(&pm, 1, 0, 0), 0);
    assert_int_equal(pmm_alloc(&pm, 1, 2048, 0), 0);
    assert_int_equal(pmm_alloc(&pm, 1, 3 * PG, 0), 0);
    assert_int_equal(pmm_alloc(&pm, 0, PG, 0), 0);

    uint64_t a = pmm_alloc(&pm, 1, PG, 0);
    assert_int_equal(a, 0x100000);
    uint64_t big = pmm_alloc(&pm, 512, MiB(2), 0);      /* a 2 MiB page */
    assert_int_equal(big, 0x200000);
    uint64_t b = pmm_alloc(&pm, 3, MiB(2), 0);
    assert_int_equal(b, 0x400000);
    uint64_t c = pmm_alloc(&pm, 1, PG, 0);              /* the hole below 2 MiB */
    assert_int_equal(c, 0x101000);
    EXPECT(&pm, X(0x102000, 0x200000), X(0x403000, 0x1100000));
    /* 16 MiB alignment fits once (at 16 MiB), then no more. */
    assert_int_equal(pmm_alloc(&pm, 256, MiB(16), 0), 0x1000000);
    assert_int_equal(pmm_alloc(&pm, 1, MiB(16), 0), 0);

    assert_int_equal(pmm_free(&pm, big, 512), PMM_OK);
    assert_int_equal(pmm_free(&pm, a, 1), PMM_OK);
    assert_int_equal(pmm_free(&pm, c, 1), PMM_OK);
    assert_int_equal(pmm_free(&pm, b, 3), PMM_OK);
    assert_int_equal(pmm_free(&pm, 0x1000000, 256), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x1100000));
}

static void test_max_addr(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100000, 0x300000, U),                   /* 1 .. 4 MiB */
        M(0x100000000ULL, 0x100000000ULL, U),       /* 4 .. 8 GiB */
    };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    const uint64_t lim = GiB(4);

    /* A block may end exactly at the limit, not past it. */
    assert_int_equal(pmm_alloc(&pm, 0x300, PG, 0x400000), 0x100000);
    assert_int_equal(pmm_free(&pm, 0x100000, 0x300), PMM_OK);
    assert_int_equal(pmm_alloc(&pm, 0x301, PG, 0x400000), 0);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0x100000), 0);      /* nothing below */
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0x101000), 0x100000);
    assert_int_equal(pmm_free(&pm, 0x100000, 1), PMM_OK);

    /* Fill what is below 4 GiB, then the limit is what fails. */
    for (int i = 0; i < 0x300; i++) {
        uint64_t a = pmm_alloc(&pm, 1, PG, lim);
        assert_true(a >= 0x100000 && a + PG <= lim);
    }
    assert_int_equal(pmm_alloc(&pm, 1, PG, lim), 0);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), GiB(4));
    assert_int_equal(pmm_alloc(&pm, 1, PG, GiB(4) + PG), 0);
    assert_int_equal(pmm_alloc(&pm, 1, PG, GiB(4) + 2 * PG), GiB(4) + PG);
    assert_true(pmm_check(&pm));
}

static void test_exhaustion(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = { M(0x100000, 0x40000, U), M(0x300000, 0x20000, U) };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    uint64_t total = pmm_free_pages(&pm);
    assert_int_equal(total, 0x60);
    assert_int_equal(pmm_alloc(&pm, 0x41, PG, 0), 0);          /* no extent is that long */
    assert_int_equal(pmm_alloc(&pm, ~0ULL, PG, 0), 0);
    assert_int_equal(pmm_alloc(&pm, 1ULL << 52, PG, 0), 0);
    for (uint64_t i = 0; i < total; i++)
        assert_int_not_equal(pmm_alloc(&pm, 1, PG, 0), 0);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);
    assert_int_equal(pmm_free_pages(&pm), 0);
    EXPECT(&pm, );
    assert_int_equal(pmm_total_pages(&pm), total);
}

static void test_free_coalesces_to_initial(void **state)
{
    (void)state;
    const struct boot_mem_range map[] = {
        M(0x100000, 0x400000, U), M(0x600000, 0x200000, U),
    };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    struct exts initial = collect(&pm);
    uint64_t addr[64], n[64];
    int k = 0;
    for (; k < 64; k++) {
        n[k] = 1 + (k % 7);
        addr[k] = pmm_alloc(&pm, n[k], PG, 0);
        if (!addr[k])
            break;
    }
    assert_true(k > 20);
    /* Free in an order that exercises merges with one, the other, and
     * both neighbours: every third, then the rest backwards. */
    for (int i = 0; i < k; i += 3)
        assert_int_equal(pmm_free(&pm, addr[i], n[i]), PMM_OK);
    assert_true(pmm_check(&pm));
    for (int i = k - 1; i >= 0; i--)
        if (i % 3)
            assert_int_equal(pmm_free(&pm, addr[i], n[i]), PMM_OK);
    struct exts now = collect(&pm);
    assert_int_equal(now.n, initial.n);
    assert_memory_equal(now.r, initial.r, initial.n * sizeof(initial.r[0]));
    assert_int_equal(pmm_free_pages(&pm), pmm_total_pages(&pm));
    assert_true(pmm_check(&pm));
}

static void test_free_errors_change_nothing(void **state)
{
    (void)state;
    static struct pmm before;
    const struct boot_mem_range map[] = { M(0x100000, 0x100000, U), M(0x300000, 0x100000, U) };
    assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), PMM_OK);
    uint64_t a = pmm_alloc(&pm, 4, PG, 0);
    assert_int_equal(a, 0x100000);
    memcpy(&before, &pm, sizeof(pm));

    assert_int_equal(pmm_free(&pm, a + 4 * PG, 1), PMM_ERR_DOUBLE_FREE);  /* never taken */
    assert_int_equal(pmm_free(&pm, a + 3 * PG, 2), PMM_ERR_DOUBLE_FREE);  /* half free */
    assert_int_equal(pmm_free(&pm, a, 0), PMM_ERR_BAD_ARG);
    assert_int_equal(pmm_free(&pm, a + 8, 1), PMM_ERR_BAD_ARG);
    assert_int_equal(pmm_free(&pm, 0xfffffffffffff000ULL, 0x10), PMM_ERR_BAD_ARG);
    assert_int_equal(pmm_free(&pm, 0x200000, 1), PMM_ERR_NOT_MANAGED);     /* hole */
    assert_int_equal(pmm_free(&pm, 0x1ff000, 2), PMM_ERR_NOT_MANAGED);     /* into it */
    assert_int_equal(pmm_free(&pm, 0x80000000, 1), PMM_ERR_NOT_MANAGED);
    assert_memory_equal(&pm, &before, sizeof(pm));

    assert_int_equal(pmm_free(&pm, a, 4), PMM_OK);
    assert_int_equal(pmm_free(&pm, a, 4), PMM_ERR_DOUBLE_FREE);
    assert_int_equal(pmm_free(&pm, a + PG, 1), PMM_ERR_DOUBLE_FREE);
    EXPECT(&pm, X(0x100000, 0x200000), X(0x300000, 0x400000));
}

static void test_partial_frees(void **state)
{
    (void)state;
    /* A block may be returned in pieces, in any order. */
    const struct boot_mem_range map[] = { M(0x100000, 0x100000, U) };
    assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), PMM_OK);
    uint64_t a = pmm_alloc(&pm, 16, PG, 0);
    assert_int_equal(pmm_free(&pm, a + 4 * PG, 4), PMM_OK);
    assert_int_equal(pmm_free(&pm, a + 12 * PG, 4), PMM_OK);
    assert_int_equal(pmm_free(&pm, a, 4), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x108000), X(0x10c000, 0x200000));
    assert_int_equal(pmm_free(&pm, a + 8 * PG, 4), PMM_OK);
    EXPECT(&pm, X(0x100000, 0x200000));
}

static void test_fragmented_map_drops_smallest(void **state)
{
    (void)state;
    /* 600 usable ranges of 1..600 pages, each followed by a reserved page:
     * 600 extents, only 512 fit. The 88 smallest must go, whatever their
     * order in the map. */
    static struct boot_mem_range map[1200];
    const size_t nr = 600;
    uint64_t base = MiB(1), lost = 0;
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        uint64_t pages = 1 + (i * 337) % nr;        /* a permutation of 1..600 */
        map[n++] = M(base, pages * PG, U);
        map[n++] = M(base + pages * PG, PG, RS);
        if (pages <= nr - PMM_MAX_EXTENTS)
            lost += pages;
        base += (pages + 1) * PG;
    }
    assert_int_equal(pmm_init(&pm, map, n, NULL, 0), PMM_OK);
    assert_int_equal(pm.count, PMM_MAX_EXTENTS);
    assert_int_equal(pmm_lost_pages(&pm), lost);
    struct exts e = collect(&pm);
    for (size_t i = 0; i < e.n; i++)
        assert_true(e.r[i].length > (nr - PMM_MAX_EXTENTS) * PG);
    assert_true(pmm_check(&pm));

    /* Splitting an extent while the array is full drops the smallest
     * extent (or the new piece, if smaller) rather than failing, and
     * counts it. */
    uint64_t total_free = pmm_free_pages(&pm);
    uint64_t a = pmm_alloc(&pm, 1, MiB(4), 0);
    assert_int_not_equal(a, 0);
    assert_true(IS_ALIGNED(a, MiB(4)));
    assert_int_equal(pm.count, PMM_MAX_EXTENTS);
    uint64_t dropped = pmm_lost_pages(&pm) - lost;
    assert_true(dropped > 0 && dropped <= nr - PMM_MAX_EXTENTS + 1);
    assert_int_equal(pmm_free_pages(&pm), total_free - 1 - dropped);
    assert_true(pmm_check(&pm));
    assert_int_equal(pmm_free(&pm, a, 1), PMM_OK);
    assert_true(pmm_check(&pm));
}

static void test_no_general_memory(void **state)
{
    (void)state;
    assert_int_equal(pmm_init(&pm, NULL, 0, NULL, 0), PMM_ERR_NO_MEMORY);
    assert_true(pmm_check(&pm));
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);

    const struct boot_mem_range low_only[] = { M(0, 0x9f000, U) };
    assert_int_equal(pmm_init(&pm, low_only, 1, NULL, 0), PMM_ERR_NO_MEMORY);
    assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);
    assert_int_equal(pmm_alloc_low(&pm), 0x1000);
}

static void test_reserved_wins_over_boot_modules(void **state)
{
    (void)state;
    /* As mm_init calls it: the image and modules inside usable memory. */
    const struct boot_mem_range map[] = { M(0, 0xa0000, U), M(0x100000, 0x3ff00000, U) };
    const struct pmm_range res[] = {
        { 0x200000, 0x1a3456 },     /* core image */
        { 0x3a4000, 0x321 },        /* config module */
        { 0x3a5000, 0x10000 },      /* guest image */
        { 0x8f000, 0x100 },         /* boot_info copy in low memory */
    };
    assert_int_equal(pmm_init(&pm, map, 2, res, 4), PMM_OK);
    EXPECT(&pm, X(0x1000, 0x8f000), X(0x90000, 0xa0000), X(0x100000, 0x200000),
           X(0x3b5000, 0x40000000));
}

/* ---- randomised, against a reference bitmap --------------------------- */

#define SPACE_PAGES 8192ULL                 /* 32 MiB */
#define SPACE (SPACE_PAGES * PG)

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static uint64_t rnd_addr(void)
{
    uint64_t a = rnd_below(SPACE);
    switch (rnd_below(3)) {
    case 0:
        return a & ~(PG - 1);
    case 1:
        return a & ~(MiB(1) - 1);
    default:
        return a;                           /* any byte */
    }
}

/* The rule, spelled out page by page without any cleverness. */
static void reference(const struct boot_mem_range *map, size_t n, const struct pmm_range *res,
                      size_t nres, bool *allowed)
{
    for (uint64_t pg = 0; pg < SPACE_PAGES; pg++) {
        uint64_t a = pg * PG, e = a + PG, pos = a;
        bool progress = true;
        while (pos < e && progress) {
            progress = false;
            for (size_t i = 0; i < n; i++) {
                if (map[i].type != U || map[i].length == 0)
                    continue;
                if (map[i].base <= pos && pos < map[i].base + map[i].length) {
                    pos = map[i].base + map[i].length;
                    progress = true;
                }
            }
        }
        bool ok = pos >= e && pg != 0;
        for (size_t i = 0; i < n && ok; i++)
            if (map[i].type != U && map[i].length && map[i].base < e &&
                map[i].base + map[i].length > a)
                ok = false;
        for (size_t i = 0; i < nres && ok; i++)
            if (res[i].length && res[i].base < e && res[i].base + res[i].length > a)
                ok = false;
        allowed[pg] = ok;
    }
}

struct live {
    uint64_t addr, npages;
};

static void random_round(unsigned seed)
{
    static bool allowed[SPACE_PAGES], used[SPACE_PAGES], is_free[SPACE_PAGES];
    static struct live live[4096];
    static uint64_t run[SPACE_PAGES + 1];
    struct boot_mem_range map[48];
    struct pmm_range res[8];
    size_t nlive = 0;

    rng_state = 0x9e3779b97f4a7c15ULL * (seed + 1);
    size_t n = 1 + rnd_below(40), nres = rnd_below(8);
    static const uint32_t types[] = { U, U, U, U, RS, AR, NV, BD, 77 };
    for (size_t i = 0; i < n; i++) {
        uint64_t b = rnd_addr(), len = rnd_below(4) ? rnd_below(MiB(6)) : 0;
        if (rnd_below(3) == 0)
            len &= ~(PG - 1);
        if (b + len > SPACE)
            len = SPACE - b;
        map[i] = M(b, len, types[rnd_below(9)]);
    }
    for (size_t i = 0; i < nres; i++) {
        uint64_t b = rnd_addr(), len = rnd_below(MiB(1));
        if (b + len > SPACE)
            len = SPACE - b;
        res[i] = (struct pmm_range){ b, len };
    }
    reference(map, n, res, nres, allowed);
    int rc = pmm_init(&pm, map, n, res, nres);
    assert_true(pmm_check(&pm));
    assert_int_equal(pmm_lost_pages(&pm), 0);

    /* The free set is exactly what the rule allows. */
    uint64_t hi = 0, lo = 0;
    memset(is_free, 0, sizeof(is_free));
    struct exts e = collect(&pm);
    for (size_t i = 0; i < e.n; i++)
        for (uint64_t a = e.r[i].base; a < e.r[i].base + e.r[i].length; a += PG) {
            assert_true(a < SPACE);
            is_free[a / PG] = true;
        }
    for (uint64_t pg = 0; pg < SPACE_PAGES; pg++) {
        if (allowed[pg] != is_free[pg])
            fail_msg("seed %u: page %#llx: rule says %d, allocator %d", seed,
                     (unsigned long long)(pg * PG), allowed[pg], is_free[pg]);
        if (allowed[pg])
            *(pg * PG < PMM_LOW_LIMIT ? &lo : &hi) += 1;
    }
    assert_int_equal(rc, hi ? PMM_OK : PMM_ERR_NO_MEMORY);
    assert_int_equal(pmm_free_pages(&pm), hi);
    assert_int_equal(pmm_low_free_pages(&pm), lo);
    struct exts initial = e;

    memset(used, 0, sizeof(used));
    for (int op = 0; op < 1500; op++) {
        unsigned kind = (unsigned)rnd_below(10);
        if (kind < 5) {
            uint64_t np = 1 + rnd_below(rnd_below(4) ? 8 : 300);
            uint64_t align = PG << rnd_below(rnd_below(3) ? 2 : 10);
            uint64_t max = rnd_below(3) ? 0 : PMM_LOW_LIMIT + rnd_below(SPACE);
            uint64_t a = pmm_alloc(&pm, np, align, max);

            /* The reference first fit: lowest aligned start at or above
             * 1 MiB with np free pages, ending at or below max. */
            run[SPACE_PAGES] = 0;
            for (uint64_t pg = SPACE_PAGES; pg-- > 0;)
                run[pg] = (allowed[pg] && !used[pg]) ? run[pg + 1] + 1 : 0;
            uint64_t want = 0;
            for (uint64_t s = ALIGN_UP(PMM_LOW_LIMIT, align); s + np * PG <= SPACE; s += align) {
                if (max && s + np * PG > max)
                    break;
                if (run[s / PG] >= np) {
                    want = s;
                    break;
                }
            }
            if (a != want)
                fail_msg("seed %u op %d: alloc(%llu, %#llx, %#llx) = %#llx, want %#llx", seed,
                         op, (unsigned long long)np, (unsigned long long)align,
                         (unsigned long long)max, (unsigned long long)a,
                         (unsigned long long)want);
            if (a) {
                for (uint64_t pg = a / PG; pg < a / PG + np; pg++) {
                    assert_true(allowed[pg] && !used[pg]);
                    used[pg] = true;
                }
                live[nlive++] = (struct live){ a, np };
            }
        } else if (kind == 5) {
            uint64_t a = pmm_alloc_low(&pm);
            uint64_t want = 0;
            for (uint64_t pg = 0; pg < PMM_LOW_LIMIT / PG; pg++)
                if (allowed[pg] && !used[pg]) {
                    want = pg * PG;
                    break;
                }
            assert_int_equal(a, want);
            if (a) {
                used[a / PG] = true;
                live[nlive++] = (struct live){ a, 1 };
            }
        } else if (kind < 9 && nlive) {
            size_t i = rnd_below(nlive);
            struct live l = live[i];
            if (l.npages > 1 && rnd_below(2)) {
                /* Return the upper half now, the rest stays live. */
                uint64_t keep = l.npages / 2;
                assert_int_equal(pmm_free(&pm, l.addr + keep * PG, l.npages - keep), PMM_OK);
                for (uint64_t pg = l.addr / PG + keep; pg < l.addr / PG + l.npages; pg++)
                    used[pg] = false;
                live[i].npages = keep;
            } else {
                assert_int_equal(pmm_free(&pm, l.addr, l.npages), PMM_OK);
                for (uint64_t pg = l.addr / PG; pg < l.addr / PG + l.npages; pg++)
                    used[pg] = false;
                live[i] = live[--nlive];
            }
        } else {
            /* Hostile frees: every one must be refused. */
            uint64_t a = rnd_below(SPACE) & ~(PG - 1), np = 1 + rnd_below(4);
            bool any_free = false, all_managed = true;
            for (uint64_t pg = a / PG; pg < a / PG + np; pg++) {
                if (pg >= SPACE_PAGES || !allowed[pg])
                    all_managed = false;
                else if (!used[pg])
                    any_free = true;
            }
            /* Crossing 1 MiB is never one managed extent. */
            if (a < PMM_LOW_LIMIT && a + np * PG > PMM_LOW_LIMIT)
                all_managed = false;
            if (!all_managed)
                assert_int_equal(pmm_free(&pm, a, np), PMM_ERR_NOT_MANAGED);
            else if (any_free)
                assert_int_equal(pmm_free(&pm, a, np), PMM_ERR_DOUBLE_FREE);
        }
        assert_true(pmm_check(&pm));
    }

    /* Everything back: the initial extents return exactly. */
    while (nlive) {
        struct live l = live[--nlive];
        assert_int_equal(pmm_free(&pm, l.addr, l.npages), PMM_OK);
    }
    struct exts fin = collect(&pm);
    assert_int_equal(fin.n, initial.n);
    assert_memory_equal(fin.r, initial.r, initial.n * sizeof(initial.r[0]));
    assert_int_equal(pmm_free_pages(&pm), pmm_total_pages(&pm));
    assert_int_equal(pmm_low_free_pages(&pm), pmm_low_total_pages(&pm));
}

static void test_random_against_reference(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 60; seed++)
        random_round(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_pc_map),
        cmocka_unit_test(test_unsorted_overlapping),
        cmocka_unit_test(test_usable_overlapped_by_reserved_entry),
        cmocka_unit_test(test_zero_length_and_unaligned),
        cmocka_unit_test(test_usable_entries_meeting_mid_page),
        cmocka_unit_test(test_above_4g),
        cmocka_unit_test(test_wrapping_entries),
        cmocka_unit_test(test_reserved_ranges),
        cmocka_unit_test(test_page0_never),
        cmocka_unit_test(test_low_pool_separate),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_max_addr),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_free_coalesces_to_initial),
        cmocka_unit_test(test_free_errors_change_nothing),
        cmocka_unit_test(test_partial_frees),
        cmocka_unit_test(test_fragmented_map_drops_smallest),
        cmocka_unit_test(test_no_general_memory),
        cmocka_unit_test(test_reserved_wins_over_boot_modules),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
