#!/bin/bash
# The same Debian kernel as its bzImage (the x86 boot protocol: zero page,
# 64-bit entry in long mode, the kernel decompresses itself) with 1 vCPU:
# init's checks, the workload, and `poweroff -f` stops it with status 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-lib.sh"
linux_dir
cat > "$LDIR/hv.cfg" <<CFG
[hypervisor]
on_idle = poweroff

[guest linux]
kernel = bzImage
initrd = initramfs.cpio.gz
cmdline = $LINUX_CMDLINE linuxtest=poweroff
memory = 192M
CFG
"$ROOT/scripts/hvrun" "$LDIR/hv.cfg" --emulator bochs --cpus 1 --megs 512 --timeout 1800 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest linux: 192 MiB at host 0x[0-9a-f]+, 1 vCPU shared, weight 256, bzImage 64-bit entry 0x" \
    "the bzImage is started at its 64-bit entry"
expect_checks 1 $((192 << 20))
expect "^\[linux\] linux-init: powering off$" "init powers off"
expect "^guest linux stopped: ACPI power-off \(S5, port 0x604 = 0x[0-9a-f]+\) \(status 0\)" "stopped with status 0"
expect "^power: ACPI S5" "the machine powered off"
reject "EXCEPTION|PANIC" "no exception or panic in the hypervisor"
expect_rc 0 "hvrun: every guest stopped with 0"
finish
