/* vCPU scheduling decisions: policies, accounting, balance, migration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/sched_policy.h>

#define SLICE 1000ULL
#define W     SCHED_WEIGHT_UNIT

/* Deterministic pseudo-random run lengths, so preemption does not always
 * land on a slice boundary (vCPUs that exit early, interrupts...). */
static uint32_t lcg = 12345;
static uint64_t jitter_run(uint64_t slice)
{
    lcg = lcg * 1103515245u + 12345u;
    return slice / 2 + (lcg >> 8) % (slice / 2 + 1);
}

/* Run `steps` scheduling rounds from `*now`, each current vCPU running a
 * jittered part of its slice. */
static void simulate(struct sched_cpu *c, uint64_t *now, unsigned steps,
                     bool jitter)
{
    for (unsigned i = 0; i < steps; i++) {
        struct sched_vcpu *cur = sched_switch(c, *now);
        uint64_t s = sched_slice(c);

        assert_non_null(cur);
        assert_int_equal(cur->state, SV_RUNNING);
        *now += jitter ? jitter_run(s) : s;
    }
    sched_switch(c, *now);      /* close the last interval */
}

static void test_noop_pinned(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu v, other, unpinned;

    sched_cpu_init(&c, 2, &sched_noop, 0);
    sched_vcpu_init(&v, 1, W, 2);
    sched_vcpu_init(&other, 2, W, 2);
    sched_vcpu_init(&unpinned, 3, W, -1);
    assert_int_equal(sched_add(&c, &unpinned, 0), SCHED_EPINNED);
    sched_vcpu_init(&unpinned, 3, W, 1);
    assert_int_equal(sched_add(&c, &unpinned, 0), SCHED_EPINNED);
    assert_int_equal(sched_add(&c, &v, 0), SCHED_OK);
    assert_int_equal(sched_add(&c, &other, 0), SCHED_EBUSY);  /* one only */

    for (uint64_t t = 0; t < 10; t++) {
        assert_ptr_equal(sched_switch(&c, t * 100), &v);
        assert_int_equal(sched_slice(&c), 0);                  /* no timer */
    }
    assert_int_equal(v.run_time, 900);
    assert_int_equal(v.wait_time, 0);

    /* Blocked: the CPU idles; woken: the same vCPU again. */
    assert_int_equal(sched_block(&c, &v, 1000), SCHED_OK);
    assert_null(c.current);
    assert_null(sched_switch(&c, 1000));
    assert_int_equal(sched_slice(&c), 0);
    assert_int_equal(sched_wake(&c, &v, 5000), 1);
    assert_ptr_equal(sched_switch(&c, 5000), &v);
    assert_int_equal(v.run_time, 1000);         /* nothing while blocked */
    assert_int_equal(v.wait_time, 0);
    assert_int_equal(sched_block(&c, &v, 5000), SCHED_OK);
    assert_int_equal(sched_block(&c, &v, 5000), SCHED_ESTATE);
}

static void test_fair_equal_shares(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu v[4];
    uint64_t now = 0, total = 0;

    sched_cpu_init(&c, 0, &sched_fair, SLICE);
    for (int i = 0; i < 4; i++) {
        sched_vcpu_init(&v[i], i, W, -1);
        assert_int_equal(sched_add(&c, &v[i], 0), SCHED_OK);
    }
    simulate(&c, &now, 10000, true);
    for (int i = 0; i < 4; i++)
        total += v[i].run_time;
    assert_int_equal(total, now);               /* never idle, no leak */
    /* Blocking closes every open interval (queued ones included). */
    for (int i = 0; i < 4; i++)
        assert_int_equal(sched_block(&c, &v[i], now), SCHED_OK);
    for (int i = 0; i < 4; i++) {
        double share = (double)v[i].run_time / (double)total;
        assert_true(share > 0.24 && share < 0.26);
        /* run + wait covers the whole simulated time */
        assert_int_equal(v[i].run_time + v[i].wait_time, now);
    }
}

static void test_fair_weighted_shares(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu v[3];
    uint64_t now = 0, total = 0;

    sched_cpu_init(&c, 0, &sched_fair, SLICE);
    for (int i = 0; i < 3; i++) {
        sched_vcpu_init(&v[i], i, (unsigned)(i + 1) * W, -1);
        assert_int_equal(sched_add(&c, &v[i], 0), SCHED_OK);
    }
    simulate(&c, &now, 10000, true);
    for (int i = 0; i < 3; i++)
        total += v[i].run_time;
    for (int i = 0; i < 3; i++) {
        double share = (double)v[i].run_time / (double)total;
        double want = (double)(i + 1) / 6.0;
        assert_true(share > want - 0.02 && share < want + 0.02);
    }
    /* Small, non-unit weights too: 1:2:3 raw. */
    sched_cpu_init(&c, 0, &sched_fair, SLICE);
    now = total = 0;
    for (int i = 0; i < 3; i++) {
        sched_vcpu_init(&v[i], i, (unsigned)(i + 1), -1);
        assert_int_equal(sched_add(&c, &v[i], 0), SCHED_OK);
    }
    simulate(&c, &now, 6000, false);
    for (int i = 0; i < 3; i++)
        total += v[i].run_time;
    for (int i = 0; i < 3; i++) {
        double share = (double)v[i].run_time / (double)total;
        double want = (double)(i + 1) / 6.0;
        assert_true(share > want - 0.02 && share < want + 0.02);
    }
}

static void test_fair_block_wake(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu a, b;
    uint64_t now = 0, a_run, a_wait;
    unsigned streak = 0, max_streak = 0, a_slices = 0;

    sched_cpu_init(&c, 0, &sched_fair, SLICE);
    sched_vcpu_init(&a, 1, W, -1);
    sched_vcpu_init(&b, 2, W, -1);
    sched_add(&c, &a, 0);
    sched_add(&c, &b, 0);
    assert_ptr_equal(sched_switch(&c, 0), &a);
    now = 300;

    /* a halts: it gives up the CPU at once, b takes over. */
    assert_int_equal(sched_block(&c, &a, now), SCHED_OK);
    assert_null(c.current);
    assert_int_equal(a.state, SV_BLOCKED);
    assert_ptr_equal(sched_switch(&c, now), &b);
    a_run = a.run_time;
    a_wait = a.wait_time;
    assert_int_equal(a_run, 300);

    /* b runs alone for 100 slices; a gets neither run nor wait time. */
    for (int i = 0; i < 100; i++) {
        now += SLICE;
        assert_ptr_equal(sched_switch(&c, now), &b);
    }
    assert_int_equal(a.run_time, a_run);
    assert_int_equal(a.wait_time, a_wait);
    assert_int_equal(sched_block(&c, &a, now), SCHED_ESTATE);

    /* a wakes with a vruntime far behind: it must be owed at most about a
     * slice, then alternate with b instead of running 100 slices in a row. */
    assert_int_equal(sched_wake(&c, &a, now), 1);
    assert_int_equal(sched_wake(&c, &a, now), SCHED_ESTATE);
    assert_true(a.vruntime + SLICE >= c.min_vruntime);
    for (int i = 0; i < 100; i++) {
        struct sched_vcpu *cur = sched_switch(&c, now);

        if (cur == &a) {
            a_slices++;
            max_streak = MAX(max_streak, ++streak);
        } else {
            streak = 0;
        }
        now += SLICE;
    }
    assert_true(max_streak <= 2);
    assert_true(a_slices >= 49 && a_slices <= 52);
}

static void test_wait_accounting(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu a, b;

    sched_cpu_init(&c, 0, &sched_fair, 100);
    sched_vcpu_init(&a, 1, W, -1);
    sched_vcpu_init(&b, 2, W, -1);
    sched_add(&c, &a, 0);
    sched_add(&c, &b, 0);
    assert_ptr_equal(sched_switch(&c, 0), &a);
    assert_ptr_equal(sched_switch(&c, 100), &b);
    assert_int_equal(b.wait_time, 100);
    assert_int_equal(a.run_time, 100);
    assert_ptr_equal(sched_switch(&c, 250), &a);
    assert_int_equal(a.wait_time, 150);
    assert_int_equal(b.run_time, 150);

    /* b, queued, blocks at 300: it waited 50, then nothing while blocked. */
    assert_int_equal(sched_block(&c, &b, 300), SCHED_OK);
    assert_int_equal(b.wait_time, 150);
    assert_ptr_equal(sched_switch(&c, 400), &a);    /* alone: a again */
    assert_int_equal(a.wait_time, 150);
    assert_int_equal(sched_wake(&c, &b, 1000), 1);  /* b is owed the CPU */
    assert_ptr_equal(sched_switch(&c, 1100), &b);
    assert_int_equal(b.wait_time, 250);             /* +100 since waking */
    assert_int_equal(a.run_time, 100 + 850);

    /* Removal closes the interval and detaches. */
    assert_int_equal(sched_remove(&c, &a, 1200), SCHED_OK);
    assert_int_equal(a.wait_time, 250);
    assert_int_equal(a.state, SV_STOPPED);
    assert_int_equal(a.cpu, -1);
    assert_int_equal(c.nr_attached, 1);
    assert_int_equal(sched_remove(&c, &a, 1200), SCHED_EINVAL);
}

static void test_fair_newcomer(void **state)
{
    (void)state;
    struct sched_cpu c;
    struct sched_vcpu a, b, zero;
    uint64_t now = 0;

    sched_cpu_init(&c, 0, &sched_fair, SLICE);
    sched_vcpu_init(&a, 1, W, -1);
    sched_vcpu_init(&zero, 9, 0, -1);
    assert_int_equal(sched_add(&c, &zero, 0), SCHED_EINVAL);
    sched_add(&c, &a, 0);
    simulate(&c, &now, 50, false);
    /* A vCPU added late starts level, not 50 slices ahead. */
    sched_vcpu_init(&b, 2, W, -1);
    assert_int_equal(sched_add(&c, &b, now), SCHED_OK);
    assert_int_equal(sched_add(&c, &b, now), SCHED_ESTATE);
    assert_true(b.vruntime >= c.min_vruntime);
    a.run_time = 0;
    simulate(&c, &now, 20, false);
    assert_true(a.run_time >= 9 * SLICE && b.run_time >= 9 * SLICE);
}

static void setup_cpus(struct sched_cpu *cpus, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        sched_cpu_init(&cpus[i], (int)i, &sched_fair, SLICE);
}

static void test_balance_moves_to_empty(void **state)
{
    (void)state;
    struct sched_cpu cpus[2];
    struct sched_vcpu v[3];
    struct sched_migration m[4];
    int n;

    setup_cpus(cpus, 2);
    for (int i = 0; i < 3; i++) {
        sched_vcpu_init(&v[i], i, W, -1);
        sched_add(&cpus[0], &v[i], 0);
    }
    struct sched_vcpu *run = sched_switch(&cpus[0], 0);
    assert_int_equal(sched_load(&cpus[0]), 3 * W);
    assert_int_equal(sched_load(&cpus[1]), 0);

    n = sched_balance(cpus, 2, 10, m, 4);
    assert_int_equal(n, 1);                      /* 3:0 -> 2:1, then stop */
    assert_int_equal(m[0].from, 0);
    assert_int_equal(m[0].to, 1);
    assert_ptr_not_equal(m[0].vcpu, run);
    assert_int_equal(m[0].vcpu->pinned_cpu, -1);
    assert_int_equal(sched_balance(cpus, 2, 10, m, 0), 0);  /* max honoured */

    assert_int_equal(sched_migrate(&cpus[m[0].from], &cpus[m[0].to],
                                   m[0].vcpu, 10), SCHED_OK);
    assert_int_equal(m[0].vcpu->cpu, 1);
    assert_int_equal(m[0].vcpu->migrations, 1);
    assert_int_equal(sched_load(&cpus[0]), 2 * W);
    assert_int_equal(sched_load(&cpus[1]), W);
    assert_int_equal(cpus[0].nr_attached, 2);
    assert_int_equal(cpus[1].nr_attached, 1);
    assert_ptr_equal(sched_switch(&cpus[1], 10), m[0].vcpu);

    /* Balanced now (gap of one vCPU's weight): no proposal. */
    assert_int_equal(sched_balance(cpus, 2, 20, m, 4), 0);
}

static void test_balance_never_pinned_or_running(void **state)
{
    (void)state;
    struct sched_cpu cpus[3];
    struct sched_vcpu p[3], r;
    struct sched_migration m[4];

    setup_cpus(cpus, 3);
    /* CPU 0: a running unpinned vCPU plus three vCPUs pinned there. */
    sched_vcpu_init(&r, 10, W, -1);
    sched_add(&cpus[0], &r, 0);
    assert_ptr_equal(sched_switch(&cpus[0], 0), &r);
    for (int i = 0; i < 3; i++) {
        sched_vcpu_init(&p[i], i, W, 0);
        assert_int_equal(sched_add(&cpus[0], &p[i], 0), SCHED_OK);
    }
    assert_int_equal(sched_add(&cpus[1], &(struct sched_vcpu){
        .weight = W, .pinned_cpu = 0, .cpu = -1 }, 0), SCHED_EPINNED);
    assert_int_equal(sched_load(&cpus[0]), 4 * W);
    assert_int_equal(sched_balance(cpus, 3, 5, m, 4), 0);

    /* Direct attempts are refused too. */
    assert_int_equal(sched_migrate(&cpus[0], &cpus[1], &p[0], 5), SCHED_EPINNED);
    assert_int_equal(sched_migrate(&cpus[0], &cpus[1], &r, 5), SCHED_ESTATE);
    assert_int_equal(sched_migrate(&cpus[1], &cpus[2], &r, 5), SCHED_EINVAL);
    assert_int_equal(sched_migrate(&cpus[0], &cpus[0], &r, 5), SCHED_EINVAL);
    assert_int_equal(r.migrations, 0);
    assert_int_equal(p[0].migrations, 0);
    assert_int_equal(p[0].cpu, 0);
    assert_int_equal(r.cpu, 0);

    /* Noop CPUs take no part, even when they look idle. */
    struct sched_cpu mix[2];
    struct sched_vcpu q[3];
    sched_cpu_init(&mix[0], 0, &sched_fair, SLICE);
    sched_cpu_init(&mix[1], 1, &sched_noop, 0);
    for (int i = 0; i < 3; i++) {
        sched_vcpu_init(&q[i], i, W, -1);
        sched_add(&mix[0], &q[i], 0);
    }
    assert_int_equal(sched_balance(mix, 2, 0, m, 4), 0);
    assert_int_equal(sched_migrate(&mix[0], &mix[1], &q[1], 0), SCHED_EPINNED);
    assert_int_equal(q[1].cpu, 0);
}

static void test_balance_weighted_and_multi(void **state)
{
    (void)state;
    struct sched_cpu cpus[3];
    struct sched_vcpu v[6];
    struct sched_migration m[8];
    int n;

    /* Balanced by weight (1 heavy vs 2 light): nothing to do. */
    setup_cpus(cpus, 2);
    sched_vcpu_init(&v[0], 0, 2 * W, -1);
    sched_vcpu_init(&v[1], 1, W, -1);
    sched_vcpu_init(&v[2], 2, W, -1);
    sched_add(&cpus[0], &v[0], 0);
    sched_add(&cpus[1], &v[1], 0);
    sched_add(&cpus[1], &v[2], 0);
    assert_int_equal(sched_balance(cpus, 2, 0, m, 8), 0);

    /* Six vCPUs on CPU 0 of three: two moves to each of the others,
     * each vCPU proposed once. */
    setup_cpus(cpus, 3);
    for (int i = 0; i < 6; i++) {
        sched_vcpu_init(&v[i], i, W, -1);
        sched_add(&cpus[0], &v[i], 0);
    }
    n = sched_balance(cpus, 3, 0, m, 8);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(m[i].vcpu, m[j].vcpu);
        assert_int_equal(m[i].from, 0);
        assert_int_equal(sched_migrate(&cpus[m[i].from], &cpus[m[i].to],
                                       m[i].vcpu, 0), SCHED_OK);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(sched_load(&cpus[i]), 2 * W);
    assert_int_equal(sched_balance(cpus, 3, 0, m, 8), 0);
}

static void test_migrate_blocked_and_vruntime(void **state)
{
    (void)state;
    struct sched_cpu cpus[2];
    struct sched_vcpu a, b, c;
    uint64_t now = 0;

    setup_cpus(cpus, 2);
    sched_vcpu_init(&a, 1, W, -1);
    sched_vcpu_init(&b, 2, W, -1);
    sched_vcpu_init(&c, 3, W, -1);
    sched_add(&cpus[0], &a, 0);
    sched_add(&cpus[0], &b, 0);
    simulate(&cpus[0], &now, 40, false);        /* vruntimes ~ 20 slices */
    sched_add(&cpus[1], &c, now);               /* CPU 1: vruntime 0 */

    /* A blocked vCPU may move; it stays blocked and counts a migration. */
    sched_block(&cpus[0], &b, now);
    assert_int_equal(sched_migrate(&cpus[0], &cpus[1], &b, now), SCHED_OK);
    assert_int_equal(b.state, SV_BLOCKED);
    assert_int_equal(b.cpu, 1);
    assert_int_equal(b.migrations, 1);
    assert_int_equal(sched_wake(&cpus[1], &b, now), 1);
    /* Its vruntime was rebased onto CPU 1's clock: it must not be 20
     * slices behind CPU 0's floor nor ahead of c by that much. */
    assert_true(b.vruntime <= cpus[1].min_vruntime + SLICE);

    /* Back again: two migrations counted, running ones refused. */
    sched_switch(&cpus[1], now);
    struct sched_vcpu *run = cpus[1].current, *other = run == &b ? &c : &b;
    assert_int_equal(sched_migrate(&cpus[1], &cpus[0], run, now), SCHED_ESTATE);
    assert_int_equal(sched_migrate(&cpus[1], &cpus[0], other, now), SCHED_OK);
    assert_int_equal(other->cpu, 0);
    assert_int_equal(other->state, SV_RUNNABLE);
    assert_int_equal(b.migrations + c.migrations, 2);
    /* It shares CPU 0 fairly with a rather than running 20 slices alone. */
    a.run_time = other->run_time = 0;
    sched_switch(&cpus[0], now);
    simulate(&cpus[0], &now, 20, false);
    assert_true(a.run_time >= 9 * SLICE && other->run_time >= 9 * SLICE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noop_pinned),
        cmocka_unit_test(test_fair_equal_shares),
        cmocka_unit_test(test_fair_weighted_shares),
        cmocka_unit_test(test_fair_block_wake),
        cmocka_unit_test(test_wait_accounting),
        cmocka_unit_test(test_fair_newcomer),
        cmocka_unit_test(test_balance_moves_to_empty),
        cmocka_unit_test(test_balance_never_pinned_or_running),
        cmocka_unit_test(test_balance_weighted_and_multi),
        cmocka_unit_test(test_migrate_blocked_and_vruntime),
    };
    return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
