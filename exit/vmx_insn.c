/*
 * Instructions a guest may not execute for real: the VMX instructions
 * (guests see no VMX: #UD, as on a CPU without it), XSETBV (checked, then
 * executed for the guest, its XCR0 kept per vCPU), INVD and WBINVD.
 */
#include <hv/exit.h>
#include <arch/cpu.h>

enum exit_action exit_vmx_insn(struct vcpu *v)
{
    vcpu_inject_exception(v, X86_EXC_UD, false, 0);
    return EXIT_RESUME;
}

/* MONITOR, MWAIT, GETSEC, UMWAIT, TPAUSE, ENCLS: CPUID hides these
 * features (docs/cpu-policy.md), so a guest that uses them anyway gets
 * the #UD of a CPU without them, not a stop. */
enum exit_action exit_hidden_insn(struct vcpu *v)
{
    vcpu_inject_exception(v, X86_EXC_UD, false, 0);
    return EXIT_RESUME;
}

enum exit_action exit_cache(struct vcpu *v)
{
    /* INVD would drop dirty lines of other guests: do WBINVD's harmless
     * part by doing nothing (EPT memory is WB and coherent). */
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

#define CR4_OSXSAVE BIT(18)

/* XSETBV (SDM Vol. 2D): #UD without CR4.OSXSAVE, #GP at CPL > 0, for any
 * XCR other than 0 and for a value XCR0 may not hold (arch/x86/xcr0.c).
 * The value is checked before it is executed here: a value the CPU
 * refuses would fault in the hypervisor. */
enum exit_action exit_xsetbv(struct vcpu *v)
{
    uint32_t idx = (uint32_t)v->regs.rcx;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    if (!(vcpu_cr4(v) & CR4_OSXSAVE)) {
        vcpu_inject_exception(v, X86_EXC_UD, false, 0);
        return EXIT_RESUME;
    }
    if (vcpu_cpl(v) != 0 || idx != 0 || !vcpu_set_xcr0(v, val)) {
        vcpu_inject_exception(v, X86_EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
