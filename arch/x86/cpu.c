/*
 * Per-CPU bring-up shared by the BSP and the APs, in one fixed order:
 * descriptor tables (done by the caller), LAPIC, per-CPU timer, VMX.
 */
#include <arch/percpu.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/vmx.h>
#include <arch/vmx_controls.h>
#include <hv/console.h>
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

void cpu_irq_init(void)
{
    irq_register(VEC_TIMER, timer_tick);
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

static void vmx_bringup(struct percpu *pc)
{
    void *region = page_alloc(1);

    if (!region) {
        kprintf("vmx: cpu%u apic %u: VMX off: no memory for the VMXON region\n",
                pc->index, pc->apic_id);
        return;
    }
    if (vmx_cpu_enable(&pc->vmx, region, kva_to_phys(region)) == 0) {
        kprintf("vmx: cpu%u apic %u: VMX on (VMCS revision %#x)\n",
                pc->index, pc->apic_id, pc->vmx.caps.revision_id);
        /* A missing required feature is said once, at start-up. */
        struct vmx_controls ctl;
        char why[128];
        if (vmx_controls_compute(&pc->vmx.caps, &ctl, why, sizeof(why)))
            kprintf("vmx: cpu%u apic %u: cannot run guests: %s\n", pc->index, pc->apic_id, why);
        if (pc->index == 0) {
            char line[256];
            vmx_caps_summary(&pc->vmx.caps, line, sizeof(line));
            kprintf("vmx: features: %s\n", line);
        }
    } else {
        kprintf("vmx: cpu%u apic %u: VMX off: %s\n", pc->index, pc->apic_id,
                pc->vmx.reason);
        page_free(region, 1);
    }
}

int cpu_crash_test = -1;

void cpu_bringup(struct percpu *pc)
{
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
    vmx_bringup(pc);

    if (cpu_crash_test == (int)pc->index) {
        kprintf("cpu%u: crash_cpu=%u: executing an invalid instruction\n", pc->index, pc->index);
        __asm__ volatile("ud2");
    }
}
