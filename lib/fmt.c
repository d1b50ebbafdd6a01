/* The console formatter (see include/hv/fmt.h). */
#include <hv/fmt.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* characters produced so far, even past size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec;           /* -1: none */
};

static void emit_str(struct out *o, const struct spec *s, const char *str)
{
    size_t n = 0;

    if (!str)
        str = "(null)";
    /* Precision first: a "%.*s" argument need not be NUL-terminated. */
    while ((s->prec < 0 || n < (size_t)s->prec) && str[n])
        n++;
    if (!s->left)
        pad(o, ' ', s->width - (int)n);
    for (size_t i = 0; i < n; i++)
        put(o, str[i]);
    if (s->left)
        pad(o, ' ', s->width - (int)n);
}

static void emit_num(struct out *o, const struct spec *s, uint64_t v, bool neg,
                     unsigned base, bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    /* C11 7.21.6.1: precision 0 with value 0 prints no digits. */
    if (n == 0 && s->prec != 0)
        tmp[n++] = '0';

    char sign = neg ? '-' : s->plus ? '+' : s->space ? ' ' : 0;
    int plen = prefix ? (int)__builtin_strlen(prefix) : 0;
    int zeros = s->prec > n ? s->prec - n : 0;
    int total = n + zeros + plen + (sign ? 1 : 0);

    if (s->zero && !s->left && s->prec < 0 && s->width > total) {
        zeros += s->width - total;
        total = s->width;
    }
    if (!s->left)
        pad(o, ' ', s->width - total);
    if (sign)
        put(o, sign);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (s->left)
        pad(o, ' ', s->width - total);
}

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
    *s = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') s->left = true;
        else if (*f == '0') s->zero = true;
        else if (*f == '+') s->plus = true;
        else if (*f == ' ') s->space = true;
        else if (*f == '#') s->alt = true;
        else break;
    }
    if (*f == '*') {
        s->width = va_arg(*ap, int);
        if (s->width < 0) {
            s->left = true;
            s->width = -s->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            s->width = s->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        s->prec = 0;
        if (*f == '*') {
            s->prec = va_arg(*ap, int);
            if (s->prec < 0)
                s->prec = -1;
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                s->prec = s->prec * 10 + (*f++ - '0');
        }
    }
    return f;
}

/* Length modifier -> size in bytes of the argument (0: int). */
static const char *parse_len(const char *f, int *len)
{
    *len = 0;
    switch (*f) {
    case 'h':
        *len = (f[1] == 'h') ? 1 : 2;
        return f + (f[1] == 'h' ? 2 : 1);
    case 'l':
        *len = 8;
        return f + (f[1] == 'l' ? 2 : 1);
    case 'z': case 't': case 'j':
        *len = 8;
        return f + 1;
    default:
        return f;
    }
}

static uint64_t get_unsigned(va_list *ap, int len)
{
    switch (len) {
    case 1: return (unsigned char)va_arg(*ap, unsigned int);
    case 2: return (unsigned short)va_arg(*ap, unsigned int);
    case 8: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t get_signed(va_list *ap, int len)
{
    switch (len) {
    case 1: return (signed char)va_arg(*ap, int);
    case 2: return (short)va_arg(*ap, int);
    case 8: return va_arg(*ap, long long);
    default: return va_arg(*ap, int);
    }
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { .buf = buf, .size = size };
    va_list ap;

    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        struct spec s;
        int len;
        f = parse_spec(f + 1, &s, &ap);
        f = parse_len(f, &len);
        switch (*f) {
        case 'd': case 'i': {
            int64_t v = get_signed(&ap, len);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            emit_num(&o, &s, mag, v < 0, 10, false, NULL);
            break;
        }
        case 'u':
            emit_num(&o, &s, get_unsigned(&ap, len), false, 10, false, NULL);
            break;
        case 'x': case 'X': {
            uint64_t v = get_unsigned(&ap, len);
            const char *pre = (s.alt && v) ? (*f == 'x' ? "0x" : "0X") : NULL;
            emit_num(&o, &s, v, false, 16, *f == 'X', pre);
            break;
        }
        case 'o': {
            uint64_t v = get_unsigned(&ap, len);
            emit_num(&o, &s, v, false, 8, false, (s.alt && v) ? "0" : NULL);
            break;
        }
        case 'p':
            emit_num(&o, &s, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
            break;
        case 's':
            emit_str(&o, &s, va_arg(ap, const char *));
            break;
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            s.prec = -1;
            if (c[0] == 0) {        /* a NUL character still counts */
                if (!s.left) pad(&o, ' ', s.width - 1);
                put(&o, 0);
                if (s.left) pad(&o, ' ', s.width - 1);
            } else {
                emit_str(&o, &s, c);
            }
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':          /* a lone '%' at the end */
            f--;
            break;
        default:            /* unknown conversion: print it as written */
            put(&o, '%');
            put(&o, *f);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
