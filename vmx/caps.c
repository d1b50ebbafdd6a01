/*
 * VMX capabilities from the raw capability MSRs, control computation, the
 * IA32_FEATURE_CONTROL decision and the feature summary. Pure: no MSR is
 * read here (vmx/vmxon.c does that), so the host tests feed fake values.
 */
#include <arch/vmx_caps.h>
#include <arch/msr.h>
#include <hv/fmt.h>

static struct vmx_ctl_cap ctl_cap(uint64_t msr)
{
    struct vmx_ctl_cap c = {
        .msr = msr,
        .allowed0 = vmx_allowed0(msr),
        .allowed1 = vmx_allowed1(msr),
    };
    return c;
}

void vmx_caps_from_msrs(const struct vmx_msrs *m, struct vmx_caps *c)
{
    *c = (struct vmx_caps){ 0 };

    c->vmx = m->cpuid1_ecx & CPUID1_ECX_VMX;
    if (!c->vmx)
        return;     /* without VMX the capability MSRs do not exist */

    /* SDM Vol. 3D A.1. */
    c->revision_id = m->basic & VMX_BASIC_REVISION_MASK;
    c->region_size = (m->basic >> VMX_BASIC_SIZE_SHIFT) & VMX_BASIC_SIZE_MASK;
    c->pa_32bit = m->basic & VMX_BASIC_PA_32BIT;
    c->memtype = (m->basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK;

    /* SDM Vol. 3D A.3.1, A.3.2, A.4, A.5: with bit 55 set the TRUE_ MSRs
     * hold all the information (default1 controls that may be 0). Without
     * them the plain MSRs are still correct, only stricter. */
    c->true_ctls = (m->basic & VMX_BASIC_TRUE_CTLS) && m->true_valid;
    c->pin   = ctl_cap(c->true_ctls ? m->true_pinbased  : m->pinbased);
    c->proc  = ctl_cap(c->true_ctls ? m->true_procbased : m->procbased);
    c->exit  = ctl_cap(c->true_ctls ? m->true_exit      : m->exit);
    c->entry = ctl_cap(c->true_ctls ? m->true_entry     : m->entry);

    /* SDM Vol. 3D A.3.3: IA32_VMX_PROCBASED_CTLS2 exists only when bit 63
     * of IA32_VMX_PROCBASED_CTLS is 1. */
    c->secondary = (vmx_allowed1(m->procbased) & VMX_PROC_SECONDARY_CTLS) &&
                   m->procbased2_valid;
    if (c->secondary)
        c->proc2 = ctl_cap(m->procbased2);

    const uint32_t p1 = c->proc.allowed1, p2 = c->proc2.allowed1;
    const uint32_t pin1 = c->pin.allowed1;
    const uint32_t ex1 = c->exit.allowed1, en1 = c->entry.allowed1;

    /* SDM Vol. 3D A.10: IA32_VMX_EPT_VPID_CAP exists only with "enable EPT"
     * or "enable VPID" allowed to be 1; A.11 likewise for VM functions. */
    bool cap_ok = (p2 & (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID)) &&
                  m->ept_vpid_cap_valid;
    uint64_t cap = cap_ok ? m->ept_vpid_cap : 0;
    c->ept_vpid_cap = cap;
    if ((p2 & VMX_PROC2_ENABLE_VMFUNC) && m->vmfunc_valid)
        c->vmfunc = m->vmfunc;

    /* EPT is unusable without the capability MSR: it gives the page-walk
     * length and memory types an EPTP may use (SDM Vol. 3C 25.6.11). */
    c->ept = (p2 & VMX_PROC2_ENABLE_EPT) && cap_ok;
    c->ept_walk4 = c->ept && (cap & VMX_EPT_WALK_4);
    c->ept_wb = c->ept && (cap & VMX_EPT_MEMTYPE_WB);
    c->ept_2m = c->ept && (cap & VMX_EPT_2M_PAGES);
    c->ept_1g = c->ept && (cap & VMX_EPT_1G_PAGES);
    c->ept_ad = c->ept && (cap & VMX_EPT_AD_FLAGS);
    c->invept = c->ept && (cap & VMX_EPT_INVEPT);
    c->invept_single = c->invept && (cap & VMX_EPT_INVEPT_SINGLE);
    c->invept_all = c->invept && (cap & VMX_EPT_INVEPT_ALL);

    c->vpid = p2 & VMX_PROC2_ENABLE_VPID;
    c->invvpid = c->vpid && (cap & VMX_VPID_INVVPID);
    c->invvpid_addr = c->invvpid && (cap & VMX_VPID_INVVPID_ADDR);
    c->invvpid_single = c->invvpid && (cap & VMX_VPID_INVVPID_SINGLE);
    c->invvpid_all = c->invvpid && (cap & VMX_VPID_INVVPID_ALL);
    c->invvpid_single_globals = c->invvpid && (cap & VMX_VPID_INVVPID_SINGLE_GLOBALS);

    /* SDM Vol. 3C 27.2.1.1: "unrestricted guest" requires "enable EPT". */
    c->unrestricted_guest = (p2 & VMX_PROC2_UNRESTRICTED_GUEST) && c->ept;

    c->preemption_timer = pin1 & VMX_PIN_PREEMPTION_TIMER;
    c->preemption_timer_rate = m->misc & VMX_MISC_PREEMPT_RATE_MASK;

    c->msr_bitmaps = p1 & VMX_PROC_MSR_BITMAPS;
    c->io_bitmaps = p1 & VMX_PROC_IO_BITMAPS;
    c->tpr_shadow = p1 & VMX_PROC_TPR_SHADOW;

    /* SDM Vol. 3C 27.2.1.1: x2APIC virtualization, APIC-register
     * virtualization and virtual-interrupt delivery need "use TPR shadow";
     * virtual-interrupt delivery needs "external-interrupt exiting"; posted
     * interrupts need virtual-interrupt delivery and "acknowledge interrupt
     * on exit". */
    c->apic_access = p2 & VMX_PROC2_VIRT_APIC_ACCESSES;
    c->virt_x2apic = (p2 & VMX_PROC2_VIRT_X2APIC_MODE) && c->tpr_shadow;
    c->apic_reg_virt = (p2 & VMX_PROC2_APIC_REG_VIRT) && c->tpr_shadow;
    c->virt_intr_delivery = (p2 & VMX_PROC2_VIRT_INTR_DELIVERY) && c->tpr_shadow &&
                            (pin1 & VMX_PIN_EXT_INTR_EXITING);
    c->exit_ack_intr = ex1 & VMX_EXIT_ACK_INTR_ON_EXIT;
    c->posted_interrupts = (pin1 & VMX_PIN_POSTED_INTR) && c->virt_intr_delivery &&
                           c->exit_ack_intr;

    c->rdtscp = p2 & VMX_PROC2_ENABLE_RDTSCP;
    c->invpcid = p2 & VMX_PROC2_ENABLE_INVPCID;
    c->xsaves = p2 & VMX_PROC2_ENABLE_XSAVES;

    c->entry_load_efer = en1 & VMX_ENTRY_LOAD_EFER;
    c->exit_save_efer = ex1 & VMX_EXIT_SAVE_EFER;
    c->exit_load_efer = ex1 & VMX_EXIT_LOAD_EFER;
    c->entry_load_pat = en1 & VMX_ENTRY_LOAD_PAT;
    c->exit_save_pat = ex1 & VMX_EXIT_SAVE_PAT;
    c->exit_load_pat = ex1 & VMX_EXIT_LOAD_PAT;
    c->exit_host_addr_space = ex1 & VMX_EXIT_HOST_ADDR_SPACE_SIZE;
    c->entry_ia32e_guest = en1 & VMX_ENTRY_IA32E_MODE_GUEST;

    /* SDM Vol. 3D A.6. */
    c->misc = m->misc;
    c->act_hlt = m->misc & VMX_MISC_ACT_HLT;
    c->act_shutdown = m->misc & VMX_MISC_ACT_SHUTDOWN;
    c->act_wait_sipi = m->misc & VMX_MISC_ACT_WAIT_SIPI;
    c->cr3_targets = (m->misc >> VMX_MISC_CR3_TARGETS_SHIFT) & VMX_MISC_CR3_TARGETS_MASK;
    c->msr_list_max = 512u * (unsigned)(((m->misc >> VMX_MISC_MSR_LIST_SHIFT) &
                                         VMX_MISC_MSR_LIST_MASK) + 1);

    c->cr0_fixed0 = m->cr0_fixed0;
    c->cr0_fixed1 = m->cr0_fixed1;
    c->cr4_fixed0 = m->cr4_fixed0;
    c->cr4_fixed1 = m->cr4_fixed1;
}

int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap_msr,
                        uint32_t *out, uint32_t *missing)
{
    uint32_t allowed0 = vmx_allowed0(cap_msr), allowed1 = vmx_allowed1(cap_msr);
    uint32_t lacking = required & ~allowed1;

    /* SDM Vol. 3D A.3: a bit clear in the high half may not be 1, a bit
     * set in the low half must be 1. */
    *out = ((required | optional) & allowed1) | allowed0;
    if (missing)
        *missing = lacking;
    return lacking ? -1 : 0;
}

