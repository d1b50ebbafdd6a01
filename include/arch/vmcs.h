/*
 * VMCS field encodings (SDM Vol. 3D appendix B) and typed accessors.
 * The width lives in encoding bits 14:13 (0: 16-bit, 1: 64-bit, 2: 32-bit,
 * 3: natural width); each accessor checks it at compile time, so a 32-bit
 * field can't be written through the 64-bit accessor by mistake.
 */
#ifndef ARCH_VMCS_H
#define ARCH_VMCS_H

#include <hv/compiler.h>
#include <arch/vmx_ops.h>

/* 16-bit fields */
#define VMCS_VPID                    0x0000
#define VMCS_GUEST_ES_SEL            0x0800
#define VMCS_GUEST_CS_SEL            0x0802
#define VMCS_GUEST_SS_SEL            0x0804
#define VMCS_GUEST_DS_SEL            0x0806
#define VMCS_GUEST_FS_SEL            0x0808
#define VMCS_GUEST_GS_SEL            0x080a
#define VMCS_GUEST_LDTR_SEL          0x080c
#define VMCS_GUEST_TR_SEL            0x080e
#define VMCS_HOST_ES_SEL             0x0c00
#define VMCS_HOST_CS_SEL             0x0c02
#define VMCS_HOST_SS_SEL             0x0c04
#define VMCS_HOST_DS_SEL             0x0c06
#define VMCS_HOST_FS_SEL             0x0c08
#define VMCS_HOST_GS_SEL             0x0c0a
#define VMCS_HOST_TR_SEL             0x0c0c

/* 64-bit fields */
#define VMCS_IO_BITMAP_A             0x2000
#define VMCS_IO_BITMAP_B             0x2002
#define VMCS_MSR_BITMAP              0x2004
#define VMCS_EXIT_MSR_STORE_ADDR     0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR      0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR     0x200a
#define VMCS_TSC_OFFSET              0x2010
#define VMCS_VIRTUAL_APIC_ADDR       0x2012
#define VMCS_APIC_ACCESS_ADDR        0x2014
#define VMCS_EPT_POINTER             0x201a
#define VMCS_GUEST_PHYS_ADDR         0x2400
#define VMCS_LINK_POINTER            0x2800
#define VMCS_GUEST_DEBUGCTL          0x2802
#define VMCS_GUEST_PAT               0x2804
#define VMCS_GUEST_EFER              0x2806
#define VMCS_GUEST_PDPTE0            0x280a
#define VMCS_GUEST_PDPTE1            0x280c
#define VMCS_GUEST_PDPTE2            0x280e
#define VMCS_GUEST_PDPTE3            0x2810
#define VMCS_HOST_PAT                0x2c00
#define VMCS_HOST_EFER               0x2c02

/* 32-bit fields */
#define VMCS_PIN_CTLS                0x4000
#define VMCS_PROC_CTLS               0x4002
#define VMCS_EXCEPTION_BITMAP        0x4004
#define VMCS_PF_ERROR_MASK           0x4006
#define VMCS_PF_ERROR_MATCH          0x4008
#define VMCS_CR3_TARGET_COUNT        0x400a
#define VMCS_EXIT_CTLS               0x400c
#define VMCS_EXIT_MSR_STORE_COUNT    0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT     0x4010
#define VMCS_ENTRY_CTLS              0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT    0x4014
#define VMCS_ENTRY_INTR_INFO         0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR   0x4018
#define VMCS_ENTRY_INSN_LEN          0x401a
#define VMCS_TPR_THRESHOLD           0x401c
#define VMCS_PROC2_CTLS              0x401e
#define VMCS_VM_INSN_ERROR           0x4400
#define VMCS_EXIT_REASON             0x4402
#define VMCS_EXIT_INTR_INFO          0x4404
#define VMCS_EXIT_INTR_ERROR         0x4406
#define VMCS_IDT_VECTORING_INFO      0x4408
#define VMCS_IDT_VECTORING_ERROR     0x440a
#define VMCS_EXIT_INSN_LEN           0x440c
#define VMCS_EXIT_INSN_INFO          0x440e
#define VMCS_GUEST_ES_LIMIT          0x4800
#define VMCS_GUEST_CS_LIMIT          0x4802
#define VMCS_GUEST_SS_LIMIT          0x4804
#define VMCS_GUEST_DS_LIMIT          0x4806
#define VMCS_GUEST_FS_LIMIT          0x4808
#define VMCS_GUEST_GS_LIMIT          0x480a
#define VMCS_GUEST_LDTR_LIMIT        0x480c
#define VMCS_GUEST_TR_LIMIT          0x480e
#define VMCS_GUEST_GDTR_LIMIT        0x4810
#define VMCS_GUEST_IDTR_LIMIT        0x4812
#define VMCS_GUEST_ES_AR             0x4814
#define VMCS_GUEST_CS_AR             0x4816
#define VMCS_GUEST_SS_AR             0x4818
#define VMCS_GUEST_DS_AR             0x481a
#define VMCS_GUEST_FS_AR             0x481c
#define VMCS_GUEST_GS_AR             0x481e
#define VMCS_GUEST_LDTR_AR           0x4820
#define VMCS_GUEST_TR_AR             0x4822
#define VMCS_GUEST_INTERRUPTIBILITY  0x4824
#define VMCS_GUEST_ACTIVITY_STATE    0x4826
#define VMCS_GUEST_SYSENTER_CS       0x482a
#define VMCS_PREEMPTION_TIMER        0x482e
#define VMCS_HOST_SYSENTER_CS        0x4c00

/* Natural-width fields */
#define VMCS_CR0_MASK                0x6000
#define VMCS_CR4_MASK                0x6002
#define VMCS_CR0_READ_SHADOW         0x6004
#define VMCS_CR4_READ_SHADOW         0x6006
#define VMCS_EXIT_QUALIFICATION      0x6400
#define VMCS_GUEST_LINEAR_ADDR       0x640a
#define VMCS_GUEST_CR0               0x6800
#define VMCS_GUEST_CR3               0x6802
#define VMCS_GUEST_CR4               0x6804
#define VMCS_GUEST_ES_BASE           0x6806
#define VMCS_GUEST_CS_BASE           0x6808
#define VMCS_GUEST_SS_BASE           0x680a
#define VMCS_GUEST_DS_BASE           0x680c
#define VMCS_GUEST_FS_BASE           0x680e
#define VMCS_GUEST_GS_BASE           0x6810
#define VMCS_GUEST_LDTR_BASE         0x6812
#define VMCS_GUEST_TR_BASE           0x6814
#define VMCS_GUEST_GDTR_BASE         0x6816
#define VMCS_GUEST_IDTR_BASE         0x6818
#define VMCS_GUEST_DR7               0x681a
#define VMCS_GUEST_RSP               0x681c
#define VMCS_GUEST_RIP               0x681e
#define VMCS_GUEST_RFLAGS            0x6820
#define VMCS_GUEST_PENDING_DBG       0x6822
#define VMCS_GUEST_SYSENTER_ESP      0x6824
#define VMCS_GUEST_SYSENTER_EIP      0x6826
#define VMCS_HOST_CR0                0x6c00
#define VMCS_HOST_CR3                0x6c02
#define VMCS_HOST_CR4                0x6c04
#define VMCS_HOST_FS_BASE            0x6c06
#define VMCS_HOST_GS_BASE            0x6c08
#define VMCS_HOST_TR_BASE            0x6c0a
#define VMCS_HOST_GDTR_BASE          0x6c0c
#define VMCS_HOST_IDTR_BASE          0x6c0e
#define VMCS_HOST_SYSENTER_ESP       0x6c10
#define VMCS_HOST_SYSENTER_EIP       0x6c12
#define VMCS_HOST_RSP                0x6c14
#define VMCS_HOST_RIP                0x6c16

/* VM-entry and VM-exit interruption information (SDM Vol. 3C 25.8.3,
 * 25.9.2) and IDT-vectoring information (25.9.3). */
#define INTR_INFO_VECTOR(i)      ((i) & 0xffu)
#define INTR_INFO_TYPE(i)        ((i) & (7u << 8))
#define INTR_INFO_DELIVER_CODE   BIT(11)
#define INTR_INFO_VALID          BIT(31)
#define INTR_TYPE_EXT_INTR       (0u << 8)
#define INTR_TYPE_NMI            (2u << 8)
#define INTR_TYPE_HW_EXC         (3u << 8)
#define INTR_TYPE_SW_INTR        (4u << 8)
#define INTR_TYPE_PRIV_SW_EXC    (5u << 8)
#define INTR_TYPE_SW_EXC         (6u << 8)

