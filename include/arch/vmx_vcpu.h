/*
 * The VMX part of a vCPU (embedded in struct vcpu, include/hv/vcpu.h):
 * its VMCS and where it is active, the controls that change while it
 * runs, the CR0/CR4 shadows and masks, and the exit being handled.
 */
#ifndef ARCH_VMX_VCPU_H
#define ARCH_VMX_VCPU_H

#include <hv/compiler.h>
#include <arch/vmx_exit.h>

struct percpu;

struct vmx_vcpu {
    void *vmcs;
    uint64_t vmcs_pa;
    struct percpu *vmcs_cpu;           /* CPU its VMCS is active on, NULL: clear */
    bool launched;                     /* VMRESUME, not VMLAUNCH, next */
    uint8_t *io_bitmaps, *msr_bitmap;  /* kept across restarts */
    uint16_t vpid;
    uint64_t cr0_shadow, cr4_shadow;   /* what the guest believes */
    /* VMX fixed bits (with unrestricted guest, PE and PG are free) and
     * the bits owned by the host (guest/host masks). */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t cr0_mask, cr4_mask;
    uint32_t proc_ctls;                /* current primary controls (interrupt, NMI window) */
    bool nmi_window;                   /* virtual NMIs and NMI-window exiting available */
    bool preemption_timer;             /* VMX-preemption timer active */
    bool preemption_armed;             /* set to a guest deadline, not parked */
    unsigned preemption_rate;          /* timer counts TSC >> rate */
    /* the exit being handled */
    uint32_t exit_reason;
    uint32_t exit_insn_len;
    /* IDT-vectoring information of that exit (SDM Vol. 3C 25.9.3): the
     * event whose delivery it interrupted, re-injected unless the handler
     * queues another (exit/run.c). */
    uint32_t idt_info;
    uint32_t idt_error;
};

#endif
