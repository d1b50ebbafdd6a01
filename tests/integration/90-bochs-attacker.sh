#!/bin/bash
# A hostile guest pokes the reset and ACPI sleep ports, sends IPIs, INIT
# and SIPI to the victim's APIC, touches VMX MSRs and instructions, storms
# its own virtual devices, then reads memory outside its RAM: the
# hypervisor faults or ignores each attempt and, the attacker having
# strict_memory = yes (attack.cfg), stops it with a report naming the
# address, while the victim on the other CPU completes all its checks;
# then the machine powers off. The reset ports (0xcf9, the keyboard
# controller's pulse) reset the attacker alone: it is re-created twice
# (on_reboot = restart) and its third instance goes on.
#
# The device storm (tests/guests/attacker.asm, device_storm): tens of
# thousands of hostile accesses to its I/O APIC (every redirection entry
# with every delivery mode, vectors 0-15 and 0xff, broadcast and absent
# destinations; absent registers; EOIs; 1- to 8-byte accesses anywhere in
# the page, the 8-byte ones from long mode), 8254 (every control word,
# counts of 1, 0 and all ones; port 0x61), 8259 pair, CMOS RTC (every
# index; periodic, alarm and update interrupts at their fastest), PCI
# configuration space, ACPI PM registers (SLP_EN kept clear) and ports
# nothing models (must read all ones). It leaves IRQ 0 and IRQ 8 as NMIs
# to itself at the fastest rates, then checks that its I/O APIC, PCI host
# bridge and PM timer still answer as docs/devices.md says. The victim is
# done before the storm begins, so a witness (the isolation test's victim,
# tests/guests/victim.elf, time-sharing CPU 0 with it and owning the real
# CMOS) measures its APIC timer ticks throughout: none late, none foreign,
# no NMI, its CMOS byte untouched.
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
expect "^\[attacker\] stormed its I/O APIC, PIT, PIC, RTC, PCI and ACPI PM: [0-9]+ accesses" \
    "device storm survived"
expect "^\[attacker\] by device: I/O APIC [0-9]+, PIT [0-9]+, PIC [0-9]+, RTC [0-9]+, PCI [0-9]+, ACPI PM [0-9]+, other ports [0-9]+; [0-9]+ NMIs taken" \
    "storm counted by device"
for c in "its I/O APIC still answers: version register 0x00170020" \
         "its I/O APIC's redirection entries read back \(read-only bits clear\)" \
         "its I/O APIC's absent registers read 0, IOREGSEL reads back bits 7:0" \
         "PCI 00:00.0 still reads 8086:1237" \
         "its PM timer never went backwards" \
         "unmodelled ports read all ones"; do
    expect "^\[attacker\] ok: $c" "after the storm: ${c//\\/}"
done
expect "^\[attacker\] reading guest-physical 0x10000000" "attacker started"
expect "^\[attacker\] access to guest-physical 0x10000000 outside its memory" "violation reported"
expect "^  exit reason 48, qualification 0x[0-9a-f]+, guest-physical 0x10000000" "diagnostic dump"
expect "^guest attacker stopped: access to guest-physical 0x10000000 outside its memory .*\(status 255\)" "attacker stopped"
reject "^\[attacker\] FAIL" "the read never succeeded"
expect "^\[victim\] all checks done" "victim ran to the end"
reject "^\[victim\] FAIL" "victim undisturbed"
expect "^guest victim stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "victim stopped with 0"
for c in "20 ticks on time while the intruder storms" \
         "no tick came early \(nothing else raised the timer vector\)" \
         "no foreign interrupts" \
         "passthrough byte untouched by the intruder"; do
    expect "^\[witness\] ok: $c" "witness: ${c//\\/}"
done
reject "^\[witness\] FAIL" "witness undisturbed"
expect "^guest witness stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "witness stopped with 0"
# The witness was measuring throughout the storm: its timer started
# before the attacker's third instance, and it ended after the attacker.
first() { grep -nEm1 -- "$1" "$LOG.txt" | cut -d: -f1; }
w_start=$(first "^\[witness\] timer period")
a_start=$(first "^guest attacker: restarting \(instance 3\)")
a_stop=$(first "^guest attacker stopped:")
w_end=$(first "^\[witness\] victim checks done")
if [ -n "$w_start" ] && [ -n "$a_start" ] && [ -n "$a_stop" ] && [ -n "$w_end" ] &&
   [ "$w_start" -lt "$a_start" ] && [ "$a_stop" -lt "$w_end" ]; then
    echo "  ok: the witness measured its ticks throughout the storm"
else
    echo "  MISSING: the witness measured its ticks throughout the storm (console lines:" \
         "witness timer ${w_start:-none}, attacker instance 3 ${a_start:-none}," \
         "attacker stopped ${a_stop:-none}, witness done ${w_end:-none})"
    bad=1
fi
expect "^power: ACPI S5" "powered off after all three"
reject "EXCEPTION|PANIC" "hypervisor kept running"
expect_rc 1 "hvrun reports the failed guest"
finish
