/*
 * The PC's CMOS real-time clock and its 128 bytes of RAM, as register
 * logic (dm/mc146818.c, pure, unit-tested in tests/unit/test_rtc.c); the
 * device at ports 0x70/0x71, its clock and IRQ 8 are dm/vrtc.c.
 * Reference: Motorola MC146818A datasheet ("MC146818" below), and the RTC
 * of the Intel ICH/PCH I/O controller hubs (ICH9 datasheet 13.6, "ICH9").
 *
 * Time is the host's, in microseconds since 1970-01-01 00:00:00 (what the
 * machine's RTC said at start plus the TSC since, dm/vrtc.c); the clock
 * is that plus the guest's own offset, which only the guest's writes of
 * the time change. Everything is computed from `now` when read: nothing
 * runs while the guest does not look, but the caller's timer for the next
 * interrupt when the guest enabled one.
 */
#ifndef HV_MC146818_H
#define HV_MC146818_H

#include <hv/compiler.h>

#define MC146818_NEVER      INT64_MAX
#define MC146818_RAM_SIZE   128

/* Registers (MC146818 figure 4; century: the ACPI FADT's CENTURY index,
 * ACPI_TABLES_CENTURY). */
#define RTC_SECONDS         0x00
#define RTC_SECONDS_ALARM   0x01
#define RTC_MINUTES         0x02
#define RTC_MINUTES_ALARM   0x03
#define RTC_HOURS           0x04
#define RTC_HOURS_ALARM     0x05
#define RTC_DAY_OF_WEEK     0x06
#define RTC_DAY_OF_MONTH    0x07
#define RTC_MONTH           0x08
#define RTC_YEAR            0x09
#define RTC_REG_A           0x0a
#define RTC_REG_B           0x0b
#define RTC_REG_C           0x0c
#define RTC_REG_D           0x0d
#define RTC_CENTURY         0x32

#define RTC_A_UIP           BIT(7)      /* update in progress (read-only) */
#define RTC_A_DV_MASK       0x70        /* divider: 010 runs at 32.768 kHz, 11x holds it in reset */
#define RTC_A_DV_RESET      0x60
#define RTC_A_RS_MASK       0x0f        /* periodic rate */
#define RTC_B_SET           BIT(7)      /* updates stop; the time may be written */
#define RTC_B_PIE           BIT(6)
#define RTC_B_AIE           BIT(5)
#define RTC_B_UIE           BIT(4)
#define RTC_B_SQWE          BIT(3)
#define RTC_B_DM_BINARY     BIT(2)      /* 0: BCD */
#define RTC_B_24H           BIT(1)      /* 0: 12-hour, PM in bit 7 of the hours */
#define RTC_B_DSE           BIT(0)
#define RTC_C_IRQF          BIT(7)
#define RTC_C_PF            BIT(6)      /* the C flags sit where B's enables do */
#define RTC_C_AF            BIT(5)
#define RTC_C_UF            BIT(4)
#define RTC_D_VRT           BIT(7)      /* valid RAM and time */

/* How long before each second UIP reads set (MC146818: 244 us before the
 * update cycle; ours takes no time). */
#define RTC_UIP_US          244

struct mc146818 {
    uint8_t ram[MC146818_RAM_SIZE];     /* alarms, A (bits 6:0), B, NVRAM; the clock while frozen */
    uint8_t index;                      /* port 0x70, bits 6:0 */
    uint8_t c;                          /* register C's flags so far */
    bool frozen;                        /* SET or divider reset: the clock is in ram[] */
    int64_t offset_us;                  /* guest's clock minus host time */
    int64_t since_us;                   /* host time up to which C's flags are counted */
};

/* Power-on at host time now_us: the host's clock, 24-hour BCD, A = 0x26
 * (32.768 kHz, 1024 Hz periodic rate), no interrupt enabled, VRT set,
 * and the BIOS bytes a PC keeps: equipment (an FPU), base memory 640 KiB,
 * extended memory from the guest's RAM below 4 GiB (`low_ram` bytes from
 * 0) and above (`high_ram`), as QEMU and SeaBIOS lay them out, and the
 * standard checksum over 0x10-0x2d. Everything else 0. */
void mc146818_reset(struct mc146818 *r, uint64_t low_ram, uint64_t high_ram, int64_t now_us);
/* Port 0x70 (`port` 0) or 0x71 (1). Port 0x70 reads 0xff (write-only on
 * a PC); bit 7 of its writes (NMI mask) is ignored. */
uint8_t mc146818_read(struct mc146818 *r, unsigned port, int64_t now_us);
void mc146818_write(struct mc146818 *r, unsigned port, uint8_t val, int64_t now_us);
/* IRQF at now_us: the IRQ 8 line (asserted until register C is read). */
bool mc146818_irq(struct mc146818 *r, int64_t now_us);
/* Host time of the next moment IRQF would be set by an enabled periodic,
 * alarm or update interrupt, MC146818_NEVER if none (or already set). */
int64_t mc146818_next_irq(struct mc146818 *r, int64_t now_us);
/* The guest's clock at now_us, in seconds since the epoch. */
int64_t mc146818_time(const struct mc146818 *r, int64_t now_us);

#endif
