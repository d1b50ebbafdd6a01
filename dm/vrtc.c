/*
 * The guest's CMOS real-time clock and RAM at ports 0x70/0x71
 * (include/hv/dm.h): the register logic is dm/mc146818.c; this is its
 * clock, its lock and IRQ 8.
 *
 * The clock: the machine's RTC as read at start (drivers/rtc.c) plus the
 * TSC time since at tsc_hz(), in microseconds; the guest's writes of the
 * time move its own offset from that, never the machine's clock or
 * another guest's. Re-creating the guest powers its RTC on again: the
 * host's time, the RAM as at power-on.
 *
 * IRQ 8: when the guest enables the periodic, alarm or update-ended
 * interrupt, the next moment IRQF would rise is the device's time
 * (dm/timer.c), and ISA IRQ 8 is pulsed when it rises; it stays up, with
 * no further interrupt, until the guest reads register C (MC146818,
 * "Register C"). A guest that was not running meanwhile gets one
 * interrupt, its flags telling what happened.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/mc146818.h>
#include <hv/rtc.h>
#include <hv/spinlock.h>
#include <hv/mm.h>
#include <arch/cpu.h>
#include <arch/tsc.h>

#define VRTC_BASE   0x70
#define VRTC_IRQ    8
#define US          1000000ULL

struct vrtc {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;                /* vCPUs on several CPUs, and device time */
    struct mc146818 rtc;
    bool line;                      /* IRQF as last seen: IRQ 8 is up */
    int64_t irq_at;                 /* host time (us) of the next IRQF rise, NEVER: none */
};

static struct vrtc *to_vrtc(struct vdev *d)
{
    return (struct vrtc *)d;
}

/* Host time in microseconds at TSC `tsc` (rounded down). */
static int64_t host_us(uint64_t tsc)
{
    uint64_t t0 = rtc_host_start_tsc(), hz = tsc_hz();
    uint64_t e = tsc > t0 ? tsc - t0 : 0;
    uint64_t us = hz ? e / hz * US + e % hz * US / hz : 0;
    return rtc_host_start_us() + (int64_t)us;
}

/* The first TSC at which host_us() reaches `us` (rounded up). */
static uint64_t tsc_at(int64_t us)
{
    uint64_t hz = tsc_hz();
    int64_t d = us - rtc_host_start_us();
    if (d <= 0)
        return rtc_host_start_tsc();
    uint64_t e = (uint64_t)d;
    return rtc_host_start_tsc() + e / US * hz + (e % US * hz + US - 1) / US;
}

/* ISA IRQ 8, an edge (the ISA default the guest's MADT leaves it). */
static void raise_irq8(struct guest *g)
{
    dm_irq_pulse(g, VRTC_IRQ);
}

/* After any change at host time `now`: did IRQF rise (true: pulse IRQ 8),
 * and when may it next? Lock held. */
static bool follow(struct vrtc *r, int64_t now)
{
    bool up = mc146818_irq(&r->rtc, now);
    bool rose = up && !r->line;
    r->line = up;
    int64_t next = up ? MC146818_NEVER : mc146818_next_irq(&r->rtc, now);
    if (next != r->irq_at) {
        r->irq_at = next;
        dm_timer_set(&r->dev, next == MC146818_NEVER ? 0 : tsc_at(next));
    }
    return rose;
}

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v;
    struct vrtc *r = to_vrtc(d);
    uint32_t val = 0;
    uint64_t f = spin_lock_irqsave(&r->lock);
    int64_t now = host_us(rdtsc());
    for (unsigned i = 0; i < size; i++) {
        unsigned p = port + i;
        uint8_t b = p == VRTC_BASE || p == VRTC_BASE + 1 ?
                    mc146818_read(&r->rtc, p - VRTC_BASE, now) : 0xff;
        val |= (uint32_t)b << (8 * i);
    }
    bool rose = follow(r, now);     /* reading C lowers IRQF */
    spin_unlock_irqrestore(&r->lock, f);
    if (rose)
        raise_irq8(d->guest);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v;
    struct vrtc *r = to_vrtc(d);
    uint64_t f = spin_lock_irqsave(&r->lock);
    int64_t now = host_us(rdtsc());
    for (unsigned i = 0; i < size; i++) {
        unsigned p = port + i;
        if (p == VRTC_BASE || p == VRTC_BASE + 1)
            mc146818_write(&r->rtc, p - VRTC_BASE, (uint8_t)(val >> (8 * i)), now);
    }
    bool rose = follow(r, now);
    spin_unlock_irqrestore(&r->lock, f);
    if (rose)
        raise_irq8(d->guest);
}

static void timer(struct vdev *d, uint64_t tsc)
{
    struct vrtc *r = to_vrtc(d);
    uint64_t f = spin_lock_irqsave(&r->lock);
    bool rose = follow(r, host_us(tsc));
    spin_unlock_irqrestore(&r->lock, f);
    if (rose)
        raise_irq8(d->guest);
}

static void power_on(struct vrtc *r)
{
    struct guest_ram_region reg[2];
    uint64_t ram = r->dev.guest->ram_size;
    unsigned n = guest_ram_layout(ram, reg);
    uint64_t low = reg[0].size, high = n > 1 ? reg[1].size : 0;
    mc146818_reset(&r->rtc, low, high, host_us(rdtsc()));
    r->line = false;
    r->irq_at = MC146818_NEVER;
}

static void reset(struct vdev *d)
{
    struct vrtc *r = to_vrtc(d);
    uint64_t f = spin_lock_irqsave(&r->lock);
    power_on(r);
    dm_timer_set(d, 0);
    spin_unlock_irqrestore(&r->lock, f);
}

static const struct vdev_ops vrtc_ops = {
    .name = "CMOS RTC",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
    .timer = timer,
};

bool vrtc_attach(struct guest *g)
{
    struct vrtc *r = kzalloc(sizeof(*r));
    if (!r)
        return false;
    if (!bus_add_device(g, &r->dev, &vrtc_ops)) {
        kfree(r);
        return false;
    }
    power_on(r);
    return bus_map_ports(g, &r->dev, VRTC_BASE, 2);
}
