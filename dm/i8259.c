/*
 * The 8259A pair (include/hv/i8259.h), register logic only. Priorities
 * rotate: `lowest` is the IR with the lowest priority, the one after it
 * the highest (8259A "priority rotation"); fixed priority is lowest = 7.
 */
#include <hv/i8259.h>

#define ICW1        0x10        /* even port: bit 4 starts initialisation */
#define ICW1_IC4    0x01
#define ICW1_SNGL   0x02
#define ICW1_LTIM   0x08
#define OCW3        0x08        /* even port, bit 4 clear: OCW3, else OCW2 */
#define OCW3_POLL   0x04
#define OCW3_RR     0x02
#define OCW3_RIS    0x01
#define OCW3_ESMM   0x40
#define OCW3_SMM    0x20
#define ICW4_AEOI   0x02
#define ELCR_MASTER 0xf8        /* IRQ 0, 1, 2 always edge */
#define ELCR_SLAVE  0xde        /* IRQ 8, 13 always edge */

/* OCW2's R, SL, EOI bits (bits 7-5). */
enum { OCW2_ROTATE_AEOI_CLEAR = 0, OCW2_EOI = 1, OCW2_NOP = 2, OCW2_SPECIFIC_EOI = 3,
       OCW2_ROTATE_AEOI_SET = 4, OCW2_ROTATE_EOI = 5, OCW2_SET_PRIORITY = 6,
       OCW2_ROTATE_SPECIFIC_EOI = 7 };

static uint8_t bit(unsigned ir)
{
    return (uint8_t)(1u << (ir & 7));
}

/* The highest-priority IR set in `mask`, or -1. */
static int highest(const struct i8259_chip *c, uint8_t mask)
{
    for (unsigned k = 1; k <= 8; k++) {
        unsigned ir = (c->lowest + k) & 7;
        if (mask & bit(ir))
            return (int)ir;
    }
    return -1;
}

static unsigned rank(const struct i8259_chip *c, unsigned ir)
{
    return (ir - c->lowest - 1) & 7;    /* 0 = highest priority */
}

static uint8_t level_irs(const struct i8259_chip *c)
{
    return c->ltim ? 0xff : c->elcr;
}

/* The IR this chip asks the CPU (or the master) for, or -1: the highest
 * unmasked request, if nothing of equal or higher priority is in service
 * (in special mask mode, masked IRs in service do not count). */
static int request(const struct i8259_chip *c)
{
    int ir = highest(c, (uint8_t)(c->irr & ~c->imr));
    if (ir < 0)
        return -1;
    uint8_t in_service = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    int s = highest(c, in_service);
    if (s >= 0 && rank(c, (unsigned)s) <= rank(c, (unsigned)ir))
        return -1;
    return ir;
}

/* The master's IR2 is the slave's INT, a level. */
static void sync(struct i8259 *p)
{
    struct i8259_chip *m = &p->chip[0];
    if (!m->single && request(&p->chip[1]) >= 0)
        m->irr |= bit(I8259_CASCADE_IRQ);
    else
        m->irr &= (uint8_t)~bit(I8259_CASCADE_IRQ);
}

static void chip_reset(struct i8259_chip *c, uint8_t base)
{
    *c = (struct i8259_chip){ .base = base, .lowest = 7, .icw4 = true };
}

void i8259_reset(struct i8259 *p)
{
    chip_reset(&p->chip[0], I8259_MASTER_BASE);
    chip_reset(&p->chip[1], I8259_SLAVE_BASE);
}

void i8259_set_line(struct i8259 *p, unsigned irq, bool high)
{
    if (irq == I8259_CASCADE_IRQ || irq >= 16)
        return;
    struct i8259_chip *c = &p->chip[irq / 8];
    uint8_t b = bit(irq);
    if (level_irs(c) & b) {
        c->irr = high ? (uint8_t)(c->irr | b) : (uint8_t)(c->irr & ~b);
    } else if (high && !(c->lines & b)) {
        c->irr |= b;                    /* a rising edge; a fall clears nothing */
    }
    c->lines = high ? (uint8_t)(c->lines | b) : (uint8_t)(c->lines & ~b);
    sync(p);
}

void i8259_pulse(struct i8259 *p, unsigned irq)
{
    if (irq >= 16)
        return;
    bool was = p->chip[irq / 8].lines & bit(irq);
    i8259_set_line(p, irq, true);
    i8259_set_line(p, irq, was);
}

bool i8259_output(const struct i8259 *p)
{
    return request(&p->chip[0]) >= 0;
}

/* The INTA cycles for `ir` of one chip: its request taken (an edge
 * request is consumed, a level one stays while the line is high), in
 * service unless AEOI, which may rotate. */
static void take(struct i8259_chip *c, unsigned ir)
{
    if (!(level_irs(c) & bit(ir)))
        c->irr &= (uint8_t)~bit(ir);
    if (!c->aeoi)
        c->isr |= bit(ir);
    else if (c->rotate_aeoi)
        c->lowest = (uint8_t)ir;
}

uint8_t i8259_ack(struct i8259 *p)
{
    struct i8259_chip *m = &p->chip[0], *s = &p->chip[1];
    int ir = request(m);
    uint8_t vector;
    if (ir < 0) {
        vector = (uint8_t)(m->base + 7);            /* spurious IRQ 7 */
    } else if (ir == I8259_CASCADE_IRQ && !m->single) {
        int sir = request(s);
        take(m, (unsigned)ir);
        if (sir < 0) {
            vector = (uint8_t)(s->base + 7);        /* spurious IRQ 15 */
        } else {
            take(s, (unsigned)sir);
            vector = (uint8_t)(s->base + sir);
        }
    } else {
        take(m, (unsigned)ir);
        vector = (uint8_t)(m->base + ir);
    }
    sync(p);
    return vector;
}

uint8_t i8259_read(struct i8259 *p, unsigned chip, unsigned a0)
{
    struct i8259_chip *c = &p->chip[chip & 1];
    if (a0 & 1)
        return c->imr;
    if (c->poll) {
        /* OCW3 poll: the next read is an acknowledge of this chip alone. */
        c->poll = false;
        int ir = request(c);
        if (ir < 0)
            return 0;
        take(c, (unsigned)ir);
        sync(p);
        return (uint8_t)(0x80 | ir);
    }
    return c->read_isr ? c->isr : c->irr;
}

static void ocw2(struct i8259_chip *c, uint8_t val)
{
    unsigned level = val & 7;
    int ir;
    switch (val >> 5) {
    case OCW2_ROTATE_AEOI_CLEAR: c->rotate_aeoi = false; break;
    case OCW2_ROTATE_AEOI_SET:   c->rotate_aeoi = true; break;
    case OCW2_EOI:
    case OCW2_ROTATE_EOI:
        ir = highest(c, c->isr);
        if (ir >= 0) {
            c->isr &= (uint8_t)~bit((unsigned)ir);
            if (val >> 5 == OCW2_ROTATE_EOI)
                c->lowest = (uint8_t)ir;
        }
        break;
    case OCW2_SPECIFIC_EOI:
        c->isr &= (uint8_t)~bit(level);
        break;
    case OCW2_ROTATE_SPECIFIC_EOI:
        c->isr &= (uint8_t)~bit(level);
        c->lowest = (uint8_t)level;
        break;
    case OCW2_SET_PRIORITY:
        c->lowest = (uint8_t)level;
        break;
    case OCW2_NOP:
        break;
    }
}

void i8259_write(struct i8259 *p, unsigned chip, unsigned a0, uint8_t val)
{
    struct i8259_chip *c = &p->chip[chip & 1];
    if (!(a0 & 1)) {
        if (val & ICW1) {
            /* ICW1 (8259A): masks cleared, edge detection reset (a line
             * already high must rise again), IR7 lowest, special mask
             * off, reads return the IRR; without IC4, ICW4's bits 0. */
            c->icw4 = val & ICW1_IC4;
            c->single = val & ICW1_SNGL;
            c->ltim = val & ICW1_LTIM;
            c->imr = c->isr = 0;
            c->irr = (uint8_t)(c->lines & level_irs(c));
            c->lowest = 7;
            c->special_mask = c->read_isr = c->poll = c->rotate_aeoi = false;
            if (!c->icw4)
                c->aeoi = false;
            c->init = 2;
        } else if (val & OCW3) {
            if (val & OCW3_POLL)
                c->poll = true;
            if (val & OCW3_RR)
                c->read_isr = val & OCW3_RIS;
            if (val & OCW3_ESMM)
                c->special_mask = val & OCW3_SMM;
        } else {
            ocw2(c, val);
        }
    } else {
        switch (c->init) {
        case 2:                                 /* ICW2: the vector base */
            c->base = val & 0xf8;
            c->init = c->single ? (c->icw4 ? 4 : 0) : 3;
            break;
        case 3:                                 /* ICW3: the wiring is fixed */
            c->init = c->icw4 ? 4 : 0;
            break;
        case 4:                                 /* ICW4 */
            c->aeoi = val & ICW4_AEOI;
            c->init = 0;
            break;
        default:                                /* OCW1 */
            c->imr = val;
            break;
        }
    }
    sync(p);
}

uint8_t i8259_elcr_read(const struct i8259 *p, unsigned chip)
{
    return p->chip[chip & 1].elcr;
}

void i8259_elcr_write(struct i8259 *p, unsigned chip, uint8_t val)
{
    struct i8259_chip *c = &p->chip[chip & 1];
    c->elcr = val & ((chip & 1) ? ELCR_SLAVE : ELCR_MASTER);
    uint8_t lv = level_irs(c);
    c->irr = (uint8_t)((c->irr & ~lv) | (c->lines & lv));
    sync(p);
}
