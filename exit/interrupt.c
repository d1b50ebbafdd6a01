/*
 * Interrupts and events: external interrupts and NMIs that arrive while
 * a guest runs (the host's), HLT, the interrupt window and the
 * preemption timer, and before each VM entry the delivery of what the
 * guest's local APIC has pending: the highest pending vector is injected
 * when the guest can take it (RFLAGS.IF, no STI/MOV-SS blocking, SDM Vol.
 * 3C 26.3.1.5), else interrupt-window exiting asks to be told when it
 * can. The VMX-preemption timer brings the vCPU out of the guest when its
 * APIC timer is due or its slice ends, and the boot vCPU also when a
 * device model of its guest has timed work (dm/timer.c).
 */
#include <hv/exit.h>
#include <hv/vlapic_io.h>
#include <hv/guest.h>
#include <hv/dm.h>
#include <hv/log.h>
#include <arch/vmcs.h>
#include <arch/vmx_caps.h>
#include <arch/cpu.h>
#include <arch/idt.h>

enum exit_action exit_external_interrupt(struct vcpu *v)
{
    /* Acknowledged on exit: the vector is in the exit information. Run the
     * host's handler for it with interrupts still off. */
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    if (info & INTR_INFO_VALID)
        interrupt_dispatch_vector((uint8_t)INTR_INFO_VECTOR(info));
    return EXIT_RESUME;
}

enum exit_action exit_exception_nmi(struct vcpu *v)
{
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    if ((INTR_INFO_TYPE(info) | INTR_INFO_VECTOR(info)) == (INTR_TYPE_NMI | X86_EXC_NMI)) {
        kprintf("[%s] NMI while the guest ran\n", v->guest->name);     /* the host's */
        return EXIT_RESUME;
    }
    return stop_with_dump(v, "machine check or unexpected exception");
}

/* HLT: the vCPU gives up its CPU until an interrupt for it arrives
 * (sched/run.c). With interrupts disabled only INIT or NMI can end it; a
 * guest whose every vCPU waits for nothing is stopped as halted. */
enum exit_action exit_hlt(struct vcpu *v)
{
    bool irq_off = !(vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF);
    vcpu_skip_insn(v);
    if (!irq_off && vlapic_has_event(v, rdtsc()))
        return EXIT_RESUME;
    v->halt_irq_off = irq_off;
    return EXIT_BLOCK;
}

/* The interrupt or NMI window opened, or the preemption timer fired:
 * delivery happens before the next entry. */
enum exit_action exit_resume(struct vcpu *v)
{
    (void)v;
    return EXIT_RESUME;
}

static void set_proc_ctl(struct vcpu *v, uint32_t bit, bool on)
{
    uint32_t proc = on ? v->vmx.proc_ctls | bit : v->vmx.proc_ctls & ~bit;
    if (proc != v->vmx.proc_ctls) {
        v->vmx.proc_ctls = proc;
        vmcs_write32(VMCS_PROC_CTLS, proc);
    }
}

/* True when the NMI is queued for this entry. Not while the guest is
 * still in its NMI handler (blocking by NMI) nor in the shadow of STI or
 * MOV SS (SDM Vol. 3C 25.4.2, 26.3.1.5): then NMI-window exiting (with
 * virtual NMIs, 25.6.2) brings the vCPU back as soon as it can take it. */
static bool inject_nmi(struct vcpu *v)
{
    uint32_t block = INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS;
    bool blocked = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & block;
    if (v->vmx.nmi_window)
        set_proc_ctl(v, VMX_PROC_NMI_WINDOW_EXITING, blocked);
    if (blocked)
        return false;
    __atomic_fetch_sub(&v->posted_nmi, 1, __ATOMIC_ACQ_REL);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | X86_EXC_NMI);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    return true;
}

