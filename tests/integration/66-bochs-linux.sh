#!/bin/bash
# A stock Debian 12 kernel (PVH vmlinux, its own initramfs from
# tests/linux/init) with 3 vCPUs time-shared on CPUs 1 and 2 (more vCPUs
# than CPUs, and IPIs, TLB shootdowns and timers between vCPUs on
# different CPUs), beside a test guest pinned to CPU 0 that keeps its heartbeat (spin.elf halting between
# its 100 ms ticks). From the operator console (scripts/linux-console.txt):
# list and stats show it; a command typed into the Linux shell and its
# answer; a kernel panic (SysRq-c) that stops only this guest through
# pvpanic, and on_stop = restart brings it back; `poweroff -f` stops it
# with status 0; then the operator stops the heartbeat. (A Linux reboot is
# test 67's.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-lib.sh"
linux_dir
cat > "$LDIR/hv.cfg" <<CFG
[hypervisor]
on_idle = poweroff

[guest linux]
kernel = vmlinux
initrd = initramfs.cpio.gz
cmdline = $LINUX_CMDLINE linuxtest=shell
memory = 256M
vcpus = 3
cpus = shared 1-2
on_stop = restart

[guest heart]
kernel = spin.elf
cmdline = halt
memory = 8M
cpus = 0
CFG
"$ROOT/scripts/hvrun" "$LDIR/hv.cfg" --emulator bochs --cpus 3 --megs 1024 --timeout 1800 \
    --quiet --log "$LOG" --serial-script "$ROOT/tests/integration/scripts/linux-console.txt"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest linux: 256 MiB at host 0x[0-9a-f]+, 3 vCPUs shared, weight 256, PVH entry 0x" \
    "the vmlinux is started at its PVH entry"
expect "^guest heart: 8 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu0" "heart pinned to CPU 0"
expect_console_irq IO-APIC
expect_checks 3 $((256 << 20))
# The neighbour kept its heartbeat while Linux booted on the other CPU:
# 100 ms ticks, at least 100 of them before Linux reached init.
ticks=$(sed '/linux-init: reached init/q' "$LOG.txt" | grep -c '^\[heart\] tick ')
if [ "$ticks" -ge 100 ]; then
    echo "  ok: heart ticked $ticks times while Linux booted"
else
    echo "  MISSING: heart ticked only $ticks times before Linux reached init"; bad=1
fi
expect "^linux +running +1 +0:[12-] 1:[12-] 2:[12-] +[0-9]+ +[0-9]+" "list shows the Linux guest and its three vCPUs"
expect "^  vCPU 2: cpu ([12]|-1), (running|runnable|blocked), run [0-9]+ ms" "stats linux: its third vCPU"
expect "^console: typing goes to linux's serial port" "console linux"
expect "^\[linux\] answer=42" "a command typed into the Linux shell ran and answered"
expect "^guest linux stopped: its kernel panicked \(pvpanic\) \(status 1\)" "a panic stops the guest"
expect "^guest linux: restarting \(instance 2\) with its memory scrubbed" "on_stop = restart brings it back"
expect "^guest linux stopped: ACPI power-off \(S5, port 0x604 = 0x[0-9a-f]+\) \(status 0\)" "poweroff -f: status 0"
expect "^guest heart stopped: stopped by the operator \(status 0\)" "the operator stops the heartbeat"
n=$(grep -c '^\[linux\] linux-init: shell ready' "$LOG.txt")
[ "$n" = 2 ] && echo "  ok: both instances reached the shell" || { echo "  MISSING: 2 instances reached the shell (got $n)"; bad=1; }
expect "^guest heart: [0-9]+ exits: .*HLT [0-9]+" "the heartbeat halted between its ticks"
reject "APIC error|TSC unstable|nobody cared" "no APIC error, TSC trouble or stray interrupt"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic in the hypervisor"
# 1: the panic (status 1) counts as a failed guest for hvrun.
expect_rc 1 "hvrun: the console session passed; the panicked instance counts as a failure"
finish
