/* EPT builder over fake physical memory: table pages live in a host buffer
 * at made-up physical addresses, every allocation and free is counted, and
 * a page that is not allocated cannot be reached through phys_to_ptr. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arch/ept.h>

#define FAKE_BASE   0x0000001234000000ULL   /* where the table pages "are" */
#define FAKE_PAGES  4096u

struct fake_mem {
    uint8_t *mem;
    bool used[FAKE_PAGES];
    unsigned cursor;        /* next-fit, so freed pages come back elsewhere */
    unsigned live, allocs, frees;
    int budget;             /* allocations still allowed; -1: unlimited */
};

static struct fake_mem fm;

static unsigned fake_index(uint64_t pa)
{
    assert_true(pa >= FAKE_BASE && pa < FAKE_BASE + FAKE_PAGES * PAGE_SIZE);
    assert_true(IS_ALIGNED(pa, PAGE_SIZE));
    return (unsigned)((pa - FAKE_BASE) / PAGE_SIZE);
}

static bool is_table_page(uint64_t pa)
{
    return pa >= FAKE_BASE && pa < FAKE_BASE + FAKE_PAGES * PAGE_SIZE &&
           fm.used[(pa - FAKE_BASE) / PAGE_SIZE];
}

static uint64_t fake_alloc(void *ctx)
{
    assert_ptr_equal(ctx, &fm);
    if (fm.budget == 0)
        return 0;
    for (unsigned n = 0; n < FAKE_PAGES; n++) {
        unsigned i = (fm.cursor + n) % FAKE_PAGES;
        if (fm.used[i])
            continue;
        fm.used[i] = true;
        fm.cursor = i + 1;
        fm.live++;
        fm.allocs++;
        if (fm.budget > 0)
            fm.budget--;
        memset(fm.mem + (size_t)i * PAGE_SIZE, 0, PAGE_SIZE);
        return FAKE_BASE + (uint64_t)i * PAGE_SIZE;
    }
    return 0;
}

static void fake_free(void *ctx, uint64_t pa)
{
    unsigned i = fake_index(pa);
    assert_true(fm.used[i]);            /* no double free */
    fm.used[i] = false;
    fm.live--;
    fm.frees++;
    memset(fm.mem + (size_t)i * PAGE_SIZE, 0xdb, PAGE_SIZE);   /* poison */
}

static void *fake_ptr(void *ctx, uint64_t pa)
{
    unsigned i = fake_index(pa);
    assert_true(fm.used[i]);            /* no use after free */
    return fm.mem + (size_t)i * PAGE_SIZE;
}

static const struct ept_ops fake_ops = {
    .alloc_page = fake_alloc, .free_page = fake_free, .phys_to_ptr = fake_ptr, .ctx = &fm,
};

static int setup(void **state)
{
    memset(&fm, 0, sizeof(fm));
    fm.mem = aligned_alloc(PAGE_SIZE, (size_t)FAKE_PAGES * PAGE_SIZE);
    fm.budget = -1;
    return fm.mem ? 0 : -1;
}

static int teardown(void **state)
{
    free(fm.mem);
    fm.mem = NULL;
    return 0;
}

static uint64_t tables_of(const struct ept *e)
{
    uint64_t n;
    assert_true(ept_check(e, &n));
    assert_int_equal(n, fm.live);       /* every live page is a table in use */
    return n;
}

/* Translation of one page, asserted. */
static void expect(const struct ept *e, uint64_t gpa, uint64_t hpa, uint32_t flags,
                   unsigned level)
{
    uint64_t h = 0;
    uint32_t f = 0;
    unsigned l = 0;
    if (!ept_translate(e, gpa, &h, &f, &l))
        fail_msg("gpa %#llx not mapped", (unsigned long long)gpa);
    assert_int_equal(h, hpa);
    assert_int_equal(f, flags);
    assert_int_equal(l, level);
}

static void expect_none(const struct ept *e, uint64_t gpa)
{
    if (ept_translate(e, gpa, NULL, NULL, NULL))
        fail_msg("gpa %#llx mapped", (unsigned long long)gpa);
}

