#!/bin/bash
# The guest's hardware breakpoints across VM exits (tests/guests/
# hwbreak.cfg): an instruction and a data breakpoint fire on every one of
# 50 executions with CPUID and OUT exits in between; one on a WRMSR that
# the hypervisor answers with #GP fires once per execution (RF in the
# injected fault's frame); one right after an emulated xAPIC read fires
# (the emulation clears the RF an EPT violation leaves); single-stepping
# traps after instructions the hypervisor emulates.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/hwbreak.cfg" --emulator bochs --cpus 1 --timeout 240 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for c in "an instruction breakpoint fired on each of 50 executions, CPUID and OUT exits between" \
         "a data write breakpoint fired on each of 50 writes, CPUID and OUT exits between" \
         "a WRMSR to an unknown MSR raised #GP each of 5 times" \
         "an instruction breakpoint on that WRMSR fired once per execution \(RF in the injected #GP's frame\)" \
         "an instruction breakpoint right after an emulated xAPIC read fired each of 5 times \(RF cleared\)" \
         "single-step traps after CPUID and OUT \(emulated\) as after any instruction"; do
    expect "^\[hwbreak\] ok: $c" "$c"
done
expect "^\[hwbreak\] breakpoint checks done" "all checks ran"
reject "FAIL" "no check failed"
expect "^guest hwbreak stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "stopped with 0"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 0 "hvrun: the guest stopped with status 0"
finish
