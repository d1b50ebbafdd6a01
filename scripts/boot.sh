#!/bin/bash
# Boot an image in an emulator, console to a log (and the terminal), and
# return when the machine powers off or the timeout ends.
#
#   scripts/boot.sh --emulator bochs|qemu-kvm|qemu-tcg --firmware bios|uefi
#                   [--cpus N] [--megs M] [--timeout S] [--log FILE] [--quiet]
#                   [--iso ISO] [--disk IMG] [--qemu-args "..."]
#                   [--serial-script SCRIPT | --interactive]
#
# Exit status: the emulator's, except that a clean end is 0: an ACPI
# power-off, the core's test exit with status 0 (QEMU's isa-debug-exit,
# Bochs's shutdown port) or a machine halted for good ("power: halted");
# 124 when the timeout ended the emulator, whatever its log says.
#
# --serial-script: COM1 goes to a TCP socket instead of the log file, and
# scripts/serial-expect.py (listening before the emulator starts) writes
# the log and runs SCRIPT on the console (expect/send/sleep/timeout lines;
# see that file). If the emulator's result is success but the script
# failed, the exit status is 3 and the script's error is printed.
#
# --interactive: COM1 goes to a TCP socket too, and scripts/serial-term.py
# connects it to this terminal (raw: keys go to the machine as typed, the
# log file still fills). Ctrl-a x quits: the emulator is stopped and the
# exit status is 0. --timeout 0 means no time-out.
set -u
here=$(cd "$(dirname "$0")" && pwd)
emu=bochs fw=bios cpus=1 megs=512 timeout=120 log="" quiet=0 iso="" disk="" qargs=""
sscript="" interactive=0
while [ $# -gt 0 ]; do
    case "$1" in
    --emulator) emu=$2; shift ;;
    --firmware) fw=$2; shift ;;
    --cpus) cpus=$2; shift ;;
    --megs) megs=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --log) log=$2; shift ;;
    --iso) iso=$2; shift ;;
    --disk) disk=$2; shift ;;
    --qemu-args) qargs=$2; shift ;;
    --serial-script) sscript=$2; shift ;;
    --interactive) interactive=1 ;;
    --quiet) quiet=1 ;;
    *) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$log" ] || log=$(mktemp /tmp/hv-console.XXXXXX)
if [ -n "$sscript" ] && [ ! -f "$sscript" ]; then
    echo "boot.sh: serial script $sscript: no such file" >&2; exit 2
fi
if [ -n "$sscript" ] && [ $interactive = 1 ]; then
    echo "boot.sh: --serial-script and --interactive exclude each other" >&2; exit 2
fi

# run CMD...: the emulator under the timeout. A machine that halts for good
# ("power: halted", e.g. on_idle = halt or no way to power off) is ended
# here, since no emulator notices a halted machine: exit status 0.
# With --interactive, the emulator is ended too once serial-term.py has
# quit (Ctrl-a x): exit status 0.
run() {
    timeout "$timeout" "$@" &
    local pid=$!
    while kill -0 $pid 2>/dev/null; do
        if [ $interactive = 1 ] && [ -n "$sepid" ] && ! kill -0 "$sepid" 2>/dev/null; then
            # 0: the emulator closed the line (it is ending by itself);
            # 10: Ctrl-a x; else it never connected.
            wait "$sepid"
            local trc=$?
            sepid=""
            if [ $trc != 0 ]; then
                kill $pid 2>/dev/null
                wait $pid 2>/dev/null
                [ $trc = 10 ] && { quit=1; return 0; }
                return 2
            fi
        fi
        if grep -q "^power: halted" "$log" 2>/dev/null; then
            sleep 0.5
            kill $pid 2>/dev/null
            wait $pid 2>/dev/null
            halted=1
            return 0
        fi
        sleep 0.5
    done
    wait $pid
}
# serial_done: wait for serial-expect.py, which ends when the emulator
# closes the connection (so the log is complete); it is killed if still
# there 5 s later (the emulator never connected). Its status in src.
serial_done() {
    src=0
    [ -n "$sepid" ] || return 0
    for _ in $(seq 100); do
        kill -0 $sepid 2>/dev/null || break
        sleep 0.05
    done
    kill $sepid 2>/dev/null
    wait $sepid
    src=$?
    sepid=""
    if [ $src != 0 ] && [ ! -s "$work/serial.err" ]; then
        echo "serial-expect.py still running 5 s after the emulator ended (never connected?); killed (status $src)" >"$work/serial.err"
    fi
}
halted=0 src=0 quit=0
work=$(mktemp -d /tmp/hv-boot.XXXXXX)
tailpid="" sepid=""
trap 'kill $tailpid $sepid 2>/dev/null; rm -rf "$work"' EXIT
: > "$log"

