/* Thin wrappers around x86 instructions. Nothing here has policy. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <hv/compiler.h>

/* Exception vectors (SDM Vol. 3A 7.15, table 7-1). */
#define X86_EXC_DB  1
#define X86_EXC_NMI 2
#define X86_EXC_UD  6
#define X86_EXC_GP  13
#define X86_EXC_PF  14
#define X86_EXC_MC  18

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* RDMSR that survives a #GP (absent MSR): returns false instead of faulting.
 * Implemented with the exception fixup table in arch/x86/idt.c. */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

#define DEFINE_CR(n) \
    static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }

/* Stop this CPU for good: interrupts off, NMIs land on an IST stack and
 * return here. */
static inline __noreturn void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

/* Control register and EFER bits used across the core (SDM Vol. 3A 2.5). */
#define CR0_PE  BIT(0)
#define CR0_MP  BIT(1)
#define CR0_EM  BIT(2)
#define CR0_TS  BIT(3)
#define CR0_ET  BIT(4)
#define CR0_NE  BIT(5)
#define CR0_WP  BIT(16)
#define CR0_AM  BIT(18)
#define CR0_NW  BIT(29)
#define CR0_CD  BIT(30)
#define CR0_PG  BIT(31)

#define CR4_VME        BIT(0)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_PGE        BIT(7)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)

#define RFLAGS_CF BIT(0)
#define RFLAGS_ZF BIT(6)
/* CR4 bits of features CPUID hides from guests (docs/cpu-policy.md):
 * SMXE (14), PKE (22), CET (23). The host owns them, so a guest's MOV to
 * CR4 that sets one exits and gets #GP, as on a CPU without them. */
#define CR4_HIDDEN (BIT(14) | BIT(22) | BIT(23))
#define RFLAGS_IF BIT(9)
#define RFLAGS_RF BIT(16)

#endif
