/*
 * Per-CPU data. GS base points at the CPU's struct percpu, so the running
 * CPU finds itself with one instruction; before GS is set only the BSP runs.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <hv/compiler.h>
#include <hv/smp.h>
#include <arch/vmx.h>
#include <hv/sched_policy.h>

#define PERCPU_MAX_VCPUS 64     /* vCPUs attached to one CPU */
struct vcpu;

enum cpu_state {
    CPU_ABSENT = 0,     /* slot unused */
    CPU_STARTING,       /* INIT-SIPI-SIPI sent, not yet heard from */
    CPU_ALIVE,          /* running C code, bringing itself up */
    CPU_ONLINE,         /* brought up, in its idle loop */
    CPU_FAILED,         /* did not answer, or stopped on an exception */
    CPU_STOPPED,        /* halted on request (panic, power-off) */
};

/* The 64-bit TSS (SDM Vol. 3A 8.7): RSP0..2, IST1..7, I/O map base. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3
#define IST_STACK_SIZE   8192
#define CPU_STACK_SIZE   32768

#define GDT_CODE64  0x08
#define GDT_DATA    0x10
#define GDT_TSS     0x18
#define GDT_ENTRIES 5       /* null, code, data, TSS (two slots) */

struct percpu {
    struct percpu *self;            /* must stay first: %gs:0 */
    unsigned index;
    uint32_t apic_id;
    uint32_t acpi_uid;
    volatile uint32_t state;        /* enum cpu_state */
    uint64_t stack_top;             /* top of the CPU's main stack */
    uint64_t online_tsc;            /* TSC when it came online */
    volatile uint64_t timer_ticks;  /* per-CPU LAPIC timer interrupts */
    uint64_t gdt[GDT_ENTRIES] __aligned(8);
    struct tss64 tss __aligned(16);
    uint8_t *ist_stacks;            /* 3 * IST_STACK_SIZE */
    struct vmx_cpu vmx;
    /* Scheduling (sched/run.c): changed under the scheduler lock. */
    struct guest *pinned;           /* the guest pinned here, if any */
    struct sched_cpu *sched;
    struct vcpu *attached[PERCPU_MAX_VCPUS];
    unsigned nattached;
    struct vcpu *current_vmcs;      /* the vCPU whose VMCS is current here */
    struct vcpu *volatile in_guest; /* the vCPU in guest mode here (exit/run.c) */
    struct vcpu *state_owner;       /* whose FPU/DR/MSR state the CPU holds (vm/vcpu_state.c) */
    volatile uint32_t resched;      /* pick again at the next chance */
    bool console;                   /* polls the operator console */
};

/* The CPU table, filled from the MADT (the BSP first) by percpu_add. */
struct percpu *percpu_get(unsigned index);     /* NULL past the end */
unsigned percpu_count(void);
void percpu_add(struct percpu *pc);
/* cpu_kick every other online CPU. */
void smp_kick_others(void);

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Set up GDT, TSS and IDT on the running CPU and point GS at `pc`. */
void cpu_init_tables(struct percpu *pc);
/* Per-CPU early init shared by BSP and APs: LAPIC and its timer. */
void cpu_bringup(struct percpu *pc);
/* Make `pc` look at its run queue again: set its resched flag and, if it
 * is another CPU, send it VEC_KICK (out of guest mode or HLT). */
void cpu_kick(struct percpu *pc);
/* Only the IPI: `pc` leaves guest mode (to take a posted event) and goes
 * on with what it ran. */
void cpu_poke(struct percpu *pc);
/* What a CPU does before it halts for good (panic, power-off, reset):
 * set once by the layer that put it in a state INIT cannot break (VMX
 * root, SDM Vol. 3C 24.8), run by cpu_halt_prepare on that CPU. */
void cpu_on_halt(void (*fn)(struct percpu *pc));
void cpu_halt_prepare(void);
/* Register the core's own interrupt handlers (BSP, once). */
void cpu_irq_init(void);

struct percpu *percpu_alloc(unsigned index, uint32_t apic_id);
/* Start the APs; each runs ap_main(its percpu) once its tables are up. */
void smp_start_aps(void (*ap_main)(struct percpu *pc));
struct regs;
void smp_nmi(struct regs *r);

#endif
