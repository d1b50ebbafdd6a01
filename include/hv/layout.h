/*
 * Where the core lives. The image is linked at KERNEL_VBASE + LOAD_BASE
 * (the boot code at LOAD_BASE itself) and may be loaded at LOAD_BASE plus
 * any multiple of 2 MiB; core/entry.asm maps the high half accordingly and
 * records the difference in kernel_load_delta. All other memory is
 * identity-mapped, so a physical address is also a valid pointer.
 */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

#define KERNEL_VBASE 0xffffffff80000000
#define LOAD_BASE    0x200000

#ifndef __ASSEMBLER__
#include <hv/compiler.h>

extern uint64_t kernel_load_delta;
extern char __image_start[], __image_end[], __high_start[];

/* Physical address of a core symbol (code, data, bss, stacks). */
static inline uint64_t kva_to_phys(const void *p)
{
    uint64_t v = (uint64_t)p;
    if (v >= KERNEL_VBASE)
        return v - KERNEL_VBASE + kernel_load_delta;
    return v;                       /* identity-mapped */
}

static inline void *phys_to_ptr(uint64_t phys)
{
    return (void *)phys;
}
#endif
#endif
