#!/bin/bash
# scripts/check-layers.sh must catch a call that goes up, and one between
# two folders of the same level, naming the symbol and files; and pass a
# tree whose calls all go down. Builds a tiny fake tree in a temp dir.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d /tmp/hv-layers.XXXXXX)
trap 'rm -rf "$t"' EXIT
bad=0

mk() {      # mk DIR: a fake repository with the real checker
    mkdir -p "$1/scripts" "$1/lib" "$1/vm" "$1/drivers" "$1/boot"
    cp "$here/scripts/check-layers.sh" "$1/scripts/"
    git -C "$1" init -q
}
build() {   # build DIR: compile every C file into DIR/build/core
    (cd "$1" && git add -A && for c in $(git ls-files '*.c'); do
        mkdir -p "build/core/$(dirname "$c")"
        gcc -c -O0 -o "build/core/${c%.c}.o" "$c" || exit 1
    done)
}

# Good: vm calls lib.
mk "$t/good"
echo 'int lib_twice(int x) { return 2 * x; }' > "$t/good/lib/a.c"
echo 'int lib_twice(int); int vm_run(void) { return lib_twice(2); }' > "$t/good/vm/b.c"
build "$t/good"
if out=$(cd "$t/good" && scripts/check-layers.sh build 2>&1); then
    echo "  ok: downward calls pass"
else
    echo "  WRONG: a tree with only downward calls failed: $out"; bad=1
fi

# Bad: lib calls vm (up), drivers calls boot (same level).
mk "$t/bad"
echo 'int vm_run(void); int lib_helper(void) { return vm_run(); }' > "$t/bad/lib/a.c"
echo 'int vm_run(void) { return 1; }' > "$t/bad/vm/b.c"
echo 'int boot_probe(void) { return 0; }' > "$t/bad/boot/p.c"
echo 'int boot_probe(void); int drv_init(void) { return boot_probe(); }' > "$t/bad/drivers/d.c"
build "$t/bad"
out=$(cd "$t/bad" && scripts/check-layers.sh build 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "lib/a.o uses vm_run from vm/b.o (calls up" <<< "$out" &&
   grep -q "drivers/d.o uses boot_probe from boot/p.o (same level" <<< "$out"; then
    echo "  ok: a call up and a call across one level are named"
else
    echo "  WRONG: the checker missed a bad call (status $rc):"; echo "$out" | sed 's/^/  | /'; bad=1
fi
exit $bad
