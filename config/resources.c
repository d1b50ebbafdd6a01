/*
 * Configuration parser, part 4: what a guest takes of the machine: CPUs
 * (pinned to one guest or shared), real I/O ports (one guest each) and
 * the management role (one guest); a clash is reported at the later line
 * and the earlier guest keeps what it has. Pure logic.
 */
#include "internal.h"
#include <hv/fmt.h>
#include <hv/string.h>
#include <hv/acpi_tables.h>

/* Ports the hypervisor keeps for itself: passthrough_io may not hand them
 * to a guest. The 8259 pair is virtualised per guest (the core remaps the
 * real one); PCI configuration access through 0xcf8/0xcfc reaches every
 * device of the machine, not just one guest's; COM1 is the operator
 * console (a guest owning it would read what the operator types); 0x92
 * and 0xcf9 reset the whole machine. The ACPI PM ports, known only from
 * the FADT, are checked when the guest is created (guest/lifecycle.c). */
struct named_ports {
    uint16_t first, last;
    const char *what;
};

static const struct named_ports reserved_ports[] = {
    { 0x20, 0x21, "the master PIC" },
    { 0xa0, 0xa1, "the slave PIC" },
    { 0xcf8, 0xcff, "PCI configuration space" },
    { 0x3f8, 0x3ff, "COM1, the operator console" },
    { 0x92, 0x92, "system control port A (fast reset)" },
};

/* The ports of the devices every guest has (dm/models.c, docs/devices.md):
 * its UART (serial) and its test-exit port (debug_exit) may not sit on
 * them, or the guest could not be built. */
static const struct named_ports platform_ports[] = {
    { 0x20, 0x21, "the master 8259" },
    { 0x40, 0x43, "the 8254 timer" },
    { 0x61, 0x61, "the timer's port 0x61" },
    { 0x64, 0x64, "the keyboard controller's command port" },
    { 0x70, 0x71, "the CMOS clock" },
    { 0xa0, 0xa1, "the slave 8259" },
    { 0x4d0, 0x4d1, "the 8259's edge/level control" },
    { ACPI_TABLES_PVPANIC_PORT, ACPI_TABLES_PVPANIC_PORT, "the pvpanic port" },
    { ACPI_TABLES_PM1A_EVT, ACPI_TABLES_PM_TMR + ACPI_TABLES_PM_TMR_LEN - 1, "the ACPI PM registers" },
    { 0xcf8, 0xcff, "PCI configuration space" },
};

/* "port 0x80" or "ports 0x2f8-0x2ff", and the verb that goes with it. */
static void ports_name(char *buf, size_t len, unsigned first, unsigned last)
{
    if (first == last)
        hv_snprintf(buf, len, "port 0x%x", first);
    else
        hv_snprintf(buf, len, "ports 0x%x-0x%x", first, last);
}

static const char *overlap_verb(unsigned first, unsigned last)
{
    return first == last ? "overlaps" : "overlap";
}

/* "0x80" or "0x2f8-0x2ff". */
static void span_name(char *buf, size_t len, unsigned first, unsigned last)
{
    if (first == last)
        hv_snprintf(buf, len, "0x%x", first);
    else
        hv_snprintf(buf, len, "0x%x-0x%x", first, last);
}

static bool spans_overlap(unsigned a0, unsigned a1, unsigned b0, unsigned b1)
{
    return a0 <= b1 && b0 <= a1;
}

/* A guest's passed-through ports against its own virtual devices: serial
 * and debug_exit may come after passthrough_io, so this waits for the end
 * of the section; reported at the later of the two lines. */
