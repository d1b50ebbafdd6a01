; Interrupt entry stubs: one per vector, all funnelling into one common
; path that saves the general registers as struct regs (include/arch/idt.h)
; and calls interrupt_dispatch. Vectors 8, 10-14, 17, 21, 29 and 30 push an
; error code (SDM Vol. 3A 6.13); the others push a zero in its place.

bits 64
section .text
extern interrupt_dispatch

%macro STUB 1
isr_stub_%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign i 0
%rep 256
    STUB i
%assign i i + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    ; Align the stack for the C call whatever state we arrived in.
    mov rbx, rsp
    and rsp, -16
    call interrupt_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                         ; vector and error code
    iretq

section .rodata
global isr_stubs
align 8
isr_stubs:
%assign i 0
%rep 256
    dq isr_stub_ %+ i
%assign i i + 1
%endrep
