# Shared by the Linux guest tests (issue 10), after lib.sh:
#   linux_dir             a fresh directory $LDIR for the test's configuration,
#                         with the artifacts of `make linux` (Debian's kernel as
#                         bzImage and as the PVH vmlinux, the test initramfs:
#                         tests/linux/init) and the test guests linked in
#   LINUX_CMDLINE         the kernel command line for emulators (docs/linux.md)
#   expect_checks N MEM   the init's checks for N vCPUs and MEM bytes of RAM
#   expect_console_irq CHIP  the console's IRQ 4 came, through CHIP (IO-APIC,
#                         or XT-PIC: the 8259, with noapic)
# `make test` builds the artifacts first (`make linux`).
LINUX_CMDLINE="console=ttyS0,115200 quiet mitigations=off cryptomgr.notests nokaslr tsc=reliable no_timer_check"

linux_dir() {
    LDIR=$BUILD/linux-tests/$NAME
    rm -rf "$LDIR"; mkdir -p "$LDIR"
    local f
    for f in bzImage vmlinux initramfs.cpio.gz; do
        [ -f "$BUILD/linux/$f" ] || { echo "  MISSING: $BUILD/linux/$f (make linux)"; exit 1; }
        ln -s "$BUILD/linux/$f" "$LDIR/$f"
    done
    for f in "$BUILD"/guests/*.elf; do ln -s "$f" "$LDIR/"; done
}

# MemTotal is RAM less what the kernel keeps for itself (Debian's image,
# its page tables and early allocations: about 50 MiB): between MEM less
# 64 MiB and MEM.
expect_checks() {
    local n=$1 mem_kb=$(( $2 / 1024 )) k
    expect "^\[linux\] linux-init: reached init" "Linux reached init"
    expect "^\[linux\] linux-init: nproc $n$" "nproc is $n (every vCPU online)"
    expect "^\[linux\] linux-init: cpus online 0$([ "$n" -gt 1 ] && echo "-$((n - 1))")$" "cpus online"
    local got
    got=$(sed -n 's/^\[linux\] linux-init: MemTotal \([0-9]*\) kB$/\1/p' "$LOG.txt" | head -1)
    if [ -n "$got" ] && [ "$got" -le "$mem_kb" ] && [ "$got" -ge $(( mem_kb - 65536 )) ]; then
        echo "  ok: MemTotal $got kB against memory = $mem_kb kB"
    else
        echo "  MISSING: MemTotal between $(( mem_kb - 65536 )) and $mem_kb kB (got '${got}')"; bad=1
    fi
    expect "^\[linux\] linux-init: cpuinfo hypervisor yes$" "/proc/cpuinfo: hypervisor flag"
    expect "^\[linux\] linux-init: cpuinfo vmx no$" "/proc/cpuinfo: no vmx"
    expect "^\[linux\] linux-init: cpuinfo flags same on $n CPUs$" "the same CPU flags on every vCPU"
    expect "^\[linux\] linux-init: dmesg clean$" "dmesg: no WARNING, BUG, Oops, panic, APIC error, TSC unstable, nobody cared"
    reject "^\[linux\] linux-init: dmesg BAD" "no bad dmesg line"
    expect "^\[linux\] linux-init: xstate: kept AVX-512 \(k1, zmm16, ymm2, xmm8\) over 1000 yields" \
        "a task's AVX-512, AVX and SSE registers survive context switches"
    for k in $(seq 0 $((n - 1))); do
        expect "^\[linux\] linux-init: cpu $k workload ok$" "workload ran on vCPU $k"
    done
    reject "workload FAILED" "no workload failed"
    reject "^\[linux\] .*(Segmentation fault|segfault at|Illegal instruction|Bus error)" "no user process crashed"
}

expect_console_irq() {
    expect "^\\[linux\\] linux-init: irq 4: [1-9][0-9]* $1$" "the console's interrupts came through the $1"
}
