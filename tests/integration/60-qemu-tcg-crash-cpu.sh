#!/bin/bash
# crash_cpu=1: the AP executes an invalid instruction after bring-up. The
# exception handler prints the dump with the CPU number and stops that CPU
# alone; the boot CPU carries on and powers the machine off.
. "$(dirname "$0")/lib.sh"
boot --emulator qemu-tcg --firmware bios --iso "$BUILD/hv-crash.iso" --cpus 2 --timeout 120
expect "^cpu1: crash_cpu=1: executing an invalid instruction" "the crash was requested"
expect "^EXCEPTION #UD invalid opcode \(vector 6\) on cpu1 \(apic 1\)" "exception named with its CPU"
expect "^  RIP [0-9a-f]{16}  CS 0008" "register dump"
expect "^  CR0 [0-9a-f]{16}  CR2" "control registers dumped"
expect "^cpu1 stopped" "only that CPU stopped"
expect "^smp: 1 of 2 CPUs online" "the other CPU carried on"
expect "^power: ACPI S5" "clean power-off"
expect_rc 0 "QEMU exited by the ACPI power-off"
finish
