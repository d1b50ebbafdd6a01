/*
 * Configuration parser (see include/hv/config.h), part 1: lines,
 * comments, section headers, the [hypervisor] section and the messages.
 * [guest NAME] sections are config/guest.c. Pure logic.
 */
#include "internal.h"
#include <hv/fmt.h>
#include <hv/string.h>

/* "FILE:LINE: message" into `msg`, the one format of every message. */
void __printf(5, 0) cfg_format_msg(char *msg, size_t size, const char *file, unsigned line,
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

    cfg_format_msg(msg, sizeof(msg), p->file, line, fmt, ap);
    p->errors++;
    /* Any error inside a guest section disqualifies that guest alone. */
    if (p->section == SEC_GUEST && p->guest)
        p->guest->valid = false;
    if (p->err)
        p->err(p->ctx, msg);
}

void __printf(2, 3) cfg_report(struct parser *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, p->line, fmt, ap);
    va_end(ap);
}

void __printf(3, 4) cfg_report_at(struct parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(p, line, fmt, ap);
    va_end(ap);
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
        cfg_report(p, "slice: '%.*s' is not a time (a number with us or ms)", (int)vn, v);
        return;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > UINT64_MAX / scale)
        x = UINT64_MAX;
    else
        x *= scale;
    if (x > CONFIG_SLICE_MAX_US) {
        time_name(lim, sizeof(lim), CONFIG_SLICE_MAX_US);
        cfg_report(p, "slice: '%.*s' is above the maximum %s", (int)vn, v, lim);
        return;
    }
    if (x < CONFIG_SLICE_MIN_US) {
        time_name(lim, sizeof(lim), CONFIG_SLICE_MIN_US);
        cfg_report(p, "slice: '%.*s' is below the minimum %s", (int)vn, v, lim);
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
            cfg_report(p, "on_idle: '%.*s' is not poweroff, halt or reboot", (int)vn, v);
    } else if (token_is(k, kn, "test_exits")) {
        if (!cfg_parse_bool(v, vn, &cfg->test_exits))
            cfg_report(p, "test_exits: '%.*s' is not yes or no", (int)vn, v);
    } else if (token_is(k, kn, "slice")) {
        slice_value(p, cfg, v, vn);
    } else {
        cfg_report(p, "unknown key '%.*s' in [hypervisor]", (int)kn, k);
    }
}

/* ---- lines ------------------------------------------------------------ */

static void section_header(struct parser *p, const char *s, size_t n)
{
    cfg_guest_end(p);
    if (n < 2 || s[n - 1] != ']') {
        cfg_report(p, "malformed section header (expected [name])");
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
        cfg_guest_begin(p, p->cfg, s, n, name, nn);
    } else {
        cfg_report(p, "unknown section [%.*s]", (int)n, s);
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
            cfg_report(p, "control character in line");
            return;
        }
    }
    if (s[0] == '[') {
        section_header(p, s, n);
        return;
    }
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        cfg_report(p, "expected 'key = value' or '[section]'");
        return;
    }
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    const char *k = trim(s, &kn), *v = trim(eq + 1, &vn);
    if (kn == 0) {
        cfg_report(p, "missing key before '='");
        return;
    }
    if (vn == 0) {
        cfg_report(p, "%.*s: missing value", (int)kn, k);
        return;
    }
    switch (p->section) {
    case SEC_NONE:
        cfg_report(p, "'%.*s' outside any section", (int)kn, k);
        break;
    case SEC_HYPERVISOR:
        hypervisor_key(p, p->cfg, k, kn, v, vn);
        break;
    case SEC_GUEST:
        cfg_guest_key(p, k, kn, v, vn);
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
            cfg_report(&p, "line longer than %d characters", LINE_MAX_LEN);
        else
            parse_line(&p, text + pos, end - pos);
        pos = end + 1;
    }
    cfg_guest_end(&p);
    return p.errors;
}
