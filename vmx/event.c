/* Re-injection after an exit during event delivery (include/arch/vmx_event.h). */
#include <arch/vmx_event.h>
#include <arch/vmcs.h>

bool vmx_reinject_decide(uint32_t idt_info, uint32_t entry_info, struct vmx_reinject *out)
{
    if (!(idt_info & INTR_INFO_VALID) || (entry_info & INTR_INFO_VALID))
        return false;
    uint32_t type = INTR_INFO_TYPE(idt_info);
    /* Bit 12 is undefined in the IDT-vectoring field and must be 0 in the
     * entry field, as must bits 30:13 (SDM Vol. 3C 25.8.3, 25.9.3). */
    out->info = idt_info & (INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (7u << 8) | 0xffu);
    out->error_code = (idt_info & INTR_INFO_DELIVER_CODE) != 0;
    out->insn_len = type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXC ||
                    type == INTR_TYPE_SW_EXC;
    out->wake = type == INTR_TYPE_NMI || type == INTR_TYPE_EXT_INTR;
    return true;
}
