/* Guest life cycle and I/O device registry (include/hv/guest.h). */
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/config.h>
#include <hv/console.h>
#include <hv/fmt.h>
#include <hv/layout.h>
#include <hv/vdev.h>
#include <arch/vmexit.h>
#include <hv/sched.h>
#include <stdarg.h>

void guest_stop(struct guest *g, int status, const char *fmt, ...)
{
    va_list ap;

    uint64_t f = spin_lock_irqsave(&g->lock);
    if (g->state == GUEST_STOPPED || g->state == GUEST_RESTARTING) {
        spin_unlock_irqrestore(&g->lock, f);
        return;
    }
    vuart_flush(g);
    va_start(ap, fmt);
    hv_vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
    va_end(ap);
    g->stop_status = status;
    /* on_stop = restart re-creates a guest that ended badly (non-zero
     * status: a crash, a fault, a failure it reported); status 0 is a
     * clean end. Not "stopped" to the rest of the machine while a restart
     * follows: on_idle must not power off in between. */
    bool again = status != 0 && g->cfg && g->cfg->on_stop == ON_STOP_RESTART &&
                 g->instance <= GUEST_RESTART_LIMIT;
    g->state = again ? GUEST_RESTARTING : GUEST_STOPPED;
    spin_unlock_irqrestore(&g->lock, f);
    kprintf("guest %s stopped: %s (status %d)\n", g->name, g->stop_reason, status);
    guest_print_exits(g);
    /* Its vCPUs on other CPUs leave guest mode and are let go. */
    schedule_guest_stopped(g);
}

const char *guest_state_name(const struct guest *g)
{
    switch (g->state) {
    case GUEST_RUNNING: return "running";
    case GUEST_RESTARTING: return "restarting";
    case GUEST_STOPPED: return "stopped";
    default: return "created";
    }
}

uint64_t guest_exits(const struct guest *g, unsigned reason)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < g->vcpu_count; i++)
        n += g->vcpus[i]->exit_count[reason];
    return n;
}

uint64_t guest_exit_cycles(const struct guest *g, unsigned reason)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < g->vcpu_count; i++)
        n += g->vcpus[i]->exit_cycles[reason];
    return n;
}

uint64_t vcpu_exit_total(const struct vcpu *v)
{
    uint64_t n = 0;
    for (unsigned r = 0; r < VCPU_EXIT_SLOTS; r++)
        n += v->exit_count[r];
    return n;
}

uint64_t guest_exit_total(const struct guest *g)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < g->vcpu_count; i++)
        n += vcpu_exit_total(g->vcpus[i]);
    return n;
}

/* "guest NAME: N exits: CPUID 12, I/O instruction 840, ..." on one line. */
void guest_print_exits(const struct guest *g)
{
    char line[400];
    int n = hv_snprintf(line, sizeof(line), "guest %s: %lu exits", g->name, guest_exit_total(g));
    const char *sep = ": ";
    for (unsigned r = 0; r <= EXIT_REASON_MAX && n > 0 && (size_t)n < sizeof(line); r++) {
        uint64_t count = guest_exits(g, r);
        if (!count)
            continue;
        n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", sep,
                         r < EXIT_REASON_MAX ? vmexit_name(r) : "other", count);
        sep = ", ";
    }
    kprintf("%s\n", line);
}

void *guest_ptr(struct guest *g, uint64_t gpa, uint64_t len)
{
    uint64_t off;
    if (!guest_ram_offset(g->ram_size, gpa, len, &off))
        return NULL;
    return phys_to_ptr(g->ram_hpa + off);
}

bool guest_add_io(struct guest *g, const struct io_device *d)
{
    if (g->io_count == GUEST_MAX_IO || d->count == 0 || d->base + d->count > 0x10000)
        return false;
    for (unsigned i = 0; i < g->io_count; i++) {
        const struct io_device *o = &g->io[i];
        if (d->base < o->base + o->count && o->base < d->base + d->count)
            return false;
    }
    g->io[g->io_count++] = *d;
    return true;
}

const struct io_device *guest_find_io(const struct guest *g, uint16_t port)
{
    for (unsigned i = 0; i < g->io_count; i++)
        if (port >= g->io[i].base && port < g->io[i].base + g->io[i].count)
            return &g->io[i];
    return NULL;
}
