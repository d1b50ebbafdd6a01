/*
 * vCPU scheduling decisions (see <hv/sched_policy.h>): the generic state machine
 * and accounting, plus the noop and fair policies. Pure: no hardware, no
 * globals beyond the two const policy tables.
 */
#include <hv/sched_policy.h>

/* ---- run queue (FIFO; the fair pick breaks ties by queue order) ---- */

static void runq_push(struct sched_cpu *c, struct sched_vcpu *v)
{
    struct sched_vcpu **pp = &c->runq;

    while (*pp)
        pp = &(*pp)->next;
    v->next = NULL;
    *pp = v;
}

static bool runq_del(struct sched_cpu *c, struct sched_vcpu *v)
{
    for (struct sched_vcpu **pp = &c->runq; *pp; pp = &(*pp)->next) {
        if (*pp == v) {
            *pp = v->next;
            v->next = NULL;
            return true;
        }
    }
    return false;
}

/*
 * Close the interval since v's last state change: running time or
 * waiting time, depending on what v was doing. Blocked time is neither.
 * Returns the ticks v ran in this interval.
 */
static uint64_t account(struct sched_vcpu *v, uint64_t now)
{
    /* A clock that appears to go backwards (TSC skew between CPUs after
     * a migration) must not produce a huge unsigned interval. */
    uint64_t d = now > v->last_change ? now - v->last_change : 0;
    uint64_t ran = 0;

    if (v->state == SV_RUNNING) {
        v->run_time += d;
        ran = d;
    } else if (v->state == SV_RUNNABLE) {
        v->wait_time += d;
    }
    v->last_change = now;
    return ran;
}

static void charge(struct sched_cpu *c, struct sched_vcpu *v, uint64_t ran)
{
    if (c->policy->charge)
        c->policy->charge(c, v, ran);
}

/* ---- noop: one pinned vCPU per CPU, no timer ---- */

static int noop_add(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    if (v->pinned_cpu != c->index)
        return SCHED_EPINNED;
    if (c->nr_attached)
        return SCHED_EBUSY;
    return SCHED_OK;
}

static struct sched_vcpu *noop_pick(struct sched_cpu *c, uint64_t now)
{
    return c->runq;
}

static uint64_t noop_slice(struct sched_cpu *c, struct sched_vcpu *v)
{
    /* Nothing else can ever run here: no preemption timer, so a
     * partitioned guest takes no scheduler exits at all. */
    return 0;
}

const struct sched_policy sched_noop = {
    .name  = "noop",
    .add   = noop_add,
    .pick  = noop_pick,
    .slice = noop_slice,
};

/* ---- fair: weighted virtual runtime ---- */

/* ran * SCHED_WEIGHT_UNIT / weight without overflowing the product. */
static uint64_t fair_scale(uint64_t ran, unsigned weight)
{
    uint64_t q = ran / weight, r = ran % weight;

    if (q > UINT64_MAX / SCHED_WEIGHT_UNIT)
        return UINT64_MAX;
    return q * SCHED_WEIGHT_UNIT + r * SCHED_WEIGHT_UNIT / weight;
}

static int fair_add(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    if (v->pinned_cpu >= 0 && v->pinned_cpu != c->index)
        return SCHED_EPINNED;
    /* A newcomer starts level with the others: starting at 0 would let
     * it run alone until it caught up with their accumulated vruntime. */
    v->vruntime = MAX(v->vruntime, c->min_vruntime);
    return SCHED_OK;
}

static struct sched_vcpu *fair_pick(struct sched_cpu *c, uint64_t now)
{
    struct sched_vcpu *best = NULL;

    for (struct sched_vcpu *v = c->runq; v; v = v->next)
        if (!best || v->vruntime < best->vruntime)
            best = v;
    /* The chosen vruntime is the smallest among all runnable vCPUs (the
     * previous one was requeued before the pick): it is the floor new and
     * woken vCPUs are placed against. Kept monotonic. */
    if (best)
        c->min_vruntime = MAX(c->min_vruntime, best->vruntime);
    return best;
}

static void fair_charge(struct sched_cpu *c, struct sched_vcpu *v, uint64_t ran)
{
    uint64_t d = fair_scale(ran, v->weight);

    v->vruntime = v->vruntime > UINT64_MAX - d ? UINT64_MAX : v->vruntime + d;
}

