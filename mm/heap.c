/*
 * Kernel heap (see include/hv/heap.h).
 *
 * Layout: each arena (one run of pages from the source) starts with a
 * struct heap_arena and is then tiled exactly by blocks, each a struct
 * heap_block header followed by its payload. Arenas and free blocks are
 * kept in address order, which makes the free list checkable while it is
 * walked: each node must lie in the arena the walk has reached, after the
 * previous node, with an intact header. A damaged node is never followed;
 * the list is cut there and the loss counted.
 *
 * Freed blocks keep a valid "free" header even after being merged into a
 * neighbour, so a second free of the same pointer is recognised as such
 * (until the memory is handed out again).
 */
#include <hv/heap.h>
#include <hv/string.h>

#define MAGIC_USED  0x48705573u     /* "sUpH" */
#define MAGIC_FREE  0x48704672u     /* "rFpH" */
#define MAGIC_ARENA 0x48704172u     /* "rApH" */
#define PG          PAGE_SIZE

struct heap_arena {
    uint32_t magic;
    uint32_t check;
    size_t size;                    /* bytes, this header included */
    struct heap_arena *next;
    uint32_t large;                 /* made for one large request */
    uint32_t pad;
};

struct heap_block {
    uint32_t magic;
    uint32_t check;
    size_t size;                    /* bytes, this header included */
    struct heap_block *next;        /* free blocks only */
    uint64_t pad;
};

STATIC_ASSERT(sizeof(struct heap_arena) % HEAP_ALIGN == 0, "arena header keeps alignment");
STATIC_ASSERT(sizeof(struct heap_block) % HEAP_ALIGN == 0, "block header keeps alignment");

#define ARENA_HDR sizeof(struct heap_arena)
#define HDR       sizeof(struct heap_block)
#define MIN_BLOCK (HDR + HEAP_ALIGN)
/* Requests above this fail at once: no size arithmetic can overflow. */
#define MAX_REQUEST (SIZE_MAX / 4)

/* Ties a header to its address and contents: a header copied elsewhere,
 * or overwritten by a stray store, no longer matches. */
static uint32_t seal(uint32_t magic, size_t size, const void *where, uint32_t extra)
{
    uint64_t v = (uint64_t)size ^ ((uint64_t)(uintptr_t)where >> 4) ^ extra;
    return ~magic ^ (uint32_t)v ^ (uint32_t)(v >> 32) ^ 0x9e3779b9u;
}

static void set_block(struct heap_block *b, uint32_t magic, size_t size)
{
    b->magic = magic;
    b->size = size;
    b->check = seal(magic, size, b, 0);
}

static void seal_arena(struct heap_arena *a)
{
    a->check = seal(a->magic, a->size, a, a->large);
}

static bool arena_ok(const struct heap_arena *a)
{
    return a->magic == MAGIC_ARENA && a->check == seal(MAGIC_ARENA, a->size, a, a->large) &&
           a->size > ARENA_HDR;
}

static uint8_t *arena_first(const struct heap_arena *a)
{
    return (uint8_t *)a + ARENA_HDR;
}

static uint8_t *arena_end(const struct heap_arena *a)
{
    return (uint8_t *)a + a->size;
}

/* A header with this magic at b, wholly inside arena a. */
static bool block_ok(const struct heap_block *b, uint32_t magic, const struct heap_arena *a)
{
    const uint8_t *p = (const uint8_t *)b;

    if (p < arena_first(a) || p >= arena_end(a) || (uintptr_t)p % HEAP_ALIGN ||
        (size_t)(arena_end(a) - p) < MIN_BLOCK)
        return false;
    return b->magic == magic && b->check == seal(magic, b->size, b, 0) &&
           b->size >= MIN_BLOCK && b->size % HEAP_ALIGN == 0 &&
           b->size <= (size_t)(arena_end(a) - p);
}

/* The arena whose blocks may hold the payload pointer p, or NULL. */
static struct heap_arena *arena_of(const struct heap *h, const void *p)
{
    const uint8_t *q = p;

    for (struct heap_arena *a = h->arenas; a && arena_ok(a); a = a->next) {
        if (q < (uint8_t *)a)
            break;
        if (q < arena_end(a))
            return q >= arena_first(a) + HDR ? a : NULL;
    }
    return NULL;
}

/* ---- free list -------------------------------------------------------- */

/* A walk along the free list that checks each node before trusting it. */
struct walk {
    const struct heap *h;
    const struct heap_arena *a;     /* the arena the walk has reached */
    const uint8_t *prev_end;        /* end of the previous node */
};

static bool walk_ok(struct walk *w, const struct heap_block *b)
{
    const uint8_t *p = (const uint8_t *)b;

    if (p < w->prev_end)
        return false;
    while (w->a && arena_ok(w->a) && p >= arena_end(w->a))
        w->a = w->a->next;
    if (!w->a || !arena_ok(w->a) || !block_ok(b, MAGIC_FREE, w->a))
        return false;
    w->prev_end = p + b->size;
    return true;
}

