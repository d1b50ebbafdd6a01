/* Virtual local APIC for one vCPU (Intel SDM Vol. 3A chapter 11).
 *
 * Pure logic: the caller owns the vCPU, traps xAPIC MMIO / x2APIC MSR
 * accesses, passes the current TSC, and injects what vlapic_pending()
 * returns. An IPI written to the ICR is raised here only when it selects
 * this APIC itself (its own ID, or a shorthand that includes self); one
 * for the guest's other vCPUs is left in ipi_out for the caller,
 * vm/vlapic_io.c, to route among them with vlapic_ipi_selects. INIT and
 * SIPI sent out are only counted here (pending_init_sipi). */
#include <arch/vlapic.h>

/* Version register (SDM 11.4.8, figure 11-7): version 0x14 (integrated
 * APIC), max LVT entry 6 (CMCI present), bit 24 = 0: no EOI-broadcast
 * suppression. */
#define VLAPIC_VERSION ((6u << 16) | 0x14u)

/* Writable bits per register (SDM figure 11-8 for LVTs, 11-23 SVR). */
#define LVT_TIMER_BITS  0x000700ffu     /* vector, mask, mode 18:17 */
#define LVT_FULL_BITS   0x000107ffu     /* vector, delivery mode, mask */
#define LVT_LINT_BITS   0x0001a7ffu     /* + polarity, trigger mode */
#define LVT_ERROR_BITS  0x000100ffu     /* vector, mask */
#define SVR_BITS        0x000003ffu     /* vector, enable, focus check */
#define DCR_BITS        0x0000000bu     /* bits 0, 1, 3 (figure 11-10) */
#define ICR_LO_BITS     0x000ccfffu     /* vector, mode, dest mode, level, trigger, shorthand */

static const uint32_t lvt_bits[VLAPIC_LVT_COUNT] = {
    [VLAPIC_LVT_TIMER] = LVT_TIMER_BITS,
    [VLAPIC_LVT_THERMAL] = LVT_FULL_BITS,
    [VLAPIC_LVT_PERFMON] = LVT_FULL_BITS,
    [VLAPIC_LVT_LINT0] = LVT_LINT_BITS,
    [VLAPIC_LVT_LINT1] = LVT_LINT_BITS,
    [VLAPIC_LVT_ERROR] = LVT_ERROR_BITS,
    [VLAPIC_LVT_CMCI] = LVT_FULL_BITS,
};

STATIC_ASSERT(VLAPIC_LVT_COUNT == 7, "lvt[] in struct vlapic has 7 entries");

static void vec_set(uint32_t *v, unsigned int n)
{
    v[n / 32] |= 1u << (n % 32);
}

static void vec_clear(uint32_t *v, unsigned int n)
{
    v[n / 32] &= ~(1u << (n % 32));
}

/* Highest set bit of a 256-bit vector, or -1. */
static int vec_highest(const uint32_t *v)
{
    for (int w = 7; w >= 0; w--)
        if (v[w])
            return w * 32 + 31 - __builtin_clz(v[w]);
    return -1;
}

static uint32_t timer_mode(const struct vlapic *l)
{
    return (l->lvt[VLAPIC_LVT_TIMER] >> 17) & 3;
}

/* Divide configuration register to divisor (SDM 11.5.4, figure 11-10):
 * bits 3,1:0 = 000 -> 2, 001 -> 4, ... 110 -> 128, 111 -> 1. */
static uint32_t timer_divisor(uint32_t dcr)
{
    uint32_t code = ((dcr >> 1) & 4) | (dcr & 3);
    return code == 7 ? 1 : 2u << code;
}

static void timer_disarm(struct vlapic *l)
{
    l->timer_deadline = 0;
    l->timer_period = 0;
    l->timer_tick = 0;
}

