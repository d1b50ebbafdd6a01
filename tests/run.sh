#!/bin/bash
# The whole test suite: host unit tests (cmocka, ASan/UBSan), the static
# checks (tests/checks/: layering, tree), short fuzz runs, then the
# emulator boots in tests/integration/. Ends with one line "N passed, N failed".
#
#   tests/run.sh [--unit-only] [--integration-only] [NAME...]
# NAME selects integration tests by file name (without .sh).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0 failures=""
unit=1 integ=1
names=()
for a in "$@"; do
    case "$a" in
    --unit-only) integ=0 ;;
    --integration-only) unit=0 ;;
    *) names+=("$a") ;;
    esac
done

record() {      # record NAME ok|fail
    if [ "$2" = ok ]; then
        passed=$((passed + 1)); echo "PASS $1"
    else
        failed=$((failed + 1)); failures="$failures $1"; echo "FAIL $1"
    fi
}

if [ $unit = 1 ]; then
    for t in "$BUILD"/unit/test_*; do
        [ -x "$t" ] || continue
        case "$t" in *.d) continue ;; esac
        name=$(basename "$t")
        out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
        rc=$?
        while read -r line; do
            case "$line" in
            "ok "*) record "$name:${line#ok * - }" ok ;;
            "not ok "*) record "$name:${line#not ok * - }" fail ;;
            esac
        done <<< "$out"
        # A crash or sanitizer report outside any test case still fails.
        if [ $rc != 0 ] && ! grep -q "^not ok" <<< "$out"; then
            record "$name:(binary exited $rc)" fail
        fi
        [ $rc != 0 ] && echo "$out" | grep -v "^ok " | head -40
    done
fi

# Static checks of the tree and the built core (tests/checks/).
if [ $unit = 1 ]; then
    for c in tests/checks/*.sh; do
        name=check:$(basename "$c" .sh)
        if out=$(BUILD="$BUILD" bash "$c" 2>&1); then
            record "$name" ok
        else
            echo "$out" | tail -40
            record "$name" fail
        fi
    done
fi

# Fuzz targets: a short run each (make fuzz runs them for minutes).
if [ $unit = 1 ]; then
    for f in "$BUILD"/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        name=$(basename "$f")
        mkdir -p "$BUILD/fuzz/corpus-$name"
        if out=$("$f" -max_total_time="${FUZZ_SHORT:-10}" "$BUILD/fuzz/corpus-$name" 2>&1); then
            record "fuzz:$name" ok
        else
            echo "$out" | tail -30
            record "fuzz:$name" fail
        fi
    done
fi

if [ $integ = 1 ]; then
    for t in tests/integration/[0-9]*.sh; do
        name=$(basename "$t" .sh)
        if [ ${#names[@]} -gt 0 ]; then
            match=0
            for n in "${names[@]}"; do [[ "$name" == *"$n"* ]] && match=1; done
            [ $match = 1 ] || continue
        fi
        echo "---- $name"
        start=$(date +%s)
        if bash "$t"; then r=ok; else r=fail; fi
        echo "     ($(( $(date +%s) - start )) s)"
        record "$name" $r
    done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
