/*
 * Instructions a guest may not execute for real: the VMX instructions
 * (guests see no VMX: #UD, as on a CPU without it), XSETBV (checked, then
 * executed for the guest), INVD and WBINVD.
 */
#include <hv/exit.h>
#include <arch/cpu.h>

enum exit_action exit_vmx_insn(struct vcpu *v)
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

enum exit_action exit_xsetbv(struct vcpu *v)
{
    uint32_t idx = (uint32_t)v->regs.rcx;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    /* Only XCR0 exists; x87 state is mandatory (SDM Vol. 1 13.3). Values the
     * CPU rejects would fault in the host, so only pass supported bits. */
    struct cpuid_regs r = cpuid(0xd, 0);
    uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;
    if (idx != 0 || !(val & 1) || (val & ~supported) || ((val & 4) && !(val & 2))) {
        vcpu_inject_exception(v, X86_EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    __asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