/* *cut holds a damaged node: end the list before it and recount. */
static void cut_list(struct heap *h, struct heap_block **cut)
{
    *cut = NULL;
    h->corrupt_blocks++;
    h->bytes_free = 0;
    for (struct heap_block *b = h->free_list; b; b = b->next)
        h->bytes_free += b->size;   /* all checked on the way to the cut */
}

/* Puts b (size set, not on the list) on the free list, merged with its
 * neighbours. */
static void insert_free(struct heap *h, struct heap_block *b)
{
    struct walk w = { h, h->arenas, NULL };
    struct heap_block **pp = &h->free_list, *prev = NULL;

    while (*pp && *pp < b) {
        if (!walk_ok(&w, *pp)) {
            cut_list(h, pp);
            break;
        }
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp && !walk_ok(&w, *pp))
        cut_list(h, pp);

    set_block(b, MAGIC_FREE, b->size);
    b->next = *pp;
    *pp = b;
    h->bytes_free += b->size;
    /* Blocks of different arenas never touch: an arena header lies
     * between them. */
    struct heap_block *n = b->next;
    if (n && (uint8_t *)b + b->size == (uint8_t *)n) {
        b->next = n->next;
        set_block(b, MAGIC_FREE, b->size + n->size);
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)b) {
        prev->next = b->next;
        set_block(prev, MAGIC_FREE, prev->size + b->size);
    }
}

/* First fit: the link pointing at the first free block of at least need
 * bytes, or NULL. */
static struct heap_block **find_fit(struct heap *h, size_t need)
{
    struct walk w = { h, h->arenas, NULL };

    for (struct heap_block **pp = &h->free_list; *pp; pp = &(*pp)->next) {
        if (!walk_ok(&w, *pp)) {
            cut_list(h, pp);
            return NULL;
        }
        if ((*pp)->size >= need)
            return pp;
    }
    return NULL;
}

/* Takes need bytes from the front of the free block at *pp. */
static void *take(struct heap *h, struct heap_block **pp, size_t need)
{
    struct heap_block *b = *pp;

    if (b->size - need >= MIN_BLOCK) {
        struct heap_block *rest = (struct heap_block *)((uint8_t *)b + need);
        set_block(rest, MAGIC_FREE, b->size - need);
        rest->next = b->next;
        *pp = rest;
        b->size = need;
    } else {
        *pp = b->next;
    }
    h->bytes_free -= b->size;
    h->bytes_in_use += b->size;
    set_block(b, MAGIC_USED, b->size);
    b->next = NULL;
    return (uint8_t *)b + HDR;
}

/* ---- arenas ----------------------------------------------------------- */

static struct heap_arena *new_arena(struct heap *h, size_t npages, bool large)
{
    if (!h->get_pages)
        return NULL;
    uint8_t *mem = h->get_pages(h->ctx, npages);
    if (!mem)
        return NULL;
    size_t size = npages * PG;

    /* Refuse a misaligned run, or one overlapping an arena we hold: the
     * source is broken, and using it would corrupt the heap. */
    struct heap_arena **pp = &h->arenas;
    while (*pp && (uint8_t *)*pp < mem)
        pp = &(*pp)->next;
    bool overlaps = (*pp && (uint8_t *)*pp < mem + size);
    for (struct heap_arena *a = h->arenas; a && a != *pp; a = a->next)
        if (arena_end(a) > mem)
            overlaps = true;
    if ((uintptr_t)mem % HEAP_ALIGN || overlaps) {
        if (h->put_pages && !overlaps)
            h->put_pages(h->ctx, mem, npages);
        return NULL;
    }

    struct heap_arena *a = (struct heap_arena *)mem;
    a->magic = MAGIC_ARENA;
    a->size = size;
    a->large = large;
    a->pad = 0;
    a->next = *pp;
    seal_arena(a);
    *pp = a;
    h->arena_bytes += size;
    return a;
}

static void drop_arena(struct heap *h, struct heap_arena *a)
{
    for (struct heap_arena **pp = &h->arenas; *pp; pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    }
    h->arena_bytes -= a->size;
    a->magic = 0;
    h->put_pages(h->ctx, a, a->size / PG);
}

/* ---- the interface ---------------------------------------------------- */

void heap_init(struct heap *h, heap_page_source src, void *ctx)
{
    memset(h, 0, sizeof(*h));
    h->get_pages = src;
    h->ctx = ctx;
}

