/*
 * vCPU scheduling decisions: pure logic, no hardware, no globals.
 *
 * Time is whatever the caller passes as `now` (TSC ticks on the core).
 * Each physical CPU has a struct sched_cpu driven by a pluggable policy
 * (one small ops struct, as ACRN's scheduler does):
 *
 *   sched_noop  a CPU dedicated to exactly one pinned vCPU: it always runs
 *               that vCPU when runnable and asks for no timer at all
 *               (slice 0), so a partitioned guest sees no scheduler ticks.
 *   sched_fair  proportional share by weight, virtual-runtime based:
 *               vruntime advances by ran * SCHED_WEIGHT_UNIT / weight and
 *               the runnable vCPU with the lowest vruntime runs next.
 *
 * Locking is the caller's: every function here touches only the structs it
 * is handed, and a sched_cpu is normally only changed by its own CPU.
 */
#ifndef HV_SCHED_POLICY_H
#define HV_SCHED_POLICY_H

#include <hv/compiler.h>

#define SCHED_OK        0
#define SCHED_EINVAL    (-1)   /* bad argument (weight 0, wrong CPU...) */
#define SCHED_EBUSY     (-2)   /* noop CPU already owns a vCPU */
#define SCHED_EPINNED   (-3)   /* vCPU pinned elsewhere / may not move */
#define SCHED_ESTATE    (-4)   /* operation not valid in the vCPU's state */

/* The weight a vCPU's vruntime advances at wall-clock speed. */
#define SCHED_WEIGHT_UNIT 1024u

enum sched_state {
    SV_STOPPED = 0,     /* not attached to any CPU */
    SV_RUNNABLE,        /* queued on vcpu->cpu, waiting */
    SV_RUNNING,         /* the `current` of vcpu->cpu */
    SV_BLOCKED,         /* attached to vcpu->cpu, waiting for an event */
};

struct sched_vcpu {
    int id;
    unsigned weight;            /* > 0; SCHED_WEIGHT_UNIT is nominal */
    int pinned_cpu;             /* -1: may run on any shared CPU */
    int cpu;                    /* CPU it is attached to, -1 none */
    enum sched_state state;
    uint64_t vruntime;          /* fair policy's virtual time */
    uint64_t run_time;          /* ticks spent RUNNING */
    uint64_t wait_time;         /* ticks spent RUNNABLE but not running */
    uint64_t last_change;       /* `now` of the last state change */
    unsigned migrations;
    struct sched_vcpu *next;    /* run-queue link, private */
};

struct sched_cpu;

/*
 * Policy hooks. The generic code owns the run queue (c->runq, FIFO
 * order), the state machine and the run/wait accounting; a policy only
 * admits, places, charges and chooses. NULL hooks are no-ops.
 */
struct sched_policy {
    const char *name;
    /* Admission of a vCPU being attached (new or migrated in). */
    int (*add)(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);
    /* A vCPU detached from the CPU. */
    void (*remove)(struct sched_cpu *c, struct sched_vcpu *v);
    /* Choose among c->runq (do not dequeue); NULL means idle. */
    struct sched_vcpu *(*pick)(struct sched_cpu *c, uint64_t now);
    /* v just ran for `ran` ticks. */
    void (*charge)(struct sched_cpu *c, struct sched_vcpu *v, uint64_t ran);
    /* Ticks until the next preemption of v; 0 means arm no timer. */
    uint64_t (*slice)(struct sched_cpu *c, struct sched_vcpu *v);
    void (*block)(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);
    /* Placement of a vCPU becoming runnable again, before it is queued. */
    void (*wake)(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);
};

struct sched_cpu {
    int index;
    const struct sched_policy *policy;
    struct sched_vcpu *current;  /* RUNNING vCPU, NULL when idle */
    struct sched_vcpu *runq;     /* RUNNABLE vCPUs, not including current */
    unsigned nr_attached;        /* runnable + running + blocked */
    uint64_t min_vruntime;       /* fair: monotonic floor of vruntimes */
    uint64_t slice_ticks;        /* fair: preemption period */
};

struct sched_migration {
    struct sched_vcpu *vcpu;
    unsigned from, to;           /* indices into the cpus array */
};

extern const struct sched_policy sched_noop;
extern const struct sched_policy sched_fair;

void sched_cpu_init(struct sched_cpu *c, int index,
                    const struct sched_policy *policy, uint64_t slice_ticks);

/* Set a vCPU's identity; it starts SV_STOPPED and unattached. */
void sched_vcpu_init(struct sched_vcpu *v, int id, unsigned weight,
                     int pinned_cpu);

/* Attach a stopped vCPU to c as runnable. Does not preempt current. */
int sched_add(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);

/* Detach v from c (any attached state); if it was current, c goes idle and
 * the caller must sched_switch(). v ends SV_STOPPED. */
int sched_remove(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);

/*
 * End the current vCPU's run (charge run time and vruntime, requeue it if
 * still running), pick the next one and start it. Returns the vCPU to
 * enter, possibly the same as before, or NULL to idle.
 */
struct sched_vcpu *sched_switch(struct sched_cpu *c, uint64_t now);

/* Ticks until the current vCPU should be preempted; 0: arm no timer. */
uint64_t sched_slice(struct sched_cpu *c);

/* v waits for an event (HLT...). If it was current, c is left idle and the
 * caller must sched_switch(). */
int sched_block(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);

/* A blocked v becomes runnable. Returns 1 when c should reschedule soon
 * (it is idle, or v is owed the CPU), 0 otherwise, or a negative error. */
int sched_wake(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now);

/* Sum of weights of the runnable and running vCPUs of c. */
uint64_t sched_load(const struct sched_cpu *c);

/*
 * Propose up to `max` moves of queued, unpinned vCPUs from the busiest
 * shared (sched_fair) CPU to the least busy one, as long as the load gap
 * exceeds the moved vCPU's weight (so each move strictly narrows it).
 * Nothing is changed; returns the number of proposals written to out.
 */
int sched_balance(struct sched_cpu *cpus, unsigned n, uint64_t now,
                  struct sched_migration *out, unsigned max);

/*
 * Move a queued or blocked, unpinned vCPU from one CPU to another, keeping
 * its lag relative to the CPU's min_vruntime. Never moves a running vCPU.
 *
 * The caller must only call this once the vCPU's VMCS has been cleared
 * (VMCLEAR) on its old CPU, so that the new CPU can VMPTRLD it: the SDM
 * (Vol. 3C, "Software Use of Virtual-Machine Control Structures") forbids
 * a VMCS being active on two processors at once, and VMCLEAR is what
 * writes the processor's cached VMCS data back to memory.
 */
int sched_migrate(struct sched_cpu *from, struct sched_cpu *to,
                  struct sched_vcpu *v, uint64_t now);

#endif
