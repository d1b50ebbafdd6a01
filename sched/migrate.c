/*
 * Moving vCPUs between shared CPUs to balance the load. Only the CPU a
 * vCPU is on moves it, so that CPU clears its VMCS itself (VMCLEAR)
 * before the new CPU loads it: a VMCS is never active on two processors
 * (SDM Vol. 3C 25.11.1). The new CPU rewrites the host state and flushes
 * the vCPU's EPT and VPID translations when it first loads it
 * (vm/vcpu_vmcs.c, vcpu_vmcs_load).
 */
#include "internal.h"
#include <hv/vcpu.h>
#include <hv/guest.h>
#include <hv/log.h>

void sched_balance_from(struct percpu *pc, uint64_t now)
{
    struct sched_migration m[2];
    int n = sched_balance(sched_cpus, percpu_count(), now, m, ARRAY_SIZE(m));
    for (int i = 0; i < n; i++) {
        struct vcpu *v = sched_vcpu_of(m[i].vcpu);
        struct percpu *to = percpu_get(m[i].to);
        if (m[i].from != pc->index || !sched_can_run_guests(to) || to->pinned ||
            m[i].to >= 64 || !(v->allowed & (1ULL << m[i].to)) ||
            to->nattached == PERCPU_MAX_VCPUS || v->needs_setup)
            continue;
        vcpu_state_put(v, pc);
        if (v->vmx.vmcs_cpu == pc)
            vcpu_vmcs_clear(v);
        if (pc->current_vmcs == v)
            pc->current_vmcs = NULL;
        if (sched_migrate(pc->sched, to->sched, &v->sv, now) != SCHED_OK)
            continue;
        sched_attached_remove(pc, v);
        to->attached[to->nattached++] = v;
        __atomic_store_n(&v->cpu, to, __ATOMIC_RELEASE);
        kprintf("sched: guest %s vCPU %u moves from cpu%u to cpu%u\n", v->guest->name, v->id,
                pc->index, to->index);
        cpu_kick(to);
    }
}
