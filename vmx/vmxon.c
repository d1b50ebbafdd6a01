/*
 * VMXON on the running CPU: read the capability MSRs, make
 * IA32_FEATURE_CONTROL allow VMX, satisfy the CR0/CR4 fixed bits and enter
 * VMX root operation (SDM Vol. 3C 24.7). Every failure leaves a one-line
 * reason in struct vmx_cpu for the caller to print.
 */
#include <arch/vmx.h>
#include <arch/vmx_ops.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/layout.h>
#include <arch/percpu.h>
#include <arch/vmx_controls.h>

#define CPUID1_ECX_HYPERVISOR BIT(31)

static int __printf(2, 3) fail(struct vmx_cpu *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hv_vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
    return -1;
}

struct msr_slot {
    uint32_t index;
    const char *name;
    size_t off;         /* of the uint64_t in struct vmx_msrs */
};

#define SLOT(idx, field) { MSR_##idx, #idx, offsetof(struct vmx_msrs, field) }

/* These exist whenever CPUID.1:ECX.VMX is 1 (SDM Vol. 4, Table 2-2). */
static const struct msr_slot required_msrs[] = {
    SLOT(IA32_FEATURE_CONTROL, feature_control),
    SLOT(IA32_VMX_BASIC, basic),
    SLOT(IA32_VMX_PINBASED_CTLS, pinbased),
    SLOT(IA32_VMX_PROCBASED_CTLS, procbased),
    SLOT(IA32_VMX_EXIT_CTLS, exit),
    SLOT(IA32_VMX_ENTRY_CTLS, entry),
    SLOT(IA32_VMX_MISC, misc),
    SLOT(IA32_VMX_CR0_FIXED0, cr0_fixed0),
    SLOT(IA32_VMX_CR0_FIXED1, cr0_fixed1),
    SLOT(IA32_VMX_CR4_FIXED0, cr4_fixed0),
    SLOT(IA32_VMX_CR4_FIXED1, cr4_fixed1),
};

/* SDM Vol. 3D A.3.1, A.3.2, A.4, A.5: only when IA32_VMX_BASIC bit 55. */
static const struct msr_slot true_msrs[] = {
    SLOT(IA32_VMX_TRUE_PINBASED_CTLS, true_pinbased),
    SLOT(IA32_VMX_TRUE_PROCBASED_CTLS, true_procbased),
    SLOT(IA32_VMX_TRUE_EXIT_CTLS, true_exit),
    SLOT(IA32_VMX_TRUE_ENTRY_CTLS, true_entry),
};

/* The first slot that could not be read, or NULL. */
static const struct msr_slot *read_msrs(struct vmx_msrs *m, const struct msr_slot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!rdmsr_safe(s[i].index, (uint64_t *)((char *)m + s[i].off)))
            return &s[i];
    return NULL;
}

/*
 * Read what this CPU has. The optional MSRs exist only under the conditions
 * of SDM Vol. 3D A.3.3, A.10 and A.11, and an unreadable one just leaves its
 * feature off. Returns the unreadable required MSR, or NULL.
 */
static const struct msr_slot *vmx_read_msrs(struct vmx_msrs *m)
{
    const struct msr_slot *bad = read_msrs(m, required_msrs, ARRAY_SIZE(required_msrs));

    if (bad)
        return bad;
    if (m->basic & VMX_BASIC_TRUE_CTLS)
        m->true_valid = !read_msrs(m, true_msrs, ARRAY_SIZE(true_msrs));
    if (vmx_allowed1(m->procbased) & VMX_PROC_SECONDARY_CTLS)
        m->procbased2_valid = rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &m->procbased2);
    if (m->procbased2_valid) {
        uint32_t p2 = vmx_allowed1(m->procbased2);
        if (p2 & (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID))
            m->ept_vpid_cap_valid = rdmsr_safe(MSR_IA32_VMX_EPT_VPID_CAP, &m->ept_vpid_cap);
        if (p2 & VMX_PROC2_ENABLE_VMFUNC)
            m->vmfunc_valid = rdmsr_safe(MSR_IA32_VMX_VMFUNC, &m->vmfunc);
    }
    return NULL;
}

/* The VM-instruction error of the current VMCS (SDM Vol. 3C 31.4); 0 if
 * it cannot be read. */
static uint32_t vm_insn_error(void)
{
    uint64_t val = 0;
    return vmx_vmread(VMCS_VM_INSTRUCTION_ERROR, &val) ? (uint32_t)val : 0;
}

