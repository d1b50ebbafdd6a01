/*
 * Control-register exits (SDM Vol. 3C 28.2.1 table 28-3). The host owns
 * the bits in the guest/host masks (the VMX fixed bits, CR0.CD/NW,
 * CR4.VMXE); the guest reads its own values from the read shadows. Writes
 * are checked as the CPU would (#GP for invalid combinations), and turning
 * paging on with EFER.LME set enters IA-32e mode (SDM Vol. 3A 10.8.5).
 */
#include <hv/exit.h>
#include <arch/vmcs.h>
#include <arch/vmx_caps.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/guest.h>

#define CR4_PCIDE BIT(17)

static bool guest_write_cr0(struct vcpu *v, uint64_t val)
{
    uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);

    if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
        ((val & CR0_NW) && !(val & CR0_CD)))
        return false;
    /* Paging on with LME: IA-32e mode, which needs PAE (SDM 10.8.5). */
    bool long_mode = (val & CR0_PG) && (efer & EFER_LME);
    if (long_mode && !(v->vmx.cr4_shadow & CR4_PAE))
        return false;
    if (!(val & CR0_PG) && (v->vmx.cr4_shadow & CR4_PCIDE))
        return false;
    if (long_mode != !!(efer & EFER_LMA)) {
        efer = long_mode ? efer | EFER_LMA : efer & ~EFER_LMA;
        vmcs_write64(VMCS_GUEST_EFER, efer);
        v->vmx.entry_ctls = long_mode ? v->vmx.entry_ctls | VMX_ENTRY_IA32E_MODE_GUEST
                                  : v->vmx.entry_ctls & ~VMX_ENTRY_IA32E_MODE_GUEST;
        vmcs_write32(VMCS_ENTRY_CTLS, v->vmx.entry_ctls);
    }
    v->vmx.cr0_shadow = val;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR0, (val | v->vmx.cr0_fixed0) & v->vmx.cr0_fixed1 & ~(CR0_CD | CR0_NW));
    return true;
}

static bool guest_write_cr4(struct vcpu *v, uint64_t val)
{
    /* VMXE is never the guest's; other bits the CPU can't set are
     * reserved (#GP), as are bits beyond CR4_FIXED1. */
    if ((val & CR4_VMXE) || (val & ~(v->vmx.cr4_fixed1 & ~CR4_VMXE)))
        return false;
    if ((vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA) && !(val & CR4_PAE))
        return false;
    v->vmx.cr4_shadow = val;
    vmcs_writenat(VMCS_CR4_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR4, (val | v->vmx.cr4_fixed0) & v->vmx.cr4_fixed1);
    return true;
}

enum exit_action exit_cr_access(struct vcpu *v)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    unsigned cr = q & 15, type = (q >> 4) & 3, gpr = (q >> 8) & 15;
    bool ok = true;

    switch (type) {
    case 0:                                     /* MOV to CR */
        if (cr == 0)
            ok = guest_write_cr0(v, vcpu_gpr(v, gpr));
        else if (cr == 4)
            ok = guest_write_cr4(v, vcpu_gpr(v, gpr));
        else
            ok = false;
        break;
    case 1:                                     /* MOV from CR: CR3 only where the CPU forces CR3-store exiting */
        vcpu_set_gpr(v, gpr, 0);
        break;
    case 2:                                     /* CLTS */
        ok = guest_write_cr0(v, v->vmx.cr0_shadow & ~CR0_TS);
        break;
    case 3: {                                   /* LMSW: PE can be set, not cleared */
        uint64_t src = (q >> 16) & 0xf;
        ok = guest_write_cr0(v, (v->vmx.cr0_shadow & ~0xfULL) | src | (v->vmx.cr0_shadow & CR0_PE));
        break;
    }
    }
    if (!ok) {
        vcpu_inject_exception(v, X86_EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
