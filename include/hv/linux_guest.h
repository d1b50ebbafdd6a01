/*
 * A Linux kernel as a guest (guest/linux_guest.c): a bzImage (boot
 * protocol 2.06+, its 64-bit entry where XLF_KERNEL_64 says so) or an ELF
 * vmlinux with the PVH note, its initramfs and command line, the guest's
 * ACPI tables, and the start state vm/vcpu_vmcs.c gives its boot vCPU.
 */
#ifndef HV_LINUX_GUEST_H
#define HV_LINUX_GUEST_H

#include <hv/compiler.h>

struct guest;

struct linux_guest_files {
    const uint8_t *kernel;
    size_t kernel_len;
    const uint8_t *initrd;      /* NULL: none */
    size_t initrd_len;
    const char *cmdline;
};

/* "HdrS" at 0x202: a kernel with the x86 boot protocol's setup header. */
bool linux_image_is_bzimage(const uint8_t *img, size_t len);
/* Load kernel, initramfs, command line, zero page or start_info and ACPI
 * tables into g's RAM and set its entry. false with err naming why. */
bool linux_guest_load(struct guest *g, const struct linux_guest_files *f, char *err,
                      size_t errlen);

#endif
