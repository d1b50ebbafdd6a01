/*
 * CPUID (SDM Vol. 2A): what the guest sees is decided by the pure policy
 * of vm/cpuid_policy.c (docs/cpu-policy.md); this handler gathers the
 * vCPU's side of it (its vCPU count and APIC ID, IA32_APIC_BASE.EN, its
 * CR4 and XCR0 (vm/vcpu_state.c), the optional VM-execution controls it
 * runs with), the TSC rate and the virtual APIC's bus clock.
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <arch/cpu.h>
#include <arch/cpuid_policy.h>
#include <arch/fpu.h>
#include <arch/vmcs.h>
#include <arch/tsc.h>

#define APIC_BASE_EN BIT(11)

static struct cpuid_leaf host_cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid_regs r = cpuid(leaf, sub);
    return (struct cpuid_leaf){ r.eax, r.ebx, r.ecx, r.edx };
}

enum exit_action exit_cpuid(struct vcpu *v)
{
    uint32_t sub = (uint32_t)v->regs.rcx;
    struct cpuid_ctx ctx;
    ctx.host = host_cpuid;
    uint32_t leaf = cpuid_policy_leaf(&ctx, (uint32_t)v->regs.rax);
    unsigned need = cpuid_policy_inputs(leaf);

    /* Only what this leaf's answer depends on: CPUID exits are frequent
     * (the policy reads no other field). */
    if (need & CPUID_IN_VCPU) {
        ctx.vcpus = v->guest->vcpu_count;
        ctx.apic_id = v->lapic.id;
        ctx.apic_enabled = (v->msr.apic_base & APIC_BASE_EN) != 0;
    }
    if (need & CPUID_IN_CR4)
        ctx.cr4 = vcpu_cr4(v);
    if (need & CPUID_IN_XCR0) {
        ctx.xcr0 = v->state.xcr0;
        ctx.xsavec = fpu_info()->xsavec;
    }
    if (need & CPUID_IN_PROC2)
        ctx.proc2 = vmcs_read32(VMCS_PROC2_CTLS);
    if (need & CPUID_IN_CLOCKS) {
        ctx.tsc_khz = (uint32_t)(tsc_hz() / 1000);
        ctx.bus_khz = (uint32_t)(vcpu_apic_bus_hz() / 1000);     /* the virtual APIC's */
    }
    struct cpuid_regs h = cpuid(leaf, sub);
    struct cpuid_leaf r = { h.eax, h.ebx, h.ecx, h.edx };
    cpuid_policy(&ctx, leaf, sub, &r);

    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
