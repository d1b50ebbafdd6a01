/*
 * The vCPU (include/hv/vcpu.h): creation and power-on state, its general
 * registers, the instruction and event bookkeeping every exit handler
 * uses, and the requests other CPUs post to it. Its VMCS is
 * vm/vcpu_vmcs.c, its local APIC vm/vlapic.c and vm/vlapic_io.c.
 */
#include <hv/vcpu.h>
#include <hv/vlapic_io.h>
#include <hv/guest.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <arch/vmcs.h>
#include <arch/percpu.h>
#include <arch/lapic.h>
#include <arch/tsc.h>
#include <arch/gpt.h>
#include <arch/cpu.h>
#include <arch/fpu.h>

struct vcpu *vcpu_create(struct guest *g, unsigned id, uint16_t vpid)
{
    struct vcpu *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->guest = g;
    v->id = id;
    v->vmx.vpid = vpid;
    if (!vcpu_state_alloc(v)) {
        kfree(v);
        return NULL;
    }
    vcpu_reset(v);
    return v;
}

void vcpu_destroy(struct vcpu *v)
{
    if (v->state.fpu)
        page_free(v->state.fpu, (fpu_info()->size + PAGE_SIZE - 1) / PAGE_SIZE);
    kfree(v);
}

void vcpu_reset(struct vcpu *v)
{
    memset(&v->regs, 0, sizeof(v->regs));
    vcpu_state_reset(v);
    vmsr_reset(&v->msr, v->id == 0);
    vlapic_reset(&v->lapic, v->id, vcpu_apic_tsc_per_tick());
    vlapic_base_changed(v);
    v->needs_setup = true;
    v->wait_sipi = v->id != 0;
    __atomic_store_n(&v->requests, 0, __ATOMIC_RELEASE);
    v->sipi_vector = 0;
    v->posted_any = v->posted_nmi = 0;
    for (int i = 0; i < 8; i++)
        v->posted[i] = v->posted_level[i] = 0;
}

/* The virtual APIC timer counts one tick per `tsc_per_tick` TSC ticks
 * (before its divider): the host LAPIC timer's input clock as near as a
 * whole number of TSC ticks gets, and the guest is told the bus clock
 * that makes exactly (CPUID 0x40000010 EBX), so its own conversions
 * between timer counts and TSC ticks agree with the model's. Where the
 * TSC is slower than the APIC bus (an emulator), one tick per TSC tick. */
uint64_t vcpu_apic_tsc_per_tick(void)
{
    uint64_t bus_hz = lapic_timer_hz() * 16;
    return bus_hz ? MAX(tsc_hz() / bus_hz, 1) : 1;
}

uint64_t vcpu_apic_bus_hz(void)
{
    return tsc_hz() / vcpu_apic_tsc_per_tick();
}

void vcpu_kick(struct vcpu *v)
{
    /* What was posted is visible before its state is read: either this
     * sees it blocked (and kicks), or its CPU, which takes a lock (a full
     * barrier) between blocking it and looking at it again, sees the
     * event. Without the fence the two could miss each other. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct percpu *pc = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);
    if (!pc)
        return;         /* on no CPU: whoever places it sees what was posted */
    /* In guest mode on its CPU: an IPI brings it out to take the event.
     * Halted (blocked): its CPU looks again and wakes it. Queued: it takes
     * the event when it next runs, and nobody else is disturbed. The
     * state is the scheduler's, read without its lock: a vCPU that
     * changes state meanwhile checks for posted events itself. */
    if (__atomic_load_n(&pc->in_guest, __ATOMIC_ACQUIRE) == v)
        cpu_poke(pc);
    else if (__atomic_load_n(&v->sv.state, __ATOMIC_ACQUIRE) == SV_BLOCKED)
        cpu_kick(pc);
}

void vcpu_make_request(struct vcpu *v, uint32_t req)
{
    __atomic_fetch_or(&v->requests, req, __ATOMIC_ACQ_REL);
    vcpu_kick(v);
}

void vcpu_post_interrupt(struct vcpu *t, uint8_t vector)
{
    __atomic_fetch_or(&t->posted[vector / 32], 1u << (vector % 32), __ATOMIC_RELEASE);
    __atomic_store_n(&t->posted_any, 1, __ATOMIC_RELEASE);
    vcpu_kick(t);
}

void vcpu_post_interrupt_level(struct vcpu *t, uint8_t vector)
{
    /* The level bit before the vector: whoever takes the vector then
     * sees it (vlapic_take_posted). */
    __atomic_fetch_or(&t->posted_level[vector / 32], 1u << (vector % 32), __ATOMIC_RELEASE);
    vcpu_post_interrupt(t, vector);
}

void vcpu_post_nmi(struct vcpu *t)
{
    __atomic_fetch_add(&t->posted_nmi, 1, __ATOMIC_RELEASE);
    vcpu_kick(t);
}

void vcpu_set_extint(struct vcpu *t, bool asserted)
{
    uint32_t was = __atomic_exchange_n(&t->extint, asserted ? 1u : 0u, __ATOMIC_ACQ_REL);
    if (asserted && !was)
        vcpu_kick(t);
}

/* Exit-qualification register number -> slot in struct guest_regs (RSP
 * lives in the VMCS). */
static const uint8_t gpr_slot[16] = { 0, 2, 3, 1, 0xff, 6, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14 };

uint64_t vcpu_gpr(struct vcpu *v, unsigned n)
{
    const uint64_t *r = &v->regs.rax;
    if (n == 4)
        return vmcs_readnat(VMCS_GUEST_RSP);
    return r[gpr_slot[n & 15]];
}

void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
    uint64_t *r = &v->regs.rax;
    if (n == 4)
        vmcs_writenat(VMCS_GUEST_RSP, val);
    else
        r[gpr_slot[n & 15]] = val;
}

void vcpu_skip_insn(struct vcpu *v)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + v->vmx.exit_insn_len);
    /* An emulated instruction ends the one-instruction shadow of a
     * preceding STI or MOV SS, as executing it would have (SDM Vol. 3C
     * 25.4.2, table 25-3): "sti; hlt" must be able to take an interrupt. */
    uint32_t intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    uint32_t shadow = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS;
    if (intr & shadow)
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~shadow);
}

/* Faults, as opposed to traps and aborts (SDM Vol. 3A 7.15, table 7-1):
 * #DE, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #PF, #MF, #AC, #XM, #VE, #CP. */
#define FAULT_VECTORS (BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(10) | BIT(11) | BIT(12) | \
                       BIT(13) | BIT(14) | BIT(16) | BIT(17) | BIT(19) | BIT(20) | BIT(21))
#define SS_AR_DPL(ar) (((ar) >> 5) & 3)

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v;
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXC | vector;
    /* Real mode pushes no error code; VM entry fails if one is asked for
     * there (SDM Vol. 3C 26.2.1.3). */
    if (has_error && (vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE)) {
        info |= INTR_INFO_DELIVER_CODE;
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, error);
    }
    if (vector < 32 && (FAULT_VECTORS & BIT(vector)))
        vmcs_writenat(VMCS_GUEST_RFLAGS, vmcs_readnat(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

void vcpu_inject_page_fault(struct vcpu *v, uint64_t addr, uint32_t error)
{
    /* CR2 is not in the VMCS: the guest's value is the CPU's own, which
     * the hypervisor never changes otherwise (and switches with the
     * vCPU, vm/vcpu_state.c). */
    write_cr2(addr);
    vcpu_inject_exception(v, X86_EXC_PF, true, error);
}

uint64_t vcpu_cr0(struct vcpu *v)
{
    uint64_t mask = v->vmx.cr0_mask;
    return (vmcs_readnat(VMCS_GUEST_CR0) & ~mask) | (v->vmx.cr0_shadow & mask);
}

uint64_t vcpu_cr4(struct vcpu *v)
{
    uint64_t mask = v->vmx.cr4_mask;
    return (vmcs_readnat(VMCS_GUEST_CR4) & ~mask) | (v->vmx.cr4_shadow & mask);
}

unsigned vcpu_cpl(struct vcpu *v)
{
    (void)v;
    return SS_AR_DPL(vmcs_read32(VMCS_GUEST_SS_AR));
}

uint64_t vcpu_exit_total(const struct vcpu *v)
{
    uint64_t n = 0;
    for (unsigned r = 0; r <= EXIT_REASON_COUNT; r++)
        n += v->exit_count[r];
    return n;
}

static const void *gpt_read(void *ctx, uint64_t gpa, size_t len)
{
    return guest_ptr(ctx, gpa, len);
}

uint8_t *vcpu_linear_ptr(struct vcpu *v, uint64_t lin, unsigned len)
{
    struct gpt_ctx c = { .read = gpt_read, .ctx = v->guest,
                         .cr0 = vmcs_readnat(VMCS_GUEST_CR0), .cr3 = vmcs_readnat(VMCS_GUEST_CR3),
                         .cr4 = vmcs_readnat(VMCS_GUEST_CR4), .efer = vmcs_read64(VMCS_GUEST_EFER) };
    uint64_t a, b;
    if (gpt_translate(&c, lin, &a) || gpt_translate(&c, lin + len - 1, &b) || b != a + len - 1)
        return NULL;        /* unmapped, or split over discontiguous pages */
    return guest_ptr(v->guest, a, len);
}
