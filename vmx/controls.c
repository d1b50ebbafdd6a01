/* VMX control computation (see include/arch/vmx_controls.h). */
#include <arch/vmx_controls.h>
#include <hv/fmt.h>

struct want {
    const char *what;
    uint32_t required, optional;
    const struct vmx_ctl_cap *cap;
    uint32_t *out;
};

static int adjust(const struct want *w, char *problem, size_t size)
{
    uint32_t missing = 0;

    if (vmx_adjust_controls(w->required, w->optional, w->cap->msr, w->out, &missing) == 0)
        return 0;
    hv_snprintf(problem, size, "required %s control bit %d is not supported by this CPU",
                w->what, __builtin_ctz(missing));
    return -1;
}

int vmx_controls_compute(const struct vmx_caps *c, struct vmx_controls *o,
                         char *problem, size_t size)
{
    /* Secondary controls need the primary bit (SDM Vol. 3C 25.6.2). */
    if (!(c->proc.allowed1 & VMX_PROC_SECONDARY_CTLS)) {
        hv_snprintf(problem, size, "no secondary processor-based controls (no EPT)");
        return -1;
    }
    const struct want wants[] = {
        /* External interrupts and NMIs belong to the host. */
        { "pin-based", VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING,
          VMX_PIN_VIRTUAL_NMIS | VMX_PIN_PREEMPTION_TIMER, &c->pin, &o->pin },
        /* Every port and MSR access goes through the bitmaps; HLT blocks
         * the vCPU. CR3 accesses need no exits with EPT. CR8 is the
         * guest's TPR, kept in its virtual local APIC: without these
         * exits (and without a TPR shadow) MOV CR8 would reach the real
         * APIC's TPR (SDM Vol. 3C 26.3, 29.3). */
        { "processor-based", VMX_PROC_HLT_EXITING | VMX_PROC_IO_BITMAPS |
          VMX_PROC_MSR_BITMAPS | VMX_PROC_SECONDARY_CTLS | VMX_PROC_CR8_LOAD_EXITING |
          VMX_PROC_CR8_STORE_EXITING, VMX_PROC_TSC_OFFSETTING,
          &c->proc, &o->proc },
        /* EPT isolates guests; unrestricted guest runs real mode and
         * unpaged protected mode (multiboot) natively. RDTSCP and INVPCID
         * would #UD in the guest without their enables; XSAVES stays off,
         * so it #UDs, as CPUID (which hides it) says. */
        { "secondary processor-based", VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST,
          VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_RDTSCP | VMX_PROC2_ENABLE_INVPCID,
          &c->proc2, &o->proc2 },
        /* 64-bit host; interrupts acknowledged on exit (the vector is in
         * the exit information); EFER and PAT switched on every exit. */
        /* DR7 and IA32_DEBUGCTL are the guest's: saved on exit and loaded
         * on entry (SDM Vol. 3C 27.3.1, 26.3.2.1), the host's DR7 is then
         * 0x400 (28.5.1). */
        { "VM-exit", VMX_EXIT_HOST_ADDR_SPACE_SIZE | VMX_EXIT_ACK_INTR_ON_EXIT |
          VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER | VMX_EXIT_SAVE_DEBUG_CTLS,
          VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT, &c->exit, &o->exit },
        { "VM-entry", VMX_ENTRY_LOAD_EFER | VMX_ENTRY_LOAD_DEBUG_CTLS, VMX_ENTRY_LOAD_PAT,
          &c->entry, &o->entry },
    };
    for (size_t i = 0; i < ARRAY_SIZE(wants); i++)
        if (adjust(&wants[i], problem, size))
            return -1;
    /* The secondary word is only defined when the primary bit is set. */
    o->vpid = (o->proc2 & VMX_PROC2_ENABLE_VPID) != 0;
    /* A 32-bit guest must not start in IA-32e mode, whatever allowed0 says. */
    if (o->entry & VMX_ENTRY_IA32E_MODE_GUEST) {
        hv_snprintf(problem, size, "VM-entry control 'IA-32e mode guest' is forced to 1");
        return -1;
    }
    return 0;
}
