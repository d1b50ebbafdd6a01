/*
 * Per-CPU VMX operation: capability discovery and VMXON/VMXOFF on the
 * running CPU (SDM Vol. 3C 24.7, 24.11). Capability logic is pure and lives
 * in <arch/vmx_caps.h>; this is the part that touches the hardware.
 */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <arch/vmx_caps.h>

#define VMX_REASON_MAX 256

struct vmx_cpu {
    bool on;                    /* in VMX root operation */
    struct vmx_msrs msrs;       /* raw values, e.g. to compare CPUs */
    struct vmx_caps caps;       /* valid once the MSRs could be read */
    void *vmxon_region;         /* while on: the caller's region */
    uint64_t vmxon_phys;
    uint32_t insn_error;        /* VM-instruction error of the last VMfailValid */
    char reason[VMX_REASON_MAX];/* why the last enable/disable failed, or "" */
};

/*
 * Enter VMX root operation on the running CPU. `region` is a zeroed or
 * scratch 4 KiB page the caller allocated (virtual address) at physical
 * address `region_phys`; it stays in use until vmx_cpu_disable.
 *
 * Reads the capability MSRs (a missing MSR does not fault), fills v->caps,
 * enables and locks IA32_FEATURE_CONTROL if the firmware left it unlocked,
 * applies the CR0/CR4 fixed bits and sets CR4.VMXE, then runs VMXON.
 * Returns 0 with v->on set, or -1 with a one-line v->reason and CR0/CR4 as
 * they were (a lock set on IA32_FEATURE_CONTROL stays until reset). Calling
 * it again while on returns 0. v->caps is meaningful once the capability
 * MSRs were read (caps.vmx false when the CPU has no VT-x).
 */
int vmx_cpu_enable(struct vmx_cpu *v, void *region, uint64_t region_phys);

/*
 * Leave VMX operation on the running CPU (VMXOFF, then clear CR4.VMXE), for
 * power-off, reset and hand-over paths: INIT is blocked in VMX root
 * operation (SDM Vol. 3C 24.8). Returns 0, also when VMX was not on; -1 with v->reason if
 * VMXOFF failed (VMX then stays on). Any current VMCS must have been
 * VMCLEARed by its owner first, or its data may be lost.
 */
int vmx_cpu_disable(struct vmx_cpu *v);

/* The running CPU's VMX start, with its report line ("vmx: cpu1 apic 1:
 * VMX on ..."); also makes every CPU leave VMX root before it halts. */
struct percpu;
void vmx_cpu_bringup(struct percpu *pc);

#endif
