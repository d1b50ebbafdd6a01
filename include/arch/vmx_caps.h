/*
 * VMX capability discovery and control computation: pure logic over the raw
 * values of the VMX capability MSRs (SDM Vol. 3D Appendix A), so the same
 * code runs on each CPU at start-up and in the host unit tests.
 *
 * Section numbers follow the SDM edition where VMX starts at chapter 24
 * (Vol. 3C 24.7 "Enabling and Entering VMX Operation", 25.x the VMCS,
 * 27.x VM entries, 31.x the VMX instruction reference).
 *
 * This header is x86-specific but host-safe: it includes only <hv/...>.
 */
#ifndef ARCH_VMX_CAPS_H
#define ARCH_VMX_CAPS_H

#include <hv/compiler.h>

/* CPUID.1:ECX feature bits that matter here (SDM Vol. 2A, CPUID). */
#define CPUID1_ECX_VMX  BIT(5)
#define CPUID1_ECX_SMX  BIT(6)

/* IA32_VMX_BASIC (SDM Vol. 3D A.1). */
#define VMX_BASIC_REVISION_MASK   0x7fffffffULL    /* bits 30:0; bit 31 is 0 */
#define VMX_BASIC_SIZE_SHIFT      32               /* bits 44:32 */
#define VMX_BASIC_SIZE_MASK       0x1fffULL
#define VMX_BASIC_PA_32BIT        BIT(48)
#define VMX_BASIC_DUAL_MONITOR    BIT(49)
#define VMX_BASIC_MEMTYPE_SHIFT   50               /* bits 53:50 */
#define VMX_BASIC_MEMTYPE_MASK    0xfULL
#define VMX_BASIC_INS_OUTS_INFO   BIT(54)
#define VMX_BASIC_TRUE_CTLS       BIT(55)

#define VMX_MEMTYPE_UC  0
#define VMX_MEMTYPE_WB  6

/* The VMXON region and a VMCS are at most 4 KiB (SDM Vol. 3D A.1). */
#define VMX_REGION_MAX  4096u

/* Pin-based VM-execution controls (SDM Vol. 3C 25.6.1, Table 25-5). */
#define VMX_PIN_EXT_INTR_EXITING     BIT(0)
#define VMX_PIN_NMI_EXITING          BIT(3)
#define VMX_PIN_VIRTUAL_NMIS         BIT(5)
#define VMX_PIN_PREEMPTION_TIMER     BIT(6)
#define VMX_PIN_POSTED_INTR          BIT(7)

/* Primary processor-based VM-execution controls (SDM Vol. 3C 25.6.2,
 * Table 25-6). */
#define VMX_PROC_INTR_WINDOW_EXITING BIT(2)
#define VMX_PROC_TSC_OFFSETTING      BIT(3)
#define VMX_PROC_HLT_EXITING         BIT(7)
#define VMX_PROC_INVLPG_EXITING      BIT(9)
#define VMX_PROC_MWAIT_EXITING       BIT(10)
#define VMX_PROC_RDPMC_EXITING       BIT(11)
#define VMX_PROC_RDTSC_EXITING       BIT(12)
#define VMX_PROC_CR3_LOAD_EXITING    BIT(15)
#define VMX_PROC_CR3_STORE_EXITING   BIT(16)
#define VMX_PROC_TERTIARY_CTLS       BIT(17)
#define VMX_PROC_CR8_LOAD_EXITING    BIT(19)
#define VMX_PROC_CR8_STORE_EXITING   BIT(20)
#define VMX_PROC_TPR_SHADOW          BIT(21)
#define VMX_PROC_NMI_WINDOW_EXITING  BIT(22)
#define VMX_PROC_MOV_DR_EXITING      BIT(23)
#define VMX_PROC_UNCOND_IO_EXITING   BIT(24)
#define VMX_PROC_IO_BITMAPS          BIT(25)
#define VMX_PROC_MONITOR_TRAP_FLAG   BIT(27)
#define VMX_PROC_MSR_BITMAPS         BIT(28)
#define VMX_PROC_MONITOR_EXITING     BIT(29)
#define VMX_PROC_PAUSE_EXITING       BIT(30)
#define VMX_PROC_SECONDARY_CTLS      BIT(31)

/* Secondary processor-based VM-execution controls (SDM Vol. 3C 25.6.2,
 * Table 25-7). */
#define VMX_PROC2_VIRT_APIC_ACCESSES BIT(0)
#define VMX_PROC2_ENABLE_EPT         BIT(1)
#define VMX_PROC2_DESC_TABLE_EXITING BIT(2)
#define VMX_PROC2_ENABLE_RDTSCP      BIT(3)
#define VMX_PROC2_VIRT_X2APIC_MODE   BIT(4)
#define VMX_PROC2_ENABLE_VPID        BIT(5)
#define VMX_PROC2_WBINVD_EXITING     BIT(6)
#define VMX_PROC2_UNRESTRICTED_GUEST BIT(7)
#define VMX_PROC2_APIC_REG_VIRT      BIT(8)
#define VMX_PROC2_VIRT_INTR_DELIVERY BIT(9)
#define VMX_PROC2_PAUSE_LOOP_EXITING BIT(10)
#define VMX_PROC2_RDRAND_EXITING     BIT(11)
#define VMX_PROC2_ENABLE_INVPCID     BIT(12)
#define VMX_PROC2_ENABLE_VMFUNC      BIT(13)
#define VMX_PROC2_VMCS_SHADOWING     BIT(14)
#define VMX_PROC2_ENCLS_EXITING      BIT(15)
#define VMX_PROC2_RDSEED_EXITING     BIT(16)
#define VMX_PROC2_ENABLE_PML         BIT(17)
#define VMX_PROC2_EPT_VIOLATION_VE   BIT(18)
#define VMX_PROC2_CONCEAL_VMX_FROM_PT BIT(19)
#define VMX_PROC2_ENABLE_XSAVES      BIT(20)
#define VMX_PROC2_MODE_BASED_EPT_EXEC BIT(22)
#define VMX_PROC2_TSC_SCALING        BIT(25)
#define VMX_PROC2_USER_WAIT_PAUSE    BIT(26)

/* Primary VM-exit controls (SDM Vol. 3C 25.7.1, Table 25-13). */
#define VMX_EXIT_SAVE_DEBUG_CTLS     BIT(2)
#define VMX_EXIT_HOST_ADDR_SPACE_SIZE BIT(9)
#define VMX_EXIT_LOAD_PERF_GLOBAL    BIT(12)
#define VMX_EXIT_ACK_INTR_ON_EXIT    BIT(15)
#define VMX_EXIT_SAVE_PAT            BIT(18)
#define VMX_EXIT_LOAD_PAT            BIT(19)
#define VMX_EXIT_SAVE_EFER           BIT(20)
#define VMX_EXIT_LOAD_EFER           BIT(21)
#define VMX_EXIT_SAVE_PREEMPT_TIMER  BIT(22)
#define VMX_EXIT_CLEAR_BNDCFGS       BIT(23)
#define VMX_EXIT_CONCEAL_VMX_FROM_PT BIT(24)

/* VM-entry controls (SDM Vol. 3C 25.8.1, Table 25-15). */
#define VMX_ENTRY_LOAD_DEBUG_CTLS    BIT(2)
#define VMX_ENTRY_IA32E_MODE_GUEST   BIT(9)
#define VMX_ENTRY_ENTRY_TO_SMM       BIT(10)
#define VMX_ENTRY_DEACT_DUAL_MONITOR BIT(11)
#define VMX_ENTRY_LOAD_PERF_GLOBAL   BIT(13)
#define VMX_ENTRY_LOAD_PAT           BIT(14)
#define VMX_ENTRY_LOAD_EFER          BIT(15)
#define VMX_ENTRY_LOAD_BNDCFGS       BIT(16)
#define VMX_ENTRY_CONCEAL_VMX_FROM_PT BIT(17)

/* IA32_VMX_MISC (SDM Vol. 3D A.6). */
#define VMX_MISC_PREEMPT_RATE_MASK   0x1fULL       /* bits 4:0 */
#define VMX_MISC_STORE_LMA           BIT(5)
#define VMX_MISC_ACT_HLT             BIT(6)
#define VMX_MISC_ACT_SHUTDOWN        BIT(7)
#define VMX_MISC_ACT_WAIT_SIPI       BIT(8)
#define VMX_MISC_CR3_TARGETS_SHIFT   16            /* bits 24:16 */
#define VMX_MISC_CR3_TARGETS_MASK    0x1ffULL
#define VMX_MISC_MSR_LIST_SHIFT      25            /* bits 27:25 */
#define VMX_MISC_MSR_LIST_MASK       0x7ULL
#define VMX_MISC_VMWRITE_ANY         BIT(29)

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D A.10). */
#define VMX_EPT_EXEC_ONLY            BIT(0)
#define VMX_EPT_WALK_4               BIT(6)
#define VMX_EPT_WALK_5               BIT(7)
#define VMX_EPT_MEMTYPE_UC           BIT(8)
#define VMX_EPT_MEMTYPE_WB           BIT(14)
#define VMX_EPT_2M_PAGES             BIT(16)
#define VMX_EPT_1G_PAGES             BIT(17)
#define VMX_EPT_INVEPT               BIT(20)
#define VMX_EPT_AD_FLAGS             BIT(21)
#define VMX_EPT_INVEPT_SINGLE        BIT(25)
#define VMX_EPT_INVEPT_ALL           BIT(26)
#define VMX_VPID_INVVPID             BIT(32)
#define VMX_VPID_INVVPID_ADDR        BIT(40)
#define VMX_VPID_INVVPID_SINGLE      BIT(41)
#define VMX_VPID_INVVPID_ALL         BIT(42)
#define VMX_VPID_INVVPID_SINGLE_GLOBALS BIT(43)

/* The raw values read from one CPU. The *_valid flags say whether an MSR
 * was readable; the architectural conditions for its existence are applied
 * again by vmx_caps_from_msrs, so a flag set for an MSR the CPU does not
 * enumerate is ignored. */
struct vmx_msrs {
    uint32_t cpuid1_ecx;
    uint64_t basic;
    uint64_t pinbased, procbased, exit, entry;
    bool true_valid;            /* TRUE_* read (only when basic bit 55) */
    uint64_t true_pinbased, true_procbased, true_exit, true_entry;
    bool procbased2_valid;      /* only when procbased bit 63 */
    uint64_t procbased2;
    bool ept_vpid_cap_valid;    /* only when EPT or VPID may be enabled */
    uint64_t ept_vpid_cap;
    bool vmfunc_valid;          /* only when VM functions may be enabled */
    uint64_t vmfunc;
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t feature_control;
};

/* The allowed settings of one 32-bit control word (SDM Vol. 3D A.3-A.5). */
struct vmx_ctl_cap {
    uint64_t msr;       /* the capability MSR the values came from */
    uint32_t allowed0;  /* low half: bits that must be 1 */
    uint32_t allowed1;  /* high half: bits that may be 1 */
};

struct vmx_caps {
    bool vmx;                   /* CPUID.1:ECX.VMX */
    uint32_t revision_id;
    uint32_t region_size;       /* bytes for the VMXON region and a VMCS */
    bool pa_32bit;              /* VMX structures must lie below 4 GiB */
    uint8_t memtype;            /* VMX_MEMTYPE_* for VMX structures */
    bool true_ctls;             /* the TRUE_ MSRs were used */

    struct vmx_ctl_cap pin, proc, proc2, exit, entry;
    uint64_t ept_vpid_cap;      /* 0 when absent */
    uint64_t vmfunc;            /* 0 when absent */
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;

    /* What later work needs, each true only when usable as is. */
    bool secondary;
    bool ept, ept_walk4, ept_wb, ept_2m, ept_1g, ept_ad;
    bool invept, invept_single, invept_all;
    bool vpid, invvpid, invvpid_addr, invvpid_single, invvpid_all;
    bool invvpid_single_globals;
    bool unrestricted_guest;
    bool preemption_timer;
    uint8_t preemption_timer_rate;  /* timer ticks every 2^rate TSC ticks */
    bool msr_bitmaps, io_bitmaps, tpr_shadow;
    bool apic_access, virt_x2apic, apic_reg_virt, virt_intr_delivery;
    bool posted_interrupts;
    bool rdtscp, invpcid, xsaves;
    bool entry_load_efer, exit_save_efer, exit_load_efer;
    bool entry_load_pat, exit_save_pat, exit_load_pat;
    bool exit_host_addr_space;      /* 64-bit host after VM exit */
    bool entry_ia32e_guest;
    bool exit_ack_intr;
    bool act_hlt, act_shutdown, act_wait_sipi;
    unsigned cr3_targets;
    unsigned msr_list_max;          /* recommended MSR-load/store list max */
};

static inline uint32_t vmx_allowed0(uint64_t cap_msr) { return (uint32_t)cap_msr; }
static inline uint32_t vmx_allowed1(uint64_t cap_msr) { return (uint32_t)(cap_msr >> 32); }

/* Fill `c` from the raw MSR values of one CPU. Controls come from the TRUE_
 * MSRs when IA32_VMX_BASIC bit 55 is set and they were readable. */
void vmx_caps_from_msrs(const struct vmx_msrs *m, struct vmx_caps *c);

/*
 * Compute a 32-bit control word from a capability MSR (allowed-0 in the low
 * half, allowed-1 in the high half): required bits, plus the optional bits
 * the CPU allows, plus the bits the CPU forces to 1. Returns 0 on success;
 * -1 when a required bit may not be 1, with those bits in *missing (may be
 * NULL) and *out still the best legal word (required bits dropped).
 */
int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap_msr,
                        uint32_t *out, uint32_t *missing);

/* CR0/CR4 in VMX operation (SDM Vol. 3D A.7, A.8): bits set in FIXED0 must
 * be 1, bits clear in FIXED1 must be 0. */
uint64_t vmx_fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1);
/* The bits of `value` that violate the fixed settings (0: none). */
uint64_t vmx_fixed_violations(uint64_t value, uint64_t fixed0, uint64_t fixed1);

/* What to do with IA32_FEATURE_CONTROL before VMXON (SDM Vol. 3C 24.7). */
enum vmx_fc_action {
    VMX_FC_ALREADY_ENABLED,     /* locked with the needed enable bit */
    VMX_FC_LOCK_AND_ENABLE,     /* unlocked: write *write_value */
    VMX_FC_DISABLED_BY_FIRMWARE,/* locked without it: only a reset helps */
};

/* `inside_smx`: VMXON will run inside SMX operation (after GETSEC[SENTER]);
 * the hypervisor normally passes false. For LOCK_AND_ENABLE, *write_value
 * (may be NULL) gets fc with the lock and the needed enable bit set. */
enum vmx_fc_action vmx_feature_control_decide(uint64_t fc, bool inside_smx,
                                              uint64_t *write_value);

/*
 * The problems that prevent VMX root operation with these capabilities, one
 * static message each: up to `max` are stored in msgs[], the total count is
 * returned (0: VMXON can be tried).
 */
unsigned vmx_caps_check_root(const struct vmx_caps *c, const char **msgs, unsigned max);

/* Whether a VMXON region or VMCS may live at `phys` (SDM Vol. 3C 31.3
 * VMXON: 4 KiB aligned, within the physical-address width). NULL if fine. */
const char *vmx_region_problem(const struct vmx_caps *c, uint64_t phys);

/*
 * The one-line feature summary, e.g. "EPT(2M,1G) VPID unrestricted-guest
 * preemption-timer(TSC/32) ... posted-interrupts:no ...": present features
 * by name, absent ones as "name:no". Returns what hv_snprintf returns.
 */
#define VMX_SUMMARY_MAX 320
int vmx_caps_summary(const struct vmx_caps *c, char *buf, size_t size);

/* VM-instruction error field (VMCS encoding 0x4400) after VMfailValid. */
#define VMCS_VM_INSTRUCTION_ERROR 0x4400u
/* Its meaning (SDM Vol. 3C 31.4, Table 31-1); "unknown error" if not listed. */
const char *vmx_insn_error_name(uint32_t err);

#endif
