/* Configuration parser (see include/hv/config.h). Pure logic. */
#include <hv/config.h>
#include <stdarg.h>
#include <hv/fmt.h>
#include <hv/string.h>

#define LINE_MAX_LEN 512

/* Keys of a [guest NAME] section (module, repeatable, is not tracked). */
enum gkey {
    GK_KERNEL, GK_FORMAT, GK_LOAD_ADDRESS, GK_ENTRY, GK_CMDLINE, GK_MEMORY,
    GK_CPUS, GK_SERIAL, GK_DEBUG_EXIT, GK_ON_STOP, GK_COUNT,
};

static const char *const gkey_names[GK_COUNT] = {
    [GK_KERNEL] = "kernel", [GK_FORMAT] = "format", [GK_LOAD_ADDRESS] = "load_address",
    [GK_ENTRY] = "entry", [GK_CMDLINE] = "cmdline", [GK_MEMORY] = "memory",
    [GK_CPUS] = "cpus", [GK_SERIAL] = "serial", [GK_DEBUG_EXIT] = "debug_exit",
    [GK_ON_STOP] = "on_stop",
};

struct parser {
    const char *file;
    unsigned line;
    int errors;
    config_err_fn err;
    void *ctx;
    struct hv_config *cfg;
    enum { SEC_NONE, SEC_HYPERVISOR, SEC_GUEST, SEC_UNKNOWN } section;
    /* SEC_GUEST: the open section, where each key was set (0: not set),
     * and which keys had bad values (so the checks at the end of the
     * section do not pile consequences onto an error already reported). */
    struct guest_config *guest;
    unsigned key_line[GK_COUNT];
    unsigned key_bad;
    /* Which guest (index + 1; 0: none) was given each CPU, and on which line. */
    struct {
        uint8_t guest;
        unsigned line;
    } cpu_owner[CONFIG_CPU_LIMIT];
};

STATIC_ASSERT(CONFIG_MAX_GUESTS < 256, "cpu_owner.guest is a uint8_t");

static void __printf(3, 0) vreport(struct parser *p, unsigned line, const char *fmt,
                                   va_list ap)
{
    char msg[LINE_MAX_LEN + 128];
    int n = hv_snprintf(msg, sizeof(msg), "%s:%u: ", p->file, line);

    if (n >= 0 && (size_t)n < sizeof(msg))
        hv_vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    p->errors++;
    /* Any error inside a guest section disqualifies that guest alone. */
    if (p->section == SEC_GUEST && p->guest)
        p->guest->valid = false;
    if (p->err)
        p->err(p->ctx, msg);
}

static void __printf(2, 3) report(struct parser *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, p->line, fmt, ap);
    va_end(ap);
}

static void __printf(3, 4) report_at(struct parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, line, fmt, ap);
    va_end(ap);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Trim in place: returns the start, writes the new length. */
static const char *trim(const char *s, size_t *len)
{
    while (*len && is_space(*s))
        s++, (*len)--;
    while (*len && is_space(s[*len - 1]))
        (*len)--;
    return s;
}

static bool token_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

void config_defaults(struct hv_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->on_idle = ON_IDLE_POWEROFF;
    cfg->test_exits = false;
    cfg->guest_count = 0;
}

const char *config_on_idle_name(enum on_idle v)
{
    switch (v) {
    case ON_IDLE_POWEROFF: return "poweroff";
    case ON_IDLE_HALT: return "halt";
    case ON_IDLE_REBOOT: return "reboot";
    }
    return "?";
}

