#!/bin/bash
# make bench (not a test). Three tables:
#  1. Boot: TSC ticks from the core's entry to "all CPUs in VMX root", per
#     boot path.
#  2. Exit cost: TSC cycles per round trip of CPUID, VMCALL, an unclaimed
#     port read and RDMSR, measured by tests/guests/bench.asm under the
#     hypervisor, next to the same guest booted bare by GRUB in the same
#     emulator (where the instruction does not exit).
#  3. Scheduling: the cost of an interruption (exit or vCPU switch) and
#     the fairness of 2 to 16 CPU-bound guests sharing one CPU.
# In Bochs the TSC follows emulated instructions, so the tables count
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

# Scheduling: N CPU-bound guests (tests/guests/spin.asm, "bench") share
# one CPU; each measures, inside one TSC window common to all, the time it
# ran and how often it was interrupted. The time nobody ran, divided by
# the interruptions, is the cost of one interruption (an exit, a vCPU
# switch, the console CPU's tick); each guest's share of the run time is
# compared with its weight's share of the total.
sched_cfg() {   # N WEIGHTS... -> config on stdout
    n=$1; shift
    printf '[hypervisor]\non_idle = poweroff\nslice = 500us\n'
    for i in $(seq 1 "$n"); do
        w=${1:-256}; [ $# -gt 0 ] && shift
        printf '\n[guest g%d]\nkernel = spin.elf\ncmdline = bench\nmemory = 2M\nweight = %d\nserial = 0x3f8\ndebug_exit = 0xf4\n' "$i" "$w"
    done
}
sched_row() {   # LABEL N WEIGHTS...
    label=$1; shift
    cfg=$BUILD/guests/bench-sched-$1.cfg
    sched_cfg "$@" > "$cfg"
    log=$out/sched-$1-$(echo "$label" | tr ' :' '__').log
    scripts/hvrun "$cfg" --emulator bochs --cpus 1 --quiet --timeout 900 --log "$log" >/dev/null 2>&1
    tr -d '\r' < "$log" | awk -v label="$label" -v n="$1" '
        /^guest g[0-9]+: .*weight [0-9]+/ { g = $2; sub(":", "", g); for (i = 1; i <= NF; i++) if ($i == "weight") w[g] = $(i + 1) + 0; sub(",", "", w[g]) }
        /^\[g[0-9]+\] share: run=/ { g = $1; gsub(/[\[\]]/, "", g); split($3, a, "="); split($4, b, "=");
                                  run[g] = a[2]; intr[g] = b[2]; got++ }
        END {
            if (got != n) { printf "%-22s (only %d of %d guests reported)\n", label, got, n; exit }
            window = 2 ^ 30; tr = 0; ti = 0; tw = 0
            for (g in run) { tr += run[g]; ti += intr[g]; tw += w[g] }
            worst = 0
            for (g in run) { target = w[g] / tw; got_share = run[g] / tr
                             dev = (got_share - target) / target * 100; if (dev < 0) dev = -dev
                             if (dev > worst) worst = dev }
            printf "%-22s %6d %14.0f %12.2f%% %16.1f%%\n", label, n, ti ? (window - tr) / ti : 0,
                   (window - tr) / window * 100, worst
        }'
}
echo
echo "Scheduling on one shared CPU (bochs; TSC ticks)"
printf '%-22s %6s %14s %13s %17s\n' "weights" "guests" "cost/interrupt" "overhead" "worst share error"
sched_row "equal" 2
sched_row "equal" 4
sched_row "1:1:2:4" 4 256 256 512 1024
sched_row "equal" 8
sched_row "equal" 16
