/* Virtual device models behind the guest I/O interface (struct io_device). */
#ifndef HV_VDEV_H
#define HV_VDEV_H

#include <hv/guest.h>

/* 16550 UART at `base` (8 ports): transmit with a correct LSR, output
 * line-buffered to the console as "[NAME] ...". */
bool vuart_attach(struct guest *g, uint16_t base);
void vuart_putc(struct guest *g, char c);
void vuart_flush(struct guest *g);
/* A byte typed by the operator for this guest; false when its FIFO is full. */
bool vuart_receive(struct guest *g, uint8_t c);

/* Test-only exit port: writing v stops the guest with status v. */
bool debug_exit_attach(struct guest *g, uint16_t port);

/* 8259 pair (0x20-0x21, 0xa0-0xa1): accepts initialisation and masks. */
bool vpic_attach(struct guest *g);

#endif
