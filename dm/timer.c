/*
 * Device time (include/hv/dm.h): device models that raise interrupts at
 * given times (the 8254's IRQ 0, the RTC's IRQ 8) without anyone looking
 * at them, even while every vCPU of their guest is halted.
 *
 * Each device keeps the TSC of its next timed work in its vdev
 * (timer_at); the guest's dm_deadline is the earliest of them, kept under
 * the guest's dm_lock so that two devices changing theirs at once on two
 * CPUs cannot lose one. The dm layer never calls up: whoever is about to
 * run the guest looks at dm_deadline, as with the local APIC's timer:
 *  - its boot vCPU arms its VMX-preemption timer for it (exit/interrupt.c,
 *    arm_preemption_timer), and every vCPU of the guest runs the due work
 *    before an entry (exit_deliver_events), so its interrupts are taken
 *    right there;
 *  - while the boot vCPU is not in the guest (halted, or waiting for its
 *    turn) its CPU wakes up for dm_deadline and runs the due work from
 *    its run loop (sched/run.c), and what that raises wakes the vCPUs it
 *    is for through the ordinary posted-interrupt path.
 * A device whose deadline moves earlier kicks the boot vCPU, so that a
 * preemption timer or a host timer armed for a later time is re-armed.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>

void dm_timer_set(struct vdev *d, uint64_t tsc)
{
    struct guest *g = d->guest;
    uint64_t f = spin_lock_irqsave(&g->dm_lock);
    d->timer_at = tsc;
    uint64_t first = 0;
    for (unsigned i = 0; i < g->bus.device_count; i++) {
        uint64_t t = g->bus.devices[i]->timer_at;
        if (t && (!first || t < first))
            first = t;
    }
    uint64_t old = g->dm_deadline;
    __atomic_store_n(&g->dm_deadline, first, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&g->dm_lock, f);
    /* Nothing to do when it is the caller (it looks before its entry) or
     * on no CPU (whoever places it looks). */
    if (first && (!old || first < old))
        vcpu_kick(guest_timer_vcpu(g));
}

void dm_timers_run(struct guest *g, uint64_t now)
{
    /* Without the lock: a device whose time moves meanwhile finds in its
     * own callback, under its own lock, that nothing is due yet. */
    for (unsigned i = 0; i < g->bus.device_count; i++) {
        struct vdev *d = g->bus.devices[i];
        uint64_t t = d->timer_at;
        if (t && t <= now && d->ops->timer)
            d->ops->timer(d, now);
    }
}
