/*
 * The per-CPU run loop. Every CPU in VMX root operation runs
 * schedule_run(): pick a vCPU with its CPU's policy (core/sched.c), make
 * its VMCS current, enter the guest until it halts, its slice ends or the
 * CPU is kicked, and account for it.
 *
 *  - A CPU with a pinned guest uses the noop policy: one vCPU, no slice,
 *    no timer: the guest runs until it exits for its own reasons.
 *  - Other CPUs are shared: proportional share by weight, the slice ended
 *    by the VMX-preemption timer (SDM Vol. 3C 25.5.1).
 *  - A vCPU that halts is blocked until an interrupt for it arrives: its
 *    own APIC timer (checked by its CPU) or an IPI from another vCPU
 *    (sched_kick, which wakes it and sends the CPU a host IPI).
 *  - Unpinned vCPUs move between shared CPUs to balance load; the old CPU
 *    clears the VMCS (VMCLEAR) before the new one loads it, so a VMCS is
 *    never active on two processors (SDM Vol. 3C 25.11.1).
 *
 * One lock protects every CPU's run queue and the vCPUs' placement; it is
 * taken per scheduling decision and per IPI between vCPUs, never on an
 * ordinary VM exit.
 */
#include <hv/sched.h>
#include <hv/sched_policy.h>
#include <hv/guest.h>
#include <hv/partition.h>
#include <hv/console.h>
#include <hv/shell.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/percpu.h>
#include <arch/vcpu.h>
#include <arch/vmexit.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/tsc.h>

static spinlock_t lock = SPINLOCK_INIT;
static struct sched_cpu scpu[MAX_CPUS];
static volatile bool ready;
static uint64_t slice_ticks;

static struct vcpu *vcpu_of(struct sched_vcpu *sv)
{
    return (struct vcpu *)((char *)sv - __builtin_offsetof(struct vcpu, sv));
}

static bool can_run_guests(const struct percpu *pc)
{
    return pc && pc->state == CPU_ONLINE && pc->vmx.on;
}

static void kick_cpu(struct percpu *pc)
{
    pc->resched = 1;
    if (pc != this_cpu())
        lapic_send_ipi(pc->apic_id, VEC_KICK);
}

static void kick_handler(struct regs *r)
{
    (void)r;
    lapic_eoi();
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

/* Take v off the CPU's list of attached vCPUs (order does not matter). */
static void attached_remove(struct percpu *pc, const struct vcpu *v)
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
    v->cpu = pc;
    __atomic_fetch_add(&v->guest->attached, 1, __ATOMIC_ACQ_REL);
    kprintf("sched: guest %s vCPU %u starts on cpu%u (%s)\n", v->guest->name, v->id, pc->index,
            pc->sched->policy->name);
    if (!pc->sched->current || pc->sched->policy == &sched_fair)
        kick_cpu(pc);
    return true;
}

/* The vCPU's CPU: its pinned one, else the least loaded shared CPU it
 * may use (fewest vCPUs on a tie, so idle guests spread too). */
