/*
 * The VM-execution, exit and entry controls every vCPU uses, computed once
 * per CPU from its capabilities (pure logic, unit-tested). Required and
 * optional bits are kept apart: a missing required feature is one clear
 * start-up error; a missing optional one is simply not used.
 */
#ifndef ARCH_VMX_CONTROLS_H
#define ARCH_VMX_CONTROLS_H

#include <arch/vmx_caps.h>

struct vmx_controls {
    uint32_t pin, proc, proc2, exit, entry;
    bool vpid;          /* VPIDs in use (optional) */
};

/* 0, or -1 with *problem naming the first missing required feature
 * ("VM-execution control 'enable EPT' (secondary bit 1)"). */
int vmx_controls_compute(const struct vmx_caps *c, struct vmx_controls *out,
                         char *problem, size_t size);

#endif
