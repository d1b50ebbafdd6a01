/*
 * The guest's 8254 interval timer at ports 0x40-0x43 and its port 0x61
 * (include/hv/dm.h): the register logic is dm/pit8254.c; this is its
 * clock, its lock and IRQ 0.
 *
 * The clock: 1.193182 MHz counted from the TSC at the rate the
 * hypervisor measured (arch/x86/tsc.c), since the guest's PIT was last
 * powered on. Counters are computed from it when read, so a guest that
 * polls (Linux's TSC calibration on channel 2, OUT2 in port 0x61) costs
 * one exit per read and nothing in between.
 *
 * IRQ 0: each rising edge of OUT 0 pulses ISA IRQ 0 through the
 * guest's interrupt routing, at its time, through device time
 * (dm/timer.c), so it comes while every vCPU is halted. Two limits:
 *  - a guest that was not running when edges came gets one of them,
 *    late, and the rest are dropped (KVM's "discard" policy for its PIT,
 *    KVM_REINJECT_CONTROL): Linux counts time from its clocksource, not
 *    from ticks, and a burst of stale ticks helps nobody;
 *  - at most one IRQ 0 per VPIT_MIN_IRQ_TICKS (200 us, KVM's
 *    min_timer_period_us): a count of 2 in mode 2 would otherwise ask the
 *    hypervisor for 600 000 interrupts a second. The counters themselves
 *    still read exactly.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/pit8254.h>
#include <hv/spinlock.h>
#include <hv/mm.h>
#include <arch/cpu.h>
#include <arch/tsc.h>

#define VPIT_BASE           0x40
#define VPIT_PORTS          4
#define VPIT_IRQ            0
#define VPIT_MIN_IRQ_TICKS  (PIT8254_HZ / 5000)

struct vpit {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;                /* vCPUs on several CPUs, and device time */
    struct pit8254 pit;
    uint64_t base;                  /* TSC at PIT tick 0 (its power-on) */
    uint64_t irq_at;                /* tick of the next IRQ 0 to raise, PIT8254_NEVER: none */
    uint64_t last_irq;              /* tick IRQ 0 was last raised, PIT8254_NEVER: never */
};

static struct vpit *to_vpit(struct vdev *d)
{
    return (struct vpit *)d;
}

static uint64_t ticks(const struct vpit *p, uint64_t tsc)
{
    return tsc > p->base ? pit8254_ticks_of(tsc - p->base, tsc_hz()) : 0;
}

/* ISA IRQ 0, an edge: I/O APIC pin 2, as the guest's MADT says. */
static void raise_irq0(struct guest *g)
{
    dm_irq_pulse(g, VPIT_IRQ);
}

/* Is IRQ 0 due at tick t? At most one, however late (the rest dropped).
 * Lock held. */
static bool catch_up(struct vpit *p, uint64_t t)
{
    if (p->irq_at == PIT8254_NEVER || t < p->irq_at)
        return false;
    p->last_irq = t;
    p->irq_at = PIT8254_NEVER;
    return true;
}

/* The next IRQ 0 after tick t: the next rising edge of OUT 0, no sooner
 * than VPIT_MIN_IRQ_TICKS after the last one (a one-shot edge in that
 * window comes at its end). Tells device time when it changed, against
 * what device time holds (timer_at, which only this device writes, under
 * this lock), not against irq_at: catch_up has already forgotten the edge
 * it raised, so after the last edge of a one-shot count (or a control
 * word that stops counter 0 right after an edge) irq_at and the new time
 * are both PIT8254_NEVER while device time still holds the past one. Left
 * there, that time is due forever: each entry of the boot vCPU arms a
 * VMX-preemption timer of 0, which exits before the guest runs a single
 * instruction (SDM Vol. 3C 26.5.1), and the vCPU never runs again. Lock
 * held. */
static void reschedule(struct vpit *p, uint64_t t)
{
    uint64_t e = pit8254_next_irq(&p->pit, t, p->last_irq, VPIT_MIN_IRQ_TICKS);
    uint64_t at = e == PIT8254_NEVER ? 0 : p->base + pit8254_tsc_of(e, tsc_hz());
    p->irq_at = e;
    if (at != p->dev.timer_at)
        dm_timer_set(&p->dev, at);
}

static uint8_t read_byte(struct vpit *p, unsigned port, uint64_t t)
{
    if (port >= VPIT_BASE && port < VPIT_BASE + VPIT_PORTS)
        return pit8254_read(&p->pit, port - VPIT_BASE, t);
    if (port == PIT8254_PORT61)
        return pit8254_read61(&p->pit, t);
    return 0xff;                    /* a wide access running past our ports */
}

static void write_byte(struct vpit *p, unsigned port, uint8_t val, uint64_t t)
{
    if (port >= VPIT_BASE && port < VPIT_BASE + VPIT_PORTS)
        pit8254_write(&p->pit, port - VPIT_BASE, val, t);
    else if (port == PIT8254_PORT61)
        pit8254_write61(&p->pit, val, t);
}

/* Wider accesses reach consecutive ports a byte each, as on the ISA bus. */
static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v;
    struct vpit *p = to_vpit(d);
    uint32_t val = 0;
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint64_t t = ticks(p, rdtsc());
    for (unsigned i = 0; i < size; i++)
        val |= (uint32_t)read_byte(p, port + i, t) << (8 * i);
    spin_unlock_irqrestore(&p->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v;
    struct vpit *p = to_vpit(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint64_t t = ticks(p, rdtsc());
    /* An edge that came before this write is raised before it changes
     * anything (its timer may not have run yet). */
    bool fire = catch_up(p, t);
    for (unsigned i = 0; i < size; i++)
        write_byte(p, port + i, (uint8_t)(val >> (8 * i)), t);
    reschedule(p, t);
    spin_unlock_irqrestore(&p->lock, f);
    if (fire)
        raise_irq0(d->guest);
}

static void timer(struct vdev *d, uint64_t now)
{
    struct vpit *p = to_vpit(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint64_t t = ticks(p, now);
    bool fire = catch_up(p, t);
    reschedule(p, t);
    spin_unlock_irqrestore(&p->lock, f);
    if (fire)
        raise_irq0(d->guest);
}

static void power_on(struct vpit *p)
{
    pit8254_reset(&p->pit);
    p->base = rdtsc();
    p->irq_at = p->last_irq = PIT8254_NEVER;
}

static void reset(struct vdev *d)
{
    struct vpit *p = to_vpit(d);
    uint64_t f = spin_lock_irqsave(&p->lock);
    power_on(p);
    dm_timer_set(d, 0);
    spin_unlock_irqrestore(&p->lock, f);
}

static const struct vdev_ops vpit_ops = {
    .name = "8254 PIT",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
    .timer = timer,
};

bool vpit_attach(struct guest *g)
{
    struct vpit *p = kzalloc(sizeof(*p));
    if (!p)
        return false;
    power_on(p);
    if (!bus_add_device(g, &p->dev, &vpit_ops)) {
        kfree(p);
        return false;
    }
    return bus_map_ports(g, &p->dev, VPIT_BASE, VPIT_PORTS) &&
           bus_map_ports(g, &p->dev, PIT8254_PORT61, 1);
}
