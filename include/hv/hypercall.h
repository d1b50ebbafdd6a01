/*
 * The hypercall ABI (docs/hypercalls.md): VMCALL with the function number
 * in RAX, arguments in RBX, RCX, RDX; the result comes back in RAX
 * (negative: error).
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#define HC_VERSION        0     /* -> RAX = (major << 16) | (minor << 8) | patch */
#define HC_CONSOLE_WRITE  1     /* RBX = guest-physical buffer, RCX = length (<= 4096) */
#define HC_STOP           2     /* RBX = status: the guest stops */
#define HC_INSTANCE       3     /* -> RAX = 1 for a guest's first run, +1 per restart */

#define HC_OK       0
#define HC_ENOSYS   (-38)       /* unknown function */
#define HC_EFAULT   (-14)       /* buffer outside the guest's memory */
#define HC_EINVAL   (-22)

#ifndef __ASSEMBLER__
#include <arch/vmexit.h>
enum exit_action hypercall_handle(struct vcpu *v);
#endif

#endif
