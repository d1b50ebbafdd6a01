/* Kernel command line: space-separated words, `key` or `key=value`. */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <hv/compiler.h>

/* Find `key`; copy its value (empty for a bare key) into val. The last
 * occurrence wins, as on Linux. false when absent. */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t size);
/* A decimal value; false when absent or not a number. */
bool cmdline_get_uint(const char *cmdline, const char *key, uint64_t *out);

#endif
