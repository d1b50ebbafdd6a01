/*
 * Where a guest's RAM sits in its guest-physical space: a PC-like map.
 * RAM starts at 0 and runs up to 3 GiB at most; the last GiB below 4 GiB
 * is the hole where a PC has its PCI devices, IOAPIC and local APIC (the
 * xAPIC page at 0xfee00000 must never be RAM, or its accesses would not
 * trap); the rest of the RAM continues at 4 GiB. The host block is one
 * contiguous allocation of ram_size bytes: low RAM first, then high RAM.
 * Pure logic (unit-tested in tests/unit/test_guest_layout.c).
 */
#ifndef HV_GUEST_LAYOUT_H
#define HV_GUEST_LAYOUT_H

#include <hv/compiler.h>

#define GUEST_LOW_RAM_END   0xc0000000ULL   /* 3 GiB */
#define GUEST_HIGH_RAM_BASE 0x100000000ULL  /* 4 GiB */

/* A multiboot guest starts with this GDT loaded: null, flat 32-bit code
 * (selector 0x08) and data (0x10), the layout GRUB leaves. Multiboot lets
 * the loader leave GDTR undefined, but kernels that take an exception
 * before loading their own need a valid one. It sits at the start of the
 * 0x9fc00-0xfffff range the guest's memory map reserves. */
#define GUEST_BOOT_GDT      0x9fc00ULL
#define GUEST_BOOT_GDT_SIZE 24

struct guest_ram_region {
    uint64_t gpa;       /* guest-physical start */
    uint64_t size;
    uint64_t offset;    /* into the host block */
};

/* The one or two RAM regions of a guest with ram_size bytes. */
unsigned guest_ram_layout(uint64_t ram_size, struct guest_ram_region out[2]);

/* The end of the highest RAM region (the guest-physical size to check
 * ranges against). */
uint64_t guest_ram_end(uint64_t ram_size);

/* Offset into the host block of [gpa, gpa + len) when it is RAM in one
 * region; false when any byte of it is not RAM (or len is 0). */
bool guest_ram_offset(uint64_t ram_size, uint64_t gpa, uint64_t len, uint64_t *offset);

#endif