# Show the console live unless --quiet (serial-term.py shows it itself).
if [ $quiet = 0 ] && [ $interactive = 0 ]; then
    tail -n +1 -F "$log" 2>/dev/null &
    tailpid=$!
fi

# With a serial script, COM1 is a TCP connection to serial-expect.py, which
# listens (on a port it picks) before the emulator starts and fills the log.
# Bochs (socket-client) connects once while it starts; a refused connection
# leaves COM1 silently unconnected. It takes the next input byte from the
# socket only when the guest has emptied the receive FIFO, so typed input
# waits in the socket, never overruns; input still unread when Bochs exits
# turns its close into a reset (serial-expect.py acknowledges at once so no
# output is lost to it). QEMU (-serial tcp:) also reads only what fits.
serial_bochs="com1: enabled=1, mode=file, dev=$log"
serial_qemu="file:$log"
if [ -n "$sscript" ]; then
    python3 "$here/serial-expect.py" --listen 0 --port-file "$work/port" \
        --log "$log" --script "$sscript" --timeout "$timeout" \
        2>"$work/serial.err" &
    sepid=$!
    for _ in $(seq 200); do
        [ -s "$work/port" ] || ! kill -0 $sepid 2>/dev/null && break
        sleep 0.05
    done
    if [ ! -s "$work/port" ]; then
        echo "boot.sh: serial-expect.py did not start:" >&2
        cat "$work/serial.err" >&2
        exit 2
    fi
    port=$(cat "$work/port")
    serial_bochs="com1: enabled=1, mode=socket-client, dev=127.0.0.1:$port"
    serial_qemu="tcp:127.0.0.1:$port"
fi
# Interactive: the same, with serial-term.py on this terminal.
if [ $interactive = 1 ]; then
    # <&0: a background job's stdin would be /dev/null otherwise.
    python3 "$here/serial-term.py" --listen 0 --port-file "$work/port" --log "$log" <&0 &
    sepid=$!
    for _ in $(seq 200); do
        [ -s "$work/port" ] || ! kill -0 $sepid 2>/dev/null && break
        sleep 0.05
    done
    [ -s "$work/port" ] || { echo "boot.sh: serial-term.py did not start" >&2; exit 2; }
    port=$(cat "$work/port")
    serial_bochs="com1: enabled=1, mode=socket-client, dev=127.0.0.1:$port"
    serial_qemu="tcp:127.0.0.1:$port"
fi

case "$emu" in
bochs)
    if [ "$fw" = uefi ]; then
        [ -n "$disk" ] || { echo "boot.sh: bochs uefi needs --disk" >&2; exit 2; }
        # Bochs locks its disk image (IMG.lock), and a killed run leaves the
        # lock behind: boot a private copy so runs never block each other.
        cp "$disk" "$work/disk.img"
        media="ata0-master: type=disk, path=$work/disk.img, mode=flat"
        rom="romimage: file=/usr/share/ovmf/OVMF.fd, address=0xffe00000"
        bootdev="boot: disk"
    else
        [ -n "$iso" ] || { echo "boot.sh: bochs bios needs --iso" >&2; exit 2; }
        media="ata0-master: type=cdrom, path=$iso, status=inserted"
        rom="romimage: file=/usr/share/bochs/BIOS-bochs-latest"
        bootdev="boot: cdrom"
    fi
    # Quirks: the Debian build's ALSA sound plugin aborts without a sound
    # card, so sound uses the dummy drivers; rfb with timeout=0 is the
    # headless display; ips fixes the emulated time base (the TSC follows
    # instructions, see docs/scheduler.md "Measuring: make bench").
    # Bochs backs at most 2048 MiB with host memory at once; larger guests
    # page the rest (memory: guest=, host=).
    cat > "$work/bochsrc" <<RC
