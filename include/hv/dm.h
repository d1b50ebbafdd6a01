/*
 * Device models (dm/), one file each, each with its own per-guest state
 * behind the guest's bus (include/hv/bus.h), created from the guest's
 * configuration when it is built and reset when it is re-created.
 */
#ifndef HV_DM_H
#define HV_DM_H

#include <hv/compiler.h>

struct guest;
struct guest_config;

/* A device model: `create` adds it to a new guest when the guest's
 * configuration asks for it (true: added, or not wanted). The guest's
 * life cycle (guest/lifecycle.c) creates every model of dm_models in
 * order; a new model is one file in dm/ and one line in dm/models.c. */
struct dm_model {
    const char *name;
    bool (*create)(struct guest *g, const struct guest_config *gc);
};
extern const struct dm_model dm_models[];
extern const unsigned dm_model_count;

/* dm/vuart.c: a 16550 UART at `base` (8 ports); what the guest sends is
 * its output line ("[NAME] ..."), what the operator types (`console
 * NAME`) waits in a receive FIFO for the guest to read. */
bool vuart_attach(struct guest *g, uint16_t base);
/* A byte typed by the operator for this guest; false when its FIFO is
 * full or it has no UART. */
bool vuart_receive(struct guest *g, uint8_t c);

/* dm/debug_exit.c: writing v to the test-exit port stops the guest with
 * status v (configuration: debug_exit = PORT). */
bool debug_exit_attach(struct guest *g, uint16_t port);

/* dm/vpic.c: the 8259 pair (0x20-0x21, 0xa0-0xa1): initialisation words
 * and masks are accepted and read back; it raises no interrupt yet. */
bool vpic_attach(struct guest *g);

/* dm/vpvpanic.c: the pvpanic port the guest's ACPI tables describe
 * ("QEMU0001", ACPI_TABLES_PVPANIC_PORT): a kernel that panics writes
 * there and the guest stops with VPVPANIC_STATUS. */
#define VPVPANIC_STATUS 1
bool vpvpanic_attach(struct guest *g, uint16_t port);

#endif
