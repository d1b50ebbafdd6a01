/*
 * The machine's CMOS real-time clock, read once (include/hv/rtc.h). An
 * MC146818-compatible clock updates its registers once a second; during
 * the update they are not valid, and UIP (register A bit 7) is set from
 * 244 us before it (MC146818A datasheet, "Update Cycle"). So: wait for
 * UIP clear, read everything, wait again, read again, and accept two
 * identical readings; BCD or binary and 12- or 24-hour as register B
 * says. The century is register 0x32 when it holds 19, 20 or 21 (the
 * usual place, and the one the FADT's CENTURY field points to on PCs);
 * else years below 70 are 20xx. Nothing is ever written but the index.
 */
#include <hv/rtc.h>
#include <hv/mc146818.h>
#include <hv/datetime.h>
#include <hv/log.h>
#include <arch/cpu.h>

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define UIP_SPINS       100000      /* an update takes at most 2 ms */
#define READ_TRIES      10
#define FALLBACK_SECS   946684800LL /* 2000-01-01 00:00:00 */

static int64_t start_us;
static uint64_t start_tsc;

struct reading {
    uint8_t reg[10];                /* seconds .. year, as stored */
    uint8_t century, b;
};

/* Index bit 7 clear: NMIs stay enabled, as every OS leaves them. */
static uint8_t cmos_read(uint8_t idx)
{
    outb(CMOS_INDEX, idx);
    return inb(CMOS_DATA);
}

static bool wait_update_done(void)
{
    for (unsigned i = 0; i < UIP_SPINS; i++) {
        uint8_t a = cmos_read(RTC_REG_A);
        if (a == 0xff)
            return false;           /* nothing answers there */
        if (!(a & RTC_A_UIP))
            return true;
    }
    return false;
}

static void read_all(struct reading *r)
{
    for (uint8_t i = 0; i < 10; i++)
        r->reg[i] = cmos_read(i);
    r->century = cmos_read(RTC_CENTURY);
    r->b = cmos_read(RTC_REG_B);
}

static bool same(const struct reading *a, const struct reading *b)
{
    for (unsigned i = 0; i < 10; i++)
        if (a->reg[i] != b->reg[i])
            return false;
    return a->century == b->century && a->b == b->b;
}

static bool bcd_ok(uint8_t v)
{
    return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

/* The reading as a date; false when it is not one. */
static bool decode(const struct reading *r, struct datetime *t)
{
    bool bcd = !(r->b & RTC_B_DM_BINARY), h12 = !(r->b & RTC_B_24H);
    static const uint8_t fields[] = { RTC_SECONDS, RTC_MINUTES, RTC_DAY_OF_MONTH, RTC_MONTH,
                                      RTC_YEAR };
    if (bcd) {
        for (unsigned i = 0; i < sizeof(fields); i++)
            if (!bcd_ok(r->reg[fields[i]]))
                return false;
        if (!bcd_ok(r->reg[RTC_HOURS] & 0x7f))
            return false;
    }
#define DEC(v) (bcd ? bcd_to_bin(v) : (unsigned)(v))
    unsigned hour = DEC(r->reg[RTC_HOURS] & (h12 ? 0x7f : 0xff));
    if (h12)
        hour = hour % 12 + (r->reg[RTC_HOURS] & 0x80 ? 12 : 0);
    unsigned year = DEC(r->reg[RTC_YEAR]);
    unsigned century = (!bcd || bcd_ok(r->century)) ? DEC(r->century) : 0;
#undef DEC
    if (century < 19 || century > 21)
        century = year < 70 ? 20 : 19;
    *t = (struct datetime){
        .year = (int32_t)(century * 100 + year),
        .month = (uint8_t)(bcd ? bcd_to_bin(r->reg[RTC_MONTH]) : r->reg[RTC_MONTH]),
        .day = (uint8_t)(bcd ? bcd_to_bin(r->reg[RTC_DAY_OF_MONTH]) : r->reg[RTC_DAY_OF_MONTH]),
        .hour = (uint8_t)MIN(hour, 255u),
        .min = (uint8_t)(bcd ? bcd_to_bin(r->reg[RTC_MINUTES]) : r->reg[RTC_MINUTES]),
        .sec = (uint8_t)(bcd ? bcd_to_bin(r->reg[RTC_SECONDS]) : r->reg[RTC_SECONDS]),
    };
    return year < 100 && datetime_valid(t);
}

void rtc_host_init(void)
{
    struct reading a, b;
    uint64_t tsc = 0;
    bool stable = false;
    for (unsigned i = 0; i < READ_TRIES && !stable; i++) {
        if (!wait_update_done())
            break;
        read_all(&a);
        tsc = rdtsc();
        if (!wait_update_done())
            break;
        read_all(&b);
        stable = same(&a, &b);
    }
    struct datetime t;
    if (stable && decode(&a, &t)) {
        start_us = datetime_to_epoch(&t) * 1000000;
        start_tsc = tsc;
        kprintf("rtc: host clock %04d-%02u-%02u %02u:%02u:%02u (%s, %s-hour); each guest's "
                "clock starts there\n", t.year, t.month, t.day, t.hour, t.min, t.sec,
                (a.b & RTC_B_DM_BINARY) ? "binary" : "BCD", (a.b & RTC_B_24H) ? "24" : "12");
        return;
    }
    start_us = FALLBACK_SECS * 1000000;
    start_tsc = rdtsc();
    if (stable)
        kprintf("rtc: the host clock reads no valid date (%02x-%02x-%02x %02x:%02x:%02x, "
                "register B %#x); guests' clocks start at 2000-01-01 00:00:00\n", a.reg[9],
                a.reg[8], a.reg[7], a.reg[4], a.reg[2], a.reg[0], a.b);
    else
        kprintf("rtc: no host clock answers at ports 0x70/0x71 (or its update never ends); "
                "guests' clocks start at 2000-01-01 00:00:00\n");
}

int64_t rtc_host_start_us(void)
{
    return start_us;
}

uint64_t rtc_host_start_tsc(void)
{
    return start_tsc;
}
