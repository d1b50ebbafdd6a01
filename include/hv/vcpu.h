/*
 * A virtual CPU (vm/vcpu.c owns it): the registers the entry code saves,
 * the link to its guest, its MSR model and local APIC, the VMX part
 * (include/arch/vmx_vcpu.h), the requests other CPUs post to it, and the
 * scheduler's part, which only sched/ touches.
 *
 * Requests: a layer below the scheduler never calls up. It sets a
 * VCPU_REQ_* bit (vcpu_make_request) and kicks the CPU the vCPU is on;
 * that CPU's run loop (sched/run.c) acts on the bit before the vCPU runs
 * again, as KVM's kvm_make_request and ACRN's vcpu_make_request do.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <hv/compiler.h>
#include <arch/vmsr.h>
#include <arch/vlapic.h>
#include <arch/vmx_vcpu.h>
#include <hv/sched_policy.h>

struct guest;
struct percpu;

/* Guest state the CPU holds while the vCPU is its current one, saved
 * here when another vCPU takes the CPU (vm/vcpu_state.c). */
#define VCPU_SWITCHED_MSRS 6
struct vcpu_state {
    void *fpu;                         /* XSAVE (or FXSAVE) area */
    uint64_t xcr0;
    uint64_t dr[4], dr6;
    uint64_t cr2;
    uint64_t msr[VCPU_SWITCHED_MSRS];  /* KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, TSC_AUX */
};

/* Order fixed by vmx/entry.asm. */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Posted to a vCPU from any CPU; its run loop acts on them. */
#define VCPU_REQ_INIT       BIT(0)  /* INIT: back to wait-for-SIPI (SDM Vol. 3A 9.4) */
#define VCPU_REQ_SIPI       BIT(1)  /* SIPI with vector sipi_vector */
#define VCPU_REQ_START_APS  BIT(2)  /* it sent a SIPI to a sibling on no CPU: place it */

struct vcpu {
    struct guest_regs regs;
    uint64_t host_rsp;                 /* HOST_RSP in its VMCS, 0: unknown (vmx/entry.asm) */
    struct guest *guest;
    unsigned id;                       /* index in the guest; its APIC ID */
    struct vmx_vcpu vmx;               /* VMCS, controls, CR shadows, the exit being handled */
    struct vmsr msr;                   /* virtualized MSRs */
    struct vlapic lapic;
    struct vcpu_state state;           /* switched with the CPU, vm/vcpu_state.c */

    /* Posted by other vCPUs and CPUs, taken before each entry. */
    volatile uint32_t requests;        /* VCPU_REQ_* */
    volatile uint32_t sipi_vector;     /* with VCPU_REQ_SIPI */
    volatile uint32_t posted[8];       /* fixed-interrupt vectors */
    volatile uint32_t posted_level[8]; /* ... of them level-triggered (set first) */
    volatile uint32_t posted_any;
    volatile uint32_t posted_nmi;
    volatile uint32_t extint;          /* the 8259's INT at its LINT0 (boot vCPU; dm/vpic.c) */

    /* Exits of this vCPU per reason (last slot: out of range), counted
     * by the CPU it runs on: no atomics on the exit path. */
    uint64_t exit_count[EXIT_REASON_COUNT + 1];
    uint64_t exit_cycles[EXIT_REASON_COUNT + 1];   /* TSC ticks in the handlers */

    /* Scheduling (sched/run.c): changed under the scheduler lock. */
    struct sched_vcpu sv;
    struct percpu *cpu;                /* CPU it is attached to, NULL: none */
    uint64_t allowed;                  /* CPUs it may run on (bit per CPU index < 64) */
    bool needs_setup;                  /* VMCS to (re)build before it runs */
    bool wait_sipi;                    /* wait-for-SIPI: an AP not started yet */
    bool halt_irq_off;                 /* its last HLT was with interrupts disabled */
    uint16_t start_cs;                 /* real-mode start (SIPI vector << 8) */
    uint64_t run_until;                /* TSC: leave the guest by then (0: no limit) */
};

_Static_assert(__builtin_offsetof(struct vcpu, host_rsp) == 120,
               "vmx/entry.asm finds host_rsp at V_HOST_RSP");

/* A vCPU of guest g with index id, VPID vpid, in its power-on state. */
struct vcpu *vcpu_create(struct guest *g, unsigned id, uint16_t vpid);
void vcpu_destroy(struct vcpu *v);
/* Power-on state (SDM Vol. 3A 10.1.1): registers, MSRs, local APIC,
 * requests and posted events; vCPU 0 starts at the image's entry, the
 * others wait for SIPI (SDM Vol. 3A 9.4). The VMCS is rebuilt before it
 * runs. */
void vcpu_reset(struct vcpu *v);

/* The virtual local APIC's bus clock (what CPUID 0x40000010 EBX tells the
 * guest, in kHz there) and its timer's TSC ticks per count: one is the
 * TSC rate divided by the other, exactly. */
uint64_t vcpu_apic_bus_hz(void);
uint64_t vcpu_apic_tsc_per_tick(void);

