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
#  4. Linux: the same Debian kernel, initramfs and workload from power-on
#     to power-off, booted natively by GRUB and as a guest of the
#     hypervisor, in emulated ticks, with the ratio (make linux builds them).
# In Bochs the TSC follows emulated instructions, so the tables count
# instructions on our paths and repeat from run to run.
#
#   scripts/bench.sh [boot] [exits] [sched] [linux]   (default: all four)
#
# HV_EMU_LOCK=FILE: run each emulator under `flock FILE` (a machine shared
# with other emulator users). The Linux table takes about half an hour of
# wall time in Bochs (two bzImage boots of ~10 minutes, one PVH boot).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/bench
mkdir -p "$out"
tables=${*:-boot exits sched linux}
want() { case " $tables " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
emu() {         # COMMAND...: an emulator run, under the lock if asked
    if [ -n "${HV_EMU_LOCK:-}" ]; then flock "$HV_EMU_LOCK" "$@"; else "$@"; fi
}

if want boot; then
echo "Boot to VMX root"
printf '%-28s %16s %12s\n' "boot path" "TSC ticks" "CPUs"
boot_row() {     # LABEL ARGS...
    label=$1; shift
    log=$out/$(echo "$label" | tr ' +()' '____').log
    emu scripts/boot.sh --quiet --log "$log" "$@" >/dev/null 2>&1
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
echo
fi

if want exits; then
# Exit cost: under the hypervisor...
emu scripts/hvrun "$BUILD/guests/bench.cfg" --emulator bochs --cpus 1 --quiet \
    --log "$out/exits-hv.log" >/dev/null 2>&1
# ...and bare: GRUB loads the same guest as a multiboot kernel.
iso=$out/bare-iso
rm -rf "$iso"; mkdir -p "$iso/boot/grub"
cp "$BUILD/guests/bench.elf" "$iso/boot/"
printf '%s\n' 'set timeout=0' 'serial --unit=0 --speed=115200' \
    'terminal_output serial console' 'multiboot /boot/bench.elf' 'boot' > "$iso/boot/grub/grub.cfg"
grub-mkrescue --locales= --fonts= --themes= -o "$out/bare.iso" "$iso" >/dev/null 2>&1
emu scripts/boot.sh --quiet --emulator bochs --firmware bios --iso "$out/bare.iso" --cpus 1 \
    --timeout 120 --log "$out/exits-bare.log" >/dev/null 2>&1

value() {       # LOG OP
    tr -d '\r' < "$1" | sed -n "s/^\(\[bench\] \)\{0,1\}bench: $2 \([0-9]*\)$/\2/p" | head -1
}
echo "Exit cost (TSC cycles per round trip, bochs)"
printf '%-12s %12s %12s %12s\n' "operation" "hypervisor" "bare" "exit cost"
for op in cpuid vmcall port-in rdmsr; do
    hv=$(value "$out/exits-hv.log" "$op")
    bare=$(value "$out/exits-bare.log" "$op")
    cost="-"
    [ -n "$hv" ] && [ -n "$bare" ] && cost=$((hv - bare))
    printf '%-12s %12s %12s %12s\n' "$op" "${hv:--}" "${bare:-(#UD bare)}" "$cost"
done
echo
fi

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
    emu scripts/hvrun "$cfg" --emulator bochs --cpus 1 --quiet --timeout 900 --log "$log" >/dev/null 2>&1
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
if want sched; then
echo "Scheduling on one shared CPU (bochs; TSC ticks)"
printf '%-22s %6s %14s %13s %17s\n' "weights" "guests" "cost/interrupt" "overhead" "worst share error"
sched_row "equal" 2
sched_row "equal" 4
sched_row "1:1:2:4" 4 256 256 512 1024
sched_row "equal" 8
sched_row "equal" 16
echo
fi

# Linux: the kernel, initramfs and workload of `make linux` (Debian's
# kernel, tests/linux/init with linuxtest=poweroff: its checks, a workload
# of about a second, poweroff -f), from power-on to the machine's ACPI
# power-off, all start-up included, in a one-CPU Bochs machine:
#  - native: the BIOS, GRUB (`linux` and `initrd` from a rescue ISO), the
#    kernel on the machine; Linux powers it off through ACPI S5;
#  - guest: the BIOS, GRUB (multiboot2, the files as modules), the
#    hypervisor's start-up, the same kernel as a 1-vCPU guest of 192 MiB
#    (test 67's configuration) to its S5, then the hypervisor's own
#    power-off (on_idle = poweroff).
# The count is Bochs's: every line of its log starts with the emulated
# tick count (one tick per instruction, idle time included, ips = 50 M a
# second, scripts/boot.sh), and Bochs logs the ACPI S5 write as
#   NNNNNNNNNNNp[ACPI  ] >>PANIC<< ACPI control: soft power off
# (HV_BOOT_KEEP makes boot.sh keep that log as LOG.bochs). The PVH vmlinux
# has no native counterpart (GRUB has no PVH loader): guest only.
if want linux; then
ld=$out/linux
rm -rf "$ld"; mkdir -p "$ld/files"
missing=""
for f in bzImage vmlinux initramfs.cpio.gz; do
    if [ -f "$BUILD/linux/$f" ]; then ln -s "$(realpath "$BUILD/linux/$f")" "$ld/files/$f"
    else missing="$missing $BUILD/linux/$f"; fi
done
# The kernel command line of the Linux tests, with init's poweroff mode.
cmdline="$(. tests/integration/linux-lib.sh && echo "$LINUX_CMDLINE") linuxtest=poweroff"
ips=50000000

poweroff_ticks() {  # BOCHS-LOG: the tick count of the ACPI S5 power-off
    sed -n 's/^\([0-9][0-9]*\)p\[ACPI *\] >>PANIC<< ACPI control: soft power off.*/\1/p' "$1" 2>/dev/null |
        sed -n '1s/^0*\([0-9]\)/\1/p'
}
# LOG PREFIX: the ticks to power-off if Linux's init got to "powering off"
# (PREFIX: "[linux] " as a guest) and Bochs logged the S5 write, else "".
linux_ticks() {
    tr -d '\r' < "$1" 2>/dev/null | grep -qF "$2linux-init: powering off" || return 0
    poweroff_ticks "$1.bochs"
}
secs() { awk -v t="$1" -v ips=$ips 'BEGIN { printf "%.1f s", t / ips }'; }

echo "Linux to power-off (bochs, 1 CPU; emulated ticks from power-on, $((ips / 1000000)) M a second)"
if [ -n "$missing" ]; then
    echo "(no Linux artifacts:$missing; run make linux)"
else
    # Native: GRUB boots the bzImage with the initramfs.
    iso=$ld/native-iso
    mkdir -p "$iso/boot/grub"
    cp "$BUILD/linux/bzImage" "$BUILD/linux/initramfs.cpio.gz" "$iso/boot/"
    printf '%s\n' 'set timeout=0' 'serial --unit=0 --speed=115200' \
        'terminal_input serial console' 'terminal_output serial console' \
        "linux /boot/bzImage $cmdline" 'initrd /boot/initramfs.cpio.gz' 'boot' > "$iso/boot/grub/grub.cfg"
    grub-mkrescue --locales= --fonts= --themes= -o "$ld/native.iso" "$iso" >/dev/null 2>&1
    rm -rf "$iso"
    # The machine has the guest's 192 MiB (the hypervisor's machine has 512).
    HV_BOOT_KEEP=1 emu scripts/boot.sh --quiet --emulator bochs --firmware bios --iso "$ld/native.iso" \
        --cpus 1 --megs 192 --timeout 3600 --log "$ld/native.log" >/dev/null 2>&1
    # As a guest: test 67's configuration; the PVH vmlinux the same way.
    for k in bzImage vmlinux; do
        printf '[hypervisor]\non_idle = poweroff\n\n[guest linux]\nkernel = %s\ninitrd = initramfs.cpio.gz\ncmdline = %s\nmemory = 192M\n' \
            "$k" "$cmdline" > "$ld/files/$k.cfg"
        HV_BOOT_KEEP=1 emu scripts/hvrun "$ld/files/$k.cfg" --emulator bochs --cpus 1 --megs 512 \
            --timeout 3600 --quiet --log "$ld/guest-$k.log" >/dev/null 2>&1
    done

    native=$(linux_ticks "$ld/native.log" "")
    for k in bzImage vmlinux; do
        guest=$(linux_ticks "$ld/guest-$k.log" "[linux] ")
        if [ $k = bzImage ]; then
            label="linux bzImage to power-off"
            n="native ${native:-(none: see $ld/native.log)}"
            [ -n "$native" ] && n="$n ($(secs "$native"))"
        else
            label="linux PVH to power-off"
            n="native -"
        fi
        g="guest ${guest:-(none: see $ld/guest-$k.log)}"
        [ -n "$guest" ] && g="$g ($(secs "$guest"))"
        r="ratio -"
        [ $k = bzImage ] && [ -n "$native" ] && [ -n "$guest" ] &&
            r=$(awk -v g="$guest" -v n="$native" 'BEGIN { printf "ratio %.3f", g / n }')
        printf '%-28s %-27s %-27s %s\n' "$label" "$n" "$g" "$r"
    done
    echo "(native: GRUB's linux/initrd on a 192 MiB machine; guest: GRUB, the hypervisor on a 512 MiB"
    echo " machine, a 192 MiB guest. PVH: GRUB has no PVH loader, so guest only; no self-decompression)"
    # The hypervisor's own start-up (its core's entry to VMX root, the
    # guest's loading included) and what the guest exited for.
    for k in bzImage vmlinux; do
        t=$(tr -d '\r' < "$ld/guest-$k.log" 2>/dev/null | sed -n 's/^bench: all CPUs in VMX root \([0-9]*\) TSC ticks.*/\1/p' | head -1)
        x=$(tr -d '\r' < "$ld/guest-$k.log" 2>/dev/null | grep -m1 '^guest linux: [0-9]* exits: ')
        x=${x#guest linux: }
        echo "guest $k: core entry to VMX root ${t:-?} ticks${t:+ ($(secs "$t"))}; ${x:-no exit counts}"
    done
fi
echo
fi
