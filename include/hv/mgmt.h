/*
 * Management (mgmt/): what the operator console (mgmt/shell.c) and the
 * management guest's hypercalls (mgmt/manage.c) do to guests, through the
 * same operations (mgmt/ops.c).
 */
#ifndef HV_MGMT_H
#define HV_MGMT_H

struct guest;

/* Stop a running guest (status 0); -1 if it is not running. */
int mgmt_stop(struct guest *g, const char *why);
/* Start a stopped guest again from its images; -1 if it runs. */
int mgmt_start(struct guest *g, const char *why);
/* Stop it if it runs, then start it again from its images. */
void mgmt_restart(struct guest *g, const char *why);

/* Plug the console poll and the management hypercalls in (at start). */
void mgmt_init(void);

#endif
