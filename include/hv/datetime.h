/*
 * Calendar dates and times as a real-time clock keeps them (lib/datetime.c,
 * pure): broken-down time <-> seconds since 1970-01-01 00:00:00, in the
 * proleptic Gregorian calendar with no time zone and no leap seconds (an
 * RTC knows neither), and the packed BCD the MC146818 uses. Used by the
 * host RTC driver (drivers/rtc.c) and the guests' RTC (dm/mc146818.c).
 */
#ifndef HV_DATETIME_H
#define HV_DATETIME_H

#include <hv/compiler.h>

struct datetime {
    int32_t year;               /* e.g. 2024 */
    uint8_t month;              /* 1-12 */
    uint8_t day;                /* 1-31 */
    uint8_t hour, min, sec;     /* 0-23, 0-59, 0-59 */
    uint8_t wday;               /* 0 Sunday .. 6 Saturday (set by datetime_from_epoch) */
};

/* Days in `month` (1-12) of `year`; 0 for a month out of range. */
unsigned datetime_days_in_month(int32_t year, unsigned month);
/* Is every field in range (wday ignored)? */
bool datetime_valid(const struct datetime *t);
/* Seconds since the epoch (negative before 1970). Fields are taken as
 * they are: check them with datetime_valid first. */
int64_t datetime_to_epoch(const struct datetime *t);
/* Broken-down time of `secs` since the epoch, wday included. */
void datetime_from_epoch(int64_t secs, struct datetime *t);

/* Packed BCD of 0-99 and back. bcd_to_bin takes each nibble as it is
 * (0xa-0xf count as 10-15, as the RTC's own arithmetic does not check). */
static inline uint8_t bin_to_bcd(unsigned v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static inline unsigned bcd_to_bin(uint8_t v)
{
    return (v >> 4) * 10u + (v & 15u);
}

/* Floor division and the matching non-negative remainder, for times
 * before the epoch. */
static inline int64_t floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t floor_mod64(int64_t a, int64_t b)
{
    return a - floor_div64(a, b) * b;
}

#endif
