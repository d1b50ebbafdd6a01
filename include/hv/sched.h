/*
 * The scheduler on real CPUs (sched/): the per-CPU run loop
 * (sched/run.c), which vCPU runs where, switching VMCSs, halting and
 * waking, the requests posted to vCPUs (INIT, SIPI, starting APs), a CPU
 * lost to a hypervisor fault; and moving vCPUs between shared CPUs
 * (sched/migrate.c). The decisions are the pure policies of
 * sched/policy.c (<hv/sched_policy.h>).
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/compiler.h>

struct vcpu;
struct guest;
struct percpu;

/* Policies per CPU (noop where a guest is pinned, fair elsewhere), slice
 * length, the console CPU. Call once every CPU's VMX state is known and
 * the guests are created. */
void schedule_init(uint32_t slice_us);
/* Attach a guest's boot vCPU to a CPU; its other vCPUs wait for SIPI.
 * False (and the guest stopped, with the reason) when it cannot run. */
bool schedule_start_guest(struct guest *g);
/* Run vCPUs on this CPU. Returns (BSP only) when every guest has stopped. */
void schedule_run(struct percpu *pc);
/* A guest let go of its last CPU, or the operator asked to start it:
 * re-create and start it when a restart or start is due. */
void schedule_guest_finished(struct guest *g);

/* The CPU that polls the operator console calls `poll` between its
 * scheduling decisions (mgmt/shell.c plugs in shell_poll). */
void schedule_set_console_poll(void (*poll)(void));

/* Accounting for the console: the CPU a vCPU is on (-1: none), and its
 * run time in TSC ticks including the run in progress (the scheduler
 * only closes an interval at its decisions: a pinned vCPU may run long). */
int schedule_vcpu_cpu(const struct vcpu *v);
uint64_t schedule_vcpu_run_time(const struct vcpu *v);

#endif
