/* CPU identity and cross-CPU operations, as generic code sees them. */
#ifndef HV_SMP_H
#define HV_SMP_H

#include <hv/compiler.h>

#define MAX_CPUS 64

/* Index of the running CPU (0 = bootstrap processor). */
unsigned smp_cpu_index(void);
/* CPUs that reached the online state. */
unsigned smp_online_count(void);
/* Send every other online CPU to a permanent halt (panic, power-off). */
void smp_stop_others(void);
/* Stop every CPU with a message (arch/x86/smp.c). */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#endif
