/*
 * A vCPU's VMCS (SDM Vol. 3C 25, 26.2-26.3): built from the CPU's
 * capabilities the first time the vCPU runs on a CPU (and after INIT or a
 * restart), made current again after it ran elsewhere, cleared before it
 * moves. The hardware side (accessors, host state, start states) is
 * vmx/vmcs.c.
 */
#include <hv/vcpu.h>
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/faultinj.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vmx_ops.h>
#include <arch/vmx_controls.h>
#include <arch/percpu.h>
#include <arch/cpu.h>
#include <arch/msr.h>

/* CR0/CR4: the bits VMX fixes are owned by the host and shadowed, so the
 * guest reads what it wrote (SDM Vol. 3C 25.6.6). With unrestricted guest
 * PE and PG are the guest's own (SDM 26.3.1.1). */
static void control_registers(struct vmx_vcpu *x, const struct vmx_caps *c)
{
    uint64_t cr0_fixed = c->cr0_fixed0 & ~(CR0_PE | CR0_PG);
    uint64_t cr0 = CR0_PE | CR0_ET;
    uint64_t cr4 = 0;

    x->cr0_fixed0 = cr0_fixed;
    x->cr0_fixed1 = c->cr0_fixed1 | CR0_PE | CR0_PG;
    x->cr4_fixed0 = c->cr4_fixed0;
    x->cr4_fixed1 = c->cr4_fixed1;
    /* Owned: the fixed bits, and CD/NW (a guest may not turn caching off
     * for memory the host shares with others). */
    x->cr0_mask = cr0_fixed | CR0_CD | CR0_NW;
    x->cr4_mask = c->cr4_fixed0 | CR4_VMXE | CR4_HIDDEN;
    x->cr0_shadow = cr0;
    x->cr4_shadow = cr4;
    vmcs_writenat(VMCS_GUEST_CR0, (cr0 | cr0_fixed) & c->cr0_fixed1);
    vmcs_writenat(VMCS_GUEST_CR4, (cr4 | c->cr4_fixed0) & c->cr4_fixed1);
    vmcs_writenat(VMCS_CR0_MASK, x->cr0_mask);
    vmcs_writenat(VMCS_CR4_MASK, x->cr4_mask);
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

/* Ports handed to the guest reach the hardware without an exit: their
 * bits are clear in its I/O bitmaps (SDM Vol. 3C 25.6.4). Every other
 * port exits, so no other guest ever reaches them. */
static void open_ports(struct vmx_vcpu *x, const struct guest *g)
{
    for (unsigned r = 0; r < g->cfg->passthrough_count; r++)
        for (uint32_t p = g->cfg->passthrough[r].first; p <= g->cfg->passthrough[r].last; p++)
            x->io_bitmaps[p / 8] &= (uint8_t)~(1u << (p % 8));
}

/* The bitmaps start all ones (every port and MSR exits) and are kept
 * across restarts; only the ports passed through are opened. */
static bool alloc_pages(struct vcpu *v)
{
    struct vmx_vcpu *x = &v->vmx;
    /* A restarted guest reuses its pages (SDM 25.11.3: VMCLEAR below
     * makes the old VMCS launchable again). */
    if (!x->vmcs)
        x->vmcs = page_alloc(1);
    if (!x->io_bitmaps)
        x->io_bitmaps = all_ones_pages(2);
    if (!x->msr_bitmap)
        x->msr_bitmap = all_ones_pages(1);
    return x->vmcs && x->io_bitmaps && x->msr_bitmap;
}

int vcpu_vmcs_create(struct vcpu *v, struct percpu *pc)
{
    const struct vmx_caps *c = &pc->vmx.caps;
    struct vmx_vcpu *x = &v->vmx;
    struct guest *g = v->guest;
    struct vmx_controls ctl;
    char problem[128];

    if (vmx_controls_compute(c, &ctl, problem, sizeof(problem))) {
        kprintf("vmx: cpu%u cannot run guests: %s\n", pc->index, problem);
        return -1;
    }
    if (!alloc_pages(v)) {
        kprintf("vmx: out of memory for the VMCS of guest %s\n", g->name);
        return -1;
    }
    vcpu_state_open_msrs(v);
    x->vmcs_pa = kva_to_phys(x->vmcs);
    *(uint32_t *)x->vmcs = c->revision_id;       /* SDM 25.2: revision, bit 31 clear */
    if (!vmx_vmclear(x->vmcs_pa) || !vmx_vmptrld(x->vmcs_pa)) {
        kprintf("vmx: VMCLEAR/VMPTRLD of the VMCS at %#lx failed\n", x->vmcs_pa);
        return -1;
    }
    x->launched = false;
    v->host_rsp = 0;
    x->vmcs_cpu = pc;
    /* Whatever this CPU cached for this EPTP or VPID before belongs to
     * nobody now (SDM Vol. 3C 29.4.3): drop it before the first entry. */
    vmcs_invalidate_tlb(c, ept_eptp(&g->ept, false), x->vpid);
    g->ept.need_invept = false;

    vmcs_write32(VMCS_PIN_CTLS, ctl.pin);
    vmcs_write32(VMCS_PROC_CTLS, ctl.proc);
    vmcs_write32(VMCS_PROC2_CTLS, ctl.proc2);
    vmcs_write32(VMCS_EXIT_CTLS, ctl.exit);
    vmcs_write32(VMCS_ENTRY_CTLS, ctl.entry);
    x->proc_ctls = ctl.proc;
    x->nmi_window = (ctl.pin & VMX_PIN_VIRTUAL_NMIS) &&
                    (c->proc.allowed1 & VMX_PROC_NMI_WINDOW_EXITING);
    x->preemption_timer = (ctl.pin & VMX_PIN_PREEMPTION_TIMER) != 0;
    x->preemption_rate = c->preemption_timer_rate;
    if (x->preemption_timer)
        vmcs_write32(VMCS_PREEMPTION_TIMER, 0xffffffff);
    vmcs_write32(VMCS_EXCEPTION_BITMAP, 1u << X86_EXC_MC);   /* #MC: the host's business */
    vmcs_write32(VMCS_PF_ERROR_MASK, 0);
    vmcs_write32(VMCS_PF_ERROR_MATCH, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    open_ports(x, g);
    vmcs_write64(VMCS_IO_BITMAP_A, kva_to_phys(x->io_bitmaps));
    vmcs_write64(VMCS_IO_BITMAP_B, kva_to_phys(x->io_bitmaps + PAGE_SIZE));
    vmcs_write64(VMCS_MSR_BITMAP, kva_to_phys(x->msr_bitmap));
    vmcs_write64(VMCS_EPT_POINTER, ept_eptp(&g->ept, false));
    if (ctl.vpid)
        vmcs_write16(VMCS_VPID, x->vpid);
    vmcs_write64(VMCS_TSC_OFFSET, 0);

    vmcs_write_host_state(pc);
    vmcs_guest_flat32();
    control_registers(x, c);
    vcpu_set_entry(v);
    if (v->id == 0 && faultinj_break_state(g->name)) {
        /* Diagnostics (command line break_guest_state=NAME): paging
         * without protection, which VM entry must refuse (SDM Vol. 3C
         * 26.3.1.1), to show how a failed entry is reported. */
        kprintf("guest %s: break_guest_state: setting CR0.PG with CR0.PE clear\n", g->name);
        vmcs_writenat(VMCS_GUEST_CR0, (vmcs_readnat(VMCS_GUEST_CR0) | CR0_PG) & ~CR0_PE);
    }
    return 0;
}

void vcpu_dump(struct vcpu *v, const char *why)
{
    const struct guest_regs *r = &v->regs;
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);

    kprintf("[%s] %s\n", v->guest->name, why);
    kprintf("  exit reason %u, qualification %#lx, guest-physical %#lx\n",
            v->vmx.exit_reason, vmcs_readnat(VMCS_EXIT_QUALIFICATION),
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
    struct vmx_vcpu *x = &v->vmx;
    if (!vmx_vmptrld(x->vmcs_pa)) {
        kprintf("vmx: VMPTRLD of the VMCS of guest %s vCPU %u failed on cpu%u\n",
                v->guest->name, v->id, pc->index);
        return false;
    }
    if (x->vmcs_cpu != pc) {
        /* It last ran on another CPU, which cleared it (SDM Vol. 3C
         * 25.11.1): a cleared VMCS is launched again with VMLAUNCH, its
         * host state must point at this CPU's tables, and this CPU may
         * hold stale translations for its VPID and EPT (29.4.3). */
        x->launched = false;
        v->host_rsp = 0;
        vmcs_write_host_state(pc);
        vmcs_invalidate_tlb(&pc->vmx.caps, ept_eptp(&v->guest->ept, false), x->vpid);
        v->guest->ept.need_invept = false;
        x->vmcs_cpu = pc;
    }
    return true;
}

void vcpu_vmcs_clear(struct vcpu *v)
{
    struct vmx_vcpu *x = &v->vmx;
    if (x->vmcs_pa && !vmx_vmclear(x->vmcs_pa))
        kprintf("vmx: VMCLEAR of the VMCS of guest %s vCPU %u failed\n", v->guest->name, v->id);
    x->vmcs_cpu = NULL;
    x->launched = false;
}

static void linux_entry(struct vcpu *v);

void vcpu_set_entry(struct vcpu *v)
{
    const struct guest *g = v->guest;

    if (v->id != 0) {
        vcpu_set_real_entry(v, v->start_cs, 0);
        return;
    }
    if (g->entry_real) {
        vcpu_set_real_entry(v, g->entry_cs, g->entry_ip);
        return;
    }
    vmcs_writenat(VMCS_GUEST_RIP, g->entry);
    vmcs_writenat(VMCS_GUEST_RSP, 0);
    if (g->entry_kind == GUEST_ENTRY_MULTIBOOT) {
        vmcs_writenat(VMCS_GUEST_GDTR_BASE, GUEST_BOOT_GDT);
        vmcs_write32(VMCS_GUEST_GDTR_LIMIT, GUEST_BOOT_GDT_SIZE - 1);
        return;
    }
    linux_entry(v);
}

/* The Linux boot protocol's selectors (Documentation/arch/x86/boot.rst:
 * __BOOT_CS 0x10, __BOOT_DS 0x18) over the GDT the loader wrote; for the
 * 64-bit entry, long mode with paging on through the loader's identity
 * page tables (SDM Vol. 3A 9.8.5: CR0.PG and PE, CR4.PAE, EFER.LME and
 * LMA; Vol. 3C 26.3.1.1: "IA-32e mode guest" must equal EFER.LMA). */
static void linux_entry(struct vcpu *v)
{
    const struct guest *g = v->guest;
    struct vmx_vcpu *x = &v->vmx;
    static const uint32_t data_sel[] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
                                         VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL };

    vmcs_writenat(VMCS_GUEST_GDTR_BASE, g->entry_gdt);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 4 * 8 - 1);
    vmcs_write16(VMCS_GUEST_CS_SEL, 0x10);
    for (size_t i = 0; i < ARRAY_SIZE(data_sel); i++)
        vmcs_write16(data_sel[i], 0x18);
    if (g->entry_kind != GUEST_ENTRY_LINUX64)
        return;
    vmcs_write32(VMCS_GUEST_CS_AR, 0xa09b);     /* code, RX, accessed, G, L (64-bit) */
    x->cr0_shadow = CR0_PE | CR0_ET | CR0_PG;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, x->cr0_shadow);
    vmcs_writenat(VMCS_GUEST_CR0, (x->cr0_shadow | x->cr0_fixed0) & x->cr0_fixed1);
    x->cr4_shadow = CR4_PAE;
    vmcs_writenat(VMCS_CR4_READ_SHADOW, x->cr4_shadow);
    vmcs_writenat(VMCS_GUEST_CR4, (x->cr4_shadow | x->cr4_fixed0) & x->cr4_fixed1);
    vmcs_writenat(VMCS_GUEST_CR3, g->entry_cr3);
    vmcs_write64(VMCS_GUEST_EFER, EFER_LME | EFER_LMA);
    vmcs_write32(VMCS_ENTRY_CTLS, vmcs_read32(VMCS_ENTRY_CTLS) | VMX_ENTRY_IA32E_MODE_GUEST);
}

void vcpu_set_real_entry(struct vcpu *v, uint16_t cs, uint16_t ip)
{
    vmcs_guest_real(cs, ip);
    v->vmx.cr0_shadow = CR0_ET;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, CR0_ET);
}