static void test_init_and_eptp(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(fm.live, 1);
    assert_true(is_table_page(e.pml4_pa));
    assert_false(e.need_invept);
    assert_false(e.allow_exec_only);

    /* WB (6) in bits 2:0, walk length 4 - 1 in bits 5:3, A/D in bit 6. */
    assert_int_equal(ept_eptp(&e, false), e.pml4_pa | 0x1e);
    assert_int_equal(ept_eptp(&e, true), e.pml4_pa | 0x5e);
    assert_int_equal(ept_eptp(&e, false) & ~0xfffULL, e.pml4_pa);

    expect_none(&e, 0);
    expect_none(&e, EPT_GPA_LIMIT);
    assert_int_equal(tables_of(&e), 1);
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
    assert_int_equal(e.pml4_pa, 0);
    ept_destroy(&e);                    /* twice is harmless */
    assert_int_equal(fm.frees, 1);

    /* Missing ops; no memory for the PML4. */
    struct ept_ops ops = fake_ops;
    ops.phys_to_ptr = NULL;
    e.pml4_pa = 0x5000;
    assert_int_equal(ept_init(&e, &ops, true, true), EPT_ERR_BAD_ARG);
    assert_int_equal(e.pml4_pa, 0);
    ept_destroy(&e);
    assert_int_equal(ept_init(&e, NULL, true, true), EPT_ERR_BAD_ARG);
    fm.budget = 0;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_ERR_NO_MEMORY);
    assert_int_equal(e.pml4_pa, 0);
    assert_int_equal(fm.live, 0);
    assert_int_equal(ept_map(&e, 0, 0, PAGE_SIZE, EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_false(ept_translate(&e, 0, NULL, NULL, NULL));
}

/* 4K + 2M + 1G + 2M + 4K around the 1 GiB boundary, gpa and hpa with the
 * same offsets: each piece gets the largest leaf the allow flags permit. */
static void test_leaf_sizes(void **state)
{
    const uint64_t gpa = GiB(1) - MiB(2) - KiB(4), hpa = GiB(5) - MiB(2) - KiB(4);
    const uint64_t size = KiB(4) + MiB(2) + GiB(1) + MiB(2) + KiB(4);
    static const struct { bool m2, g1; unsigned lv[5]; uint64_t tables; } cases[] = {
        /* PML4, PDPT, PD + PT below 1G, PD + PT above 2G */
        { true, true, { 1, 2, 3, 2, 1 }, 6 },
        /* the middle 1 GiB in 2 MiB leaves: one more PD */
        { true, false, { 1, 2, 2, 2, 1 }, 7 },
        /* all 4 KiB: PML4, PDPT, 3 PDs, PTs for 1 + 1 + 512 + 1 + 1
         * 2 MiB regions */
        { false, false, { 1, 1, 1, 1, 1 }, 2 + 3 + 516 },
        /* 1 GiB without 2 MiB: not used (a split would need 2 MiB) */
        { false, true, { 1, 1, 1, 1, 1 }, 2 + 3 + 516 },
    };
    /* first page of each piece */
    const uint64_t at[5] = { gpa, gpa + KiB(4), GiB(1), GiB(2), GiB(2) + MiB(2) };

    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct ept e;
        assert_int_equal(ept_init(&e, &fake_ops, cases[c].m2, cases[c].g1), EPT_OK);
        assert_int_equal(e.allow_1g, cases[c].g1 && cases[c].m2);
        assert_int_equal(ept_map(&e, gpa, hpa, size, EPT_FLAGS_RAM), EPT_OK);
        assert_false(e.need_invept);    /* nothing was mapped before */
        for (int i = 0; i < 5; i++) {
            expect(&e, at[i], at[i] + GiB(4), EPT_FLAGS_RAM, cases[c].lv[i]);
            expect(&e, at[i] + KiB(4) - 8, at[i] + GiB(4) + KiB(4) - 8, EPT_FLAGS_RAM,
                   cases[c].lv[i]);
        }
        expect(&e, gpa + size - 1, hpa + size - 1, EPT_FLAGS_RAM, 1);
        expect_none(&e, gpa - KiB(4));
        expect_none(&e, gpa + size);
        assert_int_equal(tables_of(&e), cases[c].tables);
        ept_destroy(&e);
        assert_int_equal(fm.live, 0);
    }
}

/* Large leaves need gpa and hpa both aligned. */
static void test_alignment_mismatch(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);

    /* gpa 2M-aligned, hpa only 4K-aligned: 4 KiB pages throughout. */
    assert_int_equal(ept_map(&e, MiB(2), MiB(64) + KiB(4), MiB(4), EPT_FLAGS_RAM), EPT_OK);
    for (uint64_t g = MiB(2); g < MiB(6); g += KiB(4))
        expect(&e, g, g - MiB(2) + MiB(64) + KiB(4), EPT_FLAGS_RAM, 1);
    assert_int_equal(tables_of(&e), 5);     /* PML4 PDPT PD PT PT */

    /* gpa 1G-aligned, hpa 2M- but not 1G-aligned: 2 MiB leaves. */
    assert_int_equal(ept_map(&e, GiB(1), GiB(8) + MiB(2), GiB(1), EPT_FLAGS_RAM), EPT_OK);
    for (uint64_t g = GiB(1); g < GiB(2); g += MiB(2))
        expect(&e, g + KiB(8), g + GiB(7) + MiB(2) + KiB(8), EPT_FLAGS_RAM, 2);

    /* hpa 1G-aligned, gpa only 2M-aligned: 2 MiB leaves too. */
    assert_int_equal(ept_map(&e, GiB(3) + MiB(2), GiB(16), GiB(1), EPT_FLAGS_RAM), EPT_OK);
    expect(&e, GiB(3) + MiB(2), GiB(16), EPT_FLAGS_RAM, 2);
    expect(&e, GiB(4) + MiB(1), GiB(17) - MiB(1), EPT_FLAGS_RAM, 2);
    tables_of(&e);
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
}

static void test_holes(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, 0, MiB(16), KiB(4), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, KiB(8), MiB(16) + KiB(8), KiB(4), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, MiB(4), MiB(32), MiB(2), EPT_FLAGS_MMIO), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(600), GiB(7), GiB(1), EPT_FLAGS_RAM), EPT_OK);

    expect(&e, 0, MiB(16), EPT_FLAGS_RAM, 1);
    expect_none(&e, KiB(4));
    expect(&e, KiB(8), MiB(16) + KiB(8), EPT_FLAGS_RAM, 1);
    expect_none(&e, KiB(12));
    expect_none(&e, MiB(2));
    expect_none(&e, MiB(4) - 1);
    expect(&e, MiB(4), MiB(32), EPT_FLAGS_MMIO, 2);
    expect(&e, MiB(6) - 1, MiB(34) - 1, EPT_FLAGS_MMIO, 2);
    expect_none(&e, MiB(6));
    expect_none(&e, GiB(599) + GiB(1) - 1);
    expect(&e, GiB(600), GiB(7), EPT_FLAGS_RAM, 3);
    expect_none(&e, GiB(601));
    expect_none(&e, GiB(512) + GiB(600));   /* same low bits, next PML4 slot */
    expect_none(&e, EPT_GPA_LIMIT + KiB(8));  /* beyond 48 bits, not aliased */
    tables_of(&e);
    ept_destroy(&e);
}

static void test_double_map(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, MiB(2), GiB(2), MiB(2), EPT_FLAGS_RAM), EPT_OK);
    uint64_t tables = tables_of(&e), allocs = fm.allocs;

    /* One page inside the 2 MiB leaf, the same leaf, an overlap at either
     * end: refused, and the part that was free stays free. */
    assert_int_equal(ept_map(&e, MiB(3), GiB(3), KiB(4), EPT_FLAGS_RAM), EPT_ERR_EXISTS);
    assert_int_equal(ept_map(&e, MiB(2), GiB(2), MiB(2), EPT_FLAGS_RAM), EPT_ERR_EXISTS);
    assert_int_equal(ept_map(&e, MiB(4) - KiB(4), GiB(3), MiB(1), EPT_FLAGS_RAM),
                     EPT_ERR_EXISTS);
    assert_int_equal(ept_map(&e, 0, GiB(3), MiB(2) + KiB(4), EPT_FLAGS_RAM), EPT_ERR_EXISTS);
    expect_none(&e, MiB(4));
    expect_none(&e, 0);
    expect(&e, MiB(3), GiB(2) + MiB(1), EPT_FLAGS_RAM, 2);
    assert_int_equal(tables_of(&e), tables);
    assert_int_equal(fm.allocs, allocs);    /* refused before allocating */
    assert_false(e.need_invept);

    /* 4 KiB pages: a neighbour in the same table is fine, the page is not. */
    assert_int_equal(ept_map(&e, MiB(8), GiB(4), KiB(4), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, MiB(8) + KiB(4), GiB(4), KiB(4), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, MiB(6), GiB(6), MiB(4), EPT_FLAGS_RAM), EPT_ERR_EXISTS);
    expect_none(&e, MiB(6));
    /* A whole 2 MiB slot over a table with a mapped page in it. */
    assert_int_equal(ept_map(&e, MiB(8), GiB(6), MiB(2), EPT_FLAGS_RAM), EPT_ERR_EXISTS);
    expect(&e, MiB(8), GiB(4), EPT_FLAGS_RAM, 1);
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
}

