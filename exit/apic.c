/*
 * The guest's local APIC, host side: the register model is guest/vlapic.c
 * (pure); here are its three doors and the delivery of what it raises.
 *  - xAPIC: the page at 0xfee00000 is absent from the EPT, so an access
 *    exits as an EPT violation; the instruction is fetched through the
 *    guest's page tables, decoded (arch/x86/insn_decode.c) and emulated.
 *  - x2APIC: MSRs 0x800-0x8ff and IA32_TSC_DEADLINE.
 *  - Delivery: before each VM entry the highest pending vector is
 *    injected when the guest can take it (RFLAGS.IF, no STI/MOV-SS
 *    blocking, SDM Vol. 3C 26.3.1.5), else interrupt-window exiting asks
 *    to be told when it can. The VMX-preemption timer brings the vCPU
 *    out of the guest when its APIC timer is due.
 */
#include <arch/vmexit.h>
#include <arch/vmcs.h>
#include <arch/vmx_caps.h>
#include <arch/vlapic.h>
#include <arch/insn.h>
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <hv/sched.h>

#define INTR_INFO_VALID BIT(31)
#define VEC_GP 13

static enum cpu_mode guest_mode(void)
{
    uint32_t ar = vmcs_read32(VMCS_GUEST_CS_AR);
    if (!(vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE))
        return CPU_MODE_16;
    if (ar & BIT(13))
        return CPU_MODE_64;             /* CS.L */
    return (ar & BIT(14)) ? CPU_MODE_32 : CPU_MODE_16;     /* CS.D */
}

/* Write `size` bytes of val into register n as the CPU would: 32-bit
 * writes zero the upper half in 64-bit mode, 8/16-bit ones merge. */
static void set_reg(struct vcpu *v, unsigned n, bool high8, unsigned size, uint64_t val)
{
    uint64_t old = vcpu_gpr(v, n);
    switch (size) {
    case 1:
        if (high8)
            vcpu_set_gpr(v, n, (old & ~0xff00ULL) | ((val & 0xff) << 8));
        else
            vcpu_set_gpr(v, n, (old & ~0xffULL) | (val & 0xff));
        break;
    case 2: vcpu_set_gpr(v, n, (old & ~0xffffULL) | (val & 0xffff)); break;
    case 4: vcpu_set_gpr(v, n, val & 0xffffffffULL); break;
    default: vcpu_set_gpr(v, n, val); break;
    }
}

static uint64_t get_reg(struct vcpu *v, unsigned n, bool high8)
{
    uint64_t r = vcpu_gpr(v, n);
    return high8 ? (r >> 8) & 0xff : r;
}

bool apic_mmio(struct vcpu *v, uint64_t gpa)
{
    struct vlapic *l = &v->lapic;
    if (l->x2apic || !l->hw_enabled || gpa < VLAPIC_BASE || gpa >= VLAPIC_BASE + 4096)
        return false;

    uint8_t bytes[15];
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);
    uint64_t lin = vmcs_readnat(VMCS_GUEST_CS_BASE) + rip;
    size_t n = 0;
    /* Fetch byte by byte: the instruction may end at a page boundary. */
    while (n < sizeof(bytes)) {
        const uint8_t *p = guest_linear_ptr(v, lin + n, 1);
        if (!p)
            break;
        bytes[n++] = *p;
    }
    struct insn in;
    int rc = insn_decode(bytes, n, guest_mode(), &in);
    char why[128];
    if (rc) {
        hv_snprintf(why, sizeof(why), "local APIC access by an instruction the decoder refuses (%s)",
                    insn_strerror(rc));
        stop_with_dump(v, why);
        return true;
    }
    uint32_t off = (uint32_t)(gpa - VLAPIC_BASE);
    uint64_t now = rdtsc();
    if (in.kind == INSN_MOV_TO_MEM) {
        uint64_t val = in.has_imm ? (uint64_t)in.imm : get_reg(v, in.reg, in.reg_high8);
        /* Registers are 32 bits at 16-byte offsets; other writes are
         * ignored, as xAPIC hardware does (SDM Vol. 3A 11.4.1). */
        if (in.mem_size == 4 && !(off & 15))
            vlapic_write(l, off, now, (uint32_t)val);
        apic_send_ipi(v);
    } else if (in.kind == INSN_MOV_FROM_MEM || in.kind == INSN_MOVZX) {
        uint32_t val = 0;
        if (!(off & 15) && in.mem_size == 4)
            vlapic_read(l, off, now, &val);
        else if (!vlapic_read(l, off & ~15u, now, &val))
            val = 0;
        else
            val = (val >> ((off & 3) * 8));
        if (in.mem_size < 4)
            val &= (1u << (in.mem_size * 8)) - 1;
        set_reg(v, in.reg, in.reg_high8, in.op_size, val);
    } else {
        hv_snprintf(why, sizeof(why), "unsupported %s on the local APIC page",
                    insn_kind_name(in.kind));
        stop_with_dump(v, why);
        return true;
    }
    v->exit_insn_len = in.length;
    vcpu_skip_insn(v);
    return true;
}