static struct percpu *place(const struct vcpu *v)
{
    if (v->sv.pinned_cpu >= 0) {
        struct percpu *pc = cpus[v->sv.pinned_cpu];
        return can_run_guests(pc) ? pc : NULL;
    }
    struct percpu *best = NULL;
    uint64_t best_load = 0;
    for (unsigned i = 0; i < cpu_count && i < 64; i++) {
        struct percpu *pc = cpus[i];
        if (!can_run_guests(pc) || pc->pinned || !(v->allowed & (1ULL << i)))
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
    if (v->vmcs_cpu == pc)
        vcpu_vmcs_clear(v);
    if (pc->current_vmcs == v)
        pc->current_vmcs = NULL;
    sched_remove(pc->sched, &v->sv, now);
    attached_remove(pc, v);
    v->cpu = NULL;
    return __atomic_sub_fetch(&v->guest->attached, 1, __ATOMIC_ACQ_REL) == 0;
}

bool schedule_start_guest(struct guest *g)
{
    struct vcpu *v = g->vcpus[0];
    uint64_t f = spin_lock_irqsave(&lock);
    struct percpu *pc = place(v);
    bool placed = false;
    if (pc) {
        g->state = GUEST_RUNNING;
        placed = attach(v, pc, rdtsc());
    }
    spin_unlock_irqrestore(&lock, f);
    if (pc && !placed) {
        g->state = GUEST_CREATED;           /* so that guest_stop records it */
        guest_stop(g, 255, "its boot vCPU could not be placed on cpu%u", pc->index);
        return false;
    }
    if (!pc && v->sv.pinned_cpu >= 0) {
        struct percpu *p = cpus[v->sv.pinned_cpu];
        guest_stop(g, 255, "cpu%d is not in VMX root operation: %s", v->sv.pinned_cpu,
                   p->state != CPU_ONLINE ? "it is not online" : p->vmx.reason);
    } else if (!pc) {
        guest_stop(g, 255, "no CPU in VMX root operation to run it on");
    }
    return pc != NULL;
}

/* ---- events from other vCPUs ---- */

static void wake_locked(struct vcpu *t, uint64_t now)
{
    struct percpu *pc = t->cpu;
    if (!pc)
        return;
    if (t->sv.state == SV_BLOCKED) {
        /* A maskable interrupt does not end HLT with interrupts off; it
         * stays posted for when the guest enables them. */
        if (t->halt_irq_off && !t->posted_nmi && !t->init_req)
            return;
        if (sched_wake(pc->sched, &t->sv, now) == 1)
            kick_cpu(pc);
    } else if (t->sv.state == SV_RUNNING && pc != this_cpu()) {
        lapic_send_ipi(pc->apic_id, VEC_KICK);      /* out of guest mode, to take it */
    }
}

void sched_kick(struct vcpu *t)
{
    uint64_t f = spin_lock_irqsave(&lock);
    wake_locked(t, rdtsc());
    spin_unlock_irqrestore(&lock, f);
}

/* INIT (SDM Vol. 3A 9.4, 11.6.1): the target goes back to wait-for-SIPI.
 * Its own CPU does it, since its VMCS is active there. */
void sched_send_init(struct vcpu *t)
{
    uint64_t f = spin_lock_irqsave(&lock);
    if (!t->wait_sipi) {
        t->sipi_req = 0;
        t->init_req = 1;
        wake_locked(t, rdtsc());
    }
    spin_unlock_irqrestore(&lock, f);
}

/* SIPI: starts a vCPU in wait-for-SIPI in real mode at vector << 12; to
 * anyone else it means nothing (SDM Vol. 3A 9.4.4). */
void sched_send_sipi(struct vcpu *t, uint8_t vector)
{
    uint64_t f = spin_lock_irqsave(&lock);
    if (t->guest->state == GUEST_RUNNING) {
        if (t->wait_sipi && !t->cpu) {
            t->wait_sipi = false;
            t->needs_setup = true;
            t->start_cs = (uint16_t)(vector << 8);
            struct percpu *pc = place(t);
            if (!pc || !attach(t, pc, rdtsc())) {
                /* It stays in wait-for-SIPI; the guest sees an AP that
                 * never starts, as with a dead processor. */
                t->wait_sipi = true;
                t->needs_setup = false;
                kprintf("[%s] vCPU %u: no CPU to start it on; it stays waiting for SIPI\n",
                        t->guest->name, t->id);
            }
        } else if (t->init_req) {
            t->sipi_req = 0x100u | vector;
        }
    }
    spin_unlock_irqrestore(&lock, f);
}

void schedule_guest_stopped(struct guest *g)
{
    uint64_t f = spin_lock_irqsave(&lock);
    for (unsigned i = 0; i < g->vcpu_count; i++)
        if (g->vcpus[i]->cpu)
            kick_cpu(g->vcpus[i]->cpu);
    kick_cpu(cpus[0]);          /* it decides on_idle when all have stopped */
    spin_unlock_irqrestore(&lock, f);
}

/* ---- a CPU the hypervisor lost ---- */

char schedule_crash_guest[GUEST_NAME_MAX];

/*
 * The exception handler stops a CPU that faulted in the hypervisor
 * (arch/x86/idt.c). The guests with vCPUs on it stop too, since those
 * vCPUs will never run again; the other CPUs let go of their other vCPUs
 * and on_idle still comes. No lock is taken: the faulting CPU may hold
 * one. (A fault while holding the scheduler lock still stops every CPU
 * that needs it: docs/scheduler.md.)
 */
void schedule_cpu_failed(struct percpu *pc)
{
    if (!pc || !pc->sched)
        return;
    for (unsigned i = 0; i < pc->nattached; i++) {
        struct vcpu *v = pc->attached[i];
        struct guest *g = v->guest;
        if (__atomic_exchange_n(&g->state, GUEST_STOPPED, __ATOMIC_ACQ_REL) == GUEST_RUNNING) {
            g->stop_status = 255;
            hv_snprintf(g->stop_reason, sizeof(g->stop_reason),
                        "the hypervisor faulted on cpu%u while it ran vCPU %u", pc->index, v->id);
            kprintf("guest %s stopped: %s (status 255)\n", g->name, g->stop_reason);
        }
        __atomic_sub_fetch(&g->attached, 1, __ATOMIC_ACQ_REL);
        for (unsigned k = 0; k < g->vcpu_count; k++)
            if (g->vcpus[k]->cpu && g->vcpus[k]->cpu != pc)
                kick_cpu(g->vcpus[k]->cpu);
    }
    pc->nattached = 0;
    kick_cpu(cpus[0]);
}

/* Diagnostics (command line crash_guest=NAME): the CPU that runs NAME's
 * vCPU faults after that vCPU's first return to the scheduler. */
static void crash_test(struct vcpu *v, struct percpu *pc)
{
    if (schedule_crash_guest[0] && strcmp(schedule_crash_guest, v->guest->name) == 0) {
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
        return v->posted_nmi || v->init_req;
    return apic_has_event(v, now);
}

/* Every vCPU of the guest waits with nothing that could wake it. */
static bool guest_is_stuck(const struct guest *g)
{
    for (unsigned i = 0; i < g->vcpu_count; i++) {
        const struct vcpu *t = g->vcpus[i];
        if (t->wait_sipi && !t->cpu)
            continue;
        if (t->sv.state != SV_BLOCKED || t->posted_nmi || t->init_req)
            return false;
        if (!t->halt_irq_off && (t->lapic.timer_deadline || t->posted_any))
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
        if (v->guest->state != GUEST_RUNNING) {
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

/* Earliest APIC timer among this CPU's blocked vCPUs (0: none). */
static uint64_t next_wakeup(const struct percpu *pc)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < pc->nattached; i++) {
        const struct vcpu *v = pc->attached[i];
        uint64_t d = v->lapic.timer_deadline;
        if (v->sv.state == SV_BLOCKED && !v->halt_irq_off && d && (!t || d < t))
            t = d;
    }
    return t;
}

/* Move queued vCPUs from this CPU to less loaded shared ones. Only this
 * CPU's own vCPUs move, so it can clear their VMCSs itself. */
static void balance(struct percpu *pc, uint64_t now)
{
    struct sched_migration m[2];
    int n = sched_balance(scpu, cpu_count, now, m, ARRAY_SIZE(m));
    for (int i = 0; i < n; i++) {
        struct vcpu *v = vcpu_of(m[i].vcpu);
        struct percpu *to = cpus[m[i].to];
        if (m[i].from != pc->index || !can_run_guests(to) || to->pinned ||
            m[i].to >= 64 || !(v->allowed & (1ULL << m[i].to)) ||
            to->nattached == PERCPU_MAX_VCPUS || v->needs_setup)
            continue;
        if (v->vmcs_cpu == pc)
            vcpu_vmcs_clear(v);
        if (pc->current_vmcs == v)
            pc->current_vmcs = NULL;
        if (sched_migrate(pc->sched, to->sched, &v->sv, now) != SCHED_OK)
            continue;
        attached_remove(pc, v);
        to->attached[to->nattached++] = v;
        v->cpu = to;
        kprintf("sched: guest %s vCPU %u moves from cpu%u to cpu%u\n", v->guest->name, v->id,
                pc->index, to->index);
        kick_cpu(to);
    }
}

/* INIT, first entry, or back from another CPU: make the VMCS current
 * here. False: the vCPU does not run now. */
static bool prepare(struct vcpu *v, struct percpu *pc)
{
    if (v->init_req) {
        uint64_t f = spin_lock_irqsave(&lock);
        uint32_t sipi = v->sipi_req;
        v->init_req = 0;
        v->sipi_req = 0;
        bool last = false, stuck = false;
        if (sipi) {
            v->start_cs = (uint16_t)((sipi & 0xff) << 8);
            v->needs_setup = true;
        } else {
            v->wait_sipi = true;
            v->needs_setup = true;
            last = detach(v, pc, rdtsc());
            stuck = guest_is_stuck(v->guest);
        }
        spin_unlock_irqrestore(&lock, f);
        if (!sipi) {
            if (stuck)
                guest_stop(v->guest, 0, "every vCPU waits for SIPI or halted for good");
            if (last)
                partition_finished(v->guest);
            return false;
        }
    }
    if (v->needs_setup) {
        if (v->vmcs_cpu && v->vmcs_cpu != pc) {
            kprintf("sched: guest %s vCPU %u: VMCS still active on cpu%u\n", v->guest->name,
                    v->id, v->vmcs_cpu->index);
            return false;
        }
        if (!partition_setup_vcpu(v, pc))
            return false;
        v->needs_setup = false;
        pc->current_vmcs = v;
        return true;
    }
    if (pc->current_vmcs != v) {
        if (!vcpu_vmcs_load(v, pc)) {
            guest_stop(v->guest, 255, "could not load its VMCS on cpu%u", pc->index);
            return false;
        }
        pc->current_vmcs = v;
    }
    return true;
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
    uint64_t f = spin_lock_irqsave(&lock);
    uint64_t wake = next_wakeup(pc);
    spin_unlock_irqrestore(&lock, f);
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

static bool all_stopped(void)
{
    for (unsigned i = 0; i < partitions_count(); i++) {
        const struct guest *g = partition_guest(i);
        if (g->state != GUEST_STOPPED || g->attached || g->start_requested)
            return false;
    }
    return true;
}

void schedule_run(struct percpu *pc)
{
    bool bsp = pc->index == 0;

    while (!ready) {
        irq_enable();
        cpu_halt();
    }
    if (!can_run_guests(pc)) {
        if (bsp)
            partitions_wait();
        return;
    }
    /* The host tick served the boot; from here a CPU hears only about its
     * guests, unless it polls the console or ends slices without the
     * VMX-preemption timer. */
    if (!host_tick(pc))
        lapic_timer_stop();

    for (;;) {
        if (pc->console)
            shell_poll();
        uint64_t now = rdtsc();
        uint64_t f = spin_lock_irqsave(&lock);
        pc->resched = 0;
        struct guest *finished = tend(pc, now);
        struct sched_vcpu *sv = sched_switch(pc->sched, now);
        spin_unlock_irqrestore(&lock, f);
        if (finished)
            partition_finished(finished);
        if (!sv) {
            if (bsp && all_stopped())
                return;
            idle_wait(pc);
            continue;
        }
        struct vcpu *v = vcpu_of(sv);
        if (!prepare(v, pc))
            continue;
        uint64_t slice = sched_slice(pc->sched);
        uint64_t until = slice ? rdtsc() + slice : 0;
        f = spin_lock_irqsave(&lock);
        uint64_t wake = next_wakeup(pc);
        spin_unlock_irqrestore(&lock, f);
        if (wake && (!until || wake < until))
            until = wake;
        v->run_until = until;

        enum run_result r = vcpu_run(v, &pc->resched);
        crash_test(v, pc);

        now = rdtsc();
        f = spin_lock_irqsave(&lock);
        bool stuck = false;
        if (r == RUN_BLOCKED && !wakes(v, now)) {
            sched_block(pc->sched, &v->sv, now);
            stuck = guest_is_stuck(v->guest);
        } else if ((r == RUN_PREEMPTED || r == RUN_KICKED) && pc->sched->policy == &sched_fair) {
            /* Kicked too: on the console CPU the tick starts every slice
             * afresh, so the slice alone would never end there. */
            balance(pc, now);
        }
        spin_unlock_irqrestore(&lock, f);
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
    irq_register(VEC_KICK, kick_handler);
    int console = -1;
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *pc = cpus[i];
        if (!pc)
            continue;
        /* A CPU that cannot run guests gets the noop policy too: load
         * balancing only ever moves vCPUs between fair CPUs. */
        sched_cpu_init(&scpu[i], (int)i,
                       pc->pinned || !can_run_guests(pc) ? &sched_noop : &sched_fair,
                       slice_ticks);
        pc->sched = &scpu[i];
        if (console < 0 && can_run_guests(pc) && !pc->pinned)
            console = (int)i;
    }
    /* The operator console is polled by an unpinned CPU if there is one,
     * so pinned guests get no ticks at all. */
    cpus[console >= 0 ? console : 0]->console = true;
    ready = true;
    for (unsigned i = 1; i < cpu_count; i++)
        if (cpus[i] && cpus[i]->state == CPU_ONLINE)
            lapic_send_ipi(cpus[i]->apic_id, VEC_KICK);
}
