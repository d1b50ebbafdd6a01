#!/bin/bash
# Boot benchmark (make bench; not a test): TSC ticks from the core's entry
# to "all CPUs in VMX root", per boot path, in Bochs. Bochs advances the
# TSC with emulated instructions, so the numbers count instructions on our
# path and repeat from run to run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/bench"
printf '%-28s %16s %12s\n' "boot path" "TSC ticks" "CPUs"
run() {     # run LABEL ARGS...
    label=$1; shift
    log=$BUILD/bench/$(echo "$label" | tr ' +' '__').log
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
run "bochs bios+grub (mb2)" --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 1 --timeout 300
run "bochs bios+grub 2 CPUs" --emulator bochs --firmware bios --iso "$BUILD/hv.iso" --cpus 2 --timeout 600
run "bochs uefi (hvboot)" --emulator bochs --firmware uefi --disk "$BUILD/esp-test.img" --cpus 1 --timeout 300
