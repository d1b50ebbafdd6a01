#!/bin/bash
# A 3136 MiB guest on an 8 GiB machine (QEMU TCG: no VT-x, so the guest is
# built but cannot run): its host block comes from above 4 GiB and its
# image is loaded through the two-region layout (RAM up to 3 GiB, the PC
# hole, the rest at 4 GiB) without a fault.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/big.cfg" --emulator qemu-tcg --firmware bios --cpus 1 \
    --megs 8192 --timeout 120 --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^mem: 8[0-9]{3} MiB free for allocation" "8 GiB machine"
expect "^guest big: 3136 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu0, multiboot entry 0x100010" \
    "big guest built and its image loaded"
expect "^guest big: RAM at \[0, 0xc0000000\) and \[0x100000000, 0x104000000\); the PC hole in between" \
    "RAM above 3 GiB moved above the hole"
expect "^guest big stopped: cpu0 is not in VMX root operation" "stopped for want of VT-x, nothing else"
expect "^power: ACPI S5" "clean power-off"
reject "EXCEPTION|PANIC" "no exception or panic"
finish
