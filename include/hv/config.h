/*
 * The hypervisor configuration file (docs/configuration.md): INI-style,
 * `[section]` headers, `key = value` lines, `#` or `;` comments.
 * Parsing is pure logic; every problem is reported with file and line.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <hv/compiler.h>

enum on_idle {
    ON_IDLE_POWEROFF = 0,
    ON_IDLE_HALT,
    ON_IDLE_REBOOT,
};

struct hv_config {
    enum on_idle on_idle;   /* what to do when nothing is left to run */
    bool test_exits;        /* emulator test exits allowed (CI images only) */
};

/* Called once per problem with a complete message ("hv.cfg:3: ..."). */
typedef void (*config_err_fn)(void *ctx, const char *msg);

/* Defaults: on_idle = poweroff, test_exits = no. */
void config_defaults(struct hv_config *cfg);

/* Parse `len` bytes of `text`. Returns the number of errors; on errors the
 * fields that parsed cleanly are still set and the others keep defaults. */
int config_parse(const char *text, size_t len, const char *filename,
                 struct hv_config *cfg, config_err_fn err, void *ctx);

const char *config_on_idle_name(enum on_idle v);

#endif
