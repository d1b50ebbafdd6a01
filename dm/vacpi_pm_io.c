/*
 * The ACPI PM registers on a guest's bus (dm/, include/hv/dm.h): the
 * PM1a event and control blocks and the PM timer at the ports its FADT
 * gives (include/hv/acpi_tables.h), served by the pure model
 * (dm/vacpi_pm.c). Here: the timer's clock and what a power-off does.
 *
 * These are the guest's own virtual registers, only on its bus; the
 * machine's PM ports (which may sit at the same numbers) are the
 * hypervisor's and no guest may have them passed through
 * (guest_reserve_ports in guest/lifecycle.c).
 */
#include <hv/dm.h>
#include <hv/vacpi_pm.h>
#include <hv/acpi_tables.h>
#include <hv/bus.h>
#include <hv/guest.h>
#include <hv/spinlock.h>
#include <hv/mm.h>
#include <arch/cpu.h>
#include <arch/tsc.h>

struct vacpi_pm {
    struct vdev dev;                /* first: the bus hands us this */
    spinlock_t lock;                /* the guest's vCPUs on several CPUs */
    struct acpi_pm pm;
    uint64_t tsc_base;              /* the TSC when its PM timer read 0 */
};

/*
 * The PM timer free-runs at 3.579545 MHz whatever the guest does
 * (4.8.3.3), so it is the host TSC scaled by the rate the hypervisor
 * determined at boot (arch/x86/tsc.c: CPUID checked against a
 * measurement; 50 MHz in Bochs, never an assumed GHz figure). The TSC is
 * constant-rate and synchronised across the host's CPUs, so the count
 * does not depend on which CPU the reading vCPU is on.
 */
static uint32_t timer_now(const struct vacpi_pm *p)
{
    return acpi_pm_timer(rdtsc() - p->tsc_base, tsc_hz());
}

static uint32_t port_read(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size)
{
    (void)v;
    struct vacpi_pm *p = (struct vacpi_pm *)d;
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint32_t val = acpi_pm_read(&p->pm, port, size, timer_now(p));
    spin_unlock_irqrestore(&p->lock, f);
    return val;
}

static void port_write(struct vdev *d, struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    (void)v;
    struct vacpi_pm *p = (struct vacpi_pm *)d;
    uint64_t f = spin_lock_irqsave(&p->lock);
    enum acpi_pm_action a = acpi_pm_write(&p->pm, port, size, val);
    spin_unlock_irqrestore(&p->lock, f);
    /* S5 is soft off (7.4.2.6): the guest ends, cleanly, so on_stop =
     * restart leaves it stopped (it re-creates only on a non-zero
     * status, vm/guest.c). Linux's `poweroff` ends here. */
    if (a == ACPI_PM_POWER_OFF)
        guest_stop(d->guest, 0, "ACPI power-off (S5, port %#x = %#x)", port, val);
}

static void reset(struct vdev *d)
{
    struct vacpi_pm *p = (struct vacpi_pm *)d;
    acpi_pm_reset(&p->pm);
    p->tsc_base = rdtsc();          /* a new instance's timer starts at 0 */
}

static const struct vdev_ops vacpi_pm_ops = {
    .name = "ACPI PM registers",
    .port_read = port_read,
    .port_write = port_write,
    .reset = reset,
};

/* One bus range from the first block to the end of the last: ports in
 * between read all ones (the model decodes only the blocks). */
bool vacpi_pm_attach(struct guest *g, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port)
{
    struct vacpi_pm *p = kzalloc(sizeof(*p));
    if (!p)
        return false;
    acpi_pm_init(&p->pm, evt_port, cnt_port, tmr_port);
    p->tsc_base = rdtsc();
    if (!bus_add_device(g, &p->dev, &vacpi_pm_ops)) {
        kfree(p);
        return false;
    }
    uint16_t first = MIN(evt_port, MIN(cnt_port, tmr_port));
    unsigned end = MAX((unsigned)evt_port + ACPI_TABLES_PM1_EVT_LEN,
                       MAX((unsigned)cnt_port + ACPI_TABLES_PM1_CNT_LEN,
                           (unsigned)tmr_port + ACPI_TABLES_PM_TMR_LEN));
    return bus_map_ports(g, &p->dev, first, end - first);
}
