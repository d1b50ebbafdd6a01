/*
 * The per-CPU run loop (core/schedule.c): which vCPU runs where, switching
 * VMCSs, halting and waking, INIT/SIPI, migration. The decisions are the
 * policies of core/sched.c (<hv/sched_policy.h>); this is their use on real CPUs.
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/compiler.h>

struct vcpu;
struct guest;
struct percpu;

#define VEC_KICK 0xf1           /* host IPI: leave guest mode, look at the run queue */

/* Policies per CPU (noop where a guest is pinned, fair elsewhere), slice
 * length, the console CPU. Call once every CPU's VMX state is known. */
void schedule_init(uint32_t slice_us);
/* Attach a guest's boot vCPU to a CPU; its other vCPUs wait for SIPI. */
bool schedule_start_guest(struct guest *g);
/* Run vCPUs on this CPU. Returns (BSP only) when every guest has stopped. */
void schedule_run(struct percpu *pc);

/* Events from anywhere (another vCPU, the console). */
void sched_kick(struct vcpu *t);                    /* posted work: wake or interrupt it */
void sched_send_init(struct vcpu *t);
void sched_send_sipi(struct vcpu *t, uint8_t vector);
void schedule_guest_stopped(struct guest *g);       /* make its CPUs let go of it */

/* The exception handler lost this CPU: stop the guests that ran there. */
void schedule_cpu_failed(struct percpu *pc);
/* Diagnostics: command line crash_guest=NAME (docs/configuration.md). */
extern char schedule_crash_guest[32];

/* Accounting for the console: run and wait time of a vCPU in TSC ticks. */
int schedule_vcpu_cpu(const struct vcpu *v);         /* -1: not on a CPU */
/* Run time so far, including the run in progress (the scheduler only
 * closes an interval at its decisions: a pinned vCPU may run for long). */
uint64_t schedule_vcpu_run_time(const struct vcpu *v);

#endif
