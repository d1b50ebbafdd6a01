/*
 * VM-exit handling. The table maps every basic exit reason to a handler;
 * reasons we never enable, or that a well-behaved guest cannot cause, stop
 * that guest with a full dump (exit_unexpected) rather than falling into a
 * silent default. VMX instructions inject #UD: guests see no VMX.
 */
#include <arch/vmexit.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/msr.h>
#include <arch/vmsr.h>
#include <arch/gpt.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/hypercall.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <hv/version.h>

#define INTR_INFO_VALID      BIT(31)
#define INTR_TYPE_HW_EXC     (3u << 8)
#define INTR_DELIVER_ERROR   BIT(11)
#define VEC_UD 6
#define VEC_GP 13

void vcpu_skip_insn(struct vcpu *v)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + v->exit_insn_len);
    /* An emulated instruction ends the one-instruction shadow of a
     * preceding STI or MOV SS, as executing it would have (SDM Vol. 3C
     * 25.4.2, table 25-3): "sti; hlt" must be able to take an interrupt. */
    uint32_t intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & 3)
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3u);
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    (void)v;
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXC | vector;
    if (has_error) {
        info |= INTR_DELIVER_ERROR;
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, error);
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

enum exit_action stop_with_dump(struct vcpu *v, const char *why)
{
    vcpu_dump(v, why);
    guest_stop(v->guest, 255, "%s (exit reason %u)", why, v->exit_reason);
    return EXIT_STOP;
}

enum exit_action exit_unexpected(struct vcpu *v)
{
    char why[96];
    hv_snprintf(why, sizeof(why), "unhandled VM exit '%s'", vmexit_name(v->exit_reason));
    return stop_with_dump(v, why);
}

enum exit_action exit_vmx_insn(struct vcpu *v)
{
    vcpu_inject_exception(v, VEC_UD, false, 0);
    return EXIT_RESUME;
}

enum exit_action exit_triple_fault(struct vcpu *v)
{
    return stop_with_dump(v, "triple fault");
}

enum exit_action exit_external_interrupt(struct vcpu *v)
{
    /* Acknowledged on exit: the vector is in the exit information. Run the
     * host's handler for it with interrupts still off. */
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    if (info & INTR_INFO_VALID)
        interrupt_dispatch_vector((uint8_t)(info & 0xff));
    return EXIT_RESUME;
}

enum exit_action exit_exception_nmi(struct vcpu *v)
{
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    if ((info & 0x7ff) == ((2u << 8) | 2)) {        /* NMI for the host */
        kprintf("[%s] NMI while the guest ran\n", v->guest->name);
        return EXIT_RESUME;
    }
    return stop_with_dump(v, "machine check or unexpected exception");
}

/* CPUID (SDM Vol. 2A): the host's answers with VMX hidden, the hypervisor
 * bit set, and our leaves at 0x40000000 (signature) and 0x40000010 (TSC
 * and bus frequency in kHz, the de-facto convention guests read). */
enum exit_action exit_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
    struct cpuid_regs r;

    if (leaf == 0x40000000) {
        r.eax = 0x40000010;
        memcpy(&r.ebx, "hvhv", 4);          /* signature "hvhvhypervsr" */
        memcpy(&r.ecx, "hype", 4);
        memcpy(&r.edx, "rvsr", 4);
    } else if (leaf == 0x40000010) {
        r = (struct cpuid_regs){ (uint32_t)(tsc_hz() / 1000), (uint32_t)(lapic_timer_hz() * 16 / 1000), 0, 0 };
    } else if (leaf > 0x40000000 && leaf < 0x40000100) {
        r = (struct cpuid_regs){ 0, 0, 0, 0 };
    } else {
        r = cpuid(leaf, sub);
        uint32_t apic_id = v->lapic.id;
        unsigned n = v->guest->vcpu_count;
        /* Topology consistent with the guest's vCPUs (SDM Vol. 3A 9.9):
         * one package of n single-thread cores, APIC IDs 0..n-1, whatever
         * the host has. */
        unsigned shift = 0;
        while ((1u << shift) < n)
            shift++;
        if (leaf == 1) {
            r.ecx &= ~(uint32_t)BIT(5);         /* VMX */
            r.ecx |= (uint32_t)BIT(31);         /* running under a hypervisor */
            r.ebx = (r.ebx & 0x0000ffffu) | ((n > 1 ? 1u << shift : 1u) << 16) | (apic_id << 24);
            if (n > 1)
                r.edx |= (uint32_t)BIT(28);     /* HTT: more than one logical processor */
            else
                r.edx &= ~(uint32_t)BIT(28);
        } else if (leaf == 4) {
            /* one thread per cache; cores per package - 1 in bits 31:26 */
            r.eax = (r.eax & 0x3fff) | (r.eax & 0x1f ? ((n - 1) & 0x3f) << 26 : 0);
        } else if (leaf == 0xb || leaf == 0x1f) {
            /* Level 0 SMT: 1 thread; level 1 core: n cores; then invalid. */
            if (sub == 0)
                r = (struct cpuid_regs){ 0, 1, (1u << 8) | sub, apic_id };
            else if (sub == 1)
                r = (struct cpuid_regs){ shift, n, (2u << 8) | sub, apic_id };
            else
                r = (struct cpuid_regs){ 0, 0, sub, apic_id };
        }
    }
    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

/* HLT: the vCPU gives up its CPU until an interrupt for it arrives
 * (core/schedule.c). With interrupts disabled only INIT or NMI can end
 * it; a guest whose every vCPU waits for nothing is stopped as halted. */
enum exit_action exit_hlt(struct vcpu *v)
{
    bool irq_off = !(vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF);
    vcpu_skip_insn(v);
    if (!irq_off && apic_has_event(v, rdtsc()))
        return EXIT_RESUME;
    v->halt_irq_off = irq_off;
    return EXIT_BLOCK;
}

static const void *gpt_read(void *ctx, uint64_t gpa, size_t len)
{
    return guest_ptr(ctx, gpa, len);
}

/* Guest linear -> host pointer for `len` bytes, through the guest's own
 * page tables; NULL when unmapped or outside the guest's memory. */
uint8_t *guest_linear_ptr(struct vcpu *v, uint64_t lin, unsigned len)
{
    struct gpt_ctx c = { gpt_read, v->guest, vmcs_readnat(VMCS_GUEST_CR0),
                         vmcs_readnat(VMCS_GUEST_CR3), vmcs_readnat(VMCS_GUEST_CR4),
                         vmcs_read64(VMCS_GUEST_EFER) };
    uint64_t a, b;
    if (gpt_translate(&c, lin, &a) || gpt_translate(&c, lin + len - 1, &b) || b != a + len - 1)
        return NULL;        /* unmapped, or split over discontiguous pages */
    return guest_ptr(v->guest, a, len);
}

/* INS/OUTS with or without REP (SDM Vol. 2B; exit information: SDM Vol.
 * 3C 28.2.5, table 28-8). Up to 4096 iterations per exit; a longer REP
 * resumes at the same instruction with RCX counted down. */
static enum exit_action string_io(struct vcpu *v, const struct io_device *d, uint16_t port,
                                  unsigned size, bool in, bool rep)
{
    static const uint32_t seg_base[6] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
        VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    uint32_t info = vmcs_read32(VMCS_EXIT_INSN_INFO);
    unsigned asz = (info >> 7) & 7, seg = in ? 0 : (info >> 15) & 7;
    uint64_t amask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffff : ~0ULL;
    uint64_t base = seg < 6 ? __vmcs_readnat(seg_base[seg], __func__) : 0;
    bool down = vmcs_readnat(VMCS_GUEST_RFLAGS) & BIT(10);     /* DF */
    uint64_t idx = in ? v->regs.rdi : v->regs.rsi;
    uint64_t count = rep ? (v->regs.rcx & amask) : 1;
    struct guest *g = v->guest;

    for (unsigned n = 0; count && n < 4096; n++, count--) {
        uint8_t *p = guest_linear_ptr(v, base + (idx & amask), size);
        if (!p)
            return stop_with_dump(v, "string I/O with a buffer outside the guest's memory");
        uint32_t val = 0xffffffffu;
        if (in) {
            if (d && d->read)
                val = d->read(g, d->dev, port, size);
            memcpy(p, &val, size);
        } else {
            memcpy(&val, p, size);
            if (d && d->write)
                d->write(g, d->dev, port, size, val);
        }
        idx = (idx & ~amask) | ((down ? idx - size : idx + size) & amask);
        if (g->state != GUEST_RUNNING)
            return EXIT_STOP;
    }
    if (in)
        v->regs.rdi = idx;
    else
        v->regs.rsi = idx;
    if (rep)
        v->regs.rcx = (v->regs.rcx & ~amask) | count;
    if (!count)
        vcpu_skip_insn(v);
    return EXIT_RESUME;
}

/* I/O (SDM Vol. 3C 28.2.1, table 28-5). Unclaimed ports behave like an
 * empty ISA bus: reads return all ones, writes vanish. */
enum exit_action exit_io(struct vcpu *v)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    unsigned size = (unsigned)(q & 7) + 1;
    bool in = q & BIT(3), string = q & BIT(4);
    uint16_t port = (uint16_t)(q >> 16);
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

    const struct io_device *d = guest_find_io(v->guest, port);
    if (string)
        return string_io(v, d, port, size, in, q & BIT(5));
    if (in) {
        uint32_t val = d && d->read ? d->read(v->guest, d->dev, port, size) : 0xffffffffu;
        v->regs.rax = (v->regs.rax & ~(uint64_t)mask) | (val & mask);
    } else if (d && d->write) {
        d->write(v->guest, d->dev, port, size, (uint32_t)v->regs.rax & mask);
    }
    if (v->guest->state != GUEST_RUNNING)
        return EXIT_STOP;                   /* e.g. the test-exit port */
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

/* MSRs: every access exits (the bitmap is all ones); the policy is the
 * pure vmx/vmsr.c. */
static uint64_t vmcs_read_any(uint32_t f)
{
    switch (VMCS_WIDTH(f)) {
    case VMCS_W16: return __vmcs_read16(f, __func__);
    case VMCS_W32: return __vmcs_read32(f, __func__);
    case VMCS_W64: return __vmcs_read64(f, __func__);
    default: return __vmcs_readnat(f, __func__);
    }
}

static void vmcs_write_any(uint32_t f, uint64_t v)
{
    switch (VMCS_WIDTH(f)) {
    case VMCS_W16: __vmcs_write16(f, (uint16_t)v, __func__); break;
    case VMCS_W32: __vmcs_write32(f, (uint32_t)v, __func__); break;
    case VMCS_W64: __vmcs_write64(f, v, __func__); break;
    default: __vmcs_writenat(f, v, __func__); break;
    }
}

enum exit_action exit_rdmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx, field = 0;
    uint64_t val = 0;
    bool gp;

    if (apic_msr_read(v, msr, &val, &gp)) {
        if (gp) {
            vcpu_inject_exception(v, VEC_GP, true, 0);
            return EXIT_RESUME;
        }
        v->regs.rax = (uint32_t)val;
        v->regs.rdx = val >> 32;
        vcpu_skip_insn(v);
        return EXIT_RESUME;
    }

    switch (vmsr_read(&v->msr, msr, &val, &field)) {
    case VMSR_GP:
        vcpu_inject_exception(v, VEC_GP, true, 0);
        return EXIT_RESUME;
    case VMSR_VMCS:
        val = vmcs_read_any(field);
        break;
    case VMSR_TSC:
        val = rdtsc() + vmcs_read64(VMCS_TSC_OFFSET);
        break;
    case VMSR_OK:
        break;
    }
    v->regs.rax = (uint32_t)val;
    v->regs.rdx = val >> 32;
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

enum exit_action exit_wrmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx, field = 0;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    bool gp;

    if (apic_msr_write(v, msr, val, &gp)) {
        if (gp)
            vcpu_inject_exception(v, VEC_GP, true, 0);
        else
            vcpu_skip_insn(v);
        return EXIT_RESUME;
    }

    switch (vmsr_write(&v->msr, msr, val, &field)) {
    case VMSR_GP:
        vcpu_inject_exception(v, VEC_GP, true, 0);
        return EXIT_RESUME;
    case VMSR_VMCS:
        if (field == VMCS_GUEST_EFER) {
            uint64_t old = vmcs_read64(VMCS_GUEST_EFER);
            /* LMA is the CPU's to set; LME can't change while paging is on
             * (SDM Vol. 3A 10.8.5). */
            if (((old ^ val) & EFER_LME) && (v->cr0_shadow & CR0_PG)) {
                vcpu_inject_exception(v, VEC_GP, true, 0);
                return EXIT_RESUME;
            }
            val = (val & ~EFER_LMA) | (old & EFER_LMA);
        }
        vmcs_write_any(field, val);
        break;
    case VMSR_TSC:
        /* Writing the TSC moves this guest's view only. */
        vmcs_write64(VMCS_TSC_OFFSET, val - rdtsc());
        break;
    case VMSR_OK:
        if (msr == MSR_IA32_APIC_BASE)
            apic_base_changed(v, v->msr.apic_base);
        break;
    }
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

enum exit_action exit_resume(struct vcpu *v)
{
    (void)v;
    return EXIT_RESUME;     /* delivery happens before the next entry */
}

enum exit_action exit_vmcall(struct vcpu *v)
{
    enum exit_action a = hypercall_handle(v);
    if (a == EXIT_RESUME)
        vcpu_skip_insn(v);
    return a;
}

enum exit_action exit_ept_violation(struct vcpu *v)
{
    uint64_t gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
    if (apic_mmio(v, gpa))
        return v->guest->state != GUEST_RUNNING ? EXIT_STOP : EXIT_RESUME;
    char why[96];
    hv_snprintf(why, sizeof(why), "access to guest-physical %#lx outside its memory",
                vmcs_read64(VMCS_GUEST_PHYS_ADDR));
    return stop_with_dump(v, why);
}

enum exit_action exit_invalid_state(struct vcpu *v)
{
    return stop_with_dump(v, "VM entry failed: invalid guest state (SDM Vol. 3C 26.3)");
}

enum exit_action exit_cache(struct vcpu *v)
{
    /* INVD would drop dirty lines of other guests: do WBINVD's harmless
     * part by doing nothing (EPT memory is WB and coherent). */
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

enum exit_action exit_xsetbv(struct vcpu *v)
{
    uint32_t idx = (uint32_t)v->regs.rcx;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    /* Only XCR0 exists; x87 state is mandatory (SDM Vol. 1 13.3). Values the
     * CPU rejects would fault in the host, so only pass supported bits. */
    struct cpuid_regs r = cpuid(0xd, 0);
    uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;
    if (idx != 0 || !(val & 1) || (val & ~supported) || ((val & 4) && !(val & 2))) {
        vcpu_inject_exception(v, VEC_GP, true, 0);
        return EXIT_RESUME;
    }
    __asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}

enum exit_action vmexit_dispatch(struct vcpu *v)
{
    uint32_t reason = v->exit_reason & 0xffff;
    unsigned slot = reason < EXIT_REASON_MAX ? reason : EXIT_REASON_MAX;
    uint64_t t0 = rdtsc();

    v->exit_count[slot]++;
    enum exit_action a = (reason >= EXIT_REASON_COUNT || !exit_table[reason].handler)
                             ? exit_unexpected(v) : exit_table[reason].handler(v);
    v->exit_cycles[slot] += rdtsc() - t0;
    return a;
}
