/*
 * The IDT (shared by all CPUs) and interrupt dispatch. Exceptions in the
 * core are fatal for the CPU that takes them, except where an instruction
 * was marked as allowed to fault (the .extable fixups used by rdmsr_safe).
 */
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/lapic.h>
#include <arch/pic.h>
#include <hv/log.h>
#include <hv/string.h>

struct idt_gate {
    uint16_t off0;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off1;
    uint32_t off2;
    uint32_t reserved;
} __packed;

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t handlers[256];
extern const uint64_t isr_stubs[256];

struct extable_entry { uint64_t insn, fixup; };
extern const struct extable_entry __extable_start[], __extable_end[];

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization exception",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24",
    "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t off = isr_stubs[v];
        uint8_t ist = v == 8 ? IST_DF : v == VEC_NMI ? IST_NMI : v == 18 ? IST_MC : 0;
        idt[v] = (struct idt_gate){
            .off0 = off & 0xffff,
            .sel = GDT_CODE64,
            .ist = ist,
            .type = 0x8e,               /* present, DPL0, 64-bit interrupt gate */
            .off1 = (off >> 16) & 0xffff,
            .off2 = off >> 32,
        };
    }
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_register(uint8_t vector, irq_handler_t h)
{
    handlers[vector] = h;
}

static bool extable_fixup(struct regs *r)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == r->rip) {
            r->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static void dump_regs(const struct regs *r)
{
    kprintf("  RIP %016lx  CS %04lx  RFLAGS %016lx\n", r->rip, r->cs, r->rflags);
    kprintf("  RSP %016lx  SS %04lx  error %lx\n", r->rsp, r->ss, r->error);
    kprintf("  RAX %016lx  RBX %016lx  RCX %016lx\n", r->rax, r->rbx, r->rcx);
    kprintf("  RDX %016lx  RSI %016lx  RDI %016lx\n", r->rdx, r->rsi, r->rdi);
    kprintf("  RBP %016lx  R8  %016lx  R9  %016lx\n", r->rbp, r->r8, r->r9);
    kprintf("  R10 %016lx  R11 %016lx  R12 %016lx\n", r->r10, r->r11, r->r12);
    kprintf("  R13 %016lx  R14 %016lx  R15 %016lx\n", r->r13, r->r14, r->r15);
    kprintf("  CR0 %016lx  CR2 %016lx  CR3 %016lx  CR4 %016lx\n",
            read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

static __noreturn void fatal_exception(struct regs *r)
{
    struct percpu *pc = this_cpu();
    unsigned idx = pc ? pc->index : 0;
    uint32_t apic = pc ? pc->apic_id : 0;

    kprintf("\nEXCEPTION %s (vector %lu) on cpu%u (apic %u)\n",
            r->vector < 32 ? exc_names[r->vector] : "?", r->vector, idx, apic);
    dump_regs(r);
    kprintf("cpu%u stopped\n", idx);
    if (pc) {
        /* The scheduler of another CPU stops the guests that ran here
         * (sched/run.c): the state is the request, the kicks wake them. */
        __atomic_store_n(&pc->state, CPU_FAILED, __ATOMIC_RELEASE);
        smp_kick_others();
    }
    cpu_halt_forever();
}

void interrupt_dispatch(struct regs *r)
{
    uint8_t v = (uint8_t)r->vector;

    if (handlers[v]) {
        handlers[v](r);
        return;
    }
    if (v < 32 && v != VEC_NMI) {
        if (extable_fixup(r))
            return;
        fatal_exception(r);
    }
    if (v == VEC_SPURIOUS)
        return;                         /* SDM Vol. 3A 11.9: no EOI */
    if (v >= PIC_VECTOR_BASE && v < PIC_VECTOR_BASE + 16)
        return;                         /* a masked 8259's spurious IRQ7/15 */
    kprintf("cpu%u: unexpected interrupt vector %u\n", smp_cpu_index(), v);
    lapic_eoi();
}

void interrupt_dispatch_vector(uint8_t vector)
{
    struct regs r = { .vector = vector };
    interrupt_dispatch(&r);
}

/* rdmsr/wrmsr that return false on #GP instead of stopping the CPU. */
bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    int fault = 0;

    __asm__ volatile("1: rdmsr\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".quad 1b, 3f\n"
                     ".popsection\n"
                     ".pushsection .text.fixup, \"ax\"\n"
                     "3: movl $1, %2\n"
                     "jmp 2b\n"
                     ".popsection"
                     : "+a"(lo), "+d"(hi), "+r"(fault) : "c"(msr));
    *val = ((uint64_t)hi << 32) | lo;
    return !fault;
}

bool wrmsr_safe(uint32_t msr, uint64_t val)
{
    int fault = 0;

    __asm__ volatile("1: wrmsr\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".quad 1b, 3f\n"
                     ".popsection\n"
                     ".pushsection .text.fixup, \"ax\"\n"
                     "3: movl $1, %0\n"
                     "jmp 2b\n"
                     ".popsection"
                     : "+r"(fault) : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return !fault;
}
