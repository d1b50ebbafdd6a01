/*
 * A guest (vm/guest.c owns it): its memory and EPT, its vCPUs, its device
 * bus, its output and why it stopped. Every guest stops alone:
 * `guest_stop` records why and the hypervisor carries on. Creating,
 * re-creating and loading it is guest/lifecycle.c.
 */
#ifndef HV_GUEST_H
#define HV_GUEST_H

#include <hv/compiler.h>
#include <arch/ept.h>
#include <hv/vcpu.h>
#include <hv/spinlock.h>
#include <hv/config.h>
#include <hv/bus.h>
#include <hv/unbacked.h>

#define GUEST_NAME_MAX  32

enum guest_state {
    GUEST_CREATED = 0,
    GUEST_RUNNING,
    GUEST_STOPPED,
    GUEST_RESTARTING,               /* stopped, and on_stop = restart brings it back */
    GUEST_RELOADING,                /* being re-created by its boot vCPU, in its own time */
};

/* A guest that keeps stopping is given up after this many restarts. */
#define GUEST_RESTART_LIMIT 8

struct guest_config;

/* The guest's output, one "[NAME] ..." log line at a time. */
struct guest_log {
    char line[160];
    unsigned len;
    spinlock_t lock;                /* vCPUs on several CPUs */
};

struct guest {
    char name[GUEST_NAME_MAX];
    int index;
    volatile uint32_t state;        /* enum guest_state */
    bool stopping;                  /* guest_stop/guest_reboot printing; state follows */
    spinlock_t lock;                /* state changes: vCPUs on several CPUs */
    uint64_t ram_size;
    uint64_t ram_hpa;               /* one contiguous host block */
    uint64_t alloc_size;            /* the host block, a multiple of 2 MiB */
    uint64_t entry;                 /* multiboot, Linux: the entry point */
    bool entry_real;                /* raw image: start in real mode at CS:IP */
    uint16_t entry_cs, entry_ip;
    /* A Linux kernel (guest/linux_guest.c): which entry, and the GDT with
     * the boot protocol's selectors (0x10 code, 0x18 data) it starts with;
     * the 64-bit entry also has identity page tables at entry_cr3. */
    enum guest_entry {
        GUEST_ENTRY_MULTIBOOT = 0,  /* flat 32-bit, boot GDT at GUEST_BOOT_GDT */
        GUEST_ENTRY_LINUX32,        /* flat 32-bit (bzImage 32-bit entry, PVH) */
        GUEST_ENTRY_LINUX64,        /* long mode, paging on (bzImage 64-bit entry) */
    } entry_kind;
    uint64_t entry_gdt, entry_cr3;
    const char *entry_name;         /* "multiboot", "PVH", "bzImage 64-bit", ... */
    struct ept ept;
    struct vcpu *vcpus[CONFIG_MAX_VCPUS];
    unsigned vcpu_count;
    struct bus bus;                 /* its device models */
    /* Device time (dm/timer.c): the earliest TSC at which one of its
     * device models has timed work (an interrupt to raise), 0: none. Set
     * under dm_lock by dm_timer_set; read without it by its boot vCPU
     * (guest_timer_vcpu), which arms its preemption timer for it
     * (exit/interrupt.c), and by that vCPU's CPU while the vCPU waits
     * (sched/run.c); any of its vCPUs runs what is due before an entry. */
    volatile uint64_t dm_deadline;
    spinlock_t dm_lock;
    struct guest_log log;
    uint64_t ipis_dropped;          /* IPIs that selected none of its vCPUs */
    /* Guest-physical accesses with nothing behind them (exit/ept.c): the
     * record (vm/guest.c), and the page of all ones that event delivery
     * into such memory is given (0: none needed yet). */
    struct unbacked unbacked;
    spinlock_t unbacked_lock;
    uint64_t scratch_hpa;
    char stop_reason[160];
    int stop_status;
    const struct guest_config *cfg;
    unsigned instance;              /* 1 for the first run, +1 per restart */
    /* Re-creations that were resets the guest asked for (guest_reboot):
     * not counted toward GUEST_RESTART_LIMIT. At most one per instance,
     * so never above `instance`. */
    unsigned reboots;
    /* Life cycle (guest/lifecycle.c) and placement (sched/run.c). */
    volatile unsigned attached;     /* vCPUs attached to a CPU */
    volatile bool start_requested;  /* operator: start or restart once all detached */
    const char *start_why;          /* ... and who asked, for the log */
    volatile bool reloading;        /* one CPU decides to re-create it at a time */
    uint64_t reload_done;           /* bytes of its RAM scrubbed so far */
    const char *reload_why;         /* "restarting", "started by ...", for the log */
};

