/*
 * A 16550 UART (dm/, include/hv/dm.h): transmit with a correct LSR into
 * the guest's output line, receive from the operator's console through a
 * FIFO the guest polls (LSR.DR). No interrupt line yet.
 */
#include <hv/dm.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/spinlock.h>
#include <hv/mm.h>

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

#define VUART_RX_SIZE 64

struct vuart {
    struct vdev dev;                /* first: the bus hands us this */
    uint16_t base;
    spinlock_t lock;                /* vCPUs on several CPUs, the console CPU */
    uint8_t lcr, ier, mcr, scr, dll, dlm;
    uint8_t rx[VUART_RX_SIZE];      /* typed by the operator, not read yet */
    unsigned rx_head, rx_count;
};

static struct vuart *to_vuart(struct vdev *d)
{
    return (struct vuart *)d;
}

static uint32_t reg_read(struct vuart *u, unsigned reg)
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

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v; (void)size;
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    uint32_t val = reg_read(u, (unsigned)(port - u->base));
    spin_unlock_irqrestore(&u->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v; (void)size;
    struct vuart *u = to_vuart(d);
    bool tx = false;
    uint64_t f = spin_lock_irqsave(&u->lock);

    switch (port - u->base) {
    case UART_THR:
        if (u->lcr & LCR_DLAB)
            u->dll = (uint8_t)val;
        else
            tx = true;
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
    if (tx)
        guest_log_putc(d->guest, (char)val);
}

static void reset(struct vdev *d)
{
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    u->lcr = u->ier = u->mcr = u->scr = u->dll = u->dlm = 0;
    u->rx_head = u->rx_count = 0;
    spin_unlock_irqrestore(&u->lock, f);
}

static const struct vdev_ops vuart_ops = {
    .name = "16550 UART",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
};

bool vuart_attach(struct guest *g, uint16_t base)
{
    struct vuart *u = kzalloc(sizeof(*u));
    if (!u)
        return false;
    u->base = base;
    if (!bus_add_device(g, &u->dev, &vuart_ops)) {
        kfree(u);
        return false;
    }
    return bus_map_ports(g, &u->dev, base, 8);
}

/* The operator typed into this guest (mgmt/shell.c); a full FIFO drops
 * the byte, as an overrun would (no flow control). */
bool vuart_receive(struct guest *g, uint8_t c)
{
    struct vdev *d = bus_find_device(g, &vuart_ops);
    if (!d)
        return false;
    struct vuart *u = to_vuart(d);
    uint64_t f = spin_lock_irqsave(&u->lock);
    bool ok = u->rx_count < VUART_RX_SIZE;
    if (ok) {
        u->rx[(u->rx_head + u->rx_count) % VUART_RX_SIZE] = c;
        u->rx_count++;
    }
    spin_unlock_irqrestore(&u->lock, f);
    return ok;
}