memory: guest=$megs, host=$((megs < 2048 ? megs : 2048))
cpu: model=corei7_skylake_x, count=$cpus, ips=50000000, reset_on_triple_fault=0
$rom
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
$media
$bootdev
$serial_bochs
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
clock: sync=none, time0=local
log: $work/bochs.log
panic: action=fatal
error: action=report
RC
    echo c > "$work/cmds"
    run bochs -q -f "$work/bochsrc" -rc "$work/cmds" </dev/null >"$work/bochs.out" 2>&1
    rc=$?
    serial_done
    # Bochs 2.7 ends both clean ends as a "panic" (panic: action=fatal),
    # exiting with 1 ("quit_sim called with exit code 1"):
    #   ...p[ACPI  ] >>PANIC<< ACPI control: soft power off      (ACPI S5)
    #   ...p[UNMAP ] >>PANIC<< Shutdown port: shutdown requested (port 0x8900)
    # Only these turn its 1 into 0, the second only after the core's own
    # "power: test exit (status 0)" (arch/x86/power.c). Never a time-out
    # (124), and never the BIOS's "Shutdown flag 0", which every boot logs.
    if [ $rc = 1 ]; then
        if grep -q "\] >>PANIC<< ACPI control: soft power off" "$work/bochs.log" 2>/dev/null; then
            rc=0
        elif grep -q "\] >>PANIC<< Shutdown port: shutdown requested" "$work/bochs.log" 2>/dev/null &&
             grep -q "power: test exit (status 0)" "$log"; then
            rc=0
        fi
    fi
    if [ -n "${HV_BOOT_KEEP:-}" ]; then cp "$work/bochs.log" "$log.bochs"; fi
    ;;
qemu-kvm|qemu-tcg)
    accel="-accel tcg -cpu max"
    [ "$emu" = qemu-kvm ] && accel="-accel kvm -cpu host"
    if [ "$fw" = uefi ]; then
        [ -n "$disk" ] || { echo "boot.sh: qemu uefi needs --disk" >&2; exit 2; }
        cp /usr/share/ovmf/OVMF.fd "$work/OVMF.fd"
        cp "$disk" "$work/disk.img"
        media="-drive if=pflash,format=raw,file=$work/OVMF.fd -drive format=raw,file=$work/disk.img"
    else
        [ -n "$iso" ] || { echo "boot.sh: qemu bios needs --iso" >&2; exit 2; }
        media="-cdrom $iso"
    fi
    # shellcheck disable=SC2086
    run qemu-system-x86_64 $accel -smp "$cpus" -m "$megs" \
        -display none -monitor none -serial "$serial_qemu" -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x01 $media $qargs \
        </dev/null >"$work/qemu.out" 2>&1
    rc=$?
    serial_done
    # isa-debug-exit with status 0 exits QEMU with 1: a clean test exit.
    [ $rc = 1 ] && grep -q "power: test exit (status 0)" "$log" && rc=0
    ;;
*)
    echo "boot.sh: unknown emulator $emu" >&2; exit 2 ;;
esac
[ $halted = 1 ] && rc=0
if [ $interactive = 1 ]; then
    # Ctrl-a x (serial-term.py says so) is a normal end of a session.
    [ $quit = 1 ] && rc=0
    src=0
fi
if [ $src != 0 ]; then
    echo "boot.sh: serial script $sscript failed:" >&2
    cat "$work/serial.err" >&2
    [ $rc = 0 ] && rc=3
fi
[ $quiet = 0 ] && sleep 0.3
exit $rc
