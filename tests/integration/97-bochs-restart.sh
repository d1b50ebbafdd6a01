#!/bin/bash
# on_stop = restart: a guest that triple-faults is re-created from its
# image; the new instance finds none of the old instance's memory and
# stops with 0; a clean stop is not restarted.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/restart.cfg" --emulator bochs --cpus 1 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^\[phoenix\] first instance: leaving a secret, then crashing" "first instance ran"
expect "^guest phoenix stopped: triple fault .*\(status 255\)" "it crashed"
expect "^guest phoenix: restarting \(instance 2\) with its memory scrubbed" "restarted"
expect "^\[phoenix\] second instance" "second instance ran"
expect "^\[phoenix\] ok: the old instance's memory is scrubbed" "memory scrubbed"
expect "^guest phoenix stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "second instance stopped with 0"
reject "restarting \(instance 3\)" "a clean stop (status 0) is not restarted"
expect "^power: ACPI S5" "powered off"
expect_rc 1 "hvrun counts the crashed first instance"
finish