static uint64_t fair_slice(struct sched_cpu *c, struct sched_vcpu *v)
{
    /* 0 would mean "never preempt": others sharing the CPU would starve. */
    return c->slice_ticks ? c->slice_ticks : 1;
}

static void fair_wake(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    /* A sleeper keeps at most one slice of credit: enough to run soon
     * after waking (interactive latency), not enough to monopolise the
     * CPU to "catch up" on the time it spent blocked. */
    uint64_t floor = c->min_vruntime > c->slice_ticks ?
                     c->min_vruntime - c->slice_ticks : 0;

    v->vruntime = MAX(v->vruntime, floor);
}

const struct sched_policy sched_fair = {
    .name   = "fair",
    .add    = fair_add,
    .pick   = fair_pick,
    .charge = fair_charge,
    .slice  = fair_slice,
    .wake   = fair_wake,
};

/* ---- generic operations ---- */

void sched_cpu_init(struct sched_cpu *c, int index,
                    const struct sched_policy *policy, uint64_t slice_ticks)
{
    *c = (struct sched_cpu){
        .index = index,
        .policy = policy,
        .slice_ticks = slice_ticks,
    };
}

void sched_vcpu_init(struct sched_vcpu *v, int id, unsigned weight,
                     int pinned_cpu)
{
    *v = (struct sched_vcpu){
        .id = id,
        .weight = weight,
        .pinned_cpu = pinned_cpu,
        .cpu = -1,
        .state = SV_STOPPED,
    };
}

int sched_add(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    int rc;

    if (!c || !v || !c->policy || v->weight == 0)
        return SCHED_EINVAL;
    if (v->state != SV_STOPPED || v->cpu != -1)
        return SCHED_ESTATE;
    if (c->policy->add && (rc = c->policy->add(c, v, now)) != SCHED_OK)
        return rc;
    v->cpu = c->index;
    v->state = SV_RUNNABLE;
    v->last_change = now;
    runq_push(c, v);
    c->nr_attached++;
    return SCHED_OK;
}

int sched_remove(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    if (!c || !v || v->cpu != c->index || v->state == SV_STOPPED)
        return SCHED_EINVAL;
    if (v->state == SV_RUNNING) {
        charge(c, v, account(v, now));
        c->current = NULL;
    } else if (v->state == SV_RUNNABLE) {
        account(v, now);
        runq_del(c, v);
    }
    if (c->policy->remove)
        c->policy->remove(c, v);
    c->nr_attached--;
    v->state = SV_STOPPED;
    v->cpu = -1;
    v->last_change = now;
    return SCHED_OK;
}

struct sched_vcpu *sched_switch(struct sched_cpu *c, uint64_t now)
{
    struct sched_vcpu *prev = c->current, *next;

    if (prev) {
        charge(c, prev, account(prev, now));
        prev->state = SV_RUNNABLE;
        runq_push(c, prev);
        c->current = NULL;
    }
    next = c->policy->pick ? c->policy->pick(c, now) : c->runq;
    if (next) {
        runq_del(c, next);
        account(next, now);     /* closes its wait interval */
        next->state = SV_RUNNING;
        c->current = next;
    }
    return next;
}

uint64_t sched_slice(struct sched_cpu *c)
{
    if (!c->current || !c->policy->slice)
        return 0;
    return c->policy->slice(c, c->current);
}

int sched_block(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    if (!c || !v || v->cpu != c->index)
        return SCHED_EINVAL;
    if (v->state == SV_RUNNING) {
        charge(c, v, account(v, now));
        c->current = NULL;
    } else if (v->state == SV_RUNNABLE) {
        account(v, now);
        runq_del(c, v);
    } else {
        return SCHED_ESTATE;
    }
    v->state = SV_BLOCKED;
    if (c->policy->block)
        c->policy->block(c, v, now);
    return SCHED_OK;
}

int sched_wake(struct sched_cpu *c, struct sched_vcpu *v, uint64_t now)
{
    if (!c || !v || v->cpu != c->index)
        return SCHED_EINVAL;
    if (v->state != SV_BLOCKED)
        return SCHED_ESTATE;
    if (c->policy->wake)
        c->policy->wake(c, v, now);
    v->state = SV_RUNNABLE;
    v->last_change = now;
    runq_push(c, v);
    if (!c->current)
        return 1;
    return c->policy == &sched_fair && v->vruntime < c->current->vruntime;
}

