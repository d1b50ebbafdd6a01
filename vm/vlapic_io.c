/*
 * The local APIC's doors (include/hv/vlapic_io.h): the xAPIC page on the
 * bus, the x2APIC MSRs, and the IPIs the guest sends, routed to its own
 * vCPUs only.
 */
#include <hv/vlapic_io.h>
#include <hv/guest.h>
#include <hv/bus.h>
#include <hv/mm.h>
#include <arch/cpu.h>
#include <arch/msr.h>

static void send_ipi(struct vcpu *v);

/* ---- xAPIC: an MMIO region whose state is the accessing vCPU's ---- */

static bool xapic_enabled(const struct vlapic *l)
{
    return !l->x2apic && l->hw_enabled;
}

static bool mmio_read(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size,
                      uint64_t *out)
{
    (void)d;
    struct vlapic *l = &v->lapic;
    if (!xapic_enabled(l))
        return false;
    uint32_t off = (uint32_t)(gpa - VLAPIC_BASE), val = 0;
    /* Registers are 32 bits at 16-byte offsets (SDM Vol. 3A 11.4.1);
     * narrower reads see their part, reserved offsets read 0. */
    if (!(off & 15) && size == 4)
        vlapic_read(l, off, rdtsc(), &val);
    else if (!vlapic_read(l, off & ~15u, rdtsc(), &val))
        val = 0;
    else
        val = val >> ((off & 3) * 8);
    if (size < 4)
        val &= (1u << (size * 8)) - 1;
    *out = val;
    return true;
}

static bool mmio_write(struct vdev *d, struct vcpu *v, uint64_t gpa, unsigned size,
                       uint64_t val)
{
    (void)d;
    struct vlapic *l = &v->lapic;
    if (!xapic_enabled(l))
        return false;
    uint32_t off = (uint32_t)(gpa - VLAPIC_BASE);
    /* Other than aligned 32-bit writes are ignored, as xAPIC hardware
     * does (SDM Vol. 3A 11.4.1). */
    if (size == 4 && !(off & 15))
        vlapic_write(l, off, rdtsc(), (uint32_t)val);
    send_ipi(v);
    return true;
}

static const struct vdev_ops xapic_ops = {
    .name = "local APIC",
    .mmio_read = mmio_read,
    .mmio_write = mmio_write,
};

bool vlapic_mmio_attach(struct guest *g)
{
    struct vdev *d = kzalloc(sizeof(*d));
    if (!d)
        return false;
    if (!bus_add_device(g, d, &xapic_ops)) {
        kfree(d);
        return false;
    }
    return bus_map_mmio(g, d, VLAPIC_BASE, 4096);
}

/* ---- x2APIC MSRs ---- */

bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp)
{
    struct vlapic *l = &v->lapic;
    *gp = false;
    if (msr == MSR_IA32_TSC_DEADLINE) {
        *val = vlapic_get_tsc_deadline(l);
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
        return false;
    uint32_t v32 = 0;
    if (!l->x2apic) {
        *gp = true;
        return true;
    }
    if (msr == MSR_X2APIC_ICR) {                     /* one 64-bit register */
        *val = vlapic_read_icr64(l);
        return true;
    }
    if (!vlapic_read(l, (msr - MSR_X2APIC_FIRST) << 4, rdtsc(), &v32)) {
        *gp = true;
        return true;
    }
    *val = v32;
    return true;
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp)
{
    struct vlapic *l = &v->lapic;
    *gp = false;
    if (msr == MSR_IA32_TSC_DEADLINE) {
        vlapic_set_tsc_deadline(l, rdtsc(), val);
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
        return false;
    if (!l->x2apic)
        *gp = true;
    else if (msr == MSR_X2APIC_ICR)
        *gp = !vlapic_write_icr64(l, rdtsc(), val);
    else
        *gp = (val >> 32) ||
              !vlapic_write(l, (msr - MSR_X2APIC_FIRST) << 4, rdtsc(), (uint32_t)val);
    send_ipi(v);
    return true;
}

void vlapic_base_changed(struct vcpu *v)
{
    uint64_t base = v->msr.apic_base;
    v->lapic.hw_enabled = (base & BIT(11)) != 0;
    v->lapic.x2apic = (base & BIT(10)) != 0;
}

/* ---- events ---- */

void vlapic_take_posted(struct vcpu *v)
{
    if (!__atomic_exchange_n(&v->posted_any, 0, __ATOMIC_ACQUIRE))
        return;
    for (int i = 0; i < 8; i++) {
        uint32_t w = __atomic_exchange_n(&v->posted[i], 0, __ATOMIC_ACQUIRE);
        if (!w)
            continue;
        /* Only the level bits of the vectors taken: one posted after the
         * exchange keeps its bit for the next round (its poster set the
         * level bit before the vector, vcpu_post_interrupt_level). */
        uint32_t lv = __atomic_fetch_and(&v->posted_level[i], ~w, __ATOMIC_ACQ_REL) & w;
        while (w) {
            int vec = i * 32 + __builtin_ctz(w);
            if (lv & (w & -w))
                vlapic_raise_level(&v->lapic, vec);
            else
                vlapic_raise(&v->lapic, vec);
            w &= w - 1;
        }
    }
}

bool vlapic_has_event(struct vcpu *v, uint64_t now)
{
    if (v->posted_any || v->posted_nmi || (v->requests & VCPU_REQ_INIT))
        return true;
    if (v->extint && vlapic_accepts_extint(&v->lapic))
        return true;
    vlapic_timer_update(&v->lapic, now);
    return vlapic_pending(&v->lapic) >= 0;
}

/* ICR delivery modes (SDM Vol. 3A 11.6.1). */
#define ICR_MODE_FIXED    0
#define ICR_MODE_LOWEST   1
#define ICR_MODE_NMI      4
#define ICR_MODE_INIT     5
#define ICR_MODE_STARTUP  6
#define ICR_LEVEL_ASSERT  BIT(14)

/* INIT (SDM Vol. 3A 9.4, 11.6.1): the target goes back to wait-for-SIPI;
 * its own CPU does it, since its VMCS is active there. A vCPU already
 * waiting for SIPI ignores it. */
static void send_init(struct vcpu *t)
{
    if (t->wait_sipi)
        return;
    __atomic_fetch_and(&t->requests, ~VCPU_REQ_SIPI, __ATOMIC_ACQ_REL);
    vcpu_make_request(t, VCPU_REQ_INIT);
}

/* SIPI (SDM Vol. 3A 9.4.4): starts a vCPU in wait-for-SIPI, or the one
 * whose INIT is still pending; means nothing to anyone else. A vCPU on
 * no CPU is placed by the sender's run loop (VCPU_REQ_START_APS). */
static void send_sipi(struct vcpu *sender, struct vcpu *t, uint8_t vector)
{
    if (t->wait_sipi && !t->cpu) {
        t->sipi_vector = vector;
        __atomic_fetch_or(&t->requests, VCPU_REQ_SIPI, __ATOMIC_ACQ_REL);
        __atomic_fetch_or(&sender->requests, VCPU_REQ_START_APS, __ATOMIC_ACQ_REL);
    } else if (t->requests & VCPU_REQ_INIT) {
        t->sipi_vector = vector;
        vcpu_make_request(t, VCPU_REQ_SIPI);
    }
}

/* Route the IPI of the guest's last ICR write to its other vCPUs, and
 * only to them: a guest names its own vCPUs by APIC ID (0..vcpus-1), and
 * nothing it writes can reach another guest or a physical CPU (SDM Vol. 3A
 * 11.6.1 for the delivery modes). */
static void send_ipi(struct vcpu *v)
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
        case ICR_MODE_FIXED:
        case ICR_MODE_LOWEST:           /* the first one selected */
            if (vector >= 16)
                vcpu_post_interrupt(t, (uint8_t)vector);
            break;
        case ICR_MODE_NMI:
            vcpu_post_nmi(t);
            break;
        case ICR_MODE_INIT:             /* level de-assert does nothing */
            if (lo & ICR_LEVEL_ASSERT)
                send_init(t);
            break;
        case ICR_MODE_STARTUP:
            if (g->state == GUEST_RUNNING)
                send_sipi(v, t, (uint8_t)vector);
            break;
        default:                        /* SMI, reserved */
            break;
        }
        delivered = true;
        if (mode == ICR_MODE_LOWEST)
            break;
    }
    if (!delivered)
        g->ipis_dropped++;
}
