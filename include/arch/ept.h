/*
 * Extended page tables (SDM Vol. 3C 29.3): the guest-physical to
 * host-physical map of one guest, as pure logic.
 *
 * The builder never touches memory by physical address itself: table pages
 * come from ops->alloc_page and are reached through ops->phys_to_ptr, so the
 * core passes its page allocator and identity map, and the host tests pass
 * fake physical memory.
 *
 * Layout: 4-level EPT (SDM Vol. 3C 29.3.2), so guest-physical addresses
 * below 2^48. Levels are numbered as the walk meets them: 4 = PML4,
 * 3 = PDPT (a leaf maps 1 GiB), 2 = page directory (2 MiB), 1 = page table
 * (4 KiB).
 *
 * Every change is all-or-nothing: ept_map and ept_unmap first walk the
 * range without writing anything, refusing conflicts and counting the table
 * pages they will need, then allocate all of those, and only then write. On
 * any error the tables are exactly as before.
 *
 * Invariants (ept_check): every table page but the PML4 holds at least one
 * present entry (unmap frees tables that become empty), no entry has a
 * reserved bit set, and a leaf's address is aligned to its size.
 *
 * Live tables: entries are published with single 64-bit stores, a new or
 * split table only after it is filled, so a CPU walking the tables at the
 * same time sees either the old or the new translation of each address.
 * After a call that removed or changed a translation, or freed a table page,
 * `need_invept` is set: the caller must run INVEPT on every CPU that used
 * this EPTP (SDM Vol. 3C 29.4.3.4) before relying on the change, and a table
 * page handed to free_page may still be in a CPU's paging-structure cache
 * until then, so free_page must not let it be reused before that INVEPT.
 *
 * No locking: one struct ept is changed by one CPU at a time.
 */
#ifndef ARCH_EPT_H
#define ARCH_EPT_H

#include <hv/compiler.h>

/* Flags for ept_map and from ept_translate. Bits 6:0 are those of an EPT
 * leaf entry (SDM Vol. 3C 29.3.2): bits 2:0 read/write/execute, bits 5:3
 * the EPT memory type, bit 6 "ignore PAT". */
#define EPT_READ            (1u << 0)
#define EPT_WRITE           (1u << 1)
#define EPT_EXEC            (1u << 2)
#define EPT_RWX             (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT   3
#define EPT_MEMTYPE_MASK    (7u << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT      (1u << 6)
/* ept_map only, never stored: overwrite whatever maps the range now. */
#define EPT_MAP_REPLACE     (1u << 16)

/* EPT memory types (SDM Vol. 3C 29.3.7): these are type numbers, not flag
 * bits; put them in the flags with EPT_MEMTYPE(). Types 2, 3 and 7 are
 * reserved (an EPT misconfiguration, SDM Vol. 3C 29.3.3.1) and refused. */
#define EPT_MT_UC           0u
#define EPT_MT_WC           1u
#define EPT_MT_WT           4u
#define EPT_MT_WP           5u
#define EPT_MT_WB           6u
#define EPT_MEMTYPE(mt)     ((uint32_t)(mt) << EPT_MEMTYPE_SHIFT)
#define EPT_FLAGS_MEMTYPE(flags) (((flags) & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT)

/* Guest RAM and device memory as the callers usually want them. */
#define EPT_FLAGS_RAM       (EPT_RWX | EPT_MEMTYPE(EPT_MT_WB))
#define EPT_FLAGS_MMIO      (EPT_READ | EPT_WRITE | EPT_MEMTYPE(EPT_MT_UC))

/* 4-level EPT translates bits 47:0 of a guest-physical address
 * (SDM Vol. 3C 29.3.2); host addresses have at most 52 bits. */
#define EPT_GPA_LIMIT       (1ULL << 48)
#define EPT_HPA_LIMIT       (1ULL << 52)

/* EPTP (SDM Vol. 3C 25.6.11): bits 2:0 memory type of the paging
 * structures, bits 5:3 walk length minus 1, bit 6 enables accessed/dirty
 * flags, bits N-1:12 the PML4 address. */
