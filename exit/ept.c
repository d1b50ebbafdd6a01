/*
 * EPT violations (SDM Vol. 3C 28.2.1, 29.3.3): the guest touched a
 * guest-physical address its EPT does not map. Its RAM is always mapped,
 * so this is either a device's MMIO region on the guest's bus (the
 * instruction is fetched through the guest's page tables, decoded by
 * arch/x86/insn_decode.c and emulated against the device) or memory the
 * guest does not have, which stops it.
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/bus.h>
#include <hv/fmt.h>
#include <arch/vmcs.h>
#include <arch/insn.h>
#include <arch/cpu.h>

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

enum exit_action exit_ept_violation(struct vcpu *v)
{
    uint64_t gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
    struct vdev *d = bus_find_mmio(v->guest, gpa);
    if (d) {
        int a = emulate_mmio(v, d, gpa);
        if (a >= 0)
            return (enum exit_action)a;
    }
    char why[96];
    hv_snprintf(why, sizeof(why), "access to guest-physical %#lx outside its memory", gpa);
    return stop_with_dump(v, why);
}