/* Record an error (SDM 11.5.3); an unmasked LVT error entry signals it. */
static void error_set(struct vlapic *l, uint32_t bits)
{
    uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];

    l->esr_pending |= bits;
    /* The error vector itself being illegal must not recurse. */
    if (!(lvt & VLAPIC_LVT_MASKED) && (lvt & 0xff) >= 16) {
        vec_set(l->irr, lvt & 0xff);
        vec_clear(l->tmr, lvt & 0xff);
    }
}

void vlapic_reset(struct vlapic *l, uint32_t id, uint64_t tsc_per_tick)
{
    /* Power-up / RESET state (SDM 11.4.7.1): everything zero except
     * DFR all ones, SVR 0xff and masked LVT entries; xAPIC mode, enabled. */
    *l = (struct vlapic){ 0 };
    l->id = id;
    l->hw_enabled = true;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    for (unsigned int i = 0; i < VLAPIC_LVT_COUNT; i++)
        l->lvt[i] = VLAPIC_LVT_MASKED;
    l->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1;
}

uint32_t vlapic_ppr(const struct vlapic *l)
{
    /* SDM 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
    int isrv = vec_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

    if ((l->tpr & 0xf0) >= isr_class)
        return l->tpr & 0xff;
    return isr_class;
}

int vlapic_pending(const struct vlapic *l)
{
    if (!l->hw_enabled || !(l->svr & VLAPIC_SVR_ENABLE))
        return -1;
    int v = vec_highest(l->irr);
    /* SDM 11.8.3.1: delivered only if its priority class is above PPR[7:4]. */
    if (v < 0 || ((uint32_t)v & 0xf0) <= (vlapic_ppr(l) & 0xf0))
        return -1;
    return v;
}

#define LVT_DELIVERY_MODE   (7u << 8)
#define LVT_MODE_EXTINT     (7u << 8)

bool vlapic_accepts_extint(const struct vlapic *l)
{
    if (!l->hw_enabled)
        return true;
    if (!(l->svr & VLAPIC_SVR_ENABLE))
        return false;
    uint32_t lint0 = l->lvt[VLAPIC_LVT_LINT0];
    return !(lint0 & VLAPIC_LVT_MASKED) && (lint0 & LVT_DELIVERY_MODE) == LVT_MODE_EXTINT;
}

void vlapic_accept(struct vlapic *l, int vector)
{
    if (vector < 0 || vector > 255)
        return;
    vec_clear(l->irr, (unsigned int)vector);
    vec_set(l->isr, (unsigned int)vector);
}

