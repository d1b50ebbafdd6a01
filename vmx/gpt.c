/* Guest page-table walk (see include/arch/gpt.h). */
#include <arch/gpt.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/string.h>

#define P    BIT(0)
#define PS   BIT(7)
#define ADDR_MASK 0x000ffffffffff000ULL

static enum gpt_result entry(const struct gpt_ctx *c, uint64_t gpa, size_t len, uint64_t *e)
{
    const void *p = c->read(c->ctx, gpa, len);
    if (!p)
        return GPT_BAD_TABLE;
    *e = 0;
    memcpy(e, p, len);
    return (*e & P) ? GPT_OK : GPT_NOT_PRESENT;
}

static enum gpt_result walk32(const struct gpt_ctx *c, uint32_t lin, uint64_t *gpa)
{
    uint64_t pde, pte;
    enum gpt_result r = entry(c, (c->cr3 & 0xfffff000) + ((lin >> 22) << 2), 4, &pde);
    if (r)
        return r;
    if ((pde & PS) && (c->cr4 & CR4_PSE)) {
        /* 4 MiB page: bits 20:13 are physical-address bits 39:32. */
        *gpa = (pde & 0xffc00000) | ((pde & 0x1fe000) << 19) | (lin & 0x3fffff);
        return GPT_OK;
    }
    r = entry(c, (pde & 0xfffff000) + (((lin >> 12) & 0x3ff) << 2), 4, &pte);
    if (r)
        return r;
    *gpa = (pte & 0xfffff000) | (lin & 0xfff);
    return GPT_OK;
}

static enum gpt_result walk_pae(const struct gpt_ctx *c, uint32_t lin, uint64_t *gpa)
{
    uint64_t pdpte, pde, pte;
    enum gpt_result r = entry(c, (c->cr3 & 0xffffffe0) + ((lin >> 30) << 3), 8, &pdpte);
    if (r)
        return r;
    if (pdpte & 0x1e6)                          /* reserved in a PAE PDPTE */
        return GPT_RESERVED;
    r = entry(c, (pdpte & ADDR_MASK) + (((lin >> 21) & 511) << 3), 8, &pde);
    if (r)
        return r;
    if (pde & PS) {
        *gpa = (pde & ADDR_MASK & ~0x1fffffULL) | (lin & 0x1fffff);
        return GPT_OK;
    }
    r = entry(c, (pde & ADDR_MASK) + (((lin >> 12) & 511) << 3), 8, &pte);
    if (r)
        return r;
    *gpa = (pte & ADDR_MASK) | (lin & 0xfff);
    return GPT_OK;
}

static enum gpt_result walk64(const struct gpt_ctx *c, uint64_t lin, uint64_t *gpa)
{
    /* Canonical addresses only (SDM Vol. 3A 3.3.7.1). */
    if (((int64_t)(lin << 16) >> 16) != (int64_t)lin)
        return GPT_NOT_PRESENT;
    uint64_t table = c->cr3 & ADDR_MASK, e = 0;
    for (int level = 4; level >= 1; level--) {
        unsigned idx = (lin >> (12 + 9 * (level - 1))) & 511;
        enum gpt_result r = entry(c, table + idx * 8ULL, 8, &e);
        if (r)
            return r;
        if (level == 4 && (e & PS))
            return GPT_RESERVED;
        if ((level == 3 || level == 2) && (e & PS)) {
            uint64_t size = level == 3 ? GiB(1) : MiB(2);
            *gpa = (e & ADDR_MASK & ~(size - 1)) | (lin & (size - 1));
            return GPT_OK;
        }
        table = e & ADDR_MASK;
    }
    *gpa = table | (lin & 0xfff);
    return GPT_OK;
}

enum gpt_result gpt_translate(const struct gpt_ctx *c, uint64_t linear, uint64_t *gpa)
{
    if (!(c->cr0 & CR0_PG)) {
        *gpa = (c->efer & EFER_LMA) ? linear : (uint32_t)linear;
        return GPT_OK;
    }
    if (c->efer & EFER_LMA)
        return walk64(c, linear, gpa);
    if (c->cr4 & CR4_PAE)
        return walk_pae(c, (uint32_t)linear, gpa);
    return walk32(c, (uint32_t)linear, gpa);
}
