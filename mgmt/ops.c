/* Operations on guests shared by the operator console and the management
 * hypercalls (include/hv/mgmt.h). A start waits until every vCPU of the
 * guest has let go of its CPU; the scheduler then re-creates it. */
#include <hv/mgmt.h>
#include <hv/guest.h>
#include <hv/sched.h>
#include <hv/shell.h>
#include "manage.h"

int mgmt_stop(struct guest *g, const char *why)
{
    if (g->state != GUEST_RUNNING)
        return -1;
    guest_stop(g, 0, "%s", why);
    return 0;
}

int mgmt_start(struct guest *g, const char *why)
{
    if (g->state == GUEST_RUNNING)
        return -1;
    g->start_why = why;
    g->start_requested = true;
    schedule_guest_finished(g);
    return 0;
}

void mgmt_restart(struct guest *g, const char *why)
{
    g->start_why = why;
    g->start_requested = true;
    if (mgmt_stop(g, why) != 0)
        schedule_guest_finished(g);     /* it was not running: start it now */
}

void mgmt_init(void)
{
    schedule_set_console_poll(shell_poll);
    manage_init();
}