/* Post VCPU_REQ_* bits and kick the CPU it is on. */
void vcpu_make_request(struct vcpu *v, uint32_t req);
/* Take (and clear) the requests among `mask`. */
static inline uint32_t vcpu_take_requests(struct vcpu *v, uint32_t mask)
{
    return __atomic_fetch_and(&v->requests, ~mask, __ATOMIC_ACQ_REL) & mask;
}
/* Something was posted for it: bring it out of guest mode to take it, or
 * make its CPU look at it again if it waits (HLT). */
void vcpu_kick(struct vcpu *v);
/* Post a fixed interrupt (from another vCPU, any CPU) and kick it. */
void vcpu_post_interrupt(struct vcpu *t, uint8_t vector);
/* The same for a level-triggered one (an I/O APIC pin): accepted with
 * its TMR bit set, so the guest's EOI of it reaches the I/O APIC
 * (exit_level_eoi, exit/interrupt.c). */
void vcpu_post_interrupt_level(struct vcpu *t, uint8_t vector);
void vcpu_post_nmi(struct vcpu *t);
/* The 8259 pair's INT output, wired to the boot vCPU's LINT0 (dm/vpic.c):
 * asserted kicks it. The vector comes at acknowledge (exit/interrupt.c,
 * dm_pic_ack) when its local APIC passes ExtINT (vlapic_accepts_extint). */
void vcpu_set_extint(struct vcpu *t, bool asserted);

/* General register N as numbered in exit qualifications (SDM Vol. 3C
 * table 28-3: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15). */
uint64_t vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val);

/* Skip the instruction that caused the exit. */
void vcpu_skip_insn(struct vcpu *v);
/* Queue an exception for the next VM entry (SDM Vol. 3C 26.6). In real
 * mode no error code is pushed (SDM Vol. 3A 21.1.4), so `has_error` is
 * dropped there; a fault-class exception gets RFLAGS.RF in the image it
 * pushes (SDM Vol. 3A 18.3.1.1), so an instruction breakpoint on the
 * faulting instruction does not fire again when the handler returns. */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
/* #PF with CR2 = `addr` and error code `error` (SDM Vol. 3A 4.7). */
void vcpu_inject_page_fault(struct vcpu *v, uint64_t addr, uint32_t error);
/* CR0 and CR4 as the guest sees them: its own bits from the VMCS guest
 * area (they change without exits), the host-owned ones from the read
 * shadow (SDM Vol. 3C 25.6.6). */
uint64_t vcpu_cr0(struct vcpu *v);
uint64_t vcpu_cr4(struct vcpu *v);
/* The guest's current privilege level: SS.DPL (SDM Vol. 3C 25.4.1). */
unsigned vcpu_cpl(struct vcpu *v);

/* Guest linear -> host pointer for `len` bytes, through the guest's own
 * page tables; NULL when unmapped or outside the guest's memory. */
uint8_t *vcpu_linear_ptr(struct vcpu *v, uint64_t lin, unsigned len);

/* All exits of this vCPU. */
uint64_t vcpu_exit_total(const struct vcpu *v);

/* CPU-held state (vm/vcpu_state.c): allocated once, reset to power-on,
 * loaded on the CPU that runs the vCPU next (saving the previous
 * vCPU's), put back when the vCPU leaves the CPU. */
bool vcpu_state_alloc(struct vcpu *v);
void vcpu_state_reset(struct vcpu *v);
void vcpu_state_load(struct vcpu *v, struct percpu *pc);
void vcpu_state_put(struct vcpu *v, struct percpu *pc);
/* An INIT arrived: the state INIT resets, reset (the vCPU is on `pc`). */
void vcpu_state_init_signal(struct vcpu *v, struct percpu *pc);
/* Let the guest reach the switched MSRs without exits (MSR bitmap). */
void vcpu_state_open_msrs(struct vcpu *v);
/* XSETBV for the vCPU: false (#GP) unless `val` is a valid XCR0 here. */
bool vcpu_set_xcr0(struct vcpu *v, uint64_t val);

/* VMCS life cycle (vm/vcpu_vmcs.c). */
/* Build the VMCS on `pc` (the first run, after INIT or a restart). */
int vcpu_vmcs_create(struct vcpu *v, struct percpu *pc);
/* Make the VMCS current on `pc` (VMPTRLD), fixing host state and TLBs
 * when it last ran elsewhere. */
bool vcpu_vmcs_load(struct vcpu *v, struct percpu *pc);
/* VMCLEAR on the CPU it is active on (the caller's). */
void vcpu_vmcs_clear(struct vcpu *v);
/* Point the vCPU at its guest's entry: 32-bit flat (multiboot) or real mode. */
void vcpu_set_entry(struct vcpu *v);
/* Real-mode start at CS:IP (an AP after SIPI). */
void vcpu_set_real_entry(struct vcpu *v, uint16_t cs, uint16_t ip);
void vcpu_dump(struct vcpu *v, const char *why);

#endif