uint64_t vmx_fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value | fixed0) & fixed1;
}

uint64_t vmx_fixed_violations(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (~value & fixed0) | (value & ~fixed1);
}

enum vmx_fc_action vmx_feature_control_decide(uint64_t fc, bool inside_smx,
                                              uint64_t *write_value)
{
    uint64_t need = inside_smx ? FEATURE_CONTROL_VMX_INSIDE_SMX
                               : FEATURE_CONTROL_VMX_OUTSIDE_SMX;

    /* SDM Vol. 3C 24.7: once the lock bit is set the MSR cannot be written
     * until reset, and VMXON faults unless the enable bit for the current
     * mode is set. Unlocked, VMXON faults too, so we lock it ourselves. */
    if (fc & FEATURE_CONTROL_LOCK)
        return (fc & need) ? VMX_FC_ALREADY_ENABLED : VMX_FC_DISABLED_BY_FIRMWARE;
    if (write_value)
        *write_value = fc | need | FEATURE_CONTROL_LOCK;
    return VMX_FC_LOCK_AND_ENABLE;
}

unsigned vmx_caps_check_root(const struct vmx_caps *c, const char **msgs, unsigned max)
{
    unsigned n = 0;

#define PROBLEM(s) do { if (n < max) msgs[n] = (s); n++; } while (0)
    if (!c->vmx) {
        PROBLEM("this CPU has no VT-x (CPUID.1:ECX.VMX = 0)");
        return n;
    }
    /* SDM Vol. 3D A.1: the memory type for the VMXON region and VMCSs;
     * the core maps all RAM write-back. */
    if (c->memtype != VMX_MEMTYPE_WB)
        PROBLEM("IA32_VMX_BASIC asks for VMX structures that are not write-back; unsupported");
    if (c->region_size == 0)
        PROBLEM("IA32_VMX_BASIC reports a VMXON region size of 0");
    else if (c->region_size > VMX_REGION_MAX)
        PROBLEM("IA32_VMX_BASIC reports a VMXON region larger than 4096 bytes");
    /* SDM Vol. 3D A.7, A.8: a bit both required and forbidden. */
    if (c->cr0_fixed0 & ~c->cr0_fixed1)
        PROBLEM("IA32_VMX_CR0_FIXED0/1 contradict each other");
    if (c->cr4_fixed0 & ~c->cr4_fixed1)
        PROBLEM("IA32_VMX_CR4_FIXED0/1 contradict each other");
#undef PROBLEM
    return n;
}

