; Real-mode start-up code for application processors (SDM Vol. 3A 9.4.4,
; 9.8). smp.c copies this blob to a page below 1 MiB, fills the parameter
; block at its end and sends INIT-SIPI-SIPI with that page as the vector.
; The AP switches straight from real mode to long mode (PAE, CR3, EFER.LME,
; then CR0.PE|PG together), then jumps to ap_entry(percpu) in the core.
;
; Everything is addressed relative to the blob, since its location is only
; known at run time: 16-bit code via DS = CS, 64-bit code via RIP.

bits 16
section .rodata
align 16
global trampoline_start, trampoline_end, trampoline_params
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    lgdt [tp_gdtr - trampoline_start]
    mov eax, cr4
    or eax, 1 << 5                      ; PAE
    mov cr4, eax
    mov eax, [tp_cr3 - trampoline_start]
    mov cr3, eax
    mov ecx, 0xc0000080                 ; IA32_EFER.LME
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 0x80000001                  ; PG | PE
    mov cr0, eax
    o32 jmp far [tp_jmp64 - trampoline_start]

bits 64
tp_long:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [rel tp_stack]
    mov rdi, [rel tp_percpu]
    mov rax, [rel tp_entry]
    xor ebp, ebp
    push 0                              ; no return address
    jmp rax

align 16
trampoline_params:                      ; struct trampoline_params in smp.c
tp_gdt:    dq 0, 0x00af9a000000ffff, 0x00cf92000000ffff
tp_gdtr:   dw 23
           dd 0                         ; patched: linear address of tp_gdt
           dw 0
tp_jmp64:  dd 0                         ; patched: linear address of tp_long
           dw 0x08
           dw 0
tp_cr3:    dq 0
tp_stack:  dq 0
tp_percpu: dq 0
tp_entry:  dq 0
tp_long_off: dq tp_long - trampoline_start
trampoline_end:
