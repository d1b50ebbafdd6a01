#!/bin/bash
# Guest life cycle in Bochs (2 CPUs): one guest triple-faults and is
# stopped alone with a dump; the other stops itself through the stop
# hypercall with status 0; then on_idle powers the machine off.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/lifecycle.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^\[crasher\] loading an empty IDT and raising an exception" "crasher ran"
expect "^\[crasher\] triple fault" "triple fault reported with a dump"
expect "^guest crasher stopped: triple fault \(exit reason 2\) \(status 255\)" "crasher stopped alone"
expect "^\[quitter\] stopping through the stop hypercall" "quitter ran"
expect "^guest quitter stopped: stop hypercall \(status 0\)" "stop hypercall with its status"
reject "FAIL" "neither kept running"
expect "^hv: every guest has stopped; on_idle = poweroff" "on_idle after both"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 1 "hvrun reports the crashed guest"
finish
