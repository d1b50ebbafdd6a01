/* The core's own page tables (replacing the boot ones from core/entry.asm). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <hv/compiler.h>

struct boot_info;

/* Identity-map all physical memory the machine reports (at least 4 GiB)
 * and the core's high half; switch CR3. Needs mm_init. */
void paging_init(const struct boot_info *bi);

#endif
