/*
 * Application processor start-up (SDM Vol. 3A 9.4.4.1, "typical AP
 * initialization sequence"): INIT, 10 ms, STARTUP, 200 us, STARTUP, each
 * AP running the trampoline below 1 MiB. APs are started one at a time,
 * since they share the trampoline's parameter block; an AP that does not
 * answer within its deadline is reported and skipped, never waited on.
 */
#include <stdarg.h>
#include <arch/percpu.h>
#include <arch/lapic.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/idt.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>

struct trampoline_params {
    uint64_t gdt[3];
    uint16_t gdtr_limit;
    uint32_t gdtr_base;
    uint16_t pad0;
    uint32_t jmp_off;
    uint16_t jmp_sel;
    uint16_t pad1;
    uint64_t cr3;
    uint64_t stack;
    uint64_t percpu;
    uint64_t entry;
    uint64_t long_off;
} __packed;

extern const char trampoline_start[], trampoline_end[], trampoline_params[];

static struct percpu *cpus[MAX_CPUS];
static unsigned cpu_count;
static volatile bool stop_requested;

/* How long an AP gets from its first STARTUP to running C code. */
#define AP_ALIVE_TIMEOUT_MS 500

unsigned smp_cpu_index(void)
{
    struct percpu *pc;

    if (rdmsr(0xc0000101) == 0)         /* GS base not set yet: the BSP */
        return 0;
    pc = this_cpu();
    return pc->index;
}

unsigned smp_online_count(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < cpu_count; i++)
        if (cpus[i] && cpus[i]->state == CPU_ONLINE)
            n++;
    return n;
}

/* NMI handler: the stop request of smp_stop_others, else unexpected. */
void smp_nmi(struct regs *r)
{
    if (!stop_requested) {
        kprintf("cpu%u: unexpected NMI at %#lx\n", smp_cpu_index(), r->rip);
        return;
    }
    /* Leave VMX root too: INIT is blocked there (SDM Vol. 3C 24.8), and a
     * reset or the next owner of the machine expects CPUs that answer it. */
    cpu_halt_prepare();
    this_cpu()->state = CPU_STOPPED;
    cpu_halt_forever();
}

void smp_stop_others(void)
{
    unsigned me = smp_cpu_index();

    stop_requested = true;
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *pc = cpus[i];
        if (!pc || i == me || pc->state != CPU_ONLINE)
            continue;
        /* NMI: reaches the CPU even with interrupts disabled. */
        lapic_send_ipi(pc->apic_id, ICR_NMI);
    }
}

struct percpu *percpu_get(unsigned index)
{
    return index < cpu_count ? cpus[index] : NULL;
}

unsigned percpu_count(void)
{
    return cpu_count;
}

void percpu_add(struct percpu *pc)
{
    if (cpu_count < MAX_CPUS)
        cpus[cpu_count++] = pc;
}

void smp_kick_others(void)
{
    unsigned me = smp_cpu_index();
    for (unsigned i = 0; i < cpu_count; i++)
        if (cpus[i] && i != me && cpus[i]->state == CPU_ONLINE)
            cpu_kick(cpus[i]);
}

struct percpu *percpu_alloc(unsigned index, uint32_t apic_id)
{
    struct percpu *pc = page_alloc((sizeof(*pc) + PAGE_SIZE - 1) / PAGE_SIZE);
    uint8_t *stack = page_alloc(CPU_STACK_SIZE / PAGE_SIZE);
    uint8_t *ist = page_alloc(3 * IST_STACK_SIZE / PAGE_SIZE);

    if (!pc || !stack || !ist)
        return NULL;
    pc->index = index;
    pc->apic_id = apic_id;
    pc->stack_top = (uint64_t)stack + CPU_STACK_SIZE;
    pc->ist_stacks = ist;
    return pc;
}

static void (*ap_main_fn)(struct percpu *pc);

static __noreturn void ap_entry(struct percpu *pc)
{
    cpu_init_tables(pc);
    pc->state = CPU_ALIVE;      /* the BSP may reuse the trampoline now */
    ap_main_fn(pc);
    for (;;) {
        irq_enable();
        cpu_halt();
    }
}

static bool wait_state_change(struct percpu *pc, uint64_t ms)
{
    uint64_t end = rdtsc() + tsc_hz() / 1000 * ms;
    while (rdtsc() < end) {
        if (pc->state != CPU_STARTING)
            return true;
        cpu_relax();
    }
    return pc->state != CPU_STARTING;
}

static bool start_ap(struct percpu *pc, uint64_t tramp, struct trampoline_params *tp)
{
    tp->stack = pc->stack_top;
    tp->percpu = (uint64_t)pc;
    pc->state = CPU_STARTING;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    lapic_send_ipi(pc->apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
    mdelay(10);
    for (int sipi = 0; sipi < 2; sipi++) {
        lapic_send_ipi(pc->apic_id, ICR_STARTUP | (uint32_t)(tramp >> 12));
        /* The second STARTUP only when the first went unanswered. */
        if (wait_state_change(pc, sipi == 0 ? 1 : AP_ALIVE_TIMEOUT_MS))
            return true;
    }
    pc->state = CPU_FAILED;
    return false;
}

void smp_start_aps(void (*ap_main)(struct percpu *pc))
{
    ap_main_fn = ap_main;
    uint64_t tramp = page_alloc_low();
    size_t len = (size_t)(trampoline_end - trampoline_start);

    if (cpu_count <= 1)
        return;
    if (!tramp) {
        kprintf("smp: no free page below 1 MiB for the AP trampoline; "
                "running on the boot CPU only\n");
        return;
    }
    memcpy(phys_to_ptr(tramp), trampoline_start, len);
    struct trampoline_params *tp =
        phys_to_ptr(tramp + (uint64_t)(trampoline_params - trampoline_start));
    tp->gdtr_base = (uint32_t)(tramp + (uint64_t)(trampoline_params - trampoline_start));
    tp->jmp_off = (uint32_t)(tramp + tp->long_off);
    tp->cr3 = read_cr3();
    tp->entry = (uint64_t)ap_entry;

    if (tp->cr3 >> 32) {
        kprintf("smp: page tables above 4 GiB; APs cannot load them\n");
        return;
    }
    for (unsigned i = 1; i < cpu_count; i++) {
        struct percpu *pc = cpus[i];
        if (!pc)
            continue;
        if (!start_ap(pc, tramp, tp))
            kprintf("smp: cpu%u (apic %u) did not start; skipped\n", pc->index, pc->apic_id);
    }
}

__noreturn void panic(const char *fmt, ...)
{
    va_list ap;

    irq_disable();
    kprintf("\nPANIC on cpu%u: ", smp_cpu_index());
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    smp_stop_others();
    cpu_halt_forever();
}
