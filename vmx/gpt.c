/* Guest page-table walk (see include/arch/gpt.h). SDM Vol. 3A chapter 4:
 * 4.3 32-bit paging, 4.4 PAE, 4.5 4-level and 5-level, 4.6 access
 * rights, 4.7 the #PF error code, 4.8 accessed and dirty flags. */
#include <arch/gpt.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/string.h>

#define P    BIT(0)
#define RW   BIT(1)
#define US   BIT(2)
#define A    BIT(5)
#define D    BIT(6)
#define PS   BIT(7)
#define XD   BIT(63)

#define GPT_CR4_LA57  BIT(12)
#define GPT_CR4_SMEP  BIT(20)
#define GPT_CR4_SMAP  BIT(21)
#define GPT_RFLAGS_AC BIT(18)

#define MAX_LEVELS 5
#define AD_RETRIES 4        /* walks again when another vCPU changed an entry */

/* One walk: the entries used, top first, and their combined rights. */
struct walk {
    uint64_t gpa;
    uint64_t entry_gpa[MAX_LEVELS];
    uint64_t entry[MAX_LEVELS];
    unsigned n;             /* entries used */
    unsigned size;          /* 4 (32-bit paging) or 8 */
    bool no_ad[MAX_LEVELS]; /* entry has no accessed flag (PAE PDPTE) */
    bool user, writable, nx;
    unsigned maxphy;        /* MAXPHYADDR */
};

/* Physical-address bits M-1:12 of an entry (SDM Vol. 3A 4.5.4). */
static uint64_t addr_mask(const struct walk *w)
{
    return (BIT(w->maxphy) - 1) & ~0xfffULL;
}

/* Bits 51:M, reserved in every PAE/4-level/5-level entry, and XD when
 * IA32_EFER.NXE is 0 (SDM Vol. 3A 4.4.2, 4.5.4, tables 4-11 and 4-20). */
static uint64_t rsvd_common(const struct gpt_ctx *c, const struct walk *w)
{
    uint64_t r = (BIT(52) - 1) & ~(BIT(w->maxphy) - 1);
    if (!(c->efer & EFER_NXE))
        r |= XD;
    return r;
}

static enum gpt_result entry(const struct gpt_ctx *c, struct walk *w, uint64_t gpa,
                             uint64_t *e)
{
    const void *p = c->read(c->ctx, gpa, w->size);
    if (!p)
        return GPT_BAD_TABLE;
    *e = 0;
    memcpy(e, p, w->size);
    if (w->n < MAX_LEVELS) {
        w->entry_gpa[w->n] = gpa;
        w->entry[w->n] = *e;
        w->no_ad[w->n] = false;
        w->n++;
    }
    return (*e & P) ? GPT_OK : GPT_NOT_PRESENT;
}

/* The rights of one entry (SDM Vol. 3A 4.6.1: U/S and R/W must be 1 at
 * every level, XD at any level forbids fetches). */
static void rights(struct walk *w, uint64_t e)
{
    w->user = w->user && (e & US);
    w->writable = w->writable && (e & RW);
    w->nx = w->nx || (e & XD);
}

static enum gpt_result walk32(const struct gpt_ctx *c, uint32_t lin, struct walk *w)
{
    uint64_t pde, pte;
    w->size = 4;
    enum gpt_result r = entry(c, w, (c->cr3 & 0xfffff000) + ((lin >> 22) << 2), &pde);
    if (r)
        return r;
    rights(w, pde);
    if ((pde & PS) && (c->cr4 & CR4_PSE)) {
        /* 4 MiB page: bits 20:13 are physical-address bits 39:32; bit 21
         * and those at or above MAXPHYADDR are reserved (table 4-4). */
        unsigned m = MIN(w->maxphy, 40u);
        uint64_t rsvd = BIT(21) | ((0x1fe000ULL >> (13 + m - 32)) << (13 + m - 32));
        if (pde & rsvd)
            return GPT_RESERVED;
        w->gpa = (pde & 0xffc00000) | ((pde & 0x1fe000) << 19) | (lin & 0x3fffff);
        return GPT_OK;
    }
    r = entry(c, w, (pde & 0xfffff000) + (((lin >> 12) & 0x3ff) << 2), &pte);
    if (r)
        return r;
    rights(w, pte);
    w->gpa = (pte & 0xfffff000) | (lin & 0xfff);
    return GPT_OK;
}

static enum gpt_result walk_pae(const struct gpt_ctx *c, uint32_t lin, struct walk *w)
{
    /* PAE entries also reserve bits 62:52, which 4-level paging ignores
     * (tables 4-9 to 4-11). */
    uint64_t pdpte, pde, pte, am = addr_mask(w);
    uint64_t rsvd = rsvd_common(c, w) | ((BIT(63) - 1) & ~(BIT(52) - 1));
    w->size = 8;
    enum gpt_result r = entry(c, w, (c->cr3 & 0xffffffe0) + ((lin >> 30) << 3), &pdpte);
    if (r)
        return r;
    w->no_ad[w->n - 1] = true;      /* bit 5 is reserved in a PDPTE */
    /* A PDPTE has no U/S, R/W or XD: bits 2:1, 8:5 and 63:M are reserved
     * (table 4-8). */
    if (pdpte & (0x1e6 | XD | ((BIT(63) - 1) & ~(BIT(w->maxphy) - 1))))
        return GPT_RESERVED;
    r = entry(c, w, (pdpte & am) + (((lin >> 21) & 511) << 3), &pde);
    if (r)
        return r;
    if (pde & rsvd)
        return GPT_RESERVED;
    rights(w, pde);
    if (pde & PS) {
        if (pde & 0x1fe000)                     /* bits 20:13 (table 4-9) */
            return GPT_RESERVED;
        w->gpa = (pde & am & ~0x1fffffULL) | (lin & 0x1fffff);
        return GPT_OK;
    }
    r = entry(c, w, (pde & am) + (((lin >> 12) & 511) << 3), &pte);
    if (r)
        return r;
    if (pte & rsvd)
        return GPT_RESERVED;
    rights(w, pte);
    w->gpa = (pte & am) | (lin & 0xfff);
    return GPT_OK;
}

static bool canonical(const struct gpt_ctx *c, uint64_t lin)
{
    /* SDM Vol. 3A 3.3.7.1, 4.5.1: 48 bits, or 57 with 5-level paging. */
    unsigned sh = (c->cr4 & GPT_CR4_LA57) ? 7 : 16;
    return ((int64_t)(lin << sh) >> sh) == (int64_t)lin;
}

static enum gpt_result walk64(const struct gpt_ctx *c, uint64_t lin, struct walk *w)
{
    uint64_t am = addr_mask(w), rsvd = rsvd_common(c, w), table = c->cr3 & am, e = 0;
    w->size = 8;
    for (int level = (c->cr4 & GPT_CR4_LA57) ? 5 : 4; level >= 1; level--) {
        unsigned idx = (lin >> (12 + 9 * (level - 1))) & 511;
        enum gpt_result r = entry(c, w, table + idx * 8ULL, &e);
        if (r)
            return r;
        if (e & rsvd)
            return GPT_RESERVED;
        if (level >= 4 && (e & PS))                 /* PS is reserved in PML5E/PML4E */
            return GPT_RESERVED;
        rights(w, e);
        if ((level == 3 || level == 2) && (e & PS)) {
            uint64_t size = level == 3 ? GiB(1) : MiB(2);
            /* Bits 29:13 (1 GiB) or 20:13 (2 MiB) are reserved; bit 12 is PAT. */
            if (e & (size - 1) & ~0x1fffULL)
                return GPT_RESERVED;
            w->gpa = (e & am & ~(size - 1)) | (lin & (size - 1));
            return GPT_OK;
        }
        table = e & am;
    }
    w->gpa = table | (lin & 0xfff);
    return GPT_OK;
}

static enum gpt_result walk(const struct gpt_ctx *c, unsigned maxphy, uint64_t lin,
                            struct walk *w)
{
    memset(w, 0, sizeof(*w));
    w->user = w->writable = true;
    w->maxphy = maxphy && maxphy < 52 ? maxphy : 52;
    if (!(c->cr0 & CR0_PG)) {
        w->gpa = (c->efer & EFER_LMA) ? lin : (uint32_t)lin;
        return GPT_OK;
    }
    if (c->efer & EFER_LMA) {
        if (!canonical(c, lin))
            return GPT_NON_CANONICAL;
        return walk64(c, lin, w);
    }
    if (c->cr4 & CR4_PAE)
        return walk_pae(c, (uint32_t)lin, w);
    return walk32(c, (uint32_t)lin, w);
}

