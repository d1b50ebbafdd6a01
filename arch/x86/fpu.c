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
#include <hv/log.h>

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
#define CPUIDD1_XSAVEC    BIT(1)
/* User components only: supervisor ones (XSS) are not given to guests. */
#define USER_MASK         (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_BNDREGS | \
                           XFEATURE_BNDCSR | XFEATURE_AVX512 | XFEATURE_PKRU | \
                           XFEATURE_TILECFG | XFEATURE_TILEDATA)

static struct fpu_info info;

static uint8_t probe_std[XSAVEC_PROBE_SIZE] __attribute__((aligned(64)));
static uint8_t probe_cmp[XSAVEC_PROBE_SIZE] __attribute__((aligned(64)));
static uint8_t probe_avx[XSAVE_AVX_SIZE];

/* Does XSAVEC write the compacted format the SDM defines (include/arch/
 * fpu.h, xsavec_image_ok)? AVX state is loaded from a standard-format
 * image by XRSTOR, saved by XSAVEC and looked for where the SDM puts it;
 * then every component goes back to its initial state. Runs once, on
 * the first CPU, before any vCPU's state is in the registers. A CPU
 * without AVX has no component XSAVEC could misplace. */
static bool xsavec_check(int *at)
{
    const uint64_t rfbm = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
    struct cpuid_regs d2 = cpuid(0xd, 2);
    *at = XSAVE_COMPACT_BASE;
    if (!(info.mask & XFEATURE_AVX))
        return true;
    *at = -1;
    if (d2.eax != XSAVE_AVX_SIZE || d2.ebx != XSAVE_COMPACT_BASE)
        return false;               /* not the layout every Intel 64 CPU has */
    memset(probe_std, 0, sizeof(probe_std));
    memset(probe_cmp, 0, sizeof(probe_cmp));
    uint16_t fcw = FCW_INIT;
    uint32_t mxcsr = MXCSR_INIT;
    uint64_t bv = XFEATURE_AVX;
    memcpy(probe_std + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(probe_std + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
    memcpy(probe_std + XSAVE_XSTATE_BV, &bv, sizeof(bv));
    for (unsigned i = 0; i < XSAVE_AVX_SIZE; i++)
        probe_avx[i] = (uint8_t)(i * 37 + 11);
    memcpy(probe_std + XSAVE_COMPACT_BASE, probe_avx, XSAVE_AVX_SIZE);

    fpu_set_xcr0(rfbm);
    __asm__ volatile("xrstorq (%0)" : : "r"(probe_std), "a"((uint32_t)rfbm), "d"(0u) : "memory");
    __asm__ volatile("xsavec64 (%0)" : : "r"(probe_cmp), "a"((uint32_t)rfbm), "d"(0u) : "memory");
    bv = 0;                         /* every component to its initial state */
    memcpy(probe_std + XSAVE_XSTATE_BV, &bv, sizeof(bv));
    __asm__ volatile("xrstorq (%0)" : : "r"(probe_std), "a"((uint32_t)rfbm), "d"(0u) : "memory");
    fpu_set_xcr0(XFEATURE_X87);

    *at = xsavec_avx_offset(probe_cmp, probe_avx);
    return xsavec_image_ok(probe_cmp, probe_avx);
}

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
        if (cpuid(0xd, 1).eax & CPUIDD1_XSAVEC) {
            info.xsavec = xsavec_check(&info.xsavec_avx_at);
            if (!info.xsavec)
                kprintf("fpu: XSAVEC puts the AVX state at %d, not at %d (SDM Vol. 1 13.4.3): "
                        "XSAVEC hidden from guests\n", info.xsavec_avx_at, XSAVE_COMPACT_BASE);
        }
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
