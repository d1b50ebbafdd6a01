/* A virtual CPU: its VMCS, the registers the VMCS does not hold, and the
 * link to its guest. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <hv/compiler.h>
#include <arch/vmsr.h>
#include <arch/vlapic.h>
#include <hv/sched_policy.h>

/* Order fixed by vmx/entry.asm. */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct guest;
struct percpu;

#define VCPU_EXIT_SLOTS 71          /* EXIT_REASON_MAX + 1 (include/hv/guest.h) */

struct vcpu {
    struct guest_regs regs;
    uint64_t host_rsp;                 /* HOST_RSP in its VMCS, 0: unknown (vmx/entry.asm) */
    struct guest *guest;
    unsigned id;                       /* index in the guest; its APIC ID */
    void *vmcs;
    uint8_t *io_bitmaps, *msr_bitmap;  /* kept across restarts */
    uint64_t vmcs_pa;
    uint16_t vpid;
    bool launched;
    uint64_t cr0_shadow, cr4_shadow;   /* what the guest believes */
    struct vmsr msr;                   /* virtualized MSRs */
    /* VMX fixed bits (with unrestricted guest, PE and PG are free) and
     * the bits owned by the host (guest/host masks). */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t cr0_mask, cr4_mask;
    uint32_t entry_ctls;
    uint32_t proc_ctls;                /* current primary controls (interrupt window) */
    bool preemption_timer;             /* VMX-preemption timer active */
    bool preemption_armed;             /* set to a guest deadline, not parked */
    unsigned preemption_rate;          /* timer counts TSC >> rate */
    struct vlapic lapic;
    /* the exit being handled */
    uint32_t exit_reason;
    uint32_t exit_insn_len;

    /* Scheduling (core/schedule.c). Changed under the scheduler lock. */
    struct sched_vcpu sv;
    struct percpu *cpu;                /* CPU it is attached to, NULL: none */
    struct percpu *vmcs_cpu;           /* CPU its VMCS is active on, NULL: clear */
    uint64_t allowed;                  /* CPUs it may run on (bit per CPU index < 64) */
    bool needs_setup;                  /* VMCS to (re)build before it runs */
    bool wait_sipi;                    /* wait-for-SIPI: an AP not started yet */
    bool halt_irq_off;                 /* its last HLT was with interrupts disabled */
    uint16_t start_cs;                 /* real-mode start (SIPI vector << 8) */
    uint64_t run_until;                /* TSC: leave the guest by then (0: no limit) */
    /* Exits of this vCPU per reason (last slot: out of range), counted
     * by the CPU it runs on: no atomics on the exit path. */
    uint64_t exit_count[VCPU_EXIT_SLOTS];
    uint64_t exit_cycles[VCPU_EXIT_SLOTS];          /* TSC ticks in the handlers */
    /* Events posted by other vCPUs (any CPU), taken before each entry. */
    volatile uint32_t posted[8];       /* fixed-interrupt vectors */
    volatile uint32_t posted_any;
    volatile uint32_t posted_nmi;
    volatile uint32_t init_req;        /* INIT received: back to wait-for-SIPI */
    volatile uint32_t sipi_req;        /* 0x100 | vector: SIPI that follows the INIT */
};

_Static_assert(__builtin_offsetof(struct vcpu, host_rsp) == 120,
               "vmx/entry.asm finds host_rsp at V_HOST_RSP");

/* 0 after a VM exit; 1 VMfailInvalid; 2 VMfailValid. Takes the vCPU
 * (its registers come first, then host_rsp). */
int vmx_enter(struct vcpu *v, int launched);

/* VMCS life cycle (vmx/vmcs.c). */
int vcpu_vmcs_create(struct vcpu *v, struct percpu *pc);
void vcpu_dump(struct vcpu *v, const char *why);
/* Point the vCPU at its guest's entry: 32-bit flat (multiboot) or real mode. */
void vcpu_set_entry(struct vcpu *v);
/* Why vcpu_run returned (vmx/run.c). */
enum run_result {
    RUN_STOPPED = 0,    /* its guest stopped */
    RUN_BLOCKED,        /* HLT: wait for an interrupt */
    RUN_PREEMPTED,      /* run_until passed */
    RUN_KICKED,         /* the CPU has to reschedule, or INIT arrived */
};
/* Enter the guest until it stops, blocks, runs out of time or is kicked. */
enum run_result vcpu_run(struct vcpu *v, volatile uint32_t *resched);
/* Make the VMCS current on `pc` (VMPTRLD), fixing host state and TLBs
 * when it last ran elsewhere (vmx/vmcs.c). */
bool vcpu_vmcs_load(struct vcpu *v, struct percpu *pc);
/* VMCLEAR on the CPU it is active on (the caller's). */
void vcpu_vmcs_clear(struct vcpu *v);
/* Real-mode start at CS:0 (an AP after SIPI). */
void vcpu_set_real_entry(struct vcpu *v, uint16_t cs, uint16_t ip);

/* General register N as numbered in exit qualifications (SDM Vol. 3C
 * table 28-3: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15). */
uint64_t vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val);

/* All exits of this vCPU. */
uint64_t vcpu_exit_total(const struct vcpu *v);

/* Skip the instruction that caused the exit. */
void vcpu_skip_insn(struct vcpu *v);
/* Queue an exception for the next VM entry (SDM Vol. 3C 26.6). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

#endif
