; earlygp: a multiboot kernel that takes an exception before it loads a
; GDT of its own. The multiboot spec leaves GDTR undefined, but GRUB and
; QEMU leave a valid flat GDT behind and kernels rely on it: the first
; thing this guest does is load an IDT whose gates use the CS it was
; started with, and execute a WRMSR to an MSR that does not exist: the
; #GP must reach its handler (with GDTR limit 0 its delivery faults and
; the guest triple-faults). Then, still on the GDT it was given: GDTR
; covers the CS, DS and SS selectors it started with, they are flat 4 GiB
; code and data segments, the GDT lies in memory the multiboot memory map
; does not call available, and the selectors can be loaded again.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0x00000002             ; memory information (and map) wanted

section .text
global _start
_start:
    mov esp, stack_top
    mov [mb_info], ebx
    mov ax, cs
    mov [boot_cs], ax
    mov ax, ds
    mov [boot_ds], ax
    mov ax, ss
    mov [boot_ss], ax
    ; #UD and #GP gates with the CS we were given; no LGDT anywhere.
    mov eax, ud_handler
    mov edi, idt + 6 * 8
    call boot_gate
    mov eax, gp_handler
    mov edi, idt + 13 * 8
    call boot_gate
    lidt [idt_ptr]
    mov esi, s_hello
    call puts

    mov dword [last_vector], 0
    mov dword [skip_len], .wrmsr_end - .wrmsr
    mov ecx, 0x4b5a9                    ; no such MSR
    xor eax, eax
    xor edx, edx
.wrmsr:
    wrmsr
.wrmsr_end:
    cmp dword [last_vector], 13
    mov esi, c_gp
    call check

    ; The GDT we were given.
    sgdt [gdtr]
    mov esi, s_gdtr
    call puts
    mov eax, [gdtr + 2]
    call puthex32
    mov esi, s_limit
    call puts
    movzx eax, word [gdtr]
    call puthex32
    mov esi, s_sels
    call puts
    movzx eax, word [boot_cs]
    call puthex32
    mov esi, s_space
    call puts
    movzx eax, word [boot_ds]
    call puthex32
    mov esi, s_space
    call puts
    movzx eax, word [boot_ss]
    call puthex32
    mov esi, s_nl
    call puts

    ; Selectors: GDT (TI 0), RPL 0, inside the limit.
    movzx eax, word [boot_cs]
    call sel_ok
    jne .covers
    movzx eax, word [boot_ds]
    call sel_ok
    jne .covers
    movzx eax, word [boot_ss]
    call sel_ok
.covers:
    mov esi, c_covers
    call check
    jne .no_descs

    ; Flat descriptors: base 0, limit 4 GiB (G), 32-bit; code
    ; execute/read, data read/write; accessed or not.
    movzx eax, word [boot_cs]
    call descriptor
    and edx, ~0x100
    cmp eax, 0x0000ffff
    jne .code
    cmp edx, 0x00cf9a00
.code:
    mov esi, c_code
    call check
    movzx eax, word [boot_ds]
    call descriptor
    and edx, ~0x100
    cmp eax, 0x0000ffff
    jne .data
    cmp edx, 0x00cf9200
    jne .data
    movzx eax, word [boot_ss]
    call descriptor
    and edx, ~0x100
    cmp eax, 0x0000ffff
    jne .data
    cmp edx, 0x00cf9200
.data:
    mov esi, c_data
    call check
.no_descs:

    ; Where it lies: inside an entry of the memory map that is not
    ; available RAM, and overlapping none that is.
    call gdt_reserved
    mov esi, c_reserved
    call check

    ; Its selectors load again (a fault would be skipped and counted).
    mov dword [last_vector], 0
    mov dword [skip_len], 2
    mov ax, [boot_ds]
    mov ds, ax
    mov es, ax
    mov ax, [boot_ss]
    mov ss, ax
    mov [saved_esp], esp
    movzx eax, word [boot_cs]
    push eax
    push .reloaded
    mov dword [skip_len], 1
    retf
.reloaded:
    mov esp, [saved_esp]
    cmp dword [last_vector], 0
    mov esi, c_reload
    call check

    mov esi, s_done
    call puts
    jmp finish