const char *config_format_name(enum guest_format f)
{
    switch (f) {
    case GUEST_FORMAT_AUTO: return "auto";
    case GUEST_FORMAT_MULTIBOOT: return "multiboot";
    case GUEST_FORMAT_RAW: return "raw";
    }
    return "?";
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum config_num config_parse_number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;
    bool overflow = false;

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return CONFIG_NUM_SYNTAX;
    for (; i < n; i++) {
        int d = digit_value(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return CONFIG_NUM_SYNTAX;
        /* Keep scanning after an overflow: "99x" is a syntax error. */
        if (v > (UINT64_MAX - (unsigned)d) / base)
            overflow = true;
        else
            v = v * base + (unsigned)d;
    }
    if (overflow)
        return CONFIG_NUM_OVERFLOW;
    *out = v;
    return CONFIG_NUM_OK;
}

enum config_num config_parse_size(const char *s, size_t n, uint64_t *out)
{
    unsigned shift = 0;
    uint64_t v;

    if (n > 0) {
        switch (s[n - 1]) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        }
        if (shift)
            n--;
    }
    enum config_num r = config_parse_number(s, n, &v);
    if (r != CONFIG_NUM_OK)
        return r;
    if (v > (UINT64_MAX >> shift))
        return CONFIG_NUM_OVERFLOW;
    *out = v << shift;
    return CONFIG_NUM_OK;
}

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

static bool parse_bool(const char *v, size_t n, bool *out)
{
    if (token_is(v, n, "yes") || token_is(v, n, "true") || token_is(v, n, "on") ||
        token_is(v, n, "1")) {
        *out = true;
        return true;
    }
    if (token_is(v, n, "no") || token_is(v, n, "false") || token_is(v, n, "off") ||
        token_is(v, n, "0")) {
        *out = false;
        return true;
    }
    return false;
}

static void hypervisor_key(struct parser *p, struct hv_config *cfg,
                           const char *k, size_t kn, const char *v, size_t vn)
{
    if (token_is(k, kn, "on_idle")) {
        if (token_is(v, vn, "poweroff"))
            cfg->on_idle = ON_IDLE_POWEROFF;
        else if (token_is(v, vn, "halt"))
            cfg->on_idle = ON_IDLE_HALT;
        else if (token_is(v, vn, "reboot"))
            cfg->on_idle = ON_IDLE_REBOOT;
        else
            report(p, "on_idle: '%.*s' is not poweroff, halt or reboot", (int)vn, v);
    } else if (token_is(k, kn, "test_exits")) {
        if (!parse_bool(v, vn, &cfg->test_exits))
            report(p, "test_exits: '%.*s' is not yes or no", (int)vn, v);
    } else {
        report(p, "unknown key '%.*s' in [hypervisor]", (int)kn, k);
    }
}

/* ---- [guest NAME] sections ------------------------------------------- */

/* "[guest NAME]" in messages ("[guest]" when the name was missing). */
#define GUEST_FMT "[guest%s%s]"
#define GUEST_ARGS(g) ((g)->name[0] ? " " : ""), (g)->name

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static void guest_begin(struct parser *p, struct hv_config *cfg, const char *hdr, size_t hn,
                        const char *name, size_t nn)
{
    if (cfg->guest_count >= CONFIG_MAX_GUESTS) {
        report(p, "[%.*s]: more than %d guests; section ignored", (int)hn, hdr,
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
    /* The name is kept even when it is refused, so that later messages
     * about this section can still say which one they mean. */
    memcpy(g->name, name, MIN(nn, sizeof(g->name) - 1));

    p->section = SEC_GUEST;
    p->guest = g;
    memset(p->key_line, 0, sizeof(p->key_line));
    p->key_bad = 0;

    if (nn == 0) {
        report(p, "[%.*s]: missing guest name (expected [guest NAME])", (int)hn, hdr);
        return;
    }
    for (size_t i = 0; i < nn; i++) {
        if (is_space(name[i])) {
            report(p, "[%.*s]: guest name must be one word", (int)hn, hdr);
            return;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        if (!name_char_ok(name[i])) {
            report(p, "[%.*s]: guest name may only use A-Z a-z 0-9 _ -", (int)hn, hdr);
            return;
        }
    }
    if (nn >= CONFIG_NAME_LEN) {
        report(p, "[%.*s]: guest name is longer than %d characters", (int)hn, hdr,
               CONFIG_NAME_LEN - 1);
        return;
    }
    for (struct guest_config *o = cfg->guests; o < g; o++) {
        if (strcmp(o->name, g->name) == 0) {
            report(p, "[%.*s]: guest '%s' is already defined at line %u", (int)hn, hdr,
                   g->name, o->line);
            return;
        }
    }
}

/* Checks that need the whole section; reported at the line of the later of
 * the settings involved, or at the header for something missing. */
static void guest_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;
    char mem[32];

    if (p->section != SEC_GUEST || !g)
        return;
    size_name(mem, sizeof(mem), g->memory);
    bool memory_ok = !(p->key_bad & BIT(GK_MEMORY));

    if (!kl[GK_KERNEL])
        report_at(p, g->line, GUEST_FMT ": missing kernel", GUEST_ARGS(g));

    if (!(p->key_bad & BIT(GK_FORMAT))) {
        if (g->format == GUEST_FORMAT_RAW) {
            if (!kl[GK_LOAD_ADDRESS])
                report_at(p, g->line, GUEST_FMT ": format = raw needs load_address",
                          GUEST_ARGS(g));
            if (!kl[GK_ENTRY])
                report_at(p, g->line, GUEST_FMT ": format = raw needs entry", GUEST_ARGS(g));
        } else {
            if (kl[GK_LOAD_ADDRESS])
                report_at(p, kl[GK_LOAD_ADDRESS],
                          "load_address: only used with format = raw (format is %s)",
                          config_format_name(g->format));
            if (kl[GK_ENTRY])
                report_at(p, kl[GK_ENTRY], "entry: only used with format = raw (format is %s)",
                          config_format_name(g->format));
        }
    }

    if (memory_ok && g->has_load_address && g->load_address >= g->memory)
        report_at(p, MAX(kl[GK_LOAD_ADDRESS], kl[GK_MEMORY]),
                  "load_address: 0x%llx is not below the guest's memory (%s)",
                  (unsigned long long)g->load_address, mem);
    if (memory_ok && g->has_entry) {
        uint64_t lin = (uint64_t)g->entry_cs * 16 + g->entry_ip;
        if (lin >= g->memory)
            report_at(p, MAX(kl[GK_ENTRY], kl[GK_MEMORY]),
                      "entry: 0x%llx is not below the guest's memory (%s)",
                      (unsigned long long)lin, mem);
    }

    /* Each guest has its own I/O space, so only its own devices can clash. */
    if (!(p->key_bad & (BIT(GK_SERIAL) | BIT(GK_DEBUG_EXIT))) && g->has_serial &&
        g->has_debug_exit && g->debug_exit_port >= g->serial_port &&
        g->debug_exit_port < g->serial_port + CONFIG_SERIAL_PORTS) {
        unsigned last = g->serial_port + CONFIG_SERIAL_PORTS - 1;
        if (kl[GK_SERIAL] > kl[GK_DEBUG_EXIT])
            report_at(p, kl[GK_SERIAL],
                      "serial: ports 0x%x-0x%x overlap debug_exit 0x%x (line %u)",
                      g->serial_port, last, g->debug_exit_port, kl[GK_DEBUG_EXIT]);
        else if (kl[GK_SERIAL])
            report_at(p, kl[GK_DEBUG_EXIT],
                      "debug_exit: port 0x%x overlaps serial 0x%x-0x%x (line %u)",
                      g->debug_exit_port, g->serial_port, last, kl[GK_SERIAL]);
        else
            report_at(p, kl[GK_DEBUG_EXIT],
                      "debug_exit: port 0x%x overlaps serial 0x%x-0x%x (the default)",
                      g->debug_exit_port, g->serial_port, last);
    }

    p->section = SEC_NONE;
    p->guest = NULL;
}

static bool copy_value(struct parser *p, const char *key, const char *what, char *dst,
                       size_t size, const char *v, size_t vn)
{
    if (vn >= size) {
        report(p, "%s: %s longer than %zu characters", key, what, size - 1);
        return false;
    }
    memcpy(dst, v, vn);
    dst[vn] = '\0';
    return true;
}

static bool number_value(struct parser *p, const char *key, const char *v, size_t vn,
                         uint64_t *out)
{
    switch (config_parse_number(v, vn, out)) {
    case CONFIG_NUM_OK:
        return true;
    case CONFIG_NUM_SYNTAX:
        report(p, "%s: '%.*s' is not a number", key, (int)vn, v);
        return false;
    case CONFIG_NUM_OVERFLOW:
        break;
    }
    report(p, "%s: '%.*s' does not fit in 64 bits", key, (int)vn, v);
    return false;
}

/* An I/O port base for `count` ports, or "none". */
static bool port_value(struct parser *p, const char *key, const char *v, size_t vn,
                       unsigned count, bool *has, uint16_t *port)
{
    uint64_t x;

    if (token_is(v, vn, "none")) {
        *has = false;
        return true;
    }
    enum config_num r = config_parse_number(v, vn, &x);
    if (r == CONFIG_NUM_SYNTAX) {
        report(p, "%s: '%.*s' is not an I/O port or none", key, (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > 0xffff) {
        report(p, "%s: '%.*s' is above the last I/O port 0xffff", key, (int)vn, v);
        return false;
    }
    if (x + count - 1 > 0xffff) {
        report(p, "%s: ports 0x%llx-0x%llx run past the last I/O port 0xffff", key,
               (unsigned long long)x, (unsigned long long)(x + count - 1));
        return false;
    }
    *has = true;
    *port = (uint16_t)x;
    return true;
}

static bool memory_value(struct parser *p, struct guest_config *g, const char *v, size_t vn)
{
    uint64_t x;

    switch (config_parse_size(v, vn, &x)) {
    case CONFIG_NUM_SYNTAX:
        report(p, "memory: '%.*s' is not a size (use K, M or G)", (int)vn, v);
        return false;
    case CONFIG_NUM_OVERFLOW:
        x = UINT64_MAX;
        break;
    case CONFIG_NUM_OK:
        break;
    }
    if (x > CONFIG_MEMORY_MAX) {
        report(p, "memory: '%.*s' is above the maximum 64G", (int)vn, v);
        return false;
    }
    if (x < CONFIG_MEMORY_MIN) {
        report(p, "memory: '%.*s' is below the minimum 1M", (int)vn, v);
        return false;
    }
    if (!IS_ALIGNED(x, PAGE_SIZE)) {
        report(p, "memory: '%.*s' is not a multiple of 4K", (int)vn, v);
        return false;
    }
    g->memory = x;
    return true;
}

/* CS:IP (each 0..0xffff), or a linear address real mode can reach. */
static bool entry_value(struct parser *p, struct guest_config *g, const char *v, size_t vn)
{
    const char *colon = memchr(v, ':', vn);
    uint64_t cs, ip;

    if (colon) {
        size_t cn = (size_t)(colon - v), in = vn - cn - 1;
        const char *c = trim(v, &cn), *i = trim(colon + 1, &in);
        enum config_num rc = config_parse_number(c, cn, &cs);
        enum config_num ri = config_parse_number(i, in, &ip);
        if (rc == CONFIG_NUM_SYNTAX || ri == CONFIG_NUM_SYNTAX) {
            report(p, "entry: '%.*s' is not CS:IP or an address", (int)vn, v);
            return false;
        }
        if (rc != CONFIG_NUM_OK || ri != CONFIG_NUM_OK || cs > 0xffff || ip > 0xffff) {
            report(p, "entry: '%.*s': CS and IP are at most 0xffff", (int)vn, v);
            return false;
        }
    } else {
        uint64_t lin;
        enum config_num r = config_parse_number(v, vn, &lin);
        if (r == CONFIG_NUM_SYNTAX) {
            report(p, "entry: '%.*s' is not CS:IP or an address", (int)vn, v);
            return false;
        }
        /* A raw image starts in real mode: CS:IP = (lin >> 4):(lin & 15). */
        if (r != CONFIG_NUM_OK || lin > 0xfffff) {
            report(p, "entry: '%.*s' is above 0xfffff, out of real-mode reach", (int)vn, v);
            return false;
        }
        cs = lin >> 4;
        ip = lin & 0xf;
    }
    g->has_entry = true;
    g->entry_cs = (uint16_t)cs;
    g->entry_ip = (uint16_t)ip;
    return true;
}

static bool cpus_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    uint16_t list[CONFIG_MAX_GUEST_CPUS];
    unsigned count = 0;
    size_t pos = 0;

    for (;;) {
        size_t end = pos;
        while (end < vn && v[end] != ',')
            end++;
        size_t in = end - pos;
        const char *item = trim(v + pos, &in);
        uint64_t cpu;
        enum config_num r = config_parse_number(item, in, &cpu);

        if (r == CONFIG_NUM_SYNTAX) {
            report(p, "cpus: '%.*s' is not a CPU index or a comma list of them", (int)vn, v);
            return false;
        }
        if (r == CONFIG_NUM_OVERFLOW || cpu >= CONFIG_CPU_LIMIT) {
            report(p, "cpus: CPU '%.*s' is above the highest index %d", (int)in, item,
                   CONFIG_CPU_LIMIT - 1);
            return false;
        }
        for (unsigned i = 0; i < count; i++) {
            if (list[i] == cpu) {
                report(p, "cpus: CPU %u is listed twice", (unsigned)cpu);
                return false;
            }
        }
        if (count == CONFIG_MAX_GUEST_CPUS) {
            report(p, "cpus: more than %d CPUs", CONFIG_MAX_GUEST_CPUS);
            return false;
        }
        /* For now one guest per CPU: the core does not share a CPU. */
        if (p->cpu_owner[cpu].guest) {
            const struct guest_config *o = &p->cfg->guests[p->cpu_owner[cpu].guest - 1];
            report(p, "cpus: CPU %u is already given to guest '%s' (line %u)", (unsigned)cpu,
                   o->name, p->cpu_owner[cpu].line);
            return false;
        }
        list[count++] = (uint16_t)cpu;
        if (end >= vn)
            break;
        pos = end + 1;
    }
    for (unsigned i = 0; i < count; i++) {
        p->cpu_owner[list[i]].guest = (uint8_t)(g - p->cfg->guests + 1);
        p->cpu_owner[list[i]].line = p->line;
        g->cpus[i] = list[i];
    }
    g->cpu_count = count;
    return true;
}

static bool module_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;

    if (g->module_count >= CONFIG_MAX_MODULES) {
        report(p, "module: more than %d modules", CONFIG_MAX_MODULES);
        return false;
    }
    size_t pn = 0;
    while (pn < vn && !is_space(v[pn]))
        pn++;
    size_t sn = vn - pn;
    const char *str = trim(v + pn, &sn);
    struct guest_module *m = &g->modules[g->module_count];
    if (!copy_value(p, "module", "path", m->path, sizeof(m->path), v, pn) ||
        !copy_value(p, "module", "string", m->string, sizeof(m->string), str, sn)) {
        memset(m, 0, sizeof(*m));
        return false;
    }
    g->module_count++;
    return true;
}

static void guest_key(struct parser *p, const char *k, size_t kn, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    enum gkey key = GK_COUNT;
    bool ok = false;

    if (token_is(k, kn, "module")) {
        module_value(p, v, vn);
        return;
    }
    for (unsigned i = 0; i < GK_COUNT; i++)
        if (token_is(k, kn, gkey_names[i]))
            key = (enum gkey)i;
    if (key == GK_COUNT) {
        report(p, "unknown key '%.*s' in " GUEST_FMT, (int)kn, k, GUEST_ARGS(g));
        return;
    }
    if (p->key_line[key]) {
        report(p, "%s: already set at line %u", gkey_names[key], p->key_line[key]);
        return;
    }
    p->key_line[key] = p->line;

    switch (key) {
    case GK_KERNEL:
        ok = copy_value(p, "kernel", "path", g->kernel, sizeof(g->kernel), v, vn);
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
            report(p, "format: '%.*s' is not auto, multiboot or raw", (int)vn, v);
            ok = false;
        }
        break;
    case GK_LOAD_ADDRESS:
        ok = number_value(p, "load_address", v, vn, &g->load_address);
        g->has_load_address = ok;
        break;
    case GK_ENTRY:
        ok = entry_value(p, g, v, vn);
        break;
    case GK_CMDLINE:
        ok = copy_value(p, "cmdline", "value", g->cmdline, sizeof(g->cmdline), v, vn);
        break;
    case GK_MEMORY:
        ok = memory_value(p, g, v, vn);
        break;
    case GK_CPUS:
        ok = cpus_value(p, v, vn);
        break;
    case GK_SERIAL:
        ok = port_value(p, "serial", v, vn, CONFIG_SERIAL_PORTS, &g->has_serial,
                        &g->serial_port);
        break;
    case GK_DEBUG_EXIT:
        ok = port_value(p, "debug_exit", v, vn, 1, &g->has_debug_exit, &g->debug_exit_port);
        break;
    case GK_ON_STOP:
        ok = true;
        if (token_is(v, vn, "stop"))
            g->on_stop = ON_STOP_STOP;
        else if (token_is(v, vn, "restart"))
            g->on_stop = ON_STOP_RESTART;
        else {
            report(p, "on_stop: '%.*s' is not stop or restart", (int)vn, v);
            ok = false;
        }
        break;
    case GK_COUNT:
        break;
    }
    if (!ok)
        p->key_bad |= (unsigned)BIT(key);
}

/* ---- lines ------------------------------------------------------------ */

static void section_header(struct parser *p, const char *s, size_t n)
{
    guest_end(p);
    if (n < 2 || s[n - 1] != ']') {
        report(p, "malformed section header (expected [name])");
        p->section = SEC_UNKNOWN;
        return;
    }
    s++;
    n -= 2;
    s = trim(s, &n);
    if (token_is(s, n, "hypervisor")) {
        p->section = SEC_HYPERVISOR;
    } else if (n >= 5 && memcmp(s, "guest", 5) == 0 && (n == 5 || is_space(s[5]))) {
        size_t nn = n - 5;
        const char *name = trim(s + 5, &nn);
        guest_begin(p, p->cfg, s, n, name, nn);
    } else {
        report(p, "unknown section [%.*s]", (int)n, s);
        p->section = SEC_UNKNOWN;
    }
}

static void parse_line(struct parser *p, const char *s, size_t n)
{
    /* Comments: a line starting with # or ;, or " #"/" ;" after a value. */
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == '#' || s[i] == ';') && (i == 0 || is_space(s[i - 1]))) {
            n = i;
            break;
        }
    }
    s = trim(s, &n);
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || ((unsigned char)s[i] < 0x20 && s[i] != '\t')) {
            report(p, "control character in line");
            return;
        }
    }
    if (s[0] == '[') {
        section_header(p, s, n);
        return;
    }
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        report(p, "expected 'key = value' or '[section]'");
        return;
    }
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    const char *k = trim(s, &kn), *v = trim(eq + 1, &vn);
    if (kn == 0) {
        report(p, "missing key before '='");
        return;
    }
    if (vn == 0) {
        report(p, "%.*s: missing value", (int)kn, k);
        return;
    }
    switch (p->section) {
    case SEC_NONE:
        report(p, "'%.*s' outside any section", (int)kn, k);
        break;
    case SEC_HYPERVISOR:
        hypervisor_key(p, p->cfg, k, kn, v, vn);
        break;
    case SEC_GUEST:
        guest_key(p, k, kn, v, vn);
        break;
    case SEC_UNKNOWN:
        break;          /* already reported at the header */
    }
}

int config_parse(const char *text, size_t len, const char *filename,
                 struct hv_config *cfg, config_err_fn err, void *ctx)
{
    struct parser p = { .file = filename, .err = err, .ctx = ctx, .cfg = cfg };
    size_t pos = 0;

    cfg->guest_count = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        p.line++;
        if (end - pos > LINE_MAX_LEN)
            report(&p, "line longer than %d characters", LINE_MAX_LEN);
        else
            parse_line(&p, text + pos, end - pos);
        pos = end + 1;
    }
    guest_end(&p);
    return p.errors;
}
