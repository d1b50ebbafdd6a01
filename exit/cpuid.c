/*
 * CPUID (SDM Vol. 2A): the host's answers with VMX hidden, the hypervisor
 * bit set, a topology that matches the guest's vCPUs, and our leaves at
 * 0x40000000 (signature) and 0x40000010 (TSC and bus frequency in kHz,
 * the de-facto convention guests read).
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/string.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/lapic.h>

#define CPUID_HV_BASE   0x40000000u
#define CPUID_HV_TIMING 0x40000010u

#define CPUID1_ECX_VMX        BIT(5)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_EDX_HTT        BIT(28)

/* Topology consistent with the guest's vCPUs (SDM Vol. 3A 9.9): one
 * package of n single-thread cores, APIC IDs 0..n-1, whatever the host
 * has. */
static void topology(struct cpuid_regs *r, uint32_t leaf, uint32_t sub, uint32_t apic_id,
                     unsigned n)
{
    unsigned shift = 0;
    while ((1u << shift) < n)
        shift++;
    if (leaf == 1) {
        r->ebx = (r->ebx & 0x0000ffffu) | ((n > 1 ? 1u << shift : 1u) << 16) | (apic_id << 24);
        if (n > 1)
            r->edx |= (uint32_t)CPUID1_EDX_HTT;     /* more than one logical processor */
        else
            r->edx &= ~(uint32_t)CPUID1_EDX_HTT;
    } else if (leaf == 4) {
        /* one thread per cache; cores per package - 1 in bits 31:26 */
        r->eax = (r->eax & 0x3fff) | (r->eax & 0x1f ? ((n - 1) & 0x3f) << 26 : 0);
    } else if (leaf == 0xb || leaf == 0x1f) {
        /* Level 0 SMT: 1 thread; level 1 core: n cores; then invalid. */
        if (sub == 0)
            *r = (struct cpuid_regs){ 0, 1, (1u << 8) | sub, apic_id };
        else if (sub == 1)
            *r = (struct cpuid_regs){ shift, n, (2u << 8) | sub, apic_id };
        else
            *r = (struct cpuid_regs){ 0, 0, sub, apic_id };
    }
}

enum exit_action exit_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
    struct cpuid_regs r;

    if (leaf == CPUID_HV_BASE) {
        r.eax = CPUID_HV_TIMING;
        memcpy(&r.ebx, "hvhv", 4);          /* signature "hvhvhypervsr" */
        memcpy(&r.ecx, "hype", 4);
        memcpy(&r.edx, "rvsr", 4);
    } else if (leaf == CPUID_HV_TIMING) {
        r = (struct cpuid_regs){ (uint32_t)(tsc_hz() / 1000),
                                 (uint32_t)(lapic_timer_hz() * 16 / 1000), 0, 0 };
    } else if (leaf > CPUID_HV_BASE && leaf < CPUID_HV_BASE + 0x100) {
        r = (struct cpuid_regs){ 0, 0, 0, 0 };
    } else {
        r = cpuid(leaf, sub);
        if (leaf == 1) {
            r.ecx &= ~(uint32_t)CPUID1_ECX_VMX;
            r.ecx |= (uint32_t)CPUID1_ECX_HYPERVISOR;
        }
        topology(&r, leaf, sub, v->lapic.id, v->guest->vcpu_count);
    }
    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