void cfg_passthrough_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;
    char a[40], b[40];

    for (unsigned i = 0; i < g->passthrough_count; i++) {
        const struct io_range *r = &g->passthrough[i];

        ports_name(a, sizeof(a), r->first, r->last);
        if (!(p->key_bad & BIT(GK_SERIAL)) && g->has_serial &&
            spans_overlap(r->first, r->last, g->serial_port,
                          g->serial_port + CONFIG_SERIAL_PORTS - 1)) {
            unsigned last = g->serial_port + CONFIG_SERIAL_PORTS - 1;
            span_name(b, sizeof(b), r->first, r->last);
            if (kl[GK_SERIAL] > r->line)
                cfg_report_at(p, kl[GK_SERIAL],
                              "serial: ports 0x%x-0x%x overlap passthrough_io %s (line %u)",
                              g->serial_port, last, b, r->line);
            else if (kl[GK_SERIAL])
                cfg_report_at(p, r->line, "passthrough_io: %s %s serial 0x%x-0x%x (line %u)", a,
                              overlap_verb(r->first, r->last), g->serial_port, last,
                              kl[GK_SERIAL]);
            else
                cfg_report_at(p, r->line,
                              "passthrough_io: %s %s serial 0x%x-0x%x (the default)", a,
                              overlap_verb(r->first, r->last), g->serial_port, last);
        }
        if (!(p->key_bad & BIT(GK_DEBUG_EXIT)) && g->has_debug_exit &&
            g->debug_exit_port >= r->first && g->debug_exit_port <= r->last) {
            span_name(b, sizeof(b), r->first, r->last);
            if (kl[GK_DEBUG_EXIT] > r->line)
                cfg_report_at(p, kl[GK_DEBUG_EXIT],
                              "debug_exit: port 0x%x overlaps passthrough_io %s (line %u)",
                              g->debug_exit_port, b, r->line);
            else
                cfg_report_at(p, r->line, "passthrough_io: %s %s debug_exit 0x%x (line %u)", a,
                              overlap_verb(r->first, r->last), g->debug_exit_port,
                              kl[GK_DEBUG_EXIT]);
        }
    }
}

/* serial and debug_exit against the devices every guest has. */
void cfg_platform_ports_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;
    char b[40];

    for (size_t i = 0; i < ARRAY_SIZE(platform_ports); i++) {
        unsigned first = platform_ports[i].first, last = platform_ports[i].last;
        span_name(b, sizeof(b), first, last);
        if (!(p->key_bad & BIT(GK_SERIAL)) && g->has_serial && kl[GK_SERIAL] &&
            spans_overlap(g->serial_port, g->serial_port + CONFIG_SERIAL_PORTS - 1, first, last))
            cfg_report_at(p, kl[GK_SERIAL], "serial: ports 0x%x-0x%x overlap %s (%s), "
                          "a device every guest has", g->serial_port,
                          g->serial_port + CONFIG_SERIAL_PORTS - 1, b, platform_ports[i].what);
        if (!(p->key_bad & BIT(GK_DEBUG_EXIT)) && g->has_debug_exit &&
            g->debug_exit_port >= first && g->debug_exit_port <= last)
            cfg_report_at(p, kl[GK_DEBUG_EXIT], "debug_exit: port 0x%x overlaps %s (%s), "
                          "a device every guest has", g->debug_exit_port, b,
                          platform_ports[i].what);
    }
}

/* vcpus and weight against the placement chosen by cpus; key order is
 * free, so this waits for the end of the section. */
void cfg_cpus_end(struct parser *p)
{
    struct guest_config *g = p->guest;
    const unsigned *kl = p->key_line;

    if (p->key_bad & BIT(GK_CPUS) || g->cpus_mode != CPUS_PINNED)
        return;
    if (!kl[GK_VCPUS])
        g->vcpus = g->cpu_count;
    else if (!(p->key_bad & BIT(GK_VCPUS)) && g->vcpus != g->cpu_count)
        cfg_report_at(p, kl[GK_VCPUS],
                      "vcpus: %u does not match the %u CPU%s pinned at line %u; pinned guests "
                      "run one vCPU per listed CPU", g->vcpus, g->cpu_count,
                      g->cpu_count == 1 ? "" : "s", kl[GK_CPUS]);
    if (kl[GK_WEIGHT] && !(p->key_bad & BIT(GK_WEIGHT)))
        cfg_report_at(p, kl[GK_WEIGHT],
                      "weight: applies to shared CPUs only; this guest is pinned (cpus at line %u)",
                      kl[GK_CPUS]);
}

