/*
 * Private to config/: the parser's state and the helpers its files share
 * (config/parse.c lines and sections, config/guest.c [guest NAME]
 * sections, config/values.c per-key values, config/resources.c CPUs,
 * ports and the management role). Pure logic, like the rest of config/.
 */
#ifndef CONFIG_INTERNAL_H
#define CONFIG_INTERNAL_H

#include <hv/config.h>
#include <hv/string.h>
#include <stdarg.h>

#define LINE_MAX_LEN 512

/* Keys of a [guest NAME] section (module and passthrough_io, repeatable,
 * are not tracked here). */
enum gkey {
    GK_KERNEL, GK_FORMAT, GK_LOAD_ADDRESS, GK_ENTRY, GK_CMDLINE, GK_MEMORY,
    GK_CPUS, GK_SERIAL, GK_DEBUG_EXIT, GK_ON_STOP, GK_VCPUS, GK_WEIGHT, GK_MANAGEMENT,
    GK_STRICT_MEMORY, GK_INITRD, GK_ON_REBOOT,
    GK_COUNT,
};

struct parser {
    const char *file;
    unsigned line;
    int errors;
    config_err_fn err;
    void *ctx;
    struct hv_config *cfg;
    enum { SEC_NONE, SEC_HYPERVISOR, SEC_GUEST, SEC_UNKNOWN } section;
    /* SEC_GUEST: the open section, where each key was set (0: not set),
     * and which keys had bad values (so the checks at the end of the
     * section do not pile consequences onto an error already reported). */
    struct guest_config *guest;
    unsigned key_line[GK_COUNT];
    unsigned key_bad;
    /* Which guest (index + 1; 0: none) pinned each CPU, and on which line;
     * and the first guest that listed it in cpus = shared ... */
    struct {
        uint8_t guest;
        unsigned line;
    } cpu_owner[CONFIG_CPU_LIMIT], cpu_shared[CONFIG_CPU_LIMIT];
    /* The management guest (index + 1; 0: none yet) and its line. */
    uint8_t mgmt_guest;
    unsigned mgmt_line;
};

STATIC_ASSERT(CONFIG_MAX_GUESTS < 256, "cpu_owner.guest is a uint8_t");
STATIC_ASSERT(CONFIG_MAX_GUEST_CPUS <= CONFIG_MAX_VCPUS, "a pinned guest has a vCPU per CPU");

/* "[guest NAME]" in messages ("[guest]" when the name was missing). */
#define GUEST_FMT "[guest%s%s]"
#define GUEST_ARGS(g) ((g)->name[0] ? " " : ""), (g)->name

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Trim in place: returns the start, writes the new length. */
static inline const char *trim(const char *s, size_t *len)
{
    while (*len && is_space(*s))
        s++, (*len)--;
    while (*len && is_space(s[*len - 1]))
        (*len)--;
    return s;
}

static inline bool token_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* config/parse.c: messages. Each report counts an error and, inside a
 * guest section, marks that guest invalid. */
void __printf(5, 0) cfg_format_msg(char *msg, size_t size, const char *file, unsigned line,
                                   const char *fmt, va_list ap);
void __printf(2, 3) cfg_report(struct parser *p, const char *fmt, ...);
void __printf(3, 4) cfg_report_at(struct parser *p, unsigned line, const char *fmt, ...);

/* config/guest.c: a [guest NAME] section from its header to its end. */
void cfg_guest_begin(struct parser *p, struct hv_config *cfg, const char *hdr, size_t hn,
                     const char *name, size_t nn);
void cfg_guest_key(struct parser *p, const char *k, size_t kn, const char *v, size_t vn);
void cfg_guest_end(struct parser *p);

/* config/values.c: one value each; false (reported) when it is refused. */
bool cfg_parse_bool(const char *v, size_t n, bool *out);
enum config_num cfg_parse_span(const char *s, size_t n, uint64_t max, uint64_t *lo,
                               uint64_t *hi, const char **bad, size_t *badn);
bool cfg_copy_value(struct parser *p, const char *key, const char *what, char *dst,
                    size_t size, const char *v, size_t vn);
bool cfg_number_value(struct parser *p, const char *key, const char *v, size_t vn,
                      uint64_t *out);
bool cfg_port_value(struct parser *p, const char *key, const char *v, size_t vn,
                    unsigned count, bool *has, uint16_t *port);
bool cfg_memory_value(struct parser *p, struct guest_config *g, const char *v, size_t vn);
bool cfg_entry_value(struct parser *p, struct guest_config *g, const char *v, size_t vn);
bool cfg_range_value(struct parser *p, const char *key, const char *v, size_t vn,
                     uint64_t min, uint64_t max, unsigned *out);
bool cfg_module_value(struct parser *p, const char *v, size_t vn);

/* config/resources.c: what a guest takes of the machine (CPUs, real I/O
 * ports, the management role), checked against the guests before it, and
 * the checks of those settings that wait for the end of the section. */
bool cfg_cpus_value(struct parser *p, const char *v, size_t vn);
bool cfg_passthrough_value(struct parser *p, const char *v, size_t vn);
bool cfg_management_value(struct parser *p, const char *v, size_t vn);
void cfg_passthrough_end(struct parser *p);
/* serial and debug_exit on a port of a device every guest has. */
void cfg_platform_ports_end(struct parser *p);
void cfg_cpus_end(struct parser *p);

#endif
