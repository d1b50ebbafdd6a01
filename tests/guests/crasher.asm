; Ends by triple fault: no IDT at all, then an exception. The hypervisor
; must stop this guest alone ("triple fault") and keep the others.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    lidt [null_idt]
    mov esi, s_msg
    call puts
    int3                                ; #BP -> #GP -> #DF -> triple fault
    mov esi, s_alive
    call puts
    jmp finish

%include "common.inc"

section .data
null_idt: dw 0
          dd 0
s_msg:    db "loading an empty IDT and raising an exception", 10, 0
s_alive:  db "FAIL: still running after the triple fault", 10, 0

section .bss
alignb 16
idt:      resb 256 * 8
stack:    resb 4096
stack_top:
