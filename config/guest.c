/*
 * Configuration parser, part 2: [guest NAME] sections, from the header
 * through each key to the checks that need the whole section. The values
 * are config/values.c and config/resources.c. Pure logic.
 */
#include "internal.h"
#include <hv/fmt.h>
#include <hv/string.h>

static const char *const gkey_names[GK_COUNT] = {
    [GK_KERNEL] = "kernel", [GK_FORMAT] = "format", [GK_LOAD_ADDRESS] = "load_address",
    [GK_ENTRY] = "entry", [GK_CMDLINE] = "cmdline", [GK_MEMORY] = "memory",
    [GK_CPUS] = "cpus", [GK_SERIAL] = "serial", [GK_DEBUG_EXIT] = "debug_exit",
    [GK_ON_STOP] = "on_stop", [GK_VCPUS] = "vcpus", [GK_WEIGHT] = "weight",
    [GK_MANAGEMENT] = "management", [GK_STRICT_MEMORY] = "strict_memory",
    [GK_INITRD] = "initrd", [GK_ON_REBOOT] = "on_reboot",
};

/* "128M", "2G", "4K" or plain bytes, for messages. */
static void size_name(char *buf, size_t len, uint64_t v)
{
    if (v && IS_ALIGNED(v, GiB(1)))
        hv_snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
    else if (v && IS_ALIGNED(v, MiB(1)))
        hv_snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
    else if (v && IS_ALIGNED(v, KiB(1)))
        hv_snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
    else
        hv_snprintf(buf, len, "%llu", (unsigned long long)v);
}

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

