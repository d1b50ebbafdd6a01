#!/bin/bash
# The UEFI path with a guest: hvrun builds an ESP holding the core, the
# configuration and the guest; hvboot loads the files the configuration
# names; the multiboot guest passes its checks; the machine ends through
# the test exit (OVMF in Bochs has no ACPI). A second guest names Debian's
# bzImage and its initramfs (`make linux`) with too little memory: hvboot
# carries both files, the core finds them and refuses the guest with the
# reason (Linux itself boots through GRUB in tests 66 and 67: in Bochs the
# UEFI path has no ACPI timer to measure the TSC against).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-lib.sh"
linux_dir
# hello is not pinned here, so that the second guest is not refused for
# want of a CPU before its files are looked at.
{ grep -v '^cpus = 0$' "$BUILD/guests/hello-uefi.cfg"; printf '%s\n' '' '[guest tiny]' 'kernel = bzImage' \
    'initrd = initramfs.cpio.gz' 'memory = 8M'; } > "$LDIR/hv.cfg"
"$ROOT/scripts/hvrun" "$LDIR/hv.cfg" --emulator bochs --firmware uefi \
    --cpus 1 --timeout 300 --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^hvboot: module hello.elf at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded the guest named by the configuration"
expect "^hvboot: module bzImage at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded a Linux kernel"
expect "^hvboot: module initramfs.cpio.gz at 0x[0-9a-f]+, [0-9]+ bytes" "hvboot loaded its initramfs (initrd =)"
expect "^hv.cfg:[0-9]+: \[guest tiny\]: bzImage: .*" "the Linux guest with 8M is refused with the reason"
expect "^boot: UEFI path" "core entered from hvboot"
expect "^guest hello: 32 MiB at host 0x[0-9a-f]+, 1 vCPU shared, weight 256, multiboot entry" "guest placed"
expect "^\[hello\] ok: VMXON raises #UD" "guest checks ran"
expect "^\[hello\] all checks done" "guest ran to the end"
reject "FAIL" "no check failed"
expect "^guest hello stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "guest stopped with 0"
expect "^power: test exit \(status 0\)" "ended through the test exit"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
