/*
 * Configuration checks against the machine (config_validate in
 * include/hv/config.h): CPUs that exist, a CPU for every shared guest,
 * memory that fits. Pure logic.
 */
#include "internal.h"
#include <hv/fmt.h>

/* ---- checks against the machine ---------------------------------------- */

struct validator {
    const char *file;
    config_err_fn err;
    void *ctx;
    int problems;
};

static void __printf(3, 4) problem(struct validator *vd, unsigned line, const char *fmt, ...)
{
    char msg[LINE_MAX_LEN + 128];
    va_list ap;

    va_start(ap, fmt);
    cfg_format_msg(msg, sizeof(msg), vd->file, line, fmt, ap);
    va_end(ap);
    vd->problems++;
    if (vd->err)
        vd->err(vd->ctx, msg);
}

/* "512 MiB", "2 GiB", "12 KiB" or "N bytes", for the memory budget. */
static void bytes_name(char *buf, size_t len, uint64_t v)
{
    if (v == 0)
        hv_snprintf(buf, len, "0 MiB");
    else if (IS_ALIGNED(v, GiB(1)))
        hv_snprintf(buf, len, "%llu GiB", (unsigned long long)(v >> 30));
    else if (IS_ALIGNED(v, MiB(1)))
        hv_snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
    else if (IS_ALIGNED(v, KiB(1)))
        hv_snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
    else
        hv_snprintf(buf, len, "%llu bytes", (unsigned long long)v);
}

/*
 * In three passes, each seeing only the guests the one before left valid:
 * CPUs that exist, then a CPU for every shared guest (a pinned guest
 * refused for a missing CPU frees its others), then memory in file order
 * (the earlier guest keeps its memory; a refused guest's is not counted).
 */
int config_validate(struct hv_config *cfg, const char *filename, unsigned ncpus,
                    uint64_t mem_bytes, config_err_fn err, void *ctx)
{
    struct validator vd = { .file = filename, .err = err, .ctx = ctx };
    bool pinned[CONFIG_CPU_LIMIT] = { false };
    unsigned limit = MIN(ncpus, (unsigned)CONFIG_CPU_LIMIT);
    uint64_t left = mem_bytes;
    char a[32], b[32];

    for (unsigned i = 0; i < cfg->guest_count; i++) {
        struct guest_config *g = &cfg->guests[i];
        if (!g->valid)
            continue;
        /* One message per guest: "cpus = 4-7" on four CPUs names CPU 4. */
        for (unsigned c = 0; c < g->cpu_count && c < CONFIG_MAX_GUEST_CPUS; c++) {
            if (g->cpus[c] >= ncpus) {
                problem(&vd, g->cpus_line ? g->cpus_line : g->line,
                        "cpus: CPU %u does not exist (this machine has %u)", g->cpus[c], ncpus);
                g->valid = false;
                break;
            }
        }
    }

    for (unsigned i = 0; i < cfg->guest_count; i++) {
        const struct guest_config *g = &cfg->guests[i];
        if (g->valid && g->cpus_mode == CPUS_PINNED)
            for (unsigned c = 0; c < g->cpu_count && c < CONFIG_MAX_GUEST_CPUS; c++)
                if (g->cpus[c] < CONFIG_CPU_LIMIT)
                    pinned[g->cpus[c]] = true;
    }
    for (unsigned i = 0; i < cfg->guest_count; i++) {
        struct guest_config *g = &cfg->guests[i];
        bool runs = false;
        if (!g->valid || g->cpus_mode != CPUS_SHARED)
            continue;
        if (g->cpu_count) {
            for (unsigned c = 0; c < g->cpu_count && c < CONFIG_MAX_GUEST_CPUS; c++)
                if (g->cpus[c] < limit && !pinned[g->cpus[c]])
                    runs = true;
        } else {
            for (unsigned c = 0; c < limit; c++)
                if (!pinned[c])
                    runs = true;
        }
        if (!runs) {
            problem(&vd, g->line, GUEST_FMT ": no CPU left for a shared guest: every CPU is "
                    "pinned", GUEST_ARGS(g));
            g->valid = false;
        }
    }

    for (unsigned i = 0; i < cfg->guest_count; i++) {
        struct guest_config *g = &cfg->guests[i];
        if (!g->valid)
            continue;
        if (g->memory > left) {
            bytes_name(a, sizeof(a), g->memory);
            bytes_name(b, sizeof(b), left);
            problem(&vd, g->line, GUEST_FMT ": memory: %s does not fit: %s left for guests",
                    GUEST_ARGS(g), a, b);
            g->valid = false;
            continue;
        }
        left -= g->memory;
    }
    return vd.problems;
}
