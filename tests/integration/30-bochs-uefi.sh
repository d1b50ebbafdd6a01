#!/bin/bash
# Bochs with VMX, OVMF + ESP image: the UEFI loader path. OVMF in Bochs
# installs no ACPI tables, so the core must say so, run on one CPU, measure
# its TSC with the PIT, and end through the test exit the test
# configuration allows.
. "$(dirname "$0")/lib.sh"
boot --emulator bochs --firmware uefi --disk "$BUILD/esp-test.img" --cpus 1 --timeout 300
expect "^hvboot: " "UEFI loader ran"
expect "^boot: UEFI path" "core entered from the UEFI loader"
expect "^acpi: no RSDP" "missing ACPI reported"
expect "^smp: no MADT: running on the boot CPU only" "one CPU without MADT"
expect "^tsc: 50\.000 MHz \(measured with the PIT; CPUID 0x16 says 3500\.000 MHz" \
    "no PM timer or HPET: the TSC measured with the PIT (Bochs: 50 MHz), not CPUID's 3.5 GHz"
expect "^vmx: cpu0 apic 0: VMX on" "cpu0 in VMX root"
expect "^smp: 1 of 1 CPUs online, 1 in VMX root" "summary line"
expect "^power: test exit \(status 0\)" "test exit used"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "Bochs ended by the test exit"
finish
