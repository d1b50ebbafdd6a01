; Entry points of the core image.
;
; - mb2_entry32: a multiboot2 loader (GRUB) enters here in 32-bit protected
;   mode, paging off, EAX = magic, EBX = information structure (multiboot2
;   spec 3.3). We turn on long mode with a throw-away identity map of the
;   first 1 GiB and continue at entry64.
; - entry64: the UEFI loader enters here in 64-bit mode on the firmware's
;   identity map, RDI = BOOT_INFO_MAGIC, RSI = struct boot_info.
;
; entry64 may run at any 2 MiB-aligned load address at or above LOAD_BASE:
; it finds the load delta from RIP, builds page tables that identity-map the
; first 4 GiB and map the high half (linked at KERNEL_VBASE) onto the image,
; and jumps high. arch/x86/paging.c later replaces these tables.

%define KERNEL_VBASE 0xffffffff80000000
%define MB2_MAGIC    0xe85250d6
%define PTE_P        1
%define PTE_W        2
%define PTE_PS       0x80
%define COM1         0x3f8

section .multiboot2 align=8
mb2_header:
    dd MB2_MAGIC
    dd 0                                ; architecture: i386 protected mode
    dd mb2_header_end - mb2_header
    dd 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
    ; entry address tag: start at mb2_entry32, not at the ELF entry
    align 8
    dw 3, 0
    dd 12
    dd mb2_entry32
    ; module alignment tag: modules on page boundaries
    align 8
    dw 6, 0
    dd 8
    ; end tag
    align 8
    dw 0, 0
    dd 8
mb2_header_end:

section .boot.text
bits 32
mb2_entry32:
    cli
    cld
    mov esp, boot_stack32_top
    mov edi, eax                        ; keep magic and info across setup
    mov esi, ebx

    ; Long mode needed: CPUID 0x80000001 EDX bit 29 (SDM Vol. 2A CPUID).
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .no_long_mode

    ; Identity map of 0..1 GiB with 2 MiB pages.
    mov eax, pdpt32
    or eax, PTE_P | PTE_W
    mov [pml4_32], eax
    mov eax, pd32
    or eax, PTE_P | PTE_W
    mov [pdpt32], eax
    xor ecx, ecx
.fill_pd32:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [pd32 + ecx * 8], eax
    mov dword [pd32 + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 512
    jne .fill_pd32

    ; SDM Vol. 3A 10.8.5: PAE, CR3, EFER.LME, then CR0.PG.
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, pml4_32
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | 1
    mov cr0, eax
    lgdt [gdt32_ptr]
    jmp 0x08:.long_mode

.no_long_mode:
    ; No console is set up yet: say it on COM1 directly, then stop.
    mov ebx, msg_no_lm
.putc:
    mov al, [ebx]
    test al, al
    jz .stop
    mov dx, COM1
    out dx, al
    inc ebx
    jmp .putc
.stop:
    cli
    hlt
    jmp .stop

bits 64
.long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov edi, edi                        ; upper halves are undefined after
    mov esi, esi                        ; the mode switch (SDM 3A 9.8.5)
    jmp entry64

global entry64
entry64:
    cli
    cld
    ; Load delta: where we run minus where we were linked.
    lea rbx, [rel entry64]
    mov rax, entry64
    sub rbx, rax

    ; Identity map 0..4 GiB: pml4[0] -> pdpt_low -> 4 page directories.
    lea r8, [rel boot_pml4]
    lea r9, [rel boot_pdpt_low]
    lea r10, [rel boot_pd_low]
    lea rax, [r9 + PTE_P + PTE_W]
    mov [r8], rax
    xor ecx, ecx
.fill_pdpt_low:
    mov rax, rcx
    shl rax, 12
    lea rax, [r10 + rax + PTE_P + PTE_W]
    mov [r9 + rcx * 8], rax
    inc ecx
    cmp ecx, 4
    jne .fill_pdpt_low
    xor ecx, ecx
.fill_pd_low:
    mov rax, rcx
    shl rax, 21
    or rax, PTE_P | PTE_W | PTE_PS
    mov [r10 + rcx * 8], rax
    inc ecx
    cmp ecx, 2048
    jne .fill_pd_low

    ; High half: pml4[511] -> pdpt_high[510] -> pd_high, 1 GiB of 2 MiB
    ; pages starting at the load delta (KERNEL_VBASE + x -> delta + x).
    lea r11, [rel boot_pdpt_high]
    lea r12, [rel boot_pd_high]
    lea rax, [r11 + PTE_P + PTE_W]
    mov [r8 + 511 * 8], rax
    lea rax, [r12 + PTE_P + PTE_W]
    mov [r11 + 510 * 8], rax
    xor ecx, ecx
.fill_pd_high:
    mov rax, rcx
    shl rax, 21
    add rax, rbx
    or rax, PTE_P | PTE_W | PTE_PS
    mov [r12 + rcx * 8], rax
    inc ecx
    cmp ecx, 512
    jne .fill_pd_high

    mov rax, cr4
    or rax, 1 << 5                      ; PAE (already set in long mode)
    mov cr4, rax
    mov cr3, r8
    mov rax, high_entry
    jmp rax

section .boot.data
align 8
gdt32:
    dq 0
    dq 0x00af9a000000ffff               ; 0x08: 64-bit code
    dq 0x00cf92000000ffff               ; 0x10: data
gdt32_end:
gdt32_ptr:
    dw gdt32_end - gdt32 - 1
    dd gdt32
msg_no_lm:
    db "hv: this CPU has no 64-bit long mode; cannot start", 13, 10, 0

section .boot.bss nobits align=4096
pml4_32:        resb 4096
pdpt32:         resb 4096
pd32:           resb 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pd_low:    resb 4 * 4096
boot_pdpt_high: resb 4096
boot_pd_high:   resb 4096
boot_stack32:   resb 1024
boot_stack32_top:

section .text
extern kmain
extern kernel_load_delta          ; mm/mm.c
high_entry:
    mov rsp, boot_stack_top
    mov [rel kernel_load_delta], rbx
    xor ebp, ebp
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:
