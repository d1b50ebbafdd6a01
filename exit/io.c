/*
 * Port I/O (SDM Vol. 3C 28.2.1, table 28-5): IN and OUT, and INS/OUTS
 * with or without REP, to the device model that claims the port on the
 * guest's bus (include/hv/bus.h). Unclaimed ports behave like an empty
 * ISA bus: reads return all ones, writes vanish. Passed-through ports
 * never exit (their bits are clear in the I/O bitmaps).
 *
 * INS/OUTS reach guest memory as the CPU would, with the guest's own
 * checks: segmentation first (SDM Vol. 3A 3.4, 5.3-5.4: limit, type and
 * a usable segment outside 64-bit mode; canonical addresses in it), then
 * paging with the access rights of the CPL (vmx/gpt.c: U/S, R/W with
 * CR0.WP, SMAP with RFLAGS.AC). A fault becomes the exception the CPU
 * raises (#GP(0), #SS(0) for SS, #PF with CR2 and its error code) at the
 * iteration that faults, with RCX/RSI/RDI as they are there, so the
 * guest's handler can restart the instruction (SDM Vol. 2B, REP). The
 * I/O permission checks (IOPL, the TSS bitmap) come before the VM exit
 * (SDM Vol. 3C 26.1.1) and are the CPU's.
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/bus.h>
#include <hv/string.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>
#include <arch/gpt.h>
#include <arch/msr.h>

#define IO_QUAL_SIZE(q)   ((unsigned)((q) & 7) + 1)
#define IO_QUAL_IN        BIT(3)
#define IO_QUAL_STRING    BIT(4)
#define IO_QUAL_REP       BIT(5)
#define IO_QUAL_PORT(q)   ((uint16_t)((q) >> 16))
#define RFLAGS_DF         BIT(10)
#define RFLAGS_VM         BIT(17)
#define STRING_IO_BATCH   4096      /* iterations per exit; a longer REP resumes */

#define EXC_SS            12
#define SEG_ES            0
#define SEG_SS            2
#define SEG_FS            4
/* Segment access rights as the VMCS holds them (SDM Vol. 3C 25.4.1). */
#define AR_TYPE_WRITABLE  BIT(1)        /* data: writable; code: readable */
#define AR_TYPE_DOWN      BIT(2)        /* data: expand-down */
#define AR_TYPE_CODE      BIT(3)
#define AR_L              BIT(13)
#define AR_DB             BIT(14)
#define AR_UNUSABLE       BIT(16)

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

static const void *pt_read(void *g, uint64_t gpa, size_t len)
{
    return guest_ptr(g, gpa, len);
}

static void *pt_map(void *g, uint64_t gpa, size_t len)
{
    return guest_ptr(g, gpa, len);
}

/* The guest's MAXPHYADDR: the host's, which CPUID shows it. */
static unsigned maxphyaddr(void)
{
    static unsigned bits;
    if (!bits)
        bits = cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xff : 36;
    return bits;
}

/* The memory operand of one INS/OUTS and how to reach it. */
struct operand {
    struct vcpu *v;
    unsigned seg;                   /* ES for INS, DS or the override for OUTS */
    uint64_t base;
    uint32_t limit, ar;
    bool mode64;                    /* 64-bit mode: no limits, FS/GS bases only */
    bool prot;                      /* protected mode: type and usability checks */
    bool write;                     /* INS writes memory, OUTS reads it */
    struct gpt_ctx pt;
    struct gpt_access acc;
    uint64_t page;                  /* one-page translation cache (the guest's TLB) */
    uint8_t *host;
};

static void operand_init(struct operand *o, struct vcpu *v, unsigned seg, bool write)
{
    static const uint32_t base[6] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
        VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    static const uint32_t limit[6] = { VMCS_GUEST_ES_LIMIT, VMCS_GUEST_CS_LIMIT,
        VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT };
    static const uint32_t ar[6] = { VMCS_GUEST_ES_AR, VMCS_GUEST_CS_AR,
        VMCS_GUEST_SS_AR, VMCS_GUEST_DS_AR, VMCS_GUEST_FS_AR, VMCS_GUEST_GS_AR };
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0), efer = vmcs_read64(VMCS_GUEST_EFER);
    uint64_t rflags = vmcs_readnat(VMCS_GUEST_RFLAGS);

    memset(o, 0, sizeof(*o));
    o->v = v;
    o->seg = seg < 6 ? seg : 3;     /* 6, 7 are reserved encodings: DS */
    o->base = __vmcs_readnat(base[o->seg], __func__);
    o->limit = vmcs_read32(limit[o->seg]);
    o->ar = vmcs_read32(ar[o->seg]);
    o->mode64 = (efer & EFER_LMA) && (vmcs_read32(VMCS_GUEST_CS_AR) & AR_L);
    o->prot = (cr0 & CR0_PE) && !(rflags & RFLAGS_VM);
    o->write = write;
    if (o->mode64 && o->seg < SEG_FS)
        o->base = 0;                /* SDM Vol. 3A 3.4.4: ES, CS, SS, DS bases are 0 */
    o->pt = (struct gpt_ctx){ pt_read, v->guest, cr0, vmcs_readnat(VMCS_GUEST_CR3),
                              vmcs_readnat(VMCS_GUEST_CR4), efer };
    o->acc = (struct gpt_access){
        .kind = (write ? GPT_ACC_WRITE : GPT_ACC_READ) | (vcpu_cpl(v) == 3 ? GPT_ACC_USER : 0),
        .rflags = rflags, .maxphyaddr = maxphyaddr(), .map_rw = pt_map };
    o->page = ~0ULL;
}

/* Segmentation of `size` bytes at offset `off` (SDM Vol. 3A 5.3, 5.4):
 * true and the linear address, or false with #GP(0) (#SS(0) for SS)
 * raised. */
static bool seg_linear(struct operand *o, uint64_t off, unsigned size, uint64_t *lin)
{
    if (o->mode64) {
        *lin = o->base + off;       /* canonical: checked by the walk */
        return true;
    }
    bool ok = true;
    uint32_t type = o->ar & 0xf;
    if (o->prot) {
        if (o->ar & AR_UNUSABLE)
            ok = false;
        else if (o->write)
            ok = !(type & AR_TYPE_CODE) && (type & AR_TYPE_WRITABLE);
        else
            ok = !(type & AR_TYPE_CODE) || (type & AR_TYPE_WRITABLE);
    }
    uint64_t last = off + size - 1;
    if (!(type & AR_TYPE_CODE) && (type & AR_TYPE_DOWN))
        /* expand-down: offsets above the limit, up to 64K or 4G - 1 */
        ok = ok && off > o->limit && last <= ((o->ar & AR_DB) ? 0xffffffffULL : 0xffff);
    else
        ok = ok && last <= o->limit;
    if (!ok) {
        /* No error code in real mode: vcpu_inject_exception drops it. */
        vcpu_inject_exception(o->v, o->seg == SEG_SS ? EXC_SS : X86_EXC_GP, true, 0);
        return false;
    }
    *lin = (uint32_t)(o->base + off);
    return true;
}

enum map_result { MAP_OK, MAP_FAULT, MAP_STOP };

/* Host pointer for `lin`, checked for the access (the caller keeps to
 * its page); a fault is raised in the guest. */
static enum map_result map_piece(struct operand *o, uint64_t lin, uint8_t **p)
{
    uint64_t page = lin & ~0xfffULL, gpa;
    uint32_t pfec = 0;
    if (page == o->page) {
        *p = o->host + (lin & 0xfff);
        return MAP_OK;
    }
    switch (gpt_translate_access(&o->pt, &o->acc, lin, &gpa, &pfec)) {
    case GPT_OK:
        break;
    case GPT_NON_CANONICAL:
        vcpu_inject_exception(o->v, o->seg == SEG_SS ? EXC_SS : X86_EXC_GP, true, 0);
        return MAP_FAULT;
    case GPT_BAD_TABLE:
        stop_with_dump(o->v, "string I/O through guest page tables outside the guest's memory");
        return MAP_STOP;
    default:
        vcpu_inject_page_fault(o->v, lin, pfec);
        return MAP_FAULT;
    }
    uint8_t *h = guest_ptr(o->v->guest, gpa & ~0xfffULL, 4096);
    if (!h) {
        stop_with_dump(o->v, "string I/O with a buffer outside the guest's memory");
        return MAP_STOP;
    }
    o->page = page;
    o->host = h;
    *p = h + (lin & 0xfff);
    return MAP_OK;
}

/* The element at offset `off`: segmentation, then each page it touches
 * (both are checked before anything is read or written). */
static enum map_result map_element(struct operand *o, uint64_t off, unsigned size,
                                   uint8_t *p[2], unsigned *first)
{
    uint64_t lin;
    if (!seg_linear(o, off, size, &lin))
        return MAP_FAULT;
    *first = MIN(size, 4096 - (unsigned)(lin & 0xfff));
    enum map_result r = map_piece(o, lin, &p[0]);
    if (r != MAP_OK || *first == size)
        return r;
    uint64_t next = lin + *first;
    if (!o->mode64)
        next = (uint32_t)next;
    return map_piece(o, next, &p[1]);
}

/* INS/OUTS (SDM Vol. 2B; exit information: SDM Vol. 3C 28.2.5, table
 * 28-8). A longer REP resumes at the same instruction with RCX counted
 * down. */
static enum exit_action string_io(struct vcpu *v, struct vdev *d, uint16_t port,
                                  unsigned size, bool in, bool rep)
{
    uint32_t info = vmcs_read32(VMCS_EXIT_INSN_INFO);
    unsigned asz = (info >> 7) & 7;
    uint64_t amask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffff : ~0ULL;
    bool down = vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_DF;
    uint64_t idx = in ? v->regs.rdi : v->regs.rsi;
    uint64_t count = rep ? (v->regs.rcx & amask) : 1;
    struct guest *g = v->guest;
    struct operand o;
    bool faulted = false;

    /* INS always writes ES:rDI; OUTS reads DS:rSI or its override. */
    operand_init(&o, v, in ? SEG_ES : (info >> 15) & 7, in);
    for (unsigned n = 0; count && n < STRING_IO_BATCH; n++, count--) {
        uint8_t *p[2];
        unsigned first;
        enum map_result m = map_element(&o, idx & amask, size, p, &first);
        if (m == MAP_STOP)
            return EXIT_STOP;
        if (m == MAP_FAULT) {
            faulted = true;         /* registers as of this iteration */
            break;
        }
        uint32_t val = 0;
        if (in) {
            val = port_read(v, d, port, size);
            memcpy(p[0], &val, first);
            if (first < size)
                memcpy(p[1], (uint8_t *)&val + first, size - first);
        } else {
            memcpy(&val, p[0], first);
            if (first < size)
                memcpy((uint8_t *)&val + first, p[1], size - first);
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
    if (!count && !faulted)
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
