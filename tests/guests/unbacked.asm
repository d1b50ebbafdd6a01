; Guest-physical addresses with nothing behind them behave as on a PC:
; reads give all ones, writes vanish (tests/integration/88-bochs-unbacked.sh,
; unbacked.cfg). From inside, with 16 MiB of RAM and paging off:
;  - MOV, MOVZX, MOVSX, XCHG, the ALU group and TEST (their flags), STOS,
;    LODS and MOVS, with and without REP, at 0x10000000 (above its RAM);
;  - the PC hole between 3 and 4 GiB: 0xc0000000, 0xfec01000 just past
;    the I/O APIC's page and the HPET's 0xfed00000 (not emulated);
;  - the xAPIC page while its local APIC is disabled (IA32_APIC_BASE bit
;    11 clear), and the APIC back after enabling it again;
;  - an INT3 delivered with the stack in unbacked memory (the CPU pushes
;    the frame there: the hypervisor gives that page its scratch page);
;  - its own RAM unchanged by all of it;
; and it prints a line full of control bytes (C0, DEL, C1) for the host to
; check that none reaches the console. Exit status: failed checks.
bits 32

%define NOWHERE 0x10000000               ; 256 MiB: far above its 16 MiB
%define HOLE    0xc0000000               ; the PC hole, 3-4 GiB
%define PAST_IOAPIC 0xfec01000          ; the I/O APIC decodes 0xfec00000-0xfec00fff
%define HPET    0xfed00000
%define APIC    0xfee00000
%define STACK_NOWHERE 0x10200000         ; a stack in another unbacked MiB

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, bp_handler
    mov edi, idt + 3 * 8
    call set_gate
    mov dword [canary], 0x5a5aa5a5
    mov esi, s_hello
    call puts

    ; ---- reads give all ones, of the access size ----
    mov eax, [NOWHERE]
    cmp eax, 0xffffffff
    mov esi, c_read32
    call check

    mov eax, 0x12345678
    mov al, [NOWHERE + 1]
    cmp eax, 0x123456ff                 ; only AL written
    mov esi, c_read8
    call check

    mov eax, 0x12345678
    mov ah, [NOWHERE + 2]
    cmp eax, 0x1234ff78                 ; only AH written
    mov esi, c_read8h
    call check

    mov eax, 0x12345678
    mov ax, [NOWHERE + 6]
    cmp eax, 0x1234ffff
    mov esi, c_read16
    call check

    movzx eax, byte [NOWHERE + 3]
    cmp eax, 0xff
    mov esi, c_movzx
    call check

    movsx eax, word [NOWHERE + 4]
    cmp eax, 0xffffffff
    mov esi, c_movsx
    call check

    ; ---- writes vanish ----
    mov dword [NOWHERE], 0x12345678
    mov byte [NOWHERE + 8], 0
    mov word [NOWHERE + 10], 0
    mov eax, [NOWHERE]
    cmp eax, 0xffffffff
    mov esi, c_write
    call check

    mov ecx, 0x11111111                 ; XCHG: the register gets all ones
    xchg [NOWHERE + 12], ecx
    cmp ecx, 0xffffffff
    mov esi, c_xchg
    call check

    ; ---- ALU and TEST: all ones in, flags out, memory results dropped ----
    cmp dword [NOWHERE], -1
    mov esi, c_cmp
    call check                          ; ZF=1: equal

    mov eax, 1
    add eax, [NOWHERE]                  ; 1 + 0xffffffff = 0, carry
    setc bl
    cmp eax, 0
    jne .add_done
    cmp bl, 1
.add_done:
    mov esi, c_add
    call check

    add dword [NOWHERE], 5              ; the sum goes nowhere
    cmp dword [NOWHERE], -1
    mov esi, c_addmem
    call check

    test byte [NOWHERE + 5], 0x80       ; bit set: ZF=0, SF=1
    sets al
    setz ah
    cmp ax, 0x0001
    mov esi, c_test
    call check

    ; ---- string instructions ----
    cld
    mov edi, NOWHERE + 0x100
    mov ecx, 4
    xor eax, eax
    rep stosd                           ; 4 elements, each one exits
    cmp ecx, 0
    jne .stos_done
    cmp edi, NOWHERE + 0x110
    jne .stos_done
    cmp dword [NOWHERE + 0x104], -1
.stos_done:
    mov esi, c_stos
    call check

    mov esi, NOWHERE + 0x200
    xor eax, eax
    lodsd
    cmp esi, NOWHERE + 0x204
    jne .lods_done
    cmp eax, 0xffffffff
.lods_done:
    mov esi, c_lods
    call check

    mov dword [buf], 0                  ; MOVS from nowhere into RAM
    mov dword [buf + 4], 0
    mov esi, NOWHERE + 0x300
    mov edi, buf
    mov ecx, 2
    rep movsd
    cmp dword [buf], -1
    jne .movs_done
    cmp dword [buf + 4], -1
    jne .movs_done
    cmp edi, buf + 8
