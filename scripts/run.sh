#!/bin/bash
# make run: boot the demo machine (configs/demo.cfg) in the best emulator
# this host has: Debian 12's kernel with a busybox shell (guest linux, two
# vCPUs sharing CPU 1) beside a test guest pinned to CPU 0 (guest ticker).
# `make run` builds `all` and `linux` first.
#
#   qemu-kvm (nested VMX): UEFI + ESP image, 2 CPUs, 1024 MiB
#   bochs:                 BIOS + GRUB ISO, 2 CPUs, 1024 MiB (OVMF in Bochs
#                          has no ACPI, so BIOS gives SMP and power-off)
#
# With a terminal (stdin and stdout both ttys) the machine's COM1 is the
# terminal, raw (scripts/serial-term.py): Enter gives the operator console
# `hv> `, Ctrl-] comes back from a guest's console, Ctrl-a x quits. No
# time-out.
#
# Without one (CI, `make run < /dev/null`) nobody can type, so the session
# in configs/demo-session.txt is typed instead (scripts/serial-expect.py):
# it waits for the Linux shell, runs a few commands in it and on the
# operator console, powers Linux off and stops the ticker, and the machine
# powers off. The console streams to stdout; the exit status is
# scripts/hvrun's: 0 when the session ran and both guests ended with
# status 0, 3 when a step of the session failed, 124 after RUN_TIMEOUT
# seconds (default 1800 in Bochs, 600 in QEMU). RUN_SCRIPT= (empty) types
# nothing: the console streams until the time-out.
#
# Environment: RUN_EMULATOR (qemu-kvm, bochs), RUN_TIMEOUT, RUN_SCRIPT.
# The console log stays in build/demo/console.log.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
emu=${RUN_EMULATOR:-$(scripts/best-emulator.sh)}
script=${RUN_SCRIPT-configs/demo-session.txt}
demo=$BUILD/demo

# build/demo/: the configuration and links to the files it names (hvrun
# takes them relative to the configuration's directory).
for f in "$BUILD/linux/vmlinux" "$BUILD/linux/initramfs.cpio.gz" "$BUILD/guests/spin.elf"; do
    [ -f "$f" ] || { echo "run: $f is missing (make all linux)" >&2; exit 2; }
done
rm -rf "$demo"
mkdir -p "$demo"
cp configs/demo.cfg "$demo/demo.cfg"
for f in "$BUILD/linux/vmlinux" "$BUILD/linux/initramfs.cpio.gz" "$BUILD/guests/spin.elf"; do
    ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$demo/"
done
release=$(sed -n 's/^release=//p' "$BUILD/linux/version" 2>/dev/null)

case "$emu" in
qemu-kvm) fw=uefi; boot="QEMU with KVM, UEFI"; timeout=${RUN_TIMEOUT:-600} ;;
bochs)    fw=bios; boot="Bochs, BIOS + GRUB"; timeout=${RUN_TIMEOUT:-1800} ;;
*) echo "run: RUN_EMULATOR=$emu: qemu-kvm or bochs" >&2; exit 2 ;;
esac
args=(--emulator "$emu" --firmware "$fw" --cpus 2 --megs 1024 --log "$demo/console.log")

echo "run: demo machine in $boot, 2 CPUs, 1024 MiB (configs/demo.cfg):"
echo "run:   linux   Debian kernel ${release:-?}, busybox shell; 2 vCPUs sharing CPU 1, 256 MiB"
echo "run:   ticker  test guest alone on CPU 0; \"tick N\" every 10 s, answers what you type"
if [ -t 0 ] && [ -t 1 ]; then
    slow=""
    [ "$emu" = bochs ] && slow=", ~4 min in Bochs"
    echo "run: Enter: operator console 'hv> ' (help, list, stats/stop/start/restart NAME)"
    echo "run: Linux shell: 'console linux', Enter (after 'linux-init: shell ready'$slow);"
    echo "run:   typing shows after Enter; Ctrl-] back to hv>. Ctrl-a x: quit (Ctrl-a h: help). Log: $demo/console.log"
    exec scripts/hvrun "$demo/demo.cfg" "${args[@]}" --timeout 0 --interactive
fi
if [ -n "$script" ]; then
    echo "run: stdin is not a terminal: typing $script into the console, then powering off"
    echo "run:   (at most $timeout s: RUN_TIMEOUT); interactive use: make run in a terminal"
    exec scripts/hvrun "$demo/demo.cfg" "${args[@]}" --timeout "$timeout" --serial-script "$script"
fi
echo "run: stdin is not a terminal and RUN_SCRIPT is empty: the console for $timeout s (RUN_TIMEOUT)"
exec scripts/hvrun "$demo/demo.cfg" "${args[@]}" --timeout "$timeout"
