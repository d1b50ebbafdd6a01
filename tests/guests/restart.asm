; on_stop = restart: the first instance leaves a secret in its memory and
; crashes (triple fault); the second finds its memory scrubbed and exits 0.
bits 32

%define SECRET_AT 0x300000

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, 3                          ; which instance am I?
    vmcall
    cmp eax, 1
    jne .second
    mov esi, s_first
    call puts
    mov dword [SECRET_AT], 0x5ec2e7
    lidt [null_idt]
    int3                                ; triple fault
.second:
    mov esi, s_second
    call puts
    cmp dword [SECRET_AT], 0
    mov esi, c_scrubbed
    call check
    jmp finish

%include "common.inc"

section .data
null_idt:   dw 0
            dd 0
s_first:    db "first instance: leaving a secret, then crashing", 10, 0
s_second:   db "second instance", 10, 0
c_scrubbed: db "the old instance's memory is scrubbed", 0

section .bss
alignb 16
idt:      resb 256 * 8
stack:    resb 4096
stack_top:
