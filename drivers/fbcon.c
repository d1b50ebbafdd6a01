/*
 * Framebuffer text console: the log on screen for machines without a
 * serial port. RGB framebuffers (UEFI GOP, GRUB) draw glyphs of GRUB's PF2
 * ASCII font; VGA text mode writes character cells. Output scrolls; the
 * screen is cleared once at start.
 */
#include <hv/fbcon.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/pf2.h>
#include <hv/string.h>

extern const uint8_t font_pf2[], font_pf2_end[];

struct fbcon {
    struct console_backend be;
    struct boot_framebuffer fb;
    struct pf2_font font;
    unsigned cols, rows, col, row;
    uint32_t fg, bg;
};

static struct fbcon con;

static uint32_t rgb(const struct boot_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b)
{
    return (uint32_t)r << fb->red_pos | (uint32_t)g << fb->green_pos | (uint32_t)b << fb->blue_pos;
}

static volatile uint8_t *fb_ptr(void)
{
    return phys_to_ptr(con.fb.base);
}

static void rgb_draw(unsigned col, unsigned row, char c)
{
    struct pf2_glyph g;
    unsigned cw = con.font.cell_w, ch = con.font.cell_h;
    volatile uint8_t *base = fb_ptr() + (uint64_t)row * ch * con.fb.pitch + (uint64_t)col * cw * 4;

    for (unsigned y = 0; y < ch; y++) {
        volatile uint32_t *line = (volatile uint32_t *)(base + (uint64_t)y * con.fb.pitch);
        for (unsigned x = 0; x < cw; x++)
            line[x] = con.bg;
    }
    if (!pf2_glyph(&con.font, (uint8_t)c, &g) && !pf2_glyph(&con.font, '?', &g))
        return;
    /* Glyph rows run from ascent - (height + yoff) below the cell top. */
    int top = (int)con.font.ascent - (int)g.height - g.yoff;
    for (unsigned y = 0; y < g.height; y++) {
        int py = top + (int)y;
        if (py < 0 || py >= (int)ch)
            continue;
        volatile uint32_t *line = (volatile uint32_t *)(base + (uint64_t)py * con.fb.pitch);
        for (unsigned x = 0; x < g.width; x++) {
            int px = g.xoff + (int)x;
            if (px >= 0 && px < (int)cw && pf2_pixel(&g, x, y))
                line[px] = con.fg;
        }
    }
}

static void text_draw(unsigned col, unsigned row, char c)
{
    volatile uint16_t *cell = (volatile uint16_t *)(fb_ptr() + (uint64_t)row * con.fb.pitch) + col;
    *cell = (uint16_t)(0x0700 | (uint8_t)c);    /* light grey on black */
}

static void draw(unsigned col, unsigned row, char c)
{
    if (con.fb.type == BOOT_FB_RGB)
        rgb_draw(col, row, c);
    else
        text_draw(col, row, c);
}

static void scroll(void)
{
    unsigned line_h = con.fb.type == BOOT_FB_RGB ? con.font.cell_h : 1;
    uint64_t line_bytes = (uint64_t)con.fb.pitch * line_h;
    uint8_t *fb = (uint8_t *)fb_ptr();

    memmove(fb, fb + line_bytes, line_bytes * (con.rows - 1));
    for (unsigned c = 0; c < con.cols; c++)
        draw(c, con.rows - 1, ' ');
}

static void newline(void)
{
    con.col = 0;
    if (++con.row == con.rows) {
        scroll();
        con.row = con.rows - 1;
    }
}

static void fbcon_write(struct console_backend *be, const char *s, size_t n)
{
    (void)be;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            newline();
        } else if (c == '\r') {
            con.col = 0;
        } else {
            draw(con.col, con.row, c);
            if (++con.col == con.cols)
                newline();
        }
    }
}

bool fbcon_init(const struct boot_framebuffer *fb)
{
    char err[80];

    if (fb->type == BOOT_FB_NONE || fb->base == 0)
        return false;
    con.fb = *fb;
    if (fb->type == BOOT_FB_RGB) {
        if (fb->bpp != 32 || fb->pitch < fb->width * 4) {
            kprintf("console: framebuffer %ux%u with %u bpp unsupported; no screen log\n",
                    fb->width, fb->height, fb->bpp);
            return false;
        }
        if (pf2_load(&con.font, font_pf2, (size_t)(font_pf2_end - font_pf2), err, sizeof(err))) {
            kprintf("console: built-in font unusable (%s); no screen log\n", err);
            return false;
        }
        con.cols = fb->width / con.font.cell_w;
        con.rows = fb->height / con.font.cell_h;
        con.fg = rgb(fb, 0xc0, 0xc0, 0xc0);
        con.bg = rgb(fb, 0, 0, 0);
    } else {
        con.cols = fb->width;
        con.rows = fb->height;
        if (fb->pitch < fb->width * 2)
            con.fb.pitch = fb->width * 2;
    }
    if (con.cols == 0 || con.rows == 0)
        return false;
    for (unsigned r = 0; r < con.rows; r++)
        for (unsigned c = 0; c < con.cols; c++)
            draw(c, r, ' ');
    con.be.name = "framebuffer";
    con.be.write = fbcon_write;
    console_register(&con.be);
    return true;
}
