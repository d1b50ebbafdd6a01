/* Interrupt and exception dispatch. */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <hv/compiler.h>

/* Registers saved by the common interrupt stub (arch/x86/isr.asm), in the
 * order they sit on the stack. */
struct regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

#define VEC_NMI          2
#define VEC_TIMER        0x20
#define VEC_KICK         0xf1   /* host IPI: leave guest mode, look at the run queue */
#define VEC_SPURIOUS     0xff

typedef void (*irq_handler_t)(struct regs *r);

void idt_init(void);            /* build the shared IDT once (BSP) */
void idt_load(void);            /* LIDT on the running CPU */
void irq_register(uint8_t vector, irq_handler_t h);

/* Entry from isr.asm. */
void interrupt_dispatch(struct regs *r);
/* Run the handler of an interrupt the CPU already acknowledged (a VM exit
 * with "acknowledge interrupt on exit", SDM Vol. 3C 25.7.1). */
void interrupt_dispatch_vector(uint8_t vector);

#endif
