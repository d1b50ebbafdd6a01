/*
 * Fault injection for the diagnostics tests (docs/configuration.md,
 * "Kernel command line"): every switch in one place, read from the core's
 * command line once at start-up. The places that act on them ask here.
 *
 *   crash_cpu=N             CPU N executes an invalid instruction after
 *                           bring-up (an exception stops only that CPU)
 *   break_guest_state=NAME  NAME's boot vCPU gets a guest state VM entry
 *                           refuses (how a failed entry is reported)
 *   crash_guest=NAME        the CPU running NAME faults in the hypervisor
 *                           (a lost CPU stops only the guests that ran there)
 */
#ifndef HV_FAULTINJ_H
#define HV_FAULTINJ_H

#include <hv/compiler.h>

void faultinj_init(const char *cmdline);
/* Should CPU `index` crash after its bring-up? */
bool faultinj_crash_cpu(unsigned index);
/* Should guest `name` start with a broken state? */
bool faultinj_break_state(const char *name);
/* Should the CPU that ran guest `name` fault? */
bool faultinj_crash_guest(const char *name);

#endif