const char *vmx_region_problem(const struct vmx_caps *c, uint64_t phys)
{
    if (!IS_ALIGNED(phys, PAGE_SIZE))
        return "VMXON region is not 4 KiB aligned";
    if (c->pa_32bit && phys + c->region_size > GiB(4))
        return "VMXON region is above 4 GiB but IA32_VMX_BASIC limits VMX structures to 32-bit addresses";
    return NULL;
}

/* An append-only line: hv_snprintf semantics over several calls. */
struct line {
    char *buf;
    size_t size;
    size_t len;     /* length the full output would have */
};

static void __printf(2, 3) line_add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    size_t off = l->len < l->size ? l->len : l->size;
    char *dst = l->size ? l->buf + off : NULL;
    size_t room = l->size - off;

    va_start(ap, fmt);
    int n = hv_vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
}

/* " name" when present, " name:no" when not; the first item has no space. */
static void line_feature(struct line *l, const char *name, bool present)
{
    line_add(l, "%s%s%s", l->len ? " " : "", name, present ? "" : ":no");
}

int vmx_caps_summary(const struct vmx_caps *c, char *buf, size_t size)
{
    struct line l = { .buf = buf, .size = size, .len = 0 };

    if (size)
        buf[0] = '\0';
    if (!c->vmx) {
        line_add(&l, "none (no VT-x)");
        return (int)l.len;
    }

    if (!c->ept) {
        line_feature(&l, "EPT", false);
    } else {
        /* Page sizes, then what a plain 4-level WB EPT would lack. */
        const char *parts[5];
        unsigned n = 0;
        if (c->ept_2m)
            parts[n++] = "2M";
        if (c->ept_1g)
            parts[n++] = "1G";
        if (!c->ept_walk4)
            parts[n++] = "no-4-level";
        if (!c->ept_wb)
            parts[n++] = "no-WB";
        if (!c->invept)
            parts[n++] = "no-INVEPT";
        line_add(&l, "EPT");
        for (unsigned i = 0; i < n; i++)
            line_add(&l, "%c%s", i ? ',' : '(', parts[i]);
        if (n)
            line_add(&l, ")");
    }
    if (c->vpid && !c->invvpid)
        line_add(&l, " VPID(no-INVVPID)");
    else
        line_feature(&l, "VPID", c->vpid);
    line_feature(&l, "unrestricted-guest", c->unrestricted_guest);
    if (c->preemption_timer)
        line_add(&l, " preemption-timer(TSC/%u)", 1u << c->preemption_timer_rate);
    else
        line_feature(&l, "preemption-timer", false);
    line_feature(&l, "msr-bitmaps", c->msr_bitmaps);
    line_feature(&l, "io-bitmaps", c->io_bitmaps);
    line_feature(&l, "apic-virt", c->apic_access);
    line_feature(&l, "x2apic-virt", c->virt_x2apic);
    line_feature(&l, "apic-reg-virt", c->apic_reg_virt);
    line_feature(&l, "virt-intr-delivery", c->virt_intr_delivery);
    line_feature(&l, "posted-interrupts", c->posted_interrupts);
    line_feature(&l, "rdtscp", c->rdtscp);
    line_feature(&l, "invpcid", c->invpcid);
    line_feature(&l, "xsaves", c->xsaves);
    line_feature(&l, "efer-load-save",
                 c->entry_load_efer && c->exit_load_efer && c->exit_save_efer);
    line_feature(&l, "pat-load-save",
                 c->entry_load_pat && c->exit_load_pat && c->exit_save_pat);
    line_feature(&l, "wait-for-sipi", c->act_wait_sipi);
    /* Every Intel 64 CPU has these; only their absence is news. */
    if (!c->exit_host_addr_space)
        line_feature(&l, "64-bit-host", false);
    if (!c->entry_ia32e_guest)
        line_feature(&l, "64-bit-guest", false);
    return (int)l.len;
}