static void test_bad_args(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    const uint32_t rw = EPT_READ | EPT_WRITE;

    assert_int_equal(ept_map(&e, 1, 0, KiB(4), EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0x800, KiB(4), EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4) + 1, EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, 0, EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, EPT_GPA_LIMIT - KiB(4), 0, KiB(8), EPT_FLAGS_RAM),
                     EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, KiB(4), 0, ~0ULL << 12, EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, EPT_HPA_LIMIT - KiB(4), KiB(8), EPT_FLAGS_RAM),
                     EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, ~0ULL << 12, KiB(8), EPT_FLAGS_RAM), EPT_ERR_BAD_ARG);
    /* No permission; write without read; execute-only not enabled;
     * reserved memory types 2, 3, 7; a bit that is not a flag. */
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), EPT_MEMTYPE(EPT_MT_WB)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), EPT_WRITE), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), EPT_WRITE | EPT_EXEC), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), EPT_EXEC), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), rw | EPT_MEMTYPE(2)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), rw | EPT_MEMTYPE(3)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), rw | EPT_MEMTYPE(7)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), rw | (1u << 7)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_map(&e, 0, 0, KiB(4), rw | (1u << 12)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_unmap(&e, 0x800, KiB(4)), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_unmap(&e, 0, 0), EPT_ERR_BAD_ARG);
    assert_int_equal(ept_unmap(&e, EPT_GPA_LIMIT, KiB(4)), EPT_ERR_BAD_ARG);
    assert_int_equal(fm.live, 1);
    expect_none(&e, 0);

    /* What is allowed: the last page below the limits, the other memory
     * types, read-only, execute-only once the CPU says it can. */
    assert_int_equal(ept_map(&e, EPT_GPA_LIMIT - KiB(4), EPT_HPA_LIMIT - KiB(4), KiB(4),
                             EPT_READ | EPT_MEMTYPE(EPT_MT_WT)), EPT_OK);
    expect(&e, EPT_GPA_LIMIT - 1, EPT_HPA_LIMIT - 1, EPT_READ | EPT_MEMTYPE(EPT_MT_WT), 1);
    assert_int_equal(ept_map(&e, 0, KiB(4), KiB(4),
                             EPT_READ | EPT_MEMTYPE(EPT_MT_WC) | EPT_IGNORE_PAT), EPT_OK);
    expect(&e, 0, KiB(4), EPT_READ | EPT_MEMTYPE(EPT_MT_WC) | EPT_IGNORE_PAT, 1);
    e.allow_exec_only = true;
    assert_int_equal(ept_map(&e, KiB(4), KiB(8), KiB(4), EPT_EXEC | EPT_MEMTYPE(EPT_MT_WP)),
                     EPT_OK);
    expect(&e, KiB(4), KiB(8), EPT_EXEC | EPT_MEMTYPE(EPT_MT_WP), 1);
    assert_int_equal(ept_map(&e, KiB(8), KiB(8), KiB(4), EPT_WRITE), EPT_ERR_BAD_ARG);
    tables_of(&e);

    assert_string_equal(ept_error_name(EPT_ERR_EXISTS), "guest-physical range already mapped");
    assert_string_equal(ept_error_name(EPT_ERR_NO_MEMORY), "out of memory for EPT tables");
    assert_string_equal(ept_error_name(42), "unknown EPT error");
    ept_destroy(&e);
}

/* Unmapping one 4 KiB page from a 1 GiB leaf: 2 MiB pieces, one of them in
 * 4 KiB pieces, every other translation and its flags unchanged. */
static void test_unmap_splits_1g(void **state)
{
    struct ept e;
    const uint32_t fl = EPT_FLAGS_RAM | EPT_IGNORE_PAT;
    const uint64_t hole = GiB(1) + MiB(6) + KiB(20);
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(1), GiB(5), GiB(1), fl), EPT_OK);
    expect(&e, GiB(1), GiB(5), fl, 3);
    assert_int_equal(tables_of(&e), 2);

    assert_int_equal(ept_unmap(&e, hole, KiB(4)), EPT_OK);
    assert_true(e.need_invept);
    assert_int_equal(tables_of(&e), 4);     /* + PD + PT */
    for (uint64_t g = GiB(1); g < GiB(2); g += KiB(4)) {
        if (g == hole) {
            expect_none(&e, g);
            expect_none(&e, g + KiB(4) - 1);
            continue;
        }
        bool in_pt = ALIGN_DOWN(g, MiB(2)) == ALIGN_DOWN(hole, MiB(2));
        uint64_t off = (g >> 12) & 0xff8;   /* a different offset per page */
        expect(&e, g + off, g + GiB(4) + off, fl, in_pt ? 1 : 2);
    }

    /* Unmapping the rest piece by piece frees every table again. */
    e.need_invept = false;
    assert_int_equal(ept_unmap(&e, GiB(1), MiB(6)), EPT_OK);
    assert_int_equal(tables_of(&e), 4);
    assert_int_equal(ept_unmap(&e, GiB(1) + MiB(6), MiB(2)), EPT_OK);
    assert_int_equal(tables_of(&e), 3);     /* PT emptied and freed */
    assert_int_equal(ept_unmap(&e, GiB(1) + MiB(8), GiB(1) - MiB(8)), EPT_OK);
    assert_true(e.need_invept);
    assert_int_equal(tables_of(&e), 1);
    assert_int_equal(fm.live, 1);
    expect_none(&e, GiB(2) - KiB(4));

    /* A range over nothing: fine, and no flush needed. */
    e.need_invept = false;
    assert_int_equal(ept_unmap(&e, 0, GiB(4)), EPT_OK);
    assert_false(e.need_invept);

    /* Inside a 1 GiB leaf across a 2 MiB boundary: both ends split to
     * 4 KiB, the 2 MiB slot in between simply cleared. */
    assert_int_equal(ept_map(&e, 0, GiB(3), GiB(1), fl), EPT_OK);
    assert_int_equal(ept_unmap(&e, MiB(2) - KiB(4), MiB(4)), EPT_OK);
    expect(&e, MiB(2) - KiB(8), GiB(3) + MiB(2) - KiB(8), fl, 1);
    expect_none(&e, MiB(2) - KiB(4));
    expect_none(&e, MiB(6) - KiB(8));
    expect(&e, MiB(6) - KiB(4), GiB(3) + MiB(6) - KiB(4), fl, 1);
    expect(&e, MiB(6), GiB(3) + MiB(6), fl, 2);
    expect_none(&e, MiB(2));
    expect_none(&e, MiB(4));
    expect(&e, GiB(1) - KiB(4), GiB(4) - KiB(4), fl, 2);
    assert_int_equal(tables_of(&e), 5);     /* PML4 PDPT PD and two PTs */
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
}

