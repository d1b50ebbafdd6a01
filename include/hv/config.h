/*
 * The hypervisor configuration file (docs/configuration.md): INI-style,
 * `[section]` headers, `key = value` lines, `#` or `;` comments.
 * Parsing is pure logic; every problem is reported with file and line.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <hv/compiler.h>

enum on_idle {
    ON_IDLE_POWEROFF = 0,
    ON_IDLE_HALT,
    ON_IDLE_REBOOT,
};

#define CONFIG_MAX_GUESTS       16
#define CONFIG_MAX_MODULES      8      /* per guest */
#define CONFIG_MAX_GUEST_CPUS   16     /* entries in one cpus = list */
#define CONFIG_CPU_LIMIT        256    /* CPU indices are 0..255 (the ACPI table limit) */
#define CONFIG_NAME_LEN         32     /* 31 characters + NUL */
#define CONFIG_PATH_LEN         128    /* 127 characters + NUL */
#define CONFIG_STRING_LEN       128    /* a module's string */
#define CONFIG_CMDLINE_LEN      256

#define CONFIG_MEMORY_MIN       MiB(1)
#define CONFIG_MEMORY_MAX       GiB(64)
#define CONFIG_MEMORY_DEFAULT   MiB(64)
#define CONFIG_SERIAL_DEFAULT   0x3f8
#define CONFIG_SERIAL_PORTS     8      /* a 16550 decodes base .. base+7 */
#define CONFIG_MAX_VCPUS        16     /* vcpus = 1..16 */
#define CONFIG_MAX_PASSTHROUGH  8      /* passthrough_io ranges per guest */
#define CONFIG_WEIGHT_DEFAULT   256
#define CONFIG_WEIGHT_MAX       65535
#define CONFIG_SLICE_DEFAULT_US 10000  /* [hypervisor] slice = 10ms */
#define CONFIG_SLICE_MIN_US     100
#define CONFIG_SLICE_MAX_US     1000000

enum guest_format {
    GUEST_FORMAT_AUTO = 0,      /* detected from the image (multiboot header) */
    GUEST_FORMAT_MULTIBOOT,
    GUEST_FORMAT_RAW,           /* copied to load_address, started in real mode */
};

enum guest_on_stop {
    ON_STOP_STOP = 0,           /* the guest stays stopped */
    ON_STOP_RESTART,            /* re-created from its images, memory scrubbed */
};

/* What a reset the guest asks for (ACPI reset register, port 0xcf9, the
 * keyboard controller's reset pulse) does. */
enum guest_on_reboot {
    ON_REBOOT_RESTART = 0,      /* re-created as on_stop = restart does */
    ON_REBOOT_STOP,             /* stopped, status 0, "reboot requested" */
};

/* How a guest's vCPUs are placed (issue 4, docs/configuration.md). */
enum guest_cpus {
    CPUS_SHARED = 0,            /* time-shared; cpus[] empty: any CPU no guest has pinned */
    CPUS_PINNED,                /* one vCPU per listed CPU, nothing else runs there */
};

/* An I/O port range [first, last] handed to one guest. */
struct io_range {
    uint16_t first, last;
    unsigned line;              /* configuration line, for messages */
};

struct guest_module {
    char path[CONFIG_PATH_LEN];     /* relative to the configuration file */
    char string[CONFIG_STRING_LEN]; /* the words after the path; may be "" */
};

struct guest_config {
    char name[CONFIG_NAME_LEN];     /* NAME of [guest NAME] */
    unsigned line;                  /* line of the [guest NAME] header */
    unsigned kernel_line;           /* line of kernel = (0: missing) */
    bool valid;                     /* false: the section had errors; refuse this guest */

    char kernel[CONFIG_PATH_LEN];   /* relative to the configuration file */
    enum guest_format format;
    bool has_load_address;          /* raw only */
    uint64_t load_address;          /* guest-physical */
    bool has_entry;                 /* raw only */
    uint16_t entry_cs, entry_ip;    /* real-mode start (a linear entry is made CS:IP) */

    unsigned module_count;
    struct guest_module modules[CONFIG_MAX_MODULES];
    char cmdline[CONFIG_CMDLINE_LEN];
    char initrd[CONFIG_PATH_LEN];   /* Linux initramfs; "" : none */
    unsigned initrd_line;

    uint64_t memory;                /* bytes, multiple of 4 KiB, 1M .. 64G */
    unsigned vcpus;                 /* 1..CONFIG_MAX_VCPUS (pinned: = cpu_count) */
    enum guest_cpus cpus_mode;      /* not given: shared on every unpinned CPU */
    unsigned cpu_count;             /* entries in cpus[]; 0 with CPUS_SHARED: any */
    uint16_t cpus[CONFIG_MAX_GUEST_CPUS];   /* physical CPU indices, distinct */
    unsigned cpus_line;             /* line of cpus = (0: not given) */
    unsigned weight;                /* shared CPUs: 1..65535, default 256 */
    unsigned passthrough_count;
    struct io_range passthrough[CONFIG_MAX_PASSTHROUGH];
    bool management;                /* may use the management hypercalls */

    bool has_serial;                /* false: serial = none */
    uint16_t serial_port;           /* base of CONFIG_SERIAL_PORTS ports */
    enum guest_on_stop on_stop;
    enum guest_on_reboot on_reboot;
    bool has_debug_exit;
    uint16_t debug_exit_port;       /* writing v stops the guest with status v */
    /* An access to guest-physical memory that nothing backs stops the
     * guest; otherwise reads give all ones and writes vanish, as on a PC. */
    bool strict_memory;
};

struct hv_config {
    enum on_idle on_idle;   /* what to do when nothing is left to run */
    bool test_exits;        /* emulator test exits allowed (CI images only) */
    uint32_t slice_us;      /* time slice on shared CPUs, microseconds */

    /* [guest NAME] sections in file order; invalid ones are kept (with
     * valid = false) so the core can name them while starting the others. */
    unsigned guest_count;
    struct guest_config guests[CONFIG_MAX_GUESTS];
};

/* Called once per problem with a complete message ("hv.cfg:3: ..."). */
typedef void (*config_err_fn)(void *ctx, const char *msg);

/* Defaults: on_idle = poweroff, test_exits = no, no guests. */
void config_defaults(struct hv_config *cfg);

/* Parse `len` bytes of `text`. Returns the number of errors; on errors the
 * [hypervisor] fields that parsed cleanly are still set and the others keep
 * defaults, and a guest section with any error has valid = false. The guest
 * list is replaced. */
int config_parse(const char *text, size_t len, const char *filename,
                 struct hv_config *cfg, config_err_fn err, void *ctx);

/*
 * Checks that need the machine: CPU indices below `ncpus`, the sum of the
 * valid guests' memory within `mem_bytes`, and a shared guest with at
 * least one CPU left to run on. A guest that fails gets valid = false and
 * one message per problem, naming its line ("hv.cfg:12: [guest b]: ...").
 * Returns the number of problems. Conflicts between guests (two pinned
 * guests on one CPU, one port range in two guests, two management guests)
 * are already caught by config_parse, at the later line.
 */
int config_validate(struct hv_config *cfg, const char *filename, unsigned ncpus,
                    uint64_t mem_bytes, config_err_fn err, void *ctx);

const char *config_on_idle_name(enum on_idle v);
const char *config_format_name(enum guest_format f);

enum config_num {
    CONFIG_NUM_OK = 0,
    CONFIG_NUM_SYNTAX,      /* not a number / not a size */
    CONFIG_NUM_OVERFLOW,    /* does not fit in 64 bits */
};

/* A number: decimal or 0x-prefixed hexadecimal, no sign. */
enum config_num config_parse_number(const char *s, size_t len, uint64_t *out);

/* A size: a number, optionally followed by K, M or G (binary units, either
 * case). "1.5G", "-1" and "12Q" are not sizes. */
enum config_num config_parse_size(const char *s, size_t len, uint64_t *out);

#endif