/* The vCPU that keeps the guest's device time (dm_deadline): its boot
 * vCPU, which Linux never takes offline. */
static inline struct vcpu *guest_timer_vcpu(const struct guest *g)
{
    return g->vcpus[0];
}

/* Stop the guest: prints "guest NAME stopped: REASON (status N)" and
 * kicks the CPUs its vCPUs are on, whose run loops let them go. */
void guest_stop(struct guest *g, int status, const char *fmt, ...) __printf(3, 4);
/* Stop it with status 255 for something re-creating it cannot change (no
 * CPU it may run on is in VMX root operation): as guest_stop, but never
 * restarted by on_stop = restart, which would wait for a CPU for ever. */
void guest_refuse(struct guest *g, const char *fmt, ...) __printf(2, 3);
/* A reset the guest asked for (the reset control register at 0xcf9, which
 * is also its ACPI reset register, or the keyboard controller's reset
 * pulse; `fmt` says which): prints "guest NAME: reboot requested (WHY)"
 * and, per its on_reboot, re-creates it as on_stop = restart does
 * (GUEST_RESTARTING; not counted toward GUEST_RESTART_LIMIT: a reboot is
 * no crash) or stops it with status 0. Kicks its CPUs as guest_stop does;
 * nothing when it is not running. */
void guest_reboot(struct guest *g, const char *fmt, ...) __printf(2, 3);
/* "running", "stopped" or "restarting". */
const char *guest_state_name(const struct guest *g);
/* Exits of all its vCPUs: of one reason (EXIT_REASON_COUNT: any other),
 * the TSC ticks spent handling them, and in all. */
uint64_t guest_exits(const struct guest *g, unsigned reason);
uint64_t guest_exit_cycles(const struct guest *g, unsigned reason);
uint64_t guest_exit_total(const struct guest *g);
/* One line with the guest's exit counts per reason. */
void guest_print_exits(const struct guest *g);
/* Guest-physical memory as a host pointer; NULL outside the guest's RAM. */
void *guest_ptr(struct guest *g, uint64_t gpa, uint64_t len);
/* Its output (the UART, the console hypercall): a line at a time, control
 * bytes (C0 but tab, DEL, C1) shown as '?' (lib/textfilter.c). */
void guest_log_putc(struct guest *g, char c);
void guest_log_flush(struct guest *g);
/* Re-creation (guest/lifecycle.c): drops the old instance's half line,
 * and refills its scratch page (guest_unbacked_reset). */
void guest_log_reset(struct guest *g);
/* An access at gpa, which neither RAM nor a device backs, that exit/ept.c
 * emulated (a read gave all ones, a write was dropped): counted, and
 * logged once per range (include/hv/unbacked.h). */
void guest_unbacked_access(struct guest *g, uint64_t gpa, bool write, unsigned size);
/* The CPU touched unbacked gpa on its own account (`what`: "delivering
 * vector 14", "a page-table walk"): map the guest's scratch page, all
 * ones and writable, at gpa's page so the CPU can retry; logged once per
 * page. NULL, or why it could not (the caller stops the guest). */
const char *guest_unbacked_back(struct guest *g, uint64_t gpa, const char *what);
/* Its scratch page all ones again, so a new instance reads nothing the
 * old one wrote there; the pages stay mapped. No vCPU may be running. */
void guest_unbacked_reset(struct guest *g);

#endif
