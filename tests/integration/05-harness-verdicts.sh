#!/bin/bash
# The harness itself, with no emulator: scripts/boot.sh, scripts/hvrun and
# lib.sh never turn a time-out or a hung guest into a success. A fake
# `bochs` (and `qemu-system-x86_64`) on PATH writes the log lines Bochs 2.7
# writes on each kind of end; a copy of hvrun runs next to a fake boot.sh
# that prints a given console. A few seconds, mostly the 2 s time-outs.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/hv-harness.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bad=0

check() {       # check WHAT WANT GOT
    if [ "$2" = "$3" ]; then
        echo "  ok: $1"
    else
        echo "  WRONG: $1 (exit status $3, want $2)"; bad=1
    fi
}

# ---- scripts/boot.sh with a fake Bochs ----
mkdir -p "$tmp/bin"
cat > "$tmp/bin/bochs" <<'EOF'
#!/bin/bash
# bochs -q -f RC -rc CMDS: console and log paths from RC, the end from FAKE.
while [ $# -gt 0 ]; do [ "$1" = -f ] && rc=$2; shift; done
blog=$(sed -n 's/^log: //p' "$rc")
con=$(sed -n 's/^com1: .*mode=file, dev=//p' "$rc")
echo "00000363694i[BIOS  ] Shutdown flag 0" >> "$blog"
case "$FAKE" in
poweroff)
    printf 'power: ACPI S5 (SLP_TYPa 0, SLP_TYPb 0)\r\n' >> "$con"
    echo "00321482091p[ACPI  ] >>PANIC<< ACPI control: soft power off" >> "$blog"
    echo "00321482091i[SIM   ] quit_sim called with exit code 1" >> "$blog"
    exit 1 ;;
testexit0|testexit1)
    printf 'power: test exit (status %s)\r\n' "${FAKE#testexit}" >> "$con"
    echo "00765565012p[UNMAP ] >>PANIC<< Shutdown port: shutdown requested" >> "$blog"
    exit 1 ;;
panic)
    echo "00001000000p[CPU0  ] >>PANIC<< exception(): 3rd (13) exception with no resolution" >> "$blog"
    exit 1 ;;
hang) exec sleep 60 ;;
late)   # the power-off line, but Bochs never ends by itself
    echo "00321482091p[ACPI  ] >>PANIC<< ACPI control: soft power off" >> "$blog"
    exec sleep 60 ;;
halted)
    printf 'power: halted (on_idle = halt); it is safe to switch the machine off\r\n' >> "$con"
    exec sleep 60 ;;
esac
EOF
printf '#!/bin/bash\nexec sleep 60\n' > "$tmp/bin/qemu-system-x86_64"
chmod +x "$tmp/bin/bochs" "$tmp/bin/qemu-system-x86_64"
: > "$tmp/x.iso"

bootrc() {      # bootrc FAKE [ARGS...]: boot.sh's exit status
    local fake=$1; shift
    FAKE=$fake PATH="$tmp/bin:$PATH" "$ROOT/scripts/boot.sh" --quiet --log "$tmp/con.log" \
        --emulator bochs --firmware bios --iso "$tmp/x.iso" "$@" >/dev/null 2>&1
    echo $?
}
check "bochs: ACPI soft power off is a clean end" 0 "$(bootrc poweroff)"
check "bochs: test exit with status 0 is a clean end" 0 "$(bootrc testexit0)"
check "bochs: test exit with status 1 is not" 1 "$(bootrc testexit1)"
check "bochs: another panic is not (\"Shutdown flag 0\" in the log)" 1 "$(bootrc panic)"
check "bochs: a time-out is 124 (\"Shutdown flag 0\" in the log)" 124 "$(bootrc hang --timeout 2)"
check "bochs: a time-out is 124 even after the power-off line" 124 "$(bootrc late --timeout 2)"
check "bochs: a machine halted for good is a clean end" 0 "$(bootrc halted --timeout 20)"
rc=$(PATH="$tmp/bin:$PATH" "$ROOT/scripts/boot.sh" --quiet --log "$tmp/con.log" \
    --emulator qemu-tcg --firmware bios --iso "$tmp/x.iso" --timeout 2 >/dev/null 2>&1; echo $?)
