/*
 * Guest page-table walk, pure logic: linear -> guest-physical for the
 * x86 paging modes (SDM Vol. 3A chapter 4): paging off, 32-bit, PAE,
 * 4-level and 5-level. Used to reach guest memory named by a linear
 * address (string I/O, instruction fetch for MMIO decoding, dumps).
 *
 * Two entry points:
 *
 * - gpt_translate: the address only, no access rights checked and
 *   nothing written (dumps, the MMIO instruction fetch of exit/ept.c).
 * - gpt_translate_access: a translation for one access of a given kind
 *   (read, write or instruction fetch; user or supervisor), checked as
 *   the CPU checks it (SDM Vol. 3A 4.6): U/S, R/W with CR0.WP, XD with
 *   IA32_EFER.NXE, CR4.SMEP, CR4.SMAP with RFLAGS.AC, reserved bits.
 *   A fault comes back with the #PF error code the CPU would push
 *   (SDM Vol. 3A 4.7), so the caller can inject it with CR2 = the
 *   linear address. On success the accessed flags of every entry used,
 *   and the dirty flag of the final entry for a write, are set as the
 *   CPU sets them (SDM Vol. 3A 4.8), when the context can write guest
 *   memory (`map_rw`); a faulting access changes nothing. When another
 *   vCPU changes an entry between the walk and the update, the walk is
 *   done again (a few times, then the translation is used without the
 *   flags rather than let a guest keep a CPU here).
 *
 * Not modelled: protection keys (CR4.PKE/PKS: the guest's PKRU is not
 * readable here), CET shadow-stack pages, HLAT, and implicit supervisor
 * accesses (descriptor tables): every access checked is an explicit one
 * by the CPL it names. PAE PDPTEs are read from memory at each walk, not
 * from the copy the CPU loads at MOV CR3 (SDM Vol. 3A 4.4.1).
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

/* One access for gpt_translate_access (zero is a valid default for all
 * but `kind`). */
struct gpt_access {
    unsigned kind;                  /* GPT_ACC_* */
    uint64_t rflags;                /* AC, for SMAP */
    unsigned maxphyaddr;            /* guest MAXPHYADDR (CPUID 0x80000008); 0: 52 */
    /* The context's memory, writable (for the accessed and dirty flags);
     * NULL: the walk sets no flags. */
    void *(*map_rw)(void *ctx, uint64_t gpa, size_t len);
};

enum gpt_result {
    GPT_OK = 0,
    GPT_NOT_PRESENT = -1,   /* a #PF for the guest */
    GPT_BAD_TABLE = -2,     /* a paging structure outside guest RAM */
    GPT_RESERVED = -3,      /* reserved bit set (#PF with RSVD) */
    GPT_PROTECTION = -4,    /* present, but the access is not allowed (#PF with P) */
    GPT_NON_CANONICAL = -5, /* 64-bit mode: not a #PF but #GP (#SS for SS) */
};

/* The kind of access (struct gpt_access); the bits are those of the
 * #PF error code that describe an access (SDM Vol. 3A 4.7). */
#define GPT_ACC_READ   0u
#define GPT_ACC_WRITE  (1u << 1)
#define GPT_ACC_USER   (1u << 2)       /* CPL 3 (else supervisor) */
#define GPT_ACC_FETCH  (1u << 4)

/* #PF error code (SDM Vol. 3A 4.7, figure 4-12). */
#define PFEC_P     (1u << 0)           /* 0: not present; 1: protection or reserved bit */
#define PFEC_W     (1u << 1)           /* a write */
#define PFEC_U     (1u << 2)           /* a user-mode access */
#define PFEC_RSVD  (1u << 3)           /* reserved bit set in an entry */
#define PFEC_I     (1u << 4)           /* instruction fetch (with NXE and PAE, or SMEP) */

enum gpt_result gpt_translate(const struct gpt_ctx *c, uint64_t linear, uint64_t *gpa);

/* Translate `linear` for the access `a` (its kind: GPT_ACC_*). GPT_OK:
 * *gpa set. GPT_NOT_PRESENT, GPT_RESERVED, GPT_PROTECTION: a #PF, its
 * error code in *pfec. GPT_NON_CANONICAL: the caller raises #GP or #SS
 * (SDM Vol. 3A 3.3.7.1). GPT_BAD_TABLE: a paging structure is not guest
 * RAM (no architectural fault; the caller decides). The access is one
 * byte's worth: a caller with an operand crossing a page translates each
 * page. */
enum gpt_result gpt_translate_access(const struct gpt_ctx *c, const struct gpt_access *a,
                                     uint64_t linear, uint64_t *gpa, uint32_t *pfec);

#endif
