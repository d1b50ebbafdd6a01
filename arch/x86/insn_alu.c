/* ALU results and status flags (include/arch/insn_alu.h). Pure. */
#include <arch/insn_alu.h>

bool insn_alu_kind(enum insn_kind kind)
{
    return (kind >= INSN_ADD && kind <= INSN_CMP) || kind == INSN_TEST;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* PF: set when the low byte of the result has an even number of ones. */
static bool parity_even(uint64_t r)
{
    uint8_t b = (uint8_t)r;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return !(b & 1);
}

uint64_t insn_alu(enum insn_kind kind, unsigned size, uint64_t dst, uint64_t src,
                  uint64_t rflags, uint64_t *rflags_out)
{
    uint64_t mask = size_mask(size), sign = (mask >> 1) + 1;
    uint64_t d = dst & mask, s = src & mask, r;
    uint64_t cin = (kind == INSN_ADC || kind == INSN_SBB) ? (rflags & RFLAGS_CF) : 0;
    bool cf = false, of = false, af = false;

    switch (kind) {
    case INSN_ADD:
    case INSN_ADC:
        r = (d + s + cin) & mask;
        /* Carry out of the top bit: the sum wrapped (or equalled d with a
         * carry in, which adding mask + 1 gives). */
        cf = r < d || (cin && r == d);
        of = ((d ^ r) & (s ^ r) & sign) != 0;
        af = ((d ^ s ^ r) & 0x10) != 0;
        break;
    case INSN_SUB:
    case INSN_CMP:
    case INSN_SBB:
        r = (d - s - cin) & mask;
        cf = d < s || (cin && d == s);
        of = ((d ^ s) & (d ^ r) & sign) != 0;
        af = ((d ^ s ^ r) & 0x10) != 0;
        break;
    case INSN_AND:
    case INSN_TEST:
        r = d & s;
        break;
    case INSN_OR:
        r = d | s;
        break;
    case INSN_XOR:
        r = d ^ s;
        break;
    default:
        r = d;
        break;
    }
    uint64_t f = rflags & ~RFLAGS_STATUS;
    if (cf)
        f |= RFLAGS_CF;
    if (parity_even(r))
        f |= RFLAGS_PF;
    if (af)
        f |= RFLAGS_AF;
    if (r == 0)
        f |= RFLAGS_ZF;
    if (r & sign)
        f |= RFLAGS_SF;
    if (of)
        f |= RFLAGS_OF;
    *rflags_out = f;
    return r;
}
