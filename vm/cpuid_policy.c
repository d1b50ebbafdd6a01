/*
 * Guest CPUID policy (include/arch/cpuid_policy.h). Leaves and bits: SDM
 * Vol. 2A, CPUID, tables 3-8 (leaves), 3-10 (1:ECX), 3-11 (1:EDX); the
 * decision for each, with its reason: docs/cpu-policy.md.
 *
 * Feature words are filtered with allow-lists: a bit is passed from the
 * host only when it is listed here, so a feature a newer CPU adds stays
 * hidden until someone decides it is virtualized.
 */
#include <arch/cpuid_policy.h>
#include <arch/vmx_caps.h>

/* Leaf 1 ECX. Hidden: DTES64 (2), MONITOR (3), DS-CPL (4), VMX (5), SMX
 * (6), EST (7), TM2 (8), CNXT-ID (10), SDBG (11), xTPR (14), PDCM (15),
 * DCA (18). */
#define L1_ECX_KEEP  (BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | BIT(17) | BIT(19) | \
                      BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(26) | BIT(28) | BIT(29) | \
                      BIT(30))
#define L1_ECX_X2APIC       BIT(21)     /* the virtual local APIC has x2APIC mode */
#define L1_ECX_TSC_DEADLINE BIT(24)     /* and the TSC-deadline timer */
#define L1_ECX_XSAVE        BIT(26)
#define L1_ECX_OSXSAVE      BIT(27)
#define L1_ECX_HYPERVISOR   BIT(31)
/* Leaf 1 EDX. Hidden: PSN (18), DS (21), ACPI (22), TM (29), PBE (31);
 * APIC (9) and HTT (28) are computed. */
#define L1_EDX_KEEP  (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | \
                      BIT(8) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(15) | BIT(16) | \
                      BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26) | BIT(27))
#define L1_EDX_APIC  BIT(9)
#define L1_EDX_HTT   BIT(28)

#define L6_EAX_ARAT  BIT(2)             /* the virtual APIC timer never stops */

/* Leaf 7 subleaf 0. EBX hidden: SGX (2), HLE (4), RTM (11), RDT-M (12),
 * MPX (14), RDT-A (15), Intel PT (25); INVPCID (10) computed. */
#define L7_EBX_KEEP  (BIT(0) | BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(13) | \
                      BIT(16) | BIT(17) | BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(23) | \
                      BIT(24) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
#define L7_EBX_TSC_ADJUST BIT(1)        /* IA32_TSC_ADJUST is virtualized */
#define L7_EBX_INVPCID    BIT(10)
/* ECX hidden: PKU (3), OSPKE (4), WAITPKG (5), CET_SS (7), TME (13), MAWAU
 * (17-21), KL (23), BUS_LOCK_DETECT (24), ENQCMD (29), SGX_LC (30), PKS
 * (31); RDPID (22) computed. */
#define L7_ECX_KEEP  (BIT(0) | BIT(1) | BIT(2) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | \
                      BIT(12) | BIT(14) | BIT(16) | BIT(25) | BIT(27) | BIT(28))
#define L7_ECX_RDPID BIT(22)
/* EDX hidden: SGX-KEYS (1), UINTR (5), SRBDS_CTRL (9), RTM_ALWAYS_ABORT
 * (11), RTM_FORCE_ABORT (13), hybrid (15), TSXLDTRK (16), PCONFIG (18),
 * arch LBR (19), CET_IBT (20), AMX (22, 24, 25), IBRS/IBPB (26), STIBP
 * (27), L1D_FLUSH (28), ARCH_CAPABILITIES (29), CORE_CAPABILITIES (30),
 * SSBD (31). */
#define L7_EDX_KEEP  (BIT(2) | BIT(3) | BIT(4) | BIT(8) | BIT(10) | BIT(14) | BIT(23))
/* Subleaf 1: instructions only. Hidden: FRED (17), LKGS (18), WRMSRNS
 * (19), AMX-FP16 (21), HRESET (22), LAM (26), MSRLIST (27); EDX: AMX
 * (8), UIRET_UIF (17), CET_SSS (18), AVX10 (19), APX (21). */
