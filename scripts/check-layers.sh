#!/bin/bash
# The layering rule of docs/CONVENTIONS.md, checked on the built core:
# a folder calls only folders on lower levels (folders that share a level
# do not call each other), so the folder graph has no cycle. Reads the objects' symbol tables (nm): for every
# undefined symbol of an object, the folder that defines it.
#
#   scripts/check-layers.sh [BUILD_DIR]        (default: build)
#
# Prints each call that goes the wrong way, with the symbol and the two
# files, and exits 1 if there is one; else prints the folder graph.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}

# Lowest first; folders on one line share a level and must not call each
# other. Keep in step with docs/CONVENTIONS.md and docs/architecture.md.
LAYERS=(
    "lib"
    "mm"
    "drivers boot config"
    "arch/x86"
    "vmx"
    "vm"
    "dm"
    "exit guest"
    "sched"
    "mgmt"
    "core"
)

declare -A level
for i in "${!LAYERS[@]}"; do
    for f in ${LAYERS[$i]}; do level[$f]=$i; done
done

# The objects of the sources that exist now (stale objects of moved
# files may still sit in the build directory).
objs=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    srcs=$(git ls-files '*.c' '*.asm')
else
    srcs=$(find . -name '*.c' -o -name '*.asm' | sed 's#^\./##')
fi
for src in $srcs; do
    dir=$(dirname "$src")
    [ -n "${level[$dir]:-}" ] || continue
    case "$src" in *.asm) o=$BUILD/core/${src%.asm}.asm.o ;; *) o=$BUILD/core/${src%.c}.o ;; esac
    if [ ! -f "$o" ]; then
        echo "check-layers: $o missing: build the core first (make core)" >&2
        exit 2
    fi
    objs+=("$o")
done

# "folder file symbol" for definitions (D) and references (U).
table=$(for o in "${objs[@]}"; do
    rel=${o#"$BUILD"/core/}
    dir=$(dirname "$rel")
    nm "$o" | awk -v d="$dir" -v f="$(basename "$rel")" '
        $1 == "U" { print "U", d, f, $2; next }
        NF == 3 && $2 ~ /^[TDBRVW]$/ { print "D", d, f, $3 }'
done)

bad=0
declare -A edges=()

# Join references with definitions.
report=$(awk '
    $1 == "D" { def[$4] = $2 "|" $3; next }
    $1 == "U" { ref[++n] = $2 "|" $3 "|" $4 }
    END {
        for (i = 1; i <= n; i++) {
            split(ref[i], r, "|")
            if (!(r[3] in def)) continue
            split(def[r[3]], d, "|")
            if (d[1] != r[1]) print r[1], d[1], r[3], r[2], d[2]
        }
    }' <<< "$table" | sort -u)

while read -r from to sym ffile tfile; do
    [ -n "$from" ] || continue
    edges["$from -> $to"]=1
    lf=${level[$from]} lt=${level[$to]}
    if [ "$lt" -ge "$lf" ]; then
        if [ "$lt" = "$lf" ]; then why="same level"; else why="calls up"; fi
        echo "layering: $from/$ffile uses $sym from $to/$tfile ($why: ${LAYERS[$lf]} is layer $lf, ${LAYERS[$lt]} is layer $lt)"
        bad=1
    fi
done <<< "$report"

if [ $bad != 0 ]; then
    echo "layering: FAILED: lower layers never call up (docs/CONVENTIONS.md)"
    exit 1
fi
if [ ${#objs[@]} = 0 ]; then
    echo "check-layers: no objects of the core found under $BUILD/core" >&2
    exit 2
fi
echo "layering: ${#objs[@]} objects, ${#edges[@]} folder edges, all downward:"
for e in "${!edges[@]}"; do echo "  $e"; done | sort
