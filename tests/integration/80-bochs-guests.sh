#!/bin/bash
# Two guests at once in Bochs with VMX (BIOS + GRUB, 2 CPUs), through the
# hvrun runner: the multiboot test guest checks CPUID, ports, MSRs, #UD for
# VMX instructions and the hypercalls from inside; the real-mode guest runs
# from 0000:7c00. Both print through their virtual UARTs and stop with 0.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/hello.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^guest hello: 32 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu0, multiboot entry" "multiboot guest placed on cpu0"
expect "^guest realmode: 4 MiB at host 0x[0-9a-f]+, 1 vCPU pinned to cpu1, real-mode entry 0x7c00" "real-mode guest placed on cpu1"
for c in "EAX holds the multiboot magic" "memory information present" \
         "command line starts with the kernel name" "CPUID.1: VMX hidden, hypervisor bit set" \
         "CPUID 0x40000000 signature" "CPUID 0x40000010 TSC frequency" \
         "unclaimed port reads 0xff" "IA32_FEATURE_CONTROL locked with VMX off" \
         "VMX capability MSR raises #GP" "VMXON raises #UD" "version hypercall" \
         "setting CR4.VMXE raises #GP" "CR4 reads without VMXE" "CR4.OSFXSR round-trips" \
         "CLTS clears CR0.TS" "MTRR default type round-trips" "PAT reads its power-on value" \
         "EFER reserved bit raises #GP" "REP INSB from an unclaimed port reads 0xff" \
         "console hypercall" "unknown hypercall returns -ENOSYS"; do
    expect "^\[hello\] ok: $c" "hello: $c"
done
expect "^\[hello\] written through a hypercall" "hypercall console output"
expect "^\[hello\] written with REP OUTSB" "string output through the UART"
expect "^guest hello: [0-9]+ exits: .*CPUID [0-9]+.*VMCALL 3" "per-reason exit counts"
expect "^\[realmode\] ok: CR0.PE is clear" "real mode: CR0.PE clear"
expect "^\[realmode\] ok: real-mode segment bases" "real mode: segment bases"
reject "FAIL" "no check failed"
expect "^guest hello stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "hello stopped with 0"
expect "^guest realmode stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "realmode stopped with 0"
expect "^hv: every guest has stopped; on_idle = poweroff" "on_idle after the last guest"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
