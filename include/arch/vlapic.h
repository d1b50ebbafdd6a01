/* Virtual local APIC for one vCPU: pure register/interrupt/timer model
 * (Intel SDM Vol. 3A chapter 11). No hardware access, no globals. */
#ifndef ARCH_VLAPIC_H
#define ARCH_VLAPIC_H
#include <hv/compiler.h>

#define VLAPIC_BASE 0xfee00000ULL

/* Index into struct vlapic.lvt[] (SDM 11.5.1, figure 11-8). */
enum vlapic_lvt {
    VLAPIC_LVT_TIMER = 0,
    VLAPIC_LVT_THERMAL,
    VLAPIC_LVT_PERFMON,
    VLAPIC_LVT_LINT0,
    VLAPIC_LVT_LINT1,
    VLAPIC_LVT_ERROR,
    VLAPIC_LVT_CMCI,
    VLAPIC_LVT_COUNT
};

/* Register offsets (SDM 11.4.1 table 11-1; x2APIC MSR = 0x800 + offset/16, 11.12.1.2). */
#define VLAPIC_REG_ID        0x020
#define VLAPIC_REG_VERSION   0x030
#define VLAPIC_REG_TPR       0x080
#define VLAPIC_REG_APR       0x090
#define VLAPIC_REG_PPR       0x0a0
#define VLAPIC_REG_EOI       0x0b0
#define VLAPIC_REG_RRD       0x0c0
#define VLAPIC_REG_LDR       0x0d0
#define VLAPIC_REG_DFR       0x0e0
#define VLAPIC_REG_SVR       0x0f0
#define VLAPIC_REG_ISR       0x100
#define VLAPIC_REG_TMR       0x180
#define VLAPIC_REG_IRR       0x200
#define VLAPIC_REG_ESR       0x280
#define VLAPIC_REG_LVT_CMCI  0x2f0
#define VLAPIC_REG_ICR_LO    0x300
#define VLAPIC_REG_ICR_HI    0x310
#define VLAPIC_REG_LVT_TIMER 0x320
#define VLAPIC_REG_LVT_THERMAL 0x330
#define VLAPIC_REG_LVT_PERFMON 0x340
#define VLAPIC_REG_LVT_LINT0 0x350
#define VLAPIC_REG_LVT_LINT1 0x360
#define VLAPIC_REG_LVT_ERROR 0x370
#define VLAPIC_REG_TIMER_ICR 0x380
#define VLAPIC_REG_TIMER_CCR 0x390
#define VLAPIC_REG_TIMER_DCR 0x3e0
#define VLAPIC_REG_SELF_IPI  0x3f0

#define VLAPIC_LVT_MASKED    BIT(16)
#define VLAPIC_SVR_ENABLE    BIT(8)
#define VLAPIC_TIMER_ONESHOT  0u
#define VLAPIC_TIMER_PERIODIC 1u
#define VLAPIC_TIMER_TSC_DEADLINE 2u

/* ESR bits (SDM 11.5.3, figure 11-9). */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define VLAPIC_ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define VLAPIC_ESR_ILLEGAL_REG         BIT(7)

struct vlapic {
    uint32_t id;                /* APIC ID (x2APIC: 32 bits; xAPIC: bits 31:24 of the ID register) */
    bool x2apic;                /* x2APIC mode (set by the caller from IA32_APIC_BASE bit 10) */
    bool hw_enabled;            /* IA32_APIC_BASE bit 11 */
    uint32_t tpr, svr, ldr, dfr, esr, icr_hi;
    uint32_t lvt[7];            /* timer, thermal, perfmon, LINT0, LINT1, error, CMCI: index by enum */
    uint32_t timer_initial, timer_divide;
    uint64_t timer_deadline;    /* TSC value when the timer fires next; 0: not armed */
    uint64_t timer_period;      /* TSC ticks per period (periodic mode), else 0 */
    uint64_t tsc_deadline_msr;  /* TSC-deadline mode: IA32_TSC_DEADLINE */
    uint32_t irr[8], isr[8], tmr[8];   /* 256-bit vectors, bit v of word v/32 */
    uint64_t tsc_per_tick;      /* TSC ticks per APIC timer tick at divide-by-1 (set by the caller) */
    /* INIT/SIPI IPIs sent to other vCPUs: the caller routes them through
     * ipi_out (vm/vlapic_io.c); this only counts them */
    uint32_t pending_init_sipi;
    /* additions */
    uint32_t icr_lo;            /* ICR bits 31:0 (delivery status always reads 0) */
    uint32_t esr_pending;       /* errors detected since the last ESR write (latched into esr on write) */
    uint64_t timer_tick;        /* TSC ticks per count of the armed one-shot/periodic timer */
    uint32_t pending_nmi;       /* count of NMI IPIs targeting this vCPU: the caller injects an NMI */
    /* An IPI for other vCPUs, left for the caller to route (vlapic_ipi_selects). */
    bool ipi_out;
    uint32_t ipi_lo, ipi_dest;  /* ICR bits 31:0 and the destination (x2APIC: 32 bits; xAPIC: 8) */
    /* Level-triggered vectors (TMR set) the guest EOI'd, left for the
     * caller to pass on to the I/O APIC (vlapic_take_level_eoi). */
    uint32_t level_eoi[8];
    bool level_eoi_pending;
};

void vlapic_reset(struct vlapic *l, uint32_t id, uint64_t tsc_per_tick);
/* Register access by xAPIC MMIO offset (0x000-0xff0, 4-byte aligned register at offsets multiple of 16);
 * x2APIC callers pass (msr - 0x800) << 4. `now` is the current TSC. Returns false for an invalid
 * access (reserved/read-only register, non-aligned offset): the caller injects #GP in x2APIC mode
 * and ignores it in xAPIC mode (writes) / returns 0 (reads). */
bool vlapic_read(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t *val);
bool vlapic_write(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t val);
/* x2APIC ICR is one 64-bit MSR (0x830): */
bool vlapic_write_icr64(struct vlapic *l, uint64_t now, uint64_t val);
/* Addition: the x2APIC ICR MSR value (destination in bits 63:32). */
uint64_t vlapic_read_icr64(const struct vlapic *l);
/* TSC-deadline mode: the IA32_TSC_DEADLINE MSR (0 disarms). */
void vlapic_set_tsc_deadline(struct vlapic *l, uint64_t now, uint64_t deadline);
/* Addition: IA32_TSC_DEADLINE as the guest reads it (0 outside TSC-deadline mode). */
uint64_t vlapic_get_tsc_deadline(const struct vlapic *l);
/* Advance the timer to `now`: raises the LVT timer vector in IRR when due (unless masked), re-arms periodic. */
void vlapic_timer_update(struct vlapic *l, uint64_t now);
/* Highest-priority pending vector that can be delivered (IRR above PPR, SDM 11.8.3.1), or -1. Requires software-enabled APIC (SVR bit 8) and hw_enabled. */
int vlapic_pending(const struct vlapic *l);
/* Does an interrupt from the 8259 (INTR, ExtINT) reach the processor?
 * With the APIC globally disabled (IA32_APIC_BASE.EN = 0) LINT0 is the
 * INTR pin of a processor without an APIC (SDM Vol. 3A 11.4.3); else only
 * through LINT0 programmed ExtINT and unmasked (11.5.1; a software-
 * disabled APIC masks every LVT entry, 11.4.7.2). */
bool vlapic_accepts_extint(const struct vlapic *l);
/* The vector was injected: move it from IRR to ISR. */
void vlapic_accept(struct vlapic *l, int vector);
/* Raise a fixed interrupt (e.g. from a device); vectors < 16 are illegal: set ESR bit and ignore. */
void vlapic_raise(struct vlapic *l, int vector);
/* The same for a level-triggered interrupt (an I/O APIC pin): its TMR
 * bit is set, so its EOI is reported (SDM 11.8.4). */
void vlapic_raise_level(struct vlapic *l, int vector);
/* An EOI retired a vector whose TMR bit was set: the EOI message goes to
 * the I/O APIC (SDM 11.8.4, 11.8.5). The next such vector since the last
 * call, lowest first, or -1 (level_eoi_pending says whether to ask). */
int vlapic_take_level_eoi(struct vlapic *l);
/* Does an IPI (ICR low word `lo`, destination `dest`) sent by another APIC
 * select `target`? Shorthands "all" and "all but self" select everyone
 * else, "self" nobody else; otherwise physical or logical destination
 * matching against target's ID / LDR (SDM 11.6.2). */
bool vlapic_ipi_selects(const struct vlapic *target, uint32_t lo, uint32_t dest);
/* Addition: processor priority (PPR) per SDM 11.8.3.1. */
uint32_t vlapic_ppr(const struct vlapic *l);
#endif
