#!/bin/bash
# Ring 3 against the hypervisor (Bochs, 2 CPUs, hvrun): a process at CPL 3
# with IOPL 3 in the management guest tries hypercalls (console, stop,
# version, management) and string I/O into a supervisor-only, a read-only
# and an unmapped page, and OUTSB of a kernel secret; each must come back
# as the exception a CPU raises (#UD, #PF with CR2 and error code, at the
# faulting iteration of a REP), checked from inside, with no leak on the
# console and the guest still running. Beside it the real-mode guest takes
# #GP and #SS for string I/O past its segment limits through its IVT.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/hvrun" "$BUILD/guests/usermode.cfg" --emulator bochs --cpus 2 --timeout 300 \
    --quiet --log "$LOG"
BOOT_RC=$?
tr -d '\r' < "$LOG" > "$LOG.txt"
expect "^\[usermode\] paging on; dropping to ring 3 with IOPL 3" "usermode guest started"
for c in "running at CPL 3" \
         "console hypercall at CPL 3 raises #UD" \
         "stop hypercall at CPL 3 raises #UD and the guest runs on" \
         "version hypercall at CPL 3 raises #UD" \
         "management count at CPL 3 raises #UD" \
         "management stop at CPL 3 raises #UD" \
         "five hypercalls at CPL 3, five #UD" \
         "REP INSB into a supervisor page at CPL 3: #PF, error 7, CR2" \
         "REP INSB into a read-only page at CPL 3: #PF, error 7, CR2" \
         "REP INSB into an unmapped page at CPL 3: #PF, error 6, CR2" \
         "REP INSB faults at the iteration entering the supervisor page \(RCX, RDI there\)" \
         "INSW across into the supervisor page: #PF at the page, nothing written" \
         "REP OUTSB of the supervisor page's secret at CPL 3: #PF, error 5, CR2" \
         "REP OUTSB from an unmapped page at CPL 3: #PF, error 4, CR2" \
         "REP OUTSB at CPL 3 from a read-only user page prints" \
         "REP OUTSB from a read-only user page at CPL 3 completes" \
         "REP INSB into its own page at CPL 3 completes" \
         "supervisor page unchanged" "read-only page unchanged" \
         "version hypercall at CPL 0 answers" "management count at CPL 0 answers 2" \
         "REP INSB into the read-only page at CPL 0 with CR0.WP=1: #PF, error 3" \
         "REP INSB into the read-only page at CPL 0 with CR0.WP=0 writes" \
         "REP INSB into the supervisor page at CPL 0 writes" \
         "REP INSB into the unmapped page at CPL 0: #PF, error 2"; do
    expect "^\[usermode\] ok: $c" "usermode: $c"
done
reject "kernel-secret" "the kernel's secret never reached the console"
reject "LEAK" "the ring-3 console hypercall wrote nothing"
reject "stopped: stop hypercall" "the ring-3 stop hypercall stopped nothing"
reject "stopped by the management guest" "the ring-3 management stop stopped nothing"
for c in "a32 REP INSB past the ES limit raises #GP at the iteration \(ECX, EDI there\)" \
         "INSW at ES:0xffff raises #GP, nothing written" \
         "a32 OUTSB past the DS limit raises #GP" "a32 OUTSB past the SS limit raises #SS" \
         "a32 REP INSB inside the limit works"; do
    expect "^\[realmode\] ok: $c" "realmode: $c"
done
reject "FAIL" "no check failed"
reject "stopped: string I/O" "no guest stopped over string I/O"
expect "^guest usermode stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "usermode stopped with 0"
expect "^guest realmode stopped: wrote 0 to the test-exit port 0xf4 \(status 0\)" "realmode stopped with 0"
expect "^power: ACPI S5" "powered off"
reject "EXCEPTION|PANIC" "no exception or panic"
expect_rc 0 "hvrun: every guest stopped with status 0"
finish
