/* The MMIO instruction decoder against hand-assembled encodings (bytes
 * worked out from the SDM Vol. 2A encoding tables, not from a tool). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arch/insn.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
#define N    INSN_REG_NONE
#define HI(r) (0x100 | (r))     /* AH CH DH BH: high byte of GPR r */
#define ES INSN_SEG_ES
#define CS INSN_SEG_CS
#define SS INSN_SEG_SS
#define DS INSN_SEG_DS
#define FS INSN_SEG_FS
#define GS INSN_SEG_GS

struct tcase {
    const char *name;
    enum cpu_mode mode;
    const char *hex;            /* exactly one instruction */
    enum insn_kind kind;
    int op_size, mem_size, addr_size;
    int reg;                    /* N, GPR, or HI(gpr) */
    int imm_size;               /* 0: no immediate */
    int64_t imm;
    const char *rw;             /* 'd' mem_is_dst, 'r' read, 'w' write */
    int base, index, scale;
    int64_t disp;
    int rip, seg;
    const char *pfx;            /* "66 67 F0 F2 F3 seg=N rex=XX", any order */
};

#define M16 CPU_MODE_16
#define M32 CPU_MODE_32
#define M64 CPU_MODE_64

static const struct tcase cases[] = {
    /* name, mode, bytes, kind, op, msz, asz, reg, immsz, imm, rw,
     *   base, index, scale, disp, rip, seg, prefixes */

    /* MOV r/m, r and operand-size selection */
    { "mov [rax],ecx", M64, "89 08", INSN_MOV_TO_MEM, 4, 4, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "" },
    { "mov [rax],rcx", M64, "48 89 08", INSN_MOV_TO_MEM, 8, 8, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "rex=48" },
    { "mov [rax],cx", M64, "66 89 08", INSN_MOV_TO_MEM, 2, 2, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "REX.W beats 66", M64, "66 48 89 08", INSN_MOV_TO_MEM, 8, 8, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "66 rex=48" },
    { "REX before 66 ignored", M64, "48 66 89 08", INSN_MOV_TO_MEM, 2, 2, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "only last REX counts", M64, "41 48 89 08", INSN_MOV_TO_MEM, 8, 8, 8, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "rex=48" },
    { "mov [rax],ah", M64, "88 20", INSN_MOV_TO_MEM, 1, 1, 8, HI(RAX), 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "" },
    { "mov [rbx],bh", M64, "88 3b", INSN_MOV_TO_MEM, 1, 1, 8, HI(RBX), 0, 0, "dw",
      RBX, N, 1, 0, 0, DS, "" },
    { "mov [rax],spl", M64, "40 88 20", INSN_MOV_TO_MEM, 1, 1, 8, RSP, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "rex=40" },
    { "mov [rax],r12b", M64, "44 88 20", INSN_MOV_TO_MEM, 1, 1, 8, R12, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "rex=44" },
    { "mov [r8],spl", M64, "41 88 20", INSN_MOV_TO_MEM, 1, 1, 8, RSP, 0, 0, "dw",
      R8, N, 1, 0, 0, DS, "rex=41" },
    { "REX ignored: mov [rax],ah", M64, "40 66 88 20", INSN_MOV_TO_MEM, 1, 1, 8, HI(RAX), 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "mov ecx,[rax+0x10]", M64, "8b 48 10", INSN_MOV_FROM_MEM, 4, 4, 8, RCX, 0, 0, "r",
      RAX, N, 1, 0x10, 0, DS, "" },
    { "mov r9,[r10-0x80]", M64, "4d 8b 4a 80", INSN_MOV_FROM_MEM, 8, 8, 8, R9, 0, 0, "r",
      R10, N, 1, -0x80, 0, DS, "rex=4d" },
    { "mov dh,[rsi]", M64, "8a 36", INSN_MOV_FROM_MEM, 1, 1, 8, HI(RDX), 0, 0, "r",
      RSI, N, 1, 0, 0, DS, "" },

    /* MOV r/m, imm */
    { "mov dword [rip+d32],imm32", M64, "c7 05 78 56 34 12 ef be ad de", INSN_MOV_TO_MEM,
      4, 4, 8, N, 4, (int32_t)0xdeadbeef, "dw", N, N, 1, 0x12345678, 1, DS, "" },
    { "mov qword [rax],-1", M64, "48 c7 00 ff ff ff ff", INSN_MOV_TO_MEM, 8, 8, 8, N, 4, -1, "dw",
      RAX, N, 1, 0, 0, DS, "rex=48" },
    { "mov word [rax],0x1234", M64, "66 c7 00 34 12", INSN_MOV_TO_MEM, 2, 2, 8, N, 2, 0x1234, "dw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "mov byte [rax],0x80", M64, "c6 00 80", INSN_MOV_TO_MEM, 1, 1, 8, N, 1, -128, "dw",
      RAX, N, 1, 0, 0, DS, "" },
    { "mov byte [rip-1],7 (disp before imm)", M64, "c6 05 ff ff ff ff 07", INSN_MOV_TO_MEM,
      1, 1, 8, N, 1, 7, "dw", N, N, 1, -1, 1, DS, "" },

    /* SIB forms */
    { "mov eax,[d32] (SIB, no base)", M64, "8b 04 25 00 10 00 00", INSN_MOV_FROM_MEM, 4, 4, 8, RAX,
      0, 0, "r", N, N, 1, 0x1000, 0, DS, "" },
    { "SIB no base, REX.B", M64, "41 8b 04 25 00 10 00 00", INSN_MOV_FROM_MEM, 4, 4, 8, RAX,
      0, 0, "r", N, N, 1, 0x1000, 0, DS, "rex=41" },
    { "mov eax,[r12*1+d32] (REX.X)", M64, "42 8b 04 25 00 00 00 00", INSN_MOV_FROM_MEM, 4, 4, 8,
      RAX, 0, 0, "r", N, R12, 1, 0, 0, DS, "rex=42" },
    { "mov eax,[rsp+0x100]", M64, "8b 84 24 00 01 00 00", INSN_MOV_FROM_MEM, 4, 4, 8, RAX,
      0, 0, "r", RSP, N, 1, 0x100, 0, SS, "" },
    { "mov eax,[r12]", M64, "41 8b 04 24", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      R12, N, 1, 0, 0, DS, "rex=41" },
    { "mov eax,[r13+0]", M64, "41 8b 45 00", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      R13, N, 1, 0, 0, DS, "rex=41" },
    { "mov eax,[rbp+rdi*8+0x10]", M64, "8b 44 fd 10", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      RBP, RDI, 8, 0x10, 0, SS, "" },
    { "mov r15,[r14+r11*2-4]", M64, "4f 8b 7c 5e fc", INSN_MOV_FROM_MEM, 8, 8, 8, R15, 0, 0, "r",
      R14, R11, 2, -4, 0, DS, "rex=4f" },

    /* RIP-relative */
    { "mov eax,[rip+0x10] REX.B", M64, "41 8b 05 10 00 00 00", INSN_MOV_FROM_MEM, 4, 4, 8, RAX,
      0, 0, "r", N, N, 1, 0x10, 1, DS, "rex=41" },
    { "mov eax,[eip-0x10]", M64, "67 8b 05 f0 ff ff ff", INSN_MOV_FROM_MEM, 4, 4, 4, RAX,
      0, 0, "r", N, N, 1, -0x10, 1, DS, "67" },

    /* Address size, moffs */
    { "mov eax,[eax]", M64, "67 8b 00", INSN_MOV_FROM_MEM, 4, 4, 4, RAX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "67" },
    { "mov eax,[moffs64]", M64, "a1 88 77 66 55 44 33 22 11", INSN_MOV_FROM_MEM, 4, 4, 8, RAX,
      0, 0, "r", N, N, 1, 0x1122334455667788, 0, DS, "" },
    { "mov [moffs64],rax", M64, "48 a3 00 00 e0 fe 00 00 00 00", INSN_MOV_TO_MEM, 8, 8, 8, RAX,
      0, 0, "dw", N, N, 1, 0xfee00000, 0, DS, "rex=48" },
    { "mov [moffs64 high],al", M64, "a2 00 00 00 00 00 00 00 ff", INSN_MOV_TO_MEM, 1, 1, 8, RAX,
      0, 0, "dw", N, N, 1, (int64_t)0xff00000000000000ull, 0, DS, "" },
    { "mov al,[moffs32]", M64, "67 a0 78 56 34 12", INSN_MOV_FROM_MEM, 1, 1, 4, RAX, 0, 0, "r",
      N, N, 1, 0x12345678, 0, DS, "67" },
    { "mov ax,gs:[moffs64]", M64, "65 66 a1 08 00 00 00 00 00 00 00", INSN_MOV_FROM_MEM, 2, 2, 8,
      RAX, 0, 0, "r", N, N, 1, 8, 0, GS, "66 seg=5" },

    /* Segment overrides */
    { "mov eax,fs:[rbx]", M64, "64 8b 03", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, FS, "seg=4" },
    { "cs: ignored in 64-bit", M64, "2e 8b 03", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, DS, "seg=1" },
    { "last override wins", M64, "64 65 8b 03", INSN_MOV_FROM_MEM, 4, 4, 8, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, GS, "seg=5" },

    /* MOVZX / MOVSX / MOVSXD */
    { "movzx eax,byte [rax]", M64, "0f b6 00", INSN_MOVZX, 4, 1, 8, RAX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "" },
    { "movzx ax,word [rax]", M64, "66 0f b7 00", INSN_MOVZX, 2, 2, 8, RAX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "66" },
    { "movzx r8d,word [rdx]", M64, "44 0f b7 02", INSN_MOVZX, 4, 2, 8, R8, 0, 0, "r",
      RDX, N, 1, 0, 0, DS, "rex=44" },
    { "movsx rcx,word [rsp]", M64, "48 0f bf 0c 24", INSN_MOVSX, 8, 2, 8, RCX, 0, 0, "r",
      RSP, N, 1, 0, 0, SS, "rex=48" },
    { "movsx esi,byte [rdi]", M64, "0f be 37", INSN_MOVSX, 4, 1, 8, RSI, 0, 0, "r",
      RDI, N, 1, 0, 0, DS, "" },
    { "movsxd rcx,dword [rax]", M64, "48 63 08", INSN_MOVSX, 8, 4, 8, RCX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "rex=48" },

    /* Group 1 with immediates */
    { "or dword [rax],-1 (imm8)", M64, "83 08 ff", INSN_OR, 4, 4, 8, N, 1, -1, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "add qword [rax],-128", M64, "48 83 00 80", INSN_ADD, 8, 8, 8, N, 1, -128, "drw",
      RAX, N, 1, 0, 0, DS, "rex=48" },
    { "cmp dword [rax],0x80000000", M64, "81 38 00 00 00 80", INSN_CMP, 4, 4, 8, N, 4,
      -0x80000000ll, "dr", RAX, N, 1, 0, 0, DS, "" },
    { "and qword [rcx],imm32 sx", M64, "48 81 21 00 00 00 ff", INSN_AND, 8, 8, 8, N, 4,
      (int32_t)0xff000000, "drw", RCX, N, 1, 0, 0, DS, "rex=48" },
    { "and byte [rax],0x0f", M64, "80 20 0f", INSN_AND, 1, 1, 8, N, 1, 0x0f, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "sub word [rax],0x7fff", M64, "66 81 28 ff 7f", INSN_SUB, 2, 2, 8, N, 2, 0x7fff, "drw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "xor dword [rbx+8],1", M64, "83 73 08 01", INSN_XOR, 4, 4, 8, N, 1, 1, "drw",
      RBX, N, 1, 8, 0, DS, "" },
    { "adc byte [rax],1", M64, "80 10 01", INSN_ADC, 1, 1, 8, N, 1, 1, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "sbb dword [rax],2", M64, "83 18 02", INSN_SBB, 4, 4, 8, N, 1, 2, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "lock or dword [rax],1", M64, "f0 83 08 01", INSN_OR, 4, 4, 8, N, 1, 1, "drw",
      RAX, N, 1, 0, 0, DS, "F0" },

    /* ALU r/m forms 00-3B */
    { "add [rax],ecx", M64, "01 08", INSN_ADD, 4, 4, 8, RCX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "or [rax],cl", M64, "08 08", INSN_OR, 1, 1, 8, RCX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "and ecx,[rax]", M64, "23 08", INSN_AND, 4, 4, 8, RCX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "" },
    { "sub ecx,[rax+0x10]", M64, "2b 48 10", INSN_SUB, 4, 4, 8, RCX, 0, 0, "r",
      RAX, N, 1, 0x10, 0, DS, "" },
    { "xor ah,[rax-0x10]", M64, "32 60 f0", INSN_XOR, 1, 1, 8, HI(RAX), 0, 0, "r",
      RAX, N, 1, -0x10, 0, DS, "" },
    { "cmp [rbp-4],cl", M64, "38 4d fc", INSN_CMP, 1, 1, 8, RCX, 0, 0, "dr",
      RBP, N, 1, -4, 0, SS, "" },
    { "cmp rdx,[rax]", M64, "48 3b 10", INSN_CMP, 8, 8, 8, RDX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "rex=48" },
    { "adc [rax],edx", M64, "11 10", INSN_ADC, 4, 4, 8, RDX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "sbb edx,[rax]", M64, "1b 10", INSN_SBB, 4, 4, 8, RDX, 0, 0, "r",
      RAX, N, 1, 0, 0, DS, "" },
    { "lock add [rax],ecx", M64, "f0 01 08", INSN_ADD, 4, 4, 8, RCX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "F0" },

    /* TEST, XCHG */
    { "test [rbx+rcx*4],ecx", M64, "85 0c 8b", INSN_TEST, 4, 4, 8, RCX, 0, 0, "dr",
      RBX, RCX, 4, 0, 0, DS, "" },
    { "test [rax],bl", M64, "84 18", INSN_TEST, 1, 1, 8, RBX, 0, 0, "dr",
      RAX, N, 1, 0, 0, DS, "" },
    { "test byte [rax],1", M64, "f6 00 01", INSN_TEST, 1, 1, 8, N, 1, 1, "dr",
      RAX, N, 1, 0, 0, DS, "" },
    { "test dword [rax+8],0x10000", M64, "f7 40 08 00 00 01 00", INSN_TEST, 4, 4, 8, N, 4,
      0x10000, "dr", RAX, N, 1, 8, 0, DS, "" },
    { "test qword [rax],-2", M64, "48 f7 00 fe ff ff ff", INSN_TEST, 8, 8, 8, N, 4,
      -2, "dr", RAX, N, 1, 0, 0, DS, "rex=48" },
    { "xchg [rax],ecx", M64, "87 08", INSN_XCHG, 4, 4, 8, RCX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "lock xchg [rax],ecx", M64, "f0 87 08", INSN_XCHG, 4, 4, 8, RCX, 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "F0" },
    { "xchg [rax],ch", M64, "86 28", INSN_XCHG, 1, 1, 8, HI(RCX), 0, 0, "drw",
      RAX, N, 1, 0, 0, DS, "" },

    /* String instructions */
    { "rep stosd", M64, "f3 ab", INSN_STOS, 4, 4, 8, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "F3" },
    { "rep stosq", M64, "f3 48 ab", INSN_STOS, 8, 8, 8, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "F3 rex=48" },
    { "stosb", M64, "aa", INSN_STOS, 1, 1, 8, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "" },
    { "stos: fs: does not apply", M64, "64 ab", INSN_STOS, 4, 4, 8, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "seg=4" },
    { "rep stosw, 32-bit address", M64, "67 66 f3 ab", INSN_STOS, 2, 2, 4, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "66 67 F3" },
    { "rep movsb", M64, "f3 a4", INSN_MOVS, 1, 1, 8, N, 0, 0, "r",
      RSI, N, 1, 0, 0, DS, "F3" },
    { "rep movsd fs:", M64, "64 f3 a5", INSN_MOVS, 4, 4, 8, N, 0, 0, "r",
      RSI, N, 1, 0, 0, FS, "F3 seg=4" },
    { "lodsq", M64, "48 ad", INSN_LODS, 8, 8, 8, RAX, 0, 0, "r",
      RSI, N, 1, 0, 0, DS, "rex=48" },
    { "repne stosb", M64, "f2 aa", INSN_STOS, 1, 1, 8, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "F2" },

    /* 32-bit code segment */
    { "32: mov eax,[d32]", M32, "8b 05 00 10 00 00", INSN_MOV_FROM_MEM, 4, 4, 4, RAX, 0, 0, "r",
      N, N, 1, 0x1000, 0, DS, "" },
    { "32: mov [eax],cx", M32, "66 89 08", INSN_MOV_TO_MEM, 2, 2, 4, RCX, 0, 0, "dw",
      RAX, N, 1, 0, 0, DS, "66" },
    { "32: mov eax,[bx] (67)", M32, "67 8b 07", INSN_MOV_FROM_MEM, 4, 4, 2, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, DS, "67" },
    { "32: mov eax,[moffs32]", M32, "a1 00 10 00 00", INSN_MOV_FROM_MEM, 4, 4, 4, RAX, 0, 0, "r",
      N, N, 1, 0x1000, 0, DS, "" },
    { "32: mov eax,[moffs16]", M32, "67 a1 00 10", INSN_MOV_FROM_MEM, 4, 4, 2, RAX, 0, 0, "r",
      N, N, 1, 0x1000, 0, DS, "67" },
    { "32: add byte [eax],1 (82)", M32, "82 00 01", INSN_ADD, 1, 1, 4, N, 1, 1, "drw",
      RAX, N, 1, 0, 0, DS, "" },
    { "32: mov eax,es:[ebp+8]", M32, "26 8b 45 08", INSN_MOV_FROM_MEM, 4, 4, 4, RAX, 0, 0, "r",
      RBP, N, 1, 8, 0, ES, "seg=0" },
    { "32: mov [esp+4],esi", M32, "89 74 24 04", INSN_MOV_TO_MEM, 4, 4, 4, RSI, 0, 0, "dw",
      RSP, N, 1, 4, 0, SS, "" },
    { "32: mov dword [d32],imm", M32, "c7 05 00 00 c0 fe 01 00 00 00", INSN_MOV_TO_MEM,
      4, 4, 4, N, 4, 1, "dw", N, N, 1, (int32_t)0xfec00000, 0, DS, "" },

    /* 16-bit code segment (SDM Vol. 2A Table 2-1) */
    { "16: mov ax,[bx]", M16, "8b 07", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, DS, "" },
    { "16: mov ax,[bp-2]", M16, "8b 46 fe", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      RBP, N, 1, -2, 0, SS, "" },
    { "16: mov ax,[0x1234]", M16, "8b 06 34 12", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      N, N, 1, 0x1234, 0, DS, "" },
    { "16: mov [bx+si],ax", M16, "89 00", INSN_MOV_TO_MEM, 2, 2, 2, RAX, 0, 0, "dw",
      RBX, RSI, 1, 0, 0, DS, "" },
    { "16: mov [bx+di],dx", M16, "89 11", INSN_MOV_TO_MEM, 2, 2, 2, RDX, 0, 0, "dw",
      RBX, RDI, 1, 0, 0, DS, "" },
    { "16: mov ax,[bp+si]", M16, "8b 02", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      RBP, RSI, 1, 0, 0, SS, "" },
    { "16: mov ax,[bp+di+0x8000]", M16, "8b 83 00 80", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      RBP, RDI, 1, -0x8000, 0, SS, "" },
    { "16: mov al,[si+1]", M16, "8a 44 01", INSN_MOV_FROM_MEM, 1, 1, 2, RAX, 0, 0, "r",
      RSI, N, 1, 1, 0, DS, "" },
    { "16: mov bh,[di]", M16, "8a 3d", INSN_MOV_FROM_MEM, 1, 1, 2, HI(RBX), 0, 0, "r",
      RDI, N, 1, 0, 0, DS, "" },
    { "16: mov eax,[bx]", M16, "66 8b 07", INSN_MOV_FROM_MEM, 4, 4, 2, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, DS, "66" },
    { "16: mov ax,[edi] (67)", M16, "67 8b 07", INSN_MOV_FROM_MEM, 2, 2, 4, RAX, 0, 0, "r",
      RDI, N, 1, 0, 0, DS, "67" },
    { "16: mov eax,[ecx*4+d32]", M16, "66 67 8b 04 8d 00 10 00 00", INSN_MOV_FROM_MEM, 4, 4, 4,
      RAX, 0, 0, "r", N, RCX, 4, 0x1000, 0, DS, "66 67" },
    { "16: mov word [bx],imm16", M16, "c7 07 cd ab", INSN_MOV_TO_MEM, 2, 2, 2, N, 2,
      (int16_t)0xabcd, "dw", RBX, N, 1, 0, 0, DS, "" },
    { "16: rep stosw", M16, "f3 ab", INSN_STOS, 2, 2, 2, RAX, 0, 0, "dw",
      RDI, N, 1, 0, 0, ES, "F3" },
    { "16: es: movsb", M16, "26 a4", INSN_MOVS, 1, 1, 2, N, 0, 0, "r",
      RSI, N, 1, 0, 0, ES, "seg=0" },
    { "16: lodsw", M16, "ad", INSN_LODS, 2, 2, 2, RAX, 0, 0, "r",
      RSI, N, 1, 0, 0, DS, "" },
    { "16: mov [moffs16],al", M16, "a2 00 80", INSN_MOV_TO_MEM, 1, 1, 2, RAX, 0, 0, "dw",
      N, N, 1, 0x8000, 0, DS, "" },
    { "16: ss: mov ax,[bx]", M16, "36 8b 07", INSN_MOV_FROM_MEM, 2, 2, 2, RAX, 0, 0, "r",
      RBX, N, 1, 0, 0, SS, "seg=2" },
    { "16: xchg [bx],al", M16, "86 07", INSN_XCHG, 1, 1, 2, RAX, 0, 0, "drw",
      RBX, N, 1, 0, 0, DS, "" },
};

