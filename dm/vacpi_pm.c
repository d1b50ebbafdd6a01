/*
 * The ACPI PM registers of a guest (include/hv/vacpi_pm.h), pure: what
 * each byte of the PM1a event and control blocks and the PM timer reads
 * and what a write does. Section numbers are ACPI 6.5.
 *
 * The platform raises no SCI (nothing is wired to ISA IRQ 9 yet), so no
 * status bit is ever set by the hardware side: TMR_STS (the timer's bit
 * 31 toggling, 4.8.3.3) would only matter with TMR_EN and an SCI, which
 * Linux does not use (it reads the counter), and WAK_STS is set on waking
 * from a sleep state we never enter. The bits are still
 * write-1-to-clear (4.8.3.1.1), so an OS clearing them sees them clear.
 * The enable bits read back as written: ACPICA reads them back after
 * enabling the fixed events (TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN) and
 * reports "Could not enable ... event" otherwise.
 *
 * Every access is taken a byte at a time over consecutive ports, as the
 * CPU's I/O cycles address them, so ACPICA's 16-bit PM1 accesses, Linux's
 * 32-bit timer reads and any 8-bit access to either half work alike.
 */
#include <hv/vacpi_pm.h>
#include <hv/acpi_tables.h>

/* The block lengths the FADT gives (5.2.9): the event block is a status
 * word and an enable word (4.8.3.1). */
#define EVT_LEN ACPI_TABLES_PM1_EVT_LEN
#define CNT_LEN ACPI_TABLES_PM1_CNT_LEN
#define TMR_LEN ACPI_TABLES_PM_TMR_LEN

/* Bits of PM1_CNT that are written but never read back (table 4.13). */
#define CNT_WRITE_ONLY  (PM1_GBL_RLS | PM1_SLP_EN)

void acpi_pm_init(struct acpi_pm *pm, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port)
{
    pm->evt_port = evt_port;
    pm->cnt_port = cnt_port;
    pm->tmr_port = tmr_port;
    acpi_pm_reset(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = 0;
}

/* Is `port` inside the block of `len` bytes at `base`? Its byte index. */
static bool in_block(uint16_t port, uint16_t base, unsigned len, unsigned *idx)
{
    if (port < base || (unsigned)(port - base) >= len)
        return false;
    *idx = (unsigned)(port - base);
    return true;
}

static uint8_t byte_of(uint32_t v, unsigned i)
{
    return (uint8_t)(v >> (8 * i));
}

static uint8_t read_byte(const struct acpi_pm *pm, uint16_t port, uint32_t timer)
{
    unsigned i;
    if (in_block(port, pm->evt_port, EVT_LEN, &i))
        return i < 2 ? byte_of(pm->sts, i) : byte_of(pm->en, i - 2);
    if (in_block(port, pm->cnt_port, CNT_LEN, &i))
        /* No SMI_CMD in the FADT: the platform is always in ACPI mode,
         * so SCI_EN reads 1 (4.8.3.2.1, 5.2.9). */
        return byte_of(pm->cnt | PM1_SCI_EN, i);
    if (in_block(port, pm->tmr_port, TMR_LEN, &i))
        return byte_of(timer, i);
    return 0xff;        /* nothing decodes it: an empty bus */
}

uint32_t acpi_pm_read(const struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t timer)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < size && k < 4; k++)
        v |= (uint32_t)read_byte(pm, (uint16_t)(port + k), timer) << (8 * k);
    return v;
}

static void set_byte(uint16_t *reg, unsigned i, uint8_t b)
{
    *reg = (uint16_t)((*reg & ~(0xffu << (8 * i))) | ((unsigned)b << (8 * i)));
}

enum acpi_pm_action acpi_pm_write(struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t val)
{
    bool slp_en = false;
    for (unsigned k = 0; k < size && k < 4; k++) {
        uint16_t p = (uint16_t)(port + k);
        uint8_t b = byte_of(val, k);
        unsigned i;
        if (in_block(p, pm->evt_port, EVT_LEN, &i)) {
            if (i < 2)
                pm->sts &= (uint16_t)~((unsigned)b << (8 * i));   /* write 1 to clear */
            else
                set_byte(&pm->en, i - 2, b);
        } else if (in_block(p, pm->cnt_port, CNT_LEN, &i)) {
            set_byte(&pm->cnt, i, b);
            if (i == 1 && (b & (PM1_SLP_EN >> 8)))
                slp_en = true;
        }
        /* The timer is read-only (4.8.3.3); other ports: nothing there. */
    }
    pm->cnt &= (uint16_t)~CNT_WRITE_ONLY;
    /*
     * SLP_EN starts the transition to the state SLP_TYP names (4.8.3.2.1,
     * 16.1.7). SLP_TYP and SLP_EN share the high byte, so a 16-bit write
     * or an 8-bit one to that byte does it; SLP_TYP is the value after the
     * write (Linux writes SLP_TYP first, then SLP_TYP | SLP_EN). Only S5
     * is declared in the DSDT (\_S5); other types are no state of ours.
     */
    if (slp_en && ((pm->cnt & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT) == ACPI_TABLES_SLP_TYP_S5)
        return ACPI_PM_POWER_OFF;
    return ACPI_PM_NONE;
}

uint32_t acpi_pm_timer(uint64_t ticks, uint64_t tsc_hz)
{
    if (!tsc_hz)
        return 0;
    /* ticks * 3579545 / tsc_hz without a 128-bit product: whole seconds
     * and the rest apart (the rest is below tsc_hz, so rest * 3579545
     * fits 64 bits for any rate below 5 THz). Only the low 32 bits are
     * the timer's, and unsigned arithmetic keeps them exact mod 2^32. */
    uint64_t secs = ticks / tsc_hz, rest = ticks % tsc_hz;
    return (uint32_t)(secs * ACPI_PM_TIMER_HZ + rest * ACPI_PM_TIMER_HZ / tsc_hz);
}
