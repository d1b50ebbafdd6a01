/*
 * The core's start: every step in a fixed order, each one printing what it
 * found, so the serial log reads as a boot report (README "The console").
 */
#include <hv/boot_info.h>
#include <hv/faultinj.h>
#include <hv/config.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/power.h>
#include <hv/rtc.h>
#include <hv/lifecycle.h>
#include <hv/mgmt.h>
#include <hv/sched.h>
#include <hv/serial.h>
#include <hv/string.h>
#include <hv/version.h>
#include <hv/acpi.h>
#include <hv/fbcon.h>
#include <arch/cpu.h>
#include <arch/idt.h>
#include <arch/lapic.h>
#include <arch/paging.h>
#include <arch/pic.h>
#include <arch/percpu.h>
#include <arch/tsc.h>
#include <arch/vmx.h>

void kmain(uint64_t magic, uint64_t info);

static struct boot_info bootinfo;
static struct hv_config config;
static char config_name[BOOT_NAME_MAX] = "(defaults)";
static struct acpi_info acpi;
static bool acpi_ok;

/* The BSP's per-CPU data is static: it is needed before the allocator. */
static struct percpu bsp_percpu;
static uint8_t bsp_ist[3 * IST_STACK_SIZE] __aligned(16);
extern char boot_stack_top[];

static void config_error(void *ctx, const char *msg)
{
    (void)ctx;
    kprintf("config: %s\n", msg);
}

static void config_load(const struct boot_info *bi)
{
    config_defaults(&config);
    for (uint32_t i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        const char *name = m->name;
        size_t n = strlen(name);
        /* The configuration: the GRUB module named "config", or the file
         * whose name ends in .cfg (the UEFI loader names modules by path). */
        if (strcmp(name, "config") != 0 && !(n >= 4 && strcmp(name + n - 4, ".cfg") == 0))
            continue;
        hv_strlcpy(config_name, name, sizeof(config_name));
        int errors = config_parse(phys_to_ptr(m->base), m->size, name, &config,
                                  config_error, NULL);
        if (errors)
            kprintf("config: %s: %d error(s); a guest with errors is refused, a "
                    "[hypervisor] setting in error keeps its default\n", name, errors);
        kprintf("config: %s: on_idle=%s test_exits=%s\n", name,
                config_on_idle_name(config.on_idle), config.test_exits ? "yes" : "no");
        return;
    }
    kprintf("config: no configuration file given; using defaults (on_idle=%s)\n",
            config_on_idle_name(config.on_idle));
}

/* Fill the CPU table from the MADT, the BSP first; without a MADT only the
 * BSP is known. */
static void cpus_discover(void)
{
    uint32_t bsp_id = lapic_id();

    bsp_percpu.apic_id = bsp_id;
    percpu_add(&bsp_percpu);
    if (!acpi_ok || acpi.madt.cpu_count == 0) {
        kprintf("smp: no MADT: running on the boot CPU only\n");
        return;
    }
    for (unsigned i = 0; i < acpi.madt.cpu_count; i++) {
        const struct acpi_cpu *c = &acpi.madt.cpus[i];
        if (!c->enabled || c->apic_id == bsp_id)
            continue;
        if (percpu_count() == MAX_CPUS) {
            kprintf("smp: more than %d CPUs; apic %u and later ignored\n", MAX_CPUS,
                    c->apic_id);
            break;
        }
        struct percpu *pc = percpu_alloc(percpu_count(), c->apic_id);
        if (!pc) {
            kprintf("smp: out of memory for cpu%u (apic %u); skipped\n", percpu_count(),
                    c->apic_id);
            continue;
        }
        percpu_add(pc);
    }
}

/* APs bring themselves up after they answer; give them time to finish. */
static void wait_for_aps(void)
{
    uint64_t end = rdtsc() + tsc_hz() * 2;

    for (;;) {
        bool busy = false;
        for (unsigned i = 1; i < percpu_count(); i++)
            if (percpu_get(i)->state == CPU_ALIVE)
                busy = true;
        if (!busy || rdtsc() > end)
            break;
        cpu_relax();
    }
    for (unsigned i = 1; i < percpu_count(); i++)
        if (percpu_get(i)->state == CPU_ALIVE)
            kprintf("smp: cpu%u (apic %u) started but did not finish bring-up\n",
                    i, percpu_get(i)->apic_id);
}

static void report(uint64_t t_entry)
{
    unsigned vmx = 0;

    for (unsigned i = 0; i < percpu_count(); i++)
        if (percpu_get(i)->state == CPU_ONLINE && percpu_get(i)->vmx.on)
            vmx++;
    uint64_t ticks = rdtsc() - t_entry;
    kprintf("smp: %u of %u CPUs online, %u in VMX root operation\n",
            smp_online_count(), percpu_count(), vmx);
    uint64_t per_us = tsc_hz() / 1000000 ? tsc_hz() / 1000000 : 1;
    if (vmx == smp_online_count()) {
        kprintf("bench: all CPUs in VMX root %lu TSC ticks (%lu us) after core entry\n",
                ticks, ticks / per_us);
        if (bootinfo.start_tsc && bootinfo.start_tsc < t_entry)
            kprintf("bench: %lu TSC ticks from loader start to core entry\n",
                    t_entry - bootinfo.start_tsc);
    }
    if (vmx == 0)
        kprintf("hv: VT-x is not available on this machine: no guest can run here\n");
}

