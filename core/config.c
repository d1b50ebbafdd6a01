/* Configuration parser (see include/hv/config.h). Pure logic. */
#include <hv/config.h>
#include <stdarg.h>
#include <hv/fmt.h>
#include <hv/string.h>

#define LINE_MAX_LEN 512

struct parser {
    const char *file;
    unsigned line;
    int errors;
    config_err_fn err;
    void *ctx;
    enum { SEC_NONE, SEC_HYPERVISOR, SEC_UNKNOWN } section;
};

static void __printf(2, 3) report(struct parser *p, const char *fmt, ...)
{
    char msg[LINE_MAX_LEN + 128];
    int n = hv_snprintf(msg, sizeof(msg), "%s:%u: ", p->file, p->line);
    va_list ap;

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof(msg))
        hv_vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    p->errors++;
    if (p->err)
        p->err(p->ctx, msg);
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
    cfg->on_idle = ON_IDLE_POWEROFF;
    cfg->test_exits = false;
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

static void section_header(struct parser *p, const char *s, size_t n)
{
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
    } else if (n > 6 && memcmp(s, "guest", 5) == 0 && is_space(s[5])) {
        report(p, "[%.*s]: guests are not supported by this build yet", (int)n, s);
        p->section = SEC_UNKNOWN;
    } else {
        report(p, "unknown section [%.*s]", (int)n, s);
        p->section = SEC_UNKNOWN;
    }
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

static void parse_line(struct parser *p, struct hv_config *cfg, const char *s, size_t n)
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
        hypervisor_key(p, cfg, k, kn, v, vn);
        break;
    case SEC_UNKNOWN:
        break;          /* already reported at the header */
    }
}

int config_parse(const char *text, size_t len, const char *filename,
                 struct hv_config *cfg, config_err_fn err, void *ctx)
{
    struct parser p = { .file = filename, .err = err, .ctx = ctx };
    size_t pos = 0;

    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        p.line++;
        if (end - pos > LINE_MAX_LEN)
            report(&p, "line longer than %d characters", LINE_MAX_LEN);
        else
            parse_line(&p, cfg, text + pos, end - pos);
        pos = end + 1;
    }
    return p.errors;
}