void cfg_guest_begin(struct parser *p, struct hv_config *cfg, const char *hdr, size_t hn,
                     const char *name, size_t nn)
{
    if (cfg->guest_count >= CONFIG_MAX_GUESTS) {
        cfg_report(p, "[%.*s]: more than %d guests; section ignored", (int)hn, hdr,
                   CONFIG_MAX_GUESTS);
        p->section = SEC_UNKNOWN;
        return;
    }

    struct guest_config *g = &cfg->guests[cfg->guest_count++];
    memset(g, 0, sizeof(*g));
    g->line = p->line;
    g->valid = true;
    g->format = GUEST_FORMAT_AUTO;
    g->memory = CONFIG_MEMORY_DEFAULT;
    g->has_serial = true;
    g->serial_port = CONFIG_SERIAL_DEFAULT;
    g->vcpus = 1;
    g->cpus_mode = CPUS_SHARED;
    g->weight = CONFIG_WEIGHT_DEFAULT;
    /* The name is kept even when it is refused, so that later messages
     * about this section can still say which one they mean. */
    memcpy(g->name, name, MIN(nn, sizeof(g->name) - 1));

    p->section = SEC_GUEST;
    p->guest = g;
    memset(p->key_line, 0, sizeof(p->key_line));
    p->key_bad = 0;

    if (nn == 0) {
        cfg_report(p, "[%.*s]: missing guest name (expected [guest NAME])", (int)hn, hdr);
        return;
    }
    for (size_t i = 0; i < nn; i++) {
        if (is_space(name[i])) {
            cfg_report(p, "[%.*s]: guest name must be one word", (int)hn, hdr);
            return;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        if (!name_char_ok(name[i])) {
            cfg_report(p, "[%.*s]: guest name may only use A-Z a-z 0-9 _ -", (int)hn, hdr);
            return;
        }
    }
    if (nn >= CONFIG_NAME_LEN) {
        cfg_report(p, "[%.*s]: guest name is longer than %d characters", (int)hn, hdr,
                   CONFIG_NAME_LEN - 1);
        return;
    }
    for (struct guest_config *o = cfg->guests; o < g; o++) {
        if (strcmp(o->name, g->name) == 0) {
            cfg_report(p, "[%.*s]: guest '%s' is already defined at line %u", (int)hn, hdr,
                       g->name, o->line);
            return;
        }
    }
}

void cfg_guest_key(struct parser *p, const char *k, size_t kn, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    enum gkey key = GK_COUNT;
    bool ok = false;

    if (token_is(k, kn, "module")) {
        cfg_module_value(p, v, vn);
        return;
    }
    if (token_is(k, kn, "passthrough_io")) {
        cfg_passthrough_value(p, v, vn);
        return;
    }
    for (unsigned i = 0; i < GK_COUNT; i++)
        if (token_is(k, kn, gkey_names[i]))
            key = (enum gkey)i;
    if (key == GK_COUNT) {
        cfg_report(p, "unknown key '%.*s' in " GUEST_FMT, (int)kn, k, GUEST_ARGS(g));
        return;
    }
    if (p->key_line[key]) {
        cfg_report(p, "%s: already set at line %u", gkey_names[key], p->key_line[key]);
        return;
    }
    p->key_line[key] = p->line;

    switch (key) {
    case GK_KERNEL:
        ok = cfg_copy_value(p, "kernel", "path", g->kernel, sizeof(g->kernel), v, vn);
        if (ok)
            g->kernel_line = p->line;
        break;
    case GK_FORMAT:
        ok = true;
        if (token_is(v, vn, "auto"))
            g->format = GUEST_FORMAT_AUTO;
        else if (token_is(v, vn, "multiboot"))
            g->format = GUEST_FORMAT_MULTIBOOT;
        else if (token_is(v, vn, "raw"))
            g->format = GUEST_FORMAT_RAW;
        else {
            cfg_report(p, "format: '%.*s' is not auto, multiboot or raw", (int)vn, v);
            ok = false;
        }
        break;
    case GK_LOAD_ADDRESS:
        ok = cfg_number_value(p, "load_address", v, vn, &g->load_address);
        g->has_load_address = ok;
        break;
    case GK_ENTRY:
        ok = cfg_entry_value(p, g, v, vn);
        break;
    case GK_CMDLINE:
        ok = cfg_copy_value(p, "cmdline", "value", g->cmdline, sizeof(g->cmdline), v, vn);
        break;
    case GK_MEMORY:
        ok = cfg_memory_value(p, g, v, vn);
        break;
    case GK_CPUS:
        ok = cfg_cpus_value(p, v, vn);
        break;
    case GK_SERIAL:
        ok = cfg_port_value(p, "serial", v, vn, CONFIG_SERIAL_PORTS, &g->has_serial,
                            &g->serial_port);
        break;
    case GK_DEBUG_EXIT:
        ok = cfg_port_value(p, "debug_exit", v, vn, 1, &g->has_debug_exit, &g->debug_exit_port);
        break;
    case GK_ON_STOP:
        ok = true;
        if (token_is(v, vn, "stop"))
            g->on_stop = ON_STOP_STOP;
        else if (token_is(v, vn, "restart"))
            g->on_stop = ON_STOP_RESTART;
        else {
            cfg_report(p, "on_stop: '%.*s' is not stop or restart", (int)vn, v);
            ok = false;
        }
        break;
    case GK_ON_REBOOT:
        ok = true;
        if (token_is(v, vn, "restart"))
            g->on_reboot = ON_REBOOT_RESTART;
        else if (token_is(v, vn, "stop"))
            g->on_reboot = ON_REBOOT_STOP;
        else {
            cfg_report(p, "on_reboot: '%.*s' is not restart or stop", (int)vn, v);
            ok = false;
        }
        break;
    case GK_INITRD:
        ok = cfg_copy_value(p, "initrd", "path", g->initrd, sizeof(g->initrd), v, vn);
        if (ok)
            g->initrd_line = p->line;
        break;
    case GK_VCPUS:
        ok = cfg_range_value(p, "vcpus", v, vn, 1, CONFIG_MAX_VCPUS, &g->vcpus);
        break;
    case GK_WEIGHT:
        ok = cfg_range_value(p, "weight", v, vn, 1, CONFIG_WEIGHT_MAX, &g->weight);
        break;
    case GK_MANAGEMENT:
        ok = cfg_management_value(p, v, vn);
        break;
    case GK_STRICT_MEMORY:
        ok = cfg_parse_bool(v, vn, &g->strict_memory);
        if (!ok)
            cfg_report(p, "strict_memory: '%.*s' is not yes or no", (int)vn, v);
        break;
    case GK_COUNT:
        break;
    }
    if (!ok)
        p->key_bad |= (unsigned)BIT(key);
}

/* Checks that need the whole section; reported at the line of the later of
 * the settings involved, or at the header for something missing. */
void cfg_guest_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;
    char mem[32];

    if (p->section != SEC_GUEST || !g)
        return;
    size_name(mem, sizeof(mem), g->memory);
    bool memory_ok = !(p->key_bad & BIT(GK_MEMORY));

    if (!kl[GK_KERNEL])
        cfg_report_at(p, g->line, GUEST_FMT ": missing kernel", GUEST_ARGS(g));

    if (!(p->key_bad & BIT(GK_FORMAT))) {
        if (g->format == GUEST_FORMAT_RAW) {
            if (!kl[GK_LOAD_ADDRESS])
                cfg_report_at(p, g->line, GUEST_FMT ": format = raw needs load_address",
                              GUEST_ARGS(g));
            if (!kl[GK_ENTRY])
                cfg_report_at(p, g->line, GUEST_FMT ": format = raw needs entry", GUEST_ARGS(g));
        } else {
            if (kl[GK_LOAD_ADDRESS])
                cfg_report_at(p, kl[GK_LOAD_ADDRESS],
                              "load_address: only used with format = raw (format is %s)",
                              config_format_name(g->format));
            if (kl[GK_ENTRY])
                cfg_report_at(p, kl[GK_ENTRY], "entry: only used with format = raw (format is %s)",
                              config_format_name(g->format));
        }
        /* An initramfs is a Linux kernel's (found by format = auto). */
        if (kl[GK_INITRD] && g->format != GUEST_FORMAT_AUTO)
            cfg_report_at(p, kl[GK_INITRD],
                          "initrd: only used with a Linux kernel (format = auto; format is %s)",
                          config_format_name(g->format));
    }

    if (memory_ok && g->has_load_address && g->load_address >= g->memory)
        cfg_report_at(p, MAX(kl[GK_LOAD_ADDRESS], kl[GK_MEMORY]),
                      "load_address: 0x%llx is not below the guest's memory (%s)",
                      (unsigned long long)g->load_address, mem);
    if (memory_ok && g->has_entry) {
        uint64_t lin = (uint64_t)g->entry_cs * 16 + g->entry_ip;
        if (lin >= g->memory)
            cfg_report_at(p, MAX(kl[GK_ENTRY], kl[GK_MEMORY]),
                          "entry: 0x%llx is not below the guest's memory (%s)",
                          (unsigned long long)lin, mem);
    }

    /* Each guest has its own I/O space, so only its own devices can clash. */
    if (!(p->key_bad & (BIT(GK_SERIAL) | BIT(GK_DEBUG_EXIT))) && g->has_serial &&
        g->has_debug_exit && g->debug_exit_port >= g->serial_port &&
        g->debug_exit_port < g->serial_port + CONFIG_SERIAL_PORTS) {
        unsigned last = g->serial_port + CONFIG_SERIAL_PORTS - 1;
        if (kl[GK_SERIAL] > kl[GK_DEBUG_EXIT])
            cfg_report_at(p, kl[GK_SERIAL],
                          "serial: ports 0x%x-0x%x overlap debug_exit 0x%x (line %u)",
                          g->serial_port, last, g->debug_exit_port, kl[GK_DEBUG_EXIT]);
        else if (kl[GK_SERIAL])
            cfg_report_at(p, kl[GK_DEBUG_EXIT],
                          "debug_exit: port 0x%x overlaps serial 0x%x-0x%x (line %u)",
                          g->debug_exit_port, g->serial_port, last, kl[GK_SERIAL]);
        else
            cfg_report_at(p, kl[GK_DEBUG_EXIT],
                          "debug_exit: port 0x%x overlaps serial 0x%x-0x%x (the default)",
                          g->debug_exit_port, g->serial_port, last);
    }

    cfg_passthrough_end(p);
    cfg_platform_ports_end(p);
    cfg_cpus_end(p);

    p->section = SEC_NONE;
    p->guest = NULL;
}
