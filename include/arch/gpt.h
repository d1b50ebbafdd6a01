/*
 * Guest page-table walk, pure logic: linear -> guest-physical for the
 * four x86 paging modes (SDM Vol. 3A chapter 4): paging off, 32-bit,
 * PAE, 4-level. Used to reach guest memory named by a linear address
 * (string I/O, instruction fetch for MMIO decoding, dumps).
 */
#ifndef ARCH_GPT_H
#define ARCH_GPT_H

#include <hv/compiler.h>

struct gpt_ctx {
    /* 8 bytes (or 4 for 32-bit paging) of guest-physical memory, or NULL
     * when gpa is not guest RAM. */
    const void *(*read)(void *ctx, uint64_t gpa, size_t len);
    void *ctx;
    uint64_t cr0, cr3, cr4, efer;
};

enum gpt_result {
    GPT_OK = 0,
    GPT_NOT_PRESENT = -1,   /* a #PF for the guest */
    GPT_BAD_TABLE = -2,     /* a paging structure outside guest RAM */
    GPT_RESERVED = -3,      /* reserved bit set (#PF with RSVD) */
};

enum gpt_result gpt_translate(const struct gpt_ctx *c, uint64_t linear, uint64_t *gpa);

#endif
