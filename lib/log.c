/* The hypervisor log: kprintf and its output backends (include/hv/log.h). */
#include <hv/log.h>
#include <hv/fmt.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <arch/cpu.h>
#include <stdarg.h>

static struct console_backend *backends;
static spinlock_t console_lock = SPINLOCK_INIT;

/* The machine is going down and every other CPU has been stopped by NMI
 * (arch/x86/power.c): one of them may have been stopped in the middle of
 * a line, holding the lock for good. Nobody else can take it now, so the
 * last CPU may simply have it (as Linux's bust_spinlocks lets an oops
 * print). */
void log_break_lock(void)
{
    console_lock = (spinlock_t)SPINLOCK_INIT;
}

void console_register(struct console_backend *be)
{
    uint64_t f = spin_lock_irqsave(&console_lock);
    struct console_backend **p = &backends;
    while (*p)
        p = &(*p)->next;
    be->next = NULL;
    *p = be;
    spin_unlock_irqrestore(&console_lock, f);
}

static void write_locked(const char *s, size_t n)
{
    for (struct console_backend *be = backends; be; be = be->next)
        be->write(be, s, n);
}

/* The operator's prompt or half-typed command is on the current line. */
static bool echo_open;

void console_write(const char *s, size_t n)
{
    uint64_t f = spin_lock_irqsave(&console_lock);
    /* A log line never continues the operator's line: it starts its own,
     * so guest output stays readable (and greppable) while someone types. */
    if (echo_open && n && s[0] != '\n')
        write_locked("\n", 1);
    echo_open = false;
    write_locked(s, n);
    spin_unlock_irqrestore(&console_lock, f);
}

void console_echo(const char *s, size_t n)
{
    uint64_t f = spin_lock_irqsave(&console_lock);
    write_locked(s, n);
    if (n)
        echo_open = s[n - 1] != '\n';
    spin_unlock_irqrestore(&console_lock, f);
}

int kvprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    console_write(buf, len);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}
