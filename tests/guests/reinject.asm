; reinject: an event whose delivery causes a VM exit is delivered all the
; same (SDM Vol. 3C 27.2.4: the IDT-vectoring information; 28.2.3: the
; VMM re-injects it, with the instruction length of a software interrupt
; and the error code of an exception). The guest points ESP into the
; unbacked hole between 3 and 4 GiB (flat segments, no paging: linear =
; guest-physical), so pushing the frame is an EPT violation, and takes
;  1) INT 0x41 (software interrupt: the frame's EIP is after the INT),
;  2) UD2 (#UD, a fault: the frame's EIP is the UD2),
;  3) MOV DS with a selector beyond the GDT (#GP with error code 0x1230),
;  4) its local APIC timer (an external interrupt, vector 0x40),
; each on a page of its own. The handlers never return on that stack:
; they note the vector and the frame as read through their ESP, go back
; to the real stack and continue. A handler that runs is the check; the
; frame read back (EIP, error code) is checked too: with the hypervisor
; mapping a scratch page for the push, it reads what was pushed.
bits 32

%define APIC 0xfee00000
%define TIMER_VEC 0x40
%define SOFT_VEC 0x41

%include "multiboot.inc"
MULTIBOOT_HEADER 0

%macro BAD_HANDLER 1
bad_%1:
    mov [frame_esp], esp
    mov dword [frame_vec], %1
    jmp bad_common
%endmacro

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, bad_6
    mov edi, idt + 6 * 8
    call set_gate
    mov eax, bad_13
    mov edi, idt + 13 * 8
    call set_gate
    mov eax, bad_64
    mov edi, idt + TIMER_VEC * 8
    call set_gate
    mov eax, bad_65
    mov edi, idt + SOFT_VEC * 8
    call set_gate
    mov esi, s_hello
    call puts

    ; 1) INT 0x41
    mov dword [resume], .r1
    mov [good_esp], esp
    mov esp, 0xd0001000
.int:
    int SOFT_VEC
.int_end:
    mov esp, [good_esp]
.r1:
    mov eax, SOFT_VEC
    mov esi, c_int
    call check_taken
    mov eax, [frame]
    cmp eax, .int_end
    mov esi, c_int_eip
    call check_frame

    ; 2) UD2
    mov dword [resume], .r2
    mov [good_esp], esp
    mov esp, 0xd0011000
.ud:
    ud2
    mov esp, [good_esp]
.r2:
    mov eax, 6
    mov esi, c_ud
    call check_taken
    mov eax, [frame]
    cmp eax, .ud
    mov esi, c_ud_eip
    call check_frame

    ; 3) #GP(0x1230)
    mov dword [resume], .r3
    mov [good_esp], esp
    mov bx, 0x1230
    mov esp, 0xd0021000
.gp:
    mov ds, bx
    mov esp, [good_esp]
.r3:
    mov eax, 13
    mov esi, c_gp
    call check_taken
    mov eax, [frame]
    cmp eax, 0x1230
    jne .gp_frame
    mov eax, [frame + 4]
    cmp eax, .gp
.gp_frame:
    mov esi, c_gp_frame
    call check_frame

    ; 4) the local APIC timer, one-shot
    mov dword [APIC + 0xf0], 0x1ff
    mov dword [APIC + 0x3e0], 0xb
    mov dword [APIC + 0x320], TIMER_VEC
    mov dword [resume], .r4
    mov [good_esp], esp
    mov ecx, 20000000
    mov dword [APIC + 0x380], 100000
    mov esp, 0xd0031000
    sti
.spin:
    dec ecx
    jnz .spin
    cli
    mov esp, [good_esp]
.r4:
    cli
    mov eax, TIMER_VEC
    mov esi, c_timer
    call check_taken
    mov eax, [frame]
    cmp eax, .spin
    jb .timer_frame_bad
    cmp eax, .r4
    ja .timer_frame_bad
    xor eax, eax
.timer_frame_bad:
    mov esi, c_timer_eip
    call check_frame

    mov esi, s_done
    call puts
    jmp finish

BAD_HANDLER 6
BAD_HANDLER 13
BAD_HANDLER 64
BAD_HANDLER 65

; The frame as the handler's ESP sees it; back to the real stack.
bad_common:
    mov eax, [frame_esp]
    mov edx, [eax]
    mov [frame], edx
    mov edx, [eax + 4]
    mov [frame + 4], edx
    mov edx, [eax + 8]
    mov [frame + 8], edx
    mov esp, [good_esp]
    inc dword [taken]
    cmp dword [frame_vec], 32
    jb .exc
    mov dword [APIC + 0xb0], 0          ; EOI
.exc:
    jmp [resume]

; check_taken: EAX = the vector expected, ESI = description: exactly one
; handler ran since the last check, for that vector.
check_taken:
    cmp dword [taken], 1
    jne .result
    cmp [frame_vec], eax
.result:
    mov dword [taken], 0
    mov dword [frame_vec], -1
    jmp check

; check_frame: as check; on a failure also prints the frame read back.
check_frame:
    call check
    jz .ret
    push esi
    mov esi, s_frame
    call puts
    mov eax, [frame]
    call putdec32
    mov esi, s_space
    call puts
    mov eax, [frame + 4]
    call putdec32
    mov esi, s_space
    call puts
    mov eax, [frame + 8]
    call putdec32
    mov esi, s_nl
    call puts
    pop esi
.ret:
    ret

%include "common.inc"

section .data
s_hello:     db "events whose delivery faults in EPT: the stack in unbacked memory", 10, 0
c_int:       db "INT 0x41 with the stack in unbacked memory reached its handler", 0
c_int_eip:   db "INT 0x41: the frame's EIP is the next instruction (instruction length re-injected)", 0
c_ud:        db "#UD with the stack in unbacked memory reached its handler", 0
c_ud_eip:    db "#UD: the frame's EIP is the UD2", 0
c_gp:        db "#GP with the stack in unbacked memory reached its handler", 0
c_gp_frame:  db "#GP: the frame holds error code 0x1230 and the faulting MOV's EIP", 0
c_timer:     db "the APIC timer interrupt with the stack in unbacked memory reached its handler", 0
c_timer_eip: db "APIC timer: the frame's EIP is inside the interrupted loop", 0
s_frame:     db "  frame (decimal): ", 0
s_space:     db " ", 0
s_done:      db "re-injection checks done", 10, 0

section .bss
alignb 4
good_esp:  resd 1
frame_esp: resd 1
frame_vec: resd 1
frame:     resd 3
taken:     resd 1
resume:    resd 1
alignb 16
idt:       resb 256 * 8
stack:     resb 8192
stack_top:
