#!/bin/bash
# The guest's local APIC in Bochs with VMX: ID and version through the
# xAPIC page (EPT violation -> instruction decode -> emulation), the timer
# one-shot waking HLT and periodic, a self IPI, and x2APIC mode by MSR.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/apic.cfg" --emulator bochs --cpus 1 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "APIC ID 0 through the xAPIC page" "APIC version register" \
         "one-shot timer interrupt woke HLT" "periodic timer delivered 3 interrupts" \
         "self IPI delivered" "TSC-deadline timer interrupt woke HLT" \
         "APIC base MSR: APIC disabled" "APIC base MSR: APIC enabled again" \
         "x2APIC ID read by MSR"; do
    expect "^\[apic\] ok: $c" "apic: $c"
done
reject "FAIL" "no check failed"
expect "^guest apic: [0-9]+ exits: .*HLT [0-9]+.*EPT violation [0-9]+" "HLT and APIC-page exits counted"
expect "^guest apic stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "stopped with 0"
expect_rc 0 "hvrun: the guest stopped with status 0"
finish
