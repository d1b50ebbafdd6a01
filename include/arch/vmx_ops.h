/*
 * Every VMX instruction the hypervisor executes, in one place (SDM Vol. 3C
 * chapter 31). Each returns whether it succeeded: VMfailInvalid sets CF,
 * VMfailValid sets ZF (31.2); the caller reads the VM-instruction error
 * and reports it. VMLAUNCH/VMRESUME are vmx_enter (vmx/entry.asm), which
 * also saves and restores the guest's general registers.
 */
#ifndef ARCH_VMX_OPS_H
#define ARCH_VMX_OPS_H

#include <hv/compiler.h>

/* How a VMX instruction ended (SDM Vol. 3C 31.2), or VMXON's fault. */
enum vmx_status { VMX_OK, VMX_FAIL_INVALID, VMX_FAIL_VALID, VMX_FAULT };

static inline enum vmx_status vmx_status(bool cf, bool zf)
{
    return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

/* VMXON can also raise #GP/#UD for conditions software cannot see (A20M,
 * an emulator disagreeing with its own MSRs): an exception-table entry
 * (arch/x86/idt.c) turns that into VMX_FAULT instead of a lost CPU. */
static inline enum vmx_status vmx_vmxon(uint64_t phys)
{
    bool cf, zf;
    int f = 0;

    __asm__ volatile("1: vmxon %[pa]\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".quad 1b, 3f\n"
                     ".popsection\n"
                     ".pushsection .text.fixup, \"ax\"\n"
                     "3: movl $1, %[fault]\n"
                     "jmp 2b\n"
                     ".popsection"
                     : "=@ccc"(cf), "=@ccz"(zf), [fault] "+r"(f)
                     : [pa] "m"(phys)
                     : "memory");
    return f ? VMX_FAULT : vmx_status(cf, zf);
}

static inline enum vmx_status vmx_vmxoff(void)
{
    bool cf, zf;
    __asm__ volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
    return vmx_status(cf, zf);
}

static inline bool vmx_vmclear(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

static inline bool vmx_vmptrld(uint64_t pa)
{
    uint8_t fail;
    __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
    return !fail;
}

/* VMWRITE/VMREAD of the current VMCS. Inline: they are on every exit
 * path (make bench). Typed, width-checked accessors: <arch/vmcs.h>. */
static inline bool vmx_vmwrite(uint32_t field, uint64_t value)
{
    bool ok;
    __asm__ volatile("vmwrite %2, %1" : "=@cca"(ok) : "r"((uint64_t)field), "rm"(value)
                     : "memory");
    return ok;
}

static inline bool vmx_vmread(uint32_t field, uint64_t *value)
{
    bool ok;
    uint64_t v;
    __asm__ volatile("vmread %2, %1" : "=@cca"(ok), "=rm"(v) : "r"((uint64_t)field));
    *value = v;
    return ok;
}

/* INVEPT/INVVPID types (SDM Vol. 3C 31.3). */
#define VMX_INV_SINGLE  1ULL        /* one EPTP / one VPID */
#define VMX_INV_ALL     2ULL        /* all contexts */

static inline bool vmx_invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, zero; } desc = { eptp, 0 };
    uint8_t fail;
    __asm__ volatile("invept %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"(type)
                     : "cc", "memory");
    return !fail;
}

static inline bool vmx_invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, addr; } desc = { vpid, 0 };
    uint8_t fail;
    __asm__ volatile("invvpid %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"(type)
                     : "cc", "memory");
    return !fail;
}

/* VMLAUNCH (launched == 0) or VMRESUME with the guest registers at the
 * start of `regs` (struct vcpu: regs, then host_rsp). 0 after a VM exit;
 * 1 VMfailInvalid; 2 VMfailValid (vmx/entry.asm). */
int vmx_enter(void *regs, int launched);

#endif
