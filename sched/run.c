/*
 * The per-CPU run loop. Every CPU in VMX root operation runs
 * schedule_run(): pick a vCPU with its CPU's policy (sched/policy.c),
 * act on the requests posted to it, make its VMCS current, enter the
 * guest until it halts, its slice ends or the CPU is kicked, and account
 * for it.
 *
 *  - A CPU with a pinned guest uses the noop policy: one vCPU, no slice,
 *    no timer: the guest runs until it exits for its own reasons.
 *  - Other CPUs are shared: proportional share by weight, the slice ended
 *    by the VMX-preemption timer (SDM Vol. 3C 25.5.1).
 *  - A vCPU that halts is blocked until an interrupt for it arrives: its
 *    own APIC timer (checked by its CPU) or an event another vCPU or a
 *    device posted (vcpu_kick in vm/vcpu.c makes its CPU look again).
 *    The CPU of a guest's boot vCPU also keeps the guest's device time
 *    (dm/timer.c) while that vCPU is not in the guest.
 *  - Requests (VCPU_REQ_*, include/hv/vcpu.h) are acted on here: INIT
 *    and SIPI, and placing APs a sibling started.
 *  - Unpinned vCPUs move between shared CPUs (sched/migrate.c).
 *  - A CPU lost to a hypervisor fault (arch/x86/idt.c marks it failed and
 *    kicks the others) is noticed by the next CPU through its loop, which
 *    stops the guests that ran there.
 *
 * One lock protects every CPU's run queue and the vCPUs' placement; it is
 * taken per scheduling decision, never on an ordinary VM exit.
 */
#include "internal.h"
#include <hv/vcpu.h>
#include <hv/vlapic_io.h>
#include <hv/exit.h>
#include <hv/dm.h>
#include <hv/guest.h>
#include <hv/lifecycle.h>
#include <hv/faultinj.h>
#include <hv/log.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/tsc.h>

spinlock_t sched_lock = SPINLOCK_INIT;
struct sched_cpu sched_cpus[MAX_CPUS];
static volatile bool ready;
static void (*console_poll)(void);

void schedule_set_console_poll(void (*poll)(void))
{
    console_poll = poll;
}

static uint64_t slice_ticks;

struct vcpu *sched_vcpu_of(struct sched_vcpu *sv)
{
    return (struct vcpu *)((char *)sv - __builtin_offsetof(struct vcpu, sv));
}

bool sched_can_run_guests(const struct percpu *pc)
{
    return pc && pc->state == CPU_ONLINE && pc->vmx.on;
}

int schedule_vcpu_cpu(const struct vcpu *v)
{
    struct percpu *pc = v->cpu;
    return pc ? (int)pc->index : -1;
}

uint64_t schedule_vcpu_run_time(const struct vcpu *v)
{
    uint64_t t = v->sv.run_time, since = v->sv.last_change, now = rdtsc();
    if (v->sv.state == SV_RUNNING && now > since)
        t += now - since;
    return t;
}

/* ---- placement (lock held) ---- */

void sched_attached_remove(struct percpu *pc, const struct vcpu *v)
{
    for (unsigned i = 0; i < pc->nattached; i++) {
        if (pc->attached[i] == v) {
            pc->attached[i] = pc->attached[--pc->nattached];
            return;
        }
    }
}

static bool attach(struct vcpu *v, struct percpu *pc, uint64_t now)
{
    if (pc->nattached == PERCPU_MAX_VCPUS) {
        kprintf("sched: cannot place guest %s vCPU %u on cpu%u: it already has %d vCPUs\n",
                v->guest->name, v->id, pc->index, PERCPU_MAX_VCPUS);
        return false;
    }
    int rc = sched_add(pc->sched, &v->sv, now);
    if (rc != SCHED_OK) {
        kprintf("sched: cannot place guest %s vCPU %u on cpu%u (scheduler error %d)\n",
                v->guest->name, v->id, pc->index, rc);
        return false;
    }
    pc->attached[pc->nattached++] = v;
    __atomic_store_n(&v->cpu, pc, __ATOMIC_RELEASE);
    __atomic_fetch_add(&v->guest->attached, 1, __ATOMIC_ACQ_REL);
    kprintf("sched: guest %s vCPU %u starts on cpu%u (%s)\n", v->guest->name, v->id, pc->index,
            pc->sched->policy->name);
    if (!pc->sched->current || pc->sched->policy == &sched_fair)
        cpu_kick(pc);
    return true;
}