static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (*hex) {
        char *end;

        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned long v = strtoul(hex, &end, 16);
        assert_true(end == hex + 2 && v < 256 && n < max);
        out[n++] = (uint8_t)v;
        hex = end;
    }
    return n;
}

/* Expected prefix fields from a "66 67 F0 F2 F3 seg=N rex=XX" string. */
static struct insn_prefixes parse_pfx(const char *s)
{
    struct insn_prefixes p = { .seg = INSN_SEG_NONE };
    char buf[64];

    snprintf(buf, sizeof(buf), "%s", s);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " ")) {
        if (!strcmp(t, "66"))
            p.opsize = true;
        else if (!strcmp(t, "67"))
            p.addrsize = true;
        else if (!strcmp(t, "F0"))
            p.lock = true;
        else if (!strcmp(t, "F2"))
            p.rep = 0xf2;
        else if (!strcmp(t, "F3"))
            p.rep = 0xf3;
        else if (!strncmp(t, "seg=", 4))
            p.seg = (int8_t)atoi(t + 4);
        else if (!strncmp(t, "rex=", 4))
            p.rex = (uint8_t)strtoul(t + 4, NULL, 16);
        else
            fail_msg("bad prefix token %s", t);
    }
    return p;
}

static void check_case(const struct tcase *t, const struct insn *in)
{
    uint8_t bytes[16];
    size_t len = parse_hex(t->hex, bytes, sizeof(bytes));
    struct insn_prefixes p = parse_pfx(t->pfx);

    assert_int_equal(in->length, len);
    assert_int_equal(in->kind, t->kind);
    assert_int_equal(in->op_size, t->op_size);
    assert_int_equal(in->mem_size, t->mem_size);
    assert_int_equal(in->addr_size, t->addr_size);
    if (t->reg == N) {
        assert_false(in->has_reg);
    } else {
        assert_true(in->has_reg);
        assert_int_equal(in->reg, t->reg & 0xff);
        assert_int_equal(in->reg_high8, !!(t->reg & 0x100));
    }
    assert_int_equal(in->has_imm, t->imm_size != 0);
    assert_int_equal(in->imm_size, t->imm_size);
    assert_int_equal(in->imm, t->imm);
    assert_int_equal(in->mem_is_dst, strchr(t->rw, 'd') != NULL);
    assert_int_equal(in->mem_read, strchr(t->rw, 'r') != NULL);
    assert_int_equal(in->mem_write, strchr(t->rw, 'w') != NULL);
    assert_int_equal(in->mem.base, t->base);
    assert_int_equal(in->mem.index, t->index);
    assert_int_equal(in->mem.scale, t->scale);
    assert_int_equal(in->mem.disp, t->disp);
    assert_int_equal(in->mem.rip_rel, t->rip);
    assert_int_equal(in->mem.seg, t->seg);
    assert_int_equal(in->pfx.opsize, p.opsize);
    assert_int_equal(in->pfx.addrsize, p.addrsize);
    assert_int_equal(in->pfx.lock, p.lock);
    assert_int_equal(in->pfx.rep, p.rep);
    assert_int_equal(in->pfx.seg, p.seg);
    assert_int_equal(in->pfx.rex, p.rex);
    if (t->kind == INSN_MOVS) {
        assert_int_equal(in->mem2.base, RDI);
        assert_int_equal(in->mem2.index, N);
        assert_int_equal(in->mem2.seg, ES);
        assert_int_equal(in->mem2.disp, 0);
        assert_false(in->mem2.rip_rel);
    } else {
        assert_int_equal(in->mem2.base, N);
    }
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct tcase *t = &cases[i];
        uint8_t bytes[32];
        size_t len = parse_hex(t->hex, bytes, 16);
        struct insn in;

        print_message("  %s\n", t->name);
        /* Exactly the bytes, then with trailing bytes that must not matter. */
        assert_int_equal(insn_decode(bytes, len, t->mode, &in), 0);
        check_case(t, &in);
        memset(bytes + len, 0xcc, sizeof(bytes) - len);
        assert_int_equal(insn_decode(bytes, sizeof(bytes), t->mode, &in), 0);
        check_case(t, &in);
    }
}

/* Every proper prefix of a valid instruction needs more bytes, never
 * anything else; the buffer is heap-allocated at the exact size so ASan
 * catches a read past `avail`. */
static void test_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct tcase *t = &cases[i];
        uint8_t bytes[16];
        size_t len = parse_hex(t->hex, bytes, sizeof(bytes));
        struct insn in;

        for (size_t n = 0; n < len; n++) {
            uint8_t *p = malloc(n ? n : 1);

            memcpy(p, bytes, n);
            if (insn_decode(p, n, t->mode, &in) != INSN_ETRUNC)
                fail_msg("%s: %zu of %zu bytes not ETRUNC", t->name, n, len);
            free(p);
        }
    }
    assert_int_equal(insn_decode(NULL, 0, CPU_MODE_64, &(struct insn){ 0 }), INSN_ETRUNC);
}

static int decode_hex(const char *hex, enum cpu_mode mode, struct insn *in)
{
    uint8_t bytes[32];
    size_t len = parse_hex(hex, bytes, sizeof(bytes));

    return insn_decode(bytes, len, mode, in);
}

static void test_length_limit(void **state)
{
    (void)state;
    uint8_t b[32];
    struct insn in;

    /* 13 prefixes + 89 08 = 15 bytes: the longest legal instruction. */
    memset(b, 0x66, sizeof(b));
    b[13] = 0x89;
    b[14] = 0x08;
    assert_int_equal(insn_decode(b, 15, CPU_MODE_64, &in), 0);
    assert_int_equal(in.length, 15);
    assert_int_equal(in.op_size, 2);
    assert_int_equal(in.pfx.count, 13);

    /* 15 prefixes + opcode = 16 bytes: invalid however many bytes there
     * are (the length is known to exceed 15 before byte 16 is read). */
    memset(b, 0x66, sizeof(b));
    b[15] = 0x89;
    b[16] = 0x08;
    assert_int_equal(insn_decode(b, 17, CPU_MODE_64, &in), INSN_EINVAL);
    assert_int_equal(insn_decode(b, 16, CPU_MODE_64, &in), INSN_EINVAL);
    assert_int_equal(insn_decode(b, 15, CPU_MODE_64, &in), INSN_EINVAL);
    assert_int_equal(insn_decode(b, 14, CPU_MODE_64, &in), INSN_ETRUNC);

    /* 14 prefixes + 89 08: 16 bytes, fails at the ModRM byte. */
    b[14] = 0x89;
    b[15] = 0x08;
    assert_int_equal(insn_decode(b, 16, CPU_MODE_64, &in), INSN_EINVAL);

    /* 9 prefixes + C7 05 disp32 imm32 = 19 bytes: the displacement would
     * cross byte 15. */
    memset(b, 0x3e, sizeof(b));
    b[9] = 0xc7;
    b[10] = 0x05;
    memset(b + 11, 0, 8);
    assert_int_equal(insn_decode(b, 19, CPU_MODE_32, &in), INSN_EINVAL);
    /* 5 prefixes: 15 bytes exactly. */
    assert_int_equal(insn_decode(b + 4, 15, CPU_MODE_32, &in), 0);
    assert_int_equal(in.length, 15);
    assert_int_equal(in.mem.seg, INSN_SEG_DS);

    /* A run of REX prefixes also counts toward the limit. */
    memset(b, 0x48, sizeof(b));
    assert_int_equal(insn_decode(b, sizeof(b), CPU_MODE_64, &in), INSN_EINVAL);
}

