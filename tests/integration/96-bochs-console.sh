#!/bin/bash
# Partitioning on one CPU, driven from the operator console: four CPU-bound
# guests time-shared on CPU 0 (weights 1:1:2:1, one of them storming the
# hypervisor with exits) and a management guest that lists the guests and
# restarts one by hypercall. The console session (scripts/console.txt)
# types list, stats, stop, start, restart and console commands through
# the serial line and reads the answers.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/timeshare.cfg" --emulator bochs --cpus 1 --timeout 400 \
    --quiet --log "$LOG" --serial-script "$ROOT/tests/integration/scripts/console.txt"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
for g in a b c d; do
    expect "^guest $g: 8 MiB at host 0x[0-9a-f]+, 1 vCPU shared, weight (256|512)," "guest $g shared"
    expect "^\[$g\] tick 2$" "guest $g ran (time-shared)"
done
expect "^\[mgr\] guest d state 1 vcpus 1" "management guest lists the guests"
expect "^\[mgr\] ok: info beyond the last guest is -ENOENT" "management: -ENOENT past the end"
expect "^guest b: restarted by the management guest \(instance 2\) with its memory scrubbed" \
    "management guest restarted b"
expect "^\[mgr\] ok: restart hypercall accepted" "restart hypercall result"
expect "^guest +state +inst +vCPU:cpu +exits +run ms" "list: header"
expect "^c +running +1 +0:0 +[0-9]+ +[0-9]+" "list: c running on cpu 0"
expect "^mgr +stopped +1 +0:- " "list: mgr stopped"
expect "^  vCPU 0: cpu 0, (running|runnable), run [0-9]+ ms, wait [0-9]+ ms, [0-9]+ exits, 0 moves" \
    "stats: per-vCPU run and wait time"
expect "^  VMX-preemption timer expired +[0-9]+ exits" "stats: slices end by the preemption timer"
expect "^commands: list \| stats NAME \| stop NAME \| start NAME \| restart NAME \| console NAME" "help lists the commands"
expect "^unknown command 'frobnicate' \(try help\)" "unknown command"
expect "^no guest named 'nosuch'" "unknown guest"
expect "^guest a stopped: stopped by the operator \(status 0\)" "stop a"
expect "^guest a: started by the operator \(instance 2\) with its memory scrubbed" "start a"
expect "^guest c stopped: restarted by the operator \(status 0\)" "restart c: stopped"
expect "^guest c: restarted by the operator \(instance 2\) with its memory scrubbed" "restart c: started"
expect "^console: typing goes to b's serial port" "console b"
expect "^\[b\] got: hello there" "typed line reached guest b's UART"
expect "^guest b stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "quit typed into b stopped it"
expect "^console: back to the hypervisor shell" "Ctrl-] returns to the shell"
expect "^b +stopped +2 +0:- " "list after: b stopped, instance 2"
expect "^guest d: [0-9]+ exits: CPUID [0-9]{4,}" "the storming guest made its exits"
reject "FAIL" "no check failed"
expect "^hv: every guest has stopped; on_idle = poweroff" "on_idle after the last stop"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "hvrun: the console session passed and every guest stopped with 0"
finish