/* The vCPU's CPU: its pinned one, else the least loaded shared CPU it
 * may use (fewest vCPUs on a tie, so idle guests spread too). */
static struct percpu *place(const struct vcpu *v)
{
    if (v->sv.pinned_cpu >= 0) {
        struct percpu *pc = percpu_get(v->sv.pinned_cpu);
        return sched_can_run_guests(pc) ? pc : NULL;
    }
    struct percpu *best = NULL;
    uint64_t best_load = 0;
    for (unsigned i = 0; i < percpu_count() && i < 64; i++) {
        struct percpu *pc = percpu_get(i);
        if (!sched_can_run_guests(pc) || pc->pinned || !(v->allowed & (1ULL << i)))
            continue;
        uint64_t load = sched_load(pc->sched);
        if (!best || load < best_load || (load == best_load && pc->nattached < best->nattached)) {
            best = pc;
            best_load = load;
        }
    }
    return best;
}

/* Detach from the CPU it is on, which must be the calling one (the VMCS
 * is cleared here). Returns true when this was its guest's last vCPU. */
static bool detach(struct vcpu *v, struct percpu *pc, uint64_t now)
{
    vcpu_state_put(v, pc);
    if (v->vmx.vmcs_cpu == pc)
        vcpu_vmcs_clear(v);
    if (pc->current_vmcs == v)
        pc->current_vmcs = NULL;
    sched_remove(pc->sched, &v->sv, now);
    sched_attached_remove(pc, v);
    __atomic_store_n(&v->cpu, NULL, __ATOMIC_RELEASE);
    return __atomic_sub_fetch(&v->guest->attached, 1, __ATOMIC_ACQ_REL) == 0;
}

/* The CPUs a shared guest may use, as a mask (CPU indices below 64). */
static uint64_t shared_mask(const struct guest_config *gc)
{
    uint64_t m = 0;
    if (!gc->cpu_count)
        return ~0ULL;
    for (unsigned i = 0; i < gc->cpu_count; i++)
        if (gc->cpus[i] < 64)
            m |= 1ULL << gc->cpus[i];
    return m;
}

/* The scheduler's part of each vCPU, once per guest: identity, weight,
 * the CPU it is pinned to or the CPUs it may share. Run and wait times
 * add up over restarts. */
static void init_vcpus(struct guest *g)
{
    const struct guest_config *gc = g->cfg;
    for (unsigned i = 0; i < g->vcpu_count; i++) {
        struct vcpu *v = g->vcpus[i];
        if (v->sv.weight)
            continue;
        int pinned = gc->cpus_mode == CPUS_PINNED ? gc->cpus[i] : -1;
        sched_vcpu_init(&v->sv, (int)(g->index * CONFIG_MAX_VCPUS + i),
                        gc->weight ? gc->weight : 1, pinned);
        v->allowed = pinned >= 0 ? 1ULL << (pinned & 63) : shared_mask(gc);
    }
}

bool schedule_start_guest(struct guest *g)
{
    struct vcpu *v = g->vcpus[0];
    init_vcpus(g);
    uint64_t f = spin_lock_irqsave(&sched_lock);
    struct percpu *pc = place(v);
    bool placed = false;
    if (pc) {
        if (g->state != GUEST_RELOADING)
            g->state = GUEST_RUNNING;
        placed = attach(v, pc, rdtsc());
    }
    spin_unlock_irqrestore(&sched_lock, f);
    /* None of these goes away by re-creating the guest: refused, not
     * restarted (on_stop = restart would wait for a CPU for ever). */
    if (pc && !placed) {
        g->state = GUEST_CREATED;           /* so that guest_refuse records it */
        guest_refuse(g, "its boot vCPU could not be placed on cpu%u", pc->index);
        return false;
    }
    if (!pc && v->sv.pinned_cpu >= 0) {
        struct percpu *p = percpu_get(v->sv.pinned_cpu);
        guest_refuse(g, "cpu%d is not in VMX root operation: %s", v->sv.pinned_cpu,
                     p->state != CPU_ONLINE ? "it is not online" : p->vmx.reason);
    } else if (!pc) {
        guest_refuse(g, "no CPU in VMX root operation to run it on");
    }
    return pc != NULL;
}

