/*
 * The 8254 interval timer's register logic (include/hv/pit8254.h), after
 * the Intel 82C54 datasheet: its "Operational Description" (control word,
 * counter latch and read-back commands, write and read sequences) and
 * "Modes" (0-5). A counter that counts is a count `n` loaded at tick
 * `load`; what it reads and what OUT is follow from the ticks since.
 *
 * Where the model is simpler than the chip, on purpose:
 *  - A count written in mode 3 while it counts takes effect at the end of
 *    the current full cycle, not of the current half-cycle (modes 2 and 3
 *    otherwise as the datasheet: never in the middle of a cycle).
 *  - A count of 1 in modes 2 and 3, which the datasheet calls illegal,
 *    runs as 2.
 *  - BCD counting is done (counts 0-9999, 0 meaning 10000); a BCD digit
 *    above 9 in a written count is taken as 9.
 */
#include <hv/pit8254.h>

static uint32_t modulus(const struct pit8254_counter *c)
{
    return c->bcd ? 10000u : 65536u;
}

static uint16_t to_bcd4(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

static uint32_t from_bcd4(uint16_t v)
{
    uint32_t r = 0;
    for (int shift = 12; shift >= 0; shift -= 4)
        r = r * 10 + MIN((v >> shift) & 15u, 9u);
    return r;
}

/* Modes 2 and 3: the length of a cycle. */
static uint64_t period(uint32_t n)
{
    return n < 2 ? 2 : n;
}

/* A count written in mode 2 or 3 while counting replaces the running
 * one at the end of its cycle: make that so once `now` has got there. */
static void settle(struct pit8254_counter *c, uint64_t now)
{
    if (c->state == PIT_RUN && c->pending_at != PIT8254_NEVER && now >= c->pending_at) {
        c->n = c->cr;
        c->load = c->pending_at;
        c->pending_at = PIT8254_NEVER;
    }
}

/* Ticks counted at `now` (0 until the count is loaded). */
static uint64_t ticks_in(const struct pit8254_counter *c, uint64_t now)
{
    if (c->state == PIT_PAUSED)
        return c->elapsed;
    return now > c->load ? now - c->load : 0;
}

/* The counting element, t ticks after it got n (binary, before BCD). */
static uint32_t count_at(const struct pit8254_counter *c, uint64_t t)
{
    uint32_t m = modulus(c);
    uint64_t n = c->n, p = period(c->n), h = (p + 1) / 2, v;
    switch (c->mode) {
    case 2:                         /* n, n-1, ..., 1, n, ... */
        v = p - t % p;
        break;
    case 3: {                       /* by twos: each half-cycle from n (datasheet, mode 3) */
        uint64_t ph = t % p;
        if (!(p & 1))
            v = ph < h ? p - 2 * ph : p - 2 * (ph - h);
        else if (ph < h)            /* odd: n, n-1, n-3, ..., 2 */
            v = ph == 0 ? p : p + 1 - 2 * ph;
        else                        /* then n, n-3, n-5, ..., 2 */
            v = ph == h ? p : p - 1 - 2 * (ph - h);
        break;
    }
    default:                        /* 0, 1, 4, 5: down through 0, wrapping */
        v = (n % m + m - t % m) % m;
        break;
    }
    return (uint32_t)(v % m);
}

static bool out_at(const struct pit8254_counter *c, uint64_t t)
{
    uint64_t p = period(c->n);
    switch (c->mode) {
    case 0:                         /* low until terminal count, then high */
    case 1:                         /* low from the trigger until terminal count */
        return t >= c->n;
    case 2:                         /* low for the one clock the count is 1 */
        return t % p != p - 1;
    case 3:                         /* high for (n+1)/2 counts, low for n/2 */
        return t % p < (p + 1) / 2;
    default:                        /* 4, 5: low for the one clock at terminal count */
        return t != c->n;
    }
}

static uint32_t counter_value(const struct pit8254_counter *c, uint64_t now)
{
    if (c->state == PIT_IDLE || c->state == PIT_WAIT)
        return c->idle_count;
    return count_at(c, ticks_in(c, now));
}

static bool counter_out(const struct pit8254_counter *c, uint64_t now)
{
    if (c->state == PIT_IDLE || c->state == PIT_WAIT)
        return c->idle_out;
    return out_at(c, ticks_in(c, now));
}

/* The count as the guest reads it: BCD when so programmed. */
static uint16_t read_value(const struct pit8254_counter *c, uint64_t now)
{
    uint32_t v = counter_value(c, now);
    return c->bcd ? to_bcd4(v) : (uint16_t)v;
}

static void counter_reset(struct pit8254_counter *c, bool gate)
{
    *c = (struct pit8254_counter){ .rw = 3, .gate = gate, .state = PIT_IDLE,
                                   .pending_at = PIT8254_NEVER };
}

void pit8254_reset(struct pit8254 *p)
{
    for (unsigned i = 0; i < 3; i++)
        counter_reset(&p->c[i], i != 2);
    p->port61 = 0;
}

/* Stop counting where it is (a control word, or mode 0's first byte). */
static void stop(struct pit8254_counter *c, uint64_t now, bool out)
{
    c->idle_count = (uint16_t)counter_value(c, now);
    c->idle_out = out;
    c->state = PIT_IDLE;
    c->pending_at = PIT8254_NEVER;
}

static void start(struct pit8254_counter *c, uint64_t now)
{
    /* The count is loaded on the next CLK pulse, which does not
     * decrement it (datasheet, "Modes"). */
    c->n = c->cr;
    c->load = now + 1;
    c->pending_at = PIT8254_NEVER;
    c->state = PIT_RUN;
}

/* A whole count arrived (one byte, or LSB then MSB). */
static void count_written(struct pit8254_counter *c, uint16_t raw, uint64_t now)
{
    uint32_t m = modulus(c);
    c->cr = c->bcd ? from_bcd4(raw) : raw;
    if (c->cr == 0)
        c->cr = m;                  /* 0 is the largest count: 2^16, or 10^4 in BCD */
    c->written = true;
    switch (c->mode) {
    case 0:
    case 4:                         /* loaded at once; the gate only holds counting */
        if (c->gate) {
            start(c, now);
        } else {
            c->n = c->cr;
            c->elapsed = 0;
            c->pending_at = PIT8254_NEVER;
            c->state = PIT_PAUSED;
        }
        break;
    case 2:
    case 3:
        if (c->state == PIT_RUN && now >= c->load) {
            /* The running cycle ends first (datasheet, modes 2 and 3). */
            uint64_t p = period(c->n);
            c->pending_at = c->load + ((now - c->load) / p + 1) * p;
        } else if (c->state == PIT_RUN) {
            c->n = c->cr;           /* not loaded yet: this one is */
        } else if (c->gate) {
            start(c, now);
        }
        break;
    default:                        /* 1, 5: the next gate trigger loads it */
        if (c->state == PIT_IDLE)
            c->state = PIT_WAIT;
        break;
    }
}

static uint8_t status_of(const struct pit8254_counter *c, uint64_t now)
{
    /* Read-back status (datasheet, figure "Status Byte"): OUT, NULL
     * COUNT (the last count written is not in the counting element yet),
     * then the control word's RW, M and BCD bits. */
    bool null = c->state == PIT_IDLE || c->state == PIT_WAIT ||
                (c->state == PIT_RUN && (now < c->load || c->pending_at != PIT8254_NEVER));
    return (uint8_t)((counter_out(c, now) ? 0x80 : 0) | (null ? 0x40 : 0) | c->rw << 4 |
                     c->mode_bits << 1 | (c->bcd ? 1 : 0));
}

static void latch_count(struct pit8254_counter *c, uint64_t now)
{
    /* A second latch before the first is read is ignored (datasheet,
     * "Counter Latch Command"). */
    if (!c->count_latched) {
        c->ol = read_value(c, now);
        c->count_latched = true;
        c->ol_msb = false;
    }
}

static void control_word(struct pit8254 *p, uint8_t val, uint64_t now)
{
    unsigned sc = val >> 6, rw = (val >> 4) & 3;
    if (sc == 3) {
        /* Read-back: bit 5 clear latches the counts, bit 4 clear the
         * statuses, of the counters selected by bits 1-3. */
        for (unsigned i = 0; i < 3; i++) {
            struct pit8254_counter *c = &p->c[i];
            if (!(val & (2u << i)))
                continue;
            settle(c, now);
            if (!(val & 0x20))
                latch_count(c, now);
            if (!(val & 0x10) && !c->status_latched) {
                c->status = status_of(c, now);
                c->status_latched = true;
            }
        }
        return;
    }
    struct pit8254_counter *c = &p->c[sc];
    settle(c, now);
    if (rw == 0) {
        latch_count(c, now);
        return;
    }
    /* A new control word resets the counter's logic: it stops until a
     * count is written, OUT low in mode 0 and high in the others. */
    c->rw = (uint8_t)rw;
    c->mode_bits = (val >> 1) & 7;
    c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
    c->bcd = val & 1;
    stop(c, now, c->mode != 0);
    c->written = false;
    c->write_msb = c->read_msb = false;
    c->count_latched = c->status_latched = c->ol_msb = false;
}

void pit8254_write(struct pit8254 *p, unsigned port, uint8_t val, uint64_t now)
{
    if (port == PIT8254_PORT_CONTROL) {
        control_word(p, val, now);
        return;
    }
    if (port > 2)
        return;
    struct pit8254_counter *c = &p->c[port];
    settle(c, now);
    switch (c->rw) {
    case 1:
        count_written(c, val, now);
        break;
    case 2:
        count_written(c, (uint16_t)(val << 8), now);
        break;
    default:
        if (!c->write_msb) {
            c->write_lsb = val;
            c->write_msb = true;
            /* Mode 0: the first byte stops counting and OUT goes low. */
            if (c->mode == 0 && c->state != PIT_IDLE)
                stop(c, now, false);
        } else {
            c->write_msb = false;
            count_written(c, (uint16_t)(c->write_lsb | val << 8), now);
        }
        break;
    }
}

uint8_t pit8254_read(struct pit8254 *p, unsigned port, uint64_t now)
{
    if (port > 2)
        return 0xff;
    struct pit8254_counter *c = &p->c[port];
    settle(c, now);
    if (c->status_latched) {        /* status first, then a latched count */
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->count_latched) {
        v = c->ol;
        if (c->rw == 3 && !c->ol_msb) {
            c->ol_msb = true;
            return (uint8_t)v;
        }
        c->count_latched = c->ol_msb = false;
        return (uint8_t)(c->rw == 1 ? v : v >> 8);
    }
    v = read_value(c, now);
    if (c->rw == 1)
        return (uint8_t)v;
    if (c->rw == 2)
        return (uint8_t)(v >> 8);
    c->read_msb = !c->read_msb;
    return (uint8_t)(c->read_msb ? v : v >> 8);
}

void pit8254_set_gate(struct pit8254 *p, unsigned ch, bool high, uint64_t now)
{
    struct pit8254_counter *c = &p->c[ch];
    settle(c, now);
    if (c->gate == high)
        return;
    c->gate = high;
    switch (c->mode) {
    case 0:
    case 4:                         /* the gate holds and releases counting */
        if (!high && c->state == PIT_RUN) {
            c->elapsed = ticks_in(c, now);
            c->state = PIT_PAUSED;
        } else if (high && c->state == PIT_PAUSED) {
            c->load = now - c->elapsed;
            c->state = PIT_RUN;
        }
        break;
    case 2:
    case 3:                         /* low: stop with OUT high; rising: reload */
        if (!high && c->state == PIT_RUN)
            stop(c, now, true);
        else if (high && c->written)
            start(c, now);
        break;
    default:                        /* 1, 5: a rising edge (re)triggers */
        if (high && c->written)
            start(c, now);
        break;
    }
}

bool pit8254_out(struct pit8254 *p, unsigned ch, uint64_t now)
{
    settle(&p->c[ch], now);
    return counter_out(&p->c[ch], now);
}

uint64_t pit8254_next_edge(const struct pit8254 *p, unsigned ch, uint64_t after)
{
    const struct pit8254_counter *c = &p->c[ch];
    if (c->state != PIT_RUN)
        return PIT8254_NEVER;
    uint64_t n = c->n, load = c->load, e;
    if (c->pending_at != PIT8254_NEVER && after >= c->pending_at) {
        n = c->cr;
        load = c->pending_at;
    }
    switch (c->mode) {
    case 0:
    case 1:
        e = load + n;
        break;
    case 4:
    case 5:                         /* OUT comes back up one clock after terminal count */
        e = load + n + 1;
        break;
    default: {                      /* 2, 3: each reload, and the pending one is one too */
        uint64_t per = period((uint32_t)n);
        uint64_t k = after < load ? 1 : (after - load) / per + 1;
        return load + k * per;
    }
    }
    return e > after ? e : PIT8254_NEVER;
}

uint64_t pit8254_next_irq(const struct pit8254 *p, uint64_t t, uint64_t last, uint64_t min_gap)
{
    uint64_t e = pit8254_next_edge(p, 0, t);
    if (e == PIT8254_NEVER || last == PIT8254_NEVER || e >= last + min_gap)
        return e;
    uint64_t later = pit8254_next_edge(p, 0, last + min_gap - 1);
    return later != PIT8254_NEVER ? later : last + min_gap;
}

uint8_t pit8254_read61(struct pit8254 *p, uint64_t now)
{
    uint8_t v = p->port61 & PIT61_WRITABLE;
    if (pit8254_out(p, 2, now))
        v |= PIT61_OUT2;
    /* The PC/AT's refresh request came from counter 1 in mode 2 with a
     * count of 18; chipsets keep the bit toggling at that rate (about
     * every 15 us), and software times short delays by it. */
    if ((now / 18) & 1)
        v |= PIT61_REFRESH;
    return v;
}

void pit8254_write61(struct pit8254 *p, uint8_t val, uint64_t now)
{
    p->port61 = val & PIT61_WRITABLE;
    pit8254_set_gate(p, 2, val & PIT61_GATE2, now);
}

uint64_t pit8254_ticks_of(uint64_t tsc, uint64_t tsc_hz)
{
    if (!tsc_hz)
        return 0;
    return tsc / tsc_hz * PIT8254_HZ + tsc % tsc_hz * PIT8254_HZ / tsc_hz;
}

uint64_t pit8254_tsc_of(uint64_t ticks, uint64_t tsc_hz)
{
    uint64_t rem = ticks % PIT8254_HZ * tsc_hz;
    return ticks / PIT8254_HZ * tsc_hz + (rem + PIT8254_HZ - 1) / PIT8254_HZ;
}
