/* The central VM-exit dispatcher: one table indexed by basic exit reason
 * (SDM Vol. 3D appendix C). Every reason has an explicit entry. */
#ifndef ARCH_VMEXIT_H
#define ARCH_VMEXIT_H

#include <arch/vcpu.h>
#include <arch/vmx_caps.h>

enum exit_action {
    EXIT_RESUME = 0,    /* enter the guest again */
    EXIT_STOP,          /* the guest stopped (guest_stop was called) */
    EXIT_BLOCK,         /* the vCPU waits for an interrupt (HLT) */
};

typedef enum exit_action (*exit_handler_t)(struct vcpu *v);

struct exit_entry {
    const char *name;
    exit_handler_t handler;
};

#define EXIT_REASON_COUNT 70

extern const struct exit_entry exit_table[EXIT_REASON_COUNT];

/* Look up and run the handler for v->exit_reason. */
enum exit_action vmexit_dispatch(struct vcpu *v);
const char *vmexit_name(uint32_t reason);

/* The handlers (vmx/exit.c, vmx/cr.c), named in vmx/exit_table.c. */
enum exit_action exit_unexpected(struct vcpu *v);
enum exit_action exit_vmx_insn(struct vcpu *v);
enum exit_action exit_triple_fault(struct vcpu *v);
enum exit_action exit_external_interrupt(struct vcpu *v);
enum exit_action exit_exception_nmi(struct vcpu *v);
enum exit_action exit_cpuid(struct vcpu *v);
enum exit_action exit_hlt(struct vcpu *v);
enum exit_action exit_io(struct vcpu *v);
enum exit_action exit_rdmsr(struct vcpu *v);
enum exit_action exit_wrmsr(struct vcpu *v);
enum exit_action exit_resume(struct vcpu *v);
enum exit_action exit_vmcall(struct vcpu *v);
enum exit_action exit_ept_violation(struct vcpu *v);
enum exit_action exit_invalid_state(struct vcpu *v);
enum exit_action exit_cache(struct vcpu *v);
enum exit_action exit_xsetbv(struct vcpu *v);
enum exit_action exit_cr_access(struct vcpu *v);

/* Shared by the handlers. */
enum exit_action stop_with_dump(struct vcpu *v, const char *why);
uint8_t *guest_linear_ptr(struct vcpu *v, uint64_t lin, unsigned len);

/* The guest's local APIC (vmx/apic.c). */
bool apic_mmio(struct vcpu *v, uint64_t gpa);
bool apic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val, bool *gp);
bool apic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, bool *gp);
void apic_base_changed(struct vcpu *v, uint64_t base);
void apic_deliver(struct vcpu *v);
/* Anything for apic_deliver to do before this entry? The common exit has
 * no timer, nothing pending, no window asked for, the preemption timer
 * parked and no time limit: then the call is skipped (make bench). */
static inline bool apic_needs_delivery(const struct vcpu *v)
{
    const struct vlapic *l = &v->lapic;
    if (l->timer_deadline || v->preemption_armed || v->run_until || v->posted_any ||
        v->posted_nmi || (v->proc_ctls & VMX_PROC_INTR_WINDOW_EXITING))
        return true;
    uint32_t any = 0;
    for (int i = 0; i < 8; i++)
        any |= l->irr[i];
    return any != 0;
}
/* Something to deliver, or a timer already due: a halted vCPU wakes. */
bool apic_has_event(struct vcpu *v, uint64_t now);
/* Route the IPI the guest's last ICR write sent to other vCPUs. */
void apic_send_ipi(struct vcpu *v);
/* Post a fixed interrupt from another vCPU (any CPU). */
void apic_post(struct vcpu *target, uint8_t vector);

#endif
