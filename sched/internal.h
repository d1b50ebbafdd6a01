/* Shared by sched/run.c and sched/migrate.c only: the scheduler lock and
 * the per-CPU placement helpers. Everything here is under `sched_lock`. */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include <hv/sched.h>
#include <hv/sched_policy.h>
#include <hv/spinlock.h>
#include <arch/percpu.h>

extern spinlock_t sched_lock;
extern struct sched_cpu sched_cpus[MAX_CPUS];

struct vcpu *sched_vcpu_of(struct sched_vcpu *sv);
bool sched_can_run_guests(const struct percpu *pc);
/* Take v off the CPU's list of attached vCPUs (order does not matter). */
void sched_attached_remove(struct percpu *pc, const struct vcpu *v);
/* Move queued vCPUs from this CPU to less loaded shared ones. */
void sched_balance_from(struct percpu *pc, uint64_t now);

#endif
