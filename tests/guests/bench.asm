; Exit-cost benchmark guest (make bench). Times N round trips of CPUID,
; VMCALL, an unclaimed-port IN and RDMSR with RDTSC, and prints the
; average TSC cycles per round trip. Under the hypervisor each one is a VM
; exit; run bare (GRUB loads it directly) the same loop measures the
; instruction itself. Bare, VMCALL would #UD, so it is skipped there.
bits 32

%define N 2000

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, 1
    cpuid
    shr ecx, 31
    mov [under_hv], ecx
    mov esi, s_mode_bare
    test ecx, ecx
    jz .m
    mov esi, s_mode_hv
.m: call puts

    mov esi, s_cpuid
    mov edi, op_cpuid
    call measure
    cmp dword [under_hv], 0
    je .no_vmcall
    mov esi, s_vmcall
    mov edi, op_vmcall
    call measure
.no_vmcall:
    mov esi, s_io
    mov edi, op_io
    call measure
    mov esi, s_msr
    mov edi, op_msr
    call measure

    cmp dword [under_hv], 0
    jne finish
    ; bare in Bochs: its test-only shutdown port
    mov dx, 0x8900
    mov esi, s_shutdown
.sd:
    lodsb
    test al, al
    jz .hang
    out dx, al
    jmp .sd
.hang:
    cli
    hlt

; measure: ESI = label, EDI = operation (called N times); prints
; "bench: LABEL CYCLES"
measure:
    push esi
    rdtsc
    mov [t0], eax
    mov [t0 + 4], edx
    mov ecx, N
.loop:
    push ecx
    call edi
    pop ecx
    dec ecx
    jnz .loop
    rdtsc
    sub eax, [t0]
    sbb edx, [t0 + 4]
    mov ecx, N
    div ecx                             ; cycles per round trip (fits 32 bits)
    mov [val], eax
    mov esi, s_bench
    call puts
    pop esi
    call puts
    mov eax, [val]
    call putdec32
    mov esi, s_nl
    call puts
    ret

op_cpuid:
    xor eax, eax
    cpuid
    ret
op_vmcall:
    xor eax, eax
    vmcall
    ret
op_io:
    mov dx, 0x2e0
    in al, dx
    ret
op_msr:
    mov ecx, 0x3a
    rdmsr
    ret

%include "common.inc"

section .data
s_mode_hv:   db "bench: mode hv", 10, 0
s_mode_bare: db "bench: mode bare", 10, 0
s_bench:     db "bench: ", 0
s_cpuid:     db "cpuid ", 0
s_vmcall:    db "vmcall ", 0
s_io:        db "port-in ", 0
s_msr:       db "rdmsr ", 0
s_shutdown:  db "Shutdown", 0

section .bss
alignb 16
under_hv: resd 1
t0:       resd 2
val:      resd 1
idt:      resb 256 * 8
stack:    resb 4096
stack_top:
