/* PF2 font reader (see include/hv/pf2.h). The format: a sequence of
 * sections, each a 4-character name and a big-endian 32-bit length; CHIX
 * holds sorted (codepoint, flags, offset) entries pointing into DATA, and
 * each glyph is width, height, x/y offset, advance (big-endian 16-bit)
 * followed by its bitmap. */
#include <hv/pf2.h>
#include <hv/fmt.h>
#include <hv/string.h>

#define CHIX_ENTRY 9
#define GLYPH_HDR  10

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static int fail(char *err, size_t n, const char *why)
{
    if (n)
        hv_snprintf(err, n, "%s", why);
    return -1;
}

int pf2_load(struct pf2_font *f, const void *data, size_t len, char *err, size_t errlen)
{
    const uint8_t *d = data;
    size_t pos = 0;
    unsigned maxw = 0, maxh = 0;

    memset(f, 0, sizeof(*f));
    if (len < 12 || memcmp(d, "FILE", 4) != 0 || be32(d + 4) != 4 || memcmp(d + 8, "PFF2", 4) != 0)
        return fail(err, errlen, "not a PF2 font (no FILE/PFF2 header)");
    pos = 12;
    while (pos + 8 <= len) {
        const uint8_t *name = d + pos;
        uint32_t slen = be32(d + pos + 4);
        pos += 8;
        if (memcmp(name, "DATA", 4) == 0)
            break;                          /* glyph data runs to the end */
        if (slen > len - pos)
            return fail(err, errlen, "section runs past the end of the file");
        if (memcmp(name, "CHIX", 4) == 0) {
            if (slen % CHIX_ENTRY)
                return fail(err, errlen, "CHIX length is not a multiple of 9");
            f->chix = d + pos;
            f->chix_count = slen / CHIX_ENTRY;
        } else if (slen == 2) {
            unsigned v = be16(d + pos);
            if (memcmp(name, "ASCE", 4) == 0) f->ascent = v;
            else if (memcmp(name, "DESC", 4) == 0) f->descent = v;
            else if (memcmp(name, "MAXW", 4) == 0) maxw = v;
            else if (memcmp(name, "MAXH", 4) == 0) maxh = v;
        }
        pos += slen;
    }
    if (!f->chix || f->chix_count == 0)
        return fail(err, errlen, "no character index (CHIX)");
    if (f->ascent == 0 || f->ascent + f->descent > 64 || maxw == 0 || maxw > 64 || maxh > 64)
        return fail(err, errlen, "implausible font metrics");
    f->data = d;
    f->len = len;
    f->cell_h = f->ascent + f->descent;
    /* A console cell is as wide as 'M' advances; else the widest glyph. */
    struct pf2_glyph m;
    f->cell_w = maxw;
    if (pf2_glyph(f, 'M', &m) && m.advance > 0 && (unsigned)m.advance <= maxw)
        f->cell_w = (unsigned)m.advance;
    return 0;
}

bool pf2_glyph(const struct pf2_font *f, uint32_t cp, struct pf2_glyph *g)
{
    size_t lo = 0, hi = f->chix_count;

    while (lo < hi) {                       /* CHIX is sorted by codepoint */
        size_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = f->chix + mid * CHIX_ENTRY;
        uint32_t c = be32(e);
        if (c < cp) {
            lo = mid + 1;
        } else if (c > cp) {
            hi = mid;
        } else {
            if (e[4] & 0x07)
                return false;               /* compressed storage: unsupported */
            uint32_t off = be32(e + 5);
            if (off > f->len || f->len - off < GLYPH_HDR)
                return false;
            const uint8_t *p = f->data + off;
            g->width = be16(p);
            g->height = be16(p + 2);
            g->xoff = (int16_t)be16(p + 4);
            g->yoff = (int16_t)be16(p + 6);
            g->advance = (int16_t)be16(p + 8);
            size_t bytes = ((size_t)g->width * g->height + 7) / 8;
            if (g->width > 64 || g->height > 64 || bytes > f->len - off - GLYPH_HDR)
                return false;
            g->bits = p + GLYPH_HDR;
            return true;
        }
    }
    return false;
}
