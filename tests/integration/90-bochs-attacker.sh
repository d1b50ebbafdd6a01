#!/bin/bash
# A hostile guest pokes the reset and ACPI sleep ports, sends IPIs, INIT
# and SIPI to the victim's APIC, touches VMX MSRs and instructions, then
# reads memory outside its RAM: the hypervisor faults or ignores each
# attempt and, the attacker having strict_memory = yes (attack.cfg), stops
# it with a report naming the address, while the victim on the other CPU
# completes all its checks; then the machine powers off. The reset ports
# (0xcf9, the keyboard controller's pulse) reset the attacker alone: it is
# re-created twice (on_reboot = restart) and its third instance goes on.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/attack.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^\[attacker\] instance 1: writing 0x06 to the reset control register 0xcf9" "0xcf9 written"
expect "^guest attacker: reboot requested \(reset control register, port 0xcf9 = 0x06\); restarting it" "0xcf9 reset the attacker alone"
expect "^\[attacker\] instance 2: pulsing the keyboard controller's reset line" "reset pulse sent"
expect "^guest attacker: reboot requested \(keyboard controller reset pulse, port 0x64 = 0xfe\); restarting it" "the pulse reset the attacker alone"
expect "^guest attacker: restarting \(instance 3\)" "attacker re-created after its resets"
reject "^\[attacker\] FAIL: the reset request reset this guest" "each reset request reset it"
expect "^\[attacker\] wrote reset and ACPI sleep ports" "reset/S5 ports written: the machine kept running"
reject "^guest attacker stopped: ACPI power-off" "SLP_EN with sleep type 0 is no power-off"
expect "^\[attacker\] sent IPI, INIT and SIPI to APIC 1" "IPIs to a foreign APIC went nowhere"
expect "^\[attacker\] ok: VMX capability MSR raises #GP" "VMX MSR faulted"
expect "^\[attacker\] ok: VMXON raises #UD" "VMX instruction faulted"
expect "^\[attacker\] reading guest-physical 0x10000000" "attacker started"
expect "^\[attacker\] access to guest-physical 0x10000000 outside its memory" "violation reported"
expect "^  exit reason 48, qualification 0x[0-9a-f]+, guest-physical 0x10000000" "diagnostic dump"
expect "^guest attacker stopped: access to guest-physical 0x10000000 outside its memory .*\(status 255\)" "attacker stopped"
reject "^\[attacker\] FAIL" "the read never succeeded"
expect "^\[victim\] all checks done" "victim ran to the end"
reject "^\[victim\] FAIL" "victim undisturbed"
expect "^guest victim stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "victim stopped with 0"
expect "^power: ACPI S5" "powered off after both"
reject "EXCEPTION|PANIC" "hypervisor kept running"
expect_rc 1 "hvrun reports the failed guest"
finish
