#!/bin/bash
# Every register a vCPU owns stays its own (tests/guests/cpustate.cfg):
# two 64-bit guests time-share one CPU with 100 us slices; each fills
# XMM/YMM (and, for alpha with AVX-512, ZMM and the opmasks), the x87
# stack and control word, MXCSR, DR0-DR3/DR6/DR7, CR2, CR8, XCR0,
# KERNEL_GS_BASE (also through SWAPGS), STAR/LSTAR/CSTAR/FMASK, TSC_AUX
# (RDMSR and RDTSCP), TSC_ADJUST, FS/GS base and SYSENTER_* with values of
# its own seed, and over 200 rounds, each after the other guest has run
# (a gap in its TSC) and an exit of its own, finds every class unchanged.
# XCR0 differs between them (alpha 0xe7, beta 0x7). A TSC_ADJUST write
# moves the guest's TSC and nothing else ever does.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/cpustate.cfg" --emulator bochs --cpus 1 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"

legacy=("XMM0-15" "x87 stack, control, status and tag words" "MXCSR" "DR0-DR3" "DR6" "DR7"
        "CR2" "CR8" "XCR0" "IA32_KERNEL_GS_BASE \(RDMSR\)" "IA32_KERNEL_GS_BASE \(SWAPGS\)"
        "IA32_STAR" "IA32_LSTAR" "IA32_CSTAR" "IA32_FMASK" "IA32_TSC_AUX \(RDMSR\)"
        "IA32_TSC_AUX \(RDTSCP\)" "IA32_TSC_ADJUST" "FS base" "GS base" "SYSENTER_CS/ESP/EIP"
        "YMM0-15 upper halves")
avx512=("ZMM0-15 upper halves" "ZMM16-31" "opmask k0-k7")
for g in alpha beta; do
    for c in "${legacy[@]}"; do
        expect "^\[$g\] ok: $c kept its value over [0-9]+ rounds" "$g: $c kept"
    done
    expect "^\[$g\] round 200: " "$g: 200 rounds"
    expect "^\[$g\] ok: a write to IA32_TSC_ADJUST moves the TSC by as much" "$g: TSC_ADJUST moves its TSC"
    expect "^\[$g\] ok: the TSC never jumped" "$g: nobody else's TSC offset reached it"
    expect "^\[$g\] ok: the other guest ran in between" "$g: the other guest ran between its rounds"
done
expect "^\[beta\] phase 2: XSETBV, XCR0 = 0x(7|3)$" "beta: its own XCR0, one level below alpha's"
if grep -q "^\[alpha\] seed 1: .* full XCR0 is 0xe7" "$LOG.txt"; then
    expect "^\[alpha\] phase 2: XSETBV, XCR0 = 0xe7$" "alpha: XCR0 with AVX-512"
    for c in "${avx512[@]}"; do
        expect "^\[alpha\] ok: $c kept its value over [0-9]+ rounds" "alpha: $c kept"
    done
fi
reject "FAIL" "no register class changed, no check failed"

# Both ran at once: their round lines interleave.
switches=$(grep -E '^\[(alpha|beta)\] round [0-9]+:' "$LOG.txt" | cut -d']' -f1 | uniq | wc -l)
if [ "$switches" -ge 10 ]; then
    echo "  ok: the two guests' rounds interleave ($switches runs of lines)"
else
    echo "  MISSING: interleaved rounds of alpha and beta (only $switches runs of lines)"; bad=1
fi

expect "^guest alpha stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "alpha stopped with 0"
expect "^guest beta stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "beta stopped with 0"
expect "^hv: every guest has stopped" "every guest stopped"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running"
expect_rc 0 "hvrun: both guests stopped with status 0"
finish
