/* 16550 UART console backend. */
#ifndef HV_SERIAL_H
#define HV_SERIAL_H

#include <hv/compiler.h>

#define COM1_PORT 0x3f8

/* Probe and program the UART at `port` (115200 8N1) and register it as a
 * console backend. Returns false, registering nothing, when no UART answers
 * there: a machine without a serial port must still boot. */
bool serial_console_init(uint16_t port);

/* The next byte received on the console UART (0..255), or -1 when none is
 * waiting or no UART was found. Polled, never blocks; not locked: one CPU
 * at a time. */
int serial_getc(void);

#endif