/* x2APIC MSRs; returns false when msr is not the APIC's. */
bool apic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp)
{
    struct vlapic *l = &v->lapic;
    *gp = false;
    if (msr == 0x6e0) {                              /* IA32_TSC_DEADLINE */
        *val = vlapic_get_tsc_deadline(l);
        return true;
    }
    if (msr < 0x800 || msr > 0x8ff)
        return false;
    uint32_t v32 = 0;
    if (!l->x2apic) {
        *gp = true;
        return true;
    }
    if (msr == 0x830) {                              /* ICR: one 64-bit register */
        *val = vlapic_read_icr64(l);
        return true;
    }
    if (!vlapic_read(l, (msr - 0x800) << 4, rdtsc(), &v32)) {
        *gp = true;
        return true;
    }
    *val = v32;
    return true;
}

bool apic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp)
{
    struct vlapic *l = &v->lapic;
    *gp = false;
    if (msr == 0x6e0) {
        vlapic_set_tsc_deadline(l, rdtsc(), val);
        return true;
    }
    if (msr < 0x800 || msr > 0x8ff)
        return false;
    if (!l->x2apic)
        *gp = true;
    else if (msr == 0x830)
        *gp = !vlapic_write_icr64(l, rdtsc(), val);
    else
        *gp = (val >> 32) || !vlapic_write(l, (msr - 0x800) << 4, rdtsc(), (uint32_t)val);
    apic_send_ipi(v);
    return true;
}

void apic_base_changed(struct vcpu *v, uint64_t base)
{
    v->lapic.hw_enabled = (base & BIT(11)) != 0;
    v->lapic.x2apic = (base & BIT(10)) != 0;
}

/* Interrupts other vCPUs posted (apic_post) into this one's IRR. */
static void take_posted(struct vcpu *v)
{
    if (!__atomic_exchange_n(&v->posted_any, 0, __ATOMIC_ACQUIRE))
        return;
    for (int i = 0; i < 8; i++) {
        uint32_t w = __atomic_exchange_n(&v->posted[i], 0, __ATOMIC_ACQUIRE);
        while (w) {
            vlapic_raise(&v->lapic, i * 32 + __builtin_ctz(w));
            w &= w - 1;
        }
    }
}

void apic_post(struct vcpu *t, uint8_t vector)
{
    __atomic_fetch_or(&t->posted[vector / 32], 1u << (vector % 32), __ATOMIC_RELEASE);
    __atomic_store_n(&t->posted_any, 1, __ATOMIC_RELEASE);
    sched_kick(t);
}

bool apic_has_event(struct vcpu *v, uint64_t now)
{
    if (v->posted_any || v->posted_nmi || v->init_req)
        return true;
    vlapic_timer_update(&v->lapic, now);
    return vlapic_pending(&v->lapic) >= 0;
}

/* Route the IPI of the guest's last ICR write to its other vCPUs, and
 * only to them: a guest names its own vCPUs by APIC ID (0..vcpus-1), and
 * nothing it writes can reach another guest or a physical CPU (SDM Vol. 3A
 * 11.6.1 for the delivery modes). */
