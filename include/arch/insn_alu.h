/*
 * The arithmetic of the ALU group and TEST (arch/x86/insn_alu.c, pure):
 * the result and the six status flags as the CPU computes them (SDM
 * Vol. 1 3.4.3.1 and each instruction's page in Vol. 2), for emulating an
 * instruction whose memory operand the hypervisor supplies (a read of
 * unbacked guest-physical memory, exit/ept.c).
 */
#ifndef ARCH_INSN_ALU_H
#define ARCH_INSN_ALU_H

#include <arch/insn.h>

#define RFLAGS_CF  BIT(0)
#define RFLAGS_PF  BIT(2)
#define RFLAGS_AF  BIT(4)
#define RFLAGS_ZF  BIT(6)
#define RFLAGS_SF  BIT(7)
#define RFLAGS_OF  BIT(11)
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* True for INSN_ADD .. INSN_CMP and INSN_TEST. */
bool insn_alu_kind(enum insn_kind kind);

/*
 * `dst OP src` on `size` bytes (1, 2, 4 or 8; both operands are truncated
 * to it): returns the result (for CMP and TEST, what the CPU computes and
 * discards) and stores in *rflags_out `rflags` with CF PF AF ZF SF OF
 * replaced. ADC and SBB take CF from `rflags`. AND, OR, XOR and TEST
 * clear CF and OF and leave AF 0 (the SDM leaves it undefined).
 */
uint64_t insn_alu(enum insn_kind kind, unsigned size, uint64_t dst, uint64_t src,
                  uint64_t rflags, uint64_t *rflags_out);

#endif
