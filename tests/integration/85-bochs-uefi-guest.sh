#!/bin/bash
# The UEFI path with guests: hvrun builds an ESP holding the core, the
# configuration and the guests; hvboot loads the files the configuration
# names. OVMF in Bochs installs no ACPI tables, so the core measures its
# TSC with the PIT (not CPUID's 3.5 GHz) and the machine ends through the
# test exit. On the one CPU, time-shared: the multiboot guest passes its
# checks, and Debian's kernel as the PVH vmlinux with its initramfs
# (`make linux`) boots, passes init's checks (one vCPU, a clean dmesg, no
# soft lockup) and powers off with status 0. A third guest names the
# bzImage and the initramfs with too little memory: hvboot carries both
# files, the core finds them and refuses the guest with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-lib.sh"
linux_dir
# hello is not pinned here, so that the second guest is not refused for
# want of a CPU before its files are looked at.
{ grep -v '^cpus = 0$' "$BUILD/guests/hello-uefi.cfg"
  printf '%s\n' '' '[guest linux]' 'kernel = vmlinux' 'initrd = initramfs.cpio.gz' \
      "cmdline = $LINUX_CMDLINE" 'memory = 160M' 'cpus = shared'
  printf '%s\n' '' '[guest tiny]' 'kernel = bzImage' 'initrd = initramfs.cpio.gz' 'memory = 8M'
} > "$LDIR/hv.cfg"
"$ROOT/scripts/hvrun" "$LDIR/hv.cfg" --emulator bochs --firmware uefi \
    --cpus 1 --megs 512 --timeout 1200 --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^hvboot: module hello.elf at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded the guest named by the configuration"
expect "^hvboot: module vmlinux at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded the PVH vmlinux"
expect "^hvboot: module bzImage at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded a bzImage"
expect "^hvboot: module initramfs.cpio.gz at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded its initramfs (initrd =)"
expect "^hv.cfg:[0-9]+: \[guest tiny\]: bzImage: .*" "the Linux guest with 8M is refused with the reason"
expect "^boot: UEFI path" "core entered from hvboot"
expect "^guest hello: 32 MiB at host 0x[0-9a-f]+, 1 vCPU shared, weight 256, multiboot entry" "guest placed"
expect "^\[hello\] ok: VMXON raises #UD" "guest checks ran"
expect "^\[hello\] all checks done" "guest ran to the end"
reject "FAIL" "no check failed"
expect "^guest hello stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "guest stopped with 0"
expect "^tsc: 50\.000 MHz \(measured with the PIT;" "the TSC measured with the PIT"
expect "^guest linux: 160 MiB at host 0x[0-9a-f]+, 1 vCPU shared, weight 256, PVH entry 0x" \
    "the Linux guest placed, started at its PVH entry"
expect_checks 1 $((160 << 20))
expect_console_irq IO-APIC
reject "soft lockup|clocksource.*unstable" "no soft lockup, a stable clock"
expect "^guest linux stopped: ACPI power-off \(S5, port 0x604 = 0x3401\) \(status 0\)" \
    "Linux powered its guest off: status 0"
expect "^power: test exit \(status 0\)" "ended through the test exit"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
