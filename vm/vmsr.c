/* Guest MSR policy (see include/arch/vmsr.h). MSR numbers and layouts:
 * SDM Vol. 4 table 2-2; MTRRs: SDM Vol. 3A 12.11. */
#include <arch/vmsr.h>
#include <arch/vmcs.h>
#include <arch/msr.h>
#include <hv/string.h>

#define MSR_TSC              0x10
#define MSR_PLATFORM_ID      0x17
#define MSR_TSC_ADJUST       0x3b
#define MSR_BIOS_SIGN_ID     0x8b
#define MSR_MTRRCAP          0xfe
#define MSR_SYSENTER_CS      0x174
#define MSR_SYSENTER_ESP     0x175
#define MSR_SYSENTER_EIP     0x176
#define MSR_MCG_CAP          0x179
#define MSR_MCG_STATUS       0x17a
#define MSR_MTRR_PHYS_BASE0  0x200
#define MSR_MTRR_FIX64K      0x250
#define MSR_MTRR_FIX16K_0    0x258
#define MSR_MTRR_FIX16K_1    0x259
#define MSR_MTRR_FIX4K_0     0x268
#define MSR_MTRR_DEF_TYPE    0x2ff

/* Writable MISC_ENABLE bits: fast strings (0) and MONITOR enable (18)
 * read back; the rest are fixed. */
#define MISC_ENABLE_FIXED    (BIT(11) | BIT(12))    /* no BTS, no PEBS */
#define MISC_ENABLE_WRITABLE (BIT(0) | BIT(18))

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
    case MSR_IA32_TSC_DEADLINE: *val = s->tsc_deadline; return VMSR_OK;
    case MSR_TSC_ADJUST:        *val = s->tsc_adjust; return VMSR_OK;
    case MSR_PLATFORM_ID:
    case MSR_BIOS_SIGN_ID:
    case MSR_MCG_CAP:           /* no machine-check banks */
    case MSR_MCG_STATUS:
        *val = 0;
        return VMSR_OK;
    case MSR_MTRRCAP:           /* 8 variable ranges, fixed ranges, WC */
        *val = VMSR_VAR_MTRRS | BIT(8) | BIT(10);
        return VMSR_OK;
    case MSR_MTRR_DEF_TYPE:     *val = s->mtrr_def_type; return VMSR_OK;
    }
    if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * VMSR_VAR_MTRRS) {
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
    case MSR_IA32_TSC_DEADLINE: s->tsc_deadline = val; return VMSR_OK;
    case MSR_TSC_ADJUST:        s->tsc_adjust = val; return VMSR_OK;
    case MSR_BIOS_SIGN_ID:      return VMSR_OK;     /* microcode query: ignored */
    case MSR_MCG_STATUS:        return val ? VMSR_GP : VMSR_OK;
    case MSR_MTRR_DEF_TYPE:
        if ((val & ~0xcffULL) || !mtrr_type_ok(val & 0xff))
            return VMSR_GP;
        s->mtrr_def_type = val;
        return VMSR_OK;
    }
    if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * VMSR_VAR_MTRRS) {
        bool is_base = ((msr - MSR_MTRR_PHYS_BASE0) & 1) == 0;
        if (is_base ? ((val & 0xf00) || !mtrr_type_ok(val & 0xff)) : (val & 0x7ff))
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
