/*
 * Guests created from the configuration (guest/lifecycle.c): memory, EPT,
 * image, devices and vCPUs; re-created from their images with memory
 * scrubbed (on_stop = restart, or the operator). Running them is the
 * scheduler's (include/hv/sched.h); the operations the operator and the
 * management guest use are include/hv/mgmt.h.
 */
#ifndef HV_LIFECYCLE_H
#define HV_LIFECYCLE_H

#include <hv/config.h>
#include <hv/boot_info.h>

struct guest;

/* Build every valid guest of the configuration and report each. Refused
 * guests are reported with the configuration line. Returns the number of
 * guests ready to run. */
unsigned guests_create(const struct hv_config *cfg, const struct boot_info *bi,
                       const char *cfg_name);
/* Ports no guest may own (ACPI PM blocks from the FADT); before
 * guests_create. */
void guest_reserve_ports(uint16_t first, unsigned len, const char *what);
unsigned guests_count(void);
struct guest *guest_get(unsigned i);
struct guest *guest_find(const char *name);
/* Every created guest has stopped and let go of every CPU. */
bool guests_all_stopped(void);

/* The last vCPU of a stopped guest was let go (or the operator asked for
 * a start): when a restart or start is due, the guest becomes
 * GUEST_RELOADING and true is returned: the scheduler then starts its
 * boot vCPU, which re-creates it step by step in its own time
 * (guest_reload_step) before it runs the guest again. */
bool guest_finished(struct guest *g);

enum reload_step {
    RELOAD_MORE,        /* time is up: call again in its next slice */
    RELOAD_DONE,        /* scrubbed, reset, reloaded: GUEST_RUNNING */
    RELOAD_FAILED,      /* its image could not be loaded: GUEST_STOPPED */
};
/* One step of re-creating g: scrub its memory until TSC `until` (at least
 * one chunk), then reset its devices and vCPUs and load its images. */
enum reload_step guest_reload_step(struct guest *g, uint64_t until);

#endif