void apic_send_ipi(struct vcpu *v)
{
    struct vlapic *l = &v->lapic;
    if (l->pending_nmi) {                   /* an NMI to itself */
        __atomic_fetch_add(&v->posted_nmi, l->pending_nmi, __ATOMIC_RELEASE);
        l->pending_nmi = 0;
    }
    if (!l->ipi_out)
        return;
    l->ipi_out = false;
    uint32_t lo = l->ipi_lo, dest = l->ipi_dest;
    uint32_t mode = (lo >> 8) & 7, vector = lo & 0xff;
    struct guest *g = v->guest;
    bool delivered = false;

    for (unsigned i = 0; i < g->vcpu_count; i++) {
        struct vcpu *t = g->vcpus[i];
        if (t == v || !vlapic_ipi_selects(&t->lapic, lo, dest))
            continue;
        switch (mode) {
        case 0:                         /* fixed */
        case 1:                         /* lowest priority: the first one selected */
            if (vector >= 16)
                apic_post(t, (uint8_t)vector);
            break;
        case 4:                         /* NMI */
            __atomic_fetch_add(&t->posted_nmi, 1, __ATOMIC_RELEASE);
            sched_kick(t);
            break;
        case 5:                         /* INIT; level de-assert (bit 14 clear) does nothing */
            if (lo & BIT(14))
                sched_send_init(t);
            break;
        case 6:                         /* start-up */
            sched_send_sipi(t, (uint8_t)vector);
            break;
        default:                        /* SMI, reserved */
            break;
        }
        delivered = true;
        if (mode == 1)
            break;
    }
    if (!delivered)
        g->ipis_dropped++;
}

/* True when the NMI is queued for this entry. */
static bool inject_nmi(struct vcpu *v)
{
    /* Not while the guest is still in an NMI handler (blocking by NMI,
     * interruptibility bit 3: SDM Vol. 3C 25.4.2). */
    if (vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & BIT(3))
        return false;
    __atomic_fetch_sub(&v->posted_nmi, 1, __ATOMIC_ACQ_REL);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | (2u << 8) | 2);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    return true;
}

void apic_deliver(struct vcpu *v)
{
    struct vlapic *l = &v->lapic;

    if (!apic_needs_delivery(v))
        return;
    uint64_t now = rdtsc();

    take_posted(v);
    vlapic_timer_update(l, now);
    /* Before each VM entry: an event already queued (a re-injection or an
     * exception) goes first, then an NMI, then the highest interrupt. */
    bool queued = vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
    if (!queued && v->posted_nmi)
        queued = inject_nmi(v);
    if (!queued) {
        int vec = vlapic_pending(l);
        bool want_window = false;
        if (vec >= 0) {
            bool can = (vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
                       !(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & 3);
            if (can) {
                vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | (uint32_t)vec);
                vlapic_accept(l, vec);
                vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
            } else {
                want_window = true;
            }
        }
        uint32_t proc = v->proc_ctls;
        proc = want_window ? proc | VMX_PROC_INTR_WINDOW_EXITING
                           : proc & ~VMX_PROC_INTR_WINDOW_EXITING;
        if (proc != v->proc_ctls) {
            v->proc_ctls = proc;
            vmcs_write32(VMCS_PROC_CTLS, proc);
        }
    }
    /* Come back when the guest's timer is due or its time on this CPU is
     * up, whichever is first (SDM Vol. 3C 25.5.1). Without the timer the
     * host's periodic tick ends the slice (core/schedule.c). */
    if (v->preemption_timer) {
        uint64_t until = l->timer_deadline;
        if (v->run_until && (!until || v->run_until < until))
            until = v->run_until;
        uint64_t left = 0xffffffffULL;
        if (until)
            left = until > now ? (until - now) >> v->preemption_rate : 0;
        vmcs_write32(VMCS_PREEMPTION_TIMER, left > 0xffffffffULL ? 0xffffffffu : (uint32_t)left);
        v->preemption_armed = until != 0;
    }
}
