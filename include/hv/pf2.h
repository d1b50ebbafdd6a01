/*
 * Reader for GRUB's PF2 bitmap fonts (the ascii.pf2 that grub-common
 * ships is linked into the core for the framebuffer console). Pure logic:
 * every offset from the file is checked against its length.
 */
#ifndef HV_PF2_H
#define HV_PF2_H

#include <hv/compiler.h>

struct pf2_font {
    const uint8_t *data;
    size_t len;
    const uint8_t *chix;        /* character index: 9-byte entries */
    size_t chix_count;
    unsigned ascent, descent;
    unsigned cell_w, cell_h;    /* fixed cell for a text console */
};

struct pf2_glyph {
    unsigned width, height;
    int xoff, yoff;             /* from the cell's left edge / baseline */
    int advance;                /* device width */
    const uint8_t *bits;        /* width*height bits, MSB first, rows packed */
};

/* 0 on success, else a negative value and a reason in err. */
int pf2_load(struct pf2_font *f, const void *data, size_t len, char *err, size_t errlen);
/* false when the font has no (valid) glyph for cp. */
bool pf2_glyph(const struct pf2_font *f, uint32_t cp, struct pf2_glyph *g);
/* Pixel (x, y) of a glyph, y counted from the glyph's top row. */
static inline bool pf2_pixel(const struct pf2_glyph *g, unsigned x, unsigned y)
{
    size_t bit = (size_t)y * g->width + x;
    return (g->bits[bit / 8] >> (7 - bit % 8)) & 1;
}

#endif