static void irr_raise(struct vlapic *l, int vector, bool level)
{
    /* SDM 11.5.3: vectors 0-15 are illegal, "received illegal vector". */
    if (vector < 16 || vector > 255) {
        error_set(l, VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    /* SDM 11.8.4: on acceptance into the IRR the TMR bit is cleared for
     * an edge-triggered interrupt and set for a level-triggered one. */
    vec_set(l->irr, (unsigned int)vector);
    if (level)
        vec_set(l->tmr, (unsigned int)vector);
    else
        vec_clear(l->tmr, (unsigned int)vector);
}

void vlapic_raise(struct vlapic *l, int vector)
{
    irr_raise(l, vector, false);
}

void vlapic_raise_level(struct vlapic *l, int vector)
{
    irr_raise(l, vector, true);
}

static void eoi(struct vlapic *l)
{
    /* SDM 11.8.5: EOI retires the highest-priority in-service vector;
     * with its TMR bit set (11.8.4) an EOI message goes to the I/O APIC,
     * which the caller sends (vlapic_take_level_eoi). */
    int v = vec_highest(l->isr);
    if (v < 0)
        return;
    vec_clear(l->isr, (unsigned int)v);
    if (l->tmr[v / 32] & (1u << (v % 32))) {
        vec_set(l->level_eoi, (unsigned int)v);
        l->level_eoi_pending = true;
    }
}

int vlapic_take_level_eoi(struct vlapic *l)
{
    for (unsigned int w = 0; w < 8; w++) {
        if (l->level_eoi[w]) {
            unsigned int v = w * 32 + (unsigned int)__builtin_ctz(l->level_eoi[w]);
            vec_clear(l->level_eoi, v);
            return (int)v;
        }
    }
    l->level_eoi_pending = false;
    return -1;
}

/* Fire the timer: set the LVT timer vector unless masked (SDM 11.5.4). */
static void timer_fire(struct vlapic *l)
{
    uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];
    if (!(lvt & VLAPIC_LVT_MASKED))
        vlapic_raise(l, (int)(lvt & 0xff));
}

void vlapic_timer_update(struct vlapic *l, uint64_t now)
{
    if (!l->timer_deadline || now < l->timer_deadline)
        return;
    switch (timer_mode(l)) {
    case VLAPIC_TIMER_PERIODIC:
        if (l->timer_period) {
            /* Missed periods coalesce into one IRR bit; the next deadline
             * stays on the original period grid. */
            uint64_t missed = (now - l->timer_deadline) / l->timer_period;
            l->timer_deadline += (missed + 1) * l->timer_period;
            if (!l->timer_deadline)
                l->timer_deadline = 1;
            timer_fire(l);
            return;
        }
        break;
    case VLAPIC_TIMER_TSC_DEADLINE:
        /* SDM 11.5.4.1: on expiry the timer disarms and the MSR clears. */
        l->tsc_deadline_msr = 0;
        break;
    default:
        break;
    }
    timer_disarm(l);
    timer_fire(l);
}

void vlapic_set_tsc_deadline(struct vlapic *l, uint64_t now, uint64_t deadline)
{
    /* SDM 11.5.4.1: outside TSC-deadline mode writes are ignored. */
    if (timer_mode(l) != VLAPIC_TIMER_TSC_DEADLINE)
        return;
    l->tsc_deadline_msr = deadline;
    l->timer_deadline = deadline;
    l->timer_period = 0;
    vlapic_timer_update(l, now);
}

uint64_t vlapic_get_tsc_deadline(const struct vlapic *l)
{
    if (timer_mode(l) != VLAPIC_TIMER_TSC_DEADLINE)
        return 0;
    return l->tsc_deadline_msr;
}

/* Writing the initial count (re)starts one-shot/periodic counting
 * (SDM 11.5.4); 0 stops it. */
static void timer_arm(struct vlapic *l, uint64_t now, uint32_t count)
{
    l->timer_initial = count;
    if (!count) {
        timer_disarm(l);
        return;
    }
    /* The caller may set tsc_per_tick after reset: never divide by 0. */
    uint64_t tpt = l->tsc_per_tick ? l->tsc_per_tick : 1;
    uint32_t div = timer_divisor(l->timer_divide);
    uint64_t tick = tpt > UINT64_MAX / div ? UINT64_MAX : tpt * div;
    uint64_t span = tick > UINT64_MAX / count ? UINT64_MAX : tick * count;
    uint64_t deadline = now > UINT64_MAX - span ? UINT64_MAX : now + span;

    l->timer_tick = tick;
    l->timer_deadline = deadline ? deadline : 1;
    l->timer_period = timer_mode(l) == VLAPIC_TIMER_PERIODIC ? span : 0;
}

static uint32_t timer_current(const struct vlapic *l, uint64_t now)
{
    /* SDM 11.5.4: reads 0 when stopped and in TSC-deadline mode. */
    if (timer_mode(l) == VLAPIC_TIMER_TSC_DEADLINE || !l->timer_deadline || !l->timer_tick)
        return 0;
    uint64_t rem;
    if (now < l->timer_deadline)
        rem = l->timer_deadline - now;
    else if (l->timer_period)
        rem = l->timer_period - (now - l->timer_deadline) % l->timer_period;
    else
        return 0;
    uint64_t count = rem / l->timer_tick + (rem % l->timer_tick != 0);
    return count > l->timer_initial ? l->timer_initial : (uint32_t)count;
}

static void lvt_timer_write(struct vlapic *l, uint32_t val)
{
    uint32_t old_mode = timer_mode(l);
    l->lvt[VLAPIC_LVT_TIMER] = val;
    uint32_t mode = timer_mode(l);

    if (mode == old_mode)
        return;
    if (old_mode == VLAPIC_TIMER_TSC_DEADLINE || mode == VLAPIC_TIMER_TSC_DEADLINE) {
        /* SDM 11.5.4.1: switching to or from TSC-deadline mode disarms. */
        timer_disarm(l);
        l->tsc_deadline_msr = 0;
        l->timer_initial = 0;
    } else if (l->timer_deadline) {
        /* One-shot <-> periodic while counting: keep the current
         * deadline, change whether it re-arms. */
        l->timer_period = mode == VLAPIC_TIMER_PERIODIC ?
            l->timer_tick * l->timer_initial : 0;
    }
}

/* Does an IPI destination (shorthand "none") select this APIC?
 * Physical: exact ID or broadcast. Logical: SDM 11.6.2.2 (xAPIC flat /
 * cluster via DFR) and 11.12.10.2 (x2APIC cluster). */
static bool ipi_dest_self(const struct vlapic *l, bool logical, uint32_t dest)
{
    uint32_t bcast = l->x2apic ? 0xffffffffu : 0xffu;

    if (dest == bcast)
        return true;
    if (!logical)
        return l->x2apic ? dest == l->id : dest == (l->id & 0xff);
    if (l->x2apic) {
        uint32_t ldr = ((l->id >> 4) << 16) | (1u << (l->id & 0xf));
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    uint32_t ldr = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xf)          /* flat model */
        return (dest & ldr) != 0;
    /* cluster model: bits 7:4 cluster, 3:0 member bitmap */
    return (dest & 0xf0) == (ldr & 0xf0) && (dest & ldr & 0x0f);
}

static void icr_send(struct vlapic *l, uint32_t lo, uint32_t dest)
{
    uint32_t vector = lo & 0xff;
    uint32_t mode = (lo >> 8) & 7;
    bool logical = lo & BIT(11);
    uint32_t shorthand = (lo >> 18) & 3;
    bool self, others;

    /* Destination shorthand, SDM 11.6.1 (figure 11-12). */
    switch (shorthand) {
    case 1:
        self = true;
        others = false;
        break;
    case 2:
        self = true;
        others = true;
        break;
    case 3:
        self = false;
        others = true;
        break;
    default:
        self = ipi_dest_self(l, logical, dest);
        others = !self || dest == (l->x2apic ? 0xffffffffu : 0xffu) ||
                 (logical && !l->x2apic && (dest & ~(l->ldr >> 24) & 0xff));
        break;
    }

    if (others) {
        l->ipi_out = true;
        l->ipi_lo = lo;
        l->ipi_dest = dest;
    }
    switch (mode) {
    case 0:     /* fixed */
    case 1:     /* lowest priority: the sender keeps its own copy only when it is selected */
        if (vector < 16) {
            error_set(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
            if (!self)
                return;
        }
        if (self)
            vlapic_raise(l, (int)vector);
        break;
    case 4:     /* NMI */
        if (self)
            l->pending_nmi++;
        break;
    case 5:     /* INIT */
    case 6:     /* start-up */
        /* For the other vCPUs (ipi_out); INIT/SIPI to self are not valid
         * shorthand uses (SDM 11.6.1) and are dropped. */
        if (others)
            l->pending_init_sipi++;
        break;
    default:    /* SMI, reserved: dropped */
        break;
    }
}

bool vlapic_ipi_selects(const struct vlapic *target, uint32_t lo, uint32_t dest)
{
    switch ((lo >> 18) & 3) {
    case 1:
        return false;           /* self */
    case 2:
    case 3:
        return true;            /* all including / excluding self */
    default:
        return ipi_dest_self(target, (lo & BIT(11)) != 0, dest);
    }
}

bool vlapic_write_icr64(struct vlapic *l, uint64_t now, uint64_t val)
{
    (void)now;
    uint32_t lo = (uint32_t)val;
    /* x2APIC: reserved ICR bits fault (SDM 11.12.9). */
    if (l->x2apic && (lo & ~ICR_LO_BITS))
        return false;
    l->icr_lo = lo & ICR_LO_BITS;
    l->icr_hi = (uint32_t)(val >> 32);
    icr_send(l, l->icr_lo, l->x2apic ? l->icr_hi : l->icr_hi >> 24);
    return true;
}

uint64_t vlapic_read_icr64(const struct vlapic *l)
{
    return ((uint64_t)l->icr_hi << 32) | l->icr_lo;
}

static bool lvt_index(uint32_t offset, unsigned int *idx)
{
    if (offset == VLAPIC_REG_LVT_CMCI) {
        *idx = VLAPIC_LVT_CMCI;
        return true;
    }
    if (offset >= VLAPIC_REG_LVT_TIMER && offset <= VLAPIC_REG_LVT_ERROR) {
        *idx = (offset - VLAPIC_REG_LVT_TIMER) >> 4;
        return true;
    }
    return false;
}

bool vlapic_read(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t *val)
{
    unsigned int idx;

    *val = 0;
    if (offset & 0xf || offset > 0xff0)
        return false;
    if (offset >= VLAPIC_REG_ISR && offset < VLAPIC_REG_ESR) {
        unsigned int w = ((offset - VLAPIC_REG_ISR) >> 4) & 7;
        const uint32_t *v = offset < VLAPIC_REG_TMR ? l->isr :
                            offset < VLAPIC_REG_IRR ? l->tmr : l->irr;
        *val = v[w];
        return true;
    }
    if (lvt_index(offset, &idx)) {
        *val = l->lvt[idx];
        return true;
    }
    switch (offset) {
    case VLAPIC_REG_ID:
        *val = l->x2apic ? l->id : l->id << 24;
        return true;
    case VLAPIC_REG_VERSION:
        *val = VLAPIC_VERSION;
        return true;
    case VLAPIC_REG_TPR:
        *val = l->tpr;
        return true;
    case VLAPIC_REG_APR:
        /* xAPIC only (no MSR 0x809, SDM table 11-6); arbitration is moot. */
        return !l->x2apic;
    case VLAPIC_REG_PPR:
        *val = vlapic_ppr(l);
        return true;
    case VLAPIC_REG_LDR:
        /* x2APIC: logical ID derived from the x2APIC ID (SDM 11.12.10.2). */
        *val = l->x2apic ? ((l->id >> 4) << 16) | (1u << (l->id & 0xf)) : l->ldr;
        return true;
    case VLAPIC_REG_DFR:
        if (l->x2apic)
            return false;
        *val = l->dfr;
        return true;
    case VLAPIC_REG_SVR:
        *val = l->svr;
        return true;
    case VLAPIC_REG_ESR:
        *val = l->esr;
        return true;
    case VLAPIC_REG_ICR_LO:
        *val = l->icr_lo;       /* delivery status (bit 12) always idle */
        return true;
    case VLAPIC_REG_ICR_HI:
        if (l->x2apic)
            return false;
        *val = l->icr_hi;
        return true;
    case VLAPIC_REG_TIMER_ICR:
        *val = l->timer_initial;
        return true;
    case VLAPIC_REG_TIMER_CCR:
        *val = timer_current(l, now);
        return true;
    case VLAPIC_REG_TIMER_DCR:
        *val = l->timer_divide;
        return true;
    default:
        /* EOI and SELF IPI are write-only; everything else reserved. */
        return false;
    }
}

/* Mask a written value to its writable bits; in x2APIC mode setting a
 * reserved bit faults instead (SDM 11.12.1.2). */
static bool fit(const struct vlapic *l, uint32_t *val, uint32_t bits)
{
    if (l->x2apic && (*val & ~bits))
        return false;
    *val &= bits;
    return true;
}

bool vlapic_write(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t val)
{
    unsigned int idx;

    if (offset & 0xf || offset > 0xff0)
        return false;
    if (lvt_index(offset, &idx)) {
        if (!fit(l, &val, lvt_bits[idx]))
            return false;
        if (idx == VLAPIC_LVT_TIMER && ((val >> 17) & 3) == 3)
            return false;       /* reserved timer mode */
        /* SDM 11.4.7.2: while software-disabled, masks cannot be cleared. */
        if (!(l->svr & VLAPIC_SVR_ENABLE))
            val |= VLAPIC_LVT_MASKED;
        if (idx == VLAPIC_LVT_TIMER)
            lvt_timer_write(l, val);
        else
            l->lvt[idx] = val;
        return true;
    }
    switch (offset) {
    case VLAPIC_REG_ID:
        /* xAPIC: the ID is writable (SDM 11.4.6); x2APIC: read-only. */
        if (l->x2apic)
            return false;
        l->id = val >> 24;
        return true;
    case VLAPIC_REG_TPR:
        if (!fit(l, &val, 0xff))
            return false;
        l->tpr = val;
        return true;
    case VLAPIC_REG_EOI:
        /* x2APIC: a non-zero EOI write faults (SDM 11.12.9). */
        if (l->x2apic && val)
            return false;
        eoi(l);
        return true;
    case VLAPIC_REG_LDR:
        if (l->x2apic)
            return false;
        l->ldr = val & 0xff000000u;
        return true;
    case VLAPIC_REG_DFR:
        if (l->x2apic)
            return false;
        l->dfr = val | 0x0fffffffu;     /* bits 27:0 reserved, read as 1 */
        return true;
    case VLAPIC_REG_SVR:
        if (!fit(l, &val, SVR_BITS))
            return false;
        l->svr = val;
        /* SDM 11.4.7.2: software disable sets every LVT mask bit. */
        if (!(val & VLAPIC_SVR_ENABLE))
            for (unsigned int i = 0; i < VLAPIC_LVT_COUNT; i++)
                l->lvt[i] |= VLAPIC_LVT_MASKED;
        return true;
    case VLAPIC_REG_ESR:
        /* SDM 11.5.3: a write latches the errors since the last write
         * and clears them; x2APIC requires the value 0. */
        if (l->x2apic && val)
            return false;
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        return true;
    case VLAPIC_REG_ICR_LO:
        if (l->x2apic)
            return vlapic_write_icr64(l, now, val);
        return vlapic_write_icr64(l, now, ((uint64_t)l->icr_hi << 32) | val);
    case VLAPIC_REG_ICR_HI:
        if (l->x2apic)
            return false;
        l->icr_hi = val & 0xff000000u;
        return true;
    case VLAPIC_REG_TIMER_ICR:
        /* SDM 11.5.4.1: ignored in TSC-deadline mode. */
        if (timer_mode(l) != VLAPIC_TIMER_TSC_DEADLINE)
            timer_arm(l, now, val);
        return true;
    case VLAPIC_REG_TIMER_DCR:
        if (!fit(l, &val, DCR_BITS))
            return false;
        l->timer_divide = val;
        return true;
    case VLAPIC_REG_SELF_IPI:
        /* x2APIC only (SDM 11.12.11): bits 7:0 vector, rest reserved. */
        if (!l->x2apic || (val & ~0xffu))
            return false;
        vlapic_raise(l, (int)val);
        return true;
    default:
        /* ID in x2APIC, version, APR, PPR, ISR/TMR/IRR, current count,
         * reserved offsets. */
        return false;
    }
}
