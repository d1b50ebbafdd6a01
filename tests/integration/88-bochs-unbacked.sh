#!/bin/bash
# Guest-physical memory that nothing backs (unbacked.cfg, one CPU): the
# prober reads it (all ones of each access size, through MOV, MOVZX/MOVSX,
# XCHG, ALU/TEST with their flags, STOS/LODS/MOVS with REP), writes it
# (nothing changes), in the PC hole between 3 and 4 GiB and in the xAPIC
# page with its APIC disabled, takes an INT3 with its stack in unbacked
# memory, and ends with status 0. The host sees one log line per 1 MiB
# range, the scratch page once, the counts at the stop and in `stats`, and
# the prober's control bytes shown as '?'. hello, time-sharing the CPU,
# passes all its checks; the console stops the idler and the machine
# powers off.
. "$(dirname "$0")/lib.sh"
script=$BUILD/test-logs/$NAME.serial
cat > "$script" <<'EOF'
timeout 300
expect guest prober stopped
expect scratch page at
send \r
expect hv> 
send stats prober\r
expect unbacked guest-physical memory:
expect hv> 
send stop idler\r
EOF
"$ROOT/scripts/hvrun" "$BUILD/guests/unbacked.cfg" --emulator bochs --cpus 1 --timeout 400 \
    --quiet --log "$LOG" --serial-script "$script"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"

for c in "a 32-bit read of 0x10000000 gives all ones" \
         "an 8-bit read into AL gives 0xff" "an 8-bit read into AH gives 0xff" \
         "a 16-bit read gives 0xffff" "MOVZX of a byte gives 0xff" "MOVSX of a word" \
         "writes are ignored" "XCHG gives the register all ones" \
         "CMP dword \[nowhere\], -1 says equal" "ADD EAX, \[nowhere\] adds all ones, with carry" \
         "ADD \[nowhere\], 5 changes nothing" "TEST byte \[nowhere\], 0x80 sets SF, clears ZF" \
         "REP STOSD to nowhere" "LODSD from nowhere" "REP MOVSD from nowhere fills RAM" \
         "MOVSD from RAM to nowhere stores nothing" "the PC hole at 0xc0000000" \
         "0xfec01000 \(past the I/O APIC\)" "0xfed00000 \(no HPET\)" \
         "the xAPIC page with the APIC disabled reads all ones" \
         "the xAPIC page answers again once the APIC is enabled" \
         "INT3 with the stack in unbacked memory" "its own RAM is unchanged"; do
    expect "^\[prober\] ok: $c" "prober: $c"
done
reject "^\[prober\] FAIL" "no check of the prober failed"
expect "^guest prober stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "prober ended with 0"

# One line per 1 MiB range, each exactly once, naming the first access.
once() {    # REGEX WHAT
    local n
    n=$(grep -Ec -- "$1" "$LOG.txt")
    if [ "$n" = 1 ]; then echo "  ok: $2"; else echo "  WRONG: $2: $n lines match /$1/"; bad=1; fi
}
range="^guest prober: reads and writes at guest-physical"
once "$range 0x10000000-0x100fffff: nothing there \(reads all ones, writes ignored; first a 4-byte read at 0x10000000\)" \
    "0x10000000: logged once, with its first access"
once "$range 0xc0000000-0xc00fffff: nothing there" "the PC hole: logged once"
once "$range 0xfec00000-0xfecfffff: nothing there" "past the I/O APIC: logged once"
once "$range 0xfed00000-0xfedfffff: nothing there" "no HPET: logged once"
once "$range 0xfee00000-0xfeefffff: nothing there" "disabled xAPIC page: logged once"
[ "$(grep -Ec -- "$range" "$LOG.txt")" = 5 ] && echo "  ok: five ranges logged in all" \
    || { echo "  WRONG: $(grep -Ec -- "$range" "$LOG.txt") range lines, want 5"; bad=1; }
once "^guest prober: delivering vector 3 touched guest-physical 0x101ffff[0-9a-f]: nothing there; page 0x101ff000 is now its scratch page \(all ones, writable\)" \
    "INT3 onto an unbacked stack: the scratch page, logged once"
expect "^guest prober: unbacked guest-physical memory: 32 reads and writes \(all ones, ignored\) in 5 ranges; scratch page at 1 of its pages" \
    "the counts when it stopped"
expect "^  unbacked guest-physical memory: 32 reads and writes \(all ones, ignored\) in 5 ranges; scratch page at 1 of its pages" \
    "stats prober shows the counts"
expect "^guest prober: [0-9]+ exits: .*EPT violation 3[0-9]" "each access was an EPT violation"

# Control bytes: C0 (ESC BEL BS), DEL and C1 (0x9b 0x9d 0x90 0x85) are '?',
# the tab and Latin-1 0xe9 pass (bytes compared in the C locale).
if LC_ALL=C grep -q "^\[prober\] ctl: ?\[2J????31m???$(printf '\t\351') end$" "$LOG.txt"; then
    echo "  ok: control bytes of the guest reach the console as '?'"
else
    echo "  MISSING: the prober's ctl: line with every control byte as '?'"; bad=1
fi
if LC_ALL=C grep -a "^\[prober\]" "$LOG.txt" | LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177-\237]')"; then
    echo "  UNEXPECTED: a control byte in the prober's output on the console"; bad=1
else
    echo "  ok: no control byte of the prober on the console"
fi

expect "^\[hello\] all checks done" "the neighbour ran all its checks"
reject "^\[hello\] FAIL" "the neighbour saw nothing of it"
expect "^guest hello stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "hello ended with 0"
expect "^guest idler stopped: stopped by the operator \(status 0\)" "idler stopped from the console"
expect "^power: ACPI S5" "powered off after the last guest"
reject "EXCEPTION|PANIC" "hypervisor kept running"
expect_rc 0 "hvrun: every guest ended with status 0"
finish
