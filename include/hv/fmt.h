/*
 * The console formatter: a printf subset, pure and host-testable.
 * Supports flags '-', '0', '+', ' ', '#'; width and precision (also '*');
 * length modifiers hh h l ll z t j; conversions d i u x X o p s c %.
 * Floating point is deliberately absent (the core builds without SSE).
 */
#ifndef HV_FMT_H
#define HV_FMT_H

#include <stdarg.h>
#include <hv/compiler.h>

/* Like vsnprintf: always NUL-terminates when size > 0, returns the length
 * the full output would have had. */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
