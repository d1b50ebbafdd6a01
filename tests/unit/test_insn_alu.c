/* ALU results and flags (arch/x86/insn_alu.c), checked against the host
 * CPU running the same instruction on the same operands. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arch/insn_alu.h>

/* Run "OP src, dst" with CF = cin at one width: the result and RFLAGS. */
#define HW(op, sfx, insn, type, reg)                                                  \
    static uint64_t hw_##op##_##sfx(uint64_t d, uint64_t s, int cin, uint64_t *fl)    \
    {                                                                                  \
        type a = (type)d, b = (type)s;                                                 \
        uint64_t f, c = (uint64_t)cin;                                                 \
        __asm__ volatile("bt $0, %3\n\t" insn " %" reg "2, %" reg "0\n\tpushfq\n\tpopq %1" \
                         : "+r"(a), "=&r"(f) : "r"(b), "r"(c) : "cc");                 \
        *fl = f;                                                                       \
        return (uint64_t)a;                                                            \
    }
#define HW4(op)                                        \
    HW(op, 1, #op "b", uint8_t, "b")                   \
    HW(op, 2, #op "w", uint16_t, "w")                  \
    HW(op, 4, #op "l", uint32_t, "k")                  \
    HW(op, 8, #op "q", uint64_t, "q")
HW4(add) HW4(or) HW4(adc) HW4(sbb) HW4(and) HW4(sub) HW4(xor) HW4(cmp) HW4(test)

typedef uint64_t (*hw_fn)(uint64_t, uint64_t, int, uint64_t *);
#define ROW(op) { hw_##op##_1, hw_##op##_2, hw_##op##_4, hw_##op##_8 }
static const struct {
    enum insn_kind kind;
    hw_fn fn[4];
    bool writes;        /* CMP and TEST leave dst alone on hardware */
    bool logic;         /* AF undefined */
} ops[] = {
    { INSN_ADD, ROW(add), true, false }, { INSN_OR, ROW(or), true, true },
    { INSN_ADC, ROW(adc), true, false }, { INSN_SBB, ROW(sbb), true, false },
    { INSN_AND, ROW(and), true, true },  { INSN_SUB, ROW(sub), true, false },
    { INSN_XOR, ROW(xor), true, true },  { INSN_CMP, ROW(cmp), false, false },
    { INSN_TEST, ROW(test), false, true },
};

static const uint64_t edge[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
    0x0f, 0x10, 0xf0f0f0f0f0f0f0f0ULL, 0x123456789abcdef0ULL,
};

static void check_one(unsigned op, unsigned si, uint64_t d, uint64_t s, int cin)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    unsigned size = sizes[si];
    uint64_t mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    uint64_t hwf, f, in = 0x202 | (cin ? RFLAGS_CF : 0);
    uint64_t hr = ops[op].fn[si](d, s, cin, &hwf);
    uint64_t r = insn_alu(ops[op].kind, size, d, s, in, &f);
    uint64_t cmp = RFLAGS_STATUS & ~(ops[op].logic ? RFLAGS_AF : 0);
    if (ops[op].writes && r != (hr & mask))
        fail_msg("op %u size %u: %#llx, %#llx cin %d: result %#llx, hardware %#llx", op, size,
                 (unsigned long long)d, (unsigned long long)s, cin, (unsigned long long)r,
                 (unsigned long long)(hr & mask));
    if ((f & cmp) != (hwf & cmp))
        fail_msg("op %u size %u: %#llx, %#llx cin %d: flags %#llx, hardware %#llx", op, size,
                 (unsigned long long)d, (unsigned long long)s, cin,
                 (unsigned long long)(f & cmp), (unsigned long long)(hwf & cmp));
    /* Bits outside the status flags pass through. */
    assert_int_equal(f & ~RFLAGS_STATUS, in & ~RFLAGS_STATUS);
}

static void test_edges_against_hardware(void **state)
{
    (void)state;
    for (unsigned op = 0; op < sizeof(ops) / sizeof(ops[0]); op++)
        for (unsigned si = 0; si < 4; si++)
            for (unsigned a = 0; a < sizeof(edge) / sizeof(edge[0]); a++)
                for (unsigned b = 0; b < sizeof(edge) / sizeof(edge[0]); b++)
                    for (int cin = 0; cin < 2; cin++)
                        check_one(op, si, edge[a], edge[b], cin);
}

static void test_random_against_hardware(void **state)
{
    (void)state;
    srand(9);
    for (unsigned i = 0; i < 200000; i++) {
        uint64_t d = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        uint64_t s = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        check_one(i % 9, (i / 9) % 4, d, s, (int)(i / 36) & 1);
    }
}

/* What exit/ept.c asks: an all-ones memory operand. */
static void test_all_ones(void **state)
{
    (void)state;
    uint64_t f;
    /* cmp dword [unbacked], -1: equal */
    insn_alu(INSN_CMP, 4, 0xffffffff, ~0ULL, 0x2, &f);
    assert_true(f & RFLAGS_ZF);
    assert_false(f & RFLAGS_CF);
    /* test byte [unbacked], 0x80: set */
    assert_int_equal(insn_alu(INSN_TEST, 1, 0xff, 0x80, 0x2, &f), 0x80);
    assert_false(f & RFLAGS_ZF);
    assert_true(f & RFLAGS_SF);
    assert_true(insn_alu_kind(INSN_ADD));
    assert_true(insn_alu_kind(INSN_CMP));
    assert_true(insn_alu_kind(INSN_TEST));
    assert_false(insn_alu_kind(INSN_MOV_TO_MEM));
    assert_false(insn_alu_kind(INSN_XCHG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges_against_hardware),
        cmocka_unit_test(test_random_against_hardware),
        cmocka_unit_test(test_all_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
