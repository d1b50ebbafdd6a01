/*
 * x86 instruction decoder for MMIO emulation.
 *
 * A guest access to an emulated device page exits as an EPT violation; the
 * exit gives the guest-physical address but not what the instruction does,
 * so the hypervisor fetches the instruction bytes at the guest RIP and
 * decodes them here. Only the instructions that compilers and drivers use
 * on device memory are supported: MOV (r/m, imm, moffs), MOVZX/MOVSX/MOVSXD,
 * the ALU group (ADD OR ADC SBB AND SUB XOR CMP) and TEST with a memory
 * operand, XCHG, and the string forms STOS/LODS/MOVS.
 *
 * Encoding facts come from the SDM Vol. 2A chapter 2 ("Instruction
 * Format"): 2.1.1 legacy prefixes, 2.1.5 ModR/M and SIB (Tables 2-1..2-3),
 * 2.2.1 REX prefixes and RIP-relative addressing, and the per-instruction
 * pages of Vol. 2A/2B for opcodes and immediates.
 *
 * Pure logic, host-safe: includes only <hv/compiler.h>.
 */
#ifndef ARCH_INSN_H
#define ARCH_INSN_H

#include <hv/compiler.h>

/* Default operand/address size of the guest code segment: CS.L=1 is 64-bit
 * mode, else CS.D selects 32 or 16 (real and virtual-8086 mode are 16). */
enum cpu_mode {
    CPU_MODE_16 = 16,
    CPU_MODE_32 = 32,
    CPU_MODE_64 = 64,
};

/* The architectural instruction length limit (SDM Vol. 2A 2.1: longer
 * instructions raise #GP). */
#define INSN_MAX_LEN 15

/* insn_decode() errors. */
#define INSN_ETRUNC  (-1)   /* needs more bytes than `avail` */
#define INSN_EUNSUP  (-2)   /* valid x86, but not an instruction handled here */
#define INSN_EINVAL  (-3)   /* invalid: LOCK misuse, > 15 bytes, #UD in mode */
#define INSN_EREG    (-4)   /* ModRM mod=3: register operand, no memory access */

enum insn_kind {
    INSN_NONE = 0,
    INSN_MOV_TO_MEM,     /* 88 89 C6/0 C7/0 A2 A3: has_imm for C6/C7 */
    INSN_MOV_FROM_MEM,   /* 8A 8B A0 A1 */
    INSN_MOVZX,          /* 0F B6 / 0F B7: mem_size 1/2 zero-extended to op_size */
    INSN_MOVSX,          /* 0F BE / 0F BF / 63 (MOVSXD, 64-bit mode only) */
    /* The ALU ops are in the order of the group-1 ModRM.reg field. */
    INSN_ADD,
    INSN_OR,
    INSN_ADC,
    INSN_SBB,
    INSN_AND,
    INSN_SUB,
    INSN_XOR,
    INSN_CMP,
    INSN_TEST,           /* 84 85 F6/0 F7/0 */
    INSN_XCHG,           /* 86 87: implicitly locked with a memory operand */
    INSN_STOS,           /* AA AB: ES:[rDI] <- AL/AX/EAX/RAX */
    INSN_LODS,           /* AC AD: AL/AX/EAX/RAX <- seg:[rSI] */
    INSN_MOVS,           /* A4 A5: ES:[rDI] (mem2) <- seg:[rSI] (mem) */
};

/* Segment registers in their SDM encoding (Sreg field order). */
#define INSN_SEG_ES 0
#define INSN_SEG_CS 1
#define INSN_SEG_SS 2
#define INSN_SEG_DS 3
#define INSN_SEG_FS 4
#define INSN_SEG_GS 5
#define INSN_SEG_NONE (-1)

/* General-purpose registers in encoding order (0 RAX .. 7 RDI, 8-15 R8-R15);
 * the gpr[] array given to insn_mem_offset() uses the same order. */
#define INSN_REG_NONE (-1)

/* REX bits (SDM Vol. 2A 2.2.1, Table 2-4). */
#define INSN_REX_B 0x1
#define INSN_REX_X 0x2
#define INSN_REX_R 0x4
#define INSN_REX_W 0x8

/* A memory operand. Its offset within the segment is
 *   disp + [rip after the instruction] + gpr[base] + gpr[index] * scale
 * truncated to the address size; insn_mem_offset() computes it. */
struct insn_mem {
    int8_t base;        /* GPR, or INSN_REG_NONE */
    int8_t index;       /* GPR, or INSN_REG_NONE */
    uint8_t scale;      /* 1, 2, 4 or 8 */
    bool rip_rel;       /* 64-bit mode mod=0 rm=5: relative to the next RIP */
    int8_t seg;         /* effective segment INSN_SEG_* (override or default) */
    int64_t disp;       /* sign-extended displacement; moffs: the raw offset */
};

struct insn_prefixes {
    bool opsize;        /* 0x66 seen */
    bool addrsize;      /* 0x67 seen */
    bool lock;          /* 0xF0 seen */
    uint8_t rep;        /* 0, 0xF3 (REP/REPE) or 0xF2 (REPNE): the last one */
    int8_t seg;         /* last segment override seen, or INSN_SEG_NONE */
    uint8_t rex;        /* the REX byte in effect (0x40-0x4F), 0 if none */
    uint8_t count;      /* legacy + REX prefix bytes, incl. ignored ones */
};

struct insn {
    uint8_t length;             /* bytes, 1..INSN_MAX_LEN */
    enum insn_kind kind;
    uint8_t opcode;             /* last opcode byte (after 0F if escape_0f) */
    bool escape_0f;
    uint8_t modrm;              /* valid if has_modrm */
    bool has_modrm;

    uint8_t op_size;            /* operand size: register, immediate, ALU width */
    uint8_t mem_size;           /* bytes accessed at each memory operand */
    uint8_t addr_size;          /* 2, 4 or 8 */

    /* Register operand: for 8-bit operands without REX, encodings 4-7 are
     * AH CH DH BH; then reg is 0-3 (the GPR holding the byte) and reg_high8
     * says the byte is bits 15:8. STOS/LODS and moffs MOV use reg 0 (rAX). */
    bool has_reg;
    uint8_t reg;
    bool reg_high8;

    /* Immediate, sign-extended to 64 bits from imm_size bytes (every
     * immediate here is sign-extended to the operand size, which truncating
     * this value to op_size gives). */
    bool has_imm;
    uint8_t imm_size;
    int64_t imm;

    /* mem_is_dst: memory is the first (destination) operand in the SDM's
     * operand order, e.g. true for CMP m, r. mem_read/mem_write: what the
     * instruction actually does to `mem` (CMP m, r only reads). */
    bool mem_is_dst;
    bool mem_read;
    bool mem_write;
    struct insn_mem mem;
    struct insn_mem mem2;       /* MOVS only: the ES:[rDI] destination (written) */

    struct insn_prefixes pfx;
};

/* Decodes the instruction at bytes[0..avail). Returns 0 and fills *out, or a
 * negative INSN_E* error (then *out is unspecified). Bytes are consumed in
 * order, so a valid instruction cut short always gives INSN_ETRUNC; once
 * the instruction is known to need more than INSN_MAX_LEN bytes it is
 * INSN_EINVAL whatever `avail` is. */
int insn_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode,
                struct insn *out);

/* Offset of memory operand `m` of `in` within its segment, truncated to the
 * address size. `gpr` holds RAX..R15 in encoding order; `rip` is the
 * address of the instruction (RIP-relative operands add the length). The
 * caller adds the segment base (in 64-bit mode only FS/GS have one). */
uint64_t insn_mem_offset(const struct insn *in, const struct insn_mem *m,
                         const uint64_t gpr[16], uint64_t rip);

const char *insn_strerror(int err);
const char *insn_kind_name(enum insn_kind kind);

#endif
