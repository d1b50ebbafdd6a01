/* Hypercalls (include/hv/hypercall.h, docs/hypercalls.md). */
#include <hv/hypercall.h>
#include <hv/console.h>
#include <hv/guest.h>
#include <hv/vdev.h>

enum exit_action hypercall_handle(struct vcpu *v)
{
    struct guest *g = v->guest;
    struct guest_regs *r = &v->regs;

    switch (r->rax) {
    case HC_VERSION:
        r->rax = (0u << 16) | (1u << 8) | 0u;
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
    case HC_STOP:
        guest_stop(g, (int)(uint32_t)r->rbx, "stop hypercall");
        return EXIT_STOP;
    default:
        r->rax = (uint64_t)(int64_t)HC_ENOSYS;
        return EXIT_RESUME;
    }
}
