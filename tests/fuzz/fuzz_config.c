/* Fuzz the configuration parser: any bytes must parse or be refused with
 * messages, never crash or read out of bounds. */
#include <hv/config.h>
#include <string.h>

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    /* every message names the file */
    if (strncmp(msg, "f.cfg:", 6) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct hv_config cfg;
    config_defaults(&cfg);
    config_parse((const char *)data, size, "f.cfg", &cfg, ignore, NULL);
    return 0;
}
