#!/bin/bash
# XSETBV at CPL 0 on CPU 0 and on CPU 1 (tests/guests/xsetbv.cfg): with
# CR4.OSXSAVE clear it raises #UD; valid XCR0 values (3, 7, 0xe7 with
# AVX-512, 1) are accepted, read back and take effect (AVX/AVX-512
# instructions fault or run, CPUID leaf 0xD sizes the XSAVE area for
# them); invalid ones (ECX != 0, x87 clear, AVX without SSE, reserved and
# supervisor bits, AVX-512 bits not all set or without AVX) raise #GP and
# leave XCR0 alone. CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE. The guest on
# CPU 1 tries the invalid values first. The hypervisor keeps running.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/xsetbv.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
common=("XSETBV with CR4.OSXSAVE clear raises #UD"
        "CPUID.1:ECX.OSXSAVE is clear while CR4.OSXSAVE is"
        "CPUID.1:ECX.OSXSAVE is set once CR4.OSXSAVE is"
        "XCR0 starts as 1 \(x87 only\)"
        "XCR0 = 0x3 accepted, XGETBV reads it back"
        "XCR0 = 0x3: an AVX instruction raises #UD"
        "CPUID.\(EAX=0DH,ECX=0\):EBX follows XCR0 = 0x3 "
        "XCR0 = 0x7 accepted, XGETBV reads it back"
        "XCR0 = 0x7: an AVX instruction runs"
        "CPUID.\(EAX=0DH,ECX=0\):EBX follows XCR0 = 0x7 "
        "XCR0 = 0x1 accepted, XGETBV reads it back"
        "XSETBV with ECX = 1 \(no such XCR\) raises #GP, XCR0 unchanged"
        "XCR0 = 0x0 \(x87 bit clear\) raises #GP"
        "XCR0 = 0x2 \(x87 bit clear\) raises #GP"
        "XCR0 = 0x5 \(AVX without SSE\) raises #GP"
        "XCR0 = 0x8000000000000003 \(bit 63, reserved\) raises #GP"
        "XCR0 = 0x103 \(bit 8, a supervisor state, never in XCR0\) raises #GP"
        "XCR0 with the lowest bit from 9 up the CPU does not support raises #GP")
avx512=("XCR0 = 0x7: an AVX-512 instruction raises #UD"
        "XCR0 = 0xe7 accepted, XGETBV reads it back"
        "XCR0 = 0xe7: AVX-512 instructions run"
        "CPUID.\(EAX=0DH,ECX=0\):EBX follows XCR0 = 0xe7 "
        "XCR0 = 0x27 \(opmask without the ZMM state\) raises #GP"
        "XCR0 = 0x47 \(ZMM_Hi256 alone\) raises #GP"
        "XCR0 = 0x87 \(Hi16_ZMM alone\) raises #GP"
        "XCR0 = 0x67 \(AVX-512 without Hi16_ZMM\) raises #GP"
        "XCR0 = 0xa7 \(AVX-512 without ZMM_Hi256\) raises #GP"
        "XCR0 = 0xc7 \(AVX-512 without the opmask state\) raises #GP"
        "XCR0 = 0xe3 \(AVX-512 without AVX\) raises #GP")
for g in xs0 xs1; do
    for c in "${common[@]}"; do
        expect "^\[$g\] ok: $c" "$g: $c"
    done
    if grep -q "^\[$g\] XCR0 bits the CPU supports.*AVX-512: yes" "$LOG.txt"; then
        for c in "${avx512[@]}"; do
            expect "^\[$g\] ok: $c" "$g: $c"
        done
    fi
    expect "^\[$g\] XSETBV checks done" "$g: all checks ran"
done
reject "FAIL" "no check failed"
expect "^guest xs0 stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "xs0 (CPU 0) stopped with 0"
expect "^guest xs1 stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "xs1 (CPU 1) stopped with 0"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "the hypervisor kept running on both CPUs"
expect_rc 0 "hvrun: both guests stopped with status 0"
finish