#define L71_EAX_KEEP (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(7) | BIT(10) | \
                      BIT(11) | BIT(12) | BIT(23))
#define L71_EDX_KEEP (BIT(4) | BIT(5) | BIT(10) | BIT(14))

/* Leaf 0xd subleaf 1: XSAVEOPT, XSAVEC, XGETBV with ECX = 1. Hidden:
 * XSAVES (3, IA32_XSS is not virtualized), XFD (4). */
#define LD1_EAX_KEEP (BIT(0) | BIT(1) | BIT(2))
#define LD1_EAX_XSAVEC BIT(1)           /* kept only where it works (cpuid_ctx) */
#define XSAVE_LEGACY_AND_HEADER 576     /* SDM Vol. 1 13.4.1, 13.4.2 */
#define XSAVE_COMP_ALIGNED      BIT(1)  /* 0xd.i ECX: 64-byte aligned when compacted */

/* Extended leaves. 0x80000001 ECX: LAHF/SAHF, LZCNT, PREFETCHW; EDX:
 * SYSCALL, NX, 1-GByte pages, Intel 64; RDTSCP (27) computed. */
#define LX1_ECX_KEEP (BIT(0) | BIT(5) | BIT(8))
#define LX1_EDX_KEEP (BIT(11) | BIT(20) | BIT(26) | BIT(29))
#define LX1_EDX_RDTSCP BIT(27)
#define LX7_EDX_INVARIANT_TSC BIT(8)
#define LX8_EBX_WBNOINVD BIT(9)         /* the rest of 0x80000008 EBX is AMD's */

static const struct cpuid_leaf zero;

/* The rare leaves out of line: leaf 0 and the other common ones stay a
 * short path with no frame to set up. */
#define NOINLINE __attribute__((noinline))

static unsigned id_shift(unsigned n)
{
    unsigned shift = 0;
    while ((1u << shift) < n)
        shift++;
    return shift;
}

/* Topology consistent with the guest's vCPUs (SDM Vol. 3A 9.9): one
 * package of n single-thread cores, APIC IDs 0..n-1, whatever the host
 * has. Leaf 0xb and 0x1f: level 0 SMT (1 thread), level 1 core (n). */
static struct cpuid_leaf topology_leaf(const struct cpuid_ctx *c, uint32_t sub)
{
    if (sub == 0)
        return (struct cpuid_leaf){ 0, 1, (1u << 8) | sub, c->apic_id };
    if (sub == 1)
        return (struct cpuid_leaf){ id_shift(c->vcpus), c->vcpus, (2u << 8) | sub, c->apic_id };
    return (struct cpuid_leaf){ 0, 0, sub, c->apic_id };
}

static NOINLINE struct cpuid_leaf leaf1(const struct cpuid_ctx *c, struct cpuid_leaf r)
{
    unsigned n = c->vcpus;
    bool xsave = r.ecx & L1_ECX_XSAVE;

    /* EBX: brand index and CLFLUSH size kept; addressable IDs, APIC ID. */
    r.ebx = (r.ebx & 0xffffu) | ((n > 1 ? 1u << id_shift(n) : 1u) << 16) | (c->apic_id << 24);
    r.ecx = (r.ecx & (uint32_t)L1_ECX_KEEP) |
            (uint32_t)(L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE | L1_ECX_HYPERVISOR);
    /* OSXSAVE mirrors CR4.OSXSAVE (SDM Vol. 2A table 3-10). */
    if (xsave && (c->cr4 & BIT(18)))
        r.ecx |= (uint32_t)L1_ECX_OSXSAVE;
    r.edx &= (uint32_t)L1_EDX_KEEP;
    /* With IA32_APIC_BASE.EN clear the processor reports no APIC (SDM
     * Vol. 3A 11.4.3). */
    if (c->apic_enabled)
        r.edx |= (uint32_t)L1_EDX_APIC;
    if (n > 1)
        r.edx |= (uint32_t)L1_EDX_HTT;   /* more than one logical processor */
    return r;
}

static NOINLINE struct cpuid_leaf leaf7(const struct cpuid_ctx *c, uint32_t sub, struct cpuid_leaf r)
{
    if (sub == 0) {
        uint32_t ebx = r.ebx, ecx = r.ecx;
        r.eax = MIN(r.eax, 1u);
        r.ebx = (ebx & (uint32_t)L7_EBX_KEEP) | (uint32_t)L7_EBX_TSC_ADJUST;
        /* INVPCID and RDPID #UD in the guest without their VM-execution
         * controls (SDM Vol. 3C 26.3, table 26-7: RDPID needs "enable
         * RDTSCP"). */
        if ((ebx & L7_EBX_INVPCID) && (c->proc2 & VMX_PROC2_ENABLE_INVPCID))
            r.ebx |= (uint32_t)L7_EBX_INVPCID;
        r.ecx = ecx & (uint32_t)L7_ECX_KEEP;
        if ((ecx & L7_ECX_RDPID) && (c->proc2 & VMX_PROC2_ENABLE_RDTSCP))
            r.ecx |= (uint32_t)L7_ECX_RDPID;
        r.edx &= (uint32_t)L7_EDX_KEEP;
        return r;
    }
    if (sub == 1)
        return (struct cpuid_leaf){ r.eax & (uint32_t)L71_EAX_KEEP, 0, 0,
                                    r.edx & (uint32_t)L71_EDX_KEEP };
    return zero;
}

/* Bytes of an XSAVE area holding the components in `mask`: standard
 * format (each at its offset, 0xd.i EBX) or compacted (one after the
 * other, some 64-byte aligned). SDM Vol. 1 13.4.3. */
static uint32_t xsave_size(const struct cpuid_ctx *c, uint64_t mask, bool compacted)
{
    uint32_t size = XSAVE_LEGACY_AND_HEADER;
    for (unsigned i = 2; i < 63; i++) {
        if (!(mask & BIT(i)))
            continue;
        struct cpuid_leaf d = c->host(0xd, i);
        if (compacted) {
            if (d.ecx & XSAVE_COMP_ALIGNED)
                size = ALIGN_UP(size, 64u);
            size += d.eax;
        } else {
            size = MAX(size, d.ebx + d.eax);
        }
    }
    return size;
}

static NOINLINE struct cpuid_leaf leafd(const struct cpuid_ctx *c, uint32_t sub, struct cpuid_leaf r)
{
    struct cpuid_leaf d0 = sub == 0 ? r : c->host(0xd, 0);
    uint64_t supported = (((uint64_t)d0.edx << 32) | d0.eax) & CPUID_POLICY_XCR0;

    if (!(supported & BIT(0)))
        return zero;                    /* no XSAVE on the host */
    if (sub == 0)
        /* EBX follows the guest's XCR0, ECX covers every component the
         * guest may enable. */
        return (struct cpuid_leaf){ (uint32_t)supported, xsave_size(c, c->xcr0, false),
                                    xsave_size(c, supported, false), 0 };
    if (sub == 1)
        /* No IA32_XSS for the guest: XCR0 alone, compacted (XSAVEC).
         * An XSAVEC that misplaces components (Bochs 2.7: include/arch/
         * fpu.h) is hidden: guests then save with XSAVEOPT or XSAVE. */
        return (struct cpuid_leaf){ r.eax & (uint32_t)LD1_EAX_KEEP &
                                        ~(c->xsavec ? 0u : (uint32_t)LD1_EAX_XSAVEC),
                                    xsave_size(c, c->xcr0, true), 0, 0 };
    if (sub < 63 && (supported & BIT(sub)))
        return (struct cpuid_leaf){ r.eax, r.ebx, r.ecx & (uint32_t)XSAVE_COMP_ALIGNED, 0 };
    return zero;
}

/* Leaf 0x15: TSC = crystal * EBX / EAX, crystal in ECX (Hz). The
 * crystal is the local APIC's bus clock, the one the virtual APIC timer
 * counts, so a guest that takes both from here needs no calibration and
 * agrees with 0x40000010. */
static struct cpuid_leaf leaf15(const struct cpuid_ctx *c)
{
    uint64_t crystal_hz = (uint64_t)c->bus_khz * 1000;
    if (!c->tsc_khz || !c->bus_khz || crystal_hz > UINT32_MAX)
        return zero;                    /* "not enumerated" */
    return (struct cpuid_leaf){ c->bus_khz, c->tsc_khz, (uint32_t)crystal_hz, 0 };
}

static struct cpuid_leaf hv_leaf(const struct cpuid_ctx *c, uint32_t leaf)
{
    if (leaf == CPUID_HV_BASE)
        /* max leaf, then "hvhvhypervsr" in EBX, ECX, EDX (little-endian) */
        return (struct cpuid_leaf){ CPUID_HV_TIMING, 0x76687668u, 0x65707968u, 0x72737672u };
    if (leaf == CPUID_HV_TIMING)
        return (struct cpuid_leaf){ c->tsc_khz, c->bus_khz, 0, 0 };
    return zero;
}

static NOINLINE struct cpuid_leaf extended(const struct cpuid_ctx *c, uint32_t leaf, struct cpuid_leaf r)
{
    switch (leaf) {
    case 0x80000000u:
        r.eax = MIN(r.eax, CPUID_POLICY_MAX_EXT);
        return r;
    case 0x80000001u: {
        uint32_t edx = r.edx;
        r.ebx = 0;
        r.ecx &= (uint32_t)LX1_ECX_KEEP;
        r.edx &= (uint32_t)LX1_EDX_KEEP;
        if ((edx & LX1_EDX_RDTSCP) && (c->proc2 & VMX_PROC2_ENABLE_RDTSCP))
            r.edx |= (uint32_t)LX1_EDX_RDTSCP;
        return r;
    }
    case 0x80000002u:                   /* brand string */
    case 0x80000003u:
    case 0x80000004u:
    case 0x80000006u:                   /* L2 cache */
        return r;
    case 0x80000007u:
        return (struct cpuid_leaf){ 0, 0, 0, r.edx & (uint32_t)LX7_EDX_INVARIANT_TSC };
    case 0x80000008u:                   /* address sizes */
        return (struct cpuid_leaf){ r.eax & 0xffffu, r.ebx & (uint32_t)LX8_EBX_WBNOINVD, 0, 0 };
    }
    return zero;
}

void cpuid_policy(const struct cpuid_ctx *c, uint32_t leaf, uint32_t sub, struct cpuid_leaf *r)
{
    switch (leaf) {
    case 0x0:
        r->eax = MIN(r->eax, CPUID_POLICY_MAX_BASIC);
        return;
    case 0x1:
        *r = leaf1(c, *r);
        return;
    case 0x2:                           /* cache and TLB descriptors */
    case 0x18:                          /* address translation parameters */
        return;
    case 0x4:                           /* deterministic cache parameters */
        /* one thread per cache; cores per package - 1 in bits 31:26 */
        r->eax = (r->eax & 0x3fff) | (r->eax & 0x1f ? ((c->vcpus - 1) & 0x3f) << 26 : 0);
        return;
    case 0x6:                           /* thermal and power: ARAT only */
        *r = (struct cpuid_leaf){ (uint32_t)L6_EAX_ARAT, 0, 0, 0 };
        return;
    case 0x7:
        *r = leaf7(c, sub, *r);
        return;
    case 0xb:
    case 0x1f:
        *r = topology_leaf(c, sub);
        return;
    case 0xd:
        *r = leafd(c, sub, *r);
        return;
    case 0x15:
        *r = leaf15(c);
        return;
    case 0x16:                          /* base frequency: the TSC's */
        *r = (struct cpuid_leaf){ c->tsc_khz / 1000, r->ebx, r->ecx, 0 };
        return;
    }
    if (leaf - CPUID_HV_BASE < 0x100)
        *r = hv_leaf(c, leaf);
    else if (leaf >= 0x80000000u)
        *r = extended(c, leaf, *r);
    else
        /* 3 (PSN), 5 (MONITOR), 8, 9 (DCA), 0xa (PMU), 0xc, 0xe, 0xf and
         * 0x10 (RDT), 0x12 (SGX), 0x14 (PT), 0x17, 0x19 (Key Locker), 0x1a
         * (hybrid), 0x1b (PCONFIG), 0x1c (LBR), 0x1d/0x1e (AMX): nothing. */
        *r = zero;
}