enum gpt_result gpt_translate(const struct gpt_ctx *c, uint64_t linear, uint64_t *gpa)
{
    struct walk w;
    enum gpt_result r = walk(c, 0, linear, &w);
    if (r == GPT_NON_CANONICAL)
        return GPT_NOT_PRESENT;
    if (r == GPT_OK)
        *gpa = w.gpa;
    return r;
}

/* May this access use a translation with these rights? (SDM Vol. 3A
 * 4.6.1; a user-mode address is one with U/S = 1 at every level.) */
static bool allowed(const struct gpt_ctx *c, const struct gpt_access *a, const struct walk *w)
{
    unsigned acc = a->kind;
    bool write = acc & GPT_ACC_WRITE, fetch = acc & GPT_ACC_FETCH;
    bool nx = w->nx && (c->efer & EFER_NXE);

    if (acc & GPT_ACC_USER) {
        if (!w->user)
            return false;
        if (fetch)
            return !nx;
        return !write || w->writable;       /* user writes ignore CR0.WP */
    }
    if (fetch)
        return !nx && !(w->user && (c->cr4 & GPT_CR4_SMEP));
    /* SMAP: explicit supervisor data accesses to user-mode addresses need
     * RFLAGS.AC = 1 (4.6.1). */
    if (w->user && (c->cr4 & GPT_CR4_SMAP) && !(a->rflags & GPT_RFLAGS_AC))
        return false;
    return !write || w->writable || !(c->cr0 & CR0_WP);
}

/* Set A in every entry used and D in the final one for a write, with a
 * locked compare-exchange as the CPU does (4.8). false: an entry changed
 * under us (another vCPU), walk again. */
static bool set_ad(const struct gpt_ctx *c, const struct gpt_access *a, const struct walk *w)
{
    bool write = a->kind & GPT_ACC_WRITE;
    if (!a->map_rw)
        return true;
    for (unsigned i = 0; i < w->n; i++) {
        uint64_t want = w->no_ad[i] ? 0 : A;
        if (i == w->n - 1 && write)
            want |= D;
        if ((w->entry[i] & want) == want)
            continue;
        void *p = a->map_rw(c->ctx, w->entry_gpa[i], w->size);
        if (!p || ((uintptr_t)p & (w->size - 1)))
            continue;                   /* cannot happen for guest RAM: give up quietly */
        if (w->size == 4) {
            uint32_t old = (uint32_t)w->entry[i];
            if (!__atomic_compare_exchange_n((uint32_t *)p, &old, old | (uint32_t)want, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return false;
        } else {
            uint64_t old = w->entry[i];
            if (!__atomic_compare_exchange_n((uint64_t *)p, &old, old | want, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return false;
        }
    }
    return true;
}

enum gpt_result gpt_translate_access(const struct gpt_ctx *c, const struct gpt_access *a,
                                     uint64_t linear, uint64_t *gpa, uint32_t *pfec)
{
    unsigned acc = a->kind;
    /* The error code's access bits (4.7): W, U/S, and I/D only when the
     * CPU could tell a fetch apart (SMEP, or NXE with PAE/4-level). */
    uint32_t code = acc & (PFEC_W | PFEC_U);
    if ((acc & GPT_ACC_FETCH) &&
        ((c->cr4 & GPT_CR4_SMEP) || ((c->cr4 & CR4_PAE) && (c->efer & EFER_NXE))))
        code |= PFEC_I;
    if (acc & GPT_ACC_FETCH)
        code &= ~PFEC_W;

    struct walk w;
    enum gpt_result r = GPT_OK;
    for (unsigned tries = 0; tries < AD_RETRIES; tries++) {
        r = walk(c, a->maxphyaddr, linear, &w);
        if (r == GPT_OK && (c->cr0 & CR0_PG) && !allowed(c, a, &w))
            r = GPT_PROTECTION;
        if (r != GPT_OK || !(c->cr0 & CR0_PG) || set_ad(c, a, &w))
            break;
    }
    switch (r) {
    case GPT_OK:
        *gpa = w.gpa;
        break;
    case GPT_NOT_PRESENT:
        *pfec = code;
        break;
    case GPT_RESERVED:
        *pfec = code | PFEC_P | PFEC_RSVD;
        break;
    case GPT_PROTECTION:
        *pfec = code | PFEC_P;
        break;
    default:
        break;
    }
    return r;
}