static int vmx_feature_control(struct vmx_cpu *v)
{
    uint64_t fc = v->msrs.feature_control, want = 0;

    /* The hypervisor never runs inside SMX (no GETSEC[SENTER]). */
    switch (vmx_feature_control_decide(fc, false, &want)) {
    case VMX_FC_ALREADY_ENABLED:
        return 0;
    case VMX_FC_DISABLED_BY_FIRMWARE:
        return fail(v, "VT-x is disabled in the firmware setup (IA32_FEATURE_CONTROL "
                    "locked without VMX outside SMX); enable 'Intel Virtualization "
                    "Technology' in the BIOS/UEFI setup");
    case VMX_FC_LOCK_AND_ENABLE:
        break;
    }
    uint64_t now = 0;
    if (!wrmsr_safe(MSR_IA32_FEATURE_CONTROL, want) ||
        !rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &now) ||
        vmx_feature_control_decide(now, false, NULL) != VMX_FC_ALREADY_ENABLED)
        return fail(v, "IA32_FEATURE_CONTROL was unlocked (%#llx) but writing %#llx "
                    "did not lock it with VMX enabled (reads %#llx)",
                    (unsigned long long)fc, (unsigned long long)want,
                    (unsigned long long)now);
    v->msrs.feature_control = now;
    return 0;
}

int vmx_cpu_enable(struct vmx_cpu *v, void *region, uint64_t region_phys)
{
    if (v->on)
        return 0;
    v->reason[0] = '\0';
    v->insn_error = 0;
    v->msrs = (struct vmx_msrs){ 0 };
    v->caps = (struct vmx_caps){ 0 };

    struct cpuid_regs id = cpuid(1, 0);
    v->msrs.cpuid1_ecx = id.ecx;
    if (!(id.ecx & CPUID1_ECX_VMX))
        return fail(v, "this CPU has no VT-x (CPUID.1:ECX.VMX = 0)%s",
                    (id.ecx & CPUID1_ECX_HYPERVISOR)
                        ? "; running under a hypervisor without nested VT-x" : "");

    const struct msr_slot *bad = vmx_read_msrs(&v->msrs);
    if (bad)
        return fail(v, "cannot read %s (MSR %#x) although CPUID reports VMX",
                    bad->name, bad->index);
    vmx_caps_from_msrs(&v->msrs, &v->caps);
    const struct vmx_caps *c = &v->caps;

    const char *msgs[4];
    unsigned n = vmx_caps_check_root(c, msgs, ARRAY_SIZE(msgs));
    if (n) {
        size_t len = 0;
        for (unsigned i = 0; i < n && i < ARRAY_SIZE(msgs) && len < sizeof(v->reason); i++)
            len += hv_snprintf(v->reason + len, sizeof(v->reason) - len, "%s%s",
                               i ? "; " : "", msgs[i]);
        return -1;
    }
    if (!region)
        return fail(v, "no VMXON region");
    const char *rp = vmx_region_problem(c, region_phys);
    if (rp)
        return fail(v, "%s (%#llx)", rp, (unsigned long long)region_phys);

    if (vmx_feature_control(v))
        return -1;

    /* SDM Vol. 3D A.7, A.8: bits clear in FIXED1 must already be clear;
     * clearing one the core relies on (e.g. CR4.PAE) would be fatal, so
     * that is a failure, not something to fix up. */
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();
    uint64_t bad0 = cr0 & ~c->cr0_fixed1;
    uint64_t bad4 = (cr4 | CR4_VMXE) & ~c->cr4_fixed1;
    if (bad0 || bad4)
        return fail(v, "%s bits %#llx are set but not allowed in VMX operation "
                    "(IA32_VMX_%s_FIXED1 = %#llx)", bad0 ? "CR0" : "CR4",
                    (unsigned long long)(bad0 ? bad0 : bad4), bad0 ? "CR0" : "CR4",
                    (unsigned long long)(bad0 ? c->cr0_fixed1 : c->cr4_fixed1));

    /* SDM Vol. 3C 31.3 VMXON: the first 4 bytes hold the revision
     * identifier with bit 31 clear; the rest is the CPU's. */
    memset(region, 0, PAGE_SIZE);
    *(volatile uint32_t *)region = c->revision_id & (uint32_t)VMX_BASIC_REVISION_MASK;

    /* CR4.VMXE must be set for VMXON (#UD otherwise); CR0.NE is usually the
     * one bit FIXED0 adds. */
    uint64_t new_cr0 = vmx_fixed_apply(cr0, c->cr0_fixed0, c->cr0_fixed1);
    uint64_t new_cr4 = vmx_fixed_apply(cr4 | CR4_VMXE, c->cr4_fixed0, c->cr4_fixed1);
    if (new_cr0 != cr0)
        write_cr0(new_cr0);
    if (new_cr4 != cr4)
        write_cr4(new_cr4);

    enum vmx_status r = vmx_vmxon(region_phys);
    if (r == VMX_OK) {
        v->on = true;
        v->vmxon_region = region;
        v->vmxon_phys = region_phys;
        return 0;
    }

    /* VMfailValid means a VMM is already in VMX root with a current VMCS,
     * whose error field says why (SDM Vol. 3C 31.3). CR4.VMXE and the fixed
     * CR0 bits cannot be cleared in VMX operation; they were already set
     * then, so the writes below only undo what we changed. */
    bool vmxe_before = cr4 & CR4_VMXE;
    if (r == VMX_FAIL_VALID) {
        v->insn_error = vm_insn_error();
        fail(v, "VMXON failed (VMfailValid, VM-instruction error %u: %s)",
             v->insn_error, vmx_insn_error_name(v->insn_error));
    } else if (r == VMX_FAULT) {
        fail(v, "VMXON raised an exception (#GP or #UD) although the checks before it "
             "passed (A20M asserted, or an emulator inconsistent with its VMX MSRs)");
    } else {
        fail(v, "VMXON failed (VMfailInvalid): region at %#llx with revision %#x "
             "rejected%s", (unsigned long long)region_phys, c->revision_id,
             vmxe_before ? ", or VMX was already on (CR4.VMXE was set: another "
                           "VMM may be active)" : "");
    }
    if (new_cr4 != cr4)
        write_cr4(cr4);
    if (new_cr0 != cr0)
        write_cr0(cr0);
    return -1;
}

