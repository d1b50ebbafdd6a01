#!/bin/bash
# SMP guests in Bochs with VMX: a two-vCPU guest pinned to CPUs 0 and 1
# (its IPIs cross physical CPUs: the host kicks the target out of guest
# mode or out of HLT), then a three-vCPU guest time-shared on one CPU. The
# guest starts its APs with INIT-SIPI-SIPI, counts together with LOCK and
# plays IPI ping-pong; it checks everything from inside.
. "$(dirname "$0")/lib.sh"
checks=("CPUID reports more than one vCPU" "boot vCPU has APIC ID 0"
        "INIT-SIPI-SIPI started every AP"
        "APs have distinct APIC IDs 1..n-1 \(CPUID and APIC agree\)"
        "shared counter agrees across vCPUs" "IPI ping-pong with every AP"
        "each AP received exactly its IPIs")

"$ROOT/scripts/hvrun" "$BUILD/guests/smp.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest smp: 16 MiB at host 0x[0-9a-f]+, 2 vCPUs pinned to cpu0,1," "two vCPUs pinned to two CPUs"
for c in "${checks[@]}"; do expect "^\[smp\] ok: $c" "pinned: $c"; done
reject "FAIL" "no check failed"
expect "^guest smp stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "pinned SMP guest stopped with 0"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "hvrun: the pinned SMP guest ended with status 0"

LOG=$LOG.shared
"$ROOT/scripts/hvrun" "$BUILD/guests/smp-shared.cfg" --emulator bochs --cpus 1 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest smp3: 16 MiB at host 0x[0-9a-f]+, 3 vCPUs shared, weight 256," "three vCPUs shared"
for c in "${checks[@]}"; do expect "^\[smp3\] ok: $c" "shared: $c"; done
reject "FAIL" "no check failed (shared)"
expect "^guest smp3: [0-9]+ exits: .*HLT [0-9]+" "halting vCPUs gave up the CPU"
expect "^guest smp3 stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "shared SMP guest stopped with 0"
reject "EXCEPTION|PANIC" "no exception or panic (shared)"
expect_rc 0 "hvrun: the shared SMP guest ended with status 0"

# On a host with nested KVM, the pinned guest again on real VT-x (QEMU with
# -accel kvm, UEFI firmware, 2 CPUs). This machine has none: the run is
# skipped, and says so.
if [ "$("$ROOT/scripts/best-emulator.sh")" = qemu-kvm ]; then
    LOG=${LOG%.shared}.kvm
    "$ROOT/scripts/hvrun" "$BUILD/guests/smp.cfg" --emulator qemu-kvm --firmware uefi --cpus 2 \
        --timeout 120 --quiet --log "$LOG"
    BOOT_RC=$?
    tr -d '\r' < "$LOG" > "$LOG.txt"
    for c in "${checks[@]}"; do expect "^\[smp\] ok: $c" "kvm: $c"; done
    reject "FAIL|EXCEPTION|PANIC" "kvm: no check failed"
    expect_rc 0 "kvm: the SMP guest ended with status 0"
else
    echo "  skip: no nested KVM on this host; the QEMU+KVM run of the SMP guest did not happen"
fi
finish
