/*
 * Port I/O (SDM Vol. 3C 28.2.1, table 28-5): IN and OUT, and INS/OUTS
 * with or without REP, to the device model that claims the port on the
 * guest's bus (include/hv/bus.h). Unclaimed ports behave like an empty
 * ISA bus: reads return all ones, writes vanish. Passed-through ports
 * never exit (their bits are clear in the I/O bitmaps).
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/bus.h>
#include <hv/string.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>

#define IO_QUAL_SIZE(q)   ((unsigned)((q) & 7) + 1)
#define IO_QUAL_IN        BIT(3)
#define IO_QUAL_STRING    BIT(4)
#define IO_QUAL_REP       BIT(5)
#define IO_QUAL_PORT(q)   ((uint16_t)((q) >> 16))
#define RFLAGS_DF         BIT(10)
#define STRING_IO_BATCH   4096      /* iterations per exit; a longer REP resumes */

static uint32_t port_read(struct vcpu *v, struct vdev *d, uint16_t port, unsigned size)
{
    return d && d->ops->port_read ? d->ops->port_read(d, v, port, size) : 0xffffffffu;
}

static void port_write(struct vcpu *v, struct vdev *d, uint16_t port, unsigned size,
                       uint32_t val)
{
    if (d && d->ops->port_write)
        d->ops->port_write(d, v, port, size, val);
}

/* INS/OUTS (SDM Vol. 2B; exit information: SDM Vol. 3C 28.2.5, table
 * 28-8). A longer REP resumes at the same instruction with RCX counted
 * down. */
static enum exit_action string_io(struct vcpu *v, struct vdev *d, uint16_t port,
                                  unsigned size, bool in, bool rep)
{
    static const uint32_t seg_base[6] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
        VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    uint32_t info = vmcs_read32(VMCS_EXIT_INSN_INFO);
    unsigned asz = (info >> 7) & 7, seg = in ? 0 : (info >> 15) & 7;
    uint64_t amask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffff : ~0ULL;
    uint64_t base = seg < 6 ? __vmcs_readnat(seg_base[seg], __func__) : 0;
    bool down = vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_DF;
    uint64_t idx = in ? v->regs.rdi : v->regs.rsi;
    uint64_t count = rep ? (v->regs.rcx & amask) : 1;
    struct guest *g = v->guest;

    for (unsigned n = 0; count && n < STRING_IO_BATCH; n++, count--) {
        uint8_t *p = vcpu_linear_ptr(v, base + (idx & amask), size);
        if (!p)
            return stop_with_dump(v, "string I/O with a buffer outside the guest's memory");
        uint32_t val;
        if (in) {
            val = port_read(v, d, port, size);
            memcpy(p, &val, size);
        } else {
            val = 0;
            memcpy(&val, p, size);
            port_write(v, d, port, size, val);
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

enum exit_action exit_io(struct vcpu *v)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    unsigned size = IO_QUAL_SIZE(q);
    bool in = q & IO_QUAL_IN;
    uint16_t port = IO_QUAL_PORT(q);
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

    struct vdev *d = bus_find_port(v->guest, port);
    if (q & IO_QUAL_STRING)
        return string_io(v, d, port, size, in, q & IO_QUAL_REP);
    if (in) {
        uint32_t val = port_read(v, d, port, size);
        v->regs.rax = (v->regs.rax & ~(uint64_t)mask) | (val & mask);
    } else {
        port_write(v, d, port, size, (uint32_t)v->regs.rax & mask);
    }
    if (v->guest->state != GUEST_RUNNING)
        return EXIT_STOP;                   /* e.g. the test-exit port */
    vcpu_skip_insn(v);
    return EXIT_RESUME;
}