const char *vmx_insn_error_name(uint32_t err)
{
    /* SDM Vol. 3C 31.4, Table 31-1 (VM-instruction error numbers). */
    static const char *const names[] = {
        [1]  = "VMCALL executed in VMX root operation",
        [2]  = "VMCLEAR with invalid physical address",
        [3]  = "VMCLEAR with VMXON pointer",
        [4]  = "VMLAUNCH with non-clear VMCS",
        [5]  = "VMRESUME with non-launched VMCS",
        [6]  = "VMRESUME after VMXOFF",
        [7]  = "VM entry with invalid control field(s)",
        [8]  = "VM entry with invalid host-state field(s)",
        [9]  = "VMPTRLD with invalid physical address",
        [10] = "VMPTRLD with VMXON pointer",
        [11] = "VMPTRLD with incorrect VMCS revision identifier",
        [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
        [13] = "VMWRITE to read-only VMCS component",
        [15] = "VMXON executed in VMX root operation",
        [16] = "VM entry with invalid executive-VMCS pointer",
        [17] = "VM entry with non-launched executive VMCS",
        [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
        [19] = "VMCALL with non-clear VMCS",
        [20] = "VMCALL with invalid VM-exit control fields",
        [22] = "VMCALL with incorrect MSEG revision identifier",
        [23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
        [24] = "VMCALL with invalid SMM-monitor features",
        [25] = "VM entry with invalid VM-execution control fields in executive VMCS",
        [26] = "VM entry with events blocked by MOV SS",
        [28] = "invalid operand to INVEPT/INVVPID",
    };

    if (err < ARRAY_SIZE(names) && names[err])
        return names[err];
    return "unknown error";
}
