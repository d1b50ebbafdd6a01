/* mgmt/ only: plug the management hypercalls in (mgmt/manage.c). */
#ifndef MGMT_MANAGE_H
#define MGMT_MANAGE_H
void manage_init(void);
#endif
