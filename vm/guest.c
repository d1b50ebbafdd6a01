/* The guest object (include/hv/guest.h): stopping it, its exit counts,
 * its memory as the host sees it, its output line, and the record of its
 * accesses to unbacked guest-physical memory. */
#include <hv/guest.h>
#include <hv/guest_layout.h>
#include <hv/config.h>
#include <hv/log.h>
#include <hv/fmt.h>
#include <hv/layout.h>
#include <hv/textfilter.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <arch/percpu.h>
#include <stdarg.h>

/* The run loops of its vCPUs' CPUs see its new state and let them go;
 * CPU 0 decides on_idle once every guest has stopped. */
static void kick_cpus(struct guest *g)
{
    for (unsigned i = 0; i < g->vcpu_count; i++) {
        struct percpu *pc = __atomic_load_n(&g->vcpus[i]->cpu, __ATOMIC_ACQUIRE);
        if (pc)
            cpu_kick(pc);
    }
    if (percpu_get(0))
        cpu_kick(percpu_get(0));
}

/* The new state, once its lines are printed: the CPU that then finds
 * every guest stopped may power the machine off (on_idle) and stop the
 * other CPUs with an NMI, which would cut a line still being printed
 * (test 66 lost its heartbeat guest's exit counts so). Until then the
 * guest is `stopping` and still running to everyone else. */
static void publish(struct guest *g, enum guest_state state)
{
    uint64_t f = spin_lock_irqsave(&g->lock);
    g->state = state;
    g->stopping = false;
    spin_unlock_irqrestore(&g->lock, f);
    kick_cpus(g);
}

static void stop(struct guest *g, int status, bool may_restart, const char *fmt, va_list ap)
{
    uint64_t f = spin_lock_irqsave(&g->lock);
    if (g->state == GUEST_STOPPED || g->state == GUEST_RESTARTING || g->stopping) {
        spin_unlock_irqrestore(&g->lock, f);
        return;
    }
    g->stopping = true;
    guest_log_flush(g);
    hv_vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
    g->stop_status = status;
    /* on_stop = restart re-creates a guest that ended badly (non-zero
     * status: a crash, a fault, a failure it reported); status 0 is a
     * clean end. Not "stopped" to the rest of the machine while a restart
     * follows: on_idle must not power off in between. */
    bool again = may_restart && status != 0 && g->cfg && g->cfg->on_stop == ON_STOP_RESTART &&
                 g->instance - g->reboots <= GUEST_RESTART_LIMIT;
    spin_unlock_irqrestore(&g->lock, f);
    kprintf("guest %s stopped: %s (status %d)\n", g->name, g->stop_reason, status);
    guest_print_exits(g);
    publish(g, again ? GUEST_RESTARTING : GUEST_STOPPED);
}

void guest_stop(struct guest *g, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stop(g, status, true, fmt, ap);
    va_end(ap);
}

void guest_refuse(struct guest *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stop(g, 255, false, fmt, ap);
    va_end(ap);
}

void guest_reboot(struct guest *g, const char *fmt, ...)
{
    char why[96];
    va_list ap;

    va_start(ap, fmt);
    hv_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    uint64_t f = spin_lock_irqsave(&g->lock);
    if (g->state != GUEST_RUNNING || g->stopping) {
        spin_unlock_irqrestore(&g->lock, f);
        return;
    }
    g->stopping = true;
    guest_log_flush(g);
    hv_snprintf(g->stop_reason, sizeof(g->stop_reason), "reboot requested (%s)", why);
    g->stop_status = 0;
    /* A PC that resets comes back, so on_reboot = restart (the default)
     * re-creates the guest the way on_stop = restart does (the run loop
     * scrubs and reloads it in its own slices once its vCPUs let go).
     * Counted apart from crash restarts (guest_stop's limit is on
     * instance - reboots): a guest that reboots on purpose is not
     * failing, a Linux that panics says so through pvpanic first
     * (dm/vpvpanic.c: a crash), and re-creation costs its neighbours
     * nothing. */
    bool again = !g->cfg || g->cfg->on_reboot == ON_REBOOT_RESTART;
    if (again)
        g->reboots++;
    spin_unlock_irqrestore(&g->lock, f);
    if (again)
        kprintf("guest %s: reboot requested (%s); restarting it\n", g->name, why);
    else
        kprintf("guest %s stopped: reboot requested (%s), on_reboot = stop (status 0)\n",
                g->name, why);
    guest_print_exits(g);
    publish(g, again ? GUEST_RESTARTING : GUEST_STOPPED);
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
    const struct unbacked *u = &g->unbacked;
    if (u->accesses || u->scratch_pages)
        kprintf("guest %s: unbacked guest-physical memory: %lu reads and writes (all ones, "
                "ignored) in %u%s ranges; scratch page at %lu of its pages\n", g->name,
                u->accesses, u->range_count, u->more_said ? "+" : "", u->scratch_pages);
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
    /* Re-creation calls this (guest/lifecycle.c); the scratch page is
     * part of what the old instance leaves behind. */
    guest_unbacked_reset(g);
}