uint64_t sched_load(const struct sched_cpu *c)
{
    uint64_t load = 0;

    if (c->current && c->current->state == SV_RUNNING)
        load += c->current->weight;
    for (const struct sched_vcpu *v = c->runq; v; v = v->next)
        load += v->weight;
    return load;
}

/* Load of cpus[i] as if the first k proposals had been carried out. */
static uint64_t planned_load(const struct sched_cpu *cpus, unsigned i,
                             const struct sched_migration *out, unsigned k)
{
    uint64_t load = sched_load(&cpus[i]);

    for (unsigned j = 0; j < k; j++) {
        if (out[j].from == i)
            load -= out[j].vcpu->weight;
        if (out[j].to == i)
            load += out[j].vcpu->weight;
    }
    return load;
}

static bool proposed(const struct sched_migration *out, unsigned k,
                     const struct sched_vcpu *v)
{
    for (unsigned j = 0; j < k; j++)
        if (out[j].vcpu == v)
            return true;
    return false;
}

int sched_balance(struct sched_cpu *cpus, unsigned n, uint64_t now,
                  struct sched_migration *out, unsigned max)
{
    unsigned k = 0;

    if (!cpus || (!out && max))
        return SCHED_EINVAL;
    while (k < max) {
        unsigned hi = n, lo = n;
        uint64_t hl = 0, ll = 0, gap, best_score = UINT64_MAX;
        struct sched_vcpu *best = NULL;

        /* Only shared CPUs take part: a noop CPU belongs to its pinned
         * vCPU and is never a source or a destination. */
        for (unsigned i = 0; i < n; i++) {
            uint64_t l;

            if (cpus[i].policy != &sched_fair)
                continue;
            l = planned_load(cpus, i, out, k);
            if (hi == n || l > hl) {
                hi = i;
                hl = l;
            }
            if (lo == n || l < ll) {
                lo = i;
                ll = l;
            }
        }
        if (hi == n || hi == lo || hl <= ll)
            break;
        gap = hl - ll;
        /* Moving weight w turns the gap into |gap - 2w|: it narrows only
         * when w < gap; take the move that leaves the smallest gap. */
        for (struct sched_vcpu *v = cpus[hi].runq; v; v = v->next) {
            uint64_t after;

            if (v->pinned_cpu >= 0 || v->state != SV_RUNNABLE ||
                v->weight >= gap || proposed(out, k, v))
                continue;
            after = gap > 2ULL * v->weight ? gap - 2ULL * v->weight
                                           : 2ULL * v->weight - gap;
            if (after < best_score) {
                best_score = after;
                best = v;
            }
        }
        if (!best)
            break;
        out[k++] = (struct sched_migration){ .vcpu = best, .from = hi, .to = lo };
    }
    return (int)k;
}

int sched_migrate(struct sched_cpu *from, struct sched_cpu *to,
                  struct sched_vcpu *v, uint64_t now)
{
    uint64_t saved, lag;
    int rc;

    if (!from || !to || !v || from == to || v->cpu != from->index)
        return SCHED_EINVAL;
    if (v->pinned_cpu >= 0)
        return SCHED_EPINNED;
    if (v->state == SV_RUNNING || from->current == v)
        return SCHED_ESTATE;
    if (v->state != SV_RUNNABLE && v->state != SV_BLOCKED)
        return SCHED_ESTATE;

    /* vruntimes are only comparable within one CPU: carry the vCPU's lead
     * over its old CPU's floor, not the absolute value. */
    saved = v->vruntime;
    lag = v->vruntime > from->min_vruntime ? v->vruntime - from->min_vruntime : 0;
    v->vruntime = to->min_vruntime > UINT64_MAX - lag ? UINT64_MAX
                                                      : to->min_vruntime + lag;
    if (to->policy->add && (rc = to->policy->add(to, v, now)) != SCHED_OK) {
        v->vruntime = saved;
        return rc;
    }
    if (v->state == SV_RUNNABLE) {
        account(v, now);
        runq_del(from, v);
        runq_push(to, v);
    }
    if (from->policy->remove)
        from->policy->remove(from, v);
    from->nr_attached--;
    to->nr_attached++;
    v->cpu = to->index;
    v->migrations++;
    return SCHED_OK;
}
