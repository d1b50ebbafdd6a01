/*
 * The ACPI fixed-hardware PM registers a guest's FADT promises
 * (include/hv/acpi_tables.h): the PM1a event block (status and enable
 * words), the PM1a control word and the 32-bit PM timer, as I/O ports.
 * This is the register logic, pure (dm/vacpi_pm.c, unit-tested in
 * tests/unit/test_acpi_pm.c); the device on the guest's bus, its clock
 * and the power-off are dm/vacpi_pm_io.c. Section numbers are ACPI 6.5.
 */
#ifndef HV_VACPI_PM_H
#define HV_VACPI_PM_H

#include <hv/compiler.h>

/* The PM timer's rate (4.8.3.3): 3.579545 MHz. */
#define ACPI_PM_TIMER_HZ    3579545ULL

/* PM1 status bits (4.8.3.1.1, table 4.11); write 1 to clear. */
#define PM1_TMR_STS         BIT(0)
#define PM1_BM_STS          BIT(4)
#define PM1_GBL_STS         BIT(5)
#define PM1_PWRBTN_STS      BIT(8)
#define PM1_SLPBTN_STS      BIT(9)
#define PM1_RTC_STS         BIT(10)
#define PM1_PCIEXP_WAKE_STS BIT(14)
#define PM1_WAK_STS         BIT(15)
/* PM1 enable bits (4.8.3.1.2, table 4.12). */
#define PM1_TMR_EN          BIT(0)
#define PM1_GBL_EN          BIT(5)
#define PM1_PWRBTN_EN       BIT(8)
#define PM1_SLPBTN_EN       BIT(9)
#define PM1_RTC_EN          BIT(10)
/* PM1 control bits (4.8.3.2.1, table 4.13). */
#define PM1_SCI_EN          BIT(0)
#define PM1_BM_RLD          BIT(1)
#define PM1_GBL_RLS         BIT(2)      /* write-only, reads 0 */
#define PM1_SLP_TYP_SHIFT   10
#define PM1_SLP_TYP_MASK    (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN          BIT(13)     /* write-only, reads 0 */

struct acpi_pm {
    /* Where the FADT put the blocks (its PM1a_EVT_BLK, PM1a_CNT_BLK,
     * PM_TMR_BLK); each is decoded for its FADT length only. */
    uint16_t evt_port, cnt_port, tmr_port;
    uint16_t sts;       /* PM1a_STS */
    uint16_t en;        /* PM1a_EN, as the OS wrote it */
    uint16_t cnt;       /* PM1a_CNT without the write-only bits; SCI_EN reads 1 regardless */
};

/* What a write asks of the platform. */
enum acpi_pm_action {
    ACPI_PM_NONE = 0,
    ACPI_PM_POWER_OFF,  /* SLP_EN with SLP_TYP = \_S5's: enter S5 (7.4.2, 16.1.7) */
};

/* The blocks at the ports the FADT gives, at power-on. */
void acpi_pm_init(struct acpi_pm *pm, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port);
/* Back to power-on (status, enables and control clear). */
void acpi_pm_reset(struct acpi_pm *pm);
/*
 * A read of 1, 2 or 4 bytes at `port`, little-endian over consecutive
 * ports as the CPU does it: each byte from the register that holds it,
 * all ones for a byte no register holds. `timer` is the PM timer's value
 * now (acpi_pm_timer).
 */
uint32_t acpi_pm_read(const struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t timer);
/* A write of 1, 2 or 4 bytes at `port`; bytes no register holds, and the
 * read-only timer, are ignored. */
enum acpi_pm_action acpi_pm_write(struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t val);
/* The PM timer `ticks` TSC ticks of a `tsc_hz` clock after it read 0:
 * it wraps at 32 bits (TMR_VAL_EXT); 0 without a rate. */
uint32_t acpi_pm_timer(uint64_t ticks, uint64_t tsc_hz);

#endif
