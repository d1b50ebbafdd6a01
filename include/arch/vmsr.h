/*
 * Guest MSR policy, pure logic: which MSRs a guest may use and what it
 * sees (the whole table, with reasons: docs/cpu-policy.md). Every MSR
 * access that exits comes here, after the local APIC's (x2APIC MSRs and
 * IA32_TSC_DEADLINE, vm/vlapic_io.c); this module decides:
 *   - VMCS-backed MSRs (EFER, PAT, SYSENTER_*, FS/GS base, DEBUGCTL) are
 *     read and written in the guest-state area (the caller does the
 *     VMREAD/VMWRITE);
 *   - virtualized MSRs (APIC base, MISC_ENABLE, MTRRs, TSC_ADJUST) live
 *     in struct vmsr; some read a fixed value (FEATURE_CONTROL locked
 *     with VMX off, UCODE_REV, PLATFORM_ID, PLATFORM_INFO, MCG_CAP with
 *     no banks, MCG_STATUS);
 *   - everything else raises #GP, as on a CPU without the MSR, and the
 *     CPUID policy (vm/cpuid_policy.c) hides what would advertise it.
 * KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK and TSC_AUX are passed
 * through in the MSR bitmap and switched per vCPU (vm/vcpu_state.c):
 * they never exit, and if they did they would get #GP here.
 */
#ifndef ARCH_VMSR_H
#define ARCH_VMSR_H

#include <hv/compiler.h>

#define VMSR_VAR_MTRRS 8

struct vmsr {
    uint64_t apic_base;
    uint64_t misc_enable;
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[VMSR_VAR_MTRRS * 2];      /* base, mask pairs */
    uint64_t tsc_adjust;                        /* moves the TSC: exit/msr.c */
};

enum vmsr_result {
    VMSR_OK = 0,        /* value read or written in struct vmsr */
    VMSR_GP,            /* inject #GP(0) */
    VMSR_VMCS,          /* access the VMCS field *field */
    VMSR_TSC,           /* IA32_TIME_STAMP_COUNTER: the caller reads RDTSC (+ offset) */
};

/* Power-on values (SDM Vol. 3A 10.1.1, table 10-1): APIC enabled at
 * 0xfee00000 (BSP flag for the boot vCPU), MTRRs disabled. */
void vmsr_reset(struct vmsr *s, bool bsp);
enum vmsr_result vmsr_read(const struct vmsr *s, uint32_t msr, uint64_t *val, uint32_t *field);
/* Reserved bits of EFER, PAT, DEBUGCTL and canonical bases are checked
 * here; the caller refuses a change of EFER.LME while paging is on,
 * writes the VMCS, and sets IA32_EFER.LMA itself on paging enable. */
enum vmsr_result vmsr_write(struct vmsr *s, uint32_t msr, uint64_t val, uint32_t *field);

#endif
