/* Fuzz the configuration parser: any bytes must parse or be refused with
 * messages, never crash or read out of bounds, and leave a configuration
 * the core can use without further checks: a bounded guest list, every
 * string terminated inside its array, every count within its array, no two
 * valid guests claiming one pinned CPU or one physical port; and after
 * config_validate, valid guests that fit the machine it was given. */
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

static bool overlap(unsigned a0, unsigned a1, unsigned b0, unsigned b1)
{
    return a0 <= b1 && b0 <= a1;
}

/* A passed-through range of a valid guest: in order, clear of the ports
 * the hypervisor keeps and of the guest's own virtual devices. */
static void check_range(const struct guest_config *g, const struct io_range *r)
{
    if (r->first > r->last || overlap(r->first, r->last, 0x20, 0x21) ||
        overlap(r->first, r->last, 0xa0, 0xa1) || overlap(r->first, r->last, 0xcf8, 0xcff))
        __builtin_trap();
    if (g->has_serial && overlap(r->first, r->last, g->serial_port,
                                 g->serial_port + CONFIG_SERIAL_PORTS - 1))
        __builtin_trap();
    if (g->has_debug_exit && overlap(r->first, r->last, g->debug_exit_port,
                                     g->debug_exit_port))
        __builtin_trap();
}

/* Between valid guests: a pinned CPU in no other guest's list, a physical
 * port range in one guest only, one management guest at most. */
static void check_guests(void)
{
    unsigned management = 0;

    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *a = &cfg.guests[i];
        if (!a->valid)
            continue;
        management += a->management;
        for (unsigned j = 0; j < cfg.guest_count; j++) {
            const struct guest_config *b = &cfg.guests[j];
            if (!b->valid)
                continue;
            for (unsigned r = 0; r < a->passthrough_count; r++)
                for (unsigned s = 0; s < b->passthrough_count; s++)
                    if ((i != j || r != s) &&
                        overlap(a->passthrough[r].first, a->passthrough[r].last,
                                b->passthrough[s].first, b->passthrough[s].last))
                        __builtin_trap();
            if (i == j || a->cpus_mode != CPUS_PINNED)
                continue;
            for (unsigned c = 0; c < a->cpu_count; c++)
                for (unsigned d = 0; d < b->cpu_count; d++)
                    if (a->cpus[c] == b->cpus[d])
                        __builtin_trap();
        }
    }
    if (management > 1)
        __builtin_trap();
}

static void check_machine(unsigned ncpus, uint64_t mem)
{
    bool pinned[CONFIG_CPU_LIMIT] = { false };
    uint64_t used = 0;

    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *g = &cfg.guests[i];
        if (!g->valid)
            continue;
        used += g->memory;
        for (unsigned c = 0; c < g->cpu_count; c++) {
            if (g->cpus[c] >= ncpus)
                __builtin_trap();
            if (g->cpus_mode == CPUS_PINNED)
                pinned[g->cpus[c]] = true;
        }
    }
    if (used > mem)
        __builtin_trap();
    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *g = &cfg.guests[i];
        bool runs = false;
        if (!g->valid || g->cpus_mode != CPUS_SHARED)
            continue;
        for (unsigned c = 0; c < (g->cpu_count ? g->cpu_count : ncpus); c++)
            runs |= !pinned[g->cpu_count ? g->cpus[c] : c];
        if (!runs)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    config_defaults(&cfg);
    memset(cfg.guests, 0xa5, sizeof(cfg.guests));
    config_parse((const char *)data, size, "f.cfg", &cfg, ignore, NULL);

    if (cfg.guest_count > CONFIG_MAX_GUESTS ||
        cfg.slice_us < CONFIG_SLICE_MIN_US || cfg.slice_us > CONFIG_SLICE_MAX_US)
        __builtin_trap();
    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *g = &cfg.guests[i];
        CHECK_STRING(g->name);
        CHECK_STRING(g->kernel);
        CHECK_STRING(g->cmdline);
        if (g->module_count > CONFIG_MAX_MODULES || g->cpu_count > CONFIG_MAX_GUEST_CPUS ||
            g->passthrough_count > CONFIG_MAX_PASSTHROUGH)
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
            if (g->vcpus < 1 || g->vcpus > CONFIG_MAX_VCPUS ||
                g->weight < 1 || g->weight > CONFIG_WEIGHT_MAX)
                __builtin_trap();
            if (g->cpus_mode == CPUS_PINNED &&
                (g->cpu_count == 0 || g->vcpus != g->cpu_count ||
                 g->weight != CONFIG_WEIGHT_DEFAULT))
                __builtin_trap();
            for (unsigned r = 0; r < g->passthrough_count; r++)
                check_range(g, &g->passthrough[r]);
        }
    }
    check_guests();

    /* The checks against a machine leave guests that fit it. */
    unsigned ncpus = 1 + (unsigned)(size % 5);
    uint64_t mem = (uint64_t)(size % 17) << 26;     /* 0 .. 1G in 64M steps */
    config_validate(&cfg, "f.cfg", ncpus, mem, ignore, NULL);
    check_machine(ncpus, mem);
    return 0;
}
