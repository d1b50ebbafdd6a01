#!/bin/bash
# Two pinned guests, each checking from inside that the other cannot reach
# it (tests/guests/isolation.cfg). The intruder on CPU 1 sends fixed IPIs,
# NMIs, INIT and SIPI to APIC IDs 0-15, broadcast and the shorthands,
# through the xAPIC page and the x2APIC MSR, writes the victim's
# passthrough CMOS ports, storms the hypervisor with exits and tries the
# management hypercalls. Meanwhile the victim on CPU 0 owns the real
# CMOS/RTC ports (its NVRAM byte reads back and stays), and its periodic
# APIC timer delivers 20 ticks, each within 3 periods of its due time,
# with no foreign interrupt or NMI. Both stop with status 0.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/isolation.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"

for c in "passthrough port reaches the hardware" \
         "20 ticks on time while the intruder storms" \
         "no tick came early \(nothing else raised the timer vector\)" \
         "no foreign interrupts" \
         "passthrough byte untouched by the intruder" \
         "management hypercalls refused"; do
    expect "^\[victim\] ok: $c" "victim: $c"
done
expect "^\[intruder\] xAPIC ICR: [0-9]+ IPIs sent" "intruder: IPIs through the xAPIC ICR"
expect "^\[intruder\] x2APIC ICR MSR: [0-9]+ IPIs sent" "intruder: IPIs through the x2APIC ICR MSR"
for c in "APIC in x2APIC mode, ID 0" \
         "still running after every IPI, NMI, INIT and SIPI" \
         "another guest's passthrough ports are not reachable" \
         "management hypercalls refused"; do
    expect "^\[intruder\] ok: $c" "intruder: $c"
done
expect "^\[intruder\] storm done: [0-9]+ exits" "intruder: exit storm finished"
reject "FAIL" "no check failed"

# The attacks happened while the victim ran: the storm began before the
# victim's last tick and ended before it, with ticks in between.
line() { grep -nm1 -E -- "$1" "$LOG.txt" | cut -d: -f1; }
storm_start=$(line '^\[intruder\] storm started')
storm_done=$(line '^\[intruder\] storm done')
first_tick=$(line '^\[victim\] tick 1:')
last_tick=$(line '^\[victim\] tick 20:')
if [ -n "$storm_start" ] && [ -n "$storm_done" ] && [ -n "$first_tick" ] && [ -n "$last_tick" ] &&
   [ "$storm_done" -lt "$last_tick" ] &&
   awk -v a="$storm_start" -v b="$storm_done" 'NR > a && NR < b && /^\[victim\] tick [0-9]+:/ { n++ }
                                                END { exit !(n > 0) }' "$LOG.txt"; then
    echo "  ok: victim ticked during the storm, which ended before its last tick (lines $storm_start-$storm_done, ticks $first_tick-$last_tick)"
else
    echo "  MISSING: victim ticks interleaved with the storm (storm lines ${storm_start:-?}-${storm_done:-?}, ticks ${first_tick:-?}-${last_tick:-?})"
    bad=1
fi

expect "^guest victim stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "victim stopped with 0"
expect "^guest intruder stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "intruder stopped with 0"
expect "^hv: every guest has stopped" "every guest stopped"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "hypervisor kept running"
expect_rc 0 "hvrun: both guests stopped with status 0"

# Again with the CPUs swapped: the victim's CPU has no host tick, so its
# halts end by the host LAPIC timer in one-shot mode.
LOG=$LOG.swapped
"$ROOT/scripts/hvrun" "$BUILD/guests/isolation-swapped.cfg" --emulator bochs --cpus 2 \
    --timeout 300 --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^\[victim\] ok: 20 ticks on time while the intruder storms" "swapped: victim on time on cpu1"
expect "^\[victim\] ok: no foreign interrupts" "swapped: no foreign interrupts"
reject "FAIL|EXCEPTION|PANIC" "swapped: no check failed"
expect_rc 0 "swapped: both guests stopped with status 0"
finish
