/*
 * Events across VM exits and entries, pure (vmx/event.c, unit-tested):
 * what to inject again when an exit interrupted the delivery of an event
 * (SDM Vol. 3C 27.2.4 "Information for VM exits that occur during event
 * delivery", 28.2.3 / 30.2.3 "Resuming guest software after handling an
 * exception": re-inject through the VM-entry interruption-information
 * field, with the error code and, for software interrupts and
 * exceptions, the instruction length).
 */
#ifndef ARCH_VMX_EVENT_H
#define ARCH_VMX_EVENT_H

#include <hv/compiler.h>

struct vmx_reinject {
    uint32_t info;              /* for VMCS_ENTRY_INTR_INFO */
    bool error_code;            /* copy IDT_VECTORING_ERROR to the entry error code */
    bool insn_len;              /* copy the exit's instruction length to the entry */
    bool wake;                  /* the guest was HLTed: set activity state active */
};

/* From the exit's IDT-vectoring information and what the handler left
 * in the entry field: true when an event is to be injected again (the
 * handler's own exception, if it queued one, wins). */
bool vmx_reinject_decide(uint32_t idt_info, uint32_t entry_info, struct vmx_reinject *out);

#endif
