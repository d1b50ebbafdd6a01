/* Calendar arithmetic (include/hv/datetime.h). The day-count conversions
 * are Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html): exact for every
 * year an int32 holds, before the epoch too, without tables or loops. */
#include <hv/datetime.h>

static bool leap(int32_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned datetime_days_in_month(int32_t year, unsigned month)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && leap(year) ? 1u : 0u);
}

bool datetime_valid(const struct datetime *t)
{
    return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
           t->day <= datetime_days_in_month(t->year, t->month) && t->hour < 24 && t->min < 60 &&
           t->sec < 60;
}

/* Days since 1970-01-01 of y-m-d. The year is counted from March, so
 * that the leap day is the last of its year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div64(y, 400);
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

int64_t datetime_to_epoch(const struct datetime *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
           t->sec;
}

void datetime_from_epoch(int64_t secs, struct datetime *t)
{
    int64_t days = floor_div64(secs, 86400), tod = floor_mod64(secs, 86400);
    t->hour = (uint8_t)(tod / 3600);
    t->min = (uint8_t)(tod / 60 % 60);
    t->sec = (uint8_t)(tod % 60);
    t->wday = (uint8_t)floor_mod64(days + 4, 7);          /* 1970-01-01 was a Thursday */

    int64_t z = days + 719468;
    int64_t era = floor_div64(z, 146097);
    int64_t doe = z - era * 146097;                                       /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                     /* [0, 11] */
    t->day = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (uint8_t)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (int32_t)(yoe + era * 400 + (t->month <= 2));
}
