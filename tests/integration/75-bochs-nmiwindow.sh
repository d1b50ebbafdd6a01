#!/bin/bash
# An NMI that arrives while the vCPU runs its NMI handler is held until
# the handler's IRET and delivered right then, once (tests/guests/
# nmiwindow.cfg, two vCPUs pinned to CPUs 0 and 1): an NMI the boot vCPU
# sends itself from inside its handler, and one it sends the AP, whose
# CPU has nothing else to make it exit, while the AP is in its handler.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/nmiwindow.cfg" --emulator bochs --cpus 2 --timeout 240 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "self: the first NMI arrived" \
         "self: the NMI sent from inside the handler arrived after its IRET" \
         "self: it arrived right after the IRET" "self: no NMI nested inside the handler" \
         "cross-CPU: the AP took the first NMI" \
         "cross-CPU: the NMI sent while the AP was in its handler arrived after its IRET" \
         "cross-CPU: it arrived right after the IRET" \
         "cross-CPU: no NMI nested inside the AP's handler"; do
    expect "^\[nmi\] ok: $c" "$c"
done
expect "^\[nmi\] NMI checks done" "all checks ran"
reject "FAIL" "no check failed"
expect "^guest nmi stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "stopped with 0"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 0 "hvrun: the guest stopped with status 0"
finish
