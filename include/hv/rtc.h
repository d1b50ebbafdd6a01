/*
 * The machine's own real-time clock (drivers/rtc.c), read once at start
 * from the CMOS at ports 0x70/0x71. Guests never reach it through the
 * hypervisor: each has its own clock (dm/vrtc.c), which starts from this
 * reading plus the TSC time since, and which only the guest's own writes
 * move. (A guest given the ports themselves with passthrough_io reaches
 * the real device; that is the configuration's choice.)
 */
#ifndef HV_RTC_H
#define HV_RTC_H

#include <hv/compiler.h>

/* Read the clock with the update-in-progress handshake and log it
 * ("rtc: host clock 2024-05-01 12:34:56 ..."). Without a clock that
 * answers with a valid time, guests start at 2000-01-01 00:00:00, and
 * the log says so. Called once, by the boot CPU, before any guest runs. */
void rtc_host_init(void);
/* The time read, in microseconds since 1970-01-01 00:00:00 as the RTC
 * keeps it (local time or UTC, as the machine's owner set it), and the
 * TSC at the read. */
int64_t rtc_host_start_us(void);
uint64_t rtc_host_start_tsc(void);

#endif
