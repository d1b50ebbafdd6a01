/*
 * VMCS set-up for one vCPU (SDM Vol. 3C 25, 26.2-26.3): controls from the
 * CPU's capabilities, host state pointing at the core's own GDT, IDT, TSS
 * and page tables, and the guest state a multiboot or real-mode guest
 * starts in.
 */
#include <arch/vcpu.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vmx_controls.h>
#include <arch/percpu.h>
#include <arch/cpu.h>
#include <arch/msr.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/fmt.h>

extern char vmx_exit_point[];

void vmcs_report_failure(const char *op, uint32_t field, uint64_t value, const char *caller)
{
    uint64_t err = 0;
    vmcs_read_raw(VMCS_VM_INSN_ERROR, &err);
    kprintf("vmx: %s of field %#x (value %#lx) failed in %s: VM-instruction error %lu (%s)\n",
            op, field, value, caller, err, vmx_insn_error_name((uint32_t)err));
}

void vmcs_report_width(uint32_t field, unsigned width, const char *caller)
{
    static const char *const names[] = { "16-bit", "64-bit", "32-bit", "natural-width" };
    kprintf("vmx: %s used the %s accessor for field %#x, a %s field\n", caller,
            names[width & 3], field, names[VMCS_WIDTH(field)]);
}

static bool vmclear(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static bool vmptrld(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static void invalidate_guest_tlb(struct vcpu *v, const struct vmx_caps *c)
{
    struct { uint64_t eptp, zero; } ept_desc = { ept_eptp(&v->guest->ept, false), 0 };
    struct { uint64_t vpid, addr; } vpid_desc = { v->vpid, 0 };
    uint8_t fail = 0;

    if (c->invept_single)
        __asm__ volatile("invept %1, %2; setna %0" : "=q"(fail)
                         : "m"(ept_desc), "r"(1ULL) : "cc", "memory");
    else if (c->invept_all)
        __asm__ volatile("invept %1, %2; setna %0" : "=q"(fail)
                         : "m"(ept_desc), "r"(2ULL) : "cc", "memory");
    if (fail)
        kprintf("vmx: INVEPT failed for guest %s\n", v->guest->name);
    fail = 0;
    if (c->invvpid_single)
        __asm__ volatile("invvpid %1, %2; setna %0" : "=q"(fail)
                         : "m"(vpid_desc), "r"(1ULL) : "cc", "memory");
    else if (c->invvpid_all)
        __asm__ volatile("invvpid %1, %2; setna %0" : "=q"(fail)
                         : "m"(vpid_desc), "r"(2ULL) : "cc", "memory");
    if (fail)
        kprintf("vmx: INVVPID failed for guest %s\n", v->guest->name);
    v->guest->ept.need_invept = false;
}

static void host_state(struct percpu *pc)
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

/* A flat 32-bit protected-mode guest, paging off: the state multiboot
 * kernels start in (multiboot 0.6.96, 3.2). */
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

static void guest_state_flat32(void)
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

/* CR0/CR4: the bits VMX fixes are owned by the host and shadowed, so the
 * guest reads what it wrote (SDM Vol. 3C 25.6.6). With unrestricted guest
 * PE and PG are the guest's own (SDM 26.3.1.1). */
static void control_registers(struct vcpu *v, const struct vmx_caps *c)
{
    uint64_t cr0_fixed = c->cr0_fixed0 & ~(CR0_PE | CR0_PG);
    uint64_t cr0 = CR0_PE | CR0_ET;
    uint64_t cr4 = 0;

    v->cr0_fixed0 = cr0_fixed;
    v->cr0_fixed1 = c->cr0_fixed1 | CR0_PE | CR0_PG;
    v->cr4_fixed0 = c->cr4_fixed0;
    v->cr4_fixed1 = c->cr4_fixed1;
    /* Owned: the fixed bits, and CD/NW (a guest may not turn caching off
     * for memory the host shares with others). */
    v->cr0_mask = cr0_fixed | CR0_CD | CR0_NW;
    v->cr4_mask = c->cr4_fixed0 | CR4_VMXE;
    v->cr0_shadow = cr0;
    v->cr4_shadow = cr4;
    vmcs_writenat(VMCS_GUEST_CR0, (cr0 | cr0_fixed) & c->cr0_fixed1);
    vmcs_writenat(VMCS_GUEST_CR4, (cr4 | c->cr4_fixed0) & c->cr4_fixed1);
    vmcs_writenat(VMCS_CR0_MASK, v->cr0_mask);
    vmcs_writenat(VMCS_CR4_MASK, v->cr4_mask);
    vmcs_writenat(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_writenat(VMCS_CR4_READ_SHADOW, cr4);
}

static uint8_t *all_ones_pages(size_t n)
{
    uint8_t *p = page_alloc(n);
    if (p)
        memset(p, 0xff, n * PAGE_SIZE);
    return p;
}

int vcpu_vmcs_create(struct vcpu *v, struct percpu *pc)
{
    const struct vmx_caps *c = &pc->vmx.caps;
    struct vmx_controls ctl;
    char problem[128];

    if (vmx_controls_compute(c, &ctl, problem, sizeof(problem))) {
        kprintf("vmx: cpu%u cannot run guests: %s\n", pc->index, problem);
        return -1;
    }
    /* A restarted guest reuses its pages (SDM 25.11.3: VMCLEAR below
     * makes the old VMCS launchable again). */
    if (!v->vmcs)
        v->vmcs = page_alloc(1);
    if (!v->io_bitmaps)
        v->io_bitmaps = all_ones_pages(2);      /* every port exits */
    if (!v->msr_bitmap)
        v->msr_bitmap = all_ones_pages(1);      /* every MSR exits */
    uint8_t *io_bitmaps = v->io_bitmaps, *msr_bitmap = v->msr_bitmap;
    if (!v->vmcs || !io_bitmaps || !msr_bitmap) {
        kprintf("vmx: out of memory for the VMCS of guest %s\n", v->guest->name);
        return -1;
    }
    v->vmcs_pa = kva_to_phys(v->vmcs);
    *(uint32_t *)v->vmcs = c->revision_id;       /* SDM 25.2: revision, bit 31 clear */
    if (!vmclear(v->vmcs_pa) || !vmptrld(v->vmcs_pa)) {
        kprintf("vmx: VMCLEAR/VMPTRLD of the VMCS at %#lx failed\n", v->vmcs_pa);
        return -1;
    }
    v->launched = false;
    v->host_rsp = 0;
    v->vmcs_cpu = pc;
    /* Whatever this CPU cached for this EPTP or VPID before belongs to
     * nobody now (SDM Vol. 3C 29.4.3): drop it before the first entry. */
    invalidate_guest_tlb(v, c);

    vmcs_write32(VMCS_PIN_CTLS, ctl.pin);
    vmcs_write32(VMCS_PROC_CTLS, ctl.proc);
    vmcs_write32(VMCS_PROC2_CTLS, ctl.proc2);
    vmcs_write32(VMCS_EXIT_CTLS, ctl.exit);
    vmcs_write32(VMCS_ENTRY_CTLS, ctl.entry);
    v->entry_ctls = ctl.entry;
    v->proc_ctls = ctl.proc;
    v->preemption_timer = (ctl.pin & VMX_PIN_PREEMPTION_TIMER) != 0;
    v->preemption_rate = c->preemption_timer_rate;
    if (v->preemption_timer)
        vmcs_write32(VMCS_PREEMPTION_TIMER, 0xffffffff);
    vmcs_write32(VMCS_EXCEPTION_BITMAP, 1u << 18);   /* #MC: the host's business */
    vmcs_write32(VMCS_PF_ERROR_MASK, 0);
    vmcs_write32(VMCS_PF_ERROR_MATCH, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    vmcs_write64(VMCS_IO_BITMAP_A, kva_to_phys(io_bitmaps));
    vmcs_write64(VMCS_IO_BITMAP_B, kva_to_phys(io_bitmaps + PAGE_SIZE));
    vmcs_write64(VMCS_MSR_BITMAP, kva_to_phys(msr_bitmap));
    vmcs_write64(VMCS_EPT_POINTER, ept_eptp(&v->guest->ept, false));
    if (ctl.vpid)
        vmcs_write16(VMCS_VPID, v->vpid);
    vmcs_write64(VMCS_TSC_OFFSET, 0);

    host_state(pc);
    guest_state_flat32();
    control_registers(v, c);
    return 0;
}

void vcpu_dump(struct vcpu *v, const char *why)
{
    const struct guest_regs *r = &v->regs;
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);

    kprintf("[%s] %s\n", v->guest->name, why);
    kprintf("  exit reason %u, qualification %#lx, guest-physical %#lx\n",
            v->exit_reason, vmcs_readnat(VMCS_EXIT_QUALIFICATION),
            vmcs_read64(VMCS_GUEST_PHYS_ADDR));
    kprintf("  RIP %#lx CS %#x (base %#lx) RFLAGS %#lx RSP %#lx\n", rip,
            vmcs_read16(VMCS_GUEST_CS_SEL), vmcs_readnat(VMCS_GUEST_CS_BASE),
            vmcs_readnat(VMCS_GUEST_RFLAGS), vmcs_readnat(VMCS_GUEST_RSP));
    kprintf("  CR0 %#lx CR3 %#lx CR4 %#lx EFER %#lx\n", vmcs_readnat(VMCS_GUEST_CR0),
            vmcs_readnat(VMCS_GUEST_CR3), vmcs_readnat(VMCS_GUEST_CR4),
            vmcs_read64(VMCS_GUEST_EFER));
    kprintf("  RAX %#lx RBX %#lx RCX %#lx RDX %#lx RSI %#lx RDI %#lx\n",
            r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi);
    /* The instruction bytes, when the linear RIP is guest RAM (no paging
     * or identity paging assumed: a best effort for the report). */
    uint64_t lin = vmcs_readnat(VMCS_GUEST_CS_BASE) + rip;
    const uint8_t *b = guest_ptr(v->guest, lin, 16);
    if (b && !(vmcs_readnat(VMCS_GUEST_CR0) & CR0_PG)) {
        char line[16 * 3 + 1];
        for (int i = 0; i < 16; i++)
            hv_snprintf(line + i * 3, 4, " %02x", b[i]);
        kprintf("  bytes at RIP:%s\n", line);   /* one line: other CPUs print too */
    }
}

bool vcpu_vmcs_load(struct vcpu *v, struct percpu *pc)
{
    if (!vmptrld(v->vmcs_pa)) {
        kprintf("vmx: VMPTRLD of the VMCS of guest %s vCPU %u failed on cpu%u\n",
                v->guest->name, v->id, pc->index);
        return false;
    }
    if (v->vmcs_cpu != pc) {
        /* It last ran on another CPU, which cleared it (SDM Vol. 3C
         * 25.11.1): a cleared VMCS is launched again with VMLAUNCH, its
         * host state must point at this CPU's tables, and this CPU may
         * hold stale translations for its VPID and EPT (29.4.3). */
        v->launched = false;
        v->host_rsp = 0;
        host_state(pc);
        invalidate_guest_tlb(v, &pc->vmx.caps);
        v->vmcs_cpu = pc;
    }
    return true;
}

void vcpu_vmcs_clear(struct vcpu *v)
{
    if (v->vmcs_pa && !vmclear(v->vmcs_pa))
        kprintf("vmx: VMCLEAR of the VMCS of guest %s vCPU %u failed\n", v->guest->name, v->id);
    v->vmcs_cpu = NULL;
    v->launched = false;
}

void vcpu_set_entry(struct vcpu *v)
{
    const struct guest *g = v->guest;

    if (v->id != 0) {
        vcpu_set_real_entry(v, v->start_cs, 0);
        return;
    }
    if (!g->entry_real) {
        vmcs_writenat(VMCS_GUEST_RIP, g->entry);
        vmcs_writenat(VMCS_GUEST_RSP, 0);
        return;
    }
    vcpu_set_real_entry(v, g->entry_cs, g->entry_ip);
}

void vcpu_set_real_entry(struct vcpu *v, uint16_t cs, uint16_t ip)
{
    /* Real mode (unrestricted guest, SDM Vol. 3C 26.3.1.2): 64 KiB
     * segments, base = selector << 4, CR0.PE = 0. */
    data_segments(0, 0xffff, 0x93);
    vmcs_write16(VMCS_GUEST_CS_SEL, cs);
    vmcs_writenat(VMCS_GUEST_CS_BASE, (uint64_t)cs << 4);
    vmcs_write32(VMCS_GUEST_CS_LIMIT, 0xffff);
    vmcs_write32(VMCS_GUEST_CS_AR, 0x9b);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0x3ff);     /* the real-mode IVT at 0 */
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0) & ~CR0_PE;
    vmcs_writenat(VMCS_GUEST_CR0, cr0);
    v->cr0_shadow = CR0_ET;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, CR0_ET);
    vmcs_writenat(VMCS_GUEST_RIP, ip);
    vmcs_writenat(VMCS_GUEST_RSP, 0xfffe);
}