#define EPTP_MEMTYPE_WB     6ULL
#define EPTP_WALK_4         (3ULL << 3)
#define EPTP_AD             (1ULL << 6)

enum ept_error {
    EPT_OK = 0,
    EPT_ERR_BAD_ARG = -1,       /* unaligned, empty or out-of-range range; bad flags or ops */
    EPT_ERR_NO_MEMORY = -2,     /* alloc_page failed; nothing was changed */
    EPT_ERR_EXISTS = -3,        /* ept_map without EPT_MAP_REPLACE over a mapped page */
};

struct ept_ops {
    /* A zeroed 4 KiB page; its physical address, or 0 when out of memory. */
    uint64_t (*alloc_page)(void *ctx);
    void (*free_page)(void *ctx, uint64_t pa);
    /* Where the builder reads and writes a page it got from alloc_page. */
    void *(*phys_to_ptr)(void *ctx, uint64_t pa);
    void *ctx;
};

struct ept {
    struct ept_ops ops;
    uint64_t pml4_pa;           /* 0 before ept_init and after ept_destroy */
    bool allow_2m, allow_1g;    /* leaf sizes beyond 4 KiB the CPU supports */
    /* Execute-only mappings (X without R), only when IA32_VMX_EPT_VPID_CAP
     * bit 0 says so (SDM Vol. 3C 29.3.3.1); false after ept_init. */
    bool allow_exec_only;
    /* Set when a translation was removed or changed or a table freed; the
     * caller clears it after INVEPT. */
    bool need_invept;
};

/* Allocate the PML4. `allow_2m`/`allow_1g` from struct vmx_caps
 * (ept_2m, ept_1g); 1 GiB leaves are used only when 2 MiB ones are allowed
 * too, as splitting one makes 2 MiB leaves. Do not change them afterwards.
 * EPT_ERR_BAD_ARG when an op is missing. On any error pml4_pa is 0, so
 * ept_destroy may still be called. */
int ept_init(struct ept *e, const struct ept_ops *ops, bool allow_2m, bool allow_1g);

/*
 * Map [gpa, gpa + size) to [hpa, hpa + size) with `flags` (permissions,
 * EPT_MEMTYPE(), EPT_IGNORE_PAT, EPT_MAP_REPLACE). All three 4 KiB aligned,
 * size > 0, gpa + size <= EPT_GPA_LIMIT, hpa + size <= EPT_HPA_LIMIT.
 * Permissions must be non-empty and must not be write without read.
 * Each piece uses the largest allowed leaf to which both its guest and host
 * addresses are aligned and which the range covers entirely. Without
 * EPT_MAP_REPLACE any page already mapped is an EPT_ERR_EXISTS; with it,
 * old mappings are overwritten and large pages only partly overwritten are
 * split, keeping the rest of their translation.
 */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint32_t flags);

/* Remove every translation in [gpa, gpa + size) (4 KiB aligned, in range,
 * size > 0); unmapped parts are fine. Large pages that straddle an end are
 * split (which may need table pages: EPT_ERR_NO_MEMORY, nothing changed);
 * table pages that become empty are freed. */
int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size);

/* Walk the tables for gpa: the host address, the flags (bits 6:0 of the
 * leaf) and the leaf level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). Each out pointer
 * may be NULL. false when gpa is not mapped. */
bool ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint32_t *flags,
                   unsigned *level);

/* Free every table page, the PML4 last; the struct may then be re-inited. */
void ept_destroy(struct ept *e);

/* The EPTP for the VMCS (4-level walk, write-back paging structures; the
 * caller checks ept_walk4 and ept_wb, and ept_ad when asking for A/D). */
uint64_t ept_eptp(const struct ept *e, bool accessed_dirty);

/* Recheck the invariants above over the whole tree; the number of table
 * pages (PML4 included) in *tables when not NULL. For tests and debugging. */
bool ept_check(const struct ept *e, uint64_t *tables);

/* "bad argument", "out of memory", ... for messages. */
const char *ept_error_name(int err);

#endif
