/*
 * The exit table: every basic exit reason of SDM Vol. 3D appendix C
 * (0-69) with its name and handler. Pure data, so the host unit tests
 * check that it is complete (tests/unit/test_exit_table.c).
 */
#include <arch/vmexit.h>

#define E(n, h) { n, h }
const struct exit_entry exit_table[EXIT_REASON_COUNT] = {
    [0] = E("exception or NMI", exit_exception_nmi),
    [1] = E("external interrupt", exit_external_interrupt),
    [2] = E("triple fault", exit_triple_fault),
    [3] = E("INIT signal", exit_unexpected),
    [4] = E("SIPI", exit_unexpected),
    [5] = E("I/O SMI", exit_unexpected),
    [6] = E("other SMI", exit_unexpected),
    [7] = E("interrupt window", exit_resume),
    [8] = E("NMI window", exit_unexpected),
    [9] = E("task switch", exit_unexpected),
    [10] = E("CPUID", exit_cpuid),
    [11] = E("GETSEC", exit_unexpected),
    [12] = E("HLT", exit_hlt),
    [13] = E("INVD", exit_cache),
    [14] = E("INVLPG", exit_unexpected),
    [15] = E("RDPMC", exit_unexpected),
    [16] = E("RDTSC", exit_unexpected),
    [17] = E("RSM", exit_unexpected),
    [18] = E("VMCALL", exit_vmcall),
    [19] = E("VMCLEAR", exit_vmx_insn),
    [20] = E("VMLAUNCH", exit_vmx_insn),
    [21] = E("VMPTRLD", exit_vmx_insn),
    [22] = E("VMPTRST", exit_vmx_insn),
    [23] = E("VMREAD", exit_vmx_insn),
    [24] = E("VMRESUME", exit_vmx_insn),
    [25] = E("VMWRITE", exit_vmx_insn),
    [26] = E("VMXOFF", exit_vmx_insn),
    [27] = E("VMXON", exit_vmx_insn),
    [28] = E("control-register access", exit_cr_access),
    [29] = E("MOV DR", exit_unexpected),
    [30] = E("I/O instruction", exit_io),
    [31] = E("RDMSR", exit_rdmsr),
    [32] = E("WRMSR", exit_wrmsr),
    [33] = E("VM-entry failure: invalid guest state", exit_invalid_state),
    [34] = E("VM-entry failure: MSR loading", exit_unexpected),
    [35] = E("reserved 35", exit_unexpected),
    [36] = E("MWAIT", exit_unexpected),
    [37] = E("monitor trap flag", exit_unexpected),
    [38] = E("reserved 38", exit_unexpected),
    [39] = E("MONITOR", exit_unexpected),
    [40] = E("PAUSE", exit_unexpected),
    [41] = E("VM-entry failure: machine check", exit_unexpected),
    [42] = E("reserved 42", exit_unexpected),
    [43] = E("TPR below threshold", exit_unexpected),
    [44] = E("APIC access", exit_unexpected),
    [45] = E("virtualized EOI", exit_unexpected),
    [46] = E("GDTR/IDTR access", exit_unexpected),
    [47] = E("LDTR/TR access", exit_unexpected),
    [48] = E("EPT violation", exit_ept_violation),
    [49] = E("EPT misconfiguration", exit_unexpected),
    [50] = E("INVEPT", exit_vmx_insn),
    [51] = E("RDTSCP", exit_unexpected),
    [52] = E("VMX-preemption timer expired", exit_resume),
    [53] = E("INVVPID", exit_vmx_insn),
    [54] = E("WBINVD", exit_cache),
    [55] = E("XSETBV", exit_xsetbv),
    [56] = E("APIC write", exit_unexpected),
    [57] = E("RDRAND", exit_unexpected),
    [58] = E("INVPCID", exit_unexpected),
    [59] = E("VMFUNC", exit_vmx_insn),
    [60] = E("ENCLS", exit_unexpected),
    [61] = E("RDSEED", exit_unexpected),
    [62] = E("page-modification log full", exit_unexpected),
    [63] = E("XSAVES", exit_unexpected),
    [64] = E("XRSTORS", exit_unexpected),
    [65] = E("PCONFIG", exit_unexpected),
    [66] = E("SPP-related event", exit_unexpected),
    [67] = E("UMWAIT", exit_unexpected),
    [68] = E("TPAUSE", exit_unexpected),
    [69] = E("LOADIWKEY", exit_unexpected),
};

const char *vmexit_name(uint32_t reason)
{
    if (reason < EXIT_REASON_COUNT && exit_table[reason].name)
        return exit_table[reason].name;
    return "unknown";
}

