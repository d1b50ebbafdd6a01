#!/bin/bash
# A VM entry the CPU refuses: break_guest_state=realmode gives that guest
# CR0.PG without CR0.PE before its first entry. The failure is reported
# with the exit reason and the guest state, that guest alone stops, and the
# other guest runs to the end.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/hello.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --cmdline "break_guest_state=realmode" --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest realmode: break_guest_state: setting CR0.PG with CR0.PE clear" "state broken on request"
expect "^\[realmode\] VM entry failed: invalid guest state" "entry failure named"
expect "^  exit reason 33, " "failed-entry exit reason"
expect "^  CR0 0x8000003[0-9a-f] CR3 0 CR4 0x[0-9a-f]+ EFER 0" "the offending guest state"
expect "^guest realmode stopped: VM entry failed: invalid guest state .*\(status 255\)" "that guest stopped"
expect "^\[hello\] all checks done" "the other guest ran to the end"
expect "^guest hello stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "the other guest stopped with 0"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 1 "hvrun reports the failed guest"
finish
