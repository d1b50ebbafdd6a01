/*
 * A guest's accesses to guest-physical addresses with nothing behind them
 * (neither its RAM nor a device that claims them): they read as all ones
 * and writes vanish, as on a PC (exit/ept.c emulates them). This is the
 * record kept of them per guest (vm/unbacked.c, pure; struct guest holds
 * one, vm/guest.c logs and shows it): how many, and which ranges were
 * already reported, so that each range is logged once.
 *
 * A range is a naturally aligned 1 MiB of guest-physical space: a probe
 * that walks a region page by page gets one line, while the holes an OS
 * usually probes (the IOAPIC at 0xfec00000, the HPET at 0xfed00000, the
 * local APIC at 0xfee00000, a PCI BAR) each get their own. The first
 * UNBACKED_MAX_RANGES ranges are logged; after them one line says that
 * further ones are only counted. Like its exit counts, the record covers
 * every instance of the guest: a re-created guest is not logged again for
 * the ranges its earlier instances touched.
 */
#ifndef HV_UNBACKED_H
#define HV_UNBACKED_H

#include <hv/compiler.h>

#define UNBACKED_RANGE_SIZE  MiB(1)
#define UNBACKED_MAX_RANGES  16
/* Guest pages backed by the scratch page (an EPT violation during event
 * delivery, exit/ept.c): beyond this many the guest is stopped, so that a
 * guest cannot make the hypervisor build EPT tables without end. */
#define UNBACKED_MAX_SCRATCH 16

struct unbacked {
    uint64_t accesses;              /* reads and writes emulated, in all */
    uint64_t scratch_pages;         /* guest pages mapped to the scratch page */
    unsigned range_count;           /* ranges reported (up to UNBACKED_MAX_RANGES) */
    uint64_t ranges[UNBACKED_MAX_RANGES];   /* their bases */
    bool more_said;                 /* "further ranges are only counted" said */
};

enum unbacked_note {
    UNBACKED_NEW_RANGE = 0,         /* first access in this range: log it */
    UNBACKED_SEEN,                  /* its range was logged already */
    UNBACKED_TABLE_FULL,            /* a new range, and the table just filled: say so once */
    UNBACKED_QUIET,                 /* a new range, nothing more to say */
};

/* The base of gpa's range. */
uint64_t unbacked_range(uint64_t gpa);

/* Count one access at gpa and say whether to log it. */
enum unbacked_note unbacked_note(struct unbacked *u, uint64_t gpa);

/* Back to nothing seen (the counters too). */
void unbacked_clear(struct unbacked *u);

#endif
