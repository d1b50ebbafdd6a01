/* Configuration parser: valid files, and every malformed form named with
 * its file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include <hv/config.h>

/* struct hv_config is large (guest paths and command lines): keep one. */
static struct hv_config cfgs;

struct errs {
    int n;
    char msg[24][256];
};

static void collect(void *ctx, const char *msg)
{
    struct errs *e = ctx;
    if (e->n < 24)
        snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
    e->n++;
}

static int parse(const char *text, struct hv_config *cfg, struct errs *e)
{
    memset(e, 0, sizeof(*e));
    config_defaults(cfg);
    return config_parse(text, strlen(text), "hv.cfg", cfg, collect, e);
}

static void test_defaults_and_empty(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("", &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_POWEROFF);
    assert_false(cfg.test_exits);
    assert_int_equal(cfg.slice_us, CONFIG_SLICE_DEFAULT_US);
    assert_int_equal(cfg.slice_us, 10000);
    assert_int_equal(parse("# only a comment\n\n   \n", &cfg, &e), 0);
}

static void test_valid(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    const char *text =
        "; example\n"
        "[hypervisor]\n"
        "on_idle = halt          # stop quietly\n"
        "test_exits=yes\r\n";
    assert_int_equal(parse(text, &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_HALT);
    assert_true(cfg.test_exits);

    assert_int_equal(parse("[ hypervisor ]\non_idle = reboot\ntest_exits = off", &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_REBOOT);
    assert_false(cfg.test_exits);
}

static void test_errors_name_line(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    const char *text =
        "[hypervisor]\n"
        "on_idle = sleep\n"
        "colour = blue\n"
        "test_exits = maybe\n"
        "just words\n"
        "= 3\n"
        "on_idle =\n";
    assert_int_equal(parse(text, &cfg, &e), 6);
    assert_string_equal(e.msg[0], "hv.cfg:2: on_idle: 'sleep' is not poweroff, halt or reboot");
    assert_string_equal(e.msg[1], "hv.cfg:3: unknown key 'colour' in [hypervisor]");
    assert_string_equal(e.msg[2], "hv.cfg:4: test_exits: 'maybe' is not yes or no");
    assert_string_equal(e.msg[3], "hv.cfg:5: expected 'key = value' or '[section]'");
    assert_string_equal(e.msg[4], "hv.cfg:6: missing key before '='");
    assert_string_equal(e.msg[5], "hv.cfg:7: on_idle: missing value");
    /* the bad values left the defaults in place */
    assert_int_equal(cfg.on_idle, ON_IDLE_POWEROFF);
    assert_false(cfg.test_exits);
}

static void test_sections(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("on_idle = halt\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: 'on_idle' outside any section");

    /* keys of an unknown section are not reported again */
    assert_int_equal(parse("[network]\nip = 1\nmask = 2\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: unknown section [network]");

    assert_int_equal(parse("[hypervisor\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: malformed section header (expected [name])");
}

static void test_hostile_bytes(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    char text[2048];

    /* an embedded NUL inside the given length, a line too long */
    const char nul[] = "[hypervisor]\non_\0idle = halt\n";
    memset(&e, 0, sizeof(e));
    config_defaults(&cfg);
    assert_int_equal(config_parse(nul, sizeof(nul) - 1, "x.cfg", &cfg, collect, &e), 1);
    assert_string_equal(e.msg[0], "x.cfg:2: control character in line");

    memset(text, 'a', sizeof(text));
    text[sizeof(text) - 1] = 0;
    assert_int_equal(parse(text, &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: line longer than 512 characters");

    /* no trailing newline, no callback: still counted */
    config_defaults(&cfg);
    assert_int_equal(config_parse("[x", 2, "y.cfg", &cfg, NULL, NULL), 1);
}

/* ---- [guest NAME] sections --------------------------------------------- */

static void test_guests_valid(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[hypervisor]\n"
        "on_idle = halt\n"
        "\n"
        "[guest demo]\n"                                    /* 4 */
        "kernel = guests/demo.elf   # relative to this file\n"
        "format = multiboot\n"
        "module = guests/env.txt\n"
        "module = guests/initrd.img  root=/dev/ram0  quiet \n"
        "cmdline = verbose console=ttyS0\n"
        "memory = 128M\n"
        "cpus = 1\n"
        "serial = 0x2f8\n"
        "debug_exit = 0xf4\n"
        "\n"
        "[guest boot-sector_2]\n"                           /* 15 */
        "kernel = guests/boot.bin\n"
        "format = raw\n"
        "load_address = 0x7c00\n"
        "entry = 0x0000:0x7c00\n"
        "memory = 0x100000\n"
        "cpus = 2, 3\n"
        "serial = none\n";
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(cfg->on_idle, ON_IDLE_HALT);
    assert_int_equal(cfg->guest_count, 2);

    const struct guest_config *g = &cfg->guests[0];
    assert_string_equal(g->name, "demo");
    assert_int_equal(g->line, 4);
    assert_int_equal(g->kernel_line, 5);
    assert_true(g->valid);
    assert_string_equal(g->kernel, "guests/demo.elf");
    assert_int_equal(g->format, GUEST_FORMAT_MULTIBOOT);
    assert_false(g->has_load_address);
    assert_false(g->has_entry);
    assert_int_equal(g->module_count, 2);
    assert_string_equal(g->modules[0].path, "guests/env.txt");
    assert_string_equal(g->modules[0].string, "");
    assert_string_equal(g->modules[1].path, "guests/initrd.img");
    assert_string_equal(g->modules[1].string, "root=/dev/ram0  quiet");
    assert_string_equal(g->cmdline, "verbose console=ttyS0");
    assert_int_equal(g->memory, 128ull << 20);
    assert_int_equal(g->cpus_mode, CPUS_PINNED);
    assert_int_equal(g->cpu_count, 1);
    assert_int_equal(g->cpus[0], 1);
    assert_int_equal(g->cpus_line, 11);
    assert_int_equal(g->vcpus, 1);
    assert_true(g->has_serial);
    assert_int_equal(g->serial_port, 0x2f8);
    assert_true(g->has_debug_exit);
    assert_int_equal(g->debug_exit_port, 0xf4);

    g = &cfg->guests[1];
    assert_string_equal(g->name, "boot-sector_2");
    assert_int_equal(g->line, 15);
    assert_true(g->valid);
    assert_string_equal(g->kernel, "guests/boot.bin");
    assert_int_equal(g->format, GUEST_FORMAT_RAW);
    assert_true(g->has_load_address);
    assert_int_equal(g->load_address, 0x7c00);
    assert_true(g->has_entry);
    assert_int_equal(g->entry_cs, 0);
    assert_int_equal(g->entry_ip, 0x7c00);
    assert_int_equal(g->module_count, 0);
    assert_string_equal(g->cmdline, "");
    assert_int_equal(g->memory, 1ull << 20);
    assert_int_equal(g->cpus_mode, CPUS_PINNED);
    assert_int_equal(g->cpu_count, 2);
    assert_int_equal(g->cpus[0], 2);
    assert_int_equal(g->cpus[1], 3);
    assert_int_equal(g->cpus_line, 21);
    assert_int_equal(g->vcpus, 2);         /* one per pinned CPU */
    assert_false(g->has_serial);
    assert_false(g->has_debug_exit);
}

static void test_guest_defaults(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    assert_int_equal(parse("[guest a]\nkernel = a.elf\n", cfg, &e), 0);
    assert_int_equal(cfg->guest_count, 1);
    const struct guest_config *g = &cfg->guests[0];
    assert_true(g->valid);
    assert_int_equal(g->format, GUEST_FORMAT_AUTO);
    assert_int_equal(g->memory, CONFIG_MEMORY_DEFAULT);
    /* cpus not given: shared, on any CPU no guest has pinned */
    assert_int_equal(g->cpus_mode, CPUS_SHARED);
    assert_int_equal(g->cpu_count, 0);
    assert_int_equal(g->cpus_line, 0);
    assert_int_equal(g->vcpus, 1);
    assert_int_equal(g->weight, CONFIG_WEIGHT_DEFAULT);
    assert_int_equal(g->weight, 256);
    assert_int_equal(g->passthrough_count, 0);
    assert_false(g->management);
    assert_false(g->strict_memory);
    assert_true(g->has_serial);
    assert_int_equal(g->serial_port, 0x3f8);
    assert_false(g->has_debug_exit);
    assert_string_equal(config_format_name(GUEST_FORMAT_RAW), "raw");

    /* a linear entry becomes CS:IP */
    assert_int_equal(parse("[guest a]\nkernel = a\nformat = raw\nload_address = 0x7c00\n"
                           "entry = 0x7c00\n", cfg, &e), 0);
    assert_int_equal(cfg->guests[0].entry_cs, 0x7c0);
    assert_int_equal(cfg->guests[0].entry_ip, 0);

    /* a second parse replaces the guest list */
    assert_int_equal(parse("[hypervisor]\n", cfg, &e), 0);
    assert_int_equal(cfg->guest_count, 0);
}

static void test_guest_crlf(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest win]\r\n"
        "kernel = k.elf\r\n"
        "module = m.bin some words\r\n"
        "cmdline = a b\r\n"
        "memory = 2G\r\n"
        "cpus = 0\r\n"
        "serial = 0x3f8\r\n"
        "\r\n";
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(cfg->guest_count, 1);
    assert_string_equal(cfg->guests[0].kernel, "k.elf");
    assert_string_equal(cfg->guests[0].modules[0].path, "m.bin");
    assert_string_equal(cfg->guests[0].modules[0].string, "some words");
    assert_string_equal(cfg->guests[0].cmdline, "a b");
    assert_int_equal(cfg->guests[0].memory, 2ull << 30);
    assert_int_equal(parse("[guest win]\r\nkernel = k\r\nmemory = 12Q\r\n", cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:3: memory: '12Q' is not a size (use K, M or G)");
}

static void test_guest_names(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    char text[256];
    const char *text1 =
        "[guest]\nkernel = k\n"                     /* 1 */
        "[guest a b]\nkernel = k\n"                 /* 3 */
        "[guest a.b]\nkernel = k\n"                 /* 5 */
        "[guest good]\nkernel = k\n"                /* 7 */
        "[ guest   good ]\nkernel = k\n"            /* 9 */
        "[guestx]\nkernel = k\n";                   /* 11 */
    assert_int_equal(parse(text1, cfg, &e), 5);
    assert_string_equal(e.msg[0], "hv.cfg:1: [guest]: missing guest name (expected [guest NAME])");
    assert_string_equal(e.msg[1], "hv.cfg:3: [guest a b]: guest name must be one word");
    assert_string_equal(e.msg[2], "hv.cfg:5: [guest a.b]: guest name may only use A-Z a-z 0-9 _ -");
    assert_string_equal(e.msg[3], "hv.cfg:9: [guest   good]: guest 'good' is already defined at line 7");
    assert_string_equal(e.msg[4], "hv.cfg:11: unknown section [guestx]");
    assert_int_equal(cfg->guest_count, 5);
    assert_false(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_false(cfg->guests[2].valid);
    assert_true(cfg->guests[3].valid);
    assert_false(cfg->guests[4].valid);

    /* 31 characters are fine, 32 are not */
    snprintf(text, sizeof(text), "[guest %s]\nkernel = k\n[guest %s]\nkernel = k\n",
             "abcdefghijklmnopqrstuvwxyz01234", "abcdefghijklmnopqrstuvwxyz012345");
    assert_int_equal(parse(text, cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:3: [guest abcdefghijklmnopqrstuvwxyz012345]: "
                        "guest name is longer than 31 characters");
    assert_true(cfg->guests[0].valid);
    assert_string_equal(cfg->guests[0].name, "abcdefghijklmnopqrstuvwxyz01234");
    assert_false(cfg->guests[1].valid);
    assert_int_equal(strlen(cfg->guests[1].name), 31);
}

static void test_guest_keys(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\n"
        "kernel = k\n"
        "colour = blue\n"
        "kernel = other\n"
        "format = elf\n"
        "on_idle = halt\n"
        "cpus =\n"
        "[guest b]\n"                               /* 8: missing kernel */
        "memory = 16M\n"
        "[hypervisor]\n"
        "test_exits = yes\n";
    assert_int_equal(parse(text, cfg, &e), 6);
    assert_string_equal(e.msg[0], "hv.cfg:3: unknown key 'colour' in [guest a]");
    assert_string_equal(e.msg[1], "hv.cfg:4: kernel: already set at line 2");
    assert_string_equal(e.msg[2], "hv.cfg:5: format: 'elf' is not auto, multiboot or raw");
    assert_string_equal(e.msg[3], "hv.cfg:6: unknown key 'on_idle' in [guest a]");
    assert_string_equal(e.msg[4], "hv.cfg:7: cpus: missing value");
    /* reported when the section ends, at its header */
    assert_string_equal(e.msg[5], "hv.cfg:8: [guest b]: missing kernel");
    assert_string_equal(cfg->guests[0].kernel, "k");
    assert_true(cfg->test_exits);

    /* at the end of the file too */
    assert_int_equal(parse("[guest last]\ncmdline = x\n", cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: [guest last]: missing kernel");
    assert_false(cfg->guests[0].valid);
}

static void test_guest_one_invalid(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest bad]\n"
        "kernel = bad.elf\n"
        "memory = lots\n"
        "garbage line\n"
        "[guest good]\n"
        "kernel = good.elf\n"
        "memory = 32M\n"
        "[hypervisor]\n"
        "on_idle = nap\n";
    assert_int_equal(parse(text, cfg, &e), 3);
    assert_string_equal(e.msg[0], "hv.cfg:3: memory: 'lots' is not a size (use K, M or G)");
    assert_string_equal(e.msg[1], "hv.cfg:4: expected 'key = value' or '[section]'");
    assert_string_equal(e.msg[2], "hv.cfg:9: on_idle: 'nap' is not poweroff, halt or reboot");
    assert_int_equal(cfg->guest_count, 2);
    assert_false(cfg->guests[0].valid);
    assert_int_equal(cfg->guests[0].memory, CONFIG_MEMORY_DEFAULT);
    assert_true(cfg->guests[1].valid);
    assert_int_equal(cfg->guests[1].memory, 32ull << 20);
    assert_int_equal(cfg->on_idle, ON_IDLE_POWEROFF);
}

/* What hvboot (boot/uefi/files.c) reads: with no message callback, the
 * paths of the valid guests' kernels and modules, exactly as the core
 * will look them up; only [guest NAME] sections name files, and '#' is a
 * comment only at the start of a line or after white space. */
static void test_files_for_loader(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    const char *text =
        "kernel = outside.elf\n"
        "[hypervisor]\n"
        "kernel = hypervisor.elf\n"
        "[guest a]\n"
        "module = env#1.txt root=/dev/ram0 # the string ends here\n"
        "kernel = dir/a.elf\t# comment\r\n"
        "module = initrd.img\n"
        "[guest b]\n"
        "kernel = b.elf\n"
        "memory = lots\n"
        "[unknown]\n"
        "kernel = unknown.elf\n";
    config_defaults(cfg);
    /* outside any section, unknown key in [hypervisor], memory, [unknown] */
    assert_int_equal(config_parse(text, strlen(text), "hv.cfg", cfg, NULL, NULL), 4);
    assert_int_equal(cfg->guest_count, 2);
    assert_true(cfg->guests[0].valid);
    assert_string_equal(cfg->guests[0].kernel, "dir/a.elf");
    assert_int_equal(cfg->guests[0].module_count, 2);
    assert_string_equal(cfg->guests[0].modules[0].path, "env#1.txt");
    assert_string_equal(cfg->guests[0].modules[0].string, "root=/dev/ram0");
    assert_string_equal(cfg->guests[0].modules[1].path, "initrd.img");
    assert_string_equal(cfg->guests[0].modules[1].string, "");
    assert_false(cfg->guests[1].valid);
    assert_string_equal(cfg->guests[1].kernel, "b.elf");
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t v;
#define SIZE_OK(s, want)                                                        \
    do {                                                                        \
        v = 0;                                                                  \
        assert_int_equal(config_parse_size(s, strlen(s), &v), CONFIG_NUM_OK);   \
        assert_int_equal(v, (want));                                            \
    } while (0)
    SIZE_OK("4096", 4096);
    SIZE_OK("64K", 64ull << 10);
    SIZE_OK("128M", 128ull << 20);
    SIZE_OK("2G", 2ull << 30);
    SIZE_OK("2g", 2ull << 30);
    SIZE_OK("0x100000", 1ull << 20);
    SIZE_OK("18446744073709551615", UINT64_MAX);
#undef SIZE_OK
    assert_int_equal(config_parse_size("1.5G", 4, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("-1", 2, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("12Q", 3, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("G", 1, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("0x", 2, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("", 0, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("12 M", 4, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_size("99999999999999999999", 20, &v), CONFIG_NUM_OVERFLOW);
    assert_int_equal(config_parse_size("18446744073709551616", 20, &v), CONFIG_NUM_OVERFLOW);
    assert_int_equal(config_parse_size("17179869184G", 12, &v), CONFIG_NUM_OVERFLOW);
    assert_int_equal(config_parse_number("0xffffffffffffffff", 18, &v), CONFIG_NUM_OK);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(config_parse_number("0x10000000000000000", 19, &v), CONFIG_NUM_OVERFLOW);
    assert_int_equal(config_parse_number("12a", 3, &v), CONFIG_NUM_SYNTAX);
    assert_int_equal(config_parse_number("0x1g", 4, &v), CONFIG_NUM_SYNTAX);

    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "memory = 12Q\n"                    /* 3 */
        "[guest b]\nkernel = k\n"
        "memory = 1.5G\n"                   /* 6 */
        "[guest c]\nkernel = k\n"
        "memory = -1\n"                     /* 9 */
        "[guest d]\nkernel = k\n"
        "memory = 99999999999999999999\n"   /* 12 */
        "[guest e]\nkernel = k\n"
        "memory = 4096\n"                   /* 15 */
        "[guest f]\nkernel = k\n"
        "memory = 65G\n"                    /* 18 */
        "[guest g]\nkernel = k\n"
        "memory = 1048577\n"                /* 21 */
        "[guest h]\nkernel = k\n"
        "memory = 64G\n"                    /* 24: the maximum */
        "[guest i]\nkernel = k\n"
        "memory = 1M\n";                    /* 27: the minimum */
    assert_int_equal(parse(text, cfg, &e), 7);
    assert_string_equal(e.msg[0], "hv.cfg:3: memory: '12Q' is not a size (use K, M or G)");
    assert_string_equal(e.msg[1], "hv.cfg:6: memory: '1.5G' is not a size (use K, M or G)");
    assert_string_equal(e.msg[2], "hv.cfg:9: memory: '-1' is not a size (use K, M or G)");
    assert_string_equal(e.msg[3], "hv.cfg:12: memory: '99999999999999999999' is above the maximum 64G");
    assert_string_equal(e.msg[4], "hv.cfg:15: memory: '4096' is below the minimum 1M");
    assert_string_equal(e.msg[5], "hv.cfg:18: memory: '65G' is above the maximum 64G");
    assert_string_equal(e.msg[6], "hv.cfg:21: memory: '1048577' is not a multiple of 4K");
    assert_int_equal(cfg->guest_count, 9);
    assert_true(cfg->guests[7].valid);
    assert_int_equal(cfg->guests[7].memory, 64ull << 30);
    assert_true(cfg->guests[8].valid);
    assert_int_equal(cfg->guests[8].memory, 1ull << 20);
}

static void test_guest_numbers(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\n"
        "kernel = k\n"
        "format = raw\n"
        "load_address = 0x7c0g\n"                   /* 4 */
        "entry = 0x10000:0\n"                       /* 5 */
        "[guest b]\n"
        "kernel = k\n"
        "format = raw\n"
        "load_address = 0x10000000000000000\n"      /* 9 */
        "entry = 0x100000\n"                        /* 10 */
        "[guest c]\n"
        "kernel = k\n"
        "format = raw\n"
        "load_address = 1000\n"
        "entry = cs:ip\n";                          /* 15 */
    assert_int_equal(parse(text, cfg, &e), 5);
    assert_string_equal(e.msg[0], "hv.cfg:4: load_address: '0x7c0g' is not a number");
    assert_string_equal(e.msg[1], "hv.cfg:5: entry: '0x10000:0': CS and IP are at most 0xffff");
    assert_string_equal(e.msg[2], "hv.cfg:9: load_address: '0x10000000000000000' does not fit in 64 bits");
    assert_string_equal(e.msg[3], "hv.cfg:10: entry: '0x100000' is above 0xfffff, out of real-mode reach");
    assert_string_equal(e.msg[4], "hv.cfg:15: entry: 'cs:ip' is not CS:IP or an address");
    assert_false(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_false(cfg->guests[2].valid);
    assert_int_equal(cfg->guests[2].load_address, 1000);
}

static void test_guest_raw(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\n"                               /* 1 */
        "kernel = k\n"
        "format = raw\n"
        "[guest b]\n"                               /* 4 */
        "kernel = k\n"
        "load_address = 0x1000\n"                   /* 6 */
        "entry = 0:0x1000\n"                        /* 7 */
        "[guest c]\n"
        "kernel = k\n"
        "format = raw\n"
        "load_address = 0x200000\n"                 /* 11 */
        "entry = 0xffff:0xffff\n"                   /* 12 */
        "memory = 1M\n"                             /* 13 */
        "[guest d]\n"
        "kernel = k\n"
        "format = raw\n"
        "memory = 2M\n"
        "load_address = 0x200000\n"                 /* 18 */
        "entry = 0x1000\n";
    assert_int_equal(parse(text, cfg, &e), 7);
    assert_string_equal(e.msg[0], "hv.cfg:1: [guest a]: format = raw needs load_address");
    assert_string_equal(e.msg[1], "hv.cfg:1: [guest a]: format = raw needs entry");
    assert_string_equal(e.msg[2], "hv.cfg:6: load_address: only used with format = raw (format is auto)");
    assert_string_equal(e.msg[3], "hv.cfg:7: entry: only used with format = raw (format is auto)");
    assert_string_equal(e.msg[4], "hv.cfg:13: load_address: 0x200000 is not below the guest's memory (1M)");
    assert_string_equal(e.msg[5], "hv.cfg:13: entry: 0x10ffef is not below the guest's memory (1M)");
    assert_string_equal(e.msg[6], "hv.cfg:18: load_address: 0x200000 is not below the guest's memory (2M)");
    for (int i = 0; i < 4; i++)
        assert_false(cfg->guests[i].valid);
}

static void test_guest_ports(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\n"
        "kernel = k\n"
        "serial = 0x10000\n"                        /* 3 */
        "debug_exit = 65536\n"                      /* 4 */
        "[guest b]\n"
        "kernel = k\n"
        "serial = 0xfffc\n"                         /* 7 */
        "debug_exit = com1\n"                       /* 8 */
        "[guest c]\n"
        "kernel = k\n"
        "debug_exit = 0x3fa\n"                      /* 11: default serial 0x3f8 */
        "[guest d]\n"
        "kernel = k\n"
        "serial = 0x2f8\n"                          /* 14 */
        "debug_exit = 0x2ff\n"                      /* 15 */
        "[guest e]\n"
        "kernel = k\n"
        "debug_exit = 0x500\n"                      /* 18 */
        "serial = 0x4f9\n"                          /* 19 */
        /* each guest has its own I/O space: the same ports in two guests are fine */
        "[guest f]\nkernel = k\nserial = 0x3f8\ndebug_exit = 0xf4\n"
        "[guest g]\nkernel = k\nserial = 0x3f8\ndebug_exit = 0xf4\n"
        "[guest h]\nkernel = k\nserial = 0xfff8\ndebug_exit = 0xfff7\n"
        "[guest i]\nkernel = k\nserial = none\ndebug_exit = 0x3f8\n";
    assert_int_equal(parse(text, cfg, &e), 7);
    assert_string_equal(e.msg[0], "hv.cfg:3: serial: '0x10000' is above the last I/O port 0xffff");
    assert_string_equal(e.msg[1], "hv.cfg:4: debug_exit: '65536' is above the last I/O port 0xffff");
    assert_string_equal(e.msg[2], "hv.cfg:7: serial: ports 0xfffc-0x10003 run past the last I/O port 0xffff");
    assert_string_equal(e.msg[3], "hv.cfg:8: debug_exit: 'com1' is not an I/O port or none");
    assert_string_equal(e.msg[4], "hv.cfg:11: debug_exit: port 0x3fa overlaps serial 0x3f8-0x3ff (the default)");
    assert_string_equal(e.msg[5], "hv.cfg:15: debug_exit: port 0x2ff overlaps serial 0x2f8-0x2ff (line 14)");
    assert_string_equal(e.msg[6], "hv.cfg:19: serial: ports 0x4f9-0x500 overlap debug_exit 0x500 (line 18)");
    assert_int_equal(cfg->guest_count, 9);
    for (int i = 0; i < 5; i++)
        assert_false(cfg->guests[i].valid);
    for (int i = 5; i < 9; i++)
        assert_true(cfg->guests[i].valid);
    assert_int_equal(cfg->guests[7].serial_port, 0xfff8);
    assert_int_equal(cfg->guests[7].debug_exit_port, 0xfff7);
}

static void test_guest_cpus(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\n"
        "kernel = k\n"
        "cpus = 1\n"                                /* 3 */
        "[guest b]\n"
        "kernel = k\n"
        "cpus = 2,1\n"                              /* 6 */
        "[guest c]\n"
        "kernel = k\n"
        "cpus = 4,4\n"                              /* 9 */
        "[guest d]\n"
        "kernel = k\n"
        "cpus = 256\n"                              /* 12 */
        "[guest e]\n"
        "kernel = k\n"
        "cpus = 5,,6\n"                             /* 15 */
        "[guest f]\n"
        "kernel = k\n"
        "cpus = 2 , 0x3,255\n"                      /* 18: CPU 2 is still free */
        "[guest g]\n"
        "kernel = k\n"
        "cpus = 3\n"                                /* 21 */
        "[guest h]\n"
        "kernel = k\n"
        "cpus = 20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36\n";    /* 24 */
    assert_int_equal(parse(text, cfg, &e), 6);
    assert_string_equal(e.msg[0], "hv.cfg:6: cpus: CPU 1 is already given to guest 'a' (line 3)");
    assert_string_equal(e.msg[1], "hv.cfg:9: cpus: CPU 4 is listed twice");
    assert_string_equal(e.msg[2], "hv.cfg:12: cpus: CPU '256' is above the highest index 255");
    assert_string_equal(e.msg[3], "hv.cfg:15: cpus: '5,,6' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[4], "hv.cfg:21: cpus: CPU 3 is already given to guest 'f' (line 18)");
    assert_string_equal(e.msg[5], "hv.cfg:24: cpus: more than 16 CPUs");
    assert_true(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_int_equal(cfg->guests[1].cpu_count, 0);
    assert_true(cfg->guests[5].valid);
    assert_int_equal(cfg->guests[5].cpu_count, 3);
    assert_int_equal(cfg->guests[5].cpus[0], 2);
    assert_int_equal(cfg->guests[5].cpus[1], 3);
    assert_int_equal(cfg->guests[5].cpus[2], 255);
}

static void test_guest_limits(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    char text[4096];
    size_t n = 0;

    /* modules: eight are fine, the ninth is refused */
    n += (size_t)snprintf(text + n, sizeof(text) - n, "[guest m]\nkernel = k\n");
    for (int i = 0; i < 9; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "module = mod%d.bin arg%d\n", i, i);
    assert_int_equal(parse(text, cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:11: module: more than 8 modules");
    assert_int_equal(cfg->guests[0].module_count, 8);
    assert_string_equal(cfg->guests[0].modules[7].path, "mod7.bin");
    assert_string_equal(cfg->guests[0].modules[7].string, "arg7");
    assert_false(cfg->guests[0].valid);

    /* guests: sixteen are fine, the seventeenth is ignored */
    n = 0;
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "[guest g%d]\nkernel = k\n", i);
    n += (size_t)snprintf(text + n, sizeof(text) - n, "[hypervisor]\non_idle = reboot\n");
    assert_int_equal(parse(text, cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:33: [guest g16]: more than 16 guests; section ignored");
    assert_int_equal(cfg->guest_count, 16);
    for (int i = 0; i < 16; i++)
        assert_true(cfg->guests[i].valid);
    assert_int_equal(cfg->on_idle, ON_IDLE_REBOOT);

    /* strings longer than their fields */
    char path[200];
    memset(path, 'p', sizeof(path));
    path[128] = 0;
    snprintf(text, sizeof(text), "[guest s]\nkernel = %s\nmodule = %s\nmodule = m %s\n"
             "cmdline = %s%s\n", path, path, path, path, path);
    assert_int_equal(parse(text, cfg, &e), 4);
    assert_string_equal(e.msg[0], "hv.cfg:2: kernel: path longer than 127 characters");
    assert_string_equal(e.msg[1], "hv.cfg:3: module: path longer than 127 characters");
    assert_string_equal(e.msg[2], "hv.cfg:4: module: string longer than 127 characters");
    assert_string_equal(e.msg[3], "hv.cfg:5: cmdline: value longer than 255 characters");
    /* the kernel line was there, only too long: not also "missing kernel" */
    assert_false(cfg->guests[0].valid);
    assert_int_equal(cfg->guests[0].module_count, 0);
}
static void test_on_stop(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("[guest a]\nkernel = k\non_stop = restart\n"
                           "[guest b]\nkernel = k\n"
                           "[guest c]\nkernel = k\non_stop = reboot\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:8: on_stop: 'reboot' is not stop or restart");
    assert_int_equal(cfg.guests[0].on_stop, ON_STOP_RESTART);
    assert_int_equal(cfg.guests[1].on_stop, ON_STOP_STOP);     /* the default */
    assert_true(cfg.guests[0].valid);
    assert_false(cfg.guests[2].valid);
}

static void test_on_reboot_initrd(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("[guest a]\nkernel = bzImage\ninitrd = initramfs.gz\non_reboot = stop\n"
                           "[guest b]\nkernel = k\n"
                           "[guest c]\nkernel = k\non_reboot = halt\n"
                           "[guest d]\nkernel = k\nformat = multiboot\ninitrd = i\n"
                           "[guest e]\nkernel = k\ninitrd = i\ninitrd = j\n", &cfg, &e), 3);
    assert_string_equal(e.msg[0], "hv.cfg:9: on_reboot: 'halt' is not restart or stop");
    assert_string_equal(e.msg[1], "hv.cfg:13: initrd: only used with a Linux kernel "
                                  "(format = auto; format is multiboot)");
    assert_string_equal(e.msg[2], "hv.cfg:17: initrd: already set at line 16");
    assert_int_equal(cfg.guests[0].on_reboot, ON_REBOOT_STOP);
    assert_string_equal(cfg.guests[0].initrd, "initramfs.gz");
    assert_int_equal(cfg.guests[0].initrd_line, 3);
    assert_int_equal(cfg.guests[1].on_reboot, ON_REBOOT_RESTART);  /* the default */
    assert_string_equal(cfg.guests[1].initrd, "");
    assert_true(cfg.guests[0].valid);
    assert_true(cfg.guests[1].valid);
    assert_false(cfg.guests[2].valid);
    assert_false(cfg.guests[3].valid);
    assert_false(cfg.guests[4].valid);
}

static void test_strict_memory(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("[guest a]\nkernel = k\nstrict_memory = yes\n"      /* 1-3 */
                           "[guest b]\nkernel = k\nstrict_memory = off\n"      /* 4-6 */
                           "[guest c]\nkernel = k\n"                            /* 7-8 */
                           "[guest d]\nkernel = k\nstrict_memory = sometimes\n" /* 9-11 */
                           "[guest e]\nkernel = k\nstrict_memory = 1\n"        /* 12-14 */
                           "strict_memory = no\n", &cfg, &e), 2);             /* 15 */
    assert_string_equal(e.msg[0], "hv.cfg:11: strict_memory: 'sometimes' is not yes or no");
    assert_string_equal(e.msg[1], "hv.cfg:15: strict_memory: already set at line 14");
    assert_true(cfg.guests[0].strict_memory);
    assert_true(cfg.guests[0].valid);
    assert_false(cfg.guests[1].strict_memory);
    assert_true(cfg.guests[1].valid);
    assert_false(cfg.guests[2].strict_memory);      /* the default */
    assert_false(cfg.guests[3].valid);
    assert_true(cfg.guests[4].strict_memory);       /* the first setting stays */
    assert_false(cfg.guests[4].valid);
    /* A [hypervisor] key, not a guest's. */
    assert_int_equal(parse("[hypervisor]\nstrict_memory = yes\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:2: unknown key 'strict_memory' in [hypervisor]");
}

/* ---- partitioning: slice, vcpus, cpus modes, weight, passthrough_io,
 * management, and the checks against the machine ------------------------ */

static void test_slice(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    static const struct {
        const char *text;
        uint32_t us;
    } ok[] = {
        { "500us", 500 }, { "4ms", 4000 }, { "250", 250 }, { "100us", 100 },
        { "1000ms", 1000000 }, { "1000000", 1000000 }, { "0x100us", 256 },
    };
    char text[128];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(text, sizeof(text), "[hypervisor]\nslice = %s\n", ok[i].text);
        assert_int_equal(parse(text, &cfg, &e), 0);
        assert_int_equal(cfg.slice_us, ok[i].us);
    }

    const char *bad =
        "[hypervisor]\n"
        "slice = 10s\n"                             /* 2 */
        "slice = ms\n"                              /* 3 */
        "slice = 4 ms\n"                            /* 4 */
        "slice = 50us\n"                            /* 5 */
        "slice = 99\n"                              /* 6 */
        "slice = 1001ms\n"                          /* 7 */
        "slice = 18446744073709551615ms\n"          /* 8: overflows when scaled */
        "slice = 99999999999999999999us\n"          /* 9 */
        "slice = -1ms\n";                           /* 10 */
    assert_int_equal(parse(bad, &cfg, &e), 9);
    assert_string_equal(e.msg[0], "hv.cfg:2: slice: '10s' is not a time (a number with us or ms)");
    assert_string_equal(e.msg[1], "hv.cfg:3: slice: 'ms' is not a time (a number with us or ms)");
    assert_string_equal(e.msg[2], "hv.cfg:4: slice: '4 ms' is not a time (a number with us or ms)");
    assert_string_equal(e.msg[3], "hv.cfg:5: slice: '50us' is below the minimum 100us");
    assert_string_equal(e.msg[4], "hv.cfg:6: slice: '99' is below the minimum 100us");
    assert_string_equal(e.msg[5], "hv.cfg:7: slice: '1001ms' is above the maximum 1000ms");
    assert_string_equal(e.msg[6], "hv.cfg:8: slice: '18446744073709551615ms' is above the maximum 1000ms");
    assert_string_equal(e.msg[7], "hv.cfg:9: slice: '99999999999999999999us' is above the maximum 1000ms");
    assert_string_equal(e.msg[8], "hv.cfg:10: slice: '-1ms' is not a time (a number with us or ms)");
    /* a bad value keeps the default */
    assert_int_equal(cfg.slice_us, CONFIG_SLICE_DEFAULT_US);

    /* slice belongs to [hypervisor] */
    assert_int_equal(parse("[guest a]\nkernel = k\nslice = 4ms\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:3: unknown key 'slice' in [guest a]");
}

static void test_guest_vcpus(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "vcpus = 4\n"                               /* 3: shared, any CPU */
        "[guest b]\nkernel = k\n"
        "vcpus = 16\n"                              /* 6: the maximum */
        "cpus = shared 1\n"                         /* 7: more vCPUs than CPUs is fine shared */
        "[guest c]\nkernel = k\n"
        "cpus = 2-4\n"                              /* 10: pinned, vcpus defaults to 3 */
        "[guest d]\nkernel = k\n"
        "vcpus = 2\n"                               /* 13 */
        "cpus = 5, 6\n"                             /* 14: matches */
        "[guest e]\nkernel = k\n"
        "vcpus = 0\n"                               /* 17 */
        "[guest f]\nkernel = k\n"
        "vcpus = 17\n"                              /* 20 */
        "[guest g]\nkernel = k\n"
        "vcpus = two\n"                             /* 23 */
        "[guest h]\nkernel = k\n"
        "vcpus = 99999999999999999999\n"            /* 26 */
        "[guest i]\nkernel = k\n"
        "cpus = 7,8\n"                              /* 29 */
        "vcpus = 3\n"                               /* 30 */
        "[guest j]\nkernel = k\n"
        "vcpus = 2\n"                               /* 33 */
        "cpus = 9\n"                                /* 34 */
        "vcpus = 1\n";                              /* 35 */
    assert_int_equal(parse(text, cfg, &e), 7);
    assert_string_equal(e.msg[0], "hv.cfg:17: vcpus: '0' is below the minimum 1");
    assert_string_equal(e.msg[1], "hv.cfg:20: vcpus: '17' is above the maximum 16");
    assert_string_equal(e.msg[2], "hv.cfg:23: vcpus: 'two' is not a number");
    assert_string_equal(e.msg[3], "hv.cfg:26: vcpus: '99999999999999999999' is above the maximum 16");
    /* reported at the vcpus line, whichever comes first */
    assert_string_equal(e.msg[4], "hv.cfg:30: vcpus: 3 does not match the 2 CPUs pinned at "
                        "line 29; pinned guests run one vCPU per listed CPU");
    assert_string_equal(e.msg[5], "hv.cfg:35: vcpus: already set at line 33");
    assert_string_equal(e.msg[6], "hv.cfg:33: vcpus: 2 does not match the 1 CPU pinned at "
                        "line 34; pinned guests run one vCPU per listed CPU");
    assert_int_equal(cfg->guest_count, 10);
    assert_true(cfg->guests[0].valid);
    assert_int_equal(cfg->guests[0].vcpus, 4);
    assert_int_equal(cfg->guests[0].cpus_mode, CPUS_SHARED);
    assert_true(cfg->guests[1].valid);
    assert_int_equal(cfg->guests[1].vcpus, 16);
    assert_true(cfg->guests[2].valid);
    assert_int_equal(cfg->guests[2].vcpus, 3);
    assert_true(cfg->guests[3].valid);
    assert_int_equal(cfg->guests[3].vcpus, 2);
    for (int i = 4; i < 10; i++)
        assert_false(cfg->guests[i].valid);
}

static void test_guest_cpus_modes(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest p]\nkernel = k\n"
        "cpus = 0-1,4\n"                            /* 3 */
        "[guest s]\nkernel = k\n"
        "cpus = shared\n"                           /* 6 */
        "[guest t]\nkernel = k\n"
        "cpus = shared 5,6\n"                       /* 9 */
        "[guest u]\nkernel = k\n"
        "cpus = shared\t5 - 7 , 0x8\n"              /* 12: shared lists may overlap */
        "[guest v]\nkernel = k\n"
        "cpus = 9-9\n";                             /* 15 */
    assert_int_equal(parse(text, cfg, &e), 0);
    const struct guest_config *g = cfg->guests;
    assert_int_equal(g[0].cpus_mode, CPUS_PINNED);
    assert_int_equal(g[0].cpu_count, 3);
    assert_int_equal(g[0].cpus[0], 0);
    assert_int_equal(g[0].cpus[1], 1);
    assert_int_equal(g[0].cpus[2], 4);
    assert_int_equal(g[0].cpus_line, 3);
    assert_int_equal(g[0].vcpus, 3);
    assert_int_equal(g[1].cpus_mode, CPUS_SHARED);
    assert_int_equal(g[1].cpu_count, 0);
    assert_int_equal(g[1].cpus_line, 6);
    assert_int_equal(g[1].vcpus, 1);
    assert_int_equal(g[2].cpus_mode, CPUS_SHARED);
    assert_int_equal(g[2].cpu_count, 2);
    assert_int_equal(g[2].cpus[0], 5);
    assert_int_equal(g[2].cpus[1], 6);
    assert_int_equal(g[2].cpus_line, 9);
    assert_int_equal(g[3].cpus_mode, CPUS_SHARED);
    assert_int_equal(g[3].cpu_count, 4);
    assert_int_equal(g[3].cpus[0], 5);
    assert_int_equal(g[3].cpus[3], 8);
    assert_int_equal(g[4].cpus_mode, CPUS_PINNED);
    assert_int_equal(g[4].cpu_count, 1);
    assert_int_equal(g[4].cpus[0], 9);

    const char *bad =
        "[guest a]\nkernel = k\n"
        "cpus = 3-1\n"                              /* 3 */
        "[guest b]\nkernel = k\n"
        "cpus = 250-256\n"                          /* 6 */
        "[guest c]\nkernel = k\n"
        "cpus = 100-120\n"                          /* 9 */
        "[guest d]\nkernel = k\n"
        "cpus = 10-12,11\n"                         /* 12 */
        "[guest e]\nkernel = k\n"
        "cpus = shared,1\n"                         /* 15 */
        "[guest f]\nkernel = k\n"
        "cpus = sharedx\n"                          /* 18 */
        "[guest g]\nkernel = k\n"
        "cpus = shared 1-\n"                        /* 21 */
        "[guest h]\nkernel = k\n"
        "cpus = 1-2-3\n"                            /* 24 */
        "[guest i]\nkernel = k\n"
        "cpus = -1\n"                               /* 27 */
        "[guest j]\nkernel = k\n"
        "cpus = shared 0-255\n"                     /* 30 */
        "[guest k]\nkernel = k\n"
        "cpus = 0x100-1\n"                          /* 33 */
        "[guest l]\nkernel = k\n"
        "cpus = Shared\n";                          /* 36 */
    assert_int_equal(parse(bad, cfg, &e), 12);
    assert_string_equal(e.msg[0], "hv.cfg:3: cpus: range '3-1' runs backwards");
    assert_string_equal(e.msg[1], "hv.cfg:6: cpus: CPU '256' is above the highest index 255");
    assert_string_equal(e.msg[2], "hv.cfg:9: cpus: more than 16 CPUs");
    assert_string_equal(e.msg[3], "hv.cfg:12: cpus: CPU 11 is listed twice");
    assert_string_equal(e.msg[4], "hv.cfg:15: cpus: 'shared,1' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[5], "hv.cfg:18: cpus: 'sharedx' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[6], "hv.cfg:21: cpus: 'shared 1-' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[7], "hv.cfg:24: cpus: '1-2-3' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[8], "hv.cfg:27: cpus: '-1' is not shared or a list of CPUs and ranges (0-1,4)");
    assert_string_equal(e.msg[9], "hv.cfg:30: cpus: more than 16 CPUs");
    assert_string_equal(e.msg[10], "hv.cfg:33: cpus: CPU '0x100' is above the highest index 255");
    assert_string_equal(e.msg[11], "hv.cfg:36: cpus: 'Shared' is not shared or a list of CPUs and ranges (0-1,4)");
    for (int i = 0; i < 12; i++) {
        assert_false(cfg->guests[i].valid);
        /* a refused value leaves the default placement */
        assert_int_equal(cfg->guests[i].cpus_mode, CPUS_SHARED);
        assert_int_equal(cfg->guests[i].cpu_count, 0);
    }
}

/* A pinned CPU belongs to one guest and is in no shared list; shared lists
 * may overlap. Whichever line comes later reports the clash. */
static void test_guest_cpus_conflicts(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "cpus = 2\n"                                /* 3 */
        "[guest b]\nkernel = k\n"
        "cpus = shared 1,2\n"                       /* 6: pinned, then shared */
        "[guest c]\nkernel = k\n"
        "cpus = shared 5\n"                         /* 9 */
        "[guest d]\nkernel = k\n"
        "cpus = shared 5-6\n"                       /* 12: two shared lists: fine */
        "[guest e]\nkernel = k\n"
        "cpus = 4-5\n"                              /* 15: shared, then pinned */
        "[guest f]\nkernel = k\n"
        "cpus = 0-1\n"                              /* 18: CPU 1 was only in b's refused list */
        "[guest g]\nkernel = k\n"
        "cpus = 6\n"                                /* 21: d is the second to share 6, c never did */
        "[guest h]\nkernel = k\n"
        "cpus = 1-3\n";                             /* 24: pinned, then pinned */
    assert_int_equal(parse(text, cfg, &e), 4);
    assert_string_equal(e.msg[0], "hv.cfg:6: cpus: CPU 2 is pinned by guest 'a' (line 3) and cannot be shared");
    assert_string_equal(e.msg[1], "hv.cfg:15: cpus: CPU 5 is shared by guest 'c' (line 9) and cannot be pinned");
    assert_string_equal(e.msg[2], "hv.cfg:21: cpus: CPU 6 is shared by guest 'd' (line 12) and cannot be pinned");
    assert_string_equal(e.msg[3], "hv.cfg:24: cpus: CPU 1 is already given to guest 'f' (line 18)");
    assert_true(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_true(cfg->guests[2].valid);
    assert_true(cfg->guests[3].valid);
    assert_false(cfg->guests[4].valid);
    assert_true(cfg->guests[5].valid);
    assert_false(cfg->guests[6].valid);
    assert_false(cfg->guests[7].valid);
}

static void test_guest_weight(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "weight = 1\n"                              /* 3 */
        "[guest b]\nkernel = k\n"
        "cpus = shared 1\n"
        "weight = 65535\n"                          /* 7 */
        "[guest c]\nkernel = k\n"
        "weight = 0\n"                              /* 10 */
        "[guest d]\nkernel = k\n"
        "weight = 65536\n"                          /* 13 */
        "[guest e]\nkernel = k\n"
        "weight = heavy\n"                          /* 16 */
        "[guest f]\nkernel = k\n"
        "weight = 512\n"                            /* 19: checked once the section is complete */
        "cpus = 3\n"                                /* 20 */
        "[guest g]\nkernel = k\n"
        "cpus = 4\n"                                /* 23 */
        "weight = 256\n";                           /* 24: even the default value */
    assert_int_equal(parse(text, cfg, &e), 5);
    assert_string_equal(e.msg[0], "hv.cfg:10: weight: '0' is below the minimum 1");
    assert_string_equal(e.msg[1], "hv.cfg:13: weight: '65536' is above the maximum 65535");
    assert_string_equal(e.msg[2], "hv.cfg:16: weight: 'heavy' is not a number");
    assert_string_equal(e.msg[3], "hv.cfg:19: weight: applies to shared CPUs only; this guest is "
                        "pinned (cpus at line 20)");
    assert_string_equal(e.msg[4], "hv.cfg:24: weight: applies to shared CPUs only; this guest is "
                        "pinned (cpus at line 23)");
    assert_true(cfg->guests[0].valid);
    assert_int_equal(cfg->guests[0].weight, 1);
    assert_true(cfg->guests[1].valid);
    assert_int_equal(cfg->guests[1].weight, 65535);
    for (int i = 2; i < 7; i++)
        assert_false(cfg->guests[i].valid);
    assert_int_equal(cfg->guests[2].weight, CONFIG_WEIGHT_DEFAULT);
}

static void test_guest_passthrough(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "passthrough_io = 0x2f8-0x2ff\n"            /* 3 */
        "passthrough_io = 0x80\n"                   /* 4 */
        "passthrough_io = 0x60 - 0x64\n"            /* 5 */
        "passthrough_io = 0x22-0x5f\n"              /* 6: right after the master PIC */
        "passthrough_io = 0xcf0-0xcf7\n"            /* 7: just below PCI config */
        "[guest b]\nkernel = k\n"
        "serial = none\n"
        "passthrough_io = 0x3e8-0x3ef\n"            /* 11: the real COM3, no virtual UART */
        "passthrough_io = 65535\n";                 /* 12 */
    assert_int_equal(parse(text, cfg, &e), 0);
    const struct guest_config *g = &cfg->guests[0];
    assert_int_equal(g->passthrough_count, 5);
    assert_int_equal(g->passthrough[0].first, 0x2f8);
    assert_int_equal(g->passthrough[0].last, 0x2ff);
    assert_int_equal(g->passthrough[0].line, 3);
    assert_int_equal(g->passthrough[1].first, 0x80);
    assert_int_equal(g->passthrough[1].last, 0x80);
    assert_int_equal(g->passthrough[1].line, 4);
    assert_int_equal(g->passthrough[2].first, 0x60);
    assert_int_equal(g->passthrough[2].last, 0x64);
    g = &cfg->guests[1];
    assert_true(g->valid);
    assert_int_equal(g->passthrough_count, 2);
    assert_int_equal(g->passthrough[1].first, 0xffff);
    assert_int_equal(g->passthrough[1].last, 0xffff);

    const char *bad =
        "[guest a]\nkernel = k\n"
        "passthrough_io = 0x2ff-0x2f8\n"            /* 3 */
        "[guest b]\nkernel = k\n"
        "passthrough_io = 0x10000\n"                /* 6 */
        "[guest c]\nkernel = k\n"
        "passthrough_io = 0xfff0-0x10000\n"         /* 9 */
        "[guest d]\nkernel = k\n"
        "passthrough_io = com2\n"                   /* 12 */
        "[guest e]\nkernel = k\n"
        "passthrough_io = 0x20\n"                   /* 15 */
        "[guest f]\nkernel = k\n"
        "passthrough_io = 0x0-0xff\n"               /* 18 */
        "[guest g]\nkernel = k\n"
        "passthrough_io = 0xa1\n"                   /* 21 */
        "[guest h]\nkernel = k\n"
        "passthrough_io = 0xcfc-0xcff\n"            /* 24 */
        "[guest i]\nkernel = k\n"
        "passthrough_io = 0x1000-0x1007\n"          /* 27 */
        "passthrough_io = 0x1007\n"                 /* 28: same guest */
        "[guest j]\nkernel = k\n"
        "passthrough_io = 0x1004-0x100b\n"          /* 31: another guest */
        "[guest k]\nkernel = k\n"
        "passthrough_io = 0x1008-0x100b\n"          /* 34: j's refused range is free */
        "passthrough_io = 0xfff-0x1000\n"           /* 35 */
        "passthrough_io = 0x100a-0x1010\n"          /* 36 */
        "passthrough_io = 0x\n";                    /* 37 */
    assert_int_equal(parse(bad, cfg, &e), 13);
    assert_string_equal(e.msg[0], "hv.cfg:3: passthrough_io: range '0x2ff-0x2f8' runs backwards");
    assert_string_equal(e.msg[1], "hv.cfg:6: passthrough_io: '0x10000' is above the last I/O port 0xffff");
    assert_string_equal(e.msg[2], "hv.cfg:9: passthrough_io: '0x10000' is above the last I/O port 0xffff");
    assert_string_equal(e.msg[3], "hv.cfg:12: passthrough_io: 'com2' is not a port or a range of ports (0x2f8-0x2ff)");
    assert_string_equal(e.msg[4], "hv.cfg:15: passthrough_io: port 0x20 overlaps 0x20-0x21 "
                        "(the master PIC), which the hypervisor keeps");
    assert_string_equal(e.msg[5], "hv.cfg:18: passthrough_io: ports 0x0-0xff overlap 0x20-0x21 "
                        "(the master PIC), which the hypervisor keeps");
    assert_string_equal(e.msg[6], "hv.cfg:21: passthrough_io: port 0xa1 overlaps 0xa0-0xa1 "
                        "(the slave PIC), which the hypervisor keeps");
    assert_string_equal(e.msg[7], "hv.cfg:24: passthrough_io: ports 0xcfc-0xcff overlap 0xcf8-0xcff "
                        "(PCI configuration space), which the hypervisor keeps");
    assert_string_equal(e.msg[8], "hv.cfg:28: passthrough_io: port 0x1007 overlaps 0x1000-0x1007 (line 27)");
    assert_string_equal(e.msg[9], "hv.cfg:31: passthrough_io: ports 0x1004-0x100b overlap 0x1000-0x1007, "
                        "already given to guest 'i' (line 27)");
    assert_string_equal(e.msg[10], "hv.cfg:35: passthrough_io: ports 0xfff-0x1000 overlap 0x1000-0x1007, "
                        "already given to guest 'i' (line 27)");
    assert_string_equal(e.msg[11], "hv.cfg:36: passthrough_io: ports 0x100a-0x1010 overlap 0x1008-0x100b (line 34)");
    assert_string_equal(e.msg[12], "hv.cfg:37: passthrough_io: '0x' is not a port or a range of ports (0x2f8-0x2ff)");
    for (int i = 0; i < 11; i++)
        assert_false(cfg->guests[i].valid);
    assert_int_equal(cfg->guests[8].passthrough_count, 1);   /* the refused line adds nothing */
    assert_int_equal(cfg->guests[9].passthrough_count, 0);
    assert_int_equal(cfg->guests[10].passthrough_count, 1);
    assert_int_equal(cfg->guests[10].passthrough[0].first, 0x1008);

    /* eight ranges are fine, the ninth is refused */
    char big[1024];
    size_t n = (size_t)snprintf(big, sizeof(big), "[guest m]\nkernel = k\n");
    for (int i = 0; i < 9; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "passthrough_io = 0x%x\n", 0x1000 + i);
    assert_int_equal(parse(big, cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:11: passthrough_io: more than 8 ranges");
    assert_int_equal(cfg->guests[0].passthrough_count, 8);
    assert_false(cfg->guests[0].valid);
}

/* Against the guest's own serial and debug_exit: those may come later in
 * the section, so the check runs at its end, at the later line. */
/* The operator console and the machine-reset port stay the hypervisor's. */
static void test_guest_passthrough_console_and_reset(void **state)
{
    (void)state;
    static struct hv_config cfg;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = a\nserial = 0x2f8\n"
        "passthrough_io = 0x3f8-0x3ff\n"           /* 4 */
        "passthrough_io = 0x90-0x93\n"             /* 5 */
        "passthrough_io = 0x2e8-0x2ef\n";          /* 6: COM4 is fine */
    assert_int_equal(parse(text, &cfg, &e), 2);
    assert_string_equal(e.msg[0], "hv.cfg:4: passthrough_io: ports 0x3f8-0x3ff overlap 0x3f8-0x3ff "
                        "(COM1, the operator console), which the hypervisor keeps");
    assert_string_equal(e.msg[1], "hv.cfg:5: passthrough_io: ports 0x90-0x93 overlap 0x92 "
                        "(system control port A (fast reset)), which the hypervisor keeps");
    assert_false(cfg.guests[0].valid);
    assert_int_equal(cfg.guests[0].passthrough_count, 1);
    assert_int_equal(cfg.guests[0].passthrough[0].first, 0x2e8);
}

static void test_guest_passthrough_own_devices(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "passthrough_io = 0x3f8-0x3ff\n"            /* 3: COM1 is the hypervisor's */
        "[guest b]\nkernel = k\n"
        "serial = 0x2f8\n"                          /* 6 */
        "passthrough_io = 0x2f8\n"                  /* 7 */
        "[guest c]\nkernel = k\n"
        "passthrough_io = 0x2e8-0x2ef\n"            /* 10 */
        "serial = 0x2e8\n"                          /* 11 */
        "[guest d]\nkernel = k\n"
        "debug_exit = 0xf4\n"                       /* 14 */
        "passthrough_io = 0xf0-0xff\n"              /* 15 */
        "[guest e]\nkernel = k\n"
        "passthrough_io = 0x500\n"                  /* 18 */
        "debug_exit = 0x500\n"                      /* 19 */
        "[guest f]\nkernel = k\n"
        "serial = 0x3e8\n"
        "debug_exit = 0x3f0\n"
        "passthrough_io = 0x3f8-0x3ff\n";           /* 24: nobody gets COM1 */
    assert_int_equal(parse(text, cfg, &e), 6);
    assert_string_equal(e.msg[0], "hv.cfg:3: passthrough_io: ports 0x3f8-0x3ff overlap 0x3f8-0x3ff "
                        "(COM1, the operator console), which the hypervisor keeps");
    assert_string_equal(e.msg[1], "hv.cfg:7: passthrough_io: port 0x2f8 overlaps serial "
                        "0x2f8-0x2ff (line 6)");
    assert_string_equal(e.msg[2], "hv.cfg:11: serial: ports 0x2e8-0x2ef overlap passthrough_io "
                        "0x2e8-0x2ef (line 10)");
    assert_string_equal(e.msg[3], "hv.cfg:15: passthrough_io: ports 0xf0-0xff overlap debug_exit "
                        "0xf4 (line 14)");
    assert_string_equal(e.msg[4], "hv.cfg:19: debug_exit: port 0x500 overlaps passthrough_io "
                        "0x500 (line 18)");
    assert_string_equal(e.msg[5], "hv.cfg:24: passthrough_io: ports 0x3f8-0x3ff overlap 0x3f8-0x3ff "
                        "(COM1, the operator console), which the hypervisor keeps");
    for (int i = 0; i < 6; i++)
        assert_false(cfg->guests[i].valid);
}

/* serial and debug_exit on the ports of the devices every guest has (the
 * 8259, the 8254, the CMOS clock, PCI, ACPI PM, pvpanic): refused with the
 * device named, at the key's line. */
static void test_guest_platform_ports(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "debug_exit = 0x61\n"                       /* 3 */
        "[guest b]\nkernel = k\n"
        "serial = 0x40\n"                           /* 6 */
        "[guest c]\nkernel = k\n"
        "debug_exit = 0x604\n"                      /* 9 */
        "[guest d]\nkernel = k\n"
        "serial = 0x500\n"                          /* 12: 0x500-0x507 */
        "[guest e]\nkernel = k\n"
        "serial = 0x2f8\ndebug_exit = 0x80\n";     /* fine */
    assert_int_equal(parse(text, cfg, &e), 4);
    assert_string_equal(e.msg[0], "hv.cfg:3: debug_exit: port 0x61 overlaps 0x61 (the timer's "
                        "port 0x61), a device every guest has");
    assert_string_equal(e.msg[1], "hv.cfg:6: serial: ports 0x40-0x47 overlap 0x40-0x43 (the 8254 "
                        "timer), a device every guest has");
    assert_string_equal(e.msg[2], "hv.cfg:9: debug_exit: port 0x604 overlaps 0x600-0x60b (the ACPI "
                        "PM registers), a device every guest has");
    assert_string_equal(e.msg[3], "hv.cfg:12: serial: ports 0x500-0x507 overlap 0x505 (the pvpanic "
                        "port), a device every guest has");
    for (int i = 0; i < 4; i++)
        assert_false(cfg->guests[i].valid);
    assert_true(cfg->guests[4].valid);
}

static void test_guest_management(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[guest a]\nkernel = k\n"
        "management = maybe\n"                      /* 3 */
        "[guest b]\nkernel = k\n"
        "management = no\n"                         /* 6 */
        "[guest c]\nkernel = k\n"
        "management = yes\n"                        /* 9 */
        "[guest d]\nkernel = k\n"
        "management = true\n"                       /* 12 */
        "[guest e]\nkernel = k\n"
        "management = off\n"                        /* 15 */
        "management = on\n";                        /* 16 */
    assert_int_equal(parse(text, cfg, &e), 3);
    assert_string_equal(e.msg[0], "hv.cfg:3: management: 'maybe' is not yes or no");
    assert_string_equal(e.msg[1], "hv.cfg:12: management: guest 'c' is already the management guest (line 9)");
    assert_string_equal(e.msg[2], "hv.cfg:16: management: already set at line 15");
    assert_false(cfg->guests[0].valid);
    assert_true(cfg->guests[1].valid);
    assert_false(cfg->guests[1].management);
    assert_true(cfg->guests[2].valid);
    assert_true(cfg->guests[2].management);
    assert_false(cfg->guests[3].valid);
    assert_false(cfg->guests[3].management);
    assert_false(cfg->guests[4].valid);
}

/* The partitioned machine of docs/configuration.md. */
static void test_partitioned_example(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;
    const char *text =
        "[hypervisor]\n"
        "slice = 4ms\n"
        "[guest rt]\nkernel = rt.elf\nmemory = 256M\ncpus = 0\n"
        "[guest db]\nkernel = db.elf\nmemory = 1G\ncpus = 1-2\n"
        "passthrough_io = 0x2f8-0x2ff\nserial = 0x3f8\n"
        "[guest ctl]\nkernel = ctl.elf\nmemory = 128M\nmanagement = yes\nweight = 512\n"
        "[guest web]\nkernel = web.elf\nmemory = 512M\nvcpus = 2\ncpus = shared\n"
        "[guest batch]\nkernel = batch.elf\nmemory = 512M\ncpus = shared 3\nweight = 64\n";
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(cfg->slice_us, 4000);
    assert_int_equal(cfg->guest_count, 5);
    assert_int_equal(cfg->guests[1].vcpus, 2);
    assert_int_equal(cfg->guests[2].weight, 512);
    assert_true(cfg->guests[2].management);
    assert_int_equal(cfg->guests[3].vcpus, 2);
    assert_int_equal(cfg->guests[4].weight, 64);
    assert_int_equal(config_validate(cfg, "hv.cfg", 4, 4ull << 30, collect, &e), 0);
    for (int i = 0; i < 5; i++)
        assert_true(cfg->guests[i].valid);
}

static int validate(struct hv_config *cfg, unsigned ncpus, uint64_t mem, struct errs *e)
{
    memset(e, 0, sizeof(*e));
    return config_validate(cfg, "hv.cfg", ncpus, mem, collect, e);
}

static void test_validate(void **state)
{
    (void)state;
    struct hv_config *cfg = &cfgs;
    struct errs e;

    /* CPUs beyond the machine, pinned or in a shared list */
    const char *text =
        "[guest a]\nkernel = k\ncpus = 1\n"
        "[guest b]\nkernel = k\ncpus = 2,4-5\n"             /* 6 */
        "[guest c]\nkernel = k\ncpus = shared 3,7\n"        /* 9 */
        "[guest d]\nkernel = k\ncpus = shared 3\n"
        "[guest e]\nkernel = k\ncpus = 9\nmemory = lots\n"; /* refused by the parser */
    assert_int_equal(parse(text, cfg, &e), 1);
    assert_int_equal(validate(cfg, 4, 1ull << 30, &e), 2);
    assert_string_equal(e.msg[0], "hv.cfg:6: cpus: CPU 4 does not exist (this machine has 4)");
    assert_string_equal(e.msg[1], "hv.cfg:9: cpus: CPU 7 does not exist (this machine has 4)");
    assert_true(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_false(cfg->guests[2].valid);
    assert_true(cfg->guests[3].valid);
    assert_false(cfg->guests[4].valid);

    /* every CPU pinned: a shared guest has nowhere to run */
    text =
        "[guest a]\nkernel = k\ncpus = 0\n"
        "[guest b]\nkernel = k\ncpus = 1\n"
        "[guest c]\nkernel = k\n"                           /* 7 */
        "[guest d]\nkernel = k\ncpus = shared\n";           /* 9 */
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(validate(cfg, 2, 1ull << 30, &e), 2);
    assert_string_equal(e.msg[0], "hv.cfg:7: [guest c]: no CPU left for a shared guest: every CPU is pinned");
    assert_string_equal(e.msg[1], "hv.cfg:9: [guest d]: no CPU left for a shared guest: every CPU is pinned");
    assert_true(cfg->guests[0].valid);
    assert_true(cfg->guests[1].valid);
    assert_false(cfg->guests[2].valid);
    assert_false(cfg->guests[3].valid);
    /* a third CPU leaves room */
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(validate(cfg, 3, 1ull << 30, &e), 0);
    /* a pinned guest refused for a CPU the machine lacks pins nothing */
    text =
        "[guest a]\nkernel = k\ncpus = 0\n"
        "[guest b]\nkernel = k\ncpus = 1-2\n"               /* 6 */
        "[guest c]\nkernel = k\n";
    assert_int_equal(parse(text, cfg, &e), 0);
    assert_int_equal(validate(cfg, 2, 1ull << 30, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:6: cpus: CPU 2 does not exist (this machine has 2)");
    assert_true(cfg->guests[2].valid);

    /* memory in file order: the second guest does not fit, the third does */
    text =
        "[guest a]\nkernel = k\nmemory = 500M\n"
        "[guest b]\nkernel = k\nmemory = 512M\n"            /* 4 */
        "[guest c]\nkernel = k\nmemory = 300M\n"
        "[guest d]\nkernel = k\nmemory = 2G\n"              /* 10 */
        "[guest e]\nkernel = k\nmemory = 4K\n";             /* refused by the parser */
    assert_int_equal(parse(text, cfg, &e), 1);
    assert_int_equal(validate(cfg, 1, 800ull << 20, &e), 2);
    assert_string_equal(e.msg[0], "hv.cfg:4: [guest b]: memory: 512 MiB does not fit: 300 MiB left for guests");
    assert_string_equal(e.msg[1], "hv.cfg:10: [guest d]: memory: 2 GiB does not fit: 0 MiB left for guests");
    assert_true(cfg->guests[0].valid);
    assert_false(cfg->guests[1].valid);
    assert_true(cfg->guests[2].valid);
    assert_false(cfg->guests[3].valid);
    /* odd budgets are named exactly */
    assert_int_equal(parse("[guest a]\nkernel = k\nmemory = 1M\n", cfg, &e), 0);
    assert_int_equal(validate(cfg, 1, (1ull << 20) - 4096, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: [guest a]: memory: 1 MiB does not fit: 1020 KiB left for guests");
    assert_int_equal(parse("[guest a]\nkernel = k\nmemory = 1M\n", cfg, &e), 0);
    assert_int_equal(validate(cfg, 1, 1000, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: [guest a]: memory: 1 MiB does not fit: 1000 bytes left for guests");

    /* no callback: still counted; nothing to check: no problems */
    assert_int_equal(parse("[guest a]\nkernel = k\ncpus = 8\n", cfg, &e), 0);
    assert_int_equal(config_validate(cfg, "hv.cfg", 4, 1ull << 30, NULL, NULL), 1);
    assert_int_equal(parse("", cfg, &e), 0);
    assert_int_equal(validate(cfg, 1, 0, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_empty),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors_name_line),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_on_stop),
        cmocka_unit_test(test_on_reboot_initrd),
        cmocka_unit_test(test_strict_memory),
        cmocka_unit_test(test_guests_valid),
        cmocka_unit_test(test_guest_defaults),
        cmocka_unit_test(test_guest_crlf),
        cmocka_unit_test(test_guest_names),
        cmocka_unit_test(test_guest_keys),
        cmocka_unit_test(test_guest_one_invalid),
        cmocka_unit_test(test_files_for_loader),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_guest_numbers),
        cmocka_unit_test(test_guest_raw),
        cmocka_unit_test(test_guest_ports),
        cmocka_unit_test(test_guest_cpus),
        cmocka_unit_test(test_guest_limits),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_guest_vcpus),
        cmocka_unit_test(test_guest_cpus_modes),
        cmocka_unit_test(test_guest_cpus_conflicts),
        cmocka_unit_test(test_guest_weight),
        cmocka_unit_test(test_guest_passthrough),
        cmocka_unit_test(test_guest_passthrough_own_devices),
        cmocka_unit_test(test_guest_platform_ports),
        cmocka_unit_test(test_guest_passthrough_console_and_reset),
        cmocka_unit_test(test_guest_management),
        cmocka_unit_test(test_partitioned_example),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
