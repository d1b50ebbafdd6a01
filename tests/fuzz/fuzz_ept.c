/* Fuzz the EPT builder: the input is a sequence of map/replace/unmap
 * operations (some with the page allocator failing) on a 2 GiB guest
 * window, checked against a page-by-page model. Any translation that
 * differs from the model, lands outside the guest's host frames or on a
 * table page, any broken table invariant and any leaked table page traps. */
#include <arch/ept.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_BASE   0x0000001234000000ULL
#define FAKE_PAGES  2048u
#define WIN         GiB(2)
#define WIN_PAGES   (WIN / PAGE_SIZE)
#define OWN_BASE    GiB(4)
#define OWN_SIZE    GiB(4)

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint8_t *mem;
static bool used[FAKE_PAGES];
static unsigned live, cursor;
static int budget;
static uint64_t *model_hpa;     /* 0: unmapped */
static uint8_t *model_flags;

static uint64_t fake_alloc(void *ctx)
{
    if (budget == 0)
        return 0;
    for (unsigned n = 0; n < FAKE_PAGES; n++) {
        unsigned i = (cursor + n) % FAKE_PAGES;
        if (used[i])
            continue;
        used[i] = true;
        cursor = i + 1;
        live++;
        if (budget > 0)
            budget--;
        memset(mem + (size_t)i * PAGE_SIZE, 0, PAGE_SIZE);
        return FAKE_BASE + (uint64_t)i * PAGE_SIZE;
    }
    return 0;
}

static unsigned fake_index(uint64_t pa)
{
    CHECK(pa >= FAKE_BASE && pa < FAKE_BASE + FAKE_PAGES * PAGE_SIZE);
    CHECK(IS_ALIGNED(pa, PAGE_SIZE));
    unsigned i = (unsigned)((pa - FAKE_BASE) / PAGE_SIZE);
    CHECK(used[i]);
    return i;
}

static void fake_free(void *ctx, uint64_t pa)
{
    unsigned i = fake_index(pa);
    used[i] = false;
    live--;
    memset(mem + (size_t)i * PAGE_SIZE, 0xdb, PAGE_SIZE);
}

static void *fake_ptr(void *ctx, uint64_t pa)
{
    return mem + (size_t)fake_index(pa) * PAGE_SIZE;
}

static const struct ept_ops ops = {
    .alloc_page = fake_alloc, .free_page = fake_free, .phys_to_ptr = fake_ptr,
};

struct input {
    const uint8_t *p;
    size_t left;
};

static uint64_t take(struct input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v = v << 8;
        if (in->left) {
            v |= *in->p++;
            in->left--;
        }
    }
    return v;
}

static void check_page(const struct ept *e, uint64_t g)
{
    uint64_t h;
    uint32_t f;
    unsigned l;
    uint64_t want = model_hpa[g / PAGE_SIZE];
    bool got = ept_translate(e, g, &h, &f, &l);

    CHECK(got == (want != 0));
    if (!got)
        return;
    CHECK(h == want && f == model_flags[g / PAGE_SIZE]);
    CHECK(h >= OWN_BASE && h < OWN_BASE + OWN_SIZE);
    CHECK(!(h >= FAKE_BASE && h < FAKE_BASE + FAKE_PAGES * PAGE_SIZE));
    CHECK(l == 1 || (l == 2 && e->allow_2m) || (l == 3 && e->allow_1g));
}

