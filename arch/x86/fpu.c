/*
 * Guest x87/SSE/AVX state, hardware side (include/arch/fpu.h): the
 * hypervisor enables CR4.OSFXSR and CR4.OSXSAVE for itself so it can
 * save and restore a guest's state and execute XSETBV for it (without
 * OSXSAVE, XSETBV raises #UD in the hypervisor: SDM Vol. 2D). The
 * standard (non-compacted) XSAVE format is used: XRSTOR puts every
 * component whose XSTATE_BV bit is clear in its initial state, which is
 * how a fresh or reset vCPU starts.
 */
#include <arch/fpu.h>
#include <arch/cpu.h>
#include <hv/string.h>

#define CPUID1_ECX_XSAVE  BIT(26)
#define CPUID1_EDX_FXSR   BIT(24)
#define CR4_OSFXSR        BIT(9)
#define CR4_OSXMMEXCPT    BIT(10)
#define CR4_OSXSAVE       BIT(18)
#define FXSAVE_SIZE       512
#define FXSAVE_FCW        0
#define FXSAVE_MXCSR      24
#define MXCSR_INIT        0x1f80
#define FCW_INIT          0x037f
/* User components only: supervisor ones (XSS) are not given to guests. */
#define USER_MASK         (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_BNDREGS | \
                           XFEATURE_BNDCSR | XFEATURE_AVX512 | XFEATURE_PKRU | \
                           XFEATURE_TILECFG | XFEATURE_TILEDATA)

static struct fpu_info info;

void fpu_cpu_init(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    uint64_t cr4 = read_cr4();
    if (r.edx & CPUID1_EDX_FXSR)
        cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (r.ecx & CPUID1_ECX_XSAVE)
        cr4 |= CR4_OSXSAVE;
    write_cr4(cr4);
    /* The first CPU decides; the others are the same model. */
    if (info.size)
        return;
    info.xsave = (r.ecx & CPUID1_ECX_XSAVE) != 0;
    if (info.xsave) {
        struct cpuid_regs d = cpuid(0xd, 0);
        info.mask = (((uint64_t)d.edx << 32) | d.eax) & USER_MASK;
        fpu_set_xcr0(info.mask);
        /* EBX: the size for the components now in XCR0, i.e. all. */
        info.size = cpuid(0xd, 0).ebx;
        fpu_set_xcr0(XFEATURE_X87);
    } else {
        info.mask = XFEATURE_X87 | XFEATURE_SSE;
        info.size = FXSAVE_SIZE;
    }
}

const struct fpu_info *fpu_info(void)
{
    return &info;
}

void fpu_area_init(void *area)
{
    memset(area, 0, info.size);
    uint8_t *b = area;
    uint16_t fcw = FCW_INIT;
    uint32_t mxcsr = MXCSR_INIT;
    memcpy(b + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(b + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

void fpu_save(void *area)
{
    if (!info.xsave) {
        __asm__ volatile("fxsaveq %0" : "=m"(*(uint8_t (*)[FXSAVE_SIZE])area));
        return;
    }
    fpu_set_xcr0(info.mask);
    __asm__ volatile("xsaveq (%0)" : : "r"(area), "a"((uint32_t)info.mask),
                     "d"((uint32_t)(info.mask >> 32)) : "memory");
}

void fpu_restore(const void *area, uint64_t xcr0)
{
    if (!info.xsave) {
        __asm__ volatile("fxrstorq %0" : : "m"(*(const uint8_t (*)[FXSAVE_SIZE])area));
        return;
    }
    fpu_set_xcr0(info.mask);
    __asm__ volatile("xrstorq (%0)" : : "r"(area), "a"((uint32_t)info.mask),
                     "d"((uint32_t)(info.mask >> 32)) : "memory");
    fpu_set_xcr0(xcr0);
}