static void test_unsupported(void **state)
{
    (void)state;
    struct insn in;
    static const struct { enum cpu_mode mode; const char *hex; } u[] = {
        { M64, "90" },              /* nop */
        { M64, "c3" },              /* ret */
        { M64, "0f 05" },           /* syscall */
        { M64, "0f a3 00" },        /* bt [rax],eax */
        { M64, "ff 00" },           /* inc dword [rax] */
        { M64, "f6 10" },           /* not byte [rax] */
        { M64, "f7 18" },           /* neg dword [rax] */
        { M64, "f7 08 00 00 00 00" },   /* F7 /1 */
        { M64, "c6 08 00" },        /* C6 /1 */
        { M64, "c7 f8 00 00 00 00" },   /* xbegin */
        { M64, "04 01" },           /* add al,1 */
        { M64, "05 01 00 00 00" },  /* add eax,1 */
        { M64, "8d 00" },           /* lea: no memory access */
        { M64, "c4 e2 79 18 00" },  /* VEX */
        { M32, "40" },              /* inc eax, not REX */
        { M32, "48 89 08" },        /* dec eax; mov [eax],ecx */
        { M32, "63 00" },           /* arpl */
        { M16, "63 00" },
        { M64, "6c" },              /* insb */
        { M64, "a6" },              /* cmpsb */
        { M64, "ae" },              /* scasb */
    };

    for (size_t i = 0; i < ARRAY_SIZE(u); i++) {
        int r = decode_hex(u[i].hex, u[i].mode, &in);
        if (r != INSN_EUNSUP)
            fail_msg("%s: got %d (%s)", u[i].hex, r, insn_strerror(r));
    }
}

static void test_register_forms(void **state)
{
    (void)state;
    struct insn in;
    static const char *const r[] = {
        "89 c8",                    /* mov eax,ecx */
        "8b c1",
        "88 e0",
        "0f b6 c0",
        "48 63 c1",
        "83 c0 01",                 /* add eax,1: ModRM first, imm not needed */
        "81 f8",                    /* cmp eax,imm32, cut after ModRM */
        "c7 c0",
        "c6 c0",
        "f7 c0",
        "85 c0",
        "87 c8",
        "01 c8",
        "3b c1",
    };

    for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
        int e = decode_hex(r[i], CPU_MODE_64, &in);
        if (e != INSN_EREG)
            fail_msg("%s: got %d (%s)", r[i], e, insn_strerror(e));
    }
    assert_int_equal(decode_hex("8b c0", CPU_MODE_16, &in), INSN_EREG);
    assert_int_equal(decode_hex("67 8b c0", CPU_MODE_32, &in), INSN_EREG);
}

static void test_invalid(void **state)
{
    (void)state;
    struct insn in;
    static const struct { enum cpu_mode mode; const char *hex; } v[] = {
        /* LOCK only on read-modify-write with a memory destination */
        { M64, "f0 89 08" },        /* mov */
        { M64, "f0 8b 08" },
        { M64, "f0 c7 00 00 00 00 00" },
        { M64, "f0 39 08" },        /* cmp m,r */
        { M64, "f0 83 38 01" },     /* cmp m,imm */
        { M64, "f0 03 08" },        /* add r,m */
        { M64, "f0 85 08" },        /* test */
        { M64, "f0 f6 00 01" },
        { M64, "f0 0f b6 00" },     /* movzx */
        { M64, "f0 48 63 00" },
        { M64, "f0 ab" },           /* stos */
        { M64, "f0 a4" },
        { M64, "f0 a1 00 00 00 00 00 00 00 00" },
        { M64, "f0 01 c8" },        /* lock add eax,ecx: register form */
        { M64, "f0 87 c8" },
        { M64, "f0 83 c0 01" },
        { M64, "82 00 01" },        /* 82 is #UD in 64-bit mode */
    };

    for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
        int r = decode_hex(v[i].hex, v[i].mode, &in);
        if (r != INSN_EINVAL)
            fail_msg("%s: got %d (%s)", v[i].hex, r, insn_strerror(r));
    }
    /* Invalid LOCK is reported at the ModRM byte, before the rest. */
    assert_int_equal(decode_hex("f0 89 80", CPU_MODE_64, &in), INSN_EINVAL);
    /* Not a code-segment mode. */
    assert_int_equal(decode_hex("89 08", (enum cpu_mode)8, &in), INSN_EINVAL);
}

/* Prefix order does not matter; REX must be last to count. */
static void test_prefix_order(void **state)
{
    (void)state;
    struct insn a, b;

    assert_int_equal(decode_hex("f3 66 67 64 ab", CPU_MODE_64, &a), 0);
    assert_int_equal(decode_hex("64 67 66 f3 ab", CPU_MODE_64, &b), 0);
    assert_int_equal(a.length, 5);
    assert_int_equal(b.length, 5);
    assert_int_equal(a.op_size, 2);
    assert_int_equal(b.op_size, 2);
    assert_int_equal(a.addr_size, 4);
    assert_int_equal(b.addr_size, 4);
    assert_int_equal(a.pfx.rep, b.pfx.rep);
    assert_int_equal(a.pfx.seg, INSN_SEG_FS);
    assert_int_equal(b.pfx.seg, INSN_SEG_FS);
    assert_int_equal(a.pfx.count, 4);

    /* The later of F2/F3 is kept. */
    assert_int_equal(decode_hex("f2 f3 aa", CPU_MODE_64, &a), 0);
    assert_int_equal(a.pfx.rep, 0xf3);
    assert_int_equal(decode_hex("f3 f2 aa", CPU_MODE_64, &a), 0);
    assert_int_equal(a.pfx.rep, 0xf2);

    /* 48 then F0: REX dropped, so op size 32 and ECX; LOCK XCHG valid. */
    assert_int_equal(decode_hex("48 f0 87 08", CPU_MODE_64, &a), 0);
    assert_int_equal(a.op_size, 4);
    assert_int_equal(a.pfx.rex, 0);
    assert_int_equal(a.pfx.count, 2);
    assert_true(a.pfx.lock);

    /* A dropped REX.R does not extend the register either. */
    assert_int_equal(decode_hex("4c 3e 89 08", CPU_MODE_64, &a), 0);
    assert_int_equal(a.reg, RCX);
}

static void test_mem_offset(void **state)
{
    (void)state;
    struct insn in;
    uint64_t g[16] = { 0 };

    /* [rbx+rcx*4] */
    g[RBX] = 0x1000;
    g[RCX] = 0x10;
    assert_int_equal(decode_hex("85 0c 8b", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0x1040);

    /* RIP-relative counts from the end of the instruction. */
    assert_int_equal(decode_hex("c7 05 78 56 34 12 ef be ad de", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0x400000), 0x400000 + 10 + 0x12345678);
    assert_int_equal(decode_hex("8b 05 f0 ff ff ff", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0x400000), 0x400000 + 6 - 0x10);

    /* EIP-relative wraps at 4 GiB. */
    assert_int_equal(decode_hex("67 8b 05 10 00 00 00", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0xfffffff0), 0x7);

    /* 67 in 64-bit mode: 32-bit registers. */
    memset(g, 0, sizeof(g));
    g[RAX] = 0x100000010ull;
    assert_int_equal(decode_hex("67 8b 00", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0x10);
    assert_int_equal(decode_hex("8b 00", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0x100000010ull);

    /* Negative displacement, 64-bit wrap. */
    g[R10] = 0x40;
    assert_int_equal(decode_hex("4d 8b 4a 80", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), (uint64_t)-0x40);

    /* 16-bit forms wrap at 64 KiB. */
    memset(g, 0, sizeof(g));
    g[RBP] = 0x9000;
    g[RDI] = 0x1000;
    assert_int_equal(decode_hex("8b 83 00 80", CPU_MODE_16, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0x2000);
    g[RBP] = 1;
    assert_int_equal(decode_hex("8b 46 fe", CPU_MODE_16, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0xffff);
    /* Upper register bits are ignored. */
    g[RBX] = 0xabcd0000ffffull;
    g[RSI] = 2;
    assert_int_equal(decode_hex("89 00", CPU_MODE_16, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 1);

    /* moffs64 is used as is. */
    assert_int_equal(decode_hex("a2 00 00 00 00 00 00 00 ff", CPU_MODE_64, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0xff00000000000000ull);

    /* MOVS: both operands. */
    memset(g, 0, sizeof(g));
    g[RSI] = 0x100;
    g[RDI] = 0x200;
    assert_int_equal(decode_hex("f3 a5", CPU_MODE_32, &in), 0);
    assert_int_equal(insn_mem_offset(&in, &in.mem, g, 0), 0x100);
    assert_int_equal(insn_mem_offset(&in, &in.mem2, g, 0), 0x200);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(insn_strerror(INSN_ETRUNC), "truncated");
    assert_string_equal(insn_strerror(-99), "unknown error");
    assert_string_equal(insn_kind_name(INSN_MOVS), "movs");
    assert_string_equal(insn_kind_name(INSN_XCHG), "xchg");
    assert_string_equal(insn_kind_name((enum insn_kind)1000), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_register_forms),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_prefix_order),
        cmocka_unit_test(test_mem_offset),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("insn", tests, NULL, NULL);
}
