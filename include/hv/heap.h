/*
 * The core's small heap, pure logic: first-fit over a free list kept in
 * address order, neighbours coalesced on free, growing by page runs from a
 * caller-supplied source. Every block carries a header with its size and a
 * magic word, so a double free or a foreign pointer is refused, not
 * followed.
 */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <hv/compiler.h>

#define HEAP_ALIGN      16
#define HEAP_GROW_PAGES 16      /* at least 64 KiB per growth */

typedef void *(*heap_page_source)(void *ctx, size_t npages);

struct heap_block;

struct heap {
    heap_page_source get_pages;
    void *ctx;
    struct heap_block *free_list;   /* sorted by address */
    size_t bytes_in_use;
    size_t bytes_free;
};

enum heap_error {
    HEAP_OK = 0,
    HEAP_ERR_BAD_POINTER = -1,      /* not a block from this heap */
    HEAP_ERR_DOUBLE_FREE = -2,
};

void heap_init(struct heap *h, heap_page_source src, void *ctx);
/* 16-byte aligned, or NULL when the source is exhausted or size is 0. */
void *heap_alloc(struct heap *h, size_t size);
int heap_free(struct heap *h, void *ptr);

#endif