/* Every page near both ends of a changed range, a sample in between. */
static void check_range(const struct ept *e, uint64_t from, uint64_t to, uint64_t salt)
{
    from = from > MiB(2) ? from - MiB(2) : 0;
    to = MIN(to + MiB(2), WIN);
    for (uint64_t g = from; g < to; g += PAGE_SIZE) {
        if (g >= from + MiB(4) && g + MiB(4) < to) {
            g = ALIGN_DOWN(g, MiB(2)) + (salt % 512) * PAGE_SIZE;
            check_page(e, g);
            g = ALIGN_DOWN(g, MiB(2)) + MiB(2) - PAGE_SIZE;
            continue;
        }
        check_page(e, g);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t flag_set[] = {
        EPT_FLAGS_RAM, EPT_FLAGS_MMIO, EPT_READ, EPT_READ | EPT_EXEC,
        EPT_FLAGS_RAM | EPT_IGNORE_PAT, EPT_EXEC, EPT_WRITE, EPT_READ | EPT_MEMTYPE(2),
    };
    struct input in = { data, size };
    struct ept e;
    uint64_t tables;

    if (!mem) {
        mem = aligned_alloc(PAGE_SIZE, (size_t)FAKE_PAGES * PAGE_SIZE);
        model_hpa = malloc(WIN_PAGES * sizeof(uint64_t));
        model_flags = malloc(WIN_PAGES);
        CHECK(mem && model_hpa && model_flags);
    }
    memset(used, 0, sizeof(used));
    memset(model_hpa, 0, WIN_PAGES * sizeof(uint64_t));
    live = cursor = 0;
    budget = -1;

    unsigned cfg = (unsigned)take(&in, 1);
    CHECK(ept_init(&e, &ops, cfg & 1, cfg & 2) == EPT_OK);
    e.allow_exec_only = cfg & 4;

    while (in.left) {
        uint64_t op = take(&in, 1), a = take(&in, 4), b = take(&in, 4), c = take(&in, 2);
        uint64_t unit = (op & 3) == 0 ? KiB(4) : (op & 3) == 1 ? MiB(2) : (op & 3) == 2 ?
                        GiB(1) : KiB(64);
        uint64_t gpa = ALIGN_DOWN(a % WIN, unit) + ((c & 0xff) % 4 == 0 ? (c >> 8) * KiB(4) : 0);
        uint64_t len = ((c & 0xff) % 16 + 1) * unit;
        gpa = MIN(gpa, WIN - PAGE_SIZE);
        len = MIN(MIN(len, GiB(1) + MiB(4)), WIN - gpa);
        /* Host frames: with gpa's offset within 1 GiB/2 MiB, or any. */
        uint64_t off = ALIGN_DOWN(b % GiB(2), PAGE_SIZE);
        uint64_t align = (b >> 31) ? GiB(1) : (b & 1) ? MiB(2) : 0;
        if (align)
            off = ALIGN_DOWN(off, align) + (gpa & (align - 1));
        uint64_t hpa = OWN_BASE + off;
        uint32_t fl = flag_set[(op >> 2) & 7];
        bool limited = (op >> 5) & 1;
        budget = limited ? (int)((c >> 4) % 8) : -1;
        uint64_t first = gpa / PAGE_SIZE, count = len / PAGE_SIZE;
        int rc;

        if (!((op >> 6) & 1)) {
            bool replace = (op >> 7) & 1, busy = false;
            bool valid = fl != EPT_WRITE && fl != (EPT_READ | EPT_MEMTYPE(2)) &&
                         (fl != EPT_EXEC || e.allow_exec_only);
            for (uint64_t i = 0; i < count && !replace && !busy; i++)
                busy = model_hpa[first + i] != 0;
            rc = ept_map(&e, gpa, hpa, len, fl | (replace ? EPT_MAP_REPLACE : 0));
            if (!valid) {
                CHECK(rc == EPT_ERR_BAD_ARG);
            } else if (busy) {
                CHECK(rc == EPT_ERR_EXISTS);
            } else if (rc == EPT_OK) {
                for (uint64_t i = 0; i < count; i++) {
                    model_hpa[first + i] = hpa + i * PAGE_SIZE;
                    model_flags[first + i] = (uint8_t)fl;
                }
            } else {
                /* the fake memory itself may run out too */
                CHECK(rc == EPT_ERR_NO_MEMORY);
            }
        } else {
            rc = ept_unmap(&e, gpa, len);
            if (rc == EPT_OK)
                memset(&model_hpa[first], 0, count * sizeof(uint64_t));
            else
                CHECK(rc == EPT_ERR_NO_MEMORY && limited);
        }
        budget = -1;
        CHECK(ept_check(&e, &tables) && tables == live);
        check_range(&e, gpa, gpa + len, a ^ c);
    }
    for (uint64_t g = (cfg >> 3) * PAGE_SIZE; g < WIN; g += KiB(64))
        check_page(&e, g);
    CHECK(!ept_translate(&e, WIN, NULL, NULL, NULL));
    ept_destroy(&e);
    CHECK(live == 0);
    return 0;
}