void guest_unbacked_access(struct guest *g, uint64_t gpa, bool write, unsigned size)
{
    uint64_t f = spin_lock_irqsave(&g->unbacked_lock);
    enum unbacked_note n = unbacked_note(&g->unbacked, gpa);
    spin_unlock_irqrestore(&g->unbacked_lock, f);
    uint64_t base = unbacked_range(gpa);
    if (n == UNBACKED_NEW_RANGE)
        kprintf("guest %s: reads and writes at guest-physical %#lx-%#lx: nothing there (reads "
                "all ones, writes ignored; first a %u-byte %s at %#lx)\n", g->name, base,
                base + UNBACKED_RANGE_SIZE - 1, size, write ? "write" : "read", gpa);
    else if (n == UNBACKED_TABLE_FULL)
        kprintf("guest %s: reads and writes at guest-physical %#lx and more ranges: nothing "
                "there (all ones, ignored); further ranges are only counted\n", g->name, base);
}

const char *guest_unbacked_back(struct guest *g, uint64_t gpa, const char *what)
{
    const char *why = NULL;
    bool mapped = false;
    uint64_t page = ALIGN_DOWN(gpa, PAGE_SIZE);
    uint64_t f = spin_lock_irqsave(&g->unbacked_lock);
    if (!g->scratch_hpa) {
        uint8_t *p = page_alloc(1);
        if (p) {
            memset(p, 0xff, PAGE_SIZE);
            g->scratch_hpa = kva_to_phys(p);
        }
    }
    if (!g->scratch_hpa) {
        why = "out of memory for its scratch page";
    } else if (g->unbacked.scratch_pages >= UNBACKED_MAX_SCRATCH) {
        why = "too many guest pages backed by its scratch page";
    } else {
        /* Read and write, no execute: the CPU pushes a frame there or
         * reads a descriptor. A not-present to present change needs no
         * INVEPT (SDM Vol. 3C 29.4.3.1: the EPT violation invalidated
         * what this CPU cached for the address, and no CPU caches a
         * not-present entry); ept.c publishes new tables whole, so other
         * vCPUs walking the EPT meanwhile see the old or the new entry. */
        int rc = ept_map(&g->ept, page, g->scratch_hpa, PAGE_SIZE,
                         EPT_READ | EPT_WRITE | EPT_MEMTYPE(EPT_MT_WB));
        mapped = rc == EPT_OK;
        if (mapped)
            g->unbacked.scratch_pages++;
        else if (rc != EPT_ERR_EXISTS)  /* exists: another vCPU of the guest was first */
            why = ept_error_name(rc);
    }
    spin_unlock_irqrestore(&g->unbacked_lock, f);
    if (mapped)
        kprintf("guest %s: %s touched guest-physical %#lx: nothing there; page %#lx is "
                "now its scratch page (all ones, writable)\n", g->name, what, gpa, page);
    return why;
}

void guest_unbacked_reset(struct guest *g)
{
    if (g->scratch_hpa)
        memset(phys_to_ptr(g->scratch_hpa), 0xff, PAGE_SIZE);
}