static void test_replace(void **state)
{
    struct ept e;
    const uint32_t ro_uc = EPT_READ | EPT_MEMTYPE(EPT_MT_UC);
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, 0, GiB(8), MiB(2), EPT_FLAGS_RAM), EPT_OK);

    /* Two pages in the middle of the 2 MiB leaf: split, the rest kept. */
    assert_int_equal(ept_map(&e, MiB(1), GiB(16), KiB(8), ro_uc | EPT_MAP_REPLACE), EPT_OK);
    assert_true(e.need_invept);
    expect(&e, MiB(1), GiB(16), ro_uc, 1);
    expect(&e, MiB(1) + KiB(4) + 5, GiB(16) + KiB(4) + 5, ro_uc, 1);
    expect(&e, MiB(1) - KiB(4), GiB(8) + MiB(1) - KiB(4), EPT_FLAGS_RAM, 1);
    expect(&e, MiB(1) + KiB(8), GiB(8) + MiB(1) + KiB(8), EPT_FLAGS_RAM, 1);
    expect(&e, 0, GiB(8), EPT_FLAGS_RAM, 1);
    expect(&e, MiB(2) - 1, GiB(8) + MiB(2) - 1, EPT_FLAGS_RAM, 1);
    assert_int_equal(tables_of(&e), 4);
    /* Without the flag: refused. */
    assert_int_equal(ept_map(&e, MiB(1), GiB(16), KiB(4), ro_uc), EPT_ERR_EXISTS);

    /* The whole 2 MiB again as one leaf: the page table goes. */
    assert_int_equal(ept_map(&e, 0, GiB(10), MiB(2), EPT_FLAGS_RAM | EPT_MAP_REPLACE), EPT_OK);
    expect(&e, MiB(1), GiB(10) + MiB(1), EPT_FLAGS_RAM, 2);
    assert_int_equal(tables_of(&e), 3);

    /* Replace over nothing is a plain map and needs no flush. */
    e.need_invept = false;
    assert_int_equal(ept_map(&e, MiB(8), GiB(9), KiB(4), EPT_FLAGS_RAM | EPT_MAP_REPLACE),
                     EPT_OK);
    assert_false(e.need_invept);
    expect(&e, MiB(8), GiB(9), EPT_FLAGS_RAM, 1);

    /* A 2 MiB piece of a 1 GiB leaf: one more PD, no page table. */
    assert_int_equal(ept_map(&e, GiB(1), GiB(5), GiB(1), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(1) + MiB(4), GiB(20), MiB(2),
                             EPT_FLAGS_MMIO | EPT_MAP_REPLACE), EPT_OK);
    expect(&e, GiB(1) + MiB(4), GiB(20), EPT_FLAGS_MMIO, 2);
    expect(&e, GiB(1) + MiB(6), GiB(5) + MiB(6), EPT_FLAGS_RAM, 2);
    expect(&e, GiB(1) + MiB(2), GiB(5) + MiB(2), EPT_FLAGS_RAM, 2);
    assert_int_equal(tables_of(&e), 5);

    /* 1 GiB over the first GiB (a PD with a PT below it): both freed. */
    assert_int_equal(ept_map(&e, 0, GiB(7), GiB(1), EPT_FLAGS_RAM | EPT_MAP_REPLACE), EPT_OK);
    expect(&e, MiB(8), GiB(7) + MiB(8), EPT_FLAGS_RAM, 3);
    assert_int_equal(tables_of(&e), 3);
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
}

