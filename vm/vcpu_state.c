/*
 * The guest state that is neither in the VMCS nor saved by the entry
 * code: x87/SSE/AVX registers and XCR0, DR0-DR3 and DR6, CR2, and the
 * MSRs a 64-bit OS uses for system calls (KERNEL_GS_BASE, STAR, LSTAR,
 * CSTAR, SFMASK) and TSC_AUX. The hypervisor never uses any of it, so it
 * stays in the CPU while the vCPU is the CPU's current one, across all its
 * exits, and is switched only when the CPU runs another vCPU or the vCPU
 * leaves the CPU (SDM Vol. 3C 27.5 lists what a VM exit does load: none
 * of this, except DR7, which the VMCS debug controls keep per vCPU).
 * The six MSRs are therefore passed through in the MSR bitmap: the guest
 * reads and writes its own values without an exit.
 */
#include <hv/vcpu.h>
#include <hv/guest.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <arch/percpu.h>
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/msr.h>
#include <arch/cpuid_policy.h>

#define DR6_INIT 0xffff0ff0ULL

static const uint32_t switched_msrs[VCPU_SWITCHED_MSRS] = {
    MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_TSC_AUX,
};

static uint64_t read_dr(unsigned n)
{
    uint64_t v = 0;
    switch (n) {
    case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v)); break;
    }
    return v;
}

static void write_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
    case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
    case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v)); break;
    }
}

bool vcpu_state_alloc(struct vcpu *v)
{
    if (v->state.fpu)
        return true;
    size_t pages = (fpu_info()->size + PAGE_SIZE - 1) / PAGE_SIZE;
    v->state.fpu = page_alloc(pages ? pages : 1);
    return v->state.fpu != NULL;
}

void vcpu_state_reset(struct vcpu *v)
{
    struct vcpu_state *s = &v->state;
    if (s->fpu)
        fpu_area_init(s->fpu);
    s->xcr0 = XFEATURE_X87;
    for (unsigned i = 0; i < 4; i++)
        s->dr[i] = 0;
    s->dr6 = DR6_INIT;
    s->cr2 = 0;
    for (unsigned i = 0; i < VCPU_SWITCHED_MSRS; i++)
        s->msr[i] = 0;
}

static void save(struct vcpu *v)
{
    struct vcpu_state *s = &v->state;
    fpu_save(s->fpu);
    for (unsigned i = 0; i < 4; i++)
        s->dr[i] = read_dr(i);
    s->dr6 = read_dr(6);
    s->cr2 = read_cr2();
    for (unsigned i = 0; i < VCPU_SWITCHED_MSRS; i++)
        s->msr[i] = rdmsr(switched_msrs[i]);
}

static void restore(struct vcpu *v)
{
    const struct vcpu_state *s = &v->state;
    fpu_restore(s->fpu, s->xcr0);
    for (unsigned i = 0; i < 4; i++)
        write_dr(i, s->dr[i]);
    write_dr(6, s->dr6);
    write_cr2(s->cr2);
    for (unsigned i = 0; i < VCPU_SWITCHED_MSRS; i++)
        wrmsr(switched_msrs[i], s->msr[i]);
}

void vcpu_state_load(struct vcpu *v, struct percpu *pc)
{
    if (pc->state_owner == v)
        return;
    if (pc->state_owner)
        save(pc->state_owner);
    restore(v);
    pc->state_owner = v;
}

void vcpu_state_put(struct vcpu *v, struct percpu *pc)
{
    if (pc->state_owner != v)
        return;
    save(v);
    pc->state_owner = NULL;
}

void vcpu_state_init_signal(struct vcpu *v, struct percpu *pc)
{
    /* INIT (SDM Vol. 3A 10.1.1, table 10-1, "after INIT"): the debug
     * registers and CR2 are reset; x87/SSE state, XCR0 and the MSRs keep
     * their values. */
    vcpu_state_put(v, pc);
    for (unsigned i = 0; i < 4; i++)
        v->state.dr[i] = 0;
    v->state.dr6 = DR6_INIT;
    v->state.cr2 = 0;
}

/* The MSR bitmap (SDM Vol. 3C 25.6.9): read bits for 0-0x1fff at 0, for
 * 0xc0000000-0xc0001fff at 1 KiB; write bits at 2 and 3 KiB. */
static void msr_pass(uint8_t *bitmap, uint32_t msr)
{
    unsigned base = msr >= 0xc0000000u ? 1024 : 0;
    unsigned bit = msr & 0x1fff;
    bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));
    bitmap[2048 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

void vcpu_state_open_msrs(struct vcpu *v)
{
    for (unsigned i = 0; i < VCPU_SWITCHED_MSRS; i++)
        msr_pass(v->vmx.msr_bitmap, switched_msrs[i]);
}

bool vcpu_set_xcr0(struct vcpu *v, uint64_t val)
{
    /* Only what CPUID leaf 0xd offers the guest (docs/cpu-policy.md). */
    const struct fpu_info *f = fpu_info();
    if (!f->xsave || !xcr0_valid(val, f->mask & CPUID_POLICY_XCR0))
        return false;
    v->state.xcr0 = val;
    fpu_set_xcr0(val);      /* the vCPU's state is this CPU's now */
    return true;
}
