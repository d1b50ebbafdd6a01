#!/bin/bash
# The UEFI loader path on a firmware with ACPI (OVMF in QEMU TCG): hvboot
# loads the core and configuration from the ESP, passes the RSDP and the
# memory map; the core starts both CPUs and powers off through ACPI.
. "$(dirname "$0")/lib.sh"
boot --emulator qemu-tcg --firmware uefi --disk "$BUILD/esp.img" --cpus 2 --timeout 180
expect "^hvboot: " "UEFI loader ran"
expect "^boot: UEFI path" "core entered from the UEFI loader"
expect "^boot: [0-9]+ memory ranges, [1-9][0-9]* modules, RSDP 0x[1-9a-f]" "loader passed the RSDP and modules"
expect "^config: .*hv.cfg: on_idle=poweroff" "configuration read from the ESP"
expect "^acpi: MADT: 2 CPUs" "MADT through the loader's RSDP"
expect "^smp: 2 of 2 CPUs online" "both CPUs online"
expect "^power: ACPI S5" "ACPI power-off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "QEMU exited by the ACPI power-off"
finish
