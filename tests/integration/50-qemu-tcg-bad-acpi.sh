#!/bin/bash
# A machine whose firmware tables are partly broken: GRUB's acpi command
# drops the MADT and the real HPET and adds an HPET with a bad checksum
# (tests/fixtures/bad-hpet.aml). The core names the bad table, runs on one
# CPU, calibrates without the HPET and still powers off through ACPI.
. "$(dirname "$0")/lib.sh"
boot --emulator qemu-tcg --firmware bios --iso "$BUILD/hv-badacpi.iso" --cpus 2 --timeout 120
expect "^acpi: HPET at 0x[0-9a-f]+: bad checksum, ignored" "corrupt HPET named and ignored"
expect "^acpi: no HPET" "no usable HPET"
expect "^acpi: no MADT" "missing MADT reported"
expect "^smp: no MADT: running on the boot CPU only" "falls back to one CPU"
expect "^tsc: .*\((CPUID 0x1[56]|ACPI PM timer|PIT)\)" "TSC calibrated without the HPET"
expect "^smp: 1 of 1 CPUs online" "one CPU online"
expect "^power: ACPI S5" "ACPI power-off still works"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "QEMU exited by the ACPI power-off"
finish
