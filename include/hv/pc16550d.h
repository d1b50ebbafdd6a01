/*
 * A 16550A UART (the PC16550D) as register logic (dm/pc16550d.c, pure,
 * unit-tested in tests/unit/test_pc16550d.c); the device on the guest's
 * bus, its lock, its output line and its ISA interrupt line are
 * dm/vuart.c (the host's own UART is drivers/uart16550.c). Reference:
 * National Semiconductor PC16550D datasheet, "PC16550D" below (register
 * and interrupt tables 2 and 4, "FIFO interrupt mode operation").
 *
 * The transmitter is infinitely fast: a byte written to THR leaves at
 * once (the caller prints it), so LSR always has THRE and TEMT set and
 * the THR-empty interrupt comes back right after each write. Received
 * bytes (the operator's typing, or the transmitter in loopback) wait in a
 * PC16550D_RX_SIZE FIFO; with FIFOs enabled, fewer bytes than the
 * trigger level are reported as a character timeout at once (the operator
 * types slower than four character times). The modem inputs are a cable
 * that is always there (DCD, DSR, CTS; no RI), or in loopback the MCR's
 * outputs (PC16550D, MCR bit 4).
 */
#ifndef HV_PC16550D_H
#define HV_PC16550D_H

#include <hv/compiler.h>

#define PC16550D_RX_SIZE 64

/* Registers, offsets from the base port (PC16550D table 2). */
#define UART_RBR 0      /* read: receiver buffer; write: THR; DLAB: DLL */
#define UART_IER 1      /* DLAB: DLM */
#define UART_IIR 2      /* read: interrupt identification; write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI  0x01    /* received data available */
#define UART_IER_ETBEI  0x02    /* transmitter holding register empty */
#define UART_IER_ELSI   0x04    /* receiver line status */
#define UART_IER_EDSSI  0x08    /* modem status */

#define UART_IIR_NONE   0x01    /* bit 0: no interrupt pending */
#define UART_IIR_MSR    0x00
#define UART_IIR_THRE   0x02
#define UART_IIR_RDA    0x04
#define UART_IIR_LSR    0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO   0xc0    /* FIFOs enabled (FCR bit 0) */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLR_RX 0x02
#define UART_FCR_CLR_TX 0x04

#define UART_LCR_DLAB   0x80

#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT1   0x04
#define UART_MCR_OUT2   0x08    /* on a PC: enables the IRQ line */
#define UART_MCR_LOOP   0x10

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_ERRORS 0x1e    /* OE, PE, FE, BI */
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40

#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

struct pc16550d {
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;                        /* bit 0 and the trigger bits 7:6 */
    uint8_t lsr_err;                    /* error bits since LSR was last read */
    uint8_t msr_delta;                  /* MSR bits 3:0 since MSR was last read */
    bool thre_pending;                  /* the THR-empty interrupt, until IIR reports it or THR is written */
    uint8_t rx[PC16550D_RX_SIZE];
    unsigned rx_head, rx_count;
};

/* Master reset (PC16550D table 4): everything 0, the FIFOs empty. */
void pc16550d_reset(struct pc16550d *u);
/* A read of register `reg` (0-7); reading RBR, IIR, LSR and MSR has the
 * side effects the datasheet gives them. */
uint8_t pc16550d_read(struct pc16550d *u, unsigned reg);
/* A write of register `reg`. True when a byte leaves for the output line
 * (*out); in loopback it goes to the receiver instead. */
bool pc16550d_write(struct pc16550d *u, unsigned reg, uint8_t val, uint8_t *out);
/* A byte from the outside; false when the FIFO is full (the byte is lost
 * and LSR reports an overrun). */
bool pc16550d_receive(struct pc16550d *u, uint8_t c);
/* IIR as a read would return it, without its side effect. */
uint8_t pc16550d_iir(const struct pc16550d *u);
/* The interrupt output as the PC wires it: an interrupt pending, gated
 * by MCR.OUT2; in loopback the output is disconnected (PC16550D: the
 * modem control outputs are forced inactive). */
bool pc16550d_irq(const struct pc16550d *u);

#endif
