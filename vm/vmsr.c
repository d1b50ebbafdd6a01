/* Guest MSR policy (see include/arch/vmsr.h; every MSR and why:
 * docs/cpu-policy.md). MSR numbers and layouts: SDM Vol. 4 table 2-2;
 * MTRRs: SDM Vol. 3A 12.11; machine check: SDM Vol. 3B 16.3. */
#include <arch/vmsr.h>
#include <arch/vmcs.h>
#include <arch/msr.h>
#include <hv/string.h>

#define MSR_TSC              0x10
#define MSR_PLATFORM_ID      0x17
#define MSR_TSC_ADJUST       0x3b
#define MSR_BIOS_UPDT_TRIG   0x79
#define MSR_BIOS_SIGN_ID     0x8b           /* IA32_UCODE_REV */
#define MSR_MTRRCAP          0xfe
#define MSR_SYSENTER_CS      0x174
#define MSR_SYSENTER_ESP     0x175
#define MSR_SYSENTER_EIP     0x176
#define MSR_MCG_CAP          0x179
#define MSR_MCG_STATUS       0x17a
#define MSR_DEBUGCTL         0x1d9
#define MSR_MTRR_PHYS_BASE0  0x200
#define MSR_MTRR_FIX64K      0x250
#define MSR_MTRR_FIX16K_0    0x258
#define MSR_MTRR_FIX16K_1    0x259
#define MSR_MTRR_FIX4K_0     0x268
#define MSR_MTRR_DEF_TYPE    0x2ff

/* IA32_MISC_ENABLE: fast strings (0) is the guest's; BTS (11) and PEBS
 * (12) read as unavailable; the rest reads 0 and ignores writes: no
 * performance monitoring (7), thermal control (3), SpeedStep (16),
 * MONITOR/MWAIT (18, CPUID.1:ECX.MONITOR is hidden), limit CPUID (22),
 * xTPR (23) or XD disable (34). */
#define MISC_ENABLE_FIXED    (BIT(11) | BIT(12))
#define MISC_ENABLE_WRITABLE BIT(0)

/* Microcode revision a guest reads (in the high half, SDM Vol. 3A
 * 10.11.7.1): a fixed 1, as KVM reports; the host's is none of its
 * business and no guest may load microcode. */
#define UCODE_REV            0x100000000ULL

/* MTRRCAP: 8 variable ranges (7:0), fixed ranges (8), WC (10); no SMRR
 * (11), so IA32_SMRR_PHYSBASE/MASK #GP. */
#define MTRRCAP_VALUE        (VMSR_VAR_MTRRS | BIT(8) | BIT(10))
/* Physical-address bits above 51 are reserved in every MTRR base and
 * mask (MAXPHYADDR is at most 52). */
#define MTRR_ADDR_RESERVED   (~0ULL << 52)

/* IA32_DEBUGCTL: single-step on branches (BTF, 1) only; LBR, BTS and the
 * freeze bits need the PMU, which is not there. */
#define DEBUGCTL_BTF         BIT(1)

/* EFER: SCE, LME, LMA (read-only here), NXE. */
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static int fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K)
        return 0;
    if (msr == MSR_MTRR_FIX16K_0 || msr == MSR_MTRR_FIX16K_1)
        return 1 + (int)(msr - MSR_MTRR_FIX16K_0);
    if (msr >= MSR_MTRR_FIX4K_0 && msr < MSR_MTRR_FIX4K_0 + 8)
        return 3 + (int)(msr - MSR_MTRR_FIX4K_0);
    return -1;
}

static bool is_var_mtrr(uint32_t msr)
{
    return msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * VMSR_VAR_MTRRS;
}

/* Memory types valid in MTRRs: UC 0, WC 1, WT 4, WP 5, WB 6. */
static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool fixed_ok(uint64_t v)
{
    for (int i = 0; i < 8; i++)
        if (!mtrr_type_ok((v >> (i * 8)) & 0xff))
            return false;
    return true;
}

void vmsr_reset(struct vmsr *s, bool bsp)
{
    memset(s, 0, sizeof(*s));
    s->apic_base = 0xfee00000ULL | BIT(11) | (bsp ? BIT(8) : 0);
    s->misc_enable = MISC_ENABLE_FIXED | BIT(0);
}

static bool vmcs_backed(uint32_t msr, uint32_t *field)
{
    switch (msr) {
    case MSR_IA32_EFER:     *field = VMCS_GUEST_EFER; return true;
    case MSR_IA32_PAT:      *field = VMCS_GUEST_PAT; return true;
    case MSR_SYSENTER_CS:   *field = VMCS_GUEST_SYSENTER_CS; return true;
    case MSR_SYSENTER_ESP:  *field = VMCS_GUEST_SYSENTER_ESP; return true;
    case MSR_SYSENTER_EIP:  *field = VMCS_GUEST_SYSENTER_EIP; return true;
    case MSR_FS_BASE:       *field = VMCS_GUEST_FS_BASE; return true;
    case MSR_GS_BASE:       *field = VMCS_GUEST_GS_BASE; return true;
    case MSR_DEBUGCTL:      *field = VMCS_GUEST_DEBUGCTL; return true;
    }
    return false;
}