/* Guest interruptibility state (SDM Vol. 3C 25.4.2, table 25-3). */
#define INTERRUPTIBILITY_STI     BIT(0)
#define INTERRUPTIBILITY_MOV_SS  BIT(1)
#define INTERRUPTIBILITY_NMI     BIT(3)

#define VMCS_WIDTH(f)   (((f) >> 13) & 3)
#define VMCS_W16  0
#define VMCS_W64  1
#define VMCS_W32  2
#define VMCS_WNAT 3

/* Report a failed access: field, value, VM-instruction error. Stops only
 * the guest (the caller decides); never silent. */
void vmcs_report_failure(const char *op, uint32_t field, uint64_t value, const char *caller);

void vmcs_report_width(uint32_t field, unsigned width, const char *caller);

/* The width is checked at run time too, for fields taken from tables. */
#define VMCS_ACCESSORS(name, type, width)                                          \
    static inline void __vmcs_write##name(uint32_t f, type v, const char *caller)  \
    {                                                                               \
        if (VMCS_WIDTH(f) != (width))                                               \
            vmcs_report_width(f, width, caller);                                    \
        else if (!vmx_vmwrite(f, v))                                             \
            vmcs_report_failure("VMWRITE", f, v, caller);                           \
    }                                                                               \
    static inline type __vmcs_read##name(uint32_t f, const char *caller)            \
    {                                                                               \
        uint64_t v = 0;                                                             \
        if (VMCS_WIDTH(f) != (width))                                               \
            vmcs_report_width(f, width, caller);                                    \
        else if (!vmx_vmread(f, &v))                                             \
            vmcs_report_failure("VMREAD", f, 0, caller);                            \
        return (type)v;                                                             \
    }
VMCS_ACCESSORS(16, uint16_t, VMCS_W16)
VMCS_ACCESSORS(32, uint32_t, VMCS_W32)
VMCS_ACCESSORS(64, uint64_t, VMCS_W64)
VMCS_ACCESSORS(nat, uint64_t, VMCS_WNAT)
#undef VMCS_ACCESSORS

/* Compile-time width check for constant fields; table-driven callers
 * (non-constant f) get the run-time check above. */
#define VMCS_CHECK(f, w) \
    ((void)sizeof(char[(__builtin_constant_p(f) && VMCS_WIDTH(f) != (w)) ? -1 : 1]))
#define vmcs_write16(f, v)  ({ VMCS_CHECK(f, VMCS_W16); __vmcs_write16(f, v, __func__); })
#define vmcs_write32(f, v)  ({ VMCS_CHECK(f, VMCS_W32); __vmcs_write32(f, v, __func__); })
#define vmcs_write64(f, v)  ({ VMCS_CHECK(f, VMCS_W64); __vmcs_write64(f, v, __func__); })
#define vmcs_writenat(f, v) ({ VMCS_CHECK(f, VMCS_WNAT); __vmcs_writenat(f, v, __func__); })
#define vmcs_read16(f)      ({ VMCS_CHECK(f, VMCS_W16); __vmcs_read16(f, __func__); })
#define vmcs_read32(f)      ({ VMCS_CHECK(f, VMCS_W32); __vmcs_read32(f, __func__); })
#define vmcs_read64(f)      ({ VMCS_CHECK(f, VMCS_W64); __vmcs_read64(f, __func__); })
#define vmcs_readnat(f)     ({ VMCS_CHECK(f, VMCS_WNAT); __vmcs_readnat(f, __func__); })

/* Any field, its width taken from the encoding (fields from tables). */
uint64_t vmcs_read_any(uint32_t field);
void vmcs_write_any(uint32_t field, uint64_t value);

struct percpu;
struct vmx_caps;
/* Host state of the running CPU `pc` (SDM Vol. 3C 26.2.2-26.2.4). */
void vmcs_write_host_state(struct percpu *pc);
/* Guest start states: flat 32-bit protected mode without paging
 * (multiboot), and real mode at CS:IP with RSP 0xfffe. */
void vmcs_guest_flat32(void);
void vmcs_guest_real(uint16_t cs, uint16_t ip);
/* INVEPT and INVVPID for one guest context, by what the CPU supports
 * (SDM Vol. 3C 29.4.3); false (and reported) if one failed. */
bool vmcs_invalidate_tlb(const struct vmx_caps *c, uint64_t eptp, uint16_t vpid);

#endif