void heap_set_release(struct heap *h, heap_page_release rel)
{
    h->put_pages = rel;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (size == 0 || size > MAX_REQUEST)
        return NULL;
    size_t need = HDR + ALIGN_UP(size, (size_t)HEAP_ALIGN);
    size_t pages = (ARENA_HDR + need + PG - 1) / PG;
    struct heap_block **pp;

    if (size >= HEAP_LARGE_MIN) {
        /* Without a way to give pages back, freed large arenas are
         * recycled through the free list: look there first. */
        if (!h->put_pages && (pp = find_fit(h, need)))
            return take(h, pp, need);
        struct heap_arena *a = new_arena(h, pages, true);
        if (!a)
            return NULL;
        struct heap_block *b = (struct heap_block *)arena_first(a);
        set_block(b, MAGIC_USED, a->size - ARENA_HDR);
        b->next = NULL;
        h->bytes_in_use += b->size;
        return (uint8_t *)b + HDR;
    }

    if ((pp = find_fit(h, need)))
        return take(h, pp, need);
    struct heap_arena *a = new_arena(h, MAX(pages, (size_t)HEAP_GROW_PAGES), false);
    if (!a)
        return NULL;
    struct heap_block *b = (struct heap_block *)arena_first(a);
    b->size = a->size - ARENA_HDR;
    insert_free(h, b);
    pp = find_fit(h, need);
    return pp ? take(h, pp, need) : NULL;
}

void *heap_zalloc(struct heap *h, size_t size)
{
    void *p = heap_alloc(h, size);

    if (p)
        memset(p, 0, size);
    return p;
}

int heap_free(struct heap *h, void *ptr)
{
    if (!ptr)
        return HEAP_OK;
    struct heap_arena *a = arena_of(h, ptr);
    if (!a || (uintptr_t)ptr % HEAP_ALIGN)
        return HEAP_ERR_BAD_POINTER;
    struct heap_block *b = (struct heap_block *)((uint8_t *)ptr - HDR);
    if (block_ok(b, MAGIC_FREE, a))
        return HEAP_ERR_DOUBLE_FREE;
    if (!block_ok(b, MAGIC_USED, a))
        return HEAP_ERR_BAD_POINTER;
    if (a->large && (uint8_t *)b != arena_first(a))
        return HEAP_ERR_BAD_POINTER;

    h->bytes_in_use -= b->size;
    if (a->large) {
        if (h->put_pages) {
            drop_arena(h, a);
            return HEAP_OK;
        }
        a->large = 0;               /* an ordinary arena from now on */
        seal_arena(a);
    }
    insert_free(h, b);
    return HEAP_OK;
}

size_t heap_block_size(const struct heap *h, const void *ptr)
{
    const struct heap_arena *a = ptr ? arena_of(h, ptr) : NULL;

    if (!a || (uintptr_t)ptr % HEAP_ALIGN)
        return 0;
    const struct heap_block *b = (const struct heap_block *)((const uint8_t *)ptr - HDR);
    return block_ok(b, MAGIC_USED, a) ? b->size - HDR : 0;
}

int heap_check(const struct heap *h)
{
    size_t arena_bytes = 0, used = 0, free_bytes = 0, free_count = 0;
    const uint8_t *prev_end = NULL;

    for (const struct heap_arena *a = h->arenas; a; a = a->next) {
        if (!arena_ok(a) || (const uint8_t *)a < prev_end || a->size % PG)
            return HEAP_ERR_CORRUPT;
        prev_end = arena_end(a);
        arena_bytes += a->size;
        bool prev_free = false;
        size_t blocks = 0;
        const uint8_t *p = arena_first(a);
        while (p < arena_end(a)) {
            const struct heap_block *b = (const struct heap_block *)p;
            bool is_free = block_ok(b, MAGIC_FREE, a);
            if (!is_free && !block_ok(b, MAGIC_USED, a))
                return HEAP_ERR_CORRUPT;
            if (is_free && prev_free)
                return HEAP_ERR_CORRUPT;        /* should have been merged */
            if (is_free) {
                free_bytes += b->size;
                free_count++;
            } else {
                used += b->size;
            }
            prev_free = is_free;
            blocks++;
            p += b->size;
        }
        if (p != arena_end(a) || (a->large && (blocks != 1 || prev_free)))
            return HEAP_ERR_CORRUPT;
    }
    if (arena_bytes != h->arena_bytes || used != h->bytes_in_use || free_bytes != h->bytes_free)
        return HEAP_ERR_CORRUPT;

    /* The free list must hold exactly the free blocks the tiling found. */
    struct walk w = { h, h->arenas, NULL };
    size_t listed = 0, listed_bytes = 0;
    for (const struct heap_block *b = h->free_list; b; b = b->next) {
        if (!walk_ok(&w, b) || ++listed > free_count)
            return HEAP_ERR_CORRUPT;
        listed_bytes += b->size;
    }
    if (listed != free_count || listed_bytes != free_bytes)
        return HEAP_ERR_CORRUPT;
    return HEAP_OK;
}
