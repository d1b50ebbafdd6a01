#!/bin/bash
# Bochs with VMX, BIOS + GRUB ISO: the multiboot2 path reaches VMX root on
# the one CPU and the machine switches itself off through ACPI S5 (the
# default configuration: no test exits).
. "$(dirname "$0")/lib.sh"
boot --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 1 --timeout 300
expect "^boot: multiboot2 path" "booted through multiboot2"
expect "^acpi: MADT: 1 CPU" "MADT read"
expect "^vmx: cpu0 apic 0: VMX on" "cpu0 in VMX root"
expect "^vmx: features: EPT\\(" "feature summary with EPT"
expect "^smp: 1 of 1 CPUs online, 1 in VMX root" "summary line"
expect "^bench: all CPUs in VMX root" "boot benchmark line"
expect "^power: ACPI S5" "ACPI power-off requested"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "Bochs ended by the ACPI power-off"
finish
