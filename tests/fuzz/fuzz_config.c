/* Fuzz the configuration parser: any bytes must parse or be refused with
 * messages, never crash or read out of bounds, and leave a configuration
 * the core can use without further checks: a bounded guest list, every
 * string terminated inside its array, every count within its array. */
#include <hv/config.h>
#include <string.h>

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    /* every message names the file */
    if (strncmp(msg, "f.cfg:", 6) != 0)
        __builtin_trap();
}

static void check_string(const char *s, size_t size)
{
    if (!memchr(s, '\0', size))
        __builtin_trap();
}

#define CHECK_STRING(a) check_string((a), sizeof(a))

/* Guests are laid out with a poison byte pattern first, so a string the
 * parser forgot to terminate is caught instead of hidden by zeroes. */
static struct hv_config cfg;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    config_defaults(&cfg);
    memset(cfg.guests, 0xa5, sizeof(cfg.guests));
    config_parse((const char *)data, size, "f.cfg", &cfg, ignore, NULL);

    if (cfg.guest_count > CONFIG_MAX_GUESTS)
        __builtin_trap();
    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *g = &cfg.guests[i];
        CHECK_STRING(g->name);
        CHECK_STRING(g->kernel);
        CHECK_STRING(g->cmdline);
        if (g->module_count > CONFIG_MAX_MODULES || g->cpu_count > CONFIG_MAX_GUEST_CPUS)
            __builtin_trap();
        for (unsigned m = 0; m < g->module_count; m++) {
            CHECK_STRING(g->modules[m].path);
            CHECK_STRING(g->modules[m].string);
        }
        for (unsigned c = 0; c < g->cpu_count; c++)
            if (g->cpus[c] >= CONFIG_CPU_LIMIT)
                __builtin_trap();
        /* a guest the core may start has what it needs */
        if (g->valid) {
            if (!g->kernel[0] || g->memory < CONFIG_MEMORY_MIN ||
                g->memory > CONFIG_MEMORY_MAX || g->memory % 4096)
                __builtin_trap();
            if (g->format == GUEST_FORMAT_RAW &&
                (!g->has_load_address || !g->has_entry || g->load_address >= g->memory))
                __builtin_trap();
            if (g->has_serial && g->serial_port + CONFIG_SERIAL_PORTS - 1 > 0xffff)
                __builtin_trap();
        }
    }
    return 0;
}