/* May this guest take `cpu` (pinned or shared)? Pinned CPUs belong to one
 * guest only and are listed in no shared list; shared lists may overlap. */
static bool cpu_free(struct parser *p, unsigned cpu, bool shared)
{
    const struct guest_config *o;

    if (p->cpu_owner[cpu].guest) {
        o = &p->cfg->guests[p->cpu_owner[cpu].guest - 1];
        if (shared)
            cfg_report(p, "cpus: CPU %u is pinned by guest '%s' (line %u) and cannot be shared",
                       cpu, o->name, p->cpu_owner[cpu].line);
        else
            cfg_report(p, "cpus: CPU %u is already given to guest '%s' (line %u)", cpu, o->name,
                       p->cpu_owner[cpu].line);
        return false;
    }
    if (!shared && p->cpu_shared[cpu].guest) {
        o = &p->cfg->guests[p->cpu_shared[cpu].guest - 1];
        cfg_report(p, "cpus: CPU %u is shared by guest '%s' (line %u) and cannot be pinned", cpu,
                   o->name, p->cpu_shared[cpu].line);
        return false;
    }
    return true;
}

/* "2,3", "0-1,4" (pinned), "shared", "shared 1,2" or "shared 0-3". */
bool cfg_cpus_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    uint16_t list[CONFIG_MAX_GUEST_CPUS];
    unsigned count = 0;
    bool shared = false;
    const char *l = v;
    size_t ln = vn, pos = 0;
    uint8_t self = (uint8_t)(g - p->cfg->guests + 1);

    if (vn >= 6 && memcmp(v, "shared", 6) == 0 && (vn == 6 || is_space(v[6]))) {
        shared = true;
        ln = vn - 6;
        l = trim(v + 6, &ln);
    }
    while (ln) {
        size_t end = pos;
        while (end < ln && l[end] != ',')
            end++;
        size_t in = end - pos;
        const char *item = trim(l + pos, &in), *bad = item;
        size_t badn = in;
        uint64_t lo, hi;
        enum config_num r = cfg_parse_span(item, in, CONFIG_CPU_LIMIT - 1, &lo, &hi, &bad, &badn);

        if (r == CONFIG_NUM_SYNTAX) {
            cfg_report(p, "cpus: '%.*s' is not shared or a list of CPUs and ranges (0-1,4)",
                       (int)vn, v);
            return false;
        }
        if (r == CONFIG_NUM_OVERFLOW) {
            cfg_report(p, "cpus: CPU '%.*s' is above the highest index %d", (int)badn, bad,
                       CONFIG_CPU_LIMIT - 1);
            return false;
        }
        if (lo > hi) {
            cfg_report(p, "cpus: range '%.*s' runs backwards", (int)in, item);
            return false;
        }
        for (unsigned cpu = (unsigned)lo; cpu <= hi; cpu++) {
            for (unsigned i = 0; i < count; i++) {
                if (list[i] == cpu) {
                    cfg_report(p, "cpus: CPU %u is listed twice", cpu);
                    return false;
                }
            }
            if (count == CONFIG_MAX_GUEST_CPUS) {
                cfg_report(p, "cpus: more than %d CPUs", CONFIG_MAX_GUEST_CPUS);
                return false;
            }
            if (!cpu_free(p, cpu, shared))
                return false;
            list[count++] = (uint16_t)cpu;
        }
        if (end >= ln)
            break;
        pos = end + 1;
    }
    for (unsigned i = 0; i < count; i++) {
        if (!shared) {
            p->cpu_owner[list[i]].guest = self;
            p->cpu_owner[list[i]].line = p->line;
        } else if (!p->cpu_shared[list[i]].guest) {
            p->cpu_shared[list[i]].guest = self;
            p->cpu_shared[list[i]].line = p->line;
        }
        g->cpus[i] = list[i];
    }
    g->cpu_count = count;
    g->cpus_mode = shared ? CPUS_SHARED : CPUS_PINNED;
    g->cpus_line = p->line;
    return true;
}

