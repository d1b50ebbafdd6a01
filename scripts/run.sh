#!/bin/bash
# make run: boot the default configuration in the best emulator this host
# has, console in the terminal, until the machine powers off.
#   qemu-kvm (nested VMX): UEFI + ESP image, all host CPUs up to 4
#   bochs:                 BIOS + GRUB ISO with 2 CPUs (OVMF in Bochs has
#                          no ACPI, so BIOS gives SMP and ACPI power-off)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
emu=$(scripts/best-emulator.sh)
echo "run: booting in $emu (Ctrl-C stops the emulator)"
case "$emu" in
qemu-kvm)
    exec scripts/boot.sh --emulator qemu-kvm --firmware uefi --disk "$BUILD/esp.img" \
        --cpus "$(nproc | awk '{ print ($1 > 4) ? 4 : $1 }')" --timeout 600 ;;
*)
    exec scripts/boot.sh --emulator bochs --firmware bios --iso "$BUILD/hv.iso" \
        --cpus 2 --timeout 600 ;;
esac