/* ---- a CPU the hypervisor lost ---- */

/*
 * The exception handler stops a CPU that faulted in the hypervisor and
 * marks it CPU_FAILED (arch/x86/idt.c). The guests with vCPUs on it stop
 * too, since those vCPUs will never run again; the other CPUs let go of
 * their other vCPUs and on_idle still comes. The first CPU through its
 * loop does it, under the lock (a fault while holding the lock still
 * stops every CPU that then needs it: docs/scheduler.md).
 */
static void reap_failed_locked(struct percpu *pc)
{
    for (unsigned i = 0; i < pc->nattached; i++) {
        struct vcpu *v = pc->attached[i];
        struct guest *g = v->guest;
        if (__atomic_exchange_n(&g->state, GUEST_STOPPED, __ATOMIC_ACQ_REL) == GUEST_RUNNING) {
            g->stop_status = 255;
            hv_snprintf(g->stop_reason, sizeof(g->stop_reason),
                        "the hypervisor faulted on cpu%u while it ran vCPU %u", pc->index, v->id);
            kprintf("guest %s stopped: %s (status 255)\n", g->name, g->stop_reason);
        }
        __atomic_store_n(&v->cpu, NULL, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&g->attached, 1, __ATOMIC_ACQ_REL);
        for (unsigned k = 0; k < g->vcpu_count; k++)
            if (g->vcpus[k]->cpu && g->vcpus[k]->cpu != pc)
                cpu_kick(g->vcpus[k]->cpu);
    }
    pc->nattached = 0;
    cpu_kick(percpu_get(0));
}

static void reap_failed_cpus(void)
{
    for (unsigned i = 0; i < percpu_count(); i++) {
        struct percpu *pc = percpu_get(i);
        if (pc && pc->sched && pc->state == CPU_FAILED && pc->nattached)
            reap_failed_locked(pc);
    }
}

/* Diagnostics (command line crash_guest=NAME): the CPU that runs NAME's
 * vCPU faults after that vCPU's first return to the scheduler. */
static void crash_test(struct vcpu *v, struct percpu *pc)
{
    if (faultinj_crash_guest(v->guest->name)) {
        kprintf("cpu%u: crash_guest=%s: executing an invalid instruction\n", pc->index,
                v->guest->name);
        __asm__ volatile("ud2");
    }
}

/* ---- the loop ---- */

/* Does a blocked vCPU wake? After HLT with interrupts disabled only an
 * NMI or INIT ends the halt (SDM Vol. 3A 9.4, 11.6.1); else any
 * deliverable interrupt or a timer that has come due does. */
static bool wakes(struct vcpu *v, uint64_t now)
{
    if (v->halt_irq_off)
        return v->posted_nmi || (v->requests & VCPU_REQ_INIT);
    return vlapic_has_event(v, now);
}

/* Every vCPU of the guest waits with nothing that could wake it. */
static bool guest_is_stuck(const struct guest *g)
{
    for (unsigned i = 0; i < g->vcpu_count; i++) {
        const struct vcpu *t = g->vcpus[i];
        if (t->wait_sipi && !t->cpu)
            continue;
        if (t->sv.state != SV_BLOCKED || t->posted_nmi || (t->requests & VCPU_REQ_INIT))
            return false;
        if (!t->halt_irq_off && (t->lapic.timer_deadline || t->posted_any || t->extint ||
                                 g->dm_deadline))
            return false;
    }
    return true;
}

/* Blocked vCPUs on this CPU whose interrupt has come; vCPUs of stopped
 * guests let go. Returns a guest whose last vCPU this CPU let go. */
static struct guest *tend(struct percpu *pc, uint64_t now)
{
    struct guest *finished = NULL;
    for (unsigned i = 0; i < pc->nattached;) {
        struct vcpu *v = pc->attached[i];
        if (v->guest->state != GUEST_RUNNING && v->guest->state != GUEST_RELOADING) {
            if (detach(v, pc, now))
                finished = v->guest;
            continue;                   /* slot i now holds another vCPU */
        }
        if (v->sv.state == SV_BLOCKED && wakes(v, now))
            sched_wake(pc->sched, &v->sv, now);
        i++;
    }
    return finished;
}

/* Earliest APIC timer among this CPU's blocked vCPUs, or device time of
 * a guest whose boot vCPU is here and not running (0: none). */
static uint64_t next_wakeup(const struct percpu *pc)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < pc->nattached; i++) {
        const struct vcpu *v = pc->attached[i];
        uint64_t d = v->lapic.timer_deadline;
        if (v->sv.state == SV_BLOCKED && !v->halt_irq_off && d && (!t || d < t))
            t = d;
        d = v->sv.state != SV_RUNNING && v == guest_timer_vcpu(v->guest) &&
            v->guest->state == GUEST_RUNNING ? v->guest->dm_deadline : 0;
        if (d && (!t || d < t))
            t = d;
    }
    return t;
}

/* Device time (dm/timer.c) of the guests whose boot vCPU is on this CPU:
 * while it is not in the guest, its due work runs here, between vCPUs
 * and after idle waits, and what that raises wakes its target in tend().
 * Any CPU may read the guest table; the boot vCPU's CPU is read once. */
static void run_device_timers(struct percpu *pc, uint64_t now)
{
    for (unsigned i = 0; i < guests_count(); i++) {
        struct guest *g = guest_get(i);
        uint64_t d = g->dm_deadline;
        if (d && d <= now && g->state == GUEST_RUNNING &&
            __atomic_load_n(&guest_timer_vcpu(g)->cpu, __ATOMIC_ACQUIRE) == pc)
            dm_timers_run(g, now);
    }
}

/* APs a sibling sent SIPI while they were on no CPU: place them now
 * (SDM Vol. 3A 9.4.4). One with no CPU to run on stays in wait-for-SIPI:
 * the guest sees an AP that never starts, as with a dead processor. */
static void start_aps(struct guest *g)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    for (unsigned i = 0; i < g->vcpu_count && g->state == GUEST_RUNNING; i++) {
        struct vcpu *t = g->vcpus[i];
        if (!t->wait_sipi || t->cpu || !vcpu_take_requests(t, VCPU_REQ_SIPI))
            continue;
        vcpu_take_requests(t, VCPU_REQ_INIT);
        t->wait_sipi = false;
        t->needs_setup = true;
        t->start_cs = (uint16_t)((t->sipi_vector & 0xff) << 8);
        struct percpu *pc = place(t);
        if (!pc || !attach(t, pc, rdtsc())) {
            t->wait_sipi = true;
            t->needs_setup = false;
            kprintf("[%s] vCPU %u: no CPU to start it on; it stays waiting for SIPI\n",
                    g->name, t->id);
        }
    }
    spin_unlock_irqrestore(&sched_lock, f);
}

/* INIT (SDM Vol. 3A 9.4, 11.6.1): back to wait-for-SIPI, off this CPU,
 * unless a SIPI already followed it. False: the vCPU does not run now. */
static bool take_init(struct vcpu *v, struct percpu *pc)
{
    vcpu_state_init_signal(v, pc);
    uint64_t f = spin_lock_irqsave(&sched_lock);
    bool sipi = vcpu_take_requests(v, VCPU_REQ_SIPI) != 0;
    bool last = false, stuck = false;
    v->needs_setup = true;
    if (sipi) {
        v->start_cs = (uint16_t)((v->sipi_vector & 0xff) << 8);
    } else {
        v->wait_sipi = true;
        last = detach(v, pc, rdtsc());
        stuck = guest_is_stuck(v->guest);
    }
    spin_unlock_irqrestore(&sched_lock, f);
    if (sipi)
        return true;
    if (stuck)
        guest_stop(v->guest, 0, "every vCPU waits for SIPI or halted for good");
    if (last)
        schedule_guest_finished(v->guest);
    return false;
}

/* Requests, first entry, or back from another CPU: make the VMCS current
 * here. False: the vCPU does not run now. */
static bool prepare(struct vcpu *v, struct percpu *pc)
{
    /* Its guest is being re-created: a step of that, in this vCPU's own
     * slice (charged to it like running), until the guest is back. */
    if (v->guest->state == GUEST_RELOADING) {
        uint64_t slice = sched_slice(pc->sched);
        if (guest_reload_step(v->guest, rdtsc() + (slice ? slice : slice_ticks)) != RELOAD_DONE)
            return false;
    }
    uint32_t req = vcpu_take_requests(v, VCPU_REQ_INIT | VCPU_REQ_START_APS);
    if (req & VCPU_REQ_START_APS)
        start_aps(v->guest);
    if ((req & VCPU_REQ_INIT) && !take_init(v, pc))
        return false;
    /* A SIPI without INIT means nothing to a running vCPU. */
    vcpu_take_requests(v, VCPU_REQ_SIPI);
    if (v->needs_setup) {
        if (v->vmx.vmcs_cpu && v->vmx.vmcs_cpu != pc) {
            kprintf("sched: guest %s vCPU %u: VMCS still active on cpu%u\n", v->guest->name,
                    v->id, v->vmx.vmcs_cpu->index);
            return false;
        }
        if (vcpu_vmcs_create(v, pc) != 0) {
            guest_stop(v->guest, 255, "could not set up the VMCS of vCPU %u", v->id);
            return false;
        }
        v->needs_setup = false;
        pc->current_vmcs = v;
    } else if (pc->current_vmcs != v) {
        if (!vcpu_vmcs_load(v, pc)) {
            guest_stop(v->guest, 255, "could not load its VMCS on cpu%u", pc->index);
            return false;
        }
        pc->current_vmcs = v;
    }
    /* Its FPU, debug registers, CR2 and syscall MSRs into the CPU
     * (another vCPU's saved first): no-op when it ran here last. */
    vcpu_state_load(v, pc);
    return true;
}

void schedule_guest_finished(struct guest *g)
{
    if (guest_finished(g))
        schedule_start_guest(g);
}

#define TICK_HZ 100         /* the host tick (arch/x86/cpu.c) */

/* Does this CPU keep the periodic host tick in guest mode? */
static bool host_tick(const struct percpu *pc)
{
    /* Without the preemption timer the tick also brings a guest's APIC
     * timer interrupts (and, on shared CPUs, the end of slices). */
    return pc->console || !pc->vmx.caps.preemption_timer;
}

static void idle_wait(struct percpu *pc)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    uint64_t wake = next_wakeup(pc);
    spin_unlock_irqrestore(&sched_lock, f);
    uint64_t now = rdtsc();
    if (wake && wake <= now)
        return;
    /* A blocked vCPU's timer wakes this CPU: the host LAPIC timer in
     * one-shot mode where nothing else uses it; where the periodic host
     * tick runs (the console CPU, or slices without the preemption timer)
     * a deadline before the next tick is waited for by spinning. */
    if (wake && host_tick(pc)) {
        if (wake - now < tsc_hz() / TICK_HZ) {
            while (!pc->resched && rdtsc() < wake)
                cpu_relax();
            return;
        }
    } else if (wake) {
        lapic_timer_oneshot(VEC_TIMER, wake - now);
    }
    /* Woken by a kick, that timer or the tick. STI's interrupt shadow
     * covers HLT, so a kick arriving after the check still wakes it. */
    __asm__ volatile("cli; cmpl $0, %0; jne 1f; sti; hlt; 1: sti"
                     : : "m"(pc->resched) : "memory");
}

