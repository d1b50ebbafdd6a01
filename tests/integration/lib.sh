# Shared by the integration tests: boot an image, then check the console
# as a person would read it.
#   boot ARGS...        scripts/boot.sh --quiet with a log in $LOG; says
#                       "TIMEOUT after N s" when the timeout ended it
#   expect "REGEX" what  the console has a line matching REGEX
#   reject "REGEX" what  no console line matches REGEX
#   expect_rc N what    boot (or the test's own BOOT_RC) ended with status N;
#                       `expect_rc 124` is how a test expects a time-out
#   finish              exit 0 if every check held, else print the log tail.
#                       A time-out (BOOT_RC 124) fails the test unless it
#                       was expected, even when no expect_rc checks it.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
NAME=$(basename "$0" .sh)
LOG=$BUILD/test-logs/$NAME.log
mkdir -p "$BUILD/test-logs"
bad=0
BOOT_RC=0
timeout_ok=0

boot() {
    "$ROOT/scripts/boot.sh" --quiet --log "$LOG" "$@"
    BOOT_RC=$?
    tr -d '\r' < "$LOG" > "$LOG.txt"
    if [ $BOOT_RC = 124 ]; then
        local t=120 prev="" a           # 120: boot.sh's default
        for a in "$@"; do
            [ "$prev" = --timeout ] && t=$a
            prev=$a
        done
        echo "  TIMEOUT after $t s (the emulator was stopped, it did not end by itself)"
    fi
}

expect() {
    if grep -Eq -- "$1" "$LOG.txt"; then
        echo "  ok: $2"
    else
        echo "  MISSING: $2 (no line matches /$1/)"; bad=1
    fi
}

reject() {
    if grep -Eq -- "$1" "$LOG.txt"; then
        echo "  UNEXPECTED: $2: $(grep -Em1 -- "$1" "$LOG.txt")"; bad=1
    else
        echo "  ok: $2"
    fi
}

expect_rc() {
    [ "$1" = 124 ] && timeout_ok=1
    if [ "$BOOT_RC" = "$1" ]; then
        echo "  ok: $2"
    else
        echo "  WRONG EXIT: $2 (emulator exit status $BOOT_RC$([ "$BOOT_RC" = 124 ] && echo ": timed out"), want $1${3:+; $3})"; bad=1
    fi
}

finish() {
    if [ "$BOOT_RC" = 124 ] && [ $timeout_ok = 0 ]; then
        echo "  TIMEOUT: the run was ended by its timeout (exit status 124), which this test does not expect"; bad=1
    fi
    if [ $bad != 0 ]; then
        echo "  ---- console ($LOG):"; tail -n 40 "$LOG.txt" | sed 's/^/  | /'
    fi
    exit $bad
}
