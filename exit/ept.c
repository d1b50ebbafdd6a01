/*
 * EPT violations (SDM Vol. 3C 28.2.1, 29.3.3): the guest touched a
 * guest-physical address its EPT does not map. Its RAM is always mapped,
 * so this is either a device's MMIO region on the guest's bus (the
 * instruction is fetched through the guest's page tables, decoded by
 * arch/x86/insn_decode.c and emulated against the device) or an address
 * with nothing behind it. There, as on a PC, reads give all ones and
 * writes vanish: the instruction is decoded the same way and emulated
 * (MOV, MOVZX, MOVSX, the ALU group and TEST with their flags, XCHG,
 * STOS, LODS, MOVS), counted and logged once per range (vm/guest.c).
 * An instruction the decoder refuses there stops the guest with a dump,
 * as does every access with strict_memory = yes. An access made while
 * the CPU delivered an event (pushing the frame, reading the IDT) cannot
 * be emulated: the page gets the guest's scratch page and the delivery is
 * retried (exit/run.c re-injects the event).
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/bus.h>
#include <hv/fmt.h>
#include <hv/string.h>
#include <arch/vmcs.h>
#include <arch/insn.h>
#include <arch/cpu.h>
#include <arch/insn_alu.h>

#define CS_AR_L  BIT(13)
#define CS_AR_DB BIT(14)

static enum cpu_mode guest_mode(void)
{
    uint32_t ar = vmcs_read32(VMCS_GUEST_CS_AR);
    if (!(vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE))
        return CPU_MODE_16;
    if (ar & CS_AR_L)
        return CPU_MODE_64;
    return (ar & CS_AR_DB) ? CPU_MODE_32 : CPU_MODE_16;
}

/* Write `size` bytes of val into register n as the CPU would: 32-bit
 * writes zero the upper half in 64-bit mode, 8/16-bit ones merge. */
static void set_reg(struct vcpu *v, unsigned n, bool high8, unsigned size, uint64_t val)
{
    uint64_t old = vcpu_gpr(v, n);
    switch (size) {
    case 1:
        if (high8)
            vcpu_set_gpr(v, n, (old & ~0xff00ULL) | ((val & 0xff) << 8));
        else
            vcpu_set_gpr(v, n, (old & ~0xffULL) | (val & 0xff));
        break;
    case 2: vcpu_set_gpr(v, n, (old & ~0xffffULL) | (val & 0xffff)); break;
    case 4: vcpu_set_gpr(v, n, val & 0xffffffffULL); break;
    default: vcpu_set_gpr(v, n, val); break;
    }
}

static uint64_t get_reg(struct vcpu *v, unsigned n, bool high8)
{
    uint64_t r = vcpu_gpr(v, n);
    return high8 ? (r >> 8) & 0xff : r;
}

/* Fetch and decode the instruction at the guest's RIP. */
static int fetch_decode(struct vcpu *v, struct insn *in)
{
    uint8_t bytes[15];
    uint64_t lin = vmcs_readnat(VMCS_GUEST_CS_BASE) + vmcs_readnat(VMCS_GUEST_RIP);
    size_t n = 0;
    /* Byte by byte: the instruction may end at a page boundary. */
    while (n < sizeof(bytes)) {
        const uint8_t *p = vcpu_linear_ptr(v, lin + n, 1);
        if (!p)
            break;
        bytes[n++] = *p;
    }
    return insn_decode(bytes, n, guest_mode(), in);
}

/* The access by the guest's current instruction to device d at gpa.
 * Returns EXIT_RESUME, EXIT_STOP, or -1 when d does not claim it now. */
static int emulate_mmio(struct vcpu *v, struct vdev *d, uint64_t gpa)
{
    struct insn in;
    char why[128];
    int rc = fetch_decode(v, &in);
    if (rc) {
        hv_snprintf(why, sizeof(why), "%s access by an instruction the decoder refuses (%s)",
                    d->ops->name, insn_strerror(rc));
        return stop_with_dump(v, why);
    }
    if (in.kind == INSN_MOV_TO_MEM) {
        uint64_t val = in.has_imm ? (uint64_t)in.imm : get_reg(v, in.reg, in.reg_high8);
        if (!d->ops->mmio_write || !d->ops->mmio_write(d, v, gpa, in.mem_size, val))
            return -1;
    } else if (in.kind == INSN_MOV_FROM_MEM || in.kind == INSN_MOVZX) {
        uint64_t val = 0;
        if (!d->ops->mmio_read || !d->ops->mmio_read(d, v, gpa, in.mem_size, &val))
            return -1;
        set_reg(v, in.reg, in.reg_high8, in.op_size, val);
    } else {
        hv_snprintf(why, sizeof(why), "unsupported %s on the %s page", insn_kind_name(in.kind),
                    d->ops->name);
        return stop_with_dump(v, why);
    }
    v->vmx.exit_insn_len = in.length;
    vcpu_skip_insn(v);
    return v->guest->state != GUEST_RUNNING ? EXIT_STOP : EXIT_RESUME;
}

#define RFLAGS_DF BIT(10)
/* EPT-violation exit qualification (SDM Vol. 3C 28.2.1, table 28-7). */
#define QUAL_READ          BIT(0)
#define QUAL_FETCH         BIT(2)
#define QUAL_LINEAR_VALID  BIT(7)
#define QUAL_TRANSLATED    BIT(8)      /* with bit 7: not a paging-structure access */

static const uint32_t seg_base_field[6] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
    VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static uint64_t addr_mask(const struct insn *in)
{
    return ones(in->addr_size);
}

/* The linear address of memory operand m (segment base: in 64-bit mode
 * only FS and GS have one, SDM Vol. 3A 3.4.4). */
static uint64_t operand_linear(struct vcpu *v, const struct insn *in, const struct insn_mem *m)
{
    uint64_t gpr[16];
    for (unsigned i = 0; i < 16; i++)
        gpr[i] = vcpu_gpr(v, i);
    uint64_t off = insn_mem_offset(in, m, gpr, vmcs_readnat(VMCS_GUEST_RIP));
    bool base = m->seg >= 0 && m->seg < 6 &&
                (guest_mode() != CPU_MODE_64 || m->seg >= INSN_SEG_FS);
    return off + (base ? __vmcs_readnat(seg_base_field[m->seg], __func__) : 0);
}

/* rSI or rDI moved by one element, in the address size, by RFLAGS.DF. */
static void string_step(struct vcpu *v, const struct insn *in, unsigned reg)
{
    uint64_t m = addr_mask(in), r = vcpu_gpr(v, reg);
    bool down = vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_DF;
    uint64_t next = down ? r - in->mem_size : r + in->mem_size;
    vcpu_set_gpr(v, reg, (r & ~m) | (next & m));
}

/*
 * One element of STOS, LODS or MOVS is done. Without REP, or when REP's
 * count reaches 0, the instruction ends; otherwise RIP stays and the CPU
 * does the next element itself, exiting again if it too is unbacked
 * (string instructions fault per element, SDM Vol. 2B REP).
 */
static bool string_done(struct vcpu *v, const struct insn *in)
{
    if (!in->pfx.rep)
        return true;
    uint64_t m = addr_mask(in), c = vcpu_gpr(v, 1);
    uint64_t left = ((c & m) - 1) & m;
    vcpu_set_gpr(v, 1, (c & ~m) | left);
    return left == 0;
}

/* MOVS with one side unbacked: which side faulted is told by the
 * guest-linear address of the exit (SDM Vol. 3C 28.2.1, qualification
 * bit 7). The source is read first, so a fault at the destination means
 * the source was ordinary memory: nothing to do but drop the write. A
 * fault at the source writes all ones to a destination in RAM. */
static const char *movs(struct vcpu *v, const struct insn *in, uint64_t qual)
{
    if (!(qual & QUAL_LINEAR_VALID))
        return "MOVS without a guest-linear address";
    uint64_t lin = vmcs_readnat(VMCS_GUEST_LINEAR_ADDR);
    uint64_t src = operand_linear(v, in, &in->mem), dst = operand_linear(v, in, &in->mem2);
    if (lin - dst < in->mem_size && lin - src >= in->mem_size) {
        /* the destination is unbacked: the write vanishes */
    } else if (lin - src < in->mem_size) {
        uint8_t *p = vcpu_linear_ptr(v, dst, in->mem_size);
        if (!p)
            return "MOVS from unbacked memory to a destination outside RAM";
        uint64_t val = ~0ULL;
        memcpy(p, &val, in->mem_size);
    } else {
        return "MOVS at an address that is neither of its operands";
    }
    string_step(v, in, 6);
    string_step(v, in, 7);
    return NULL;
}

/* The access at unbacked gpa by the instruction at RIP: reads give all
 * ones of their size, writes are dropped. NULL when emulated (and the
 * instruction finished or, for REP, advanced), else why not. */
static const char *emulate_unbacked_insn(struct vcpu *v, struct insn *in, uint64_t qual)
{
    uint64_t val = ones(in->mem_size);
    bool finished = true;

    switch (in->kind) {
    case INSN_MOV_TO_MEM:
        break;
    case INSN_MOV_FROM_MEM:
    case INSN_MOVZX:
    case INSN_MOVSX:        /* all ones sign-extended: all ones */
        set_reg(v, in->reg, in->reg_high8, in->op_size,
                in->kind == INSN_MOVSX ? ones(in->op_size) : val);
        break;
    case INSN_XCHG:
        set_reg(v, in->reg, in->reg_high8, in->op_size, val);
        break;
    case INSN_STOS:
        string_step(v, in, 7);
        finished = string_done(v, in);
        break;
    case INSN_LODS:
        set_reg(v, 0, false, in->op_size, val);
        string_step(v, in, 6);
        finished = string_done(v, in);
        break;
    case INSN_MOVS: {
        const char *why = movs(v, in, qual);
        if (why)
            return why;
        finished = string_done(v, in);
        break;
    }
    default:
        if (!insn_alu_kind(in->kind))
            return insn_kind_name(in->kind);
        /* The memory operand reads all ones; a result bound for memory
         * is dropped, one for a register is written; the flags are set. */
        uint64_t other = in->has_imm ? (uint64_t)in->imm : get_reg(v, in->reg, in->reg_high8);
        uint64_t rflags = vmcs_readnat(VMCS_GUEST_RFLAGS), out;
        uint64_t r = in->mem_is_dst ? insn_alu(in->kind, in->op_size, val, other, rflags, &out)
                                    : insn_alu(in->kind, in->op_size, other, val, rflags, &out);
        if (!in->mem_is_dst && in->kind != INSN_CMP && in->kind != INSN_TEST)
            set_reg(v, in->reg, in->reg_high8, in->op_size, r);
        vmcs_writenat(VMCS_GUEST_RFLAGS, out);
        break;
    }
    if (finished) {
        v->vmx.exit_insn_len = in->length;
        vcpu_skip_insn(v);
    }
    return NULL;
}

static enum exit_action outside_memory(struct vcpu *v, uint64_t gpa)
{
    char why[96];
    hv_snprintf(why, sizeof(why), "access to guest-physical %#lx outside its memory", gpa);
    return stop_with_dump(v, why);
}

static enum exit_action unbacked(struct vcpu *v, uint64_t gpa)
{
    uint64_t qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    struct insn in;
    char why[160];
    if (qual & QUAL_FETCH) {
        hv_snprintf(why, sizeof(why), "executing at unbacked guest-physical %#lx", gpa);
        return stop_with_dump(v, why);
    }
    int rc = fetch_decode(v, &in);
    const char *no = rc ? insn_strerror(rc) : emulate_unbacked_insn(v, &in, qual);
    if (no) {
        hv_snprintf(why, sizeof(why), "access to unbacked guest-physical %#lx by an instruction "
                    "that cannot be emulated there (%s)", gpa, no);
        return stop_with_dump(v, why);
    }
    guest_unbacked_access(v->guest, gpa, !(qual & QUAL_READ), in.mem_size);
    return EXIT_RESUME;
}

/* The CPU touched gpa on its own account: delivering an event
 * (IDT-vectoring information valid, SDM Vol. 3C 27.2.4: the frame it
 * pushes, the IDT or TSS it reads) or walking the guest's page tables
 * (qualification bits 7 and 8, 28.2.1). That is not the instruction at
 * RIP, so there is nothing to decode: unbacked memory gets the scratch
 * page, all ones as on a PC, and the CPU retries; a device page cannot
 * take such an access. */
static enum exit_action cpu_access(struct vcpu *v, struct vdev *d, uint64_t gpa, bool delivery)
{
    char what[32], why[160];
    if (delivery)
        hv_snprintf(what, sizeof(what), "delivering vector %u",
                    INTR_INFO_VECTOR(v->vmx.idt_info));
    else
        hv_snprintf(what, sizeof(what), "a page-table walk");
    if (v->guest->cfg->strict_memory) {
        hv_snprintf(why, sizeof(why), "access to guest-physical %#lx outside its memory (%s)",
                    gpa, what);
        return stop_with_dump(v, why);
    }
    const char *no = d ? "it is a device page" : guest_unbacked_back(v->guest, gpa, what);
    if (!no)
        return EXIT_RESUME;
    hv_snprintf(why, sizeof(why), "%s touched guest-physical %#lx: %s", what, gpa, no);
    return stop_with_dump(v, why);
}

enum exit_action exit_ept_violation(struct vcpu *v)
{
    uint64_t gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
    uint64_t qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    struct vdev *d = bus_find_mmio(v->guest, gpa);
    bool delivery = v->vmx.idt_info & INTR_INFO_VALID;
    if (delivery || (qual & (QUAL_LINEAR_VALID | QUAL_TRANSLATED)) == QUAL_LINEAR_VALID)
        return cpu_access(v, d, gpa, delivery);
    if (d) {
        int a = emulate_mmio(v, d, gpa);
        if (a >= 0)
            return (enum exit_action)a;
    }
    if (v->guest->cfg->strict_memory)
        return outside_memory(v, gpa);
    return unbacked(v, gpa);
}
