; A hostile multiboot guest: it reaches for memory outside its RAM. The
; hypervisor must stop it (EPT violation) and report it, while other
; guests carry on. If the read ever succeeds, it says so and exits 1.
bits 32

section .multiboot
align 4
    dd 0x1badb002
    dd 0
    dd -(0x1badb002)

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov esi, s_start
    call puts
    mov eax, [0x10000000]               ; 256 MiB: far beyond its 16 MiB
    mov esi, s_leak
    call puts
    mov dword [failures], 1
    jmp finish

%include "common.inc"

section .data
s_start: db "reading guest-physical 0x10000000, outside my memory", 10, 0
s_leak:  db "FAIL: the read outside my memory succeeded", 10, 0

section .bss
alignb 16
idt:      resb 256 * 8
stack:    resb 4096
stack_top:
