#!/bin/bash
# Bochs with 4 CPUs (slow: two boots only). (1) A four-vCPU SMP guest, one
# vCPU pinned per physical CPU. (2) A partitioned machine: an SMP guest
# owns CPUs 2 and 3, three guests with weights 512/256/128 (one storming
# the hypervisor with exits) time-share CPUs 0 and 1 and never run on the
# pinned ones.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/smp4.cfg" --emulator bochs --cpus 4 --timeout 400 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^smp: 4 of 4 CPUs online, 4 in VMX root operation" "4 CPUs in VMX root"
for i in 0 1 2 3; do
    expect "^sched: guest smp4 vCPU $i starts on cpu$i \(noop\)" "vCPU $i on its pinned cpu$i"
done
expect "^\[smp4\] ok: INIT-SIPI-SIPI started every AP" "APs started"
expect "^\[smp4\] ok: shared counter agrees across vCPUs" "shared counter over 4 CPUs"
expect "^\[smp4\] ok: IPI ping-pong with every AP" "IPIs across 4 CPUs"
reject "FAIL" "no check failed"
expect "^guest smp4 stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "smp4 stopped with 0"
expect_rc 0 "hvrun: smp4 ended with status 0"

LOG=$LOG.partitioned
"$ROOT/scripts/hvrun" "$BUILD/guests/partitioned.cfg" --emulator bochs --cpus 4 --timeout 400 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest smp: 16 MiB at host 0x[0-9a-f]+, 2 vCPUs pinned to cpu2,3," "smp pinned to CPUs 2 and 3"
for g in web db batch; do
    expect "^sched: guest $g vCPU 0 starts on cpu[01] \(fair\)" "$g placed on a shared CPU"
    expect "^\[$g\] tick 3$" "$g ran to its end"
    expect "^guest $g stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "$g stopped with 0"
done
reject "^sched: guest (web|db|batch) vCPU [0-9]+ (starts on|moves from cpu[0-9] to) cpu[23]" \
    "no shared guest ever ran on a pinned CPU"
expect "^\[smp\] ok: each AP received exactly its IPIs" "the pinned SMP guest's checks"
reject "FAIL" "no check failed (partitioned)"
expect "^guest batch: [0-9]+ exits: CPUID [0-9]{5,}" "batch stormed the hypervisor"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
