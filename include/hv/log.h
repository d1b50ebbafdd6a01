/*
 * The hypervisor log: every log line goes to each registered backend
 * (16550 serial, framebuffer text, VGA text). Lines from different CPUs
 * are kept whole by a lock.
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <hv/compiler.h>
#include <stdarg.h>

struct console_backend {
    const char *name;
    void (*write)(struct console_backend *be, const char *s, size_t n);
    struct console_backend *next;
};

void console_register(struct console_backend *be);
void console_write(const char *s, size_t n);
/* The operator console's prompt and echo: the next log line starts on a
 * line of its own instead of continuing what the operator typed. */
void console_echo(const char *s, size_t n);
int kprintf(const char *fmt, ...) __printf(1, 2);
/* Only once every other CPU is stopped (power off, reset, halt): the lock
 * of the log free again, whoever was stopped holding it. */
void log_break_lock(void);
int kvprintf(const char *fmt, va_list ap);


#endif
