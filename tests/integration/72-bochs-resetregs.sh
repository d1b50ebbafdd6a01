#!/bin/bash
# A re-created guest starts with every register at its power-on value
# (tests/guests/resetregs.cfg, on_stop = restart): each instance of the
# 64-bit guest checks XMM, the x87 unit, MXCSR, DR0-DR3/DR6/DR7, CR2, CR8,
# XCR0, the syscall MSRs, TSC_AUX, TSC_ADJUST, FS/GS base, SYSENTER_* and
# the 8259 masks; instance 1 then dirties all but the XSAVE-managed
# extended state and triple-faults; instance 2 enables XCR0 (YMM, ZMM and
# opmasks must read 0), dirties everything and crashes; instance 3 checks
# again and stops with 0.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/resetregs.cfg" --emulator bochs --cpus 1 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"

legacy=("XMM0-15" "x87 stack, control, status and tag words" "MXCSR" "DR0-DR3" "DR6" "DR7"
        "CR2" "CR8" "XCR0" "IA32_KERNEL_GS_BASE \(RDMSR\)" "IA32_KERNEL_GS_BASE \(SWAPGS\)"
        "IA32_STAR" "IA32_LSTAR" "IA32_CSTAR" "IA32_FMASK" "IA32_TSC_AUX \(RDMSR\)"
        "IA32_TSC_AUX \(RDTSCP\)" "IA32_TSC_ADJUST" "FS base" "GS base" "SYSENTER_CS/ESP/EIP"
        "8259 masks")
for i in 1 2 3; do
    for c in "${legacy[@]}"; do
        expect "^\[phoenix64\] ok: instance $i: $c at its reset value" "instance $i: $c at reset"
    done
done
for i in 2 3; do
    expect "^\[phoenix64\] ok: instance $i: YMM0-15 upper halves at its reset value" "instance $i: YMM at reset"
    if grep -q "^\[phoenix64\] instance $i: extended state enabled by XSETBV, XCR0 = 0xe7" "$LOG.txt"; then
        for c in "ZMM0-15 upper halves" "ZMM16-31" "opmask k0-k7"; do
            expect "^\[phoenix64\] ok: instance $i: $c at its reset value" "instance $i: $c at reset"
        done
    fi
done
expect "^\[phoenix64\] instance 1: writing the legacy state and the 8259 masks, then crashing" "instance 1 dirtied its registers"
expect "^\[phoenix64\] instance 2: writing everything, XCR0 included, then crashing" "instance 2 dirtied everything"
expect "^guest phoenix64: restarting \(instance 2\) with its memory scrubbed" "restarted once"
expect "^guest phoenix64: restarting \(instance 3\) with its memory scrubbed" "restarted twice"
expect "^\[phoenix64\] cpustate checks done" "instance 3 finished its checks"
[ "$(grep -c '^guest phoenix64 stopped: triple fault' "$LOG.txt")" = 2 ] &&
    echo "  ok: two crashes (triple faults)" || { echo "  MISSING: exactly two triple faults"; bad=1; }
reject "FAIL" "no check failed"
expect "^guest phoenix64 stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "instance 3 stopped with 0"
reject "restarting \(instance 4\)" "a clean stop is not restarted"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 1 "hvrun counts the two crashed instances"
finish
