/*
 * The vCPU loop: enter the guest, read why it exited, dispatch, repeat
 * until the guest stops. A failed VM entry is reported with the
 * VM-instruction error (SDM Vol. 3C 31.4) or the failed-entry exit reason
 * and the guest state, and stops that guest only.
 */
#include <arch/vcpu.h>
#include <arch/vmcs.h>
#include <arch/vmexit.h>
#include <arch/vmx.h>
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/fmt.h>

#define EXIT_REASON_ENTRY_FAILURE BIT(31)

void vcpu_run(struct vcpu *v)
{
    struct guest *g = v->guest;

    g->state = GUEST_RUNNING;
    while (g->state == GUEST_RUNNING) {
        /* Interrupts stay off around entry and exit; external interrupts
         * arriving in the guest exit and are handled in the dispatcher. */
        irq_disable();
        apic_deliver(v);
        int rc = vmx_enter(&v->regs, v->launched);
        if (rc != 0) {
            uint32_t err = rc == 2 ? vmcs_read32(VMCS_VM_INSN_ERROR) : 0;
            char why[128];
            hv_snprintf(why, sizeof(why), "%s failed: %s (VM-instruction error %u)",
                        v->launched ? "VMRESUME" : "VMLAUNCH",
                        rc == 1 ? "VMfailInvalid (no current VMCS)" : vmx_insn_error_name(err),
                        err);
            if (rc == 2)
                vcpu_dump(v, why);
            guest_stop(g, 255, "%s", why);
            break;
        }
        v->launched = true;
        v->exit_reason = vmcs_read32(VMCS_EXIT_REASON);
        v->exit_qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
        v->exit_insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
        if (v->exit_reason & EXIT_REASON_ENTRY_FAILURE) {
            /* SDM Vol. 3C 27.8: the guest state failed the entry checks. */
            v->exit_reason &= 0xffff;
            vmexit_dispatch(v);
            break;
        }
        if (vmexit_dispatch(v) == EXIT_STOP)
            break;
    }
    irq_enable();
}