check "qemu: a time-out is 124" 124 "$rc"

# ---- lib.sh: a time-out fails a test unless it expects one ----
for want in none 124; do
    {
        echo ". '$ROOT/tests/integration/lib.sh'"
        echo "boot --emulator bochs --firmware bios --iso '$tmp/x.iso' --timeout 2"
        [ $want = 124 ] && echo "expect_rc 124 'timed out on purpose'"
        echo "finish"
    } > "$tmp/t-$want.sh"
    out=$(FAKE=hang BUILD="$tmp/build" PATH="$tmp/bin:$PATH" bash "$tmp/t-$want.sh" 2>&1)
    rc=$?
    if [ $want = none ]; then
        check "lib.sh: an unexpected time-out fails the test" 1 $rc
    else
        check "lib.sh: expect_rc 124 accepts a time-out" 0 $rc
    fi
    if grep -q "^  TIMEOUT after 2 s" <<< "$out"; then
        echo "  ok: lib.sh says TIMEOUT after 2 s"
    else
        echo "  MISSING: lib.sh did not say TIMEOUT after 2 s:"; sed 's/^/  | /' <<< "$out"; bad=1
    fi
done

# ---- scripts/hvrun's verdict, from a fake boot.sh's console ----
mkdir -p "$tmp/hv/scripts" "$tmp/hv/build/img" "$tmp/hv/cfg"
cp "$ROOT/scripts/hvrun" "$tmp/hv/scripts/hvrun"
printf 'core guests img-core tools:\n\t@:\n' > "$tmp/hv/Makefile"
: > "$tmp/hv/build/img/hv.elf"
# The configuration parser hvrun asks for the files (tools/hvcfg.c): none here.
mkdir -p "$tmp/hv/build/tools"
printf '#!/bin/sh\nexit 0\n' > "$tmp/hv/build/tools/hvcfg"
chmod +x "$tmp/hv/build/tools/hvcfg"
printf '[guest a]\nmemory = 4M\n' > "$tmp/hv/cfg/a.cfg"
cat > "$tmp/hv/scripts/boot.sh" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do [ "$1" = --log ] && log=$2; shift; done
printf "$CONSOLE" > "$log"
exit "${BOOT_RC:-0}"
EOF
printf '#!/bin/bash\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && : > "$2"; shift; done\n' > "$tmp/bin/grub-mkrescue"
chmod +x "$tmp/hv/scripts/boot.sh" "$tmp/bin/grub-mkrescue"

hvrc() {        # hvrc CONSOLE [BOOT_RC]: hvrun's exit status; its stderr in $tmp/hv.err
    CONSOLE=$1 BOOT_RC=${2:-0} BUILD="$tmp/hv/build" PATH="$tmp/bin:$PATH" \
        "$tmp/hv/scripts/hvrun" "$tmp/hv/cfg/a.cfg" --emulator bochs --firmware bios --quiet \
        >/dev/null 2>"$tmp/hv.err"
    echo $?
}
ok='guest a stopped: wrote 0 to the test-exit port 0xf4 (status 0)\r\n'
check "hvrun: every guest stopped with status 0" 0 "$(hvrc "$ok")"
for why in "halted with no interrupt source left" "halted with interrupts disabled" \
           "every vCPU waits for SIPI or halted for good"; do
    check "hvrun: '$why' is a hang" 4 "$(hvrc "${ok}guest b stopped: $why (status 0)\r\n")"
    if grep -q "^hvrun: guest b hung: $why" "$tmp/hv.err"; then
        echo "  ok: hvrun names the hung guest"
    else
        echo "  MISSING: hvrun did not name guest b as hung:"; sed 's/^/  | /' "$tmp/hv.err"; bad=1
    fi
done
check "hvrun: a failed guest beside a hung one is a failure" 1 \
    "$(hvrc "guest a stopped: triple fault (exit reason 2) (status 255)\nguest b stopped: halted with interrupts disabled (status 0)\n")"
check "hvrun: no guest stopped" 1 "$(hvrc 'hv: no guests\n')"
check "hvrun: a time-out stays 124" 124 "$(hvrc "$ok" 124)"
exit $bad