/* The entry the walk for gpa ends at (test-side walk of the raw tables). */
static uint64_t *raw_leaf(const struct ept *e, uint64_t gpa)
{
    uint64_t pa = e->pml4_pa;
    for (unsigned l = 4; ; l--) {
        uint64_t *ent = (uint64_t *)fake_ptr(&fm, pa) + ((gpa >> (12 + 9 * (l - 1))) & 511);
        if (l == 1 || (l < 4 && (*ent & (1u << 7))))
            return ent;
        pa = *ent & 0x000ffffffffff000ULL;
    }
}

/* A split keeps the accessed/dirty flags the CPU set in the large leaf
 * (SDM Vol. 3C 29.3.5), and they do not show up as mapping flags. */
static void test_split_keeps_ad(void **state)
{
    struct ept e;
    const uint64_t ad = (1ULL << 8) | (1ULL << 9);
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, MiB(2), GiB(2), MiB(2), EPT_FLAGS_RAM), EPT_OK);
    uint64_t *pde = raw_leaf(&e, MiB(2));
    assert_int_equal(*pde, GiB(2) | (1u << 7) | EPT_FLAGS_RAM);
    *pde |= ad;
    expect(&e, MiB(2), GiB(2), EPT_FLAGS_RAM, 2);

    assert_int_equal(ept_unmap(&e, MiB(2), KiB(4)), EPT_OK);
    assert_int_equal(*raw_leaf(&e, MiB(3)), (GiB(2) + MiB(1)) | ad | EPT_FLAGS_RAM);
    expect(&e, MiB(3), GiB(2) + MiB(1), EPT_FLAGS_RAM, 1);
    tables_of(&e);
    ept_destroy(&e);
}

static void test_destroy_frees_all(void **state)
{
    struct ept e;
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, 0, GiB(4), GiB(3), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(3), GiB(9) + KiB(4), MiB(5), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(1000), GiB(2), MiB(4), EPT_FLAGS_MMIO), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(1) + KiB(12), GiB(30), KiB(4),
                             EPT_FLAGS_MMIO | EPT_MAP_REPLACE), EPT_OK);
    assert_int_equal(ept_unmap(&e, GiB(2) + MiB(2), KiB(4)), EPT_OK);
    assert_int_equal(ept_unmap(&e, GiB(3) + MiB(1), KiB(4)), EPT_OK);
    uint64_t tables = tables_of(&e);
    assert_true(tables > 8);
    assert_int_equal(fm.allocs - fm.frees, tables);

    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
    assert_int_equal(fm.frees, fm.allocs);
}

/* The pages in use and their contents, to prove a failed call changed
 * nothing. */
struct snapshot {
    bool used[FAKE_PAGES];
    uint8_t *mem;
};

static void snap_take(struct snapshot *s)
{
    memcpy(s->used, fm.used, sizeof(s->used));
    if (!s->mem)
        s->mem = malloc((size_t)FAKE_PAGES * PAGE_SIZE);
    assert_non_null(s->mem);
    memcpy(s->mem, fm.mem, (size_t)FAKE_PAGES * PAGE_SIZE);
}

static void snap_same(const struct snapshot *s)
{
    assert_memory_equal(s->used, fm.used, sizeof(s->used));
    for (unsigned i = 0; i < FAKE_PAGES; i++) {
        if (s->used[i])
            assert_memory_equal(s->mem + (size_t)i * PAGE_SIZE,
                                fm.mem + (size_t)i * PAGE_SIZE, PAGE_SIZE);
    }
}

