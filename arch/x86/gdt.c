/*
 * Per-CPU GDT and TSS. The core depends on nothing the firmware left: each
 * CPU gets a flat 64-bit code and data segment and a TSS whose IST stacks
 * take #DF, NMI and #MC, so a broken stack still yields a register dump
 * (SDM Vol. 3A 6.14.5).
 */
#include <arch/percpu.h>
#include <arch/idt.h>
#include <arch/msr.h>
#include <arch/cpu.h>
#include <hv/layout.h>
#include <hv/string.h>

static uint64_t tss_desc_low(uint64_t base, uint32_t limit)
{
    /* SDM Vol. 3A 8.2.3: 64-bit TSS descriptor, type 9 (available). */
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

static void gdt_load(struct percpu *pc)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed gdtr = { sizeof(pc->gdt) - 1, (uint64_t)pc->gdt };

    __asm__ volatile(
        "lgdt %0\n\t"
        "mov %1, %%ds\n\t"
        "mov %1, %%es\n\t"
        "mov %1, %%ss\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%ax, %%fs\n\t"
        "mov %%ax, %%gs\n\t"
        "pushq %2\n\t"
        "lea 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "ltr %w3"
        : : "m"(gdtr), "r"((uint64_t)GDT_DATA), "i"(GDT_CODE64), "r"((uint64_t)GDT_TSS)
        : "rax", "memory");
}

void cpu_init_tables(struct percpu *pc)
{
    pc->self = pc;
    pc->gdt[0] = 0;
    pc->gdt[1] = 0x00af9a000000ffffULL;      /* code: L=1, P, DPL0 */
    pc->gdt[2] = 0x00cf92000000ffffULL;      /* data */
    pc->gdt[3] = tss_desc_low((uint64_t)&pc->tss, sizeof(pc->tss) - 1);
    pc->gdt[4] = (uint64_t)&pc->tss >> 32;

    memset(&pc->tss, 0, sizeof(pc->tss));
    pc->tss.iomap_base = sizeof(pc->tss);    /* no I/O bitmap */
    pc->tss.rsp[0] = pc->stack_top;
    for (int i = 0; i < 3; i++)
        pc->tss.ist[i] = (uint64_t)pc->ist_stacks + (uint64_t)(i + 1) * IST_STACK_SIZE;

    gdt_load(pc);
    wrmsr(MSR_GS_BASE, (uint64_t)pc);
    idt_load();
}
