/*
 * The operator console, the hypervisor's side (include/hv/shell.h,
 * docs/console.md): bytes from the host serial line go to the shell or to
 * the guest chosen with `console NAME`; the commands act on guests through
 * the same operations the management hypercalls use (mgmt/ops.c).
 */
#include <hv/shell.h>
#include <hv/serial.h>
#include <hv/log.h>
#include <hv/guest.h>
#include <hv/lifecycle.h>
#include <hv/mgmt.h>
#include <hv/sched.h>
#include <hv/dm.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/vmx_exit.h>
#include <arch/tsc.h>

static spinlock_t shell_lock = SPINLOCK_INIT;
static struct shell_line line;
static struct guest *focus;         /* NULL: the shell has the keyboard */
static bool drop_reported;          /* said once that focus is not reading */

static uint64_t ms(uint64_t ticks)
{
    uint64_t khz = tsc_hz() / 1000;
    return khz ? ticks / khz : 0;
}

static void prompt(void)
{
    console_echo("hv> ", 4);
}

static void help(void)
{
    kprintf("commands: list | stats NAME | stop NAME | start NAME | restart NAME | console NAME\n"
            "          (after console NAME, typing goes to that guest; Ctrl-] comes back)\n");
}

static void list(void)
{
    kprintf("%-12s %-10s %4s %-24s %10s %9s\n", "guest", "state", "inst", "vCPU:cpu", "exits",
            "run ms");
    for (unsigned i = 0; i < guests_count(); i++) {
        struct guest *g = guest_get(i);
        char where[64];
        int n = 0;
        uint64_t run = 0;
        where[0] = '\0';
        for (unsigned k = 0; k < g->vcpu_count && n >= 0 && (size_t)n < sizeof(where); k++) {
            int cpu = schedule_vcpu_cpu(g->vcpus[k]);
            run += schedule_vcpu_run_time(g->vcpus[k]);
            if (cpu >= 0)
                n += hv_snprintf(where + n, sizeof(where) - (size_t)n, "%s%u:%d", k ? " " : "",
                                 k, cpu);
            else
                n += hv_snprintf(where + n, sizeof(where) - (size_t)n, "%s%u:-", k ? " " : "", k);
        }
        kprintf("%-12s %-10s %4u %-24s %10lu %9lu\n", g->name, guest_state_name(g), g->instance,
                where, guest_exit_total(g), ms(run));
    }
}

static void stats(struct guest *g)
{
    kprintf("%s: %s, instance %u, %lu exits, %lu IPIs to no vCPU\n", g->name,
            guest_state_name(g), g->instance, guest_exit_total(g), g->ipis_dropped);
    const struct unbacked *u = &g->unbacked;
    if (u->accesses || u->scratch_pages)
        kprintf("  unbacked guest-physical memory: %lu reads and writes (all ones, ignored) in "
                "%u%s ranges; scratch page at %lu of its pages\n", u->accesses,
                u->range_count, u->more_said ? "+" : "", u->scratch_pages);
    for (unsigned r = 0; r <= EXIT_REASON_COUNT; r++) {
        uint64_t count = guest_exits(g, r);
        if (!count)
            continue;
        kprintf("  %-28s %10lu exits %8lu cycles/exit\n",
                r < EXIT_REASON_COUNT ? vmx_exit_name(r) : "other", count,
                guest_exit_cycles(g, r) / count);
    }
    static const char *const states[] = { "stopped", "runnable", "running", "blocked" };
    for (unsigned k = 0; k < g->vcpu_count; k++) {
        const struct vcpu *v = g->vcpus[k];
        int cpu = schedule_vcpu_cpu(v);
        kprintf("  vCPU %u: cpu %d, %s, run %lu ms, wait %lu ms, %lu exits, %u moves\n", k, cpu,
                v->wait_sipi ? "wait-for-SIPI" : states[v->sv.state & 3], ms(schedule_vcpu_run_time(v)),
                ms(v->sv.wait_time), vcpu_exit_total(v), v->sv.migrations);
    }
}

static void run(const char *text)
{
    struct shell_cmd cmd;
    shell_parse(text, &cmd);
    if (cmd.kind == SHELL_CMD_NONE)
        return;
    if (cmd.kind == SHELL_CMD_BAD) {
        kprintf("%s\n", cmd.error);
        return;
    }
    if (cmd.kind == SHELL_CMD_HELP) {
        help();
        return;
    }
    if (cmd.kind == SHELL_CMD_LIST) {
        list();
        return;
    }
    struct guest *g = guest_find(cmd.arg);
    if (!g) {
        kprintf("no guest named '%s' (list shows them)\n", cmd.arg);
        return;
    }
    int rc = 0;
    switch (cmd.kind) {
    case SHELL_CMD_STATS:
        stats(g);
        break;
    case SHELL_CMD_STOP:
        rc = mgmt_stop(g, "stopped by the operator");
        if (rc)
            kprintf("%s is not running\n", g->name);
        break;
    case SHELL_CMD_START:
        rc = mgmt_start(g, "started by the operator");
        if (rc)
            kprintf("%s is already running (restart %s starts it again)\n", g->name, g->name);
        break;
    case SHELL_CMD_RESTART:
        mgmt_restart(g, "restarted by the operator");
        break;
    case SHELL_CMD_CONSOLE:
        if (!g->cfg->has_serial) {
            kprintf("%s has no serial port (serial = none)\n", g->name);
            break;
        }
        focus = g;
        drop_reported = false;
        kprintf("console: typing goes to %s's serial port; Ctrl-] comes back here\n", g->name);
        break;
    default:
        break;
    }
}

void shell_poll(void)
{
    if (!spin_trylock(&shell_lock))
        return;
    int c;
    while ((c = serial_getc()) >= 0) {
        if (c == SHELL_ESCAPE) {
            if (focus)
                kprintf("\nconsole: back to the hypervisor shell\n");
            focus = NULL;
            shell_line_reset(&line);
            prompt();
            continue;
        }
        if (focus) {
            if (vuart_receive(focus, (uint8_t)c)) {
                drop_reported = false;
            } else if (!drop_reported) {
                kprintf("console: %s is not reading its serial port; input dropped\n",
                        focus->name);
                drop_reported = true;
            }
            continue;
        }
        char echo[8];
        if (shell_line_feed(&line, (char)c, echo) == SHELL_DONE) {
            console_echo(echo, strlen(echo));
            run(line.buf);
            line.len = 0;
            if (!focus)
                prompt();
        } else if (echo[0]) {
            console_echo(echo, strlen(echo));
        }
    }
    spin_unlock(&shell_lock);
}
