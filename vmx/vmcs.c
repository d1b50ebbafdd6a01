/*
 * The VMCS, hardware side (SDM Vol. 3C 25, 26.2-26.3): failed accesses
 * reported with the VM-instruction error, the host state pointing at the
 * running CPU's own GDT, IDT, TSS and page tables, the two guest start
 * states (flat 32-bit protected mode, real mode), and TLB invalidation for
 * an EPTP and VPID. What a vCPU puts in its VMCS is vm/vcpu_vmcs.c.
 */
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vmx_ops.h>
#include <arch/percpu.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/log.h>

extern char vmx_exit_point[];

void vmcs_report_failure(const char *op, uint32_t field, uint64_t value, const char *caller)
{
    uint64_t err = 0;
    vmx_vmread(VMCS_VM_INSN_ERROR, &err);
    kprintf("vmx: %s of field %#x (value %#lx) failed in %s: VM-instruction error %lu (%s)\n",
            op, field, value, caller, err, vmx_insn_error_name((uint32_t)err));
}

void vmcs_report_width(uint32_t field, unsigned width, const char *caller)
{
    static const char *const names[] = { "16-bit", "64-bit", "32-bit", "natural-width" };
    kprintf("vmx: %s used the %s accessor for field %#x, a %s field\n", caller,
            names[width & 3], field, names[VMCS_WIDTH(field)]);
}

uint64_t vmcs_read_any(uint32_t f)
{
    switch (VMCS_WIDTH(f)) {
    case VMCS_W16: return __vmcs_read16(f, __func__);
    case VMCS_W32: return __vmcs_read32(f, __func__);
    case VMCS_W64: return __vmcs_read64(f, __func__);
    default: return __vmcs_readnat(f, __func__);
    }
}

void vmcs_write_any(uint32_t f, uint64_t v)
{
    switch (VMCS_WIDTH(f)) {
    case VMCS_W16: __vmcs_write16(f, (uint16_t)v, __func__); break;
    case VMCS_W32: __vmcs_write32(f, (uint32_t)v, __func__); break;
    case VMCS_W64: __vmcs_write64(f, v, __func__); break;
    default: __vmcs_writenat(f, v, __func__); break;
    }
}

bool vmcs_invalidate_tlb(const struct vmx_caps *c, uint64_t eptp, uint16_t vpid)
{
    bool ok = true;

    if (c->invept_single)
        ok = vmx_invept(VMX_INV_SINGLE, eptp);
    else if (c->invept_all)
        ok = vmx_invept(VMX_INV_ALL, 0);
    if (!ok)
        kprintf("vmx: INVEPT failed for EPTP %#lx\n", eptp);
    bool ok2 = true;
    if (c->invvpid_single)
        ok2 = vmx_invvpid(VMX_INV_SINGLE, vpid);
    else if (c->invvpid_all)
        ok2 = vmx_invvpid(VMX_INV_ALL, 0);
    if (!ok2)
        kprintf("vmx: INVVPID failed for VPID %u\n", vpid);
    return ok && ok2;
}

void vmcs_write_host_state(struct percpu *pc)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));

    vmcs_writenat(VMCS_HOST_CR0, read_cr0());
    vmcs_writenat(VMCS_HOST_CR3, read_cr3());
    vmcs_writenat(VMCS_HOST_CR4, read_cr4());
    vmcs_write16(VMCS_HOST_CS_SEL, GDT_CODE64);
    vmcs_write16(VMCS_HOST_SS_SEL, GDT_DATA);
    vmcs_write16(VMCS_HOST_DS_SEL, GDT_DATA);
    vmcs_write16(VMCS_HOST_ES_SEL, GDT_DATA);
    vmcs_write16(VMCS_HOST_FS_SEL, 0);
    vmcs_write16(VMCS_HOST_GS_SEL, 0);
    vmcs_write16(VMCS_HOST_TR_SEL, GDT_TSS);
    vmcs_writenat(VMCS_HOST_FS_BASE, 0);
    vmcs_writenat(VMCS_HOST_GS_BASE, (uint64_t)pc);      /* this_cpu() after exits */
    vmcs_writenat(VMCS_HOST_TR_BASE, (uint64_t)&pc->tss);
    vmcs_writenat(VMCS_HOST_GDTR_BASE, (uint64_t)pc->gdt);
    vmcs_writenat(VMCS_HOST_IDTR_BASE, idtr.base);
    vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_HOST_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_HOST_SYSENTER_EIP, 0);
    vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
    vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_writenat(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
    /* HOST_RSP is written by vmx_enter before every entry. */
}

/* ES, SS, DS, FS and GS alike: the flat and the real-mode start differ
 * only in selector, limit and access rights. */
static void data_segments(uint16_t selector, uint32_t limit, uint32_t access)
{
    static const uint32_t sel[] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
                                    VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL };
    static const uint32_t base[] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE,
                                     VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    static const uint32_t lim[] = { VMCS_GUEST_ES_LIMIT, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT,
                                    VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT };
    static const uint32_t ar[] = { VMCS_GUEST_ES_AR, VMCS_GUEST_SS_AR, VMCS_GUEST_DS_AR,
                                   VMCS_GUEST_FS_AR, VMCS_GUEST_GS_AR };

    for (size_t i = 0; i < ARRAY_SIZE(sel); i++) {
        vmcs_write16(sel[i], selector);
        vmcs_writenat(base[i], 0);              /* flat, and real mode with selector 0 */
        vmcs_write32(lim[i], limit);
        vmcs_write32(ar[i], access);
    }
}

/* A flat 32-bit protected-mode guest, paging off: the state multiboot
 * kernels start in (multiboot 0.6.96, 3.2). */
void vmcs_guest_flat32(void)
{
    data_segments(0x10, 0xffffffff, 0xc093);    /* data, RW, accessed, G, D/B */
    vmcs_write16(VMCS_GUEST_CS_SEL, 0x08);
    vmcs_writenat(VMCS_GUEST_CS_BASE, 0);
    vmcs_write32(VMCS_GUEST_CS_LIMIT, 0xffffffff);
    vmcs_write32(VMCS_GUEST_CS_AR, 0xc09b);     /* code, RX, accessed, G, D */
    /* SDM Vol. 3C 26.3.1.2: TR must be usable and a busy TSS. */
    vmcs_write16(VMCS_GUEST_TR_SEL, 0);
    vmcs_writenat(VMCS_GUEST_TR_BASE, 0);
    vmcs_write32(VMCS_GUEST_TR_LIMIT, 0xff);
    vmcs_write32(VMCS_GUEST_TR_AR, 0x8b);
    vmcs_write16(VMCS_GUEST_LDTR_SEL, 0);
    vmcs_writenat(VMCS_GUEST_LDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_LDTR_LIMIT, 0);
    vmcs_write32(VMCS_GUEST_LDTR_AR, 0x10000);  /* unusable */
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0);
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0);
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
    vmcs_writenat(VMCS_GUEST_DR7, 0x400);
    vmcs_writenat(VMCS_GUEST_CR3, 0);
    vmcs_write64(VMCS_GUEST_EFER, 0);
    vmcs_write64(VMCS_GUEST_PAT, 0x0007040600070406ULL);   /* power-on PAT */
    vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
    vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_GUEST_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_GUEST_SYSENTER_EIP, 0);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmcs_writenat(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write64(VMCS_LINK_POINTER, ~0ULL);     /* SDM 26.3.1.5: no shadow VMCS */
}

/* Real mode (unrestricted guest, SDM Vol. 3C 26.3.1.2): 64 KiB segments,
 * base = selector << 4, CR0.PE clear (the caller keeps its shadow). */
void vmcs_guest_real(uint16_t cs, uint16_t ip)
{
    data_segments(0, 0xffff, 0x93);
    vmcs_write16(VMCS_GUEST_CS_SEL, cs);
    vmcs_writenat(VMCS_GUEST_CS_BASE, (uint64_t)cs << 4);
    vmcs_write32(VMCS_GUEST_CS_LIMIT, 0xffff);
    vmcs_write32(VMCS_GUEST_CS_AR, 0x9b);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0x3ff);     /* the real-mode IVT at 0 */
    vmcs_writenat(VMCS_GUEST_CR0, vmcs_readnat(VMCS_GUEST_CR0) & ~CR0_PE);
    vmcs_writenat(VMCS_GUEST_RIP, ip);
    vmcs_writenat(VMCS_GUEST_RSP, 0xfffe);
}
