/* Guests created from the configuration and placed on physical CPUs. */
#ifndef HV_PARTITION_H
#define HV_PARTITION_H

#include <hv/config.h>
#include <hv/boot_info.h>

struct guest;
struct percpu;

/* Build every valid guest of the configuration (memory, EPT, image,
 * devices) and assign it to its CPU. Refused guests are reported with the
 * configuration line. Returns the number of guests ready to run. */
unsigned partitions_create(const struct hv_config *cfg, const struct boot_info *bi,
                           const char *cfg_name);
/* Run the guest assigned to this CPU, if any, until it stops. */
void partition_run_here(struct percpu *pc);
/* Wait until every created guest has stopped. */
void partitions_wait(void);
unsigned partitions_count(void);

/* Diagnostics: the guest whose state is broken before its first entry
 * (command line break_guest_state=NAME; docs/configuration.md). */
extern char partition_break_state[];

#endif
