/*
 * The 8254 programmable interval timer of a PC and its port 0x61, as
 * register logic (dm/pit8254.c, pure, unit-tested in tests/unit/test_pit.c);
 * the device on the guest's bus, its clock and IRQ 0 are dm/vpit.c.
 * References: Intel 82C54 CHMOS Programmable Interval Timer datasheet
 * (order 231244), "8254" below; port 0x61 is the NMI Status and Control
 * register of the Intel PCH/ICH I/O controller hubs (e.g. ICH9 datasheet
 * 13.7.1, "NMI_SC").
 *
 * Time is counted in ticks of the timer's input clock, PIT8254_HZ, since
 * an origin the caller picks; every call takes the current tick `now`,
 * which never goes backwards. Counters are evaluated lazily from the tick
 * they were loaded at, so nothing needs to run while the guest does not
 * look, except the caller's timer for the next rising edge of OUT 0.
 */
#ifndef HV_PIT8254_H
#define HV_PIT8254_H

#include <hv/compiler.h>

#define PIT8254_HZ      1193182u        /* 14.31818 MHz / 12, the PC's PIT clock */
#define PIT8254_NEVER   UINT64_MAX

/* I/O ports, relative to 0x40: counters 0-2 and the control word. */
#define PIT8254_PORT_CONTROL 3
#define PIT8254_PORT61       0x61

/* Port 0x61 bits (NMI_SC). */
#define PIT61_GATE2     BIT(0)          /* timer counter 2 gate (R/W) */
#define PIT61_SPKR      BIT(1)          /* speaker data enable (R/W) */
#define PIT61_SERR_EN   BIT(2)          /* PCI SERR# NMI enable, 0 = enabled (R/W, no effect here) */
#define PIT61_IOCHK_EN  BIT(3)          /* IOCHK NMI enable, 0 = enabled (R/W, no effect here) */
#define PIT61_REFRESH   BIT(4)          /* refresh cycle toggle (RO) */
#define PIT61_OUT2      BIT(5)          /* timer counter 2 OUT (RO) */
#define PIT61_WRITABLE  0x0f

enum pit8254_state {
    PIT_IDLE = 0,       /* control word written, no count yet (or stopped by its gate) */
    PIT_WAIT,           /* modes 1, 5: count written, waiting for a gate trigger */
    PIT_RUN,            /* counting since `load` */
    PIT_PAUSED,         /* modes 0, 4: gate low, frozen `elapsed` ticks after load */
};

struct pit8254_counter {
    uint8_t mode;               /* 0-5 (control word modes 6 and 7 are 2 and 3) */
    uint8_t mode_bits;          /* M2-M0 as written, for the read-back status */
    uint8_t rw;                 /* 1 LSB only, 2 MSB only, 3 LSB then MSB */
    bool bcd;
    bool gate;
    uint8_t state;              /* enum pit8254_state */
    bool written;               /* a count was ever written since the control word */
    uint32_t cr;                /* the count register: last count written, 1-65536 (binary) */
    uint32_t n;                 /* the count of the cycle running now */
    uint64_t load;              /* PIT_RUN: tick the counting element got n */
    uint64_t elapsed;           /* PIT_PAUSED: ticks counted before the gate fell */
    uint64_t pending_at;        /* modes 2, 3: tick cr replaces n (end of cycle), or NEVER */
    uint16_t idle_count;        /* PIT_IDLE/PIT_WAIT: what the count reads */
    bool idle_out;              /* PIT_IDLE/PIT_WAIT: OUT */
    bool write_msb;             /* LSB-then-MSB: the LSB is written, the MSB comes next */
    uint8_t write_lsb;
    bool read_msb;              /* LSB-then-MSB: the next read is the MSB */
    bool count_latched;         /* counter latch or read-back: ol holds the count */
    uint16_t ol;                /* output latch */
    bool ol_msb;                /* LSB-then-MSB latch: the LSB was read */
    bool status_latched;
    uint8_t status;
};

struct pit8254 {
    struct pit8254_counter c[3];
    uint8_t port61;             /* PIT61_WRITABLE bits as written */
};

/* Power-on: no counter counts (the 8254 leaves mode and count undefined
 * until programmed, section "Operational Description"), channel 0 and 1
 * gates high (tied on a PC), channel 2's gate low (port 0x61 bit 0). */
void pit8254_reset(struct pit8254 *p);
/* Ports 0x40-0x43 (`port` 0-3). A read of port 3 returns 0xff (the
 * control word register cannot be read, 8254 table 1). */
uint8_t pit8254_read(struct pit8254 *p, unsigned port, uint64_t now);
void pit8254_write(struct pit8254 *p, unsigned port, uint8_t val, uint64_t now);
/* Port 0x61. */
uint8_t pit8254_read61(struct pit8254 *p, uint64_t now);
void pit8254_write61(struct pit8254 *p, uint8_t val, uint64_t now);
/* A counter's gate input (channel 2's is port 0x61 bit 0). */
void pit8254_set_gate(struct pit8254 *p, unsigned ch, bool high, uint64_t now);
/* OUT of a counter at `now`. */
bool pit8254_out(struct pit8254 *p, unsigned ch, uint64_t now);
/* The first tick after `after` at which OUT of counter `ch` rises (the
 * edge an edge-triggered IRQ 0 sees), PIT8254_NEVER when none will
 * without the guest programming it again. `after` may lie ahead of the
 * last `now` given; the counter must not be changed in between. */
uint64_t pit8254_next_edge(const struct pit8254 *p, unsigned ch, uint64_t after);

/* When to raise IRQ 0 next, after tick `t` (dm/vpit.c): the next rising
 * edge of OUT 0, but no sooner than `min_gap` ticks after the last IRQ 0,
 * raised at `last` (PIT8254_NEVER: none yet); an edge inside that gap
 * moves to the first edge after it, or to its end when no edge follows
 * (a one-shot). Edges at or before `t` are not looked at: a caller that
 * was late raises one IRQ for all it missed. */
uint64_t pit8254_next_irq(const struct pit8254 *p, uint64_t t, uint64_t last, uint64_t min_gap);

/* PIT ticks in `tsc` TSC ticks at `tsc_hz`, rounded down, and the TSC
 * ticks until `ticks` PIT ticks have passed, rounded up: ticks_of(tsc_of(k))
 * >= k, so a timer armed with tsc_of finds its tick due. No overflow for
 * any tsc_hz below 2^44 (17 THz). */
uint64_t pit8254_ticks_of(uint64_t tsc, uint64_t tsc_hz);
uint64_t pit8254_tsc_of(uint64_t ticks, uint64_t tsc_hz);

#endif
