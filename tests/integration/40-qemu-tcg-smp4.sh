#!/bin/bash
# QEMU TCG (no VMX) with 4 CPUs: all four come online, each says why VMX is
# off, the hypervisor says VT-x is unavailable and powers off via ACPI.
. "$(dirname "$0")/lib.sh"
boot --emulator qemu-tcg --firmware bios --iso "$BUILD/hv.iso" --cpus 4 --timeout 120
expect "^acpi: MADT: 4 CPUs" "MADT lists 4 CPUs"
for i in 1 2 3; do expect "^cpu$i: apic $i online" "cpu$i online"; done
expect "^vmx: cpu0 apic 0: VMX off: this CPU has no VT-x" "no-VT-x reason on cpu0"
expect "^vmx: cpu3 apic 3: VMX off: this CPU has no VT-x" "no-VT-x reason on cpu3"
expect "^smp: 4 of 4 CPUs online, 0 in VMX root" "summary line"
expect "^hv: VT-x is not available on this machine" "clear no-VT-x message"
expect "^power: ACPI S5" "ACPI power-off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "QEMU exited by the ACPI power-off"
finish