static void test_alloc_failure(void **state)
{
    struct ept e;
    struct snapshot s = { .mem = NULL };
    assert_int_equal(ept_init(&e, &fake_ops, true, true), EPT_OK);
    assert_int_equal(ept_map(&e, GiB(1), GiB(4), GiB(1), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(ept_map(&e, KiB(4), GiB(9), KiB(4), EPT_FLAGS_RAM), EPT_OK);
    assert_int_equal(tables_of(&e), 4);

    /* Over the 1 GiB leaf and on into the next GiB, hpa only 4 KiB
     * aligned: a PD for the split, 513 page tables, a PD for [2G, 3G). */
    const uint64_t gpa = GiB(1) + MiB(1), hpa = GiB(40) + KiB(4), size = GiB(1);
    const uint32_t fl = EPT_FLAGS_RAM | EPT_MAP_REPLACE;
    static const int budgets[] = { 0, 1, 2, 3, 200, 513, 514 };
    for (size_t i = 0; i < ARRAY_SIZE(budgets); i++) {
        snap_take(&s);
        unsigned live = fm.live;
        fm.budget = budgets[i];
        e.need_invept = false;
        assert_int_equal(ept_map(&e, gpa, hpa, size, fl), EPT_ERR_NO_MEMORY);
        assert_int_equal(fm.live, live);
        assert_false(e.need_invept);
        snap_same(&s);
        expect(&e, gpa, GiB(4) + MiB(1), EPT_FLAGS_RAM, 3);
    }
    fm.budget = 515;
    assert_int_equal(ept_map(&e, gpa, hpa, size, fl), EPT_OK);
    assert_int_equal(fm.budget, 0);             /* exactly what it needed */
    fm.budget = -1;
    assert_int_equal(tables_of(&e), 4 + 515);
    expect(&e, gpa, hpa, EPT_FLAGS_RAM, 1);
    expect(&e, gpa - KiB(4), GiB(4) + MiB(1) - KiB(4), EPT_FLAGS_RAM, 1);
    expect(&e, GiB(1), GiB(4), EPT_FLAGS_RAM, 1);
    expect(&e, gpa + size - KiB(4), hpa + size - KiB(4), EPT_FLAGS_RAM, 1);
    expect_none(&e, gpa + size);

    /* Unmap needing splits: a 1 GiB leaf cut at 4 KiB granularity needs a
     * PD and a PT. */
    assert_int_equal(ept_map(&e, GiB(5), GiB(6), GiB(1), EPT_FLAGS_RAM), EPT_OK);
    for (int b = 0; b < 2; b++) {
        snap_take(&s);
        fm.budget = b;
        assert_int_equal(ept_unmap(&e, GiB(5) + KiB(4), KiB(4)), EPT_ERR_NO_MEMORY);
        snap_same(&s);
    }
    fm.budget = 2;
    assert_int_equal(ept_unmap(&e, GiB(5) + KiB(4), KiB(4)), EPT_OK);
    fm.budget = -1;
    expect_none(&e, GiB(5) + KiB(4));
    expect(&e, GiB(5), GiB(6), EPT_FLAGS_RAM, 1);
    tables_of(&e);
    free(s.mem);
    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
}

/*
 * "No foreign frames": random maps, replaces and unmaps (some with the
 * allocator failing) of a 2 GiB guest window onto the 4 GiB of host frames
 * the guest owns, against a page-by-page model. Every translation must be
 * the model's, land in an owned frame and never on a table page; every
 * leaf size must be one the EPT allows; every table page in use must be
 * reachable and non-empty.
 */
#define WIN         GiB(2)
#define WIN_PAGES   (WIN / PAGE_SIZE)
#define OWN_BASE    GiB(4)
#define OWN_SIZE    GiB(4)

struct model {
    uint64_t *hpa;          /* 0: unmapped (owned frames are never at 0) */
    uint8_t *flags;
};

static uint64_t rng(uint64_t *s)
{
    /* xorshift64 */
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* What a run saw, so a run that never splits or fails proves nothing. */
struct coverage {
    unsigned levels[4], exists, no_memory, maps, unmaps;
};

static void model_check(const struct ept *e, const struct model *m, uint64_t from,
                        uint64_t to, struct coverage *cov)
{
    from = from > MiB(2) ? ALIGN_DOWN(from - MiB(2), PAGE_SIZE) : 0;
    to = MIN(to + MiB(2), WIN);
    for (uint64_t g = from; g < to; g += PAGE_SIZE) {
        uint64_t h;
        uint32_t f;
        unsigned l;
        uint64_t want = m->hpa[g / PAGE_SIZE];
        bool got = ept_translate(e, g, &h, &f, &l);
        if (got != (want != 0))
            fail_msg("gpa %#llx: mapped %d, model %d", (unsigned long long)g, got, want != 0);
        if (!got)
            continue;
        if (h != want || f != m->flags[g / PAGE_SIZE])
            fail_msg("gpa %#llx -> %#llx/%#x, model %#llx/%#x", (unsigned long long)g,
                     (unsigned long long)h, f, (unsigned long long)want,
                     m->flags[g / PAGE_SIZE]);
        assert_true(h >= OWN_BASE && h < OWN_BASE + OWN_SIZE);
        assert_false(is_table_page(h));
        assert_true(l == 1 || (l == 2 && e->allow_2m) || (l == 3 && e->allow_1g));
        cov->levels[l]++;
    }
}

static void run_property(uint64_t seed, bool m2, bool g1)
{
    static const uint32_t flag_set[] = {
        EPT_FLAGS_RAM, EPT_FLAGS_MMIO, EPT_READ, EPT_READ | EPT_EXEC,
        EPT_FLAGS_RAM | EPT_IGNORE_PAT,
    };
    struct model m = {
        .hpa = calloc(WIN_PAGES, sizeof(uint64_t)),
        .flags = calloc(WIN_PAGES, 1),
    };
    assert_non_null(m.hpa);
    assert_non_null(m.flags);
    struct ept e;
    struct coverage cov = { .exists = 0 };
    assert_int_equal(ept_init(&e, &fake_ops, m2, g1), EPT_OK);

    for (int op = 0; op < 300; op++) {
        uint64_t r = rng(&seed);
        uint64_t unit = (r & 7) < 4 ? KiB(4) : (r & 7) < 7 ? MiB(2) : GiB(1);
        uint64_t n = unit == GiB(1) ? 1 : 1 + (r >> 3) % 8;
        uint64_t gpa = ALIGN_DOWN(rng(&seed) % WIN, unit);
        uint64_t size = n * unit;
        r = rng(&seed);
        if ((r & 3) == 0)                   /* shift off the alignment */
            gpa += ((r >> 2) % 512) * KiB(4);
        if (((r >> 12) & 3) == 0)
            size += ((r >> 14) % 512) * KiB(4);
        if (gpa >= WIN)
            gpa = WIN - KiB(4);
        size = MIN(size, WIN - gpa);

        /* Host frames: same offset as gpa within 1 GiB or 2 MiB most of
         * the time, so large leaves happen; else any 4 KiB frame. */
        r = rng(&seed);
        uint64_t off = ALIGN_DOWN(r % GiB(2), KiB(4));
        uint64_t a = (r >> 40) % 3 == 0 ? GiB(1) : (r >> 40) % 3 == 1 ? MiB(2) : 0;
        if (a)
            off = ALIGN_DOWN(off, a) + (gpa & (a - 1));
        uint64_t hpa = OWN_BASE + off;
        assert_true(off + size <= OWN_SIZE);

        r = rng(&seed);
        uint32_t fl = flag_set[(r >> 8) % ARRAY_SIZE(flag_set)];
        bool limited = (r & 7) == 0;
        fm.budget = limited ? (int)((r >> 4) % 4) : -1;
        unsigned kind = (r >> 20) % 8;      /* 0-3 map, 4-5 replace, 6-7 unmap */
        uint64_t first = gpa / PAGE_SIZE, count = size / PAGE_SIZE;
        int rc;

        if (kind < 6) {
            bool replace = kind >= 4, busy = false;
            for (uint64_t i = 0; i < count && !replace && !busy; i++)
                busy = m.hpa[first + i] != 0;
            rc = ept_map(&e, gpa, hpa, size, fl | (replace ? EPT_MAP_REPLACE : 0));
            if (busy) {
                assert_int_equal(rc, EPT_ERR_EXISTS);
                cov.exists++;
            } else if (rc == EPT_OK) {
                cov.maps++;
                for (uint64_t i = 0; i < count; i++) {
                    m.hpa[first + i] = hpa + i * PAGE_SIZE;
                    m.flags[first + i] = (uint8_t)fl;
                }
            } else {
                assert_true(limited);
                assert_int_equal(rc, EPT_ERR_NO_MEMORY);
                cov.no_memory++;
            }
        } else {
            rc = ept_unmap(&e, gpa, size);
            if (rc == EPT_OK) {
                cov.unmaps++;
                memset(&m.hpa[first], 0, count * sizeof(uint64_t));
            } else {
                assert_true(limited);
                assert_int_equal(rc, EPT_ERR_NO_MEMORY);
                cov.no_memory++;
            }
        }
        fm.budget = -1;

        tables_of(&e);
        model_check(&e, &m, gpa, gpa + size, &cov);
        if (op % 100 == 99)
            model_check(&e, &m, 0, WIN, &cov);
    }
    assert_true(cov.levels[1] > 0);
    assert_int_equal(cov.levels[2] > 0, m2);
    assert_int_equal(cov.levels[3] > 0, g1 && m2);
    assert_true(cov.exists > 10 && cov.maps > 50 && cov.unmaps > 30 && cov.no_memory > 0);
    expect_none(&e, WIN);
    expect_none(&e, GiB(512));

    ept_destroy(&e);
    assert_int_equal(fm.live, 0);
    assert_int_equal(fm.frees, fm.allocs);
    free(m.hpa);
    free(m.flags);
}

static void test_no_foreign_frames(void **state)
{
    run_property(0x9e3779b97f4a7c15ULL, true, true);
    run_property(0x2545f4914f6cdd1dULL, true, false);
    run_property(0xda942042e4dd58b5ULL, false, false);
    run_property(0x5851f42d4c957f2dULL, true, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_and_eptp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_splits_1g, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_keeps_ad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_frees_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_foreign_frames, setup, teardown),
    };
    return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
