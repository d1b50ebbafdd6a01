/* Kernel heap (see include/hv/heap.h). */
#include <hv/heap.h>

#define MAGIC_USED 0x48455055u      /* "HEPU" */
#define MAGIC_FREE 0x48455046u      /* "HEPF" */
#define PG 4096u

struct heap_block {
    uint32_t magic;
    uint32_t check;                 /* ~magic ^ size: catches overwritten headers */
    size_t size;                    /* whole block, header included */
    struct heap_block *next;        /* free list only */
    uint64_t pad;
};

STATIC_ASSERT(sizeof(struct heap_block) % HEAP_ALIGN == 0, "header keeps alignment");

#define HDR sizeof(struct heap_block)
#define MIN_SPLIT (HDR + HEAP_ALIGN)

static uint32_t check_of(uint32_t magic, size_t size)
{
    return ~magic ^ (uint32_t)size ^ (uint32_t)(size >> 32);
}

static void set_hdr(struct heap_block *b, uint32_t magic, size_t size)
{
    b->magic = magic;
    b->size = size;
    b->check = check_of(magic, size);
}

void heap_init(struct heap *h, heap_page_source src, void *ctx)
{
    h->get_pages = src;
    h->ctx = ctx;
    h->free_list = NULL;
    h->bytes_in_use = 0;
    h->bytes_free = 0;
}

/* Insert into the address-ordered free list and merge with neighbours. */
static void insert_free(struct heap *h, struct heap_block *b)
{
    struct heap_block **pp = &h->free_list, *prev = NULL;

    while (*pp && *pp < b) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    set_hdr(b, MAGIC_FREE, b->size);
    b->next = *pp;
    *pp = b;
    h->bytes_free += b->size;
    if (b->next && (uint8_t *)b + b->size == (uint8_t *)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
        set_hdr(b, MAGIC_FREE, b->size);
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)b) {
        prev->size += b->size;
        prev->next = b->next;
        set_hdr(prev, MAGIC_FREE, prev->size);
    }
}

static bool grow(struct heap *h, size_t need)
{
    size_t pages = (need + PG - 1) / PG;
    if (pages < HEAP_GROW_PAGES)
        pages = HEAP_GROW_PAGES;
    void *mem = h->get_pages ? h->get_pages(h->ctx, pages) : NULL;
    if (!mem)
        return false;
    struct heap_block *b = mem;
    b->size = pages * PG;
    insert_free(h, b);
    return true;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (size == 0 || size > ((size_t)1 << 40))
        return NULL;
    size_t need = HDR + ((size + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1));

    for (int attempt = 0; attempt < 2; attempt++) {
        for (struct heap_block **pp = &h->free_list; *pp; pp = &(*pp)->next) {
            struct heap_block *b = *pp;
            if (b->size < need)
                continue;
            if (b->size - need >= MIN_SPLIT) {
                struct heap_block *rest = (struct heap_block *)((uint8_t *)b + need);
                set_hdr(rest, MAGIC_FREE, b->size - need);
                rest->next = b->next;
                *pp = rest;
                b->size = need;
            } else {
                *pp = b->next;
            }
            h->bytes_free -= b->size;
            h->bytes_in_use += b->size;
            set_hdr(b, MAGIC_USED, b->size);
            b->next = NULL;
            return (uint8_t *)b + HDR;
        }
        if (!grow(h, need))
            return NULL;
    }
    return NULL;
}

int heap_free(struct heap *h, void *ptr)
{
    if (!ptr || ((uintptr_t)ptr % HEAP_ALIGN))
        return HEAP_ERR_BAD_POINTER;
    struct heap_block *b = (struct heap_block *)((uint8_t *)ptr - HDR);
    if (b->magic == MAGIC_FREE && b->check == check_of(MAGIC_FREE, b->size))
        return HEAP_ERR_DOUBLE_FREE;
    if (b->magic != MAGIC_USED || b->check != check_of(MAGIC_USED, b->size))
        return HEAP_ERR_BAD_POINTER;
    h->bytes_in_use -= b->size;
    insert_free(h, b);
    return HEAP_OK;
}
