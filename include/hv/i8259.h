/*
 * The guest's 8259A pair as register logic (dm/i8259.c, pure, unit-tested
 * in tests/unit/test_i8259.c); the device on the guest's bus, its lock
 * and the wire to the boot vCPU are dm/vpic.c. Reference: the Intel
 * 8259A datasheet (order 231468), "8259A" below; the edge/level control
 * registers at 0x4d0/0x4d1 as the PIIX/ICH LPC bridges have them (ICH9
 * datasheet, "ELCR1/ELCR2").
 *
 * Wiring as in every PC: the master's IR2 is the slave's INT (cascade);
 * ISA IRQ n is master IRn for n < 8, slave IR(n - 8) above. The master's
 * INT goes to the boot vCPU's LINT0 (virtual wire, through ExtINT), and
 * the vector is read from the pair at interrupt acknowledge (INTA).
 *
 * Supported: ICW1-ICW4 (edge or level mode, single or cascade, ICW4 with
 * AEOI; 8086 mode assumed), OCW1 masks, OCW2 EOIs (non-specific, specific,
 * with rotation, set priority, rotate in AEOI), OCW3 (read IRR/ISR, poll,
 * special mask mode), the ELCR. Not: special fully nested mode (the
 * master treats the slave's requests as any other IR), buffered mode, the
 * 8080 call-address mode (no PC uses them).
 *
 * Power-on state: initialised as a PC BIOS does (vectors 0x08-0x0f and
 * 0x70-0x77, edge-triggered, cascade on IR2), the masks clear as ICW1
 * leaves them. Nothing reaches a vCPU before the guest lets LINT0 pass
 * ExtINT (a local APIC comes out of reset software-disabled, LINT0
 * masked) and a device raises a line.
 */
#ifndef HV_I8259_H
#define HV_I8259_H

#include <hv/compiler.h>

#define I8259_MASTER_BASE   0x08
#define I8259_SLAVE_BASE    0x70
#define I8259_CASCADE_IRQ   2

struct i8259_chip {
    uint8_t irr, isr, imr;
    uint8_t lines;              /* the IR inputs as driven now */
    uint8_t elcr;               /* level-triggered IRs (ELCR) */
    uint8_t base;               /* ICW2: vector of IR0 */
    uint8_t lowest;             /* the IR with the lowest priority (rotation) */
    uint8_t init;               /* next initialisation word: 0 none, 2, 3, 4 */
    bool icw4, single, ltim;    /* from ICW1 */
    bool aeoi, rotate_aeoi;
    bool special_mask, read_isr, poll;
};

struct i8259 {
    struct i8259_chip chip[2];  /* master, slave */
};

void i8259_reset(struct i8259 *p);
/* ISA IRQ line 0-15 driven high or low (IRQ 2 is the cascade: ignored).
 * Edge mode latches a rising edge in the IRR; level mode follows the line. */
void i8259_set_line(struct i8259 *p, unsigned irq, bool high);
/* A rising edge and back, the line left as it was (a pulse on a line
 * held high is no edge). */
void i8259_pulse(struct i8259 *p, unsigned irq);
/* The master's INT output: an unmasked request above what is in service. */
bool i8259_output(const struct i8259 *p);
/* Interrupt acknowledge: the vector, with the IRR/ISR updates of the INTA
 * cycles. Nothing requested any more: the spurious IR7 of the chip asked
 * (8259A, "interrupt sequence"), ISR untouched. */
uint8_t i8259_ack(struct i8259 *p);
/* Ports: chip 0 (0x20/0x21) or 1 (0xa0/0xa1), a0 the port's low bit. */
uint8_t i8259_read(struct i8259 *p, unsigned chip, unsigned a0);
void i8259_write(struct i8259 *p, unsigned chip, unsigned a0, uint8_t val);
/* The ELCR of chip 0 (0x4d0: IRQ 0-7) or 1 (0x4d1: IRQ 8-15). IRQ 0, 1,
 * 2, 8 and 13 are always edge (ICH9). */
uint8_t i8259_elcr_read(const struct i8259 *p, unsigned chip);
void i8259_elcr_write(struct i8259 *p, unsigned chip, uint8_t val);

#endif
