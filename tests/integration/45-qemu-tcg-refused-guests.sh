#!/bin/bash
# Bad guests in a configuration, on a machine without VT-x (QEMU TCG):
# a section with errors, an image that is not a kernel and a guest larger
# than the machine are each refused with file:line and the reason; the
# valid guest is placed, then stopped because its CPU has no VT-x; a
# shared guest with on_stop = restart is stopped, not restarted (no CPU
# could ever run it); the machine powers off cleanly.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/refused.cfg" --emulator qemu-tcg --firmware bios \
    --cpus 4 --timeout 120 --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^config: hv.cfg:22: \[guest bad key\]: guest name must be one word" "bad section name with its line"
expect "^config: hv.cfg:24: unknown key 'colour' in \[guest bad key\]" "unknown key with its line"
expect "^hv.cfg:22: \[guest bad key\]: refused: its section has errors" "that guest refused"
expect "^hv.cfg:12: \[guest notakernel\]: refused.cfg: not a multiboot or Linux kernel" "not-a-kernel refused"
expect "^config: hv.cfg:17: \[guest huge\]: memory: 60 GiB does not fit: [0-9]+ [KMG]iB left for guests" "oversized guest refused"
expect "^hv.cfg:[0-9]+: \[guest pmports\]: passthrough_io: ports 0x604-0x605 include 0x604-0x605 \(ACPI PM1a control block\), which the hypervisor keeps" "ACPI PM ports are not passed through"
expect "^guest good: 16 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu0," "the valid guest placed"
expect "^guest good stopped: cpu0 is not in VMX root operation: this CPU has no VT-x" "stopped: no VT-x"
expect "^guest phoenix stopped: no CPU in VMX root operation to run it on \(status 255\)" \
    "the shared guest stopped: no CPU to run it"
reject "phoenix.*restarting|phoenix: stopped [0-9]+ times" "on_stop = restart does not restart it"
expect "^hv: every guest has stopped; on_idle = poweroff" "every guest stopped"
expect "^power: ACPI S5" "clean power-off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 1 "hvrun reports that no guest succeeded"
finish
