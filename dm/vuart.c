/*
 * Small device models: the 16550 UART (transmit side), the test-exit port
 * and a harmless 8259 pair. Each sits behind the guest's I/O registry.
 */
#include <hv/vdev.h>
#include <hv/console.h>

#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

/* Callers hold u->lock: vCPUs on several CPUs share one UART. */
static void flush_locked(struct guest *g)
{
    struct vuart *u = &g->uart;
    if (u->len) {
        kprintf("[%s] %.*s\n", g->name, (int)u->len, u->line);
        u->len = 0;
    }
}

void vuart_flush(struct guest *g)
{
    uint64_t f = spin_lock_irqsave(&g->uart.lock);
    flush_locked(g);
    spin_unlock_irqrestore(&g->uart.lock, f);
}

static void putc_locked(struct guest *g, char c)
{
    struct vuart *u = &g->uart;
    if (c == '\n') {
        flush_locked(g);
        return;
    }
    if (c == '\r')
        return;
    /* Control characters would let a guest repaint the operator's
     * terminal: show them as '?'. */
    if ((unsigned char)c < 0x20 && c != '\t')
        c = '?';
    u->line[u->len++] = c;
    if (u->len == sizeof(u->line))
        flush_locked(g);
}

void vuart_putc(struct guest *g, char c)
{
    uint64_t f = spin_lock_irqsave(&g->uart.lock);
    putc_locked(g, c);
    spin_unlock_irqrestore(&g->uart.lock, f);
}

/* The operator typed into this guest (core/shell.c); a full FIFO drops
 * the byte, as an overrun would (no flow control). */
bool vuart_receive(struct guest *g, uint8_t c)
{
    struct vuart *u = &g->uart;
    uint64_t f = spin_lock_irqsave(&u->lock);
    bool ok = u->rx_count < VUART_RX_SIZE;
    if (ok) {
        u->rx[(u->rx_head + u->rx_count) % VUART_RX_SIZE] = c;
        u->rx_count++;
    }
    spin_unlock_irqrestore(&u->lock, f);
    return ok;
}

static uint32_t uart_reg_read(struct vuart *u, unsigned reg)
{
    switch (reg) {
    case UART_THR:                                             /* RBR */
        if (u->lcr & LCR_DLAB)
            return u->dll;
        if (!u->rx_count)
            return 0;
        uint8_t c = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
        u->rx_count--;
        return c;
    case UART_IER: return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
    case UART_IIR: return 0x01;                                /* no interrupt pending */
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    /* transmitter always ready; data ready while typed bytes wait */
    case UART_LSR: return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
    case UART_MSR: return 0xb0;                                /* DCD, DSR, CTS */
    case UART_SCR: return u->scr;
    }
    return 0xff;
}

static uint32_t uart_read(struct guest *g, void *dev, uint16_t port, unsigned size)
{
    struct vuart *u = &g->uart;
    uint16_t base = (uint16_t)(uintptr_t)dev;
    (void)size;
    uint64_t f = spin_lock_irqsave(&u->lock);
    uint32_t val = uart_reg_read(u, (unsigned)(port - base));
    spin_unlock_irqrestore(&u->lock, f);
    return val;
}

static void uart_write(struct guest *g, void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct vuart *u = &g->uart;
    uint16_t base = (uint16_t)(uintptr_t)dev;
    (void)size;
    uint64_t f = spin_lock_irqsave(&u->lock);

    switch (port - base) {
    case UART_THR:
        if (u->lcr & LCR_DLAB)
            u->dll = (uint8_t)val;
        else
            putc_locked(g, (char)val);
        break;
    case UART_IER:
        if (u->lcr & LCR_DLAB)
            u->dlm = (uint8_t)val;
        else
            u->ier = (uint8_t)val & 0x0f;
        break;
    case UART_LCR: u->lcr = (uint8_t)val; break;
    case UART_MCR: u->mcr = (uint8_t)val & 0x1f; break;
    case UART_SCR: u->scr = (uint8_t)val; break;
    default: break;                                            /* FCR, LSR, MSR */
    }
    spin_unlock_irqrestore(&u->lock, f);
}

bool vuart_attach(struct guest *g, uint16_t base)
{
    struct io_device d = { base, 8, uart_read, uart_write, (void *)(uintptr_t)base };
    return guest_add_io(g, &d);
}

static void debug_exit_write(struct guest *g, void *dev, uint16_t port, unsigned size, uint32_t val)
{
    (void)dev; (void)size;
    guest_stop(g, (int)(val & 0xff), "wrote %#x to the test-exit port %#x", val & 0xff, port);
}

bool debug_exit_attach(struct guest *g, uint16_t port)
{
    struct io_device d = { port, 1, NULL, debug_exit_write, NULL };
    return guest_add_io(g, &d);
}

/* The 8259 pair: initialisation words and masks are accepted, the mask
 * reads back; no interrupt is ever raised through it. */
static uint8_t pic_mask[2][16];

static uint32_t pic_read(struct guest *g, void *dev, uint16_t port, unsigned size)
{
    (void)size; (void)dev;
    if (port & 1)
        return pic_mask[(port & 0x80) ? 1 : 0][g->index & 15];
    return 0;                       /* IRR/ISR: nothing pending */
}

static void pic_write(struct guest *g, void *dev, uint16_t port, unsigned size, uint32_t val)
{
    (void)size; (void)dev;
    if (port & 1)
        pic_mask[(port & 0x80) ? 1 : 0][g->index & 15] = (uint8_t)val;
}

bool vpic_attach(struct guest *g)
{
    struct io_device master = { 0x20, 2, pic_read, pic_write, NULL };
    struct io_device slave = { 0xa0, 2, pic_read, pic_write, NULL };
    return guest_add_io(g, &master) && guest_add_io(g, &slave);
}
