/*
 * Per-CPU bring-up shared by the BSP and the APs, in one fixed order:
 * descriptor tables (done by the caller), LAPIC, per-CPU timer. VMX comes
 * next, from the layer above (vmx/vmxon.c), in core/main.c's order.
 */
#include <arch/percpu.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/fpu.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/mm.h>

#define TIMER_HZ 100
/* The proof runs the timer fast so it costs 2 ms, not 20, of boot time. */
#define TIMER_PROOF_HZ 1000
/* Ticks that prove the timer works, and how long we give them. */
#define TIMER_PROOF_TICKS 2
#define TIMER_PROOF_MS    100

static void timer_tick(struct regs *r)
{
    (void)r;
    struct percpu *pc = this_cpu();
    pc->timer_ticks++;
    /* The console CPU leaves guest mode to poll the operator console. */
    if (pc->console)
        pc->resched = 1;
    lapic_eoi();
}

/* A kick only brings the CPU out of guest mode or HLT; the loop it
 * returns to looks at what changed. */
static void kick_handler(struct regs *r)
{
    (void)r;
    lapic_eoi();
}

void cpu_irq_init(void)
{
    irq_register(VEC_TIMER, timer_tick);
    irq_register(VEC_KICK, kick_handler);
    irq_register(VEC_NMI, smp_nmi);
}

static bool timer_check(struct percpu *pc)
{
    uint64_t end = rdtsc() + tsc_hz() / 1000 * TIMER_PROOF_MS;

    lapic_timer_periodic(VEC_TIMER, TIMER_PROOF_HZ);
    irq_enable();
    while (pc->timer_ticks < TIMER_PROOF_TICKS && rdtsc() < end)
        cpu_relax();
    irq_disable();
    lapic_timer_periodic(VEC_TIMER, TIMER_HZ);
    return pc->timer_ticks >= TIMER_PROOF_TICKS;
}

void cpu_bringup(struct percpu *pc)
{
    fpu_cpu_init();
    lapic_init();
    uint32_t id = lapic_id();
    if (id != pc->apic_id && pc->index != 0)
        kprintf("cpu%u: MADT says apic %u, LAPIC says %u; using %u\n",
                pc->index, pc->apic_id, id, id);
    pc->apic_id = id;
    pc->online_tsc = rdtsc();

    bool timer_ok = timer_check(pc);
    kprintf("cpu%u: apic %u online (%s), timer %s\n", pc->index, pc->apic_id,
            lapic_x2apic() ? "x2APIC" : "xAPIC",
            timer_ok ? "ticking" : "NOT ticking: no timer interrupts within 100 ms");
}

void cpu_kick(struct percpu *pc)
{
    pc->resched = 1;
    if (pc != this_cpu())
        lapic_send_ipi(pc->apic_id, VEC_KICK);
}

void cpu_poke(struct percpu *pc)
{
    if (pc != this_cpu())
        lapic_send_ipi(pc->apic_id, VEC_KICK);
}

static void (*halt_hook)(struct percpu *pc);

void cpu_on_halt(void (*fn)(struct percpu *pc))
{
    halt_hook = fn;
}

void cpu_halt_prepare(void)
{
    if (halt_hook)
        halt_hook(this_cpu());
}