enum vmsr_result vmsr_read(const struct vmsr *s, uint32_t msr, uint64_t *val, uint32_t *field)
{
    int fi;

    if (vmcs_backed(msr, field))
        return VMSR_VMCS;
    switch (msr) {
    case MSR_TSC:               return VMSR_TSC;
    case MSR_IA32_APIC_BASE:    *val = s->apic_base; return VMSR_OK;
    case MSR_IA32_FEATURE_CONTROL: *val = FEATURE_CONTROL_LOCK; return VMSR_OK;  /* VMX off */
    case MSR_IA32_MISC_ENABLE:  *val = s->misc_enable; return VMSR_OK;
    case MSR_TSC_ADJUST:        *val = s->tsc_adjust; return VMSR_OK;
    case MSR_BIOS_SIGN_ID:      *val = UCODE_REV; return VMSR_OK;
    case MSR_PLATFORM_ID:
    case MSR_PLATFORM_INFO:     /* no ratios, no CPUID faulting */
    case MSR_MCG_CAP:           /* no banks, no MCG_CTL, no extensions */
    case MSR_MCG_STATUS:
        *val = 0;
        return VMSR_OK;
    case MSR_MTRRCAP:           *val = MTRRCAP_VALUE; return VMSR_OK;
    case MSR_MTRR_DEF_TYPE:     *val = s->mtrr_def_type; return VMSR_OK;
    }
    if (is_var_mtrr(msr)) {
        *val = s->mtrr_var[msr - MSR_MTRR_PHYS_BASE0];
        return VMSR_OK;
    }
    if ((fi = fixed_index(msr)) >= 0) {
        *val = s->mtrr_fixed[fi];
        return VMSR_OK;
    }
    return VMSR_GP;
}

enum vmsr_result vmsr_write(struct vmsr *s, uint32_t msr, uint64_t val, uint32_t *field)
{
    int fi;

    if (msr == MSR_IA32_EFER && (val & ~EFER_ALLOWED))
        return VMSR_GP;
    if (msr == MSR_IA32_PAT) {
        for (int i = 0; i < 8; i++) {
            uint64_t t = (val >> (i * 8)) & 0xff;
            if (!(mtrr_type_ok(t) || t == 7))       /* PAT also allows UC- (7) */
                return VMSR_GP;
        }
    }
    if ((msr == MSR_FS_BASE || msr == MSR_GS_BASE || msr == MSR_SYSENTER_ESP ||
         msr == MSR_SYSENTER_EIP) && ((int64_t)(val << 16) >> 16) != (int64_t)val)
        return VMSR_GP;                             /* non-canonical */
    if (msr == MSR_DEBUGCTL && (val & ~DEBUGCTL_BTF))
        return VMSR_GP;
    if (vmcs_backed(msr, field))
        return VMSR_VMCS;
    switch (msr) {
    case MSR_TSC:
        return VMSR_TSC;
    case MSR_IA32_APIC_BASE:
        /* Base fixed at 0xfee00000; enable (11) and x2APIC (10) writable,
         * BSP (8) read-only; x2APIC without enable is invalid (SDM 11.12.5). */
        if ((val & ~(BIT(8) | BIT(10) | BIT(11))) != 0xfee00000ULL ||
            ((val & BIT(10)) && !(val & BIT(11))))
            return VMSR_GP;
        s->apic_base = (val & (BIT(10) | BIT(11))) | 0xfee00000ULL | (s->apic_base & BIT(8));
        return VMSR_OK;
    case MSR_IA32_MISC_ENABLE:
        s->misc_enable = (s->misc_enable & ~MISC_ENABLE_WRITABLE) | (val & MISC_ENABLE_WRITABLE);
        return VMSR_OK;
    case MSR_TSC_ADJUST:        s->tsc_adjust = val; return VMSR_OK;
    case MSR_BIOS_SIGN_ID:                          /* "load the revision": ignored */
    case MSR_BIOS_UPDT_TRIG:                        /* microcode update: ignored */
        return VMSR_OK;
    case MSR_MCG_STATUS:        return val ? VMSR_GP : VMSR_OK;
    case MSR_MTRR_DEF_TYPE:
        if ((val & ~0xcffULL) || !mtrr_type_ok(val & 0xff))
            return VMSR_GP;
        s->mtrr_def_type = val;
        return VMSR_OK;
    }
    if (is_var_mtrr(msr)) {
        bool is_base = ((msr - MSR_MTRR_PHYS_BASE0) & 1) == 0;
        if ((val & MTRR_ADDR_RESERVED) ||
            (is_base ? ((val & 0xf00) || !mtrr_type_ok(val & 0xff)) : (val & 0x7ff)))
            return VMSR_GP;
        s->mtrr_var[msr - MSR_MTRR_PHYS_BASE0] = val;
        return VMSR_OK;
    }
    if ((fi = fixed_index(msr)) >= 0) {
        if (!fixed_ok(val))
            return VMSR_GP;
        s->mtrr_fixed[fi] = val;
        return VMSR_OK;
    }
    return VMSR_GP;
}
