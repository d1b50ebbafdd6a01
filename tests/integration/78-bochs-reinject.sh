#!/bin/bash
# Events whose delivery causes a VM exit are delivered all the same
# (tests/guests/reinject.cfg): with its stack in the unbacked hole below
# 4 GiB the guest takes INT 0x41, #UD, #GP(0x1230) and its APIC timer
# interrupt; pushing each frame is an EPT violation, after which the
# hypervisor re-injects the event (IDT-vectoring information) and it
# reaches its handler with the right return address and error code.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/reinject.cfg" --emulator bochs --cpus 1 --timeout 240 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "INT 0x41 with the stack in unbacked memory reached its handler" \
         "INT 0x41: the frame's EIP is the next instruction \(instruction length re-injected\)" \
         "#UD with the stack in unbacked memory reached its handler" \
         "#UD: the frame's EIP is the UD2" \
         "#GP with the stack in unbacked memory reached its handler" \
         "#GP: the frame holds error code 0x1230 and the faulting MOV's EIP" \
         "the APIC timer interrupt with the stack in unbacked memory reached its handler" \
         "APIC timer: the frame's EIP is inside the interrupted loop"; do
    expect "^\[reinject\] ok: $c" "$c"
done
expect "^\[reinject\] re-injection checks done" "all checks ran"
reject "FAIL" "no check failed"
expect "^guest reinject stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "stopped with 0"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 0 "hvrun: the guest stopped with status 0"
finish
