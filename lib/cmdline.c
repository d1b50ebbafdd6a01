/* Kernel command line parsing (see include/hv/cmdline.h). Pure logic. */
#include <hv/cmdline.h>
#include <hv/string.h>

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
    size_t klen = strlen(key);
    bool found = false;

    if (!cmdline || klen == 0)
        return false;
    for (const char *p = cmdline; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen < klen || memcmp(w, key, klen) != 0)
            continue;
        if (wlen == klen) {
            if (size)
                val[0] = 0;
            found = true;
        } else if (w[klen] == '=') {
            size_t vlen = wlen - klen - 1;
            if (size) {
                size_t n = vlen < size - 1 ? vlen : size - 1;
                memcpy(val, w + klen + 1, n);
                val[n] = 0;
            }
            found = true;
        }
    }
    return found;
}

bool cmdline_get_uint(const char *cmdline, const char *key, uint64_t *out)
{
    char buf[24];
    uint64_t v = 0;

    if (!cmdline_get(cmdline, key, buf, sizeof(buf)) || !buf[0])
        return false;
    for (const char *p = buf; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return true;
}
