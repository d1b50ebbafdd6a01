/*
 * hvboot's messages: the firmware console (ConOut) and COM1, which we
 * drive directly so that the last lines, after ExitBootServices, appear
 * too. Where the firmware already copies ConOut to a serial port (OVMF
 * does), COM1 is left to it until then, so that no line appears twice.
 */
#include "loader.h"
#include <stdarg.h>
#include <arch/cpu.h>
#include <hv/fmt.h>

/* UEFI 2.10 Appendix D: the status codes we may meet, by name. */
const char *efi_err(EFI_STATUS s)
{
    static char other[32];

    switch (s) {
    case EFI_LOAD_ERROR: return "EFI_LOAD_ERROR";
    case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
    case EFI_UNSUPPORTED: return "EFI_UNSUPPORTED";
    case EFI_BAD_BUFFER_SIZE: return "EFI_BAD_BUFFER_SIZE";
    case EFI_BUFFER_TOO_SMALL: return "EFI_BUFFER_TOO_SMALL";
    case EFI_NOT_READY: return "EFI_NOT_READY";
    case EFI_DEVICE_ERROR: return "EFI_DEVICE_ERROR";
    case EFI_OUT_OF_RESOURCES: return "EFI_OUT_OF_RESOURCES";
    case EFI_VOLUME_CORRUPTED: return "EFI_VOLUME_CORRUPTED";
    case EFI_NO_MEDIA: return "EFI_NO_MEDIA";
    case EFI_NOT_FOUND: return "EFI_NOT_FOUND";
    case EFI_ACCESS_DENIED: return "EFI_ACCESS_DENIED";
    case EFI_END_OF_FILE: return "EFI_END_OF_FILE";
    default:
        hv_snprintf(other, sizeof(other), "status %#lx", (uint64_t)s);
        return other;
    }
}

/* ---- COM1 ------------------------------------------------------------- */

/*
 * A few lines of our own rather than the core's drivers/uart16550.c: that
 * driver registers itself as a backend of the core's console (its lock,
 * its log), which the loader does not have, and programs the UART as soon
 * as it finds it, while here COM1 must stay the firmware's until
 * ExitBootServices when the firmware mirrors ConOut there.
 */
#define COM1 0x3f8

static bool uart_present;       /* the scratch register answered */
static bool uart_ready;         /* programmed by us */
static bool conout_has_serial;  /* the firmware already mirrors ConOut there */
static bool boot_services_gone;

/* A 16550 keeps what is written to its scratch register (offset 7); with
 * no UART there the bus floats and reads back 0xff. */
static void uart_probe(void)
{
    outb(COM1 + 7, 0x5a);
    if (inb(COM1 + 7) != 0x5a)
        return;
    outb(COM1 + 7, 0xa5);
    uart_present = inb(COM1 + 7) == 0xa5;
}

/* 115200 8N1, FIFOs on, interrupts off (16550 data sheet: divisor latch
 * 1 with the 1.8432 MHz clock). */
static void uart_setup(void)
{
    if (!uart_present || uart_ready)
        return;
    outb(COM1 + 1, 0x00);       /* IER: no interrupts */
    outb(COM1 + 3, 0x80);       /* LCR: DLAB */
    outb(COM1 + 0, 0x01);       /* divisor low */
    outb(COM1 + 1, 0x00);       /* divisor high */
    outb(COM1 + 3, 0x03);       /* LCR: 8 bits, no parity, 1 stop */
    outb(COM1 + 2, 0xc7);       /* FCR: enable and clear FIFOs */
    outb(COM1 + 4, 0x03);       /* MCR: DTR, RTS; OUT2 off (no IRQ) */
    uart_ready = true;
}

static void uart_putc(char c)
{
    /* Bounded wait for THR empty: a wedged UART must not hang the boot. */
    for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s);
    }
}

/* ---- console ------------------------------------------------------------ */

static void conout_puts(const char *s)
{
    CHAR16 buf[130];
    unsigned n = 0;

    if (!st->ConOut)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            buf[n++] = L'\r';
        buf[n++] = c < 0x80 ? c : L'?';
        if (n >= 128 || !s[1]) {
            buf[n] = 0;
            st->ConOut->OutputString(st->ConOut, buf);
            n = 0;
        }
    }
}

/* One line (or several) on every console we have. When the firmware
 * already copies ConOut to a serial port, writing COM1 as well would print
 * each line twice there, so COM1 is ours only after ExitBootServices. */
void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (!boot_services_gone)
        conout_puts(line);
    if (uart_ready && (boot_services_gone || !conout_has_serial))
        uart_puts(line);
}

/* Does any text output device of the firmware sit on a UART? Then ConOut
 * (the splitter over all of them) already reaches the serial port. */
static bool firmware_console_on_serial(void)
{
    EFI_GUID text_guid = EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL_GUID;
    EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
    EFI_HANDLE *handles = NULL;
    UINTN count = 0;
    bool found = false;

    if (bs->LocateHandleBuffer(ByProtocol, &text_guid, NULL, &count, &handles) != EFI_SUCCESS)
        return false;
    for (UINTN i = 0; i < count && !found; i++) {
        EFI_DEVICE_PATH *dp;
        if (bs->HandleProtocol(handles[i], &dp_guid, (void **)&dp) != EFI_SUCCESS || !dp)
            continue;
        for (unsigned guard = 0; guard < 64 && !IsDevicePathEndType(dp); guard++) {
            if (DevicePathType(dp) == MESSAGING_DEVICE_PATH && DevicePathSubType(dp) == MSG_UART_DP) {
                found = true;
                break;
            }
            if (DevicePathNodeLength(dp) < 4)
                break;
            dp = NextDevicePathNode(dp);
        }
    }
    bs->FreePool(handles);
    return found;
}

/* First of all: find COM1, and program it unless the firmware owns it. */
void console_init(void)
{
    uart_probe();
    conout_has_serial = firmware_console_on_serial();
    if (!conout_has_serial)
        uart_setup();   /* else the firmware owns COM1 until we leave */
}

/* Boot services are gone (or may be half gone after a failed
 * ExitBootServices): from here on only COM1, programmed by us, can carry
 * messages. */
void console_firmware_gone(void)
{
    boot_services_gone = true;
    uart_setup();
}
