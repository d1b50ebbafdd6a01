/*
 * The 16550A's register logic (include/hv/pc16550d.h): divisor latch,
 * IER/IIR with the datasheet's interrupt priorities, FIFO control, line
 * and modem status with loopback, the receive FIFO. Pure.
 */
#include <hv/pc16550d.h>

/* Receiver FIFO trigger levels of FCR bits 7:6 (PC16550D, FCR). */
static const uint8_t rx_trigger[4] = { 1, 4, 8, 14 };

void pc16550d_reset(struct pc16550d *u)
{
    *u = (struct pc16550d){ 0 };
}

static void rx_clear(struct pc16550d *u)
{
    u->rx_head = u->rx_count = 0;
}

bool pc16550d_receive(struct pc16550d *u, uint8_t c)
{
    if (u->rx_count == PC16550D_RX_SIZE) {
        u->lsr_err |= UART_LSR_OE;      /* the byte is lost: overrun */
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % PC16550D_RX_SIZE] = c;
    u->rx_count++;
    return true;
}

/* The modem inputs (MSR bits 7:4): a cable with DCD, DSR and CTS up, or
 * in loopback the MCR's outputs: RTS -> CTS, DTR -> DSR, OUT1 -> RI,
 * OUT2 -> DCD (PC16550D, MCR bit 4). Linux's 8250 probe writes MCR =
 * LOOP | OUT2 | RTS and expects 0x90. */
static uint8_t modem_inputs(const struct pc16550d *u)
{
    uint8_t m = u->mcr;
    if (!(m & UART_MCR_LOOP))
        return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    return (uint8_t)(((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                     ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                     ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                     ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

uint8_t pc16550d_iir(const struct pc16550d *u)
{
    bool fifo = u->fcr & UART_FCR_ENABLE;
    uint8_t id = UART_IIR_NONE;
    /* Priorities, highest first (PC16550D table 4): line status, data
     * (or character timeout in FIFO mode), THR empty, modem status. */
    if ((u->ier & UART_IER_ELSI) && u->lsr_err)
        id = UART_IIR_LSR;
    else if ((u->ier & UART_IER_ERBFI) && u->rx_count)
        id = fifo && u->rx_count < rx_trigger[u->fcr >> 6] ? UART_IIR_TIMEOUT : UART_IIR_RDA;
    else if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
        id = UART_IIR_THRE;
    else if ((u->ier & UART_IER_EDSSI) && u->msr_delta)
        id = UART_IIR_MSR;
    /* Bits 7:6 set while FIFOs are enabled: how Linux's autoconfig tells
     * a 16550A from a 16450 or a 16550 with broken FIFOs. */
    return (uint8_t)(id | (fifo ? UART_IIR_FIFO : 0));
}

bool pc16550d_irq(const struct pc16550d *u)
{
    if ((u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) != UART_MCR_OUT2)
        return false;
    return !(pc16550d_iir(u) & UART_IIR_NONE);
}

uint8_t pc16550d_read(struct pc16550d *u, unsigned reg)
{
    uint8_t v;
    switch (reg) {
    case UART_RBR:
        if (u->lcr & UART_LCR_DLAB)
            return u->dll;
        if (!u->rx_count)
            return 0;
        v = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % PC16550D_RX_SIZE;
        u->rx_count--;
        return v;
    case UART_IER:
        return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
    case UART_IIR:
        v = pc16550d_iir(u);
        /* Reading IIR while it reports THR empty clears that interrupt
         * (PC16550D table 4); the others clear at their source. */
        if ((v & 0x0f) == UART_IIR_THRE)
            u->thre_pending = false;
        return v;
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        /* The transmitter is always empty; errors clear when read. */
        v = (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err | (u->rx_count ? UART_LSR_DR : 0));
        u->lsr_err = 0;
        return v;
    case UART_MSR:
        v = (uint8_t)(modem_inputs(u) | u->msr_delta);
        u->msr_delta = 0;
        return v;
    case UART_SCR:
        return u->scr;
    }
    return 0xff;
}

/* MCR changed: inputs that follow it in loopback (or stop following it)
 * set their delta bits (PC16550D, MSR bits 3:0; TERI on RI's trailing
 * edge only). */
static void mcr_write(struct pc16550d *u, uint8_t val)
{
    uint8_t before = modem_inputs(u);
    u->mcr = val & 0x1f;
    uint8_t after = modem_inputs(u), changed = before ^ after;
    if (changed & UART_MSR_CTS)
        u->msr_delta |= 0x01;
    if (changed & UART_MSR_DSR)
        u->msr_delta |= 0x02;
    if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
        u->msr_delta |= 0x04;
    if (changed & UART_MSR_DCD)
        u->msr_delta |= 0x08;
}

static void fcr_write(struct pc16550d *u, uint8_t val)
{
    /* Changing FCR bit 0 empties both FIFOs; the other bits are only
     * programmed with bit 0 set (PC16550D, FCR). The transmitter FIFO is
     * always empty here. */
    if ((val ^ u->fcr) & UART_FCR_ENABLE)
        rx_clear(u);
    if (!(val & UART_FCR_ENABLE)) {
        u->fcr = 0;
        return;
    }
    if (val & UART_FCR_CLR_RX)
        rx_clear(u);
    u->fcr = val & 0xc1;
}

bool pc16550d_write(struct pc16550d *u, unsigned reg, uint8_t val, uint8_t *out)
{
    switch (reg) {
    case UART_RBR:                                  /* THR */
        if (u->lcr & UART_LCR_DLAB) {
            u->dll = val;
            return false;
        }
        /* Writing THR clears the THR-empty interrupt; the byte leaves at
         * once and THR is empty again, so it is raised again. */
        u->thre_pending = true;
        if (u->mcr & UART_MCR_LOOP) {
            pc16550d_receive(u, val);
            return false;
        }
        *out = val;
        return true;
    case UART_IER:
        if (u->lcr & UART_LCR_DLAB) {
            u->dlm = val;
            return false;
        }
        /* Enabling ETBEI with THR empty raises the interrupt even if it
         * was cleared before (Linux's startup tests for it, QEMU and
         * Bochs do it on the 0 -> 1 change); disabling forgets it. */
        if ((val ^ u->ier) & UART_IER_ETBEI)
            u->thre_pending = val & UART_IER_ETBEI;
        u->ier = val & 0x0f;
        return false;
    case UART_IIR:                                  /* FCR */
        fcr_write(u, val);
        return false;
    case UART_LCR:
        u->lcr = val;
        return false;
    case UART_MCR:
        mcr_write(u, val);
        return false;
    case UART_SCR:
        u->scr = val;
        return false;
    default:                                        /* LSR, MSR: read-only */
        return false;
    }
}
