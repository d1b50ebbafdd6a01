/* Fault-injection switches (include/hv/faultinj.h). */
#include <hv/faultinj.h>
#include <hv/cmdline.h>
#include <hv/string.h>

#define NAME_MAX_LEN 32

static int crash_cpu = -1;
static char break_state[NAME_MAX_LEN];
static char crash_guest[NAME_MAX_LEN];

void faultinj_init(const char *cmdline)
{
    uint64_t n;
    if (cmdline_get_uint(cmdline, "crash_cpu", &n) && n < 0x10000)
        crash_cpu = (int)n;
    cmdline_get(cmdline, "break_guest_state", break_state, sizeof(break_state));
    cmdline_get(cmdline, "crash_guest", crash_guest, sizeof(crash_guest));
}

bool faultinj_crash_cpu(unsigned index)
{
    return crash_cpu == (int)index;
}

bool faultinj_break_state(const char *name)
{
    return break_state[0] && strcmp(break_state, name) == 0;
}

bool faultinj_crash_guest(const char *name)
{
    return crash_guest[0] && strcmp(crash_guest, name) == 0;
}
