#!/bin/sh
# Write a bochsrc (Bochs 2.7, Debian 12) for one boot to stdout.
#
#   scripts/bochsrc.sh --firmware uefi|bios (--disk IMG | --iso ISO)
#                      [--cpus N] [--megs M] [--serial FILE] [--log FILE]
#                      [--ips N]
#
# Then: echo c > CMDS; bochs -q -f RC -rc CMDS </dev/null
# (-rc with "c" starts the simulation without the debugger prompt.)
#
# What we found, so the runners need not find it again:
#
# - UEFI: OVMF.fd (2 MiB) is the system ROM, mapped to end at 4 GiB
#   (address=0xffe00000). From power-on to hvboot takes ~9 s wall time
#   with ips=50000000 on this host; the loader to the core another second.
# - OVMF in Bochs installs no ACPI tables (it takes them from QEMU's
#   fw_cfg, which Bochs lacks): no RSDP, no MADT, so one CPU is all the core
#   can find. It also offers no graphics output protocol, with or without
#   "pci: ... slot1=pcivga", so no framebuffer; the console is COM1.
# - OVMF boots a bare FAT image (no partition table) as a flat disk, the
#   way build/esp.img is made; the GPT image (hv-usb.img) boots too.
# - OVMF copies its console (and so hvboot's lines) to COM1 as well; the
#   serial log starts with a few VT100 escapes from the firmware.
# - No vgaromimage is needed with OVMF (it runs no legacy option ROMs); the
#   BIOS path wants the LGPL VGA BIOS.
# - Bochs locks a disk image with IMG.lock while it runs and does not
#   remove the lock when killed (timeout, SIGTERM): the next run on the same
#   image then fails with "could not open hard drive image file". Two runs
#   cannot share one image either. Boot a private copy of the image (cheap:
#   a few MiB, sparse) or remove a stale IMG.lock first. ISOs (cdrom) are
#   not locked.
# - Flat disks: Bochs derives a CHS geometry of 16 heads x 63 sectors from
#   the size and warns about data past the last full cylinder; the image
#   builder rounds sizes to whole cylinders (504 KiB).
# - The Debian build's ALSA sound plugin aborts without a sound card, so
#   sound uses the dummy drivers; rfb with timeout=0 is a display that needs
#   no X and does not wait for a client.
# - ips fixes the emulated time base: the TSC advances with emulated
#   instructions, so timings repeat from run to run (clock: sync=none).
set -eu

fw=uefi disk="" iso="" cpus=1 megs=512 serial=/dev/null log=/dev/null ips=50000000
while [ $# -gt 0 ]; do
    case "$1" in
    --firmware) fw=$2; shift ;;
    --disk) disk=$2; shift ;;
    --iso) iso=$2; shift ;;
    --cpus) cpus=$2; shift ;;
    --megs) megs=$2; shift ;;
    --serial) serial=$2; shift ;;
    --log) log=$2; shift ;;
    --ips) ips=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bochsrc.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

if [ -n "$disk" ] && [ -n "$iso" ]; then
    echo "bochsrc.sh: give --disk or --iso, not both" >&2; exit 2
fi
if [ -z "$disk" ] && [ -z "$iso" ]; then
    echo "bochsrc.sh: nothing to boot: give --disk IMG or --iso ISO" >&2; exit 2
fi

case "$fw" in
uefi)
    ovmf=/usr/share/ovmf/OVMF.fd
    size=$(stat -c %s "$ovmf")
    printf 'romimage: file=%s, address=0x%x\n' "$ovmf" $((0x100000000 - size))
    ;;
bios)
    echo "romimage: file=/usr/share/bochs/BIOS-bochs-latest"
    echo "vgaromimage: file=/usr/share/vgabios/vgabios.bin"
    ;;
*)
    echo "bochsrc.sh: --firmware is uefi or bios, not $fw" >&2; exit 2 ;;
esac

cat <<RC
megs: $megs
cpu: model=corei7_skylake_x, count=$cpus, ips=$ips, reset_on_triple_fault=0
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
RC
if [ -n "$disk" ]; then
    echo "ata0-master: type=disk, path=$disk, mode=flat"
    echo "boot: disk"
else
    echo "ata0-master: type=cdrom, path=$iso, status=inserted"
    echo "boot: cdrom"
fi
cat <<RC
com1: enabled=1, mode=file, dev=$serial
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
clock: sync=none, time0=local
log: $log
panic: action=fatal
error: action=report
RC
