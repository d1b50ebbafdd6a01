/*
 * Guest CPUID policy, pure logic: what a guest's CPUID returns, from the
 * host CPU's own answers and the state of the vCPU. A bit is advertised
 * only when the hypervisor gives the guest what it stands for (the
 * instruction works, the MSR answers, the state is kept per vCPU); the
 * rest is hidden, so a guest that follows CPUID never meets a #GP or a
 * stop for something CPUID promised. Leaf by leaf, with the reasons and
 * the SDM references: docs/cpu-policy.md.
 *
 * exit/cpuid.c fills the context on every CPUID exit and calls
 * cpuid_policy(); the unit tests hand it a fake host.
 */
#ifndef ARCH_CPUID_POLICY_H
#define ARCH_CPUID_POLICY_H

#include <hv/compiler.h>

struct cpuid_leaf { uint32_t eax, ebx, ecx, edx; };

/* The hypervisor's own leaves (docs/cpu-policy.md). */
#define CPUID_HV_BASE       0x40000000u     /* max leaf, signature "hvhvhypervsr" */
#define CPUID_HV_TIMING     0x40000010u     /* TSC and bus frequency in kHz */

/* Highest leaves a guest sees: leaves above are reported as the highest
 * basic leaf, as the CPU does (SDM Vol. 2A CPUID, "INPUT EAX = 0"). */
#define CPUID_POLICY_MAX_BASIC  0x1fu
#define CPUID_POLICY_MAX_EXT    0x80000008u

/* XCR0 components a guest may see and enable: x87, SSE, AVX and the
 * three AVX-512 components, kept per vCPU (vm/vcpu_state.c). Not MPX
 * (IA32_BNDCFGS is not virtualized), PKRU (hidden with PKU), AMX (no
 * IA32_XFD) or any supervisor component (no IA32_XSS). SDM Vol. 1 13.1. */
#define CPUID_POLICY_XCR0   (BIT(0) | BIT(1) | BIT(2) | BIT(5) | BIT(6) | BIT(7))

struct cpuid_ctx {
    /* The CPU's own answer (the CPUID instruction in the hypervisor; a
     * table in the unit tests), for the leaves an answer is built from. */
    struct cpuid_leaf (*host)(uint32_t leaf, uint32_t subleaf);
    unsigned vcpus;             /* vCPUs of the guest (topology) */
    uint32_t apic_id;           /* this vCPU's APIC ID */
    bool apic_enabled;          /* IA32_APIC_BASE.EN (bit 11) */
    uint64_t cr4;               /* the guest's CR4 (OSXSAVE, bit 18) */
    uint64_t xcr0;              /* the guest's XCR0 */
    bool xsavec;                /* the CPU's XSAVEC writes the SDM's compacted
                                 * format (arch/x86/fpu.c checks it): else hidden */
    uint32_t proc2;             /* its secondary processor-based VM-execution controls */
    uint32_t tsc_khz, bus_khz;  /* TSC and local APIC bus clock (0x15, 0x16, 0x40000010) */
};

/* A guest's CPUID(leaf, subleaf), in three steps, so that the frequent
 * CPUID exits gather only what their leaf needs:
 *   1. leaf = cpuid_policy_leaf(c, leaf): the leaf that answers (one
 *      above the highest is answered as the highest basic leaf); only
 *      c->host is needed;
 *   2. the context fields cpuid_policy_inputs(leaf) names (the others
 *      are not read), and *r = the host's CPUID(leaf, subleaf);
 *   3. cpuid_policy(c, leaf, subleaf, r) turns *r into the guest's. */
#define CPUID_IN_VCPU    BIT(0)         /* vcpus, apic_id, apic_enabled */
#define CPUID_IN_CR4     BIT(1)
#define CPUID_IN_XCR0    BIT(2)         /* xcr0, xsavec */
#define CPUID_IN_PROC2   BIT(3)
#define CPUID_IN_CLOCKS  BIT(4)         /* tsc_khz, bus_khz */

/* Every CPU with EPT and unrestricted guest has basic leaves up to 0xb,
 * and every Intel 64 CPU extended leaves up to 0x80000008: only other
 * leaves need the host's highest leaf (SDM Vol. 2A CPUID, "INPUT EAX =
 * 0"). */
static inline uint32_t cpuid_policy_leaf(const struct cpuid_ctx *c, uint32_t leaf)
{
    if (leaf <= 0xb || leaf - CPUID_HV_BASE < 0x100 ||
        (leaf >= 0x80000000u && leaf <= CPUID_POLICY_MAX_EXT))
        return leaf;
    uint32_t max = c->host(0, 0).eax;
    if (max > CPUID_POLICY_MAX_BASIC)
        max = CPUID_POLICY_MAX_BASIC;
    return leaf <= max ? leaf : max;
}

static inline unsigned cpuid_policy_inputs(uint32_t leaf)
{
    switch (leaf) {
    case 0x1:
        return CPUID_IN_VCPU | CPUID_IN_CR4;
    case 0x4:
    case 0xb:
    case 0x1f:
        return CPUID_IN_VCPU;
    case 0x7:
    case 0x80000001u:
        return CPUID_IN_PROC2;
    case 0xd:
        return CPUID_IN_XCR0;
    case 0x15:
    case 0x16:
    case CPUID_HV_TIMING:
        return CPUID_IN_CLOCKS;
    }
    return 0;
}

void cpuid_policy(const struct cpuid_ctx *c, uint32_t leaf, uint32_t subleaf,
                  struct cpuid_leaf *r);

#endif
