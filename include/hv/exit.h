/*
 * VM-exit handling (exit/): one dispatcher, a table indexed by the named
 * basic exit reason (include/arch/vmx_exit.h, SDM Vol. 3D appendix C),
 * handlers grouped by concern, one file each:
 *
 *   exit/dispatch.c   the dispatcher, and the reasons that stop the guest
 *   exit/exit_table.c reason -> handler (pure data, unit-tested)
 *   exit/cpuid.c      CPUID
 *   exit/cr.c         control-register accesses
 *   exit/msr.c        RDMSR, WRMSR
 *   exit/io.c         IN, OUT, INS, OUTS
 *   exit/ept.c        EPT violations: MMIO emulation
 *   exit/interrupt.c  external interrupts, NMIs, HLT, windows, injection
 *   exit/vmx_insn.c   VMX instructions, XSETBV, INVD/WBINVD
 *   exit/hypercall.c  VMCALL
 *   exit/run.c        the vCPU loop: enter, dispatch, repeat
 */
#ifndef HV_EXIT_H
#define HV_EXIT_H

#include <hv/vcpu.h>
#include <arch/vmx_exit.h>

enum exit_action {
    EXIT_RESUME = 0,    /* enter the guest again */
    EXIT_STOP,          /* the guest stopped (guest_stop was called) */
    EXIT_BLOCK,         /* the vCPU waits for an interrupt (HLT) */
};

typedef enum exit_action (*exit_handler_t)(struct vcpu *v);

extern const exit_handler_t exit_table[EXIT_REASON_COUNT];

/* Look up and run the handler for v->vmx.exit_reason, counting it. */
enum exit_action vmexit_dispatch(struct vcpu *v);

/* The handlers, named in exit/exit_table.c. */
enum exit_action exit_unexpected(struct vcpu *v);
enum exit_action exit_triple_fault(struct vcpu *v);
enum exit_action exit_invalid_state(struct vcpu *v);
enum exit_action exit_vmx_insn(struct vcpu *v);
enum exit_action exit_hidden_insn(struct vcpu *v);
enum exit_action exit_cache(struct vcpu *v);
enum exit_action exit_xsetbv(struct vcpu *v);
enum exit_action exit_external_interrupt(struct vcpu *v);
enum exit_action exit_exception_nmi(struct vcpu *v);
enum exit_action exit_hlt(struct vcpu *v);
enum exit_action exit_resume(struct vcpu *v);
enum exit_action exit_cpuid(struct vcpu *v);
enum exit_action exit_io(struct vcpu *v);
enum exit_action exit_rdmsr(struct vcpu *v);
enum exit_action exit_wrmsr(struct vcpu *v);
enum exit_action exit_vmcall(struct vcpu *v);
enum exit_action exit_ept_violation(struct vcpu *v);
enum exit_action exit_cr_access(struct vcpu *v);

/* Stop the guest with a dump of the vCPU (exit/dispatch.c). */
enum exit_action stop_with_dump(struct vcpu *v, const char *why);

/* Before each VM entry: posted events, the APIC timer, NMI and interrupt
 * injection, the preemption timer (exit/interrupt.c). */
void exit_deliver_events(struct vcpu *v);
/* The guest EOI'd level-triggered vectors at its local APIC (its
 * level_eoi_pending): pass each on to its I/O APIC (dm_ioapic_eoi), which
 * may deliver again. After every exit that may have written the EOI
 * register (exit/run.c). */
void exit_level_eoi(struct vcpu *v);

/* Why vcpu_run returned (exit/run.c). */
enum run_result {
    RUN_STOPPED = 0,    /* its guest stopped */
    RUN_BLOCKED,        /* HLT: wait for an interrupt */
    RUN_PREEMPTED,      /* run_until passed */
    RUN_KICKED,         /* the CPU has to reschedule, or a request is posted */
};
/* Enter the guest until it stops, blocks, runs out of time, is kicked or
 * has a request for the run loop. */
enum run_result vcpu_run(struct vcpu *v, volatile uint32_t *resched);

/* Hypercalls (exit/hypercall.c, docs/hypercalls.md). The management
 * calls are the management layer's (mgmt/manage.c), plugged in at start;
 * only the guest configured with management = yes reaches them. */
typedef int64_t (*hypercall_manage_t)(struct vcpu *v, uint64_t fn, uint64_t arg1,
                                      uint64_t arg2);
void hypercall_set_manage(hypercall_manage_t fn);

#endif
