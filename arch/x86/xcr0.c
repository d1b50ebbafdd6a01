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
