/*
 * Kernel heap against a fake page source. By default every run of pages
 * is its own aligned host allocation, so AddressSanitizer catches any
 * access outside the runs the heap was given; the "contiguous" mode hands
 * out neighbouring runs of one pool instead, as the page allocator does.
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
#include <hv/heap.h>

#define PG 4096u

struct run {
    uint8_t *mem;
    size_t npages;
    bool released;
};

struct source {
    size_t budget;              /* pages still available */
    bool contiguous;
    uint8_t *pool;              /* contiguous mode */
    size_t pool_pages, pool_used;
    struct run runs[1024];
    size_t nruns;
    unsigned gets, puts;
    size_t last_get, last_put;
    int misalign;               /* next run returned off by this many bytes */
    bool repeat_last;           /* next run is the previous one again */
};

static struct source src;
static struct heap hp;

static void *src_get(void *ctx, size_t npages)
{
    struct source *s = ctx;

    assert_ptr_equal(s, &src);
    assert_true(npages > 0);
    s->gets++;
    s->last_get = npages;
    if (s->repeat_last && s->nruns) {
        s->repeat_last = false;
        return s->runs[s->nruns - 1].mem;
    }
    if (npages > s->budget || s->nruns == 1024)
        return NULL;
    uint8_t *mem;
    if (s->contiguous) {
        if (s->pool_pages - s->pool_used < npages)
            return NULL;
        mem = s->pool + s->pool_used * PG;
        s->pool_used += npages;
    } else {
        mem = aligned_alloc(PG, npages * PG + (s->misalign ? PG : 0));
        assert_non_null(mem);
    }
    memset(mem, 0xdb, npages * PG);     /* dirty, like real memory */
    s->budget -= npages;
    s->runs[s->nruns++] = (struct run){ mem, npages, false };
    if (s->misalign) {
        int m = s->misalign;
        s->misalign = 0;
        return mem + m;
    }
    return mem;
}

static void src_put(void *ctx, void *pages, size_t npages)
{
    struct source *s = ctx;

    s->puts++;
    s->last_put = npages;
    for (size_t i = 0; i < s->nruns; i++) {
        struct run *r = &s->runs[i];
        if ((uint8_t *)pages >= r->mem && (uint8_t *)pages < r->mem + PG) {
            assert_false(r->released);
            r->released = true;
            if (r->mem == pages)
                assert_int_equal(r->npages, npages);
            s->budget += npages;
            return;
        }
    }
    fail_msg("put_pages(%p): not a run of this source", pages);
}

static int setup(void **state)
{
    (void)state;
    memset(&src, 0, sizeof(src));
    src.budget = 1u << 20;
    heap_init(&hp, src_get, &src);
    return 0;
}

static int setup_contiguous(void **state)
{
    setup(state);
    src.contiguous = true;
    src.pool_pages = 2048;                  /* 8 MiB */
    src.pool = aligned_alloc(PG, src.pool_pages * PG);
    assert_non_null(src.pool);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!src.contiguous)
        for (size_t i = 0; i < src.nruns; i++)
            free(src.runs[i].mem);
    free(src.pool);
    return 0;
}

static void fill(void *p, size_t n, unsigned tag)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(tag * 31 + i * 7);
}

static bool intact(const void *p, size_t n, unsigned tag)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (uint8_t)(tag * 31 + i * 7))
            return false;
    return true;
}

/* ---- tests ------------------------------------------------------------ */

static void test_sizes_and_alignment(void **state)
{
    (void)state;
    static void *p[600];
    static size_t sz[600];
    size_t n = 0;

    for (size_t s = 1; s < 3000; s += 1 + s / 8) {
        sz[n] = s;
        p[n] = heap_alloc(&hp, s);
        assert_non_null(p[n]);
        assert_int_equal((uintptr_t)p[n] % HEAP_ALIGN, 0);
        assert_true(heap_block_size(&hp, p[n]) >= s);
        fill(p[n], s, (unsigned)n);
        n++;
    }
    assert_int_equal(heap_check(&hp), HEAP_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(intact(p[i], sz[i], (unsigned)i));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
    assert_int_equal(hp.bytes_in_use, 0);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_zero_size_and_null(void **state)
{
    (void)state;
    assert_null(heap_alloc(&hp, 0));
    assert_null(heap_zalloc(&hp, 0));
    assert_int_equal(src.gets, 0);
    assert_int_equal(heap_free(&hp, NULL), HEAP_OK);
    assert_int_equal(heap_block_size(&hp, NULL), 0);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_grows_by_page_runs(void **state)
{
    (void)state;
    void *a = heap_alloc(&hp, 24);
    assert_non_null(a);
    assert_int_equal(src.gets, 1);
    assert_int_equal(src.last_get, HEAP_GROW_PAGES);
    /* Small blocks come from that run until it is used up. */
    for (int i = 0; i < 100; i++)
        assert_non_null(heap_alloc(&hp, 64));
    assert_int_equal(src.gets, 1);
    assert_int_equal(hp.arena_bytes, HEAP_GROW_PAGES * PG);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_reuse_after_free(void **state)
{
    (void)state;
    void *a = heap_alloc(&hp, 100);
    void *b = heap_alloc(&hp, 100);
    void *c = heap_alloc(&hp, 100);
    assert_true(a < b && b < c);
    assert_int_equal(heap_free(&hp, b), HEAP_OK);
    /* First fit: the hole b left is the first place that fits. */
    void *d = heap_alloc(&hp, 40);
    assert_ptr_equal(d, b);
    void *e = heap_alloc(&hp, 100);
    assert_true(e > c);
    assert_int_equal(heap_free(&hp, a), HEAP_OK);
    assert_ptr_equal(heap_alloc(&hp, 100), a);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_coalescing(void **state)
{
    (void)state;
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = heap_alloc(&hp, 200);
    size_t free_before = hp.bytes_free;
    /* Free 1 and 3, then 2 between them: one block from p[1] to p[3]. */
    assert_int_equal(heap_free(&hp, p[1]), HEAP_OK);
    assert_int_equal(heap_free(&hp, p[3]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_int_equal(heap_free(&hp, p[2]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    /* That block holds a request three times the size, at p[1]. */
    void *big = heap_alloc(&hp, 600);
    assert_ptr_equal(big, p[1]);
    assert_int_equal(heap_free(&hp, big), HEAP_OK);
    /* Free the rest: the arena is one free block again. */
    assert_int_equal(heap_free(&hp, p[4]), HEAP_OK);
    assert_int_equal(heap_free(&hp, p[0]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_true(hp.bytes_free > free_before);
    assert_int_equal(hp.bytes_in_use, 0);
    void *all = heap_alloc(&hp, HEAP_GROW_PAGES * PG - 128);
    assert_ptr_equal(all, p[0]);
    assert_int_equal(src.gets, 1);
}

static void test_zalloc_zeroes(void **state)
{
    (void)state;
    uint8_t *a = heap_alloc(&hp, 500);
    memset(a, 0xaa, 500);
    assert_int_equal(heap_free(&hp, a), HEAP_OK);
    uint8_t *z = heap_zalloc(&hp, 500);
    assert_ptr_equal(z, a);
    for (int i = 0; i < 500; i++)
        assert_int_equal(z[i], 0);
    uint8_t *big = heap_zalloc(&hp, 100000);
    assert_non_null(big);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(big[i], 0);
}

static void test_large_own_run_released(void **state)
{
    (void)state;
    heap_set_release(&hp, src_put);
    void *small = heap_alloc(&hp, 64);
    assert_int_equal(src.gets, 1);

    size_t want = 100 * 1024;
    uint8_t *big = heap_alloc(&hp, want);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % HEAP_ALIGN, 0);
    assert_int_equal(src.gets, 2);
    assert_true(src.last_get >= want / PG && src.last_get <= want / PG + 1);
    size_t pages = src.last_get;
    assert_true(heap_block_size(&hp, big) >= want);
    fill(big, want, 9);
    assert_true(intact(big, want, 9));
    assert_int_equal(heap_check(&hp), HEAP_OK);

    size_t arena_before = hp.arena_bytes;
    assert_int_equal(heap_free(&hp, big), HEAP_OK);
    assert_int_equal(src.puts, 1);
    assert_int_equal(src.last_put, pages);
    assert_int_equal(hp.arena_bytes, arena_before - pages * PG);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    /* Freed and gone: a second free is refused, not followed. */
    assert_int_equal(heap_free(&hp, big), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_free(&hp, small), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_large_recycled_without_release(void **state)
{
    (void)state;
    uint8_t *big = heap_alloc(&hp, 200000);
    assert_non_null(big);
    assert_int_equal(src.gets, 1);
    assert_int_equal(heap_free(&hp, big), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    /* The run stays, as ordinary free space: the same request and small
     * ones are served from it without asking the source again. */
    assert_ptr_equal(heap_alloc(&hp, 200000), big);
    assert_int_equal(src.gets, 1);
    assert_int_equal(heap_free(&hp, big), HEAP_OK);
    void *s = heap_alloc(&hp, 32);
    assert_ptr_equal(s, big);
    assert_int_equal(src.gets, 1);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_exhaustion_fails_cleanly(void **state)
{
    (void)state;
    src.budget = HEAP_GROW_PAGES * 2;
    assert_null(heap_alloc(&hp, (size_t)1 << 30));
    assert_null(heap_alloc(&hp, SIZE_MAX));
    assert_null(heap_alloc(&hp, SIZE_MAX - 8));
    assert_null(heap_zalloc(&hp, SIZE_MAX / 2));
    assert_int_equal(hp.arena_bytes, 0);
    assert_int_equal(heap_check(&hp), HEAP_OK);

    static void *p[4096];
    size_t n = 0;
    while ((p[n] = heap_alloc(&hp, 1000)) != NULL)
        n++;
    assert_true(n > 60);
    assert_int_equal(hp.arena_bytes, HEAP_GROW_PAGES * 2 * PG);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_null(heap_alloc(&hp, 1000));
    /* Space freed is space again. */
    assert_int_equal(heap_free(&hp, p[n / 2]), HEAP_OK);
    assert_ptr_equal(heap_alloc(&hp, 1000), p[n / 2]);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_no_source(void **state)
{
    (void)state;
    struct heap h;
    heap_init(&h, NULL, NULL);
    assert_null(heap_alloc(&h, 16));
    assert_int_equal(heap_check(&h), HEAP_OK);
}

static void test_double_free_detected(void **state)
{
    (void)state;
    void *a = heap_alloc(&hp, 64);
    void *b = heap_alloc(&hp, 64);
    void *c = heap_alloc(&hp, 64);
    assert_int_equal(heap_free(&hp, b), HEAP_OK);
    assert_int_equal(heap_free(&hp, b), HEAP_ERR_DOUBLE_FREE);
    /* Still recognised after b has merged into a neighbour. */
    assert_int_equal(heap_free(&hp, a), HEAP_OK);
    assert_int_equal(heap_free(&hp, b), HEAP_ERR_DOUBLE_FREE);
    assert_int_equal(heap_free(&hp, a), HEAP_ERR_DOUBLE_FREE);
    assert_int_equal(heap_free(&hp, c), HEAP_OK);
    assert_int_equal(heap_free(&hp, c), HEAP_ERR_DOUBLE_FREE);
    assert_int_equal(hp.bytes_in_use, 0);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_foreign_pointers_refused(void **state)
{
    (void)state;
    uint8_t *a = heap_alloc(&hp, 256);
    assert_non_null(a);
    size_t used = hp.bytes_in_use, fr = hp.bytes_free;
    uint8_t stack_buf[64] __aligned(16);
    void *host = malloc(64);

    assert_int_equal(heap_free(&hp, stack_buf + 16), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_free(&hp, host), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_free(&hp, a + 16), HEAP_ERR_BAD_POINTER);     /* interior */
    assert_int_equal(heap_free(&hp, a + 1), HEAP_ERR_BAD_POINTER);      /* misaligned */
    assert_int_equal(heap_free(&hp, a + 128), HEAP_ERR_BAD_POINTER);
    /* The run's first bytes: an arena header, never a payload. */
    assert_int_equal(heap_free(&hp, src.runs[0].mem), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_free(&hp, src.runs[0].mem + 16), HEAP_ERR_BAD_POINTER);
    /* The free space after a: its header says free, so "double free". */
    assert_int_not_equal(heap_free(&hp, a + 256 + 32), HEAP_OK);
    assert_int_equal(heap_free(&hp, (void *)(uintptr_t)0x1000), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_block_size(&hp, host), 0);
    assert_int_equal(heap_block_size(&hp, a + 16), 0);
    assert_int_equal(hp.bytes_in_use, used);
    assert_int_equal(hp.bytes_free, fr);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_int_equal(heap_free(&hp, a), HEAP_OK);
    free(host);
}

static void test_overwritten_headers(void **state)
{
    (void)state;
    uint8_t *a = heap_alloc(&hp, 48);
    uint8_t *b = heap_alloc(&hp, 48);
    uint8_t *c = heap_alloc(&hp, 48);
    assert_int_equal(heap_check(&hp), HEAP_OK);

    /* An overrun of a smashes b's header: b cannot be freed, and the
     * heap says it is damaged, but nothing is followed. */
    memset(a, 0x41, (size_t)(b - a));
    assert_int_equal(heap_free(&hp, b), HEAP_ERR_BAD_POINTER);
    assert_int_equal(heap_check(&hp), HEAP_ERR_CORRUPT);
    assert_int_equal(heap_free(&hp, a), HEAP_OK);

    /* An overrun of c into the free space behind it breaks the free list:
     * allocation cuts the list there, counts it, and gets fresh pages. */
    memset(c, 0x42, 48 + 64);
    void *d = heap_alloc(&hp, 64);
    assert_non_null(d);
    assert_int_equal(hp.corrupt_blocks, 1);
    assert_int_equal(src.gets, 2);
    assert_true(d < (void *)a || d > (void *)(c + 4096));
    void *e = heap_alloc(&hp, 32);
    assert_non_null(e);
}

static void test_broken_source_refused(void **state)
{
    (void)state;
    heap_set_release(&hp, src_put);
    src.misalign = 8;
    assert_null(heap_alloc(&hp, 64));
    assert_int_equal(src.puts, 1);              /* handed back */
    void *a = heap_alloc(&hp, 64);
    assert_non_null(a);
    /* A source that returns memory the heap already holds. */
    src.repeat_last = true;
    assert_null(heap_alloc(&hp, 40000));
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_int_equal(heap_free(&hp, a), HEAP_OK);
}

static void test_adjacent_arenas_stay_apart(void **state)
{
    (void)state;
    static void *p[2000];
    size_t n = 0;
    /* Several neighbouring runs, filled and emptied: blocks must never
     * merge across a run boundary (heap_check walks each run). */
    for (; n < 2000; n++) {
        p[n] = heap_alloc(&hp, 700 + (n % 5) * 300);
        assert_non_null(p[n]);
    }
    assert_true(src.nruns >= 3);
    for (size_t i = 1; i < src.nruns; i++)
        assert_ptr_equal(src.runs[i].mem, src.runs[i - 1].mem + src.runs[i - 1].npages * PG);
    for (size_t i = 0; i < n; i += 2)
        assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    for (size_t i = 1; i < n; i += 2)
        assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
    assert_int_equal(heap_check(&hp), HEAP_OK);
    assert_int_equal(hp.bytes_in_use, 0);
    /* A request bigger than any one run's space needs a new run. */
    unsigned gets = src.gets;
    assert_non_null(heap_alloc(&hp, HEAP_GROW_PAGES * PG - 80));
    assert_int_equal(src.gets, gets);
    assert_non_null(heap_alloc(&hp, HEAP_LARGE_MIN - 16));
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void stress(bool with_release)
{
    enum { SLOTS = 512 };
    static uint8_t *p[SLOTS];
    static size_t sz[SLOTS];
    static unsigned tag[SLOTS];

    if (with_release)
        heap_set_release(&hp, src_put);
    memset(p, 0, sizeof(p));
    for (unsigned op = 0; op < 30000; op++) {
        size_t i = rnd() % SLOTS;
        if (p[i]) {
            if (!intact(p[i], sz[i], tag[i]))
                fail_msg("op %u: block %zu (%zu bytes) was overwritten", op, i, sz[i]);
            assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
            if (rnd() % 8 == 0)
                assert_int_not_equal(heap_free(&hp, p[i]), HEAP_OK);
            p[i] = NULL;
        } else {
            unsigned r = rnd() % 100;
            size_t s = r < 70 ? 1 + rnd() % 128 : r < 97 ? 1 + rnd() % 4000 : 1 + rnd() % 150000;
            bool z = rnd() % 4 == 0;
            p[i] = z ? heap_zalloc(&hp, s) : heap_alloc(&hp, s);
            assert_non_null(p[i]);
            assert_int_equal((uintptr_t)p[i] % HEAP_ALIGN, 0);
            if (z)
                for (size_t k = 0; k < s; k++)
                    assert_int_equal(p[i][k], 0);
            sz[i] = s;
            tag[i] = op;
            fill(p[i], s, op);
        }
        if (op % 1000 == 0)
            assert_int_equal(heap_check(&hp), HEAP_OK);
    }
    for (size_t i = 0; i < SLOTS; i++) {
        if (p[i]) {
            assert_true(intact(p[i], sz[i], tag[i]));
            assert_int_equal(heap_free(&hp, p[i]), HEAP_OK);
        }
    }
    assert_int_equal(hp.bytes_in_use, 0);
    assert_int_equal(hp.corrupt_blocks, 0);
    assert_int_equal(heap_check(&hp), HEAP_OK);
}

static void test_random_stress(void **state)
{
    (void)state;
    stress(false);
}

static void test_random_stress_release(void **state)
{
    (void)state;
    stress(true);
    /* Every large run went back. */
    for (size_t i = 0; i < src.nruns; i++)
        if (src.runs[i].npages != HEAP_GROW_PAGES)
            assert_true(src.runs[i].released);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sizes_and_alignment),
        T(test_zero_size_and_null),
        T(test_grows_by_page_runs),
        T(test_reuse_after_free),
        T(test_coalescing),
        T(test_zalloc_zeroes),
        T(test_large_own_run_released),
        T(test_large_recycled_without_release),
        T(test_exhaustion_fails_cleanly),
        T(test_no_source),
        T(test_double_free_detected),
        T(test_foreign_pointers_refused),
        T(test_overwritten_headers),
        T(test_broken_source_refused),
        cmocka_unit_test_setup_teardown(test_adjacent_arenas_stay_apart, setup_contiguous,
                                        teardown),
        T(test_random_stress),
        T(test_random_stress_release),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