int vmx_cpu_disable(struct vmx_cpu *v)
{
    if (!v->on)
        return 0;
    enum vmx_status r = vmx_vmxoff();
    if (r != VMX_OK) {
        /* SDM Vol. 3C 31.3 VMXOFF: fails under the dual-monitor treatment
         * of SMIs and SMM; still in VMX operation, so CR4.VMXE stays. */
        v->insn_error = r == VMX_FAIL_VALID ? vm_insn_error() : 0;
        return fail(v, "VMXOFF failed (%s, VM-instruction error %u: %s)",
                    r == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid",
                    v->insn_error, vmx_insn_error_name(v->insn_error));
    }
    write_cr4(read_cr4() & ~CR4_VMXE);
    v->on = false;
    v->vmxon_region = NULL;
    v->vmxon_phys = 0;
    return 0;
}

/* Leave VMX root before a CPU halts for good (arch/x86: cpu_on_halt). */
static void vmx_cpu_off(struct percpu *pc)
{
    vmx_cpu_disable(&pc->vmx);
}

void vmx_cpu_bringup(struct percpu *pc)
{
    void *region = page_alloc(1);

    cpu_on_halt(vmx_cpu_off);
    if (!region) {
        kprintf("vmx: cpu%u apic %u: VMX off: no memory for the VMXON region\n",
                pc->index, pc->apic_id);
        return;
    }
    if (vmx_cpu_enable(&pc->vmx, region, kva_to_phys(region)) == 0) {
        kprintf("vmx: cpu%u apic %u: VMX on (VMCS revision %#x)\n",
                pc->index, pc->apic_id, pc->vmx.caps.revision_id);
        /* A missing required feature is said once, at start-up. */
        struct vmx_controls ctl;
        char why[128];
        if (vmx_controls_compute(&pc->vmx.caps, &ctl, why, sizeof(why)))
            kprintf("vmx: cpu%u apic %u: cannot run guests: %s\n", pc->index, pc->apic_id, why);
        if (pc->index == 0) {
            char line[256];
            vmx_caps_summary(&pc->vmx.caps, line, sizeof(line));
            kprintf("vmx: features: %s\n", line);
        }
    } else {
        kprintf("vmx: cpu%u apic %u: VMX off: %s\n", pc->index, pc->apic_id,
                pc->vmx.reason);
        page_free(region, 1);
    }
}
