/* The device models a guest can have, in the order they are created
 * (include/hv/dm.h). Each decides from the guest's configuration whether
 * it is wanted. */
#include <hv/dm.h>
#include <hv/config.h>
#include <hv/acpi_tables.h>

static bool create_uart(struct guest *g, const struct guest_config *gc)
{
    return !gc->has_serial || vuart_attach(g, gc->serial_port);
}

static bool create_debug_exit(struct guest *g, const struct guest_config *gc)
{
    return !gc->has_debug_exit || debug_exit_attach(g, gc->debug_exit_port);
}

static bool create_pic(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vpic_attach(g);      /* every PC has one */
}

static bool create_pvpanic(struct guest *g, const struct guest_config *gc)
{
    (void)gc;
    return vpvpanic_attach(g, ACPI_TABLES_PVPANIC_PORT);   /* what its DSDT says */
}

const struct dm_model dm_models[] = {
    { "16550 UART", create_uart },
    { "test-exit port", create_debug_exit },
    { "8259 PIC", create_pic },
    { "pvpanic", create_pvpanic },
};
const unsigned dm_model_count = sizeof(dm_models) / sizeof(dm_models[0]);
