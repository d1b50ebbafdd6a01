/*
 * The CMOS real-time clock's register logic (include/hv/mc146818.h),
 * after the MC146818A datasheet: the time and date registers in BCD or
 * binary, 12- or 24-hour (register B), SET and the divider reset stopping
 * updates while the time is written (registers A and B), the periodic,
 * alarm and update-ended flags of register C with their interrupt
 * enables, and register D's valid-RAM-and-time bit.
 *
 * The clock is never stored while it runs: it is the host's time plus
 * the guest's offset, converted when read. SET (or a divider reset)
 * copies it into the registers, which the guest then reads and writes;
 * clearing them starts the clock from what the registers say. A write to
 * a time register while the clock runs moves the clock as well. Where the
 * model is simpler than the chip, on purpose:
 *  - a written value out of range (minute 61, BCD digits above 9, day 31
 *    of a 30-day month) is clamped to the nearest valid one when the
 *    clock starts from it, rather than counting on as garbage;
 *  - the day of the week follows from the date: what is written there is
 *    read back only while the clock is stopped;
 *  - daylight saving (DSE) and the square-wave output (SQWE) are bits
 *    that read back and do nothing; the divider's other rates (DV other
 *    than 11x) all run at the normal one.
 */
#include <hv/mc146818.h>
#include <hv/datetime.h>

#define US      1000000LL
#define XTAL    32768LL             /* the time base: the divider's input */

static bool binary(const struct mc146818 *r)
{
    return r->ram[RTC_REG_B] & RTC_B_DM_BINARY;
}

static bool h24(const struct mc146818 *r)
{
    return r->ram[RTC_REG_B] & RTC_B_24H;
}

static bool divider_reset(const struct mc146818 *r)
{
    return (r->ram[RTC_REG_A] & RTC_A_DV_RESET) == RTC_A_DV_RESET;
}

static uint8_t enc(const struct mc146818 *r, unsigned v)
{
    return binary(r) ? (uint8_t)v : bin_to_bcd(v);
}

static unsigned dec(const struct mc146818 *r, uint8_t v)
{
    return binary(r) ? v : bcd_to_bin(v);
}

/* 12-hour mode: 1-12, bit 7 set for PM (MC146818 table 3). */
static uint8_t enc_hour(const struct mc146818 *r, unsigned h)
{
    if (h24(r))
        return enc(r, h);
    return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct mc146818 *r, uint8_t v)
{
    if (h24(r))
        return dec(r, v);
    return dec(r, v & 0x7f) % 12 + (v & 0x80 ? 12u : 0u);
}

