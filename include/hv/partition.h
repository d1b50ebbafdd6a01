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
/* Ports no guest may own (ACPI PM blocks from the FADT); before
 * partitions_create. */
void partition_reserve_ports(uint16_t first, unsigned len, const char *what);
/* Once every CPU's VMX state is known: the scheduler, and every guest's
 * boot vCPU on its CPU. */
void partitions_start(uint32_t slice_us);
struct vcpu;
/* Build the VMCS of a vCPU about to run on `pc` for the first time (or
 * after INIT or a restart). */
bool partition_setup_vcpu(struct vcpu *v, struct percpu *pc);
/* The last vCPU of a stopped guest was let go: restart it if asked to. */
void partition_finished(struct guest *g);
/* Operator: start a stopped guest again (0), or -1 if it runs. */
int partition_request_start(struct guest *g, const char *why);
/* Operator: stop a running guest (status 0), or -1 if it is not running. */
int partition_stop(struct guest *g, const char *why);
/* Operator: stop it if it runs, then start it again from its images. */
void partition_restart(struct guest *g, const char *why);
struct guest *partition_guest(unsigned i);
struct guest *partition_find(const char *name);
/* Wait until every created guest has stopped. */
void partitions_wait(void);
unsigned partitions_count(void);

/* Diagnostics: the guest whose state is broken before its first entry
 * (command line break_guest_state=NAME; docs/configuration.md). */
extern char partition_break_state[];

#endif