void schedule_run(struct percpu *pc)
{
    bool bsp = pc->index == 0;

    while (!ready) {
        irq_enable();
        cpu_halt();
    }
    if (!sched_can_run_guests(pc)) {
        if (bsp)
            while (!guests_all_stopped()) {
                irq_enable();
                cpu_halt();
            }
        return;
    }
    /* The host tick served the boot; from here a CPU hears only about its
     * guests, unless it polls the console or ends slices without the
     * VMX-preemption timer. */
    if (!host_tick(pc))
        lapic_timer_stop();

    for (;;) {
        if (pc->console && console_poll)
            console_poll();
        uint64_t now = rdtsc();
        run_device_timers(pc, now);
        uint64_t f = spin_lock_irqsave(&sched_lock);
        pc->resched = 0;
        reap_failed_cpus();
        struct guest *finished = tend(pc, now);
        struct sched_vcpu *sv = sched_switch(pc->sched, now);
        spin_unlock_irqrestore(&sched_lock, f);
        if (finished) {
            cpu_kick(percpu_get(0));        /* it decides on_idle when all have stopped */
            schedule_guest_finished(finished);
        }
        if (!sv) {
            if (bsp && guests_all_stopped())
                return;
            idle_wait(pc);
            continue;
        }
        struct vcpu *v = sched_vcpu_of(sv);
        if (!prepare(v, pc))
            continue;
        uint64_t slice = sched_slice(pc->sched);
        uint64_t until = slice ? rdtsc() + slice : 0;
        f = spin_lock_irqsave(&sched_lock);
        uint64_t wake = next_wakeup(pc);
        spin_unlock_irqrestore(&sched_lock, f);
        if (wake && (!until || wake < until))
            until = wake;
        v->run_until = until;

        enum run_result r = vcpu_run(v, &pc->resched);
        crash_test(v, pc);
        /* It started APs that were on no CPU: place them before anything
         * else runs here. */
        if (vcpu_take_requests(v, VCPU_REQ_START_APS))
            start_aps(v->guest);

        now = rdtsc();
        f = spin_lock_irqsave(&sched_lock);
        bool stuck = false;
        if (r == RUN_BLOCKED && !wakes(v, now)) {
            sched_block(pc->sched, &v->sv, now);
            stuck = guest_is_stuck(v->guest);
        } else if ((r == RUN_PREEMPTED || r == RUN_KICKED) && pc->sched->policy == &sched_fair) {
            /* Kicked too: on the console CPU the tick starts every slice
             * afresh, so the slice alone would never end there. */
            sched_balance_from(pc, now);
        }
        spin_unlock_irqrestore(&sched_lock, f);
        if (stuck)
            guest_stop(v->guest, 0, "%s",
                       v->halt_irq_off && v->guest->vcpu_count == 1
                           ? "halted with interrupts disabled"
                           : "halted with no interrupt source left");
    }
}

void schedule_init(uint32_t slice_us)
{
    slice_ticks = tsc_hz() / 1000000 * slice_us;
    if (!slice_ticks)
        slice_ticks = 1000ULL * slice_us;       /* no TSC frequency: a guess */
    /* Nothing else ever runs on a pinned guest's CPUs. */
    for (unsigned i = 0; i < guests_count(); i++) {
        struct guest *g = guest_get(i);
        if (g->cfg->cpus_mode == CPUS_PINNED)
            for (unsigned c = 0; c < g->cfg->cpu_count; c++)
                percpu_get(g->cfg->cpus[c])->pinned = g;
    }
    int console = -1;
    for (unsigned i = 0; i < percpu_count(); i++) {
        struct percpu *pc = percpu_get(i);
        if (!pc)
            continue;
        /* A CPU that cannot run guests gets the noop policy too: load
         * balancing only ever moves vCPUs between fair CPUs. */
        sched_cpu_init(&sched_cpus[i], (int)i,
                       pc->pinned || !sched_can_run_guests(pc) ? &sched_noop : &sched_fair,
                       slice_ticks);
        pc->sched = &sched_cpus[i];
        if (console < 0 && sched_can_run_guests(pc) && !pc->pinned)
            console = (int)i;
    }
    /* The operator console is polled by an unpinned CPU if there is one,
     * so pinned guests get no ticks at all. */
    percpu_get(console >= 0 ? console : 0)->console = true;
    ready = true;
    smp_kick_others();
}
