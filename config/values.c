/*
 * Configuration parser, part 3: the values of single keys (numbers,
 * sizes, ports, yes/no, paths, the real-mode entry, modules). Pure logic.
 */
#include "internal.h"
#include <hv/fmt.h>
#include <hv/string.h>

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

bool cfg_parse_bool(const char *v, size_t n, bool *out)
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

bool cfg_copy_value(struct parser *p, const char *key, const char *what, char *dst,
                    size_t size, const char *v, size_t vn)
{
    if (vn >= size) {
        cfg_report(p, "%s: %s longer than %zu characters", key, what, size - 1);
        return false;
    }
    memcpy(dst, v, vn);
    dst[vn] = '\0';
    return true;
}

bool cfg_number_value(struct parser *p, const char *key, const char *v, size_t vn,
                      uint64_t *out)
{
    switch (config_parse_number(v, vn, out)) {
    case CONFIG_NUM_OK:
        return true;
    case CONFIG_NUM_SYNTAX:
        cfg_report(p, "%s: '%.*s' is not a number", key, (int)vn, v);
        return false;
    case CONFIG_NUM_OVERFLOW:
        break;
    }
    cfg_report(p, "%s: '%.*s' does not fit in 64 bits", key, (int)vn, v);
    return false;
}

/* An I/O port base for `count` ports, or "none". */
bool cfg_port_value(struct parser *p, const char *key, const char *v, size_t vn,
                    unsigned count, bool *has, uint16_t *port)
{
    uint64_t x;

    if (token_is(v, vn, "none")) {
        *has = false;
        return true;
    }
    enum config_num r = config_parse_number(v, vn, &x);
    if (r == CONFIG_NUM_SYNTAX) {
        cfg_report(p, "%s: '%.*s' is not an I/O port or none", key, (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > 0xffff) {
        cfg_report(p, "%s: '%.*s' is above the last I/O port 0xffff", key, (int)vn, v);
        return false;
    }
    if (x + count - 1 > 0xffff) {
        cfg_report(p, "%s: ports 0x%llx-0x%llx run past the last I/O port 0xffff", key,
                   (unsigned long long)x, (unsigned long long)(x + count - 1));
        return false;
    }
    *has = true;
    *port = (uint16_t)x;
    return true;
}

bool cfg_memory_value(struct parser *p, struct guest_config *g, const char *v, size_t vn)
{
    uint64_t x;

    switch (config_parse_size(v, vn, &x)) {
    case CONFIG_NUM_SYNTAX:
        cfg_report(p, "memory: '%.*s' is not a size (use K, M or G)", (int)vn, v);
        return false;
    case CONFIG_NUM_OVERFLOW:
        x = UINT64_MAX;
        break;
    case CONFIG_NUM_OK:
        break;
    }
    if (x > CONFIG_MEMORY_MAX) {
        cfg_report(p, "memory: '%.*s' is above the maximum 64G", (int)vn, v);
        return false;
    }
    if (x < CONFIG_MEMORY_MIN) {
        cfg_report(p, "memory: '%.*s' is below the minimum 1M", (int)vn, v);
        return false;
    }
    if (!IS_ALIGNED(x, PAGE_SIZE)) {
        cfg_report(p, "memory: '%.*s' is not a multiple of 4K", (int)vn, v);
        return false;
    }
    g->memory = x;
    return true;
}

/* CS:IP (each 0..0xffff), or a linear address real mode can reach. */
bool cfg_entry_value(struct parser *p, struct guest_config *g, const char *v, size_t vn)
{
    const char *colon = memchr(v, ':', vn);
    uint64_t cs, ip;

    if (colon) {
        size_t cn = (size_t)(colon - v), in = vn - cn - 1;
        const char *c = trim(v, &cn), *i = trim(colon + 1, &in);
        enum config_num rc = config_parse_number(c, cn, &cs);
        enum config_num ri = config_parse_number(i, in, &ip);
        if (rc == CONFIG_NUM_SYNTAX || ri == CONFIG_NUM_SYNTAX) {
            cfg_report(p, "entry: '%.*s' is not CS:IP or an address", (int)vn, v);
            return false;
        }
        if (rc != CONFIG_NUM_OK || ri != CONFIG_NUM_OK || cs > 0xffff || ip > 0xffff) {
            cfg_report(p, "entry: '%.*s': CS and IP are at most 0xffff", (int)vn, v);
            return false;
        }
    } else {
        uint64_t lin;
        enum config_num r = config_parse_number(v, vn, &lin);
        if (r == CONFIG_NUM_SYNTAX) {
            cfg_report(p, "entry: '%.*s' is not CS:IP or an address", (int)vn, v);
            return false;
        }
        /* A raw image starts in real mode: CS:IP = (lin >> 4):(lin & 15). */
        if (r != CONFIG_NUM_OK || lin > 0xfffff) {
            cfg_report(p, "entry: '%.*s' is above 0xfffff, out of real-mode reach", (int)vn, v);
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
bool cfg_range_value(struct parser *p, const char *key, const char *v, size_t vn,
                     uint64_t min, uint64_t max, unsigned *out)
{
    uint64_t x;
    enum config_num r = config_parse_number(v, vn, &x);

    if (r == CONFIG_NUM_SYNTAX) {
        cfg_report(p, "%s: '%.*s' is not a number", key, (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW || x > max) {
        cfg_report(p, "%s: '%.*s' is above the maximum %llu", key, (int)vn, v,
                   (unsigned long long)max);
        return false;
    }
    if (x < min) {
        cfg_report(p, "%s: '%.*s' is below the minimum %llu", key, (int)vn, v,
                   (unsigned long long)min);
        return false;
    }
    *out = (unsigned)x;
    return true;
}

/* "A-B" or "A" (then B = A), each side trimmed. CONFIG_NUM_OVERFLOW also
 * means an end above `max`; *bad then names that end ("256" of "250-256"). */
enum config_num cfg_parse_span(const char *s, size_t n, uint64_t max, uint64_t *lo,
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

bool cfg_module_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;

    if (g->module_count >= CONFIG_MAX_MODULES) {
        cfg_report(p, "module: more than %d modules", CONFIG_MAX_MODULES);
        return false;
    }
    size_t pn = 0;
    while (pn < vn && !is_space(v[pn]))
        pn++;
    size_t sn = vn - pn;
    const char *str = trim(v + pn, &sn);
    struct guest_module *m = &g->modules[g->module_count];
    if (!cfg_copy_value(p, "module", "path", m->path, sizeof(m->path), v, pn) ||
        !cfg_copy_value(p, "module", "string", m->string, sizeof(m->string), str, sn)) {
        memset(m, 0, sizeof(*m));
        return false;
    }
    g->module_count++;
    return true;
}