static bool is_clock_reg(unsigned idx)
{
    return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
           (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

/* A time register of the date `t`, in the format register B asks for. */
static uint8_t clock_field(const struct mc146818 *r, const struct datetime *t, unsigned idx)
{
    int32_t year = t->year < 0 ? 0 : t->year > 9999 ? 9999 : t->year;
    switch (idx) {
    case RTC_SECONDS: return enc(r, t->sec);
    case RTC_MINUTES: return enc(r, t->min);
    case RTC_HOURS: return enc_hour(r, t->hour);
    case RTC_DAY_OF_WEEK: return enc(r, t->wday + 1u);         /* Sunday is 1 */
    case RTC_DAY_OF_MONTH: return enc(r, t->day);
    case RTC_MONTH: return enc(r, t->month);
    case RTC_YEAR: return enc(r, (unsigned)year % 100);
    default: return enc(r, (unsigned)year / 100);             /* RTC_CENTURY */
    }
}

static int64_t guest_secs(const struct mc146818 *r, int64_t now)
{
    return floor_div64(now + r->offset_us, US);
}

/* The running clock into the registers (SET, or a write while running). */
static void clock_to_ram(struct mc146818 *r, int64_t secs)
{
    static const uint8_t regs[] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
                                    RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, RTC_CENTURY };
    struct datetime t;
    datetime_from_epoch(secs, &t);
    for (unsigned i = 0; i < sizeof(regs); i++)
        r->ram[regs[i]] = clock_field(r, &t, regs[i]);
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* What the registers say, in seconds since the epoch. */
static int64_t clock_from_ram(const struct mc146818 *r)
{
    struct datetime t = { 0 };
    t.year = (int32_t)(MIN(dec(r, r->ram[RTC_CENTURY]), 99u) * 100 +
                       MIN(dec(r, r->ram[RTC_YEAR]), 99u));
    t.month = (uint8_t)clamp(dec(r, r->ram[RTC_MONTH]), 1, 12);
    t.day = (uint8_t)clamp(dec(r, r->ram[RTC_DAY_OF_MONTH]), 1,
                           datetime_days_in_month(t.year, t.month));
    t.hour = (uint8_t)MIN(dec_hour(r, r->ram[RTC_HOURS]), 23u);
    t.min = (uint8_t)MIN(dec(r, r->ram[RTC_MINUTES]), 59u);
    t.sec = (uint8_t)MIN(dec(r, r->ram[RTC_SECONDS]), 59u);
    return datetime_to_epoch(&t);
}

/* Ticks of the 32.768 kHz time base in the guest's clock. */
static int64_t xtal_ticks(int64_t guest_us)
{
    return floor_div64(guest_us, US) * XTAL + floor_mod64(guest_us, US) * XTAL / US;
}

/* Periodic interrupt rate (MC146818 table 5, 32.768 kHz time base):
 * RS 1 and 2 are 256 and 128 Hz, RS 3-15 are 8192 Hz down to 2 Hz. */
static int64_t rate_ticks(unsigned rs)
{
    return rs == 1 ? 128 : rs == 2 ? 256 : 1LL << (rs - 1);
}

static bool dont_care(uint8_t v)
{
    return (v & 0xc0) == 0xc0;              /* MC146818: "don't care" codes 11xxxxxx */
}

/* The first second after `after` whose time of day the alarm registers
 * match, MC146818_NEVER when a value can never match. */
static int64_t alarm_next(const struct mc146818 *r, int64_t after)
{
    uint8_t as = r->ram[RTC_SECONDS_ALARM], am = r->ram[RTC_MINUTES_ALARM];
    uint8_t ah = r->ram[RTC_HOURS_ALARM];
    unsigned h0 = 0, h1 = 23, m0 = 0, m1 = 59, s0 = 0, s1 = 59;
    if (!dont_care(ah))
        h0 = h1 = dec_hour(r, ah);
    if (!dont_care(am))
        m0 = m1 = dec(r, am);
    if (!dont_care(as))
        s0 = s1 = dec(r, as);
    if (h0 > 23 || m0 > 59 || s0 > 59)
        return MC146818_NEVER;
    int64_t day = floor_div64(after, 86400), tod = floor_mod64(after, 86400);
    for (int64_t d = 0; d < 2; d++)
        for (unsigned h = h0; h <= h1; h++) {
            if (!d && (int64_t)h * 3600 + 3599 <= tod)
                continue;                   /* the whole hour is not after */
            for (unsigned m = m0; m <= m1; m++) {
                if (!d && (int64_t)h * 3600 + m * 60 + 59 <= tod)
                    continue;
                for (unsigned s = s0; s <= s1; s++) {
                    int64_t t = (int64_t)h * 3600 + m * 60 + s;
                    if (d || t > tod)
                        return (day + d) * 86400 + t;
                }
            }
        }
    return MC146818_NEVER;
}

/* Register C's flags for what happened since the last look: a periodic
 * tick (the divider runs), an update and an alarm (the clock runs).
 * IRQF follows the flags whose interrupts are enabled (MC146818,
 * "Register C"), and stays until C is read. */
static void accrue(struct mc146818 *r, int64_t now)
{
    if (now > r->since_us) {
        int64_t g0 = r->since_us + r->offset_us, g1 = now + r->offset_us;
        unsigned rs = r->ram[RTC_REG_A] & RTC_A_RS_MASK;
        if (rs && !divider_reset(r) &&
            floor_div64(xtal_ticks(g1), rate_ticks(rs)) > floor_div64(xtal_ticks(g0), rate_ticks(rs)))
            r->c |= RTC_C_PF;
        if (!r->frozen) {
            int64_t s0 = floor_div64(g0, US), s1 = floor_div64(g1, US);
            if (s1 > s0) {
                r->c |= RTC_C_UF;
                if (alarm_next(r, s0) <= s1)
                    r->c |= RTC_C_AF;
            }
        }
        r->since_us = now;
    }
    if (r->c & r->ram[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
        r->c |= RTC_C_IRQF;
}

/* SET or a divider reset stops the clock in its registers; their end
 * starts it from them: after SET within the running second (the divider
 * kept counting), after a divider reset half a second before the first
 * update (MC146818, "Divider Control"). */
static void update_frozen(struct mc146818 *r, int64_t now, bool divider_released)
{
    bool want = (r->ram[RTC_REG_B] & RTC_B_SET) || divider_reset(r);
    if (want == r->frozen)
        return;
    if (want) {
        clock_to_ram(r, guest_secs(r, now));
    } else {
        int64_t frac = divider_released ? US / 2 : floor_mod64(now + r->offset_us, US);
        r->offset_us = clock_from_ram(r) * US + frac - now;
    }
    r->frozen = want;
}

void mc146818_reset(struct mc146818 *r, uint64_t low_ram, uint64_t high_ram, int64_t now_us)
{
    *r = (struct mc146818){ .since_us = now_us };
    r->ram[RTC_REG_A] = 0x26;               /* DV 010: 32.768 kHz; RS 0110: 1024 Hz */
    r->ram[RTC_REG_B] = RTC_B_24H;
    /* The BIOS's bytes (IBM PC/AT CMOS map, as QEMU's pc_cmos_init and
     * SeaBIOS use it): equipment with an FPU, no floppy; base memory in
     * KiB; extended memory above 1 MiB in KiB (twice); above 16 MiB in
     * 64 KiB units; above 4 GiB in 64 KiB units (0x5b-0x5d). */
    r->ram[0x14] = 0x02;
    r->ram[0x15] = 640 & 0xff;
    r->ram[0x16] = 640 >> 8;
    uint64_t ext = MIN(low_ram > MiB(1) ? (low_ram - MiB(1)) >> 10 : 0, 0xffffu);
    r->ram[0x17] = r->ram[0x30] = (uint8_t)ext;
    r->ram[0x18] = r->ram[0x31] = (uint8_t)(ext >> 8);
    uint64_t above16 = MIN(low_ram > MiB(16) ? (low_ram - MiB(16)) >> 16 : 0, 0xffffu);
    r->ram[0x34] = (uint8_t)above16;
    r->ram[0x35] = (uint8_t)(above16 >> 8);
    uint64_t high = MIN(high_ram >> 16, 0xffffffu);
    r->ram[0x5b] = (uint8_t)high;
    r->ram[0x5c] = (uint8_t)(high >> 8);
    r->ram[0x5d] = (uint8_t)(high >> 16);
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; i++)
        sum += r->ram[i];
    r->ram[0x2e] = (uint8_t)(sum >> 8);
    r->ram[0x2f] = (uint8_t)sum;
}

static bool uip(const struct mc146818 *r, int64_t now)
{
    return !r->frozen && floor_mod64(now + r->offset_us, US) >= US - RTC_UIP_US;
}

uint8_t mc146818_read(struct mc146818 *r, unsigned port, int64_t now_us)
{
    if (port == 0)
        return 0xff;
    unsigned idx = r->index;
    accrue(r, now_us);
    if (is_clock_reg(idx) && !r->frozen) {
        struct datetime t;
        datetime_from_epoch(guest_secs(r, now_us), &t);
        return clock_field(r, &t, idx);
    }
    switch (idx) {
    case RTC_REG_A:
        return (uint8_t)((r->ram[RTC_REG_A] & ~RTC_A_UIP) | (uip(r, now_us) ? RTC_A_UIP : 0));
    case RTC_REG_C: {
        uint8_t v = r->c;                   /* read clears them all */
        r->c = 0;
        return v;
    }
    case RTC_REG_D:
        return RTC_D_VRT;
    default:
        return r->ram[idx];
    }
}

void mc146818_write(struct mc146818 *r, unsigned port, uint8_t val, int64_t now_us)
{
    if (port == 0) {
        r->index = val & 0x7f;              /* bit 7: the NMI mask of a PC, not ours */
        return;
    }
    unsigned idx = r->index;
    accrue(r, now_us);
    if (is_clock_reg(idx) && !r->frozen) {
        /* The clock moves to the new value, within the same second. */
        if (idx == RTC_DAY_OF_WEEK)
            return;
        int64_t frac = floor_mod64(now_us + r->offset_us, US);
        clock_to_ram(r, guest_secs(r, now_us));
        r->ram[idx] = val;
        r->offset_us = clock_from_ram(r) * US + frac - now_us;
        return;
    }
    switch (idx) {
    case RTC_REG_A: {
        bool was_reset = divider_reset(r);
        r->ram[RTC_REG_A] = val & ~RTC_A_UIP;
        update_frozen(r, now_us, was_reset && !divider_reset(r));
        break;
    }
    case RTC_REG_B:
        /* SET clears UIE (MC146818, "Register B"). */
        r->ram[RTC_REG_B] = (val & RTC_B_SET) ? val & ~RTC_B_UIE : val;
        update_frozen(r, now_us, false);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                              /* read-only */
    default:
        r->ram[idx] = val;
        break;
    }
    accrue(r, now_us);                      /* an enable may meet a flag already set */
}

bool mc146818_irq(struct mc146818 *r, int64_t now_us)
{
    accrue(r, now_us);
    return r->c & RTC_C_IRQF;
}

int64_t mc146818_next_irq(struct mc146818 *r, int64_t now_us)
{
    accrue(r, now_us);
    if (r->c & RTC_C_IRQF)
        return MC146818_NEVER;
    uint8_t b = r->ram[RTC_REG_B];
    unsigned rs = r->ram[RTC_REG_A] & RTC_A_RS_MASK;
    int64_t g = now_us + r->offset_us, best = MC146818_NEVER;
    if ((b & RTC_B_PIE) && rs && !divider_reset(r)) {
        int64_t p = rate_ticks(rs), k = (floor_div64(xtal_ticks(g), p) + 1) * p;
        /* The first microsecond at which that tick has come. */
        int64_t at = floor_div64(k, XTAL) * US + (floor_mod64(k, XTAL) * US + XTAL - 1) / XTAL;
        best = at - r->offset_us;
    }
    if (!r->frozen) {
        int64_t s = floor_div64(g, US);
        if ((b & RTC_B_UIE) && (s + 1) * US - r->offset_us < best)
            best = (s + 1) * US - r->offset_us;
        int64_t a = (b & RTC_B_AIE) ? alarm_next(r, s) : MC146818_NEVER;
        if (a != MC146818_NEVER && a * US - r->offset_us < best)
            best = a * US - r->offset_us;
    }
    return best;
}

int64_t mc146818_time(const struct mc146818 *r, int64_t now_us)
{
    return r->frozen ? clock_from_ram(r) : guest_secs(r, now_us);
}
