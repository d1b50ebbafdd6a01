/* MSR numbers (SDM Vol. 4, chapter 2). */
#ifndef ARCH_MSR_H
#define ARCH_MSR_H

#define MSR_IA32_APIC_BASE            0x01b
#define MSR_IA32_FEATURE_CONTROL      0x03a
#define MSR_IA32_TSC_ADJUST           0x03b
#define MSR_IA32_TSC_DEADLINE         0x6e0
/* x2APIC registers: MSR 0x800 + offset / 16 (SDM Vol. 3A 11.12.1.2). */
#define MSR_X2APIC_FIRST              0x800
#define MSR_X2APIC_LAST               0x8ff
#define MSR_X2APIC_ICR                0x830
#define MSR_IA32_MISC_ENABLE          0x1a0
#define MSR_IA32_PAT                  0x277
#define MSR_PLATFORM_INFO             0x0ce
#define MSR_IA32_EFER                 0xc0000080
#define MSR_FS_BASE                   0xc0000100
#define MSR_GS_BASE                   0xc0000101
#define MSR_STAR                      0xc0000081
#define MSR_LSTAR                     0xc0000082
#define MSR_CSTAR                     0xc0000083
#define MSR_SFMASK                    0xc0000084
#define MSR_KERNEL_GS_BASE            0xc0000102
#define MSR_TSC_AUX                   0xc0000103

#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_MISC             0x485
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_VMCS_ENUM        0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS   0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS  0x490
#define MSR_IA32_VMX_VMFUNC           0x491
#define MSR_IA32_VMX_PROCBASED_CTLS3  0x492

#define MSR_X2APIC_BASE               0x800

#define EFER_SCE  (1ULL << 0)
#define EFER_LME  (1ULL << 8)
#define EFER_LMA  (1ULL << 10)
#define EFER_NXE  (1ULL << 11)

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C 24.7). */
#define FEATURE_CONTROL_LOCK              (1ULL << 0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX    (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX   (1ULL << 2)

#endif
