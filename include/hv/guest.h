/*
 * A guest: its memory and EPT, its devices, its vCPU, its life cycle.
 * Every guest stops alone: `guest_stop` records why and the hypervisor
 * carries on.
 */
#ifndef HV_GUEST_H
#define HV_GUEST_H

#include <hv/compiler.h>
#include <arch/ept.h>
#include <arch/vcpu.h>
#include <hv/spinlock.h>
#include <hv/config.h>

#define GUEST_NAME_MAX  32
#define GUEST_MAX_IO    8
#define EXIT_REASON_MAX 70
_Static_assert(EXIT_REASON_MAX + 1 == VCPU_EXIT_SLOTS, "one counter slot per exit reason");

enum guest_state {
    GUEST_CREATED = 0,
    GUEST_RUNNING,
    GUEST_STOPPED,
    GUEST_RESTARTING,               /* stopped, and on_stop = restart brings it back */
};

/* A guest that keeps stopping is given up after this many restarts. */
#define GUEST_RESTART_LIMIT 8

struct guest;
struct guest_config;

/* A device behind an I/O port range (include/hv/vdev.h has the models). */
struct io_device {
    uint16_t base, count;
    /* size 1, 2 or 4; port is absolute */
    uint32_t (*read)(struct guest *g, void *dev, uint16_t port, unsigned size);
    void (*write)(struct guest *g, void *dev, uint16_t port, unsigned size, uint32_t val);
    void *dev;
};

#define VUART_RX_SIZE 64

struct vuart {
    char line[160];
    unsigned len;
    uint8_t lcr, ier, mcr, scr, dll, dlm;
    uint8_t rx[VUART_RX_SIZE];      /* typed by the operator, not read yet */
    unsigned rx_head, rx_count;
    spinlock_t lock;
};

struct guest {
    char name[GUEST_NAME_MAX];
    int index;
    volatile uint32_t state;        /* enum guest_state */
    spinlock_t lock;                /* devices, counters: vCPUs on several CPUs */
    uint64_t ram_size;
    uint64_t ram_hpa;               /* one contiguous host block */
    uint64_t entry;                 /* multiboot: 32-bit entry point */
    bool entry_real;                /* raw image: start in real mode at CS:IP */
    uint16_t entry_cs, entry_ip;
    struct ept ept;
    struct vcpu *vcpus[CONFIG_MAX_VCPUS];
    unsigned vcpu_count;
    volatile unsigned attached;     /* vCPUs attached to a CPU */
    volatile bool start_requested;  /* operator: start or restart once all detached */
    const char *start_why;          /* ... and who asked, for the log */
    volatile bool reloading;        /* one CPU re-creates it at a time */
    struct io_device io[GUEST_MAX_IO];
    unsigned io_count;
    struct vuart uart;
    uint64_t ipis_dropped;          /* IPIs that selected none of its vCPUs */
    char stop_reason[160];
    int stop_status;
    /* what re-creating it needs (on_stop = restart) */
    const struct guest_config *cfg;
    unsigned instance;              /* 1 for the first run, +1 per restart */
    uint64_t alloc_size;            /* the host block, a multiple of 2 MiB */
};

/* Stop the guest: prints "guest NAME stopped: REASON (status N)". */
void guest_stop(struct guest *g, int status, const char *fmt, ...) __printf(3, 4);
/* "running", "stopped" or "restarting". */
const char *guest_state_name(const struct guest *g);
/* Exits of all its vCPUs: of one reason (EXIT_REASON_MAX: any other),
 * the TSC ticks spent handling them, and in all. */
uint64_t guest_exits(const struct guest *g, unsigned reason);
uint64_t guest_exit_cycles(const struct guest *g, unsigned reason);
uint64_t guest_exit_total(const struct guest *g);
/* One line with the guest's exit counts per reason. */
void guest_print_exits(const struct guest *g);
/* Guest-physical memory as a host pointer; NULL outside the guest's RAM. */
void *guest_ptr(struct guest *g, uint64_t gpa, uint64_t len);
/* Register an I/O device; false when the range overlaps one already there. */
bool guest_add_io(struct guest *g, const struct io_device *d);
const struct io_device *guest_find_io(const struct guest *g, uint16_t port);

#endif