/* Every CPU's own start, in this order: LAPIC and timer, VMX root
 * operation, then (diagnostics) the crash_cpu fault. */
static void cpu_start(struct percpu *pc)
{
    cpu_bringup(pc);
    vmx_cpu_bringup(pc);
    if (faultinj_crash_cpu(pc->index)) {
        kprintf("cpu%u: crash_cpu=%u: executing an invalid instruction\n", pc->index, pc->index);
        __asm__ volatile("ud2");
    }
    pc->state = CPU_ONLINE;
}

/* An AP, once its descriptor tables are loaded (arch/x86/smp.c). */
static void ap_main(struct percpu *pc)
{
    cpu_start(pc);
    schedule_run(pc);
}

static __noreturn void idle(void)
{
    if (guests_count())
        kprintf("hv: every guest has stopped; on_idle = %s\n", config_on_idle_name(config.on_idle));
    else
        kprintf("hv: no guests to run; on_idle = %s\n", config_on_idle_name(config.on_idle));
    switch (config.on_idle) {
    case ON_IDLE_REBOOT:
        power_reset();
    case ON_IDLE_HALT:
        power_halt("on_idle = halt");
    case ON_IDLE_POWEROFF:
    default:
        power_off(0);
    }
}

void kmain(uint64_t magic, uint64_t info)
{
    uint64_t t_entry = rdtsc();

    bool serial = serial_console_init(COM1_PORT);
    kprintf("\n%s %s: a VT-x hypervisor\n", HV_NAME, HV_VERSION);

    if (!boot_info_take(magic, info, &bootinfo))
        cpu_halt_forever();     /* the reason is already printed */

    bsp_percpu.stack_top = (uint64_t)boot_stack_top;
    bsp_percpu.ist_stacks = bsp_ist;
    pic_disable();
    idt_init();
    cpu_init_tables(&bsp_percpu);
    cpu_irq_init();

    if (!mm_init(&bootinfo))
        cpu_halt_forever();     /* nothing to run with; the reason is printed */
    paging_init(&bootinfo);
    if (fbcon_init(&bootinfo.fb))
        kprintf("console: framebuffer text console %ux%u\n", bootinfo.fb.width,
                bootinfo.fb.height);
    if (!serial)
        kprintf("console: no UART at COM1 (%#x); log on screen only\n", COM1_PORT);
    mm_print_summary();
    config_load(&bootinfo);

    acpi_ok = acpi_init(&bootinfo, &acpi);
    power_init(acpi_ok ? &acpi : NULL, config.test_exits);
    tsc_init(acpi_ok ? &acpi : NULL);
    rtc_host_init();            /* before any guest can reach it */
    lapic_init();
    lapic_timer_calibrate();
    kprintf("lapic: %s mode, timer %lu kHz\n", lapic_x2apic() ? "x2APIC" : "xAPIC",
            lapic_timer_hz() / 1000);

    faultinj_init(bootinfo.cmdline);
    cpus_discover();
    /* What needs the machine: CPUs that exist, memory that fits. A few
     * MiB stay with the hypervisor for VMCSs, bitmaps and EPT tables. */
    uint64_t free_bytes = mm_free_pages() * PAGE_SIZE;
    uint64_t reserve = MiB(16);
    config_validate(&config, config_name, percpu_count(), free_bytes > reserve ? free_bytes - reserve : 0,
                    config_error, NULL);
    cpu_start(&bsp_percpu);
    /* Guests are built before the APs start, and placed once every CPU
     * is known to be in VMX root or not. */
    if (acpi_ok) {
        guest_reserve_ports(acpi.fadt.pm1a_evt_port, 4, "ACPI PM1a event block");
        guest_reserve_ports(acpi.fadt.pm1b_evt_port, 4, "ACPI PM1b event block");
        guest_reserve_ports(acpi.fadt.pm1a_cnt_port, 2, "ACPI PM1a control block");
        guest_reserve_ports(acpi.fadt.pm1b_cnt_port, 2, "ACPI PM1b control block");
        guest_reserve_ports(acpi.fadt.pm_timer_port, 4, "the ACPI PM timer");
    }
    guests_create(&config, &bootinfo, config_name);
    smp_start_aps(ap_main);
    wait_for_aps();
    report(t_entry);
    mgmt_init();
    schedule_init(config.slice_us);
    for (unsigned i = 0; i < guests_count(); i++)
        schedule_start_guest(guest_get(i));
    schedule_run(&bsp_percpu);
    while (!guests_all_stopped()) {
        irq_enable();
        cpu_halt();
    }
    idle();
}