static bool can_take_interrupt(void)
{
    return (vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
           !(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) &
             (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void inject_vector(struct vcpu *v, uint8_t vec)
{
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vec);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
}

/* The highest pending interrupt, or the window to wait for one. The
 * 8259's INT, where the local APIC lets it through LINT0, comes first:
 * it is not subject to the APIC's priorities (SDM Vol. 3A 11.5.1,
 * ExtINT), and its vector is read from the 8259 only when the guest
 * takes it (the INTA cycles, dm_pic_ack). */
static void inject_interrupt(struct vcpu *v)
{
    struct vlapic *l = &v->lapic;
    bool want_window = false;
    if (v->extint && vlapic_accepts_extint(l)) {
        if (can_take_interrupt()) {
            int vec = dm_pic_ack(v->guest);
            if (vec >= 0) {
                inject_vector(v, (uint8_t)vec);
                set_proc_ctl(v, VMX_PROC_INTR_WINDOW_EXITING, false);
                return;
            }
        } else {
            set_proc_ctl(v, VMX_PROC_INTR_WINDOW_EXITING, true);
            return;
        }
    }
    int vec = vlapic_pending(l);
    if (vec >= 0) {
        if (can_take_interrupt()) {
            inject_vector(v, (uint8_t)vec);
            vlapic_accept(l, vec);
        } else {
            want_window = true;
        }
    }
    set_proc_ctl(v, VMX_PROC_INTR_WINDOW_EXITING, want_window);
}

/* Come back when the guest's timer is due or its time on this CPU is up,
 * whichever is first (SDM Vol. 3C 25.5.1). Without the timer the host's
 * periodic tick ends the slice (sched/run.c). */
static void arm_preemption_timer(struct vcpu *v, uint64_t now)
{
    uint64_t until = v->lapic.timer_deadline;
    /* The boot vCPU also keeps its guest's device time (dm/timer.c). */
    uint64_t dev = v == guest_timer_vcpu(v->guest) ? v->guest->dm_deadline : 0;
    if (dev && (!until || dev < until))
        until = dev;
    if (v->run_until && (!until || v->run_until < until))
        until = v->run_until;
    uint64_t left = 0xffffffffULL;
    if (until)
        left = until > now ? (until - now) >> v->vmx.preemption_rate : 0;
    vmcs_write32(VMCS_PREEMPTION_TIMER, left > 0xffffffffULL ? 0xffffffffu : (uint32_t)left);
    v->vmx.preemption_armed = until != 0;
}

void exit_deliver_events(struct vcpu *v)
{
    if (!vcpu_events_pending(v))
        return;
    uint64_t now = rdtsc();

    /* Device timers that are due (dm/timer.c) first: what they raise is
     * posted, and taken just below when it is for this vCPU. */
    uint64_t dev = v->guest->dm_deadline;
    if (dev && dev <= now)
        dm_timers_run(v->guest, now);
    vlapic_take_posted(v);
    vlapic_timer_update(&v->lapic, now);
    /* An event already queued (a re-injection or an exception) goes
     * first, then an NMI, then the highest interrupt. */
    bool queued = vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
    if (!queued && v->posted_nmi)
        queued = inject_nmi(v);
    else if (!v->posted_nmi && (v->vmx.proc_ctls & VMX_PROC_NMI_WINDOW_EXITING))
        set_proc_ctl(v, VMX_PROC_NMI_WINDOW_EXITING, false);
    if (!queued)
        inject_interrupt(v);
    if (v->vmx.preemption_timer)
        arm_preemption_timer(v, now);
}

/* SDM Vol. 3A 11.8.4/11.8.5: the EOI of a vector whose TMR bit is set
 * is broadcast to the I/O APICs. The local APIC (vm/, below the device
 * models) records it; this layer, above both, carries it over right after
 * the exit in which the guest wrote its EOI register, xAPIC page or
 * x2APIC MSR alike, so a level line still asserted is delivered again
 * before the next entry. */
void exit_level_eoi(struct vcpu *v)
{
    int vec;
    while ((vec = vlapic_take_level_eoi(&v->lapic)) >= 0)
        dm_ioapic_eoi(v->guest, (uint8_t)vec);
}
