#!/bin/bash
# The same Debian kernel as its bzImage (the x86 boot protocol: zero page,
# 64-bit entry in long mode, the kernel decompresses itself) with 1 vCPU
# pinned to CPU 0 (GRUB; test 85 has hvboot carry a kernel and its
# initramfs), booted with noapic: its legacy interrupts (the console's)
# come through the 8259 pair to LINT0 (XT-PIC); init's checks,
# the workload, then `reboot -f`: Linux resets through the FADT's reset
# register (0x06 to port 0xcf9), which with on_reboot = stop stops the
# guest with status 0 (test 90 has a reset re-create its guest).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-lib.sh"
linux_dir
cat > "$LDIR/hv.cfg" <<CFG
[hypervisor]
on_idle = poweroff

[guest linux]
kernel = bzImage
initrd = initramfs.cpio.gz
cmdline = $LINUX_CMDLINE linuxtest=reboot noapic
memory = 192M
cpus = 0
on_reboot = stop
CFG
"$ROOT/scripts/hvrun" "$LDIR/hv.cfg" --emulator bochs --cpus 1 --megs 512 --timeout 1800 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest linux: 192 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu0, bzImage 64-bit entry 0x" \
    "the bzImage is started at its 64-bit entry"
expect_checks 1 $((192 << 20))
expect_console_irq XT-PIC
expect "^\[linux\] linux-init: rebooting$" "init reboots"
expect "^guest linux stopped: reboot requested \(reset control register, port 0xcf9 = 0x06\), on_reboot = stop \(status 0\)" \
    "the reset stops it (on_reboot = stop) with status 0"
reject "restarting \(instance 2\)" "not re-created"
expect "^power: ACPI S5" "the machine powered off"
reject "EXCEPTION|PANIC" "no exception or panic in the hypervisor"
expect_rc 0 "hvrun: every guest stopped with 0"
finish
