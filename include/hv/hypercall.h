/*
 * The hypercall ABI (docs/hypercalls.md): VMCALL with the function number
 * in RAX, arguments in RBX, RCX, RDX; the result comes back in RAX
 * (negative: error).
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#define HC_VERSION        0     /* -> RAX = (major << 16) | (minor << 8) | patch */
#define HC_CONSOLE_WRITE  1     /* RBX = guest-physical buffer, RCX = length (<= 4096) */
#define HC_CONSOLE_MAX    4096
#define HC_STOP           2     /* RBX = status: the guest stops */
#define HC_INSTANCE       3     /* -> RAX = 1 for a guest's first run, +1 per restart */
/* Management (only the guest configured with management = yes; others get
 * HC_EPERM). Guests are named by index, 0 .. count-1, in configuration order. */
#define HC_GUEST_COUNT    16    /* -> RAX = number of guests */
#define HC_GUEST_INFO     17    /* RBX = index, RCX = guest-physical struct hc_guest_info */
#define HC_GUEST_STOP     18    /* RBX = index: stop it (status 0) */
#define HC_GUEST_START    19    /* RBX = index: start a stopped guest again */
#define HC_GUEST_RESTART  20    /* RBX = index: stop if running, then start */

/* HC_VERSION's answer: 0.2.0, the management calls. */
#define HC_ABI_VERSION    ((0u << 16) | (2u << 8) | 0u)

#define HC_OK       0
#define HC_ENOSYS   (-38)       /* unknown function */
#define HC_EFAULT   (-14)       /* buffer outside the guest's memory */
#define HC_EINVAL   (-22)
#define HC_EPERM    (-1)        /* not the management guest */
#define HC_ENOENT   (-2)        /* no guest with that index */
#define HC_EBUSY    (-16)       /* start: it is running */

#define HC_STATE_STOPPED    0
#define HC_STATE_RUNNING    1
#define HC_STATE_RESTARTING 2

#ifndef __ASSEMBLER__
#include <hv/compiler.h>
/* HC_GUEST_INFO fills this, 64 bytes, little endian. */
struct hc_guest_info {
    char name[32];              /* NUL-terminated */
    uint32_t state;             /* HC_STATE_* */
    uint32_t vcpus;
    uint32_t instance;
    uint32_t reserved;
    uint64_t exits;
    uint64_t run_ticks;         /* TSC ticks its vCPUs ran */
};
#endif

#endif
