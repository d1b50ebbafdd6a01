/* Hypercalls (include/hv/hypercall.h, docs/hypercalls.md). */
#include <hv/hypercall.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/vdev.h>
#include <hv/partition.h>
#include <hv/sched.h>
#include <hv/string.h>

/* HC_GUEST_*: the same operations as the operator console's. */
static int64_t manage(struct guest *self, uint64_t fn, uint64_t index, uint64_t gpa)
{
    if (!self->cfg || !self->cfg->management)
        return HC_EPERM;
    if (fn == HC_GUEST_COUNT)
        return partitions_count();
    struct guest *g = index < partitions_count() ? partition_guest((unsigned)index) : NULL;
    if (!g)
        return HC_ENOENT;
    switch (fn) {
    case HC_GUEST_INFO: {
        struct hc_guest_info *out = guest_ptr(self, gpa, sizeof(*out));
        if (!out)
            return HC_EFAULT;
        struct hc_guest_info info = {
            .state = g->state == GUEST_RUNNING ? HC_STATE_RUNNING
                     : g->state == GUEST_RESTARTING ? HC_STATE_RESTARTING : HC_STATE_STOPPED,
            .vcpus = g->vcpu_count, .instance = g->instance, .exits = guest_exit_total(g),
        };
        for (unsigned k = 0; k < g->vcpu_count; k++)
            info.run_ticks += schedule_vcpu_run_time(g->vcpus[k]);
        hv_strlcpy(info.name, g->name, sizeof(info.name));
        memcpy(out, &info, sizeof(info));
        return HC_OK;
    }
    case HC_GUEST_STOP:
        return partition_stop(g, "stopped by the management guest") ? HC_EINVAL : HC_OK;
    case HC_GUEST_START:
        return partition_request_start(g, "started by the management guest") ? HC_EBUSY : HC_OK;
    case HC_GUEST_RESTART:
        partition_restart(g, "restarted by the management guest");
        return HC_OK;
    }
    return HC_ENOSYS;
}

enum exit_action hypercall_handle(struct vcpu *v)
{
    struct guest *g = v->guest;
    struct guest_regs *r = &v->regs;

    switch (r->rax) {
    case HC_VERSION:
        r->rax = (0u << 16) | (2u << 8) | 0u;      /* 0.2.0: management calls */
        return EXIT_RESUME;
    case HC_CONSOLE_WRITE: {
        uint64_t len = r->rcx;
        const char *buf = len <= 4096 ? guest_ptr(g, r->rbx, len) : NULL;
        if (!buf) {
            r->rax = (uint64_t)(int64_t)HC_EFAULT;
            return EXIT_RESUME;
        }
        for (uint64_t i = 0; i < len; i++)
            vuart_putc(g, buf[i]);
        r->rax = HC_OK;
        return EXIT_RESUME;
    }
    case HC_INSTANCE:
        r->rax = g->instance;
        return EXIT_RESUME;
    case HC_GUEST_COUNT:
    case HC_GUEST_INFO:
    case HC_GUEST_STOP:
    case HC_GUEST_START:
    case HC_GUEST_RESTART: {
        int64_t rc = manage(g, r->rax, r->rbx, r->rcx);
        r->rax = (uint64_t)rc;
        /* Stopping itself ends this vCPU's run like HC_STOP does. */
        return g->state == GUEST_RUNNING ? EXIT_RESUME : EXIT_STOP;
    }
    case HC_STOP:
        guest_stop(g, (int)(uint32_t)r->rbx, "stop hypercall");
        return EXIT_STOP;
    default:
        r->rax = (uint64_t)(int64_t)HC_ENOSYS;
        return EXIT_RESUME;
    }
}
