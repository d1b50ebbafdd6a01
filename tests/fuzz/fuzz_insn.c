/* Fuzz the MMIO instruction decoder: any bytes in any code-segment mode must
 * decode or be refused, never crash or read past `avail`; a decoded
 * instruction is 1..15 bytes within `avail`, is stable when more bytes
 * follow, and its fields stay in range. */
#include <arch/insn.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check(const struct insn *in, size_t avail)
{
    if (in->length < 1 || in->length > INSN_MAX_LEN || in->length > avail)
        __builtin_trap();
    if (in->kind == INSN_NONE || in->kind > INSN_MOVS)
        __builtin_trap();
    if (in->op_size != 1 && in->op_size != 2 && in->op_size != 4 && in->op_size != 8)
        __builtin_trap();
    if (in->mem_size != 1 && in->mem_size != 2 && in->mem_size != 4 && in->mem_size != 8)
        __builtin_trap();
    if (in->addr_size != 2 && in->addr_size != 4 && in->addr_size != 8)
        __builtin_trap();
    if (in->reg > 15 || (in->reg_high8 && in->reg > 3))
        __builtin_trap();
    if (in->mem.base < INSN_REG_NONE || in->mem.base > 15 ||
        in->mem.index < INSN_REG_NONE || in->mem.index > 15)
        __builtin_trap();
    if (in->mem.seg < INSN_SEG_ES || in->mem.seg > INSN_SEG_GS)
        __builtin_trap();
    if (!in->mem_read && !in->mem_write)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const enum cpu_mode modes[] = { CPU_MODE_16, CPU_MODE_32, CPU_MODE_64 };
    uint64_t gpr[16];

    for (unsigned i = 0; i < 16; i++)
        gpr[i] = 0x0123456789abcdefull * (i + 1);

    for (unsigned m = 0; m < 3; m++) {
        struct insn in, again;
        /* An exact-size copy so ASan sees any read past the end. */
        unsigned char *buf = malloc(size ? size : 1);

        memcpy(buf, data, size);
        int r = insn_decode(buf, size, modes[m], &in);
        if (r == 0) {
            check(&in, size);
            (void)insn_mem_offset(&in, &in.mem, gpr, 0xfffffffffffffff0ull);
            /* Exactly the instruction's bytes decode the same. */
            if (insn_decode(buf, in.length, modes[m], &again) != 0 ||
                memcmp(&in, &again, sizeof(in)) != 0)
                __builtin_trap();
            /* Bytes are consumed in order: any shorter prefix needs more. */
            for (size_t n = 0; n < in.length; n++)
                if (insn_decode(buf, n, modes[m], &again) != INSN_ETRUNC)
                    __builtin_trap();
        } else if (r != INSN_ETRUNC && r != INSN_EUNSUP &&
                   r != INSN_EINVAL && r != INSN_EREG) {
            __builtin_trap();
        }
        /* Truncation is only ever reported when bytes ran out. */
        if (r == INSN_ETRUNC && size >= INSN_MAX_LEN)
            __builtin_trap();
        free(buf);
    }
    return 0;
}
