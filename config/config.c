/* Configuration parser (see include/hv/config.h). Pure logic. */
#include <hv/config.h>
#include <stdarg.h>
#include <hv/fmt.h>
#include <hv/string.h>

#define LINE_MAX_LEN 512

/* Keys of a [guest NAME] section (module and passthrough_io, repeatable,
 * are not tracked here). */
enum gkey {
    GK_KERNEL, GK_FORMAT, GK_LOAD_ADDRESS, GK_ENTRY, GK_CMDLINE, GK_MEMORY,
    GK_CPUS, GK_SERIAL, GK_DEBUG_EXIT, GK_ON_STOP, GK_VCPUS, GK_WEIGHT, GK_MANAGEMENT,
    GK_COUNT,
};

static const char *const gkey_names[GK_COUNT] = {
    [GK_KERNEL] = "kernel", [GK_FORMAT] = "format", [GK_LOAD_ADDRESS] = "load_address",
    [GK_ENTRY] = "entry", [GK_CMDLINE] = "cmdline", [GK_MEMORY] = "memory",
    [GK_CPUS] = "cpus", [GK_SERIAL] = "serial", [GK_DEBUG_EXIT] = "debug_exit",
    [GK_ON_STOP] = "on_stop", [GK_VCPUS] = "vcpus", [GK_WEIGHT] = "weight",
    [GK_MANAGEMENT] = "management",
};

/* Ports the hypervisor keeps for itself: passthrough_io may not hand them
 * to a guest. The 8259 pair is virtualised per guest (the core remaps the
 * real one); PCI configuration access through 0xcf8/0xcfc reaches every
 * device of the machine, not just one guest's; COM1 is the operator
 * console (a guest owning it would read what the operator types); 0x92
 * and 0xcf9 reset the whole machine. The ACPI PM ports, known only from
 * the FADT, are checked when the guest is created (core/partition.c). */
static const struct {
    uint16_t first, last;
    const char *what;
} reserved_ports[] = {
    { 0x20, 0x21, "the master PIC" },
    { 0xa0, 0xa1, "the slave PIC" },
    { 0xcf8, 0xcff, "PCI configuration space" },
    { 0x3f8, 0x3ff, "COM1, the operator console" },
    { 0x92, 0x92, "system control port A (fast reset)" },
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
    /* Which guest (index + 1; 0: none) pinned each CPU, and on which line;
     * and the first guest that listed it in cpus = shared ... */
    struct {
        uint8_t guest;
        unsigned line;
    } cpu_owner[CONFIG_CPU_LIMIT], cpu_shared[CONFIG_CPU_LIMIT];
    /* The management guest (index + 1; 0: none yet) and its line. */
    uint8_t mgmt_guest;
    unsigned mgmt_line;
};

STATIC_ASSERT(CONFIG_MAX_GUESTS < 256, "cpu_owner.guest is a uint8_t");
STATIC_ASSERT(CONFIG_MAX_GUEST_CPUS <= CONFIG_MAX_VCPUS, "a pinned guest has a vCPU per CPU");

/* "FILE:LINE: message" into `msg`, the one format of every message. */
static void __printf(5, 0) format_msg(char *msg, size_t size, const char *file, unsigned line,
                                      const char *fmt, va_list ap)
{
    int n = hv_snprintf(msg, size, "%s:%u: ", file, line);

    if (n >= 0 && (size_t)n < size)
        hv_vsnprintf(msg + n, size - (size_t)n, fmt, ap);
}

