/*
 * EPT builder (SDM Vol. 3C 29.3). See include/arch/ept.h for the contract.
 *
 * One recursive walk serves ept_map and ept_unmap twice: a dry run that
 * writes nothing, refuses conflicts and counts the table pages the change
 * needs, then, once that many pages are in hand, the real run, which cannot
 * fail. During the dry run a table that does not exist yet is "virtual":
 * either brand new (all entries 0) or the split of a large leaf (entries
 * computed from that leaf), exactly what the real run will write into it.
 */
#include <arch/ept.h>

#define EPT_ENTRIES      512u
#define EPT_TOP_LEVEL    4u

/* Entry bits (SDM Vol. 3C 29.3.2). */
#define EPTE_PERM_MASK   0x7ULL                 /* bits 2:0 R/W/X */
#define EPTE_ATTR_MASK   0x7fULL                /* 2:0 + memory type 5:3 + ignore PAT 6 */
#define EPTE_LEAF        (1ULL << 7)            /* PDPTE/PDE maps a page; reserved in a PML4E */
#define EPTE_ADDR_MASK   0x000ffffffffff000ULL  /* bits 51:12 */
/* A non-leaf entry: full permissions, so the leaf alone decides; bits 7:3
 * are reserved in non-leaf entries. */
#define EPTE_TABLE       EPT_RWX
#define EPTE_TABLE_RSVD  0xf8ULL                /* bits 7:3 */

static inline uint64_t level_size(unsigned level)
{
    return PAGE_SIZE << (9 * (level - 1));
}

static inline unsigned level_index(uint64_t gpa, unsigned level)
{
    return (unsigned)(gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/* Not present when bits 2:0 are all 0 (SDM Vol. 3C 29.3.2; this builder
 * never sets the mode-based user-execute bit 10). */
static inline bool epte_present(uint64_t ent)
{
    return (ent & EPTE_PERM_MASK) != 0;
}

static inline bool epte_is_leaf(uint64_t ent, unsigned level)
{
    return level == 1 || (level <= 3 && (ent & EPTE_LEAF));
}

/* The page a leaf of `level` maps. */
static inline uint64_t epte_addr(uint64_t ent, unsigned level)
{
    return ent & EPTE_ADDR_MASK & ~(level_size(level) - 1);
}

/* The table a non-leaf entry references. */
static inline uint64_t epte_table(uint64_t ent)
{
    return ent & EPTE_ADDR_MASK;
}

static inline uint64_t leaf_entry(uint64_t pa, uint64_t attrs, unsigned level)
{
    return pa | attrs | (level > 1 ? EPTE_LEAF : 0);
}

/* Entry `idx` of the table that replaces large leaf `ent` at `level`: the
 * same translation one level down, keeping every other bit of the leaf
 * (permissions, memory type, ignore-PAT, and the accessed/dirty, user-execute
 * and suppress-#VE bits, SDM Vol. 3C 29.3.5, so A/D tracking survives). */
static inline uint64_t split_entry(uint64_t ent, unsigned level, unsigned idx)
{
    uint64_t keep = ent & ~EPTE_ADDR_MASK & ~EPTE_LEAF;
    uint64_t pa = epte_addr(ent, level) + (uint64_t)idx * level_size(level - 1);
    return leaf_entry(pa, keep, level - 1);
}

static inline uint64_t *table_of(const struct ept *e, uint64_t pa)
{
    return e->ops.phys_to_ptr(e->ops.ctx, pa);
}

/* One 64-bit store, so a concurrent hardware walk sees the old or the new
 * entry, never a torn one. */
static inline void epte_write(uint64_t *slot, uint64_t val)
{
    __atomic_store_n(slot, val, __ATOMIC_RELEASE);
}

static bool leaf_allowed(const struct ept *e, unsigned level)
{
    return level == 1 || (level == 2 && e->allow_2m) || (level == 3 && e->allow_1g);
}

/* Free the table at `pa` (of `level`) and every table below it. */
static void free_tree(struct ept *e, uint64_t pa, unsigned level)
{
    if (level > 1) {
        const uint64_t *t = table_of(e, pa);
        for (unsigned i = 0; i < EPT_ENTRIES; i++) {
            if (epte_present(t[i]) && !epte_is_leaf(t[i], level))
                free_tree(e, epte_table(t[i]), level - 1);
        }
    }
    e->ops.free_page(e->ops.ctx, pa);
}

static bool tree_has_leaf(const struct ept *e, uint64_t pa, unsigned level)
{
    const uint64_t *t = table_of(e, pa);
    for (unsigned i = 0; i < EPT_ENTRIES; i++) {
        if (!epte_present(t[i]))
            continue;
        if (epte_is_leaf(t[i], level) || tree_has_leaf(e, epte_table(t[i]), level - 1))
            return true;
    }
    return false;
}

static bool table_empty(const struct ept *e, uint64_t pa)
{
    const uint64_t *t = table_of(e, pa);
    for (unsigned i = 0; i < EPT_ENTRIES; i++) {
        if (epte_present(t[i]))
            return false;
    }
    return true;
}

struct ept_walk {
    struct ept *e;
    bool apply;         /* false: dry run */
    bool unmap;
    bool replace;
    uint64_t delta;     /* hpa - gpa, modulo 2^64 */
    uint64_t attrs;     /* leaf bits 6:0 */
    uint64_t need;      /* dry run: table pages the real run will take */
    uint64_t pool;      /* real run: pages in hand, linked through word 0 */
};

static uint64_t pool_take(struct ept_walk *w)
{
    uint64_t pa = w->pool;
    if (pa) {
        uint64_t *p = table_of(w->e, pa);
        w->pool = p[0];
        p[0] = 0;
    }
    return pa;
}

static void pool_free(struct ept_walk *w)
{
    uint64_t pa;
    while ((pa = pool_take(w)) != 0)
        w->e->ops.free_page(w->e->ops.ctx, pa);
}

/*
 * Apply the walk to [start, end) within the table at `table_pa` of `level`.
 * Dry run only: table_pa 0 is a virtual table, the split of leaf `virt`
 * (of level + 1) or, when virt is 0, a new empty one.
 */
static int walk(struct ept_walk *w, uint64_t table_pa, uint64_t virt, unsigned level,
                uint64_t start, uint64_t end)
{
    struct ept *e = w->e;
    uint64_t size = level_size(level);
    uint64_t *t = table_pa ? table_of(e, table_pa) : NULL;

    while (start < end) {
        unsigned idx = level_index(start, level);
        uint64_t slot = ALIGN_DOWN(start, size);
        uint64_t stop = MIN(end, slot + size);  /* slot + size <= 2^48 */
        bool whole = start == slot && stop == slot + size;
        uint64_t old = t ? t[idx] : virt ? split_entry(virt, level + 1, idx) : 0;
        bool present = epte_present(old);
        bool leaf = present && epte_is_leaf(old, level);

        if (w->unmap && !present)
            goto next;

        if (w->unmap ? whole
                     : whole && leaf_allowed(e, level) && IS_ALIGNED(start + w->delta, size)) {
            /* The slot is entirely in the range: one entry changes. */
            if (!w->unmap && present && !w->replace &&
                (leaf || tree_has_leaf(e, epte_table(old), level - 1)))
                return EPT_ERR_EXISTS;
            if (w->apply) {
                epte_write(&t[idx], w->unmap ? 0 : leaf_entry(start + w->delta, w->attrs, level));
                if (present && !leaf)
                    free_tree(e, epte_table(old), level - 1);
                if (present)
                    e->need_invept = true;
            }
            goto next;
        }

        /* Part of the slot, or a leaf this size is not possible: go down. */
        if (!w->unmap && leaf && !w->replace)
            return EPT_ERR_EXISTS;

        uint64_t child = 0, child_virt = 0;
        bool fresh = !present || leaf;
        if (!fresh) {
            child = epte_table(old);
        } else if (!w->apply) {
            w->need++;
            child_virt = old;           /* 0 for a new table */
        } else {
            child = pool_take(w);
            if (!child)
                return EPT_ERR_NO_MEMORY;   /* the dry run counted wrong */
            if (leaf) {
                uint64_t *ct = table_of(e, child);
                for (unsigned i = 0; i < EPT_ENTRIES; i++)
                    ct[i] = split_entry(old, level, i);
            }
        }

        int rc = walk(w, child, child_virt, level - 1, start, stop);
        if (rc) {
            if (w->apply && fresh)
                free_tree(e, child, level - 1);
            return rc;
        }
        if (w->apply) {
            if (fresh) {
                /* Published only now that it is complete. */
                epte_write(&t[idx], child | EPTE_TABLE);
            } else if (w->unmap && table_empty(e, child)) {
                epte_write(&t[idx], 0);
                e->ops.free_page(e->ops.ctx, child);
                e->need_invept = true;
            }
        }
next:
        start = stop;
    }
    return EPT_OK;
}

static int ept_change(struct ept *e, struct ept_walk *w, uint64_t gpa, uint64_t size)
{
    w->e = e;
    w->apply = false;
    w->need = 0;
    w->pool = 0;
    int rc = walk(w, e->pml4_pa, 0, EPT_TOP_LEVEL, gpa, gpa + size);
    if (rc)
        return rc;

    for (uint64_t i = 0; i < w->need; i++) {
        uint64_t pa = e->ops.alloc_page(e->ops.ctx);
        if (pa & ~EPTE_ADDR_MASK) {
            /* Not a page the tables can reference: treat as no memory. */
            e->ops.free_page(e->ops.ctx, pa);
            pa = 0;
        }
        if (!pa) {
            pool_free(w);
            return EPT_ERR_NO_MEMORY;
        }
        *table_of(e, pa) = w->pool;
        w->pool = pa;
    }

    w->apply = true;
    rc = walk(w, e->pml4_pa, 0, EPT_TOP_LEVEL, gpa, gpa + size);
    pool_free(w);   /* empty unless the two runs disagreed */
    return rc;
}

static bool range_ok(uint64_t gpa, uint64_t size)
{
    return size != 0 && IS_ALIGNED(gpa | size, PAGE_SIZE) &&
           size <= EPT_GPA_LIMIT && gpa <= EPT_GPA_LIMIT - size;
}

/* Permission and memory-type combinations that are not an EPT
 * misconfiguration (SDM Vol. 3C 29.3.3.1). */
static bool flags_ok(const struct ept *e, uint32_t flags)
{
    uint32_t perm = flags & EPT_RWX;
    uint32_t mt = EPT_FLAGS_MEMTYPE(flags);

    if (flags & ~(uint32_t)(EPTE_ATTR_MASK | EPT_MAP_REPLACE))
        return false;
    if (perm == 0)
        return false;                   /* not present: use ept_unmap */
    if ((perm & EPT_WRITE) && !(perm & EPT_READ))
        return false;
    if ((perm & EPT_EXEC) && !(perm & EPT_READ) && !e->allow_exec_only)
        return false;
    return mt != 2 && mt != 3 && mt != 7;
}

int ept_init(struct ept *e, const struct ept_ops *ops, bool allow_2m, bool allow_1g)
{
    if (!e)
        return EPT_ERR_BAD_ARG;
    *e = (struct ept){ .pml4_pa = 0 };     /* ept_destroy is safe whatever happens */
    if (!ops || !ops->alloc_page || !ops->free_page || !ops->phys_to_ptr)
        return EPT_ERR_BAD_ARG;
    /* A 1 GiB leaf that is split becomes 2 MiB leaves; so 1 GiB leaves
     * only with 2 MiB ones (no CPU has the first without the second). */
    *e = (struct ept){ .ops = *ops, .allow_2m = allow_2m, .allow_1g = allow_1g && allow_2m };

    uint64_t pa = ops->alloc_page(ops->ctx);
    if (pa & ~EPTE_ADDR_MASK) {
        ops->free_page(ops->ctx, pa);
        pa = 0;
    }
    if (!pa)
        return EPT_ERR_NO_MEMORY;
    e->pml4_pa = pa;
    return EPT_OK;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint32_t flags)
{
    if (!e->pml4_pa || !range_ok(gpa, size) || !IS_ALIGNED(hpa, PAGE_SIZE) ||
        size > EPT_HPA_LIMIT || hpa > EPT_HPA_LIMIT - size || !flags_ok(e, flags))
        return EPT_ERR_BAD_ARG;

    struct ept_walk w = {
        .replace = (flags & EPT_MAP_REPLACE) != 0,
        .delta = hpa - gpa,
        .attrs = flags & EPTE_ATTR_MASK,
    };
    return ept_change(e, &w, gpa, size);
}

int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size)
{
    if (!e->pml4_pa || !range_ok(gpa, size))
        return EPT_ERR_BAD_ARG;

    struct ept_walk w = { .unmap = true };
    return ept_change(e, &w, gpa, size);
}

bool ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint32_t *flags,
                   unsigned *level)
{
    if (!e->pml4_pa || gpa >= EPT_GPA_LIMIT)
        return false;

    uint64_t pa = e->pml4_pa;
    for (unsigned l = EPT_TOP_LEVEL; ; l--) {
        uint64_t ent = table_of(e, pa)[level_index(gpa, l)];
        if (!epte_present(ent))
            return false;
        if (epte_is_leaf(ent, l)) {
            if (hpa)
                *hpa = epte_addr(ent, l) | (gpa & (level_size(l) - 1));
            if (flags)
                *flags = (uint32_t)(ent & EPTE_ATTR_MASK);
            if (level)
                *level = l;
            return true;
        }
        pa = epte_table(ent);
    }
}

void ept_destroy(struct ept *e)
{
    if (e->pml4_pa)
        free_tree(e, e->pml4_pa, EPT_TOP_LEVEL);
    e->pml4_pa = 0;
}

uint64_t ept_eptp(const struct ept *e, bool accessed_dirty)
{
    return e->pml4_pa | EPTP_MEMTYPE_WB | EPTP_WALK_4 | (accessed_dirty ? EPTP_AD : 0);
}

/* Reserved bits: 7:3 in a non-leaf entry (bit 7 of a PML4E included),
 * the address bits below the page size in a 2 MiB or 1 GiB leaf. */
static bool check_tree(const struct ept *e, uint64_t pa, unsigned level, uint64_t *tables)
{
    const uint64_t *t = table_of(e, pa);
    bool any = false;

    (*tables)++;
    for (unsigned i = 0; i < EPT_ENTRIES; i++) {
        uint64_t ent = t[i];
        if (!epte_present(ent)) {
            if (ent)
                return false;           /* this builder writes plain 0 */
            continue;
        }
        any = true;
        uint32_t perm = (uint32_t)(ent & EPTE_PERM_MASK);
        if ((perm & EPT_WRITE) && !(perm & EPT_READ))
            return false;
        if (epte_is_leaf(ent, level)) {
            if (ent & EPTE_ADDR_MASK & (level_size(level) - 1))
                return false;
            uint32_t mt = EPT_FLAGS_MEMTYPE((uint32_t)ent);
            if (mt == 2 || mt == 3 || mt == 7)
                return false;
            if ((perm & EPT_EXEC) && !(perm & EPT_READ) && !e->allow_exec_only)
                return false;
        } else {
            if (ent & EPTE_TABLE_RSVD)
                return false;
            if (!check_tree(e, epte_table(ent), level - 1, tables))
                return false;
        }
    }
    /* Only the PML4 may be empty. */
    return any || level == EPT_TOP_LEVEL;
}

bool ept_check(const struct ept *e, uint64_t *tables)
{
    uint64_t n = 0;
    bool ok = !e->pml4_pa || check_tree(e, e->pml4_pa, EPT_TOP_LEVEL, &n);
    if (tables)
        *tables = n;
    return ok;
}

const char *ept_error_name(int err)
{
    switch (err) {
    case EPT_OK:
        return "ok";
    case EPT_ERR_BAD_ARG:
        return "bad argument";
    case EPT_ERR_NO_MEMORY:
        return "out of memory for EPT tables";
    case EPT_ERR_EXISTS:
        return "guest-physical range already mapped";
    default:
        return "unknown EPT error";
    }
}
