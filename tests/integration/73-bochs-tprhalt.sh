#!/bin/bash
# CR8 is the guest's own task priority (tests/guests/tprhalt.cfg, two
# 64-bit guests sharing one CPU): "tpr" checks that CR8 = 3 lets its
# timer's vector 0x40 through, CR8 = 4 holds it back until CR8 drops, and
# that CR8 and the x2APIC TPR MSR are one register; then it sets CR8 = 15
# and halts with interrupts on and nothing armed. Its neighbour "heart"
# must keep its heartbeat (20 APIC timer ticks waking HLT, none more than
# 10 periods late, most of them after that halt; then 3 ticks 30 ms apart,
# longer than the host's tick, so that the CPU halts until its timer
# interrupt, which a TPR of 15 in the real APIC would block for good) and
# stop with 0; "tpr" is stopped as hung, so hvrun says 4; the machine
# powers off.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/tprhalt.cfg" --emulator bochs --cpus 1 --timeout 240 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "CR8 = 3 lets the timer's vector 0x40 through" "CR8 = 4 holds vector 0x40 back" \
         "lowering CR8 to 0 delivers the held-back interrupt at once" \
         "CR8 = 6 reads as TPR 0x60 through the x2APIC MSR" \
         "TPR 0x90 written through the x2APIC MSR reads as CR8 = 9" "CR8 = 15 reads back"; do
    expect "^\[tpr\] ok: $c" "tpr: $c"
done
expect "^\[tpr\] CR8 = 15: halting with interrupts enabled" "tpr halted with CR8 = 15"
expect "^guest tpr stopped: halted with no interrupt source left \(status 0\)" "tpr stopped as hung, alone"
expect "^\[heart\] ok: 20 ticks, none more than 10 periods late" "heart kept its heartbeat"
expect "^\[heart\] ok: 3 ticks 30 ms apart \(the CPU halts between them\), none more than a period late" \
    "heart's slow ticks woke its halted CPU"
halt=$(grep -nm1 '^\[tpr\] CR8 = 15: halting' "$LOG.txt" | cut -d: -f1)
after=$(awk -v h="${halt:-999999999}" 'NR > h && /^\[heart\] tick [0-9]+:/ { n++ } END { print n + 0 }' "$LOG.txt")
if [ -n "$halt" ] && [ "$after" -ge 10 ]; then
    echo "  ok: heart ticked $after times after tpr halted with CR8 = 15"
else
    echo "  MISSING: heart ticks after tpr's halt with CR8 = 15 (${after:-0} after line ${halt:-?})"; bad=1
fi
expect "^guest heart stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "heart stopped with 0"
reject "FAIL" "no check failed"
expect "^hv: every guest has stopped" "every guest stopped"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 4 "hvrun: tpr hung (never woke), nothing failed"
finish
