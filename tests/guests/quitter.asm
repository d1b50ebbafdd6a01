; Stops through the stop hypercall (RAX=2, RBX=status) after saying so.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    mov esi, s_msg
    call puts
    mov eax, 2
    mov ebx, 0
    vmcall
    mov esi, s_alive
    call puts
    jmp finish

%include "common.inc"

section .data
s_msg:   db "stopping through the stop hypercall", 10, 0
s_alive: db "FAIL: still running after the stop hypercall", 10, 0

section .bss
alignb 16
idt:     resb 256 * 8
stack:   resb 4096
stack_top:
