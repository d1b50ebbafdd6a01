/*
 * The management hypercalls (HC_GUEST_*, docs/hypercalls.md): the same
 * operations as the operator console's, for the guest configured with
 * management = yes. exit/hypercall.c checks that before calling here.
 */
#include <hv/mgmt.h>
#include "manage.h"
#include <hv/hypercall.h>
#include <hv/exit.h>
#include <hv/guest.h>
#include <hv/lifecycle.h>
#include <hv/sched.h>
#include <hv/string.h>

static int64_t info(struct guest *self, struct guest *g, uint64_t gpa)
{
    struct hc_guest_info *out = guest_ptr(self, gpa, sizeof(*out));
    if (!out)
        return HC_EFAULT;
    struct hc_guest_info in = {
        .state = g->state == GUEST_RUNNING ? HC_STATE_RUNNING
                 : g->state == GUEST_RESTARTING || g->state == GUEST_RELOADING
                     ? HC_STATE_RESTARTING : HC_STATE_STOPPED,
        .vcpus = g->vcpu_count, .instance = g->instance, .exits = guest_exit_total(g),
    };
    for (unsigned k = 0; k < g->vcpu_count; k++)
        in.run_ticks += schedule_vcpu_run_time(g->vcpus[k]);
    hv_strlcpy(in.name, g->name, sizeof(in.name));
    memcpy(out, &in, sizeof(in));
    return HC_OK;
}

static int64_t manage(struct vcpu *v, uint64_t fn, uint64_t index, uint64_t gpa)
{
    if (fn == HC_GUEST_COUNT)
        return guests_count();
    struct guest *g = index < guests_count() ? guest_get((unsigned)index) : NULL;
    if (!g)
        return HC_ENOENT;
    switch (fn) {
    case HC_GUEST_INFO:
        return info(v->guest, g, gpa);
    case HC_GUEST_STOP:
        return mgmt_stop(g, "stopped by the management guest") ? HC_EINVAL : HC_OK;
    case HC_GUEST_START:
        return mgmt_start(g, "started by the management guest") ? HC_EBUSY : HC_OK;
    case HC_GUEST_RESTART:
        mgmt_restart(g, "restarted by the management guest");
        return HC_OK;
    }
    return HC_ENOSYS;
}

void manage_init(void)
{
    hypercall_set_manage(manage);
}
