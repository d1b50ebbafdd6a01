#!/bin/bash
# A multiboot kernel that takes a #GP before it loads a GDT of its own
# (tests/guests/earlygp.cfg): its IDT gates use the CS it was started
# with; the #GP reaches the handler instead of triple-faulting on a GDTR
# of limit 0. The GDT it finds covers its CS, DS and SS, holds flat 4 GiB
# segments, lies in memory the multiboot map reserves, and its selectors
# load again.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/earlygp.cfg" --emulator bochs --cpus 1 --timeout 240 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "a #GP before loading a GDT reached its handler" \
         "GDTR covers the CS, DS and SS selectors it started with" \
         "CS is a flat 4 GiB 32-bit code segment" "DS and SS are flat 4 GiB data segments" \
         "the GDT lies in memory the multiboot memory map reserves" \
         "DS, ES, SS and CS load again from that GDT"; do
    expect "^\[earlygp\] ok: $c" "$c"
done
expect "^\[earlygp\] early #GP checks done" "all checks ran"
reject "FAIL" "no check failed"
reject "^guest earlygp stopped: triple fault" "no triple fault"
expect "^guest earlygp stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "stopped with 0"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 0 "hvrun: the guest stopped with status 0"
finish
