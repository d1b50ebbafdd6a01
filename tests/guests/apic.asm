; Local APIC test guest: through the xAPIC page it reads its ID and
; version, runs the timer one-shot (waking HLT) and periodic, sends itself
; an IPI, then switches to x2APIC mode and reads its ID by MSR.
bits 32

%define APIC 0xfee00000

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, timer_handler
    mov edi, idt + 0x40 * 8
    call set_gate
    mov eax, ipi_handler
    mov edi, idt + 0x41 * 8
    call set_gate
    mov esi, s_hello
    call puts

    mov eax, [APIC + 0x20]              ; ID register: bits 31:24
    shr eax, 24
    cmp eax, 0
    mov esi, c_id
    call check

    mov eax, [APIC + 0x30]              ; version: integrated APIC (0x1x)
    and eax, 0xf0
    cmp eax, 0x10
    mov esi, c_version
    call check

    mov dword [APIC + 0xf0], 0x1ff      ; software enable, spurious 0xff
    mov dword [APIC + 0x3e0], 0xb       ; divide by 1
    mov dword [APIC + 0x320], 0x40      ; one-shot, vector 0x40
    mov dword [APIC + 0x380], 200000
    sti
    hlt                                 ; the timer must wake us
    cli
    cmp dword [ticks], 1
    mov esi, c_oneshot
    call check

    mov dword [ticks], 0                ; periodic: wait for 3 interrupts
    mov dword [APIC + 0x320], 0x20040
    mov dword [APIC + 0x380], 100000
.wait:
    sti
    hlt
    cli
    cmp dword [ticks], 3
    jb .wait
    mov dword [APIC + 0x320], 0x10040   ; masked
    cmp dword [ticks], 3
    mov esi, c_periodic
    call check

    sti                                 ; self IPI through the ICR
    mov dword [APIC + 0x300], 0x00040041
    nop
    nop
    cli
    cmp dword [ipis], 1
    mov esi, c_ipi
    call check

    ; TSC-deadline mode (LVT timer mode 2) when CPUID.1:ECX[24] has it.
    mov eax, 1
    cpuid
    test ecx, 1 << 24
    jz .no_deadline
    mov dword [ticks], 0
    mov dword [APIC + 0x320], 0x40040   ; TSC-deadline, vector 0x40
    rdtsc
    add eax, 300000
    adc edx, 0
    mov ecx, 0x6e0
    wrmsr
    sti
    hlt
    cli
    cmp dword [ticks], 1
    mov esi, c_deadline
    call check
    mov dword [APIC + 0x320], 0x10040
.no_deadline:

    ; APIC base MSR: disable the APIC, then enable it again.
    mov ecx, 0x1b
    rdmsr
    and eax, ~(1 << 11)
    wrmsr
    rdmsr
    test eax, 1 << 11
    mov esi, c_disabled
    call check
    or eax, 1 << 11
    wrmsr
    mov eax, [APIC + 0x30]
    and eax, 0xf0
    cmp eax, 0x10
    mov esi, c_reenabled
    call check

    mov ecx, 0x1b                       ; x2APIC mode, then the ID by MSR
    rdmsr
    or eax, 1 << 10
    wrmsr
    mov ecx, 0x802
    rdmsr
    cmp eax, 0
    mov esi, c_x2id
    call check

    mov esi, s_done
    call puts
    jmp finish

timer_handler:
    inc dword [ticks]
    mov dword [APIC + 0xb0], 0          ; EOI
    iret

ipi_handler:
    inc dword [ipis]
    mov dword [APIC + 0xb0], 0
    iret

%include "common.inc"

section .data
s_hello:    db "hello from the APIC test guest", 10, 0
c_id:       db "APIC ID 0 through the xAPIC page", 0
c_version:  db "APIC version register", 0
c_oneshot:  db "one-shot timer interrupt woke HLT", 0
c_periodic: db "periodic timer delivered 3 interrupts", 0
c_ipi:      db "self IPI delivered", 0
c_x2id:     db "x2APIC ID read by MSR", 0
c_deadline: db "TSC-deadline timer interrupt woke HLT", 0
c_disabled: db "APIC base MSR: APIC disabled", 0
c_reenabled: db "APIC base MSR: APIC enabled again", 0
s_done:     db "APIC checks done", 10, 0

section .bss
alignb 16
ticks:    resd 1
ipis:     resd 1
idt:      resb 256 * 8
stack:    resb 8192
stack_top:
