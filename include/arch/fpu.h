/*
 * x87/SSE/AVX state and XCR0 (SDM Vol. 1 chapter 13). The hypervisor
 * itself never touches this state (the core is built without SSE), so a
 * guest's registers stay in the CPU across its exits and are saved only
 * when the CPU runs another vCPU (vm/vcpu_state.c).
 *
 * arch/x86/fpu.c is the hardware side (CR4.OSXSAVE for the hypervisor,
 * XSAVE/XRSTOR or FXSAVE/FXRSTOR); the XCR0 rules are pure
 * (arch/x86/xcr0.c, unit-tested).
 */
#ifndef ARCH_FPU_H
#define ARCH_FPU_H

#include <hv/compiler.h>

/* XCR0 state components (SDM Vol. 1 13.1). */
#define XFEATURE_X87        BIT(0)
#define XFEATURE_SSE        BIT(1)
#define XFEATURE_AVX        BIT(2)
#define XFEATURE_BNDREGS    BIT(3)
#define XFEATURE_BNDCSR     BIT(4)
#define XFEATURE_OPMASK     BIT(5)
#define XFEATURE_ZMM_HI256  BIT(6)
#define XFEATURE_HI16_ZMM   BIT(7)
#define XFEATURE_PKRU       BIT(9)
#define XFEATURE_TILECFG    BIT(17)
#define XFEATURE_TILEDATA   BIT(18)
#define XFEATURE_AVX512     (XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | XFEATURE_HI16_ZMM)

/* May XCR0 take `val` on a CPU whose XCR0-settable components are
 * `supported` (CPUID.(EAX=0DH,ECX=0):EDX:EAX)? The rules of XSETBV (SDM
 * Vol. 1 13.3, Vol. 2D XSETBV): x87 always set, AVX needs SSE, the three
 * AVX-512 components all or none and only with AVX, MPX's two together,
 * AMX's two together, nothing the CPU does not support. */
bool xcr0_valid(uint64_t val, uint64_t supported);

/* The XSAVEC check of fpu_cpu_init(): XSAVEC (RFBM = x87|SSE|AVX) saved
 * `img` while the AVX component (YMM0-15's upper halves, 256 bytes) held
 * `avx`. The compacted format (SDM Vol. 1 13.4.3) puts that component,
 * the first one above SSE, right after the legacy area and the header at
 * XSAVE_COMPACT_BASE, with XSTATE_BV and XCOMP_BV saying so. Bochs 2.7's
 * XSAVEC puts it at 416 (after the 256 bytes of XMM registers at 160),
 * so an XRSTOR of its image loads other bytes: a guest kernel that saves
 * its tasks with XSAVEC (Linux 5.19+ does when XSAVES is absent) then
 * loses their AVX and AVX-512 registers at every context switch.
 * xsavec_avx_offset: where the first 32 AVX bytes are (XSAVE_COMPACT_BASE
 * when right), -1 when nowhere. Pure. */
#define XSAVE_XSTATE_BV     512     /* the header's fields (SDM Vol. 1 13.4.2) */
#define XSAVE_XCOMP_BV      520
#define XSAVE_COMPACT_BASE  576
#define XSAVE_AVX_SIZE      256
#define XSAVEC_PROBE_SIZE   (XSAVE_COMPACT_BASE + XSAVE_AVX_SIZE)
int xsavec_avx_offset(const uint8_t img[XSAVEC_PROBE_SIZE], const uint8_t avx[XSAVE_AVX_SIZE]);
bool xsavec_image_ok(const uint8_t img[XSAVEC_PROBE_SIZE], const uint8_t avx[XSAVE_AVX_SIZE]);

/* Hardware side (arch/x86/fpu.c). */
struct fpu_info {
    bool xsave;             /* XSAVE/XRSTOR and XCR0; else FXSAVE/FXRSTOR */
    uint64_t mask;          /* every user component this CPU supports */
    uint32_t size;          /* bytes of a save area for all of them */
    bool xsavec;            /* XSAVEC present and writing the SDM's compacted
                             * layout (xsavec_image_ok): else hidden from guests */
    int xsavec_avx_at;      /* where the check found the AVX bytes (-1: nowhere) */
};
/* On every CPU at bring-up: CR4.OSFXSR and CR4.OSXSAVE for the
 * hypervisor, so that it may save guest state and execute XSETBV. */
void fpu_cpu_init(void);
const struct fpu_info *fpu_info(void);
/* A save area in its initial state (x87 FCW 0x37f, MXCSR 0x1f80,
 * everything else zero: SDM Vol. 3A 10.1.1, table 10-1). */
void fpu_area_init(void *area);
/* Save / restore every supported component, then leave XCR0 = `xcr0`. */
void fpu_save(void *area);
void fpu_restore(const void *area, uint64_t xcr0);
static inline void fpu_set_xcr0(uint64_t val)
{
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

#endif
