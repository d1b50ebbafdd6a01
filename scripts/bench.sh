#!/bin/bash
# make bench (not a test). Two tables:
#  1. Boot: TSC ticks from the core's entry to "all CPUs in VMX root", per
#     boot path.
#  2. Exit cost: TSC cycles per round trip of CPUID, VMCALL, an unclaimed
#     port read and RDMSR, measured by tests/guests/bench.asm under the
#     hypervisor, next to the same guest booted bare by GRUB in the same
#     emulator (where the instruction does not exit).
# In Bochs the TSC follows emulated instructions, so both tables count
# instructions on our paths and repeat from run to run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/bench
mkdir -p "$out"

echo "Boot to VMX root"
printf '%-28s %16s %12s\n' "boot path" "TSC ticks" "CPUs"
boot_row() {     # LABEL ARGS...
    label=$1; shift
    log=$out/$(echo "$label" | tr ' +()' '____').log
    scripts/boot.sh --quiet --log "$log" "$@" >/dev/null 2>&1
    line=$(tr -d '\r' < "$log" | grep -m1 '^bench: all CPUs in VMX root')
    cpus=$(tr -d '\r' < "$log" | sed -n 's/^smp: \([0-9]* of [0-9]*\) CPUs online.*/\1/p' | head -1)
    if [ -n "$line" ]; then
        ticks=$(echo "$line" | sed 's/.*root \([0-9]*\) TSC ticks.*/\1/')
        printf '%-28s %16s %12s\n' "$label" "$ticks" "$cpus"
    else
        printf '%-28s %16s %12s\n' "$label" "(no result: see $log)" "-"
    fi
}
boot_row "bochs bios+grub (mb2)" --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 1 --timeout 300
boot_row "bochs bios+grub 2 CPUs" --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 2 --timeout 600
boot_row "bochs uefi (hvboot)" --emulator bochs --firmware uefi --disk "$BUILD/esp-test.img" --cpus 1 --timeout 300

# Exit cost: under the hypervisor...
scripts/hvrun "$BUILD/guests/bench.cfg" --emulator bochs --cpus 1 --quiet \
    --log "$out/exits-hv.log" >/dev/null 2>&1
# ...and bare: GRUB loads the same guest as a multiboot kernel.
iso=$out/bare-iso
rm -rf "$iso"; mkdir -p "$iso/boot/grub"
cp "$BUILD/guests/bench.elf" "$iso/boot/"
printf '%s\n' 'set timeout=0' 'serial --unit=0 --speed=115200' \
    'terminal_output serial console' 'multiboot /boot/bench.elf' 'boot' > "$iso/boot/grub/grub.cfg"
grub-mkrescue --locales= --fonts= --themes= -o "$out/bare.iso" "$iso" >/dev/null 2>&1
scripts/boot.sh --quiet --emulator bochs --firmware bios --iso "$out/bare.iso" --cpus 1 \
    --timeout 120 --log "$out/exits-bare.log" >/dev/null 2>&1

value() {       # LOG OP
    tr -d '\r' < "$1" | sed -n "s/^\(\[bench\] \)\{0,1\}bench: $2 \([0-9]*\)$/\2/p" | head -1
}
echo
echo "Exit cost (TSC cycles per round trip, bochs)"
printf '%-12s %12s %12s %12s\n' "operation" "hypervisor" "bare" "exit cost"
for op in cpuid vmcall port-in rdmsr; do
    hv=$(value "$out/exits-hv.log" "$op")
    bare=$(value "$out/exits-bare.log" "$op")
    cost="-"
    [ -n "$hv" ] && [ -n "$bare" ] && cost=$((hv - bare))
    printf '%-12s %12s %12s %12s\n' "$op" "${hv:--}" "${bare:-(#UD bare)}" "$cost"
done