.movs_done:
    mov esi, c_movs_in
    call check

    mov dword [buf], 0x01020304         ; MOVS from RAM to nowhere
    mov esi, buf
    mov edi, NOWHERE + 0x400
    movsd
    cmp dword [NOWHERE + 0x400], -1
    jne .movs2_done
    cmp edi, NOWHERE + 0x404
.movs2_done:
    mov esi, c_movs_out
    call check

    ; ---- the PC hole, 3-4 GiB ----
    mov dword [HOLE], 0
    mov eax, [HOLE]
    cmp eax, 0xffffffff
    mov esi, c_hole
    call check

    mov eax, [PAST_IOAPIC]
    cmp eax, 0xffffffff
    mov esi, c_ioapic
    call check

    mov eax, [HPET]
    cmp eax, 0xffffffff
    mov esi, c_hpet
    call check

    ; ---- the xAPIC page with the local APIC disabled ----
    mov ecx, 0x1b                       ; IA32_APIC_BASE
    rdmsr
    mov [apic_base], eax
    and eax, ~(1 << 11)                 ; global enable off
    wrmsr
    mov eax, [APIC + 0x20]              ; ID register: nothing there now
    cmp eax, 0xffffffff
    mov esi, c_apic_off
    call check
    mov dword [APIC + 0x300], 0x000c4500 ; an INIT to all: must go nowhere
    mov ecx, 0x1b
    mov eax, [apic_base]
    xor edx, edx
    wrmsr
    mov eax, [APIC + 0x30]              ; version register: the APIC is back
    and eax, 0xf0
    cmp eax, 0x10
    mov esi, c_apic_on
    call check

    ; ---- an event delivered onto a stack in unbacked memory ----
    mov [saved_esp], esp
    mov esp, STACK_NOWHERE
    int3                                ; the CPU pushes EFLAGS, CS, EIP there
    mov esp, [saved_esp]
    cmp dword [bp_count], 1
    mov esi, c_int3
    call check

    ; ---- its own memory untouched by all of this ----
    cmp dword [canary], 0x5a5aa5a5
    mov esi, c_canary
    call check

    ; ---- control bytes for the operator's terminal ----
    mov esi, s_ctl
    call puts

    mov esi, s_done
    call puts
    jmp finish

bp_handler:
    inc dword [bp_count]
    iret

%include "common.inc"

section .data
s_hello:    db "probing guest-physical memory nothing backs", 10, 0
s_done:     db "all checks done", 10, 0
; ESC [2J (clear screen), BEL, BS, DEL, then C1: 0x9b (CSI) 31m, 0x9d (OSC)
; 0x90 (DCS) 0x85 (NEL); a tab stays, and 0xe9 (Latin-1) is shown.
s_ctl:      db "ctl: ", 0x1b, "[2J", 7, 8, 0x7f, 0x9b, "31m", 0x9d, 0x90, 0x85, 9, 0xe9, " end", 10, 0
c_read32:   db "a 32-bit read of 0x10000000 gives all ones", 0
c_read8:    db "an 8-bit read into AL gives 0xff and leaves the rest of EAX", 0
c_read8h:   db "an 8-bit read into AH gives 0xff and leaves the rest of EAX", 0
c_read16:   db "a 16-bit read gives 0xffff and leaves the upper half", 0
c_movzx:    db "MOVZX of a byte gives 0xff", 0
c_movsx:    db "MOVSX of a word gives all ones", 0
c_write:    db "writes are ignored: 0x10000000 still reads all ones", 0
c_xchg:     db "XCHG gives the register all ones", 0
c_cmp:      db "CMP dword [nowhere], -1 says equal", 0
c_add:      db "ADD EAX, [nowhere] adds all ones, with carry", 0
c_addmem:   db "ADD [nowhere], 5 changes nothing", 0
c_test:     db "TEST byte [nowhere], 0x80 sets SF, clears ZF", 0
c_stos:     db "REP STOSD to nowhere: 4 elements, EDI and ECX advanced, nothing stored", 0
c_lods:     db "LODSD from nowhere gives all ones, ESI advanced", 0
c_movs_in:  db "REP MOVSD from nowhere fills RAM with all ones", 0
c_movs_out: db "MOVSD from RAM to nowhere stores nothing", 0
c_hole:     db "the PC hole at 0xc0000000 reads all ones after a write", 0
c_ioapic:   db "0xfec01000 (past the I/O APIC) reads all ones", 0
c_hpet:     db "0xfed00000 (no HPET) reads all ones", 0
c_apic_off: db "the xAPIC page with the APIC disabled reads all ones", 0
c_apic_on:  db "the xAPIC page answers again once the APIC is enabled", 0
c_int3:     db "INT3 with the stack in unbacked memory was delivered and returned", 0
c_canary:   db "its own RAM is unchanged", 0

section .bss
alignb 16
idt:       resb 256 * 8
apic_base: resd 1
saved_esp: resd 1
bp_count:  resd 1
canary:    resd 1
buf:       resd 4
alignb 16
stack:     resb 4096
stack_top:
