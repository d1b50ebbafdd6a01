/*
 * x86 instruction decoder for MMIO emulation (see <arch/insn.h>).
 *
 * Bytes are consumed strictly in order (prefixes, opcode, ModRM, SIB,
 * displacement, immediate) and every decision depends only on bytes already
 * consumed, so a valid instruction cut short is always INSN_ETRUNC. Pure:
 * the caller fetches the guest bytes.
 */
#include <arch/insn.h>
#include <hv/string.h>

struct cursor {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
};

/* Reads n little-endian bytes. The 15-byte limit is checked before `avail`:
 * once the length is known to exceed it, more bytes cannot help. */
static int take(struct cursor *c, unsigned n, uint64_t *val)
{
    uint64_t v = 0;

    if (c->pos + n > INSN_MAX_LEN)
        return INSN_EINVAL;
    if (c->pos + n > c->avail)
        return INSN_ETRUNC;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
    c->pos += n;
    *val = v;
    return 0;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;

    return (int64_t)(v << shift) >> shift;
}

static int take_s(struct cursor *c, unsigned n, int64_t *val)
{
    uint64_t v;
    int err = take(c, n, &v);

    if (err)
        return err;
    *val = sext(v, n);
    return 0;
}

/* The segment a memory operand uses: an override if one applies, else DS,
 * or SS for rBP/rSP-based forms (SDM Vol. 1 3.7.4; Vol. 2A Table 2-1 for
 * 16-bit forms). In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM
 * Vol. 1 3.3.7.1), leaving only FS and GS. */
static int8_t eff_seg(const struct insn *in, enum cpu_mode mode, int8_t dflt)
{
    int8_t s = in->pfx.seg;

    if (s == INSN_SEG_NONE)
        return dflt;
    if (mode == CPU_MODE_64 && s != INSN_SEG_FS && s != INSN_SEG_GS)
        return dflt;
    return s;
}

/* 16-bit ModRM forms (SDM Vol. 2A Table 2-1): base and index per rm. */
static const int8_t modrm16_base[8]  = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const int8_t modrm16_index[8] = { 6, 7, 6, 7, INSN_REG_NONE, INSN_REG_NONE,
                                         INSN_REG_NONE, INSN_REG_NONE };

/* Decodes the memory form of ModRM (mod != 3, checked by the caller) with
 * its SIB and displacement into in->mem. */
static int decode_modrm_mem(struct cursor *c, struct insn *in, enum cpu_mode mode)
{
    struct insn_mem *m = &in->mem;
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    uint8_t rex = in->pfx.rex;
    int8_t dseg = INSN_SEG_DS;
    int err;

    m->base = INSN_REG_NONE;
    m->index = INSN_REG_NONE;
    m->scale = 1;
    m->disp = 0;

    if (in->addr_size == 2) {
        /* No REX here: 16-bit addressing does not exist in 64-bit mode. */
        if (mod == 0 && rm == 6) {
            err = take_s(c, 2, &m->disp);       /* disp16, no base */
            if (err)
                return err;
        } else {
            m->base = modrm16_base[rm];
            m->index = modrm16_index[rm];
            if (m->base == 5)
                dseg = INSN_SEG_SS;
            if (mod == 1)
                err = take_s(c, 1, &m->disp);
            else if (mod == 2)
                err = take_s(c, 2, &m->disp);
            else
                err = 0;
            if (err)
                return err;
        }
        m->seg = eff_seg(in, mode, dseg);
        return 0;
    }

    /* 32/64-bit forms (SDM Vol. 2A Tables 2-2, 2-3; 2.2.1 for REX). */
    bool disp32_only = false;

    if (rm == 4) {
        uint64_t sib;

        err = take(c, 1, &sib);
        if (err)
            return err;
        unsigned ss = sib >> 6;
        unsigned idx = ((sib >> 3) & 7) | ((rex & INSN_REX_X) ? 8 : 0);
        unsigned base = sib & 7;

        /* Index 100b without REX.X means none (R12 is a valid index). */
        if (idx != 4) {
            m->index = (int8_t)idx;
            m->scale = (uint8_t)(1u << ss);
        }
        /* Base 101b with mod=0 means disp32 and no base, whatever REX.B. */
        if (base == 5 && mod == 0) {
            disp32_only = true;
        } else {
            m->base = (int8_t)(base | ((rex & INSN_REX_B) ? 8 : 0));
        }
    } else if (mod == 0 && rm == 5) {
        /* disp32: RIP-relative in 64-bit mode (SDM Vol. 2A 2.2.1.6),
         * absolute otherwise. REX.B does not matter here either. */
        disp32_only = true;
        m->rip_rel = mode == CPU_MODE_64;
    } else {
        m->base = (int8_t)(rm | ((rex & INSN_REX_B) ? 8 : 0));
    }

    if (m->base == 4 || m->base == 5)
        dseg = INSN_SEG_SS;         /* rSP/rBP based */

    if (disp32_only || mod == 2)
        err = take_s(c, 4, &m->disp);
    else if (mod == 1)
        err = take_s(c, 1, &m->disp);
    else
        err = 0;
    if (err)
        return err;
    m->seg = eff_seg(in, mode, dseg);
    return 0;
}

/* Immediate of `size` bytes; an "Iz" immediate of a 64-bit operation is 4
 * bytes sign-extended (SDM Vol. 2A 2.2.1.5). */
static int decode_imm(struct cursor *c, struct insn *in, unsigned size)
{
    in->has_imm = true;
    in->imm_size = (uint8_t)size;
    return take_s(c, size, &in->imm);
}

static unsigned iz_size(const struct insn *in)
{
    return in->op_size == 2 ? 2 : 4;
}

/* Implicit rSI/rDI operand of a string instruction. */
static void string_mem(struct insn_mem *m, int8_t reg, int8_t seg)
{
    m->base = reg;
    m->index = INSN_REG_NONE;
    m->scale = 1;
    m->rip_rel = false;
    m->seg = seg;
    m->disp = 0;
}

/* Operand shapes of the supported opcodes. */
enum shape {
    SH_EG,      /* ModRM: r/m first (destination), reg second */
    SH_GE,      /* ModRM: reg first, r/m second */
    SH_EI,      /* ModRM: r/m, immediate; reg field is an opcode extension */
};

int insn_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode,
                struct insn *out)
{
    struct cursor c = { .bytes = bytes, .avail = avail, .pos = 0 };
    struct insn *in = out;
    uint64_t b;
    int err;

    if (mode != CPU_MODE_16 && mode != CPU_MODE_32 && mode != CPU_MODE_64)
        return INSN_EINVAL;
    if (!bytes)
        c.avail = 0;

    memset(in, 0, sizeof(*in));     /* padding too: outputs compare equal */
    in->pfx.seg = INSN_SEG_NONE;
    in->mem.base = in->mem.index = INSN_REG_NONE;
    in->mem2.base = in->mem2.index = INSN_REG_NONE;
    in->mem.seg = in->mem2.seg = INSN_SEG_NONE;

    /* Prefixes (SDM Vol. 2A 2.1.1), in any order; for repeats within a
     * group the last one is kept. A REX prefix counts only immediately
     * before the opcode: one followed by any other prefix is ignored
     * (SDM Vol. 2A 2.2.1). */
    for (;;) {
        err = take(&c, 1, &b);
        if (err)
            return err;
        switch (b) {
        case 0xf0:
            in->pfx.lock = true;
            break;
        case 0xf2:
        case 0xf3:
            in->pfx.rep = (uint8_t)b;
            break;
        case 0x26: in->pfx.seg = INSN_SEG_ES; break;
        case 0x2e: in->pfx.seg = INSN_SEG_CS; break;
        case 0x36: in->pfx.seg = INSN_SEG_SS; break;
        case 0x3e: in->pfx.seg = INSN_SEG_DS; break;
        case 0x64: in->pfx.seg = INSN_SEG_FS; break;
        case 0x65: in->pfx.seg = INSN_SEG_GS; break;
        case 0x66:
            in->pfx.opsize = true;
            break;
        case 0x67:
            in->pfx.addrsize = true;
            break;
        default:
            /* 40-4F are INC/DEC outside 64-bit mode. */
            if (mode == CPU_MODE_64 && (b & 0xf0) == 0x40) {
                in->pfx.rex = (uint8_t)b;
                in->pfx.count++;
                continue;
            }
            goto opcode;
        }
        in->pfx.rex = 0;
        in->pfx.count++;
    }

opcode:
    in->opcode = (uint8_t)b;
    uint8_t rex = in->pfx.rex;

    /* Operand size: REX.W wins over 0x66, which toggles the default of 32
     * (16 in a 16-bit code segment). Address size: 0x67 toggles 64->32,
     * 32->16, 16->32 (SDM Vol. 1 3.6, Vol. 2A 2.2.1.2). */
    if (rex & INSN_REX_W)
        in->op_size = 8;
    else if (mode == CPU_MODE_16)
        in->op_size = in->pfx.opsize ? 4 : 2;
    else
        in->op_size = in->pfx.opsize ? 2 : 4;
    if (mode == CPU_MODE_64)
        in->addr_size = in->pfx.addrsize ? 4 : 8;
    else if (mode == CPU_MODE_32)
        in->addr_size = in->pfx.addrsize ? 2 : 4;
    else
        in->addr_size = in->pfx.addrsize ? 4 : 2;

    bool byte_op = false;
    bool lockable = false;
    enum shape shape = SH_EG;
    unsigned imm = 0;           /* immediate bytes for SH_EI */
    unsigned op = in->opcode;

    if (op == 0x0f) {
        err = take(&c, 1, &b);
        if (err)
            return err;
        in->escape_0f = true;
        in->opcode = (uint8_t)b;
        switch (b) {
        case 0xb6: case 0xb7:
            in->kind = INSN_MOVZX;
            break;
        case 0xbe: case 0xbf:
            in->kind = INSN_MOVSX;
            break;
        default:
            return INSN_EUNSUP;
        }
        /* Gv, Eb / Gv, Ew */
        shape = SH_GE;
        in->mem_size = (b & 1) ? 2 : 1;
        goto modrm;
    }

    if (op < 0x40 && (op & 7) < 4) {
        /* 00-3B: ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev; the op is bits 5:3. */
        in->kind = (enum insn_kind)(INSN_ADD + (op >> 3));
        byte_op = !(op & 1);
        shape = (op & 2) ? SH_GE : SH_EG;
        lockable = shape == SH_EG && in->kind != INSN_CMP;
        goto modrm;
    }

    switch (op) {
    case 0x63:
        /* MOVSXD Gv, Ed in 64-bit mode; ARPL elsewhere. */
        if (mode != CPU_MODE_64)
            return INSN_EUNSUP;
        in->kind = INSN_MOVSX;
        shape = SH_GE;
        in->mem_size = 4;
        if (in->op_size == 2)
            in->mem_size = 2;   /* 66 63: 16-bit form reads 16 bits */
        goto modrm;
    case 0x80: case 0x81: case 0x82: case 0x83:
        /* Group 1: Eb,Ib / Ev,Iz / Eb,Ib (82: #UD in 64-bit mode) / Ev,Ib */
        if (op == 0x82 && mode == CPU_MODE_64)
            return INSN_EINVAL;
        byte_op = op != 0x81 && op != 0x83;
        shape = SH_EI;
        imm = op == 0x81 ? 0 : 1;       /* 0: Iz, decided after size */
        goto modrm;
    case 0x84: case 0x85:
        in->kind = INSN_TEST;
        byte_op = op == 0x84;
        goto modrm;
    case 0x86: case 0x87:
        in->kind = INSN_XCHG;
        byte_op = op == 0x86;
        lockable = true;
        goto modrm;
    case 0x88: case 0x89:
        in->kind = INSN_MOV_TO_MEM;
        byte_op = op == 0x88;
        goto modrm;
    case 0x8a: case 0x8b:
        in->kind = INSN_MOV_FROM_MEM;
        byte_op = op == 0x8a;
        shape = SH_GE;
        goto modrm;
    case 0xc6: case 0xc7:
        in->kind = INSN_MOV_TO_MEM;
        byte_op = op == 0xc6;
        shape = SH_EI;
        imm = byte_op ? 1 : 0;
        goto modrm;
    case 0xf6: case 0xf7:
        in->kind = INSN_TEST;
        byte_op = op == 0xf6;
        shape = SH_EI;
        imm = byte_op ? 1 : 0;
        goto modrm;

    case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
        /* MOV AL/rAX <-> moffs: the offset is address-size wide, 8 bytes
         * in 64-bit mode (SDM Vol. 2A MOV, 2.2.1.4). */
        uint64_t moffs;

        if (in->pfx.lock)
            return INSN_EINVAL;
        byte_op = !(op & 1);
        in->kind = (op & 2) ? INSN_MOV_TO_MEM : INSN_MOV_FROM_MEM;
        in->mem_is_dst = op & 2;
        err = take(&c, in->addr_size, &moffs);
        if (err)
            return err;
        in->mem.disp = (int64_t)moffs;
        in->mem.scale = 1;
        in->mem.seg = eff_seg(in, mode, INSN_SEG_DS);
        in->has_reg = true;
        in->reg = 0;
        goto sizes;
    }

    case 0xa4: case 0xa5: case 0xaa: case 0xab: case 0xac: case 0xad:
        /* String forms (SDM Vol. 2B MOVS, STOS, LODS): source DS:rSI
         * (overridable), destination ES:rDI (never overridden). */
        if (in->pfx.lock)
            return INSN_EINVAL;
        byte_op = !(op & 1);
        if (op <= 0xa5) {
            in->kind = INSN_MOVS;
            string_mem(&in->mem, 6, eff_seg(in, mode, INSN_SEG_DS));
            string_mem(&in->mem2, 7, INSN_SEG_ES);
        } else if (op <= 0xab) {
            in->kind = INSN_STOS;
            string_mem(&in->mem, 7, INSN_SEG_ES);
            in->mem_is_dst = true;
        } else {
            in->kind = INSN_LODS;
            string_mem(&in->mem, 6, eff_seg(in, mode, INSN_SEG_DS));
        }
        if (in->kind != INSN_MOVS) {
            in->has_reg = true;
            in->reg = 0;
        }
        goto sizes;

    default:
        return INSN_EUNSUP;
    }

modrm:
    err = take(&c, 1, &b);
    if (err)
        return err;
    in->modrm = (uint8_t)b;
    in->has_modrm = true;
    unsigned mod = b >> 6, regf = (b >> 3) & 7;

    if (shape == SH_EI) {
        /* The reg field is an opcode extension (SDM Vol. 2A A.4). */
        if (op >= 0x80 && op <= 0x83) {
            in->kind = (enum insn_kind)(INSN_ADD + regf);
            lockable = in->kind != INSN_CMP;
        } else if (regf != 0) {
            return INSN_EUNSUP;         /* C6/C7 /1-7, F6/F7 /1-7 */
        }
    } else {
        in->has_reg = true;
        in->reg = (uint8_t)(regf | ((rex & INSN_REX_R) ? 8 : 0));
    }

    /* LOCK is valid only on the read-modify-write forms with a memory
     * destination; anything else is #UD (SDM Vol. 2A LOCK). */
    if (in->pfx.lock && (!lockable || mod == 3))
        return INSN_EINVAL;
    if (mod == 3)
        return INSN_EREG;

    err = decode_modrm_mem(&c, in, mode);
    if (err)
        return err;
    in->mem_is_dst = shape != SH_GE;

sizes:
    if (byte_op)
        in->op_size = 1;
    if (!in->mem_size)
        in->mem_size = in->op_size;
    /* Without any REX, byte registers 4-7 are AH CH DH BH. */
    if (byte_op && in->has_reg && !rex && in->reg >= 4) {
        in->reg -= 4;
        in->reg_high8 = true;
    }

    if (shape == SH_EI && in->has_modrm) {
        err = decode_imm(&c, in, imm ? imm : iz_size(in));
        if (err)
            return err;
    }

    switch (in->kind) {
    case INSN_MOV_TO_MEM:
    case INSN_STOS:
        in->mem_write = true;
        break;
    case INSN_CMP:
    case INSN_TEST:
    case INSN_MOV_FROM_MEM:
    case INSN_MOVZX:
    case INSN_MOVSX:
    case INSN_LODS:
    case INSN_MOVS:
        in->mem_read = true;
        break;
    default:
        /* ALU ops and XCHG: read-modify-write when memory is the
         * destination, a read otherwise. */
        in->mem_read = true;
        in->mem_write = in->mem_is_dst;
        break;
    }

    in->length = (uint8_t)c.pos;
    return 0;
}

uint64_t insn_mem_offset(const struct insn *in, const struct insn_mem *m,
                         const uint64_t gpr[16], uint64_t rip)
{
    uint64_t a = (uint64_t)m->disp;

    if (m->rip_rel)
        a += rip + in->length;
    if (m->base >= 0 && m->base < 16)
        a += gpr[m->base];
    if (m->index >= 0 && m->index < 16)
        a += gpr[m->index] * m->scale;
    /* Effective addresses wrap at the address size (SDM Vol. 1 3.3.7). */
    if (in->addr_size == 2)
        a &= 0xffff;
    else if (in->addr_size == 4)
        a &= 0xffffffffull;
    return a;
}

const char *insn_strerror(int err)
{
    switch (err) {
    case 0:            return "ok";
    case INSN_ETRUNC:  return "truncated";
    case INSN_EUNSUP:  return "unsupported instruction";
    case INSN_EINVAL:  return "invalid encoding";
    case INSN_EREG:    return "no memory operand";
    default:           return "unknown error";
    }
}

const char *insn_kind_name(enum insn_kind kind)
{
    static const char *const names[] = {
        [INSN_NONE] = "none",
        [INSN_MOV_TO_MEM] = "mov-to-mem",
        [INSN_MOV_FROM_MEM] = "mov-from-mem",
        [INSN_MOVZX] = "movzx",
        [INSN_MOVSX] = "movsx",
        [INSN_ADD] = "add",
        [INSN_OR] = "or",
        [INSN_ADC] = "adc",
        [INSN_SBB] = "sbb",
        [INSN_AND] = "and",
        [INSN_SUB] = "sub",
        [INSN_XOR] = "xor",
        [INSN_CMP] = "cmp",
        [INSN_TEST] = "test",
        [INSN_XCHG] = "xchg",
        [INSN_STOS] = "stos",
        [INSN_LODS] = "lods",
        [INSN_MOVS] = "movs",
    };

    if ((unsigned)kind < ARRAY_SIZE(names) && names[kind])
        return names[kind];
    return "?";
}
