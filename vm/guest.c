/* The guest object (include/hv/guest.h): stopping it, its exit counts,
 * its memory as the host sees it, and its output line. */
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/config.h>
#include <hv/log.h>
#include <hv/fmt.h>
#include <hv/layout.h>
#include <hv/textfilter.h>
#include <arch/percpu.h>
#include <stdarg.h>

void guest_stop(struct guest *g, int status, const char *fmt, ...)
{
    va_list ap;

    uint64_t f = spin_lock_irqsave(&g->lock);
    if (g->state == GUEST_STOPPED || g->state == GUEST_RESTARTING) {
        spin_unlock_irqrestore(&g->lock, f);
        return;
    }
    guest_log_flush(g);
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
    /* The run loops of its vCPUs' CPUs see the state and let them go;
     * CPU 0 decides on_idle once every guest has stopped. */
    for (unsigned i = 0; i < g->vcpu_count; i++) {
        struct percpu *pc = __atomic_load_n(&g->vcpus[i]->cpu, __ATOMIC_ACQUIRE);
        if (pc)
            cpu_kick(pc);
    }
    if (percpu_get(0))
        cpu_kick(percpu_get(0));
}

const char *guest_state_name(const struct guest *g)
{
    switch (g->state) {
    case GUEST_RUNNING: return "running";
    case GUEST_RESTARTING:
    case GUEST_RELOADING: return "restarting";
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
    for (unsigned r = 0; r <= EXIT_REASON_COUNT && n > 0 && (size_t)n < sizeof(line); r++) {
        uint64_t count = guest_exits(g, r);
        if (!count)
            continue;
        n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", sep,
                         r < EXIT_REASON_COUNT ? vmx_exit_name(r) : "other", count);
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

/* Callers hold the log lock. */
static void flush_locked(struct guest *g)
{
    struct guest_log *l = &g->log;
    if (l->len) {
        kprintf("[%s] %.*s\n", g->name, (int)l->len, l->line);
        l->len = 0;
    }
}

void guest_log_flush(struct guest *g)
{
    uint64_t f = spin_lock_irqsave(&g->log.lock);
    flush_locked(g);
    spin_unlock_irqrestore(&g->log.lock, f);
}

void guest_log_putc(struct guest *g, char c)
{
    struct guest_log *l = &g->log;
    /* Control bytes (C0, DEL, C1) would let a guest repaint or command
     * the operator's terminal: lib/textfilter.c shows them as '?'. */
    int shown = text_filter_byte((uint8_t)c);
    uint64_t f = spin_lock_irqsave(&l->lock);
    if (shown == TEXT_EOL) {
        flush_locked(g);
    } else if (shown != TEXT_NONE) {
        l->line[l->len++] = (char)shown;
        if (l->len == sizeof(l->line))
            flush_locked(g);
    }
    spin_unlock_irqrestore(&l->lock, f);
}

void guest_log_reset(struct guest *g)
{
    uint64_t f = spin_lock_irqsave(&g->log.lock);
    g->log.len = 0;
    spin_unlock_irqrestore(&g->log.lock, f);
}
