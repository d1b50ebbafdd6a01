/*
 * The legacy 8259 pair. The BIOS leaves IRQ0-7 on vectors 8-15, where they
 * would look like CPU exceptions; the core uses only the LAPIC, so the
 * PICs are moved to vectors 0xe0-0xef (harmless if one fires spuriously)
 * and masked entirely.
 */
#include <arch/cpu.h>
#include <arch/pic.h>

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

void pic_disable(void)
{
    /* ICW1: edge, cascade, ICW4 needed; ICW2: vector base; ICW3: wiring;
     * ICW4: 8086 mode. Then OCW1: mask everything. */
    outb(PIC1_CMD, 0x11);
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, PIC_VECTOR_BASE);
    outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
    outb(PIC1_DATA, 0x04);
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01);
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}
