/* The XCR0 rules (include/arch/fpu.h). Pure. */
#include <arch/fpu.h>

bool xcr0_valid(uint64_t val, uint64_t supported)
{
    if (!(val & XFEATURE_X87) || (val & ~supported))
        return false;
    if ((val & XFEATURE_AVX) && !(val & XFEATURE_SSE))
        return false;
    uint64_t avx512 = val & XFEATURE_AVX512;
    if (avx512 && (avx512 != XFEATURE_AVX512 || !(val & XFEATURE_AVX)))
        return false;
    uint64_t mpx = val & (XFEATURE_BNDREGS | XFEATURE_BNDCSR);
    if (mpx && mpx != (XFEATURE_BNDREGS | XFEATURE_BNDCSR))
        return false;
    uint64_t amx = val & (XFEATURE_TILECFG | XFEATURE_TILEDATA);
    if (amx && amx != (XFEATURE_TILECFG | XFEATURE_TILEDATA))
        return false;
    return true;
}

#define XCOMP_COMPACTED (1ULL << 63)

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int xsavec_avx_offset(const uint8_t img[XSAVEC_PROBE_SIZE], const uint8_t avx[XSAVE_AVX_SIZE])
{
    /* Its first 32 bytes (YMM0-1's upper halves), on 16-byte boundaries:
     * a misplaced component may overlap the header, which is written
     * over it (Bochs's at 416 does). */
    for (int off = 0; off + 32 <= XSAVEC_PROBE_SIZE; off += 16) {
        int i = 0;
        while (i < 32 && img[off + i] == avx[i])
            i++;
        if (i == 32)
            return off;
    }
    return -1;
}

bool xsavec_image_ok(const uint8_t img[XSAVEC_PROBE_SIZE], const uint8_t avx[XSAVE_AVX_SIZE])
{
    const uint64_t rfbm = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
    /* XSTATE_BV: AVX is not in its initial state; XCOMP_BV: bit 63 and
     * RFBM (SDM Vol. 1 13.10, "XSAVEC"). */
    if (!(get64(img + XSAVE_XSTATE_BV) & XFEATURE_AVX) ||
        get64(img + XSAVE_XCOMP_BV) != (XCOMP_COMPACTED | rfbm))
        return false;
    for (int i = 0; i < XSAVE_AVX_SIZE; i++)
        if (img[XSAVE_COMPACT_BASE + i] != avx[i])
            return false;
    return true;
}
