# Shared by the integration tests: boot an image, then check the console
# as a person would read it.
#   boot ARGS...        scripts/boot.sh --quiet with a log in $LOG
#   expect "REGEX" what  the console has a line matching REGEX
#   reject "REGEX" what  no console line matches REGEX
#   finish              exit 0 if every check held, else print the log tail
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
NAME=$(basename "$0" .sh)
LOG=$BUILD/test-logs/$NAME.log
mkdir -p "$BUILD/test-logs"
bad=0
BOOT_RC=0

boot() {
    "$ROOT/scripts/boot.sh" --quiet --log "$LOG" "$@"
    BOOT_RC=$?
    tr -d '\r' < "$LOG" > "$LOG.txt"
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
    if [ "$BOOT_RC" = "$1" ]; then
        echo "  ok: $2"
    else
        echo "  WRONG EXIT: $2 (emulator exit status $BOOT_RC, want $1${3:+; $3})"; bad=1
    fi
}

finish() {
    if [ $bad != 0 ]; then
        echo "  ---- console ($LOG):"; tail -n 40 "$LOG.txt" | sed 's/^/  | /'
    fi
    exit $bad
}