static void __printf(3, 0) vreport(struct parser *p, unsigned line, const char *fmt,
                                   va_list ap)
{
    char msg[LINE_MAX_LEN + 128];

    format_msg(msg, sizeof(msg), p->file, line, fmt, ap);
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
    cfg->slice_us = CONFIG_SLICE_DEFAULT_US;
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

/* "250us" or "4ms"; 1000 us and above in whole milliseconds. */
static void time_name(char *buf, size_t len, uint64_t us)
{
    if (us >= 1000 && us % 1000 == 0)
        hv_snprintf(buf, len, "%llums", (unsigned long long)(us / 1000));
    else
        hv_snprintf(buf, len, "%lluus", (unsigned long long)us);
}

/* A time: a number with us or ms, or a bare number of microseconds. */
static void slice_value(struct parser *p, struct hv_config *cfg, const char *v, size_t vn)
{
    uint64_t x, scale = 1;
    size_t n = vn;
    char lim[24];

    if (n >= 2 && v[n - 1] == 's' && (v[n - 2] == 'u' || v[n - 2] == 'm')) {
        scale = v[n - 2] == 'm' ? 1000 : 1;
        n -= 2;
    }
    enum config_num r = config_parse_number(v, n, &x);
    if (r == CONFIG_NUM_SYNTAX) {
        report(p, "slice: '%.*s' is not a time (a number with us or ms)", (int)vn, v);
        return;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > UINT64_MAX / scale)
        x = UINT64_MAX;
    else
        x *= scale;
    if (x > CONFIG_SLICE_MAX_US) {
        time_name(lim, sizeof(lim), CONFIG_SLICE_MAX_US);
        report(p, "slice: '%.*s' is above the maximum %s", (int)vn, v, lim);
        return;
    }
    if (x < CONFIG_SLICE_MIN_US) {
        time_name(lim, sizeof(lim), CONFIG_SLICE_MIN_US);
        report(p, "slice: '%.*s' is below the minimum %s", (int)vn, v, lim);
        return;
    }
    cfg->slice_us = (uint32_t)x;
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
    } else if (token_is(k, kn, "slice")) {
        slice_value(p, cfg, v, vn);
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

/* "port 0x80" or "ports 0x2f8-0x2ff", and the verb that goes with it. */
static void ports_name(char *buf, size_t len, unsigned first, unsigned last)
{
    if (first == last)
        hv_snprintf(buf, len, "port 0x%x", first);
    else
        hv_snprintf(buf, len, "ports 0x%x-0x%x", first, last);
}

static const char *overlap_verb(unsigned first, unsigned last)
{
    return first == last ? "overlaps" : "overlap";
}

/* "0x80" or "0x2f8-0x2ff". */
static void span_name(char *buf, size_t len, unsigned first, unsigned last)
{
    if (first == last)
        hv_snprintf(buf, len, "0x%x", first);
    else
        hv_snprintf(buf, len, "0x%x-0x%x", first, last);
}

static bool spans_overlap(unsigned a0, unsigned a1, unsigned b0, unsigned b1)
{
    return a0 <= b1 && b0 <= a1;
}

/* A guest's passed-through ports against its own virtual devices: serial
 * and debug_exit may come after passthrough_io, so this waits for the end
 * of the section; reported at the later of the two lines. */
static void passthrough_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;
    char a[40], b[40];

    for (unsigned i = 0; i < g->passthrough_count; i++) {
        const struct io_range *r = &g->passthrough[i];

        ports_name(a, sizeof(a), r->first, r->last);
        if (!(p->key_bad & BIT(GK_SERIAL)) && g->has_serial &&
            spans_overlap(r->first, r->last, g->serial_port,
                          g->serial_port + CONFIG_SERIAL_PORTS - 1)) {
            unsigned last = g->serial_port + CONFIG_SERIAL_PORTS - 1;
            span_name(b, sizeof(b), r->first, r->last);
            if (kl[GK_SERIAL] > r->line)
                report_at(p, kl[GK_SERIAL],
                          "serial: ports 0x%x-0x%x overlap passthrough_io %s (line %u)",
                          g->serial_port, last, b, r->line);
            else if (kl[GK_SERIAL])
                report_at(p, r->line, "passthrough_io: %s %s serial 0x%x-0x%x (line %u)", a,
                          overlap_verb(r->first, r->last), g->serial_port, last,
                          kl[GK_SERIAL]);
            else
                report_at(p, r->line,
                          "passthrough_io: %s %s serial 0x%x-0x%x (the default)", a,
                          overlap_verb(r->first, r->last), g->serial_port, last);
        }
        if (!(p->key_bad & BIT(GK_DEBUG_EXIT)) && g->has_debug_exit &&
            g->debug_exit_port >= r->first && g->debug_exit_port <= r->last) {
            span_name(b, sizeof(b), r->first, r->last);
            if (kl[GK_DEBUG_EXIT] > r->line)
                report_at(p, kl[GK_DEBUG_EXIT],
                          "debug_exit: port 0x%x overlaps passthrough_io %s (line %u)",
                          g->debug_exit_port, b, r->line);
            else
                report_at(p, r->line, "passthrough_io: %s %s debug_exit 0x%x (line %u)", a,
                          overlap_verb(r->first, r->last), g->debug_exit_port,
                          kl[GK_DEBUG_EXIT]);
        }
    }
}

/* vcpus and weight against the placement chosen by cpus; key order is
 * free, so this waits for the end of the section. */
static void cpus_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;

    if (p->key_bad & BIT(GK_CPUS) || g->cpus_mode != CPUS_PINNED)
        return;
    if (!kl[GK_VCPUS])
        g->vcpus = g->cpu_count;
    else if (!(p->key_bad & BIT(GK_VCPUS)) && g->vcpus != g->cpu_count)
        report_at(p, kl[GK_VCPUS],
                  "vcpus: %u does not match the %u CPU%s pinned at line %u; pinned guests "
                  "run one vCPU per listed CPU", g->vcpus, g->cpu_count,
                  g->cpu_count == 1 ? "" : "s", kl[GK_CPUS]);
    if (kl[GK_WEIGHT] && !(p->key_bad & BIT(GK_WEIGHT)))
        report_at(p, kl[GK_WEIGHT],
                  "weight: applies to shared CPUs only; this guest is pinned (cpus at line %u)",
                  kl[GK_CPUS]);
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

    passthrough_end(p);
    cpus_end(p);

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

/* A number within [min, max], for messages "below the minimum" etc. */
static bool range_value(struct parser *p, const char *key, const char *v, size_t vn,
                        uint64_t min, uint64_t max, unsigned *out)
{
    uint64_t x;
    enum config_num r = config_parse_number(v, vn, &x);

    if (r == CONFIG_NUM_SYNTAX) {
        report(p, "%s: '%.*s' is not a number", key, (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > max) {
        report(p, "%s: '%.*s' is above the maximum %llu", key, (int)vn, v,
               (unsigned long long)max);
        return false;
    }
    if (x < min) {
        report(p, "%s: '%.*s' is below the minimum %llu", key, (int)vn, v,
               (unsigned long long)min);
        return false;
    }
    *out = (unsigned)x;
    return true;
}

/* "A-B" or "A" (then B = A), each side trimmed. CONFIG_NUM_OVERFLOW also
 * means an end above `max`; *bad then names that end ("256" of "250-256"). */
static enum config_num parse_span(const char *s, size_t n, uint64_t max, uint64_t *lo,
                                  uint64_t *hi, const char **bad, size_t *badn)
{
    const char *dash = memchr(s, '-', n);
    size_t an = dash ? (size_t)(dash - s) : n, bn = dash ? n - an - 1 : 0;
    const char *a = trim(s, &an), *b = dash ? trim(dash + 1, &bn) : a;

    if (!dash)
        bn = an;
    enum config_num ra = config_parse_number(a, an, lo);
    enum config_num rb = config_parse_number(b, bn, hi);
    if (ra == CONFIG_NUM_SYNTAX || rb == CONFIG_NUM_SYNTAX)
        return CONFIG_NUM_SYNTAX;
    if (ra != CONFIG_NUM_OK || *lo > max) {
        *bad = a;
        *badn = an;
        return CONFIG_NUM_OVERFLOW;
    }
    if (rb != CONFIG_NUM_OK || *hi > max) {
        *bad = b;
        *badn = bn;
        return CONFIG_NUM_OVERFLOW;
    }
    return CONFIG_NUM_OK;
}

/* May this guest take `cpu` (pinned or shared)? Pinned CPUs belong to one
 * guest only and are listed in no shared list; shared lists may overlap. */
static bool cpu_free(struct parser *p, unsigned cpu, bool shared)
{
    const struct guest_config *o;

    if (p->cpu_owner[cpu].guest) {
        o = &p->cfg->guests[p->cpu_owner[cpu].guest - 1];
        if (shared)
            report(p, "cpus: CPU %u is pinned by guest '%s' (line %u) and cannot be shared",
                   cpu, o->name, p->cpu_owner[cpu].line);
        else
            report(p, "cpus: CPU %u is already given to guest '%s' (line %u)", cpu, o->name,
                   p->cpu_owner[cpu].line);
        return false;
    }
    if (!shared && p->cpu_shared[cpu].guest) {
        o = &p->cfg->guests[p->cpu_shared[cpu].guest - 1];
        report(p, "cpus: CPU %u is shared by guest '%s' (line %u) and cannot be pinned", cpu,
               o->name, p->cpu_shared[cpu].line);
        return false;
    }
    return true;
}

/* "2,3", "0-1,4" (pinned), "shared", "shared 1,2" or "shared 0-3". */
static bool cpus_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    uint16_t list[CONFIG_MAX_GUEST_CPUS];
    unsigned count = 0;
    bool shared = false;
    const char *l = v;
    size_t ln = vn, pos = 0;
    uint8_t self = (uint8_t)(g - p->cfg->guests + 1);

    if (vn >= 6 && memcmp(v, "shared", 6) == 0 && (vn == 6 || is_space(v[6]))) {
        shared = true;
        ln = vn - 6;
        l = trim(v + 6, &ln);
    }
    while (ln) {
        size_t end = pos;
        while (end < ln && l[end] != ',')
            end++;
        size_t in = end - pos;
        const char *item = trim(l + pos, &in), *bad = item;
        size_t badn = in;
        uint64_t lo, hi;
        enum config_num r = parse_span(item, in, CONFIG_CPU_LIMIT - 1, &lo, &hi, &bad, &badn);

        if (r == CONFIG_NUM_SYNTAX) {
            report(p, "cpus: '%.*s' is not shared or a list of CPUs and ranges (0-1,4)",
                   (int)vn, v);
            return false;
        }
        if (r == CONFIG_NUM_OVERFLOW) {
            report(p, "cpus: CPU '%.*s' is above the highest index %d", (int)badn, bad,
                   CONFIG_CPU_LIMIT - 1);
            return false;
        }
        if (lo > hi) {
            report(p, "cpus: range '%.*s' runs backwards", (int)in, item);
            return false;
        }
        for (unsigned cpu = (unsigned)lo; cpu <= hi; cpu++) {
            for (unsigned i = 0; i < count; i++) {
                if (list[i] == cpu) {
                    report(p, "cpus: CPU %u is listed twice", cpu);
                    return false;
                }
            }
            if (count == CONFIG_MAX_GUEST_CPUS) {
                report(p, "cpus: more than %d CPUs", CONFIG_MAX_GUEST_CPUS);
                return false;
            }
            if (!cpu_free(p, cpu, shared))
                return false;
            list[count++] = (uint16_t)cpu;
        }
        if (end >= ln)
            break;
        pos = end + 1;
    }
    for (unsigned i = 0; i < count; i++) {
        if (!shared) {
            p->cpu_owner[list[i]].guest = self;
            p->cpu_owner[list[i]].line = p->line;
        } else if (!p->cpu_shared[list[i]].guest) {
            p->cpu_shared[list[i]].guest = self;
            p->cpu_shared[list[i]].line = p->line;
        }
        g->cpus[i] = list[i];
    }
    g->cpu_count = count;
    g->cpus_mode = shared ? CPUS_SHARED : CPUS_PINNED;
    g->cpus_line = p->line;
    return true;
}

/* "0x2f8-0x2ff" or "0x80": physical ports handed to this guest. */
static bool passthrough_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    const char *bad = v;
    size_t badn = vn;
    uint64_t lo, hi;
    char a[40], b[40];

    if (g->passthrough_count >= CONFIG_MAX_PASSTHROUGH) {
        report(p, "passthrough_io: more than %d ranges", CONFIG_MAX_PASSTHROUGH);
        return false;
    }
    enum config_num r = parse_span(v, vn, 0xffff, &lo, &hi, &bad, &badn);
    if (r == CONFIG_NUM_SYNTAX) {
        report(p, "passthrough_io: '%.*s' is not a port or a range of ports (0x2f8-0x2ff)",
               (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW) {
        report(p, "passthrough_io: '%.*s' is above the last I/O port 0xffff", (int)badn, bad);
        return false;
    }
    if (lo > hi) {
        report(p, "passthrough_io: range '%.*s' runs backwards", (int)vn, v);
        return false;
    }
    unsigned first = (unsigned)lo, last = (unsigned)hi;
    ports_name(a, sizeof(a), first, last);
    for (size_t i = 0; i < ARRAY_SIZE(reserved_ports); i++) {
        if (spans_overlap(first, last, reserved_ports[i].first, reserved_ports[i].last)) {
            span_name(b, sizeof(b), reserved_ports[i].first, reserved_ports[i].last);
            report(p, "passthrough_io: %s %s %s (%s), which the hypervisor keeps", a,
                   overlap_verb(first, last), b, reserved_ports[i].what);
            return false;
        }
    }
    for (unsigned i = 0; i < g->passthrough_count; i++) {
        const struct io_range *o = &g->passthrough[i];
        if (spans_overlap(first, last, o->first, o->last)) {
            span_name(b, sizeof(b), o->first, o->last);
            report(p, "passthrough_io: %s %s %s (line %u)", a, overlap_verb(first, last), b,
                   o->line);
            return false;
        }
    }
    /* A physical port can have one owner: the earlier guest keeps it. */
    for (const struct guest_config *og = p->cfg->guests; og < g; og++) {
        for (unsigned i = 0; i < og->passthrough_count; i++) {
            const struct io_range *o = &og->passthrough[i];
            if (spans_overlap(first, last, o->first, o->last)) {
                span_name(b, sizeof(b), o->first, o->last);
                report(p, "passthrough_io: %s %s %s, already given to guest '%s' (line %u)",
                       a, overlap_verb(first, last), b, og->name, o->line);
                return false;
            }
        }
    }
    g->passthrough[g->passthrough_count++] =
        (struct io_range){ .first = (uint16_t)first, .last = (uint16_t)last, .line = p->line };
    return true;
}

static bool management_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    bool yes;

    if (!parse_bool(v, vn, &yes)) {
        report(p, "management: '%.*s' is not yes or no", (int)vn, v);
        return false;
    }
    if (yes && p->mgmt_guest) {
        const struct guest_config *o = &p->cfg->guests[p->mgmt_guest - 1];
        report(p, "management: guest '%s' is already the management guest (line %u)",
               o->name, p->mgmt_line);
        return false;
    }
    if (yes) {
        p->mgmt_guest = (uint8_t)(g - p->cfg->guests + 1);
        p->mgmt_line = p->line;
    }
    g->management = yes;
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
    if (token_is(k, kn, "passthrough_io")) {
        passthrough_value(p, v, vn);
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
    case GK_VCPUS:
        ok = range_value(p, "vcpus", v, vn, 1, CONFIG_MAX_VCPUS, &g->vcpus);
        break;
    case GK_WEIGHT:
        ok = range_value(p, "weight", v, vn, 1, CONFIG_WEIGHT_MAX, &g->weight);
        break;
    case GK_MANAGEMENT:
        ok = management_value(p, v, vn);
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
    format_msg(msg, sizeof(msg), vd->file, line, fmt, ap);
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
