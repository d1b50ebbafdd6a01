#!/bin/bash
# crash_guest=doomed: the CPU running guest doomed faults in the
# hypervisor (a diagnostic, Bochs with 2 CPUs). The exception stops that
# CPU and the guest that ran there; the guest on the other CPU runs to its
# end and on_idle still powers the machine off.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/hostfault.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG" --cmdline "crash_guest=doomed"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^cpu1: crash_guest=doomed: executing an invalid instruction" "the fault was requested"
expect "^EXCEPTION #UD invalid opcode \(vector 6\) on cpu1 \(apic 1\)" "exception named with its CPU"
expect "^cpu1 stopped" "that CPU stopped"
expect "^guest doomed stopped: the hypervisor faulted on cpu1 while it ran vCPU 0 \(status 255\)" \
    "the guest on the lost CPU is stopped and says why"
expect "^\[steady\] tick 4$" "the other guest ran on"
expect "^guest steady stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "and ended cleanly"
expect "^hv: every guest has stopped; on_idle = poweroff" "on_idle still came"
expect "^power: ACPI S5" "powered off"
expect_rc 1 "hvrun: one guest ended with a non-zero status"
finish
