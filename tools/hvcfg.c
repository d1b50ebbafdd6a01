/*
 * hvcfg: the configuration parser of the hypervisor (config/), on the
 * build host. scripts/hvrun asks it which files a configuration names, so
 * the image it builds holds exactly what the core and hvboot will look
 * up: one grammar, one parser (docs/configuration.md).
 *
 *   hvcfg files CONFIG    the kernel, module and initrd paths of every
 *                         valid guest, one per line, each once
 *   hvcfg check CONFIG    the parser's messages; exit 1 if there are any
 */
#include <hv/config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void message(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s\n", msg);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void print_once(char seen[][CONFIG_PATH_LEN], unsigned *nseen, const char *path)
{
    for (unsigned i = 0; i < *nseen; i++)
        if (strcmp(seen[i], path) == 0)
            return;
    strcpy(seen[(*nseen)++], path);
    printf("%s\n", path);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "files") && strcmp(argv[1], "check"))) {
        fprintf(stderr, "usage: hvcfg files|check CONFIG\n");
        return 2;
    }
    size_t len;
    char *text = slurp(argv[2], &len);
    if (!text) {
        fprintf(stderr, "hvcfg: %s: cannot read\n", argv[2]);
        return 2;
    }
    static struct hv_config cfg;
    config_defaults(&cfg);
    bool check = strcmp(argv[1], "check") == 0;
    int errors = config_parse(text, len, argv[2], &cfg, check ? message : NULL, NULL);
    free(text);
    if (check)
        return errors ? 1 : 0;
    static char seen[CONFIG_MAX_GUESTS * (CONFIG_MAX_MODULES + 2)][CONFIG_PATH_LEN];
    unsigned nseen = 0;
    for (unsigned i = 0; i < cfg.guest_count; i++) {
        const struct guest_config *g = &cfg.guests[i];
        if (!g->valid)
            continue;
        print_once(seen, &nseen, g->kernel);
        for (unsigned m = 0; m < g->module_count; m++)
            print_once(seen, &nseen, g->modules[m].path);
        if (g->initrd[0])
            print_once(seen, &nseen, g->initrd);
    }
    return 0;
}