/* "0x2f8-0x2ff" or "0x80": physical ports handed to this guest. */
bool cfg_passthrough_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    const char *bad = v;
    size_t badn = vn;
    uint64_t lo, hi;
    char a[40], b[40];

    if (g->passthrough_count >= CONFIG_MAX_PASSTHROUGH) {
        cfg_report(p, "passthrough_io: more than %d ranges", CONFIG_MAX_PASSTHROUGH);
        return false;
    }
    enum config_num r = cfg_parse_span(v, vn, 0xffff, &lo, &hi, &bad, &badn);
    if (r == CONFIG_NUM_SYNTAX) {
        cfg_report(p, "passthrough_io: '%.*s' is not a port or a range of ports (0x2f8-0x2ff)",
                   (int)vn, v);
        return false;
    }
    if (r == CONFIG_NUM_OVERFLOW) {
        cfg_report(p, "passthrough_io: '%.*s' is above the last I/O port 0xffff", (int)badn, bad);
        return false;
    }
    if (lo > hi) {
        cfg_report(p, "passthrough_io: range '%.*s' runs backwards", (int)vn, v);
        return false;
    }
    unsigned first = (unsigned)lo, last = (unsigned)hi;
    ports_name(a, sizeof(a), first, last);
    for (size_t i = 0; i < ARRAY_SIZE(reserved_ports); i++) {
        if (spans_overlap(first, last, reserved_ports[i].first, reserved_ports[i].last)) {
            span_name(b, sizeof(b), reserved_ports[i].first, reserved_ports[i].last);
            cfg_report(p, "passthrough_io: %s %s %s (%s), which the hypervisor keeps", a,
                       overlap_verb(first, last), b, reserved_ports[i].what);
            return false;
        }
    }
    for (unsigned i = 0; i < g->passthrough_count; i++) {
        const struct io_range *o = &g->passthrough[i];
        if (spans_overlap(first, last, o->first, o->last)) {
            span_name(b, sizeof(b), o->first, o->last);
            cfg_report(p, "passthrough_io: %s %s %s (line %u)", a, overlap_verb(first, last), b,
                       o->line);
            return false;
        }
    }
    /* A physical port can have one owner: the earlier guest keeps it. */
    for (const struct guest_config *og = p->cfg->guests; og < g; og++) {
        for (unsigned i = 0; i < og->passthrough_count; i++) {
            const struct io_range *o = &og->passthrough[i];
            if (spans_overlap(first, last, o->first, o->last)) {
                span_name(b, sizeof(b), o->first, o->last);
                cfg_report(p, "passthrough_io: %s %s %s, already given to guest '%s' (line %u)",
                           a, overlap_verb(first, last), b, og->name, o->line);
                return false;
            }
        }
    }
    g->passthrough[g->passthrough_count++] =
        (struct io_range){ .first = (uint16_t)first, .last = (uint16_t)last, .line = p->line };
    return true;
}

bool cfg_management_value(struct parser *p, const char *v, size_t vn)
{
    struct guest_config *g = p->guest;
    bool yes;

    if (!cfg_parse_bool(v, vn, &yes)) {
        cfg_report(p, "management: '%.*s' is not yes or no", (int)vn, v);
        return false;
    }
    if (yes && p->mgmt_guest) {
        const struct guest_config *o = &p->cfg->guests[p->mgmt_guest - 1];
        cfg_report(p, "management: guest '%s' is already the management guest (line %u)",
                   o->name, p->mgmt_line);
        return false;
    }
    if (yes) {
        p->mgmt_guest = (uint8_t)(g - p->cfg->guests + 1);
        p->mgmt_line = p->line;
    }
    g->management = yes;
    return true;
}

