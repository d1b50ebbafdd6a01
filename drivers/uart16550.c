/*
 * 16550 UART console. Output is polled; every wait on the line status is
 * bounded, so a UART that stops answering costs time, never the boot.
 * Input is polled too (serial_getc), without interrupts.
 */
#include <hv/serial.h>
#include <hv/log.h>
#include <arch/cpu.h>

#define UART_THR 0      /* transmit holding (DLAB=0) */
#define UART_RBR 0      /* receive buffer (DLAB=0) */
#define UART_DLL 0      /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define LSR_DR   0x01   /* data ready: RBR holds a received byte */
#define LSR_THRE 0x20   /* transmit holding register empty */
#define LCR_DLAB 0x80
#define LCR_8N1  0x03

#define THRE_SPINS 100000

struct uart {
    struct console_backend be;
    uint16_t port;
};

static struct uart com1;

static void uart_putc(uint16_t port, char c)
{
    for (int i = 0; i < THRE_SPINS; i++) {
        if (inb(port + UART_LSR) & LSR_THRE)
            break;
        cpu_relax();
    }
    outb(port + UART_THR, (uint8_t)c);
}

static void uart_write(struct console_backend *be, const char *s, size_t n)
{
    struct uart *u = (struct uart *)be;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc(u->port, '\r');
        uart_putc(u->port, s[i]);
    }
}

/* The scratch register keeps what is written when a 16550 is present; an
 * empty ISA bus reads back 0xff whatever we write. */
static bool uart_present(uint16_t port)
{
    outb(port + UART_SCR, 0x5a);
    if (inb(port + UART_SCR) != 0x5a)
        return false;
    outb(port + UART_SCR, 0xa5);
    return inb(port + UART_SCR) == 0xa5;
}

bool serial_console_init(uint16_t port)
{
    if (!uart_present(port))
        return false;

    outb(port + UART_IER, 0x00);            /* polled: no interrupts */
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_DLL, 1);               /* 115200 baud: divisor 1 */
    outb(port + UART_DLM, 0);
    outb(port + UART_LCR, LCR_8N1);
    outb(port + UART_FCR, 0x07);            /* enable and clear FIFOs */
    outb(port + UART_MCR, 0x03);            /* DTR, RTS */

    com1.port = port;
    com1.be.name = "serial";
    com1.be.write = uart_write;
    console_register(&com1.be);
    return true;
}

int serial_getc(void)
{
    uint16_t port = com1.port;

    if (!port || !(inb(port + UART_LSR) & LSR_DR))
        return -1;
    return inb(port + UART_RBR);
}
