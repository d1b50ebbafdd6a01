#!/bin/bash
# Bochs with VMX and 2 CPUs, BIOS + GRUB ISO: the AP starts through
# INIT-SIPI-SIPI and both CPUs reach VMX root.
. "$(dirname "$0")/lib.sh"
boot --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 2 --timeout 600
expect "^acpi: MADT: 2 CPUs" "MADT lists both CPUs"
expect "^cpu1: apic 1 online" "AP online"
expect "^vmx: cpu0 apic 0: VMX on" "BSP in VMX root"
expect "^vmx: cpu1 apic 1: VMX on" "AP in VMX root"
expect "^smp: 2 of 2 CPUs online, 2 in VMX root" "summary line"
reject "EXCEPTION|PANIC|did not start" "no exception, panic or missing CPU"
expect_rc 0 "Bochs ended by the ACPI power-off"
finish
