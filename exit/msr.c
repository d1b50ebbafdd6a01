/*
 * RDMSR and WRMSR: every access exits (the MSR bitmap is all ones). The
 * local APIC's MSRs go to vm/vlapic_io.c, the rest to the pure MSR
 * policy vm/vmsr.c, which says whether the value lives in the VMCS, in
 * the vCPU's MSR model, or raises #GP.
 */
#include <hv/exit.h>
#include <hv/vlapic_io.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>
#include <arch/msr.h>

static enum exit_action done(struct vcpu *v, uint64_t val, bool read)
{
    if (read) {
        v->regs.rax = (uint32_t)val;
        v->regs.rdx = val >> 32;
    }
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

static enum exit_action gp(struct vcpu *v)
{
    vcpu_inject_exception(v, X86_EXC_GP, true, 0);
    return EXIT_RESUME;
}

enum exit_action exit_rdmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx, field = 0;
    uint64_t val = 0;
    bool fault;

    if (vlapic_msr_read(v, msr, &val, &fault))
        return fault ? gp(v) : done(v, val, true);

    switch (vmsr_read(&v->msr, msr, &val, &field)) {
    case VMSR_GP:
        return gp(v);
    case VMSR_VMCS:
        val = vmcs_read_any(field);
        break;
    case VMSR_TSC:
        val = rdtsc() + vmcs_read64(VMCS_TSC_OFFSET);
        break;
    case VMSR_OK:
        break;
    }
    return done(v, val, true);
}

/* EFER through WRMSR: LMA is the CPU's to set; LME can't change while
 * paging is on (SDM Vol. 3A 10.8.5). False: #GP. */
static bool write_efer(struct vcpu *v, uint64_t val)
{
    uint64_t old = vmcs_read64(VMCS_GUEST_EFER);
    if (((old ^ val) & EFER_LME) && (vcpu_cr0(v) & CR0_PG))
        return false;
    vmcs_write64(VMCS_GUEST_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
    return true;
}

/* Writing the TSC moves this vCPU's view only, through its TSC offset;
 * IA32_TSC_ADJUST follows by the same amount, and writing TSC_ADJUST
 * moves the TSC (SDM Vol. 3B 18.17.3). */
static void write_tsc(struct vcpu *v, uint64_t val)
{
    uint64_t now = rdtsc(), offset = vmcs_read64(VMCS_TSC_OFFSET);
    v->msr.tsc_adjust += val - (now + offset);
    vmcs_write64(VMCS_TSC_OFFSET, val - now);
}

enum exit_action exit_wrmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx, field = 0;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    uint64_t adjust_before = v->msr.tsc_adjust;
    bool fault;

    if (vlapic_msr_write(v, msr, val, &fault))
        return fault ? gp(v) : done(v, 0, false);

    switch (vmsr_write(&v->msr, msr, val, &field)) {
    case VMSR_GP:
        return gp(v);
    case VMSR_VMCS:
        if (field == VMCS_GUEST_EFER) {
            if (!write_efer(v, val))
                return gp(v);
        } else {
            vmcs_write_any(field, val);
        }
        break;
    case VMSR_TSC:
        write_tsc(v, val);
        break;
    case VMSR_OK:
        if (msr == MSR_IA32_APIC_BASE)
            vlapic_base_changed(v);
        else if (msr == MSR_IA32_TSC_ADJUST)
            vmcs_write64(VMCS_TSC_OFFSET, vmcs_read64(VMCS_TSC_OFFSET) + (val - adjust_before));
        break;
    }
    return done(v, 0, false);
}
