/*
 * The vCPU loop: enter the guest, read why it exited, dispatch, repeat
 * until the guest stops, the vCPU halts, its time on this CPU is up, the
 * CPU is asked to reschedule or a request is posted to the vCPU (the run
 * loop of sched/run.c acts on those). A failed VM entry is reported with
 * the VM-instruction error (SDM Vol. 3C 31.4) or the failed-entry exit
 * reason and the guest state, and stops that guest only.
 */
#include <hv/exit.h>
#include <hv/vlapic_io.h>
#include <hv/guest.h>
#include <hv/fmt.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vmx_ops.h>
#include <arch/vmx_event.h>
#include <arch/percpu.h>
#include <arch/cpu.h>

static void entry_failed(struct vcpu *v, int rc)
{
    uint32_t err = rc == 2 ? vmcs_read32(VMCS_VM_INSN_ERROR) : 0;
    char why[128];
    hv_snprintf(why, sizeof(why), "%s failed: %s (VM-instruction error %u)",
                v->vmx.launched ? "VMRESUME" : "VMLAUNCH",
                rc == 1 ? "VMfailInvalid (no current VMCS)" : vmx_insn_error_name(err), err);
    if (rc == 2)
        vcpu_dump(v, why);
    guest_stop(v->guest, 255, "%s", why);
}

/* The exit interrupted the delivery of an event: deliver it again on the
 * next entry (vmx/event.c decides how). Its vector is already in service
 * in the virtual APIC, so nothing else changes. */
static void reinject(struct vcpu *v)
{
    struct vmx_reinject r;
    if (!vmx_reinject_decide(v->vmx.idt_info, vmcs_read32(VMCS_ENTRY_INTR_INFO), &r))
        return;
    if (r.error_code)
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read32(VMCS_IDT_VECTORING_ERROR));
    if (r.insn_len)
        vmcs_write32(VMCS_ENTRY_INSN_LEN, v->vmx.exit_insn_len);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, r.info);
    if (r.wake)
        vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
}

enum run_result vcpu_run(struct vcpu *v, volatile uint32_t *resched)
{
    struct guest *g = v->guest;
    struct percpu *pc = this_cpu();
    enum run_result res = RUN_STOPPED;

    __atomic_store_n(&pc->in_guest, v, __ATOMIC_RELEASE);
    while (g->state == GUEST_RUNNING) {
        /* Interrupts stay off from this check to the exit: a kick that
         * arrives after it stays pending and makes the guest exit at once
         * (external-interrupt exiting), so none is lost. */
        irq_disable();
        if (*resched || v->requests) {
            res = RUN_KICKED;
            break;
        }
        if (vcpu_events_pending(v))
            exit_deliver_events(v);
        int rc = vmx_enter(v, v->vmx.launched);
        if (rc != 0) {
            entry_failed(v, rc);
            break;
        }
        v->vmx.launched = true;
        v->vmx.exit_reason = vmcs_read32(VMCS_EXIT_REASON);
        v->vmx.exit_insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
        v->vmx.idt_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
        if (v->vmx.exit_reason & EXIT_REASON_ENTRY_FAILURE) {
            /* SDM Vol. 3C 27.8: the guest state failed the entry checks. */
            v->vmx.exit_reason &= 0xffff;
            vmexit_dispatch(v);
            break;
        }
        enum exit_action a = vmexit_dispatch(v);
        if (v->lapic.level_eoi_pending)     /* for its I/O APIC */
            exit_level_eoi(v);
        if (a == EXIT_STOP)
            break;
        if (v->vmx.idt_info & INTR_INFO_VALID)
            reinject(v);
        if (a == EXIT_BLOCK) {
            res = RUN_BLOCKED;
            break;
        }
        if (v->run_until && rdtsc() >= v->run_until) {
            res = RUN_PREEMPTED;
            break;
        }
    }
    __atomic_store_n(&pc->in_guest, NULL, __ATOMIC_RELEASE);
    irq_enable();
    return g->state == GUEST_RUNNING ? res : RUN_STOPPED;
}
