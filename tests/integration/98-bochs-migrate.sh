#!/bin/bash
# Load balancing in Bochs with 2 CPUs: three CPU-bound guests time-shared
# on both CPUs. When b ends, its CPU is idle while two vCPUs queue on the
# other: one of them moves (VMCLEAR on the old CPU, VMPTRLD on the new)
# while its guest runs, and goes on ticking to a clean end.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/migrate.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest b stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "b ended early"
expect "^sched: guest [ac] vCPU 0 moves from cpu[01] to cpu[01]" "a running vCPU migrated"
moved=$(grep -E "^sched: guest [ac] vCPU 0 moves" "$LOG.txt" | head -1 | awk '{print $3}')
if [ -n "$moved" ] && sed -n "/^sched: guest $moved vCPU 0 moves/,\$p" "$LOG.txt" | grep -q "^\[$moved\] tick 5$"; then
    echo "  ok: the moved guest ($moved) kept running on its new CPU"
else
    echo "  MISSING: the moved guest ticking after the move"; bad=1
fi
expect "^guest a stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "a stopped with 0"
expect "^guest c stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "c stopped with 0"
expect "^guest [ac]: [0-9]+ exits: .*VMX-preemption timer expired [0-9]+" "slices ended by the preemption timer"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC|VMCS still active" "no exception, panic or VMCS on two CPUs"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
