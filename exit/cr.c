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
#define CS_AR_L   BIT(13)

/* A change of paging mode, through the checks the CPU makes on MOV to
 * CR0 (SDM Vol. 2A "MOV to/from control registers", Vol. 3A 10.8.5). The
 * checks use the live values: PE, PG, PAE and the rest the guest owns
 * change without exits, so a shadow alone would be stale. */
static bool guest_write_cr0(struct vcpu *v, uint64_t val)
{
    uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);
    uint64_t cr4 = vcpu_cr4(v);

    if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
        ((val & CR0_NW) && !(val & CR0_CD)))
        return false;
    /* Paging on with LME: IA-32e mode, which needs PAE. */
    bool long_mode = (val & CR0_PG) && (efer & EFER_LME);
    if (long_mode && !(cr4 & CR4_PAE))
        return false;
    /* Paging off: not from 64-bit code, and not with PCIDE set. */
    if (!(val & CR0_PG) && (efer & EFER_LMA) && (vmcs_read32(VMCS_GUEST_CS_AR) & CS_AR_L))
        return false;
    if (!(val & CR0_PG) && (cr4 & CR4_PCIDE))
        return false;
    if (long_mode != !!(efer & EFER_LMA)) {
        efer = long_mode ? efer | EFER_LMA : efer & ~EFER_LMA;
        vmcs_write64(VMCS_GUEST_EFER, efer);
        /* A VM exit stores LMA into this control (SDM Vol. 3C 28.2): the
         * VMCS is the truth, not a copy. */
        uint32_t entry = vmcs_read32(VMCS_ENTRY_CTLS);
        entry = long_mode ? entry | VMX_ENTRY_IA32E_MODE_GUEST
                          : entry & ~VMX_ENTRY_IA32E_MODE_GUEST;
        vmcs_write32(VMCS_ENTRY_CTLS, entry);
    }
    v->vmx.cr0_shadow = val;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR0, (val | v->vmx.cr0_fixed0) & v->vmx.cr0_fixed1 & ~(CR0_CD | CR0_NW));
    return true;
}

static bool guest_write_cr4(struct vcpu *v, uint64_t val)
{
    uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);
    /* VMXE is never the guest's; other bits the CPU can't set are
     * reserved (#GP), as are bits beyond CR4_FIXED1. */
    if ((val & (CR4_VMXE | CR4_HIDDEN)) || (val & ~(v->vmx.cr4_fixed1 & ~CR4_VMXE)))
        return false;
    if ((efer & EFER_LMA) && !(val & CR4_PAE))
        return false;
    /* PCIDE: only in IA-32e mode and with CR3[11:0] = 0. */
    if ((val & CR4_PCIDE) && !(vcpu_cr4(v) & CR4_PCIDE) &&
        (!(efer & EFER_LMA) || (vmcs_readnat(VMCS_GUEST_CR3) & 0xfff)))
        return false;
    v->vmx.cr4_shadow = val;
    vmcs_writenat(VMCS_CR4_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR4, (val | v->vmx.cr4_fixed0) & v->vmx.cr4_fixed1);
    return true;
}

/* CR8 is the TPR's bits 7:4 (SDM Vol. 3A 11.8.6.5); bits 63:4 are
 * reserved (#GP). The guest's TPR lives in its virtual local APIC. */
static bool guest_write_cr8(struct vcpu *v, uint64_t val)
{
    if (val & ~0xfULL)
        return false;
    vlapic_write(&v->lapic, VLAPIC_REG_TPR, rdtsc(), (uint32_t)val << 4);
    return true;
}

static uint64_t guest_read_cr8(struct vcpu *v)
{
    uint32_t tpr = 0;
    vlapic_read(&v->lapic, VLAPIC_REG_TPR, rdtsc(), &tpr);
    return (tpr >> 4) & 0xf;
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
        else if (cr == 8)
            ok = guest_write_cr8(v, vcpu_gpr(v, gpr));
        else
            ok = false;                         /* CR3 where the CPU forces CR3-load exiting */
        break;
    case 1:                                     /* MOV from CR */
        if (cr == 8)
            vcpu_set_gpr(v, gpr, guest_read_cr8(v));
        else                                    /* CR3-store exiting the CPU forces */
            vcpu_set_gpr(v, gpr, vmcs_readnat(VMCS_GUEST_CR3));
        break;
    case 2:                                     /* CLTS */
        ok = guest_write_cr0(v, vcpu_cr0(v) & ~CR0_TS);
        break;
    case 3: {                                   /* LMSW: PE can be set, not cleared */
        uint64_t src = (q >> 16) & 0xf, cr0 = vcpu_cr0(v);
        ok = guest_write_cr0(v, (cr0 & ~0xfULL) | src | (cr0 & CR0_PE));
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
