/*
 * A vCPU's local APIC as the guest reaches it (vm/vlapic_io.c); the
 * register model itself is vm/vlapic.c (<arch/vlapic.h>, pure).
 *  - xAPIC: the page at 0xfee00000 is an MMIO region on the guest's bus
 *    (absent from the EPT, so every access exits); it answers for the
 *    vCPU that made the access, while that APIC is enabled in xAPIC mode.
 *  - x2APIC: MSRs 0x800-0x8ff and IA32_TSC_DEADLINE.
 *  - IPIs the guest sends reach only its own vCPUs, posted to them.
 * Injection into the guest before an entry is exit/interrupt.c.
 */
#ifndef HV_VLAPIC_IO_H
#define HV_VLAPIC_IO_H

#include <hv/vcpu.h>
#include <hv/guest.h>
#include <arch/vmx_controls.h>

struct guest;

/* Put the xAPIC page on the guest's bus. */
bool vlapic_mmio_attach(struct guest *g);
/* x2APIC MSRs; false when msr is not the APIC's. *gp: inject #GP. */
bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp);
bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp);
/* IA32_APIC_BASE changed: enable bit and x2APIC mode follow it. */
void vlapic_base_changed(struct vcpu *v);
/* Interrupts other vCPUs posted into this one's IRR. */
void vlapic_take_posted(struct vcpu *v);
/* Something to deliver, or a timer already due: a halted vCPU wakes. */
bool vlapic_has_event(struct vcpu *v, uint64_t now);

/* Anything to deliver before this entry? The common exit has no timer,
 * nothing pending, no window asked for, the preemption timer parked, no
 * time limit and no device timer in its guest (dm/timer.c): then the
 * delivery is skipped (make bench). */
static inline bool vcpu_events_pending(const struct vcpu *v)
{
    const struct vlapic *l = &v->lapic;
    if (l->timer_deadline || v->vmx.preemption_armed || v->run_until || v->posted_any ||
        v->posted_nmi || v->extint || v->guest->dm_deadline ||
        (v->vmx.proc_ctls & (VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING)))
        return true;
    uint32_t any = 0;
    for (int i = 0; i < 8; i++)
        any |= l->irr[i];
    return any != 0;
}

#endif
