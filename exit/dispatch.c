/*
 * The VM-exit dispatcher (include/hv/exit.h): every exit goes through
 * vmexit_dispatch, which counts it per reason and vCPU and runs the
 * handler the table names. Reasons we never enable, or that a
 * well-behaved guest cannot cause, stop that guest with a full dump
 * (exit_unexpected) rather than falling into a silent default.
 */
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/fmt.h>
#include <arch/cpu.h>

enum exit_action stop_with_dump(struct vcpu *v, const char *why)
{
    vcpu_dump(v, why);
    guest_stop(v->guest, 255, "%s (exit reason %u)", why, v->vmx.exit_reason);
    return EXIT_STOP;
}

enum exit_action exit_unexpected(struct vcpu *v)
{
    char why[96];
    hv_snprintf(why, sizeof(why), "unhandled VM exit '%s'", vmx_exit_name(v->vmx.exit_reason));
    return stop_with_dump(v, why);
}

enum exit_action exit_triple_fault(struct vcpu *v)
{
    return stop_with_dump(v, "triple fault");
}

enum exit_action exit_invalid_state(struct vcpu *v)
{
    return stop_with_dump(v, "VM entry failed: invalid guest state (SDM Vol. 3C 26.3)");
}

enum exit_action vmexit_dispatch(struct vcpu *v)
{
    uint32_t reason = v->vmx.exit_reason & 0xffff;
    unsigned slot = reason < EXIT_REASON_COUNT ? reason : EXIT_REASON_COUNT;
    uint64_t t0 = rdtsc();

    v->exit_count[slot]++;
    enum exit_action a = (reason >= EXIT_REASON_COUNT || !exit_table[reason])
                             ? exit_unexpected(v) : exit_table[reason](v);
    v->exit_cycles[slot] += rdtsc() - t0;
    return a;
}