; boot_gate: EAX = handler, EDI = gate; the selector is the CS we started with.
boot_gate:
    mov [edi], ax
    mov dx, [boot_cs]
    mov [edi + 2], dx
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    ret

; sel_ok: EAX = selector; ZF=1 if TI = 0, RPL = 0, not null and
; (selector | 7) within the GDT limit.
sel_ok:
    test eax, 7
    jnz .ret
    test eax, eax
    jz .bad
    or eax, 7
    movzx ecx, word [gdtr]
    cmp eax, ecx
    ja .bad
    xor eax, eax
    ret
.bad:
    or eax, 1                           ; ZF=0
.ret:
    ret

; descriptor: EAX = selector -> EAX low dword, EDX high dword.
descriptor:
    and eax, ~7
    add eax, [gdtr + 2]
    mov edx, [eax + 4]
    mov eax, [eax]
    ret

; gdt_reserved: ZF=1 if [base, base + limit] lies inside one map entry
; of a type other than 1 and overlaps no entry of type 1.
gdt_reserved:
    mov ebx, [mb_info]
    test dword [ebx], 1 << 6
    jz .no
    mov esi, [ebx + 48]                 ; mmap_addr: the first size field
    mov edi, esi
    add edi, [ebx + 44]                 ; mmap_length
    mov eax, [gdtr + 2]                 ; first byte
    movzx ecx, word [gdtr]
    add ecx, eax                        ; last byte
    xor ebp, ebp                        ; covered by a reserved entry?
.entry:
    cmp esi, edi
    jae .done
    cmp dword [esi + 8], 0              ; base above 4 GiB: not ours
    jne .next
    mov edx, [esi + 4]                  ; base
    mov ebx, [esi + 12]                 ; length (below 4 GiB entries)
    cmp dword [esi + 16], 0
    je .len_ok
    mov ebx, 0xffffffff
    sub ebx, edx
.len_ok:
    add ebx, edx                        ; end (exclusive, saturating)
    jnc .end_ok
    mov ebx, 0xffffffff
.end_ok:
    cmp dword [esi + 20], 1
    jne .reserved
    ; available: must not overlap [eax, ecx]
    cmp edx, ecx
    ja .next
    cmp ebx, eax
    jbe .next
    jmp .no
.reserved:
    cmp edx, eax
    ja .next
    cmp ebx, ecx
    jbe .next
    mov ebp, 1
.next:
    add esi, [esi]
    add esi, 4
    jmp .entry
.done:
    cmp ebp, 1
    ret
.no:
    or ebp, 1                           ; ZF=0
    ret

; puthex32: EAX as 0x...
puthex32:
    pushad
    mov edi, numbuf_end
    mov byte [edi], 0
.h:
    mov edx, eax
    and edx, 15
    mov dl, [hexdigits + edx]
    dec edi
    mov [edi], dl
    shr eax, 4
    jnz .h
    dec edi
    mov byte [edi], 'x'
    dec edi
    mov byte [edi], '0'
    mov esi, edi
    call puts
    popad
    ret

%include "common.inc"

section .data
hexdigits:  db "0123456789abcdef"
s_hello:    db "a #GP before loading any GDT", 10, 0
c_gp:       db "a #GP before loading a GDT reached its handler (gates with the CS it started with)", 0
s_gdtr:     db "GDTR base ", 0
s_limit:    db " limit ", 0
s_sels:     db "; CS DS SS ", 0
s_space:    db " ", 0
c_covers:   db "GDTR covers the CS, DS and SS selectors it started with", 0
c_code:     db "CS is a flat 4 GiB 32-bit code segment", 0
c_data:     db "DS and SS are flat 4 GiB data segments", 0
c_reserved: db "the GDT lies in memory the multiboot memory map reserves", 0
c_reload:   db "DS, ES, SS and CS load again from that GDT", 0
s_done:     db "early #GP checks done", 10, 0

section .bss
alignb 8
gdtr:       resb 8
mb_info:    resd 1
saved_esp:  resd 1
boot_cs:    resw 1
boot_ds:    resw 1
boot_ss:    resw 1
alignb 16
idt:        resb 256 * 8
stack:      resb 8192
stack_top:
