/*
 * VMCALL: the hypercall ABI (include/hv/hypercall.h, docs/hypercalls.md).
 * The calls every guest has are here; the management calls belong to the
 * management layer (mgmt/manage.c), which plugs its handler in at start,
 * and only the guest configured with management = yes reaches it: the
 * permission check is the first thing manage() does below.
 *
 * Only the guest's kernel may call: VMCALL from CPL > 0 (ring 1-3,
 * virtual-8086 mode) raises #UD, as VMCALL outside VMX non-root operation
 * does (SDM Vol. 2B, VMCALL), and nothing happens. In VMX non-root
 * operation VMCALL exits at every CPL, so the check is ours.
 */
#include <hv/exit.h>
#include <hv/hypercall.h>
#include <hv/guest.h>
#include <hv/version.h>
#include <arch/cpu.h>

static hypercall_manage_t manage_fn;

void hypercall_set_manage(hypercall_manage_t fn)
{
    manage_fn = fn;
}

static int64_t manage(struct vcpu *v, uint64_t fn, uint64_t a1, uint64_t a2)
{
    const struct guest *g = v->guest;
    if (!g->cfg || !g->cfg->management || !manage_fn)
        return HC_EPERM;
    return manage_fn(v, fn, a1, a2);
}

static int64_t console_write(struct guest *g, uint64_t gpa, uint64_t len)
{
    const char *buf = len <= HC_CONSOLE_MAX ? guest_ptr(g, gpa, len) : NULL;
    if (!buf)
        return HC_EFAULT;
    for (uint64_t i = 0; i < len; i++)
        guest_log_putc(g, buf[i]);
    return HC_OK;
}

static enum exit_action handle(struct vcpu *v)
{
    struct guest *g = v->guest;
    struct guest_regs *r = &v->regs;

    switch (r->rax) {
    case HC_VERSION:
        r->rax = HC_ABI_VERSION;
        return EXIT_RESUME;
    case HC_CONSOLE_WRITE:
        r->rax = (uint64_t)console_write(g, r->rbx, r->rcx);
        return EXIT_RESUME;
    case HC_INSTANCE:
        r->rax = g->instance;
        return EXIT_RESUME;
    case HC_GUEST_COUNT:
    case HC_GUEST_INFO:
    case HC_GUEST_STOP:
    case HC_GUEST_START:
    case HC_GUEST_RESTART:
        r->rax = (uint64_t)manage(v, r->rax, r->rbx, r->rcx);
        /* Stopping itself ends this vCPU's run like HC_STOP does. */
        return g->state == GUEST_RUNNING ? EXIT_RESUME : EXIT_STOP;
    case HC_STOP:
        guest_stop(g, (int)(uint32_t)r->rbx, "stop hypercall");
        return EXIT_STOP;
    default:
        r->rax = (uint64_t)(int64_t)HC_ENOSYS;
        return EXIT_RESUME;
    }
}

enum exit_action exit_vmcall(struct vcpu *v)
{
    if (vcpu_cpl(v) != 0) {
        /* A fault: RIP stays on the VMCALL, registers untouched. */
        vcpu_inject_exception(v, X86_EXC_UD, false, 0);
        return EXIT_RESUME;
    }
    enum exit_action a = handle(v);
    if (a == EXIT_RESUME)
        vcpu_skip_insn(v);
    return a;
}
