/*
 * The core's small heap, pure logic.
 *
 * Memory comes from a caller-supplied page source in runs of pages
 * ("arenas", at least HEAP_GROW_PAGES at a time). Small requests are served
 * first-fit from a free list kept in address order, and a freed block is
 * merged with free neighbours. A request of HEAP_LARGE_MIN bytes or more
 * gets an arena of its own, handed back to the page source when freed if a
 * release callback was given (heap_set_release), else recycled.
 *
 * Every block carries a header with its size, a magic word and a check
 * word. heap_free looks a pointer up among the arenas before reading any
 * header, so a foreign pointer, a pointer into the middle of a block or a
 * second free of the same block is refused with an error and changes
 * nothing. No locking and no globals: the core wraps one struct heap.
 */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <hv/compiler.h>

#define HEAP_ALIGN      16
#define HEAP_GROW_PAGES 16          /* at least 64 KiB per growth */
#define HEAP_LARGE_MIN  (32 * 1024) /* requests from here on get their own arena */

/* Returns npages contiguous pages, 16-byte aligned (page-aligned in the
 * core), or NULL when out of memory. */
typedef void *(*heap_page_source)(void *ctx, size_t npages);
/* Takes back a run get_pages returned, with the same npages. */
typedef void (*heap_page_release)(void *ctx, void *pages, size_t npages);

struct heap_block;
struct heap_arena;

struct heap {
    heap_page_source get_pages;
    heap_page_release put_pages;    /* optional */
    void *ctx;
    struct heap_arena *arenas;      /* sorted by address */
    struct heap_block *free_list;   /* sorted by address */
    size_t bytes_in_use;            /* live blocks, headers included */
    size_t bytes_free;              /* free blocks, headers included */
    size_t arena_bytes;             /* everything taken from the page source */
    size_t corrupt_blocks;          /* damaged free blocks found and dropped */
};

enum heap_error {
    HEAP_OK = 0,
    HEAP_ERR_BAD_POINTER = -1,      /* not the start of a block of this heap */
    HEAP_ERR_DOUBLE_FREE = -2,      /* the block is already free */
    HEAP_ERR_CORRUPT = -3,          /* heap_check: a header or list is damaged */
};

void heap_init(struct heap *h, heap_page_source src, void *ctx);
void heap_set_release(struct heap *h, heap_page_release rel);

/* `size` bytes, 16-byte aligned; NULL when size is 0 or the page source is
 * exhausted (the heap is unchanged then). */
void *heap_alloc(struct heap *h, size_t size);
/* The same, zero-filled. */
void *heap_zalloc(struct heap *h, size_t size);

/* HEAP_OK (also for NULL, which is ignored), or an enum heap_error when
 * ptr is not a live block of this heap: nothing is changed then. */
int heap_free(struct heap *h, void *ptr);

/* Usable bytes of the live block at ptr (at least what was asked for), or
 * 0 when ptr is not one. */
size_t heap_block_size(const struct heap *h, const void *ptr);

/* Walks every arena and the free list and verifies all headers, the tiling
 * of each arena, the order of the free list, full coalescing and the
 * counters. HEAP_OK or HEAP_ERR_CORRUPT. */
int heap_check(const struct heap *h);

#endif
