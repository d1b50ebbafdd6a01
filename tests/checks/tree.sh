#!/bin/bash
# The tree a newcomer opens: the repository root holds only project files
# (scratch output goes under build/ or /tmp), and no source file of the
# product (core, loader, scripts' C) is over 800 lines.
set -u
cd "$(dirname "$0")/../.."
bad=0
allowed=" .ci .gitignore Makefile README.md arch boot config configs core dm docs drivers exit guest include lib mgmt mm sched scripts tests tools vm vmx "
for e in $(git ls-files | cut -d/ -f1 | sort -u); do
    case "$allowed" in
    *" $e "*) ;;
    *) echo "  root: '$e' is not a project file (scratch goes under build/ or /tmp)"; bad=1 ;;
    esac
done
for f in $(git ls-files '*.c' | grep -v '^tests/'); do
    [ -f "$f" ] || continue
    n=$(wc -l < "$f")
    if [ "$n" -gt 800 ]; then
        echo "  size: $f has $n lines (at most 800: split it by concern)"; bad=1
    fi
done
[ $bad = 0 ] && echo "  ok: root holds only project files; no product C file over 800 lines"
exit $bad
