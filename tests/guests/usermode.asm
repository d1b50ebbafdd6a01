; A hostile ring-3 process in a 32-bit paged guest. The kernel part maps
; its first 4 MiB for user mode except three pages: one supervisor-only
; (holding a "secret"), one read-only, one not present; it loads a TSS
; and ring-3 segments and drops to CPL 3 with IOPL 3, so the process may
; execute IN/OUT/INS/OUTS itself. Then, from ring 3:
;   - hypercalls (console write, stop, version, management count and
;     stop) must raise #UD and do nothing;
;   - REP INSB into the supervisor-only page, the read-only page and the
;     unmapped page must raise #PF with CR2 and the error code the CPU
;     would give, at the iteration that faults (RCX/RDI there), and leave
;     the pages as they were;
;   - OUTSB from the supervisor-only page must raise #PF: the secret
;     never reaches the UART (the host test rejects it in the log);
;   - string I/O to and from the process's own pages still works.
; Back in ring 0 (through a DPL-3 gate): the pages are unchanged,
; hypercalls work at CPL 0, and CR0.WP decides supervisor writes to the
; read-only page. Exits with the number of failed checks.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0

%define UNCLAIMED 0x2e0                 ; nobody's port: reads 0xff
%define NO_FAULT  0xffffffff

section .text
global _start
_start:
    mov esp, stack0_top
    lgdt [ugdt_ptr]
    jmp 0x08:.cs
.cs:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax

    mov eax, tss                        ; TSS: ring-0 stack, no I/O bitmap
    mov [ugdt + 0x28 + 2], ax
    shr eax, 16
    mov [ugdt + 0x28 + 4], al
    mov [ugdt + 0x28 + 7], ah
    mov dword [tss + 4], stack0_top
    mov dword [tss + 8], 0x10
    mov word [tss + 102], 104
    mov ax, 0x28
    ltr ax

    mov eax, ud_h
    mov edi, idt + 6 * 8
    call set_gate
    mov eax, gp_h
    mov edi, idt + 13 * 8
    call set_gate
    mov eax, pf_h
    mov edi, idt + 14 * 8
    call set_gate
    mov eax, back_h                     ; int 0x30: back to ring 0
    mov edi, idt + 0x30 * 8
    call set_gate
    mov word [edi + 4], 0xee00          ; DPL 3
    lidt [idt_ptr]

    ; Test pages: a pattern, the secret, a message the process may print.
    mov edi, user_page
    mov ecx, 4 * 4096
    mov al, 0x5a
    cld
    rep stosb
    mov esi, s_secret
    mov edi, sup_page + 0x800
    mov ecx, s_secret_end - s_secret
    rep movsb
    mov esi, s_allowed
    mov edi, ro_page + 0x100
    mov ecx, s_allowed_end - s_allowed
    rep movsb
    mov esi, sup_page                   ; copies to compare with afterwards
    mov edi, sup_ref
    mov ecx, 4096
    rep movsb
    mov esi, ro_page
    mov edi, ro_ref
    mov ecx, 4096
    rep movsb

    ; Paging: 0-4 MiB identity-mapped, user and writable, but for the
    ; three test pages.
    mov edi, page_dir
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [page_dir], page_tab + 7
    mov edi, page_tab
    mov eax, 7
    mov ecx, 1024
.pte:
    stosd
    add eax, 4096
    loop .pte
    mov eax, sup_page
    shr eax, 12
    mov dword [page_tab + eax * 4], sup_page + 3    ; present, writable, supervisor
    mov eax, ro_page
    shr eax, 12
    mov dword [page_tab + eax * 4], ro_page + 5     ; present, user, read-only
    mov eax, hole_page
    shr eax, 12
    mov dword [page_tab + eax * 4], 0               ; not present
    mov eax, page_dir
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                  ; PG, WP
    mov cr0, eax
    jmp .paged
.paged:
    mov esi, s_start
    call puts

    ; To ring 3 with IOPL 3.
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    push 0x23
    push stack3_top
    pushfd
    or dword [esp], 0x3000
    push 0x1b
    push ring3
    iret

; ---------------------------------------------------------------- ring 3
ring3:
    mov ax, cs
    and eax, 3
    cmp eax, 3
    mov esi, c_cpl3
    call check

    ; (a) hypercalls at CPL 3: #UD, and nothing happens.
    mov dword [skip_len], 3             ; VMCALL is 0f 01 c1
    call arm
    mov eax, 1                          ; console write
    mov ebx, s_leak
    mov ecx, s_leak_end - s_leak
    vmcall
    call ud_and_eax_is_1
    mov esi, c_hc_console
    call check

    call arm
    mov eax, 2                          ; stop with status 0x55
    mov ebx, 0x55
    vmcall
    cmp dword [last_vector], 6
    mov esi, c_hc_stop
    call check

    call arm
    mov eax, 0                          ; version
    vmcall
    cmp dword [last_vector], 6
    mov esi, c_hc_version
    call check

    call arm
    mov eax, 16                         ; management: guest count
    vmcall
    cmp dword [last_vector], 6
    mov esi, c_hc_count
    call check

    call arm
    mov eax, 18                         ; management: stop guest 1 (realmode)
    mov ebx, 1
    vmcall
    cmp dword [last_vector], 6
    mov esi, c_hc_mstop
    call check

    cmp dword [ud_count], 5
    mov esi, c_ud_count
    call check

    ; (b) REP INSB where ring 3 may not write.
    mov dword [skip_len], 2             ; REP INSB is f3 6c
    mov dx, UNCLAIMED
    call arm
    mov edi, sup_page + 0x10
    mov ecx, 8
    rep insb
    mov eax, 7                          ; P | W | U
    mov ebx, sup_page + 0x10
    mov ecx, 8
    mov edx, sup_page + 0x10
    call pf_at_edi
    mov esi, c_ins_sup
    call check

    mov dx, UNCLAIMED
    call arm
    mov edi, ro_page + 0x20
    mov ecx, 8
    rep insb
    mov eax, 7
    mov ebx, ro_page + 0x20
    mov ecx, 8
    mov edx, ro_page + 0x20
    call pf_at_edi
    mov esi, c_ins_ro
    call check

    mov dx, UNCLAIMED
    call arm
    mov edi, hole_page + 0x30
    mov ecx, 8
    rep insb
    mov eax, 6                          ; W | U, not present
    mov ebx, hole_page + 0x30
    mov ecx, 8
    mov edx, hole_page + 0x30
    call pf_at_edi
    mov esi, c_ins_hole
    call check

    ; A REP that starts in its own page and runs into the supervisor
    ; page: 4 bytes land, then #PF with RCX/RDI at the fifth.
    mov dx, UNCLAIMED
    call arm
    mov edi, sup_page - 4
    mov ecx, 16
    rep insb
    mov eax, 7
    mov ebx, sup_page
    mov ecx, 12
    mov edx, sup_page
    call pf_at_edi
    jne .mid_done
    cmp dword [sup_page - 4], 0xffffffff
.mid_done:
    mov esi, c_ins_mid
    call check

    ; One word across the boundary: nothing of it is written.
    mov byte [sup_page - 1], 0x5a
    mov dword [skip_len], 2             ; INSW is 66 6d
    mov dx, UNCLAIMED
    call arm
    mov edi, sup_page - 1
    insw
    mov eax, 7
    mov ebx, sup_page
    mov ecx, [fault_ecx]                ; not a REP: RCX is not looked at
    mov edx, sup_page - 1
    call pf_at_edi
    jne .split_done
    cmp byte [sup_page - 1], 0x5a
.split_done:
    mov esi, c_ins_split
    call check

    ; (c) OUTSB of the kernel's secret: #PF, nothing sent.
    mov dword [skip_len], 2             ; REP OUTSB is f3 6e
    mov dx, 0x3f8
    call arm
    mov esi, sup_page + 0x800
    mov ecx, s_secret_end - s_secret
    rep outsb
    mov eax, 5                          ; P | U, a read
    mov ebx, sup_page + 0x800
    mov ecx, s_secret_end - s_secret
    mov edx, sup_page + 0x800
    call pf_at_esi
    mov esi, c_outs_sup
    call check

    mov dx, 0x3f8
    call arm
    mov esi, hole_page
    mov ecx, 4
    rep outsb
    mov eax, 4                          ; U, not present
    mov ebx, hole_page
    mov ecx, 4
    mov edx, hole_page
    call pf_at_esi
    mov esi, c_outs_hole
    call check

    ; (d) what ring 3 may do still works: REP OUTSB from the read-only
    ; page prints a line, REP INSB fills its own page.
    mov dx, 0x3f8
    call arm
    mov esi, ro_page + 0x100
    mov ecx, s_allowed_end - s_allowed
    rep outsb
    cmp dword [last_vector], NO_FAULT
    jne .outs_done
    test ecx, ecx
    jne .outs_done
    cmp esi, ro_page + 0x100 + (s_allowed_end - s_allowed)
.outs_done:
    mov esi, c_outs_ok
    call check

    mov dx, UNCLAIMED
    call arm
    mov edi, user_page + 0x100
    mov ecx, 8
    rep insb
    cmp dword [last_vector], NO_FAULT
    jne .ins_done
    cmp edi, user_page + 0x108
    jne .ins_done
    cmp dword [user_page + 0x104], 0xffffffff
.ins_done:
    mov esi, c_ins_ok
    call check

    int 0x30                            ; back to ring 0

; ---------------------------------------------------------------- ring 0
ring0_again:
    mov esi, sup_page
    mov edi, sup_ref
    mov ecx, 4096
    repe cmpsb
    mov esi, c_sup_same
    call check
    mov esi, ro_page
    mov edi, ro_ref
    mov ecx, 4096
    repe cmpsb
    mov esi, c_ro_same
    call check

    mov dword [skip_len], 3
    call arm
    mov eax, 0                          ; version at CPL 0
    vmcall
    cmp dword [last_vector], NO_FAULT
    jne .ver_done
    test eax, 0x80000000
.ver_done:
    mov esi, c_hc0_version
    call check

    call arm
    mov eax, 16                         ; management count at CPL 0: usermode, realmode
    vmcall
    cmp dword [last_vector], NO_FAULT
    jne .count_done
    cmp eax, 2
.count_done:
    mov esi, c_hc0_count
    call check

    mov dword [skip_len], 2
    mov dx, UNCLAIMED
    call arm
    mov edi, ro_page + 0x40
    mov ecx, 4
    rep insb
    mov eax, 3                          ; P | W, supervisor
    mov ebx, ro_page + 0x40
    mov ecx, 4
    mov edx, ro_page + 0x40
    call pf_at_edi
    mov esi, c_wp1
    call check

    mov eax, cr0                        ; CR0.WP = 0: the write goes through
    and eax, ~0x10000
    mov cr0, eax
    mov dx, UNCLAIMED
    call arm
    mov edi, ro_page + 0x40
    mov ecx, 4
    rep insb
    cmp dword [last_vector], NO_FAULT
    jne .wp0_done
    cmp dword [ro_page + 0x40], 0xffffffff
.wp0_done:
    mov esi, c_wp0
    call check
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax

    mov dx, UNCLAIMED
    call arm
    mov edi, sup_page + 0x20
    mov ecx, 4
    rep insb
    cmp dword [last_vector], NO_FAULT
    jne .sup_done
    cmp dword [sup_page + 0x20], 0xffffffff
.sup_done:
    mov esi, c_ins_sup0
    call check

    mov dx, UNCLAIMED
    call arm
    mov edi, hole_page + 0x8
    mov ecx, 4
    rep insb
    mov eax, 2                          ; W, supervisor, not present
    mov ebx, hole_page + 0x8
    mov ecx, 4
    mov edx, hole_page + 0x8
    call pf_at_edi
    mov esi, c_ins_hole0
    call check

    mov esi, s_done
    call puts
    jmp finish

; ---------------------------------------------------------------- helpers
arm:                                    ; forget the last fault
    mov dword [last_vector], NO_FAULT
    mov dword [last_error], NO_FAULT
    mov dword [last_cr2], 0
    ret

ud_and_eax_is_1:                        ; ZF: #UD and EAX unchanged
    cmp dword [last_vector], 6
    jne .out
    cmp eax, 1
.out:
    ret

; ZF=1 when the last fault was #PF with error EAX, CR2 EBX, and at the
; fault ECX = ECX and EDI (pf_at_edi) or ESI (pf_at_esi) = EDX.
pf_at_edi:
    cmp edx, [fault_edi]
    jne pf_common.out
    jmp pf_common
pf_at_esi:
    cmp edx, [fault_esi]
    jne pf_common.out
pf_common:
    cmp dword [last_vector], 14
    jne .out
    cmp eax, [last_error]
    jne .out
    cmp ebx, [last_cr2]
    jne .out
    cmp ecx, [fault_ecx]
.out:
    ret

; Exceptions: record vector, error code, CR2 and the string registers,
; then resume after the faulting instruction (skip_len bytes).
ud_h:
    mov dword [last_vector], 6
    inc dword [ud_count]
    jmp fault_common
gp_h:
    mov dword [last_vector], 13
    pop dword [last_error]
    jmp fault_common
pf_h:
    mov dword [last_vector], 14
    pop dword [last_error]
    push eax
    mov eax, cr2
    mov [last_cr2], eax
    pop eax
fault_common:
    mov [fault_ecx], ecx
    mov [fault_edi], edi
    mov [fault_esi], esi
    push eax
    mov eax, [skip_len]
    add [esp + 4], eax
    pop eax
    iret

back_h:                                 ; int 0x30 from ring 3: stay in ring 0
    add esp, 20                         ; EIP, CS, EFLAGS, ESP, SS
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esi, s_ring0
    call puts
    jmp ring0_again

%include "common.inc"

section .data
align 8
ugdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08 ring-0 code
    dq 0x00cf92000000ffff               ; 0x10 ring-0 data
    dq 0x00cffa000000ffff               ; 0x18 ring-3 code
    dq 0x00cff2000000ffff               ; 0x20 ring-3 data
    dw 103, 0                           ; 0x28 32-bit TSS, base filled in
    db 0, 0x89, 0, 0
ugdt_ptr:
    dw 6 * 8 - 1
    dd ugdt

s_start:   db "paging on; dropping to ring 3 with IOPL 3", 10, 0
s_ring0:   db "back in ring 0", 10, 0
s_done:    db "all checks done", 10, 0
s_secret:  db "kernel-secret-7f3a9c", 10
s_secret_end:
s_leak:    db "LEAK: console hypercall from ring 3", 10
s_leak_end:
s_allowed: db "ok: REP OUTSB at CPL 3 from a read-only user page prints", 10
s_allowed_end:
c_cpl3:       db "running at CPL 3", 0
c_hc_console: db "console hypercall at CPL 3 raises #UD", 0
c_hc_stop:    db "stop hypercall at CPL 3 raises #UD and the guest runs on", 0
c_hc_version: db "version hypercall at CPL 3 raises #UD", 0
c_hc_count:   db "management count at CPL 3 raises #UD", 0
c_hc_mstop:   db "management stop at CPL 3 raises #UD", 0
c_ud_count:   db "five hypercalls at CPL 3, five #UD", 0
c_ins_sup:    db "REP INSB into a supervisor page at CPL 3: #PF, error 7, CR2", 0
c_ins_ro:     db "REP INSB into a read-only page at CPL 3: #PF, error 7, CR2", 0
c_ins_hole:   db "REP INSB into an unmapped page at CPL 3: #PF, error 6, CR2", 0
c_ins_mid:    db "REP INSB faults at the iteration entering the supervisor page (RCX, RDI there)", 0
c_ins_split:  db "INSW across into the supervisor page: #PF at the page, nothing written", 0
c_outs_sup:   db "REP OUTSB of the supervisor page's secret at CPL 3: #PF, error 5, CR2", 0
c_outs_hole:  db "REP OUTSB from an unmapped page at CPL 3: #PF, error 4, CR2", 0
c_outs_ok:    db "REP OUTSB from a read-only user page at CPL 3 completes", 0
c_ins_ok:     db "REP INSB into its own page at CPL 3 completes", 0
c_sup_same:   db "supervisor page unchanged", 0
c_ro_same:    db "read-only page unchanged", 0
c_hc0_version: db "version hypercall at CPL 0 answers", 0
c_hc0_count:  db "management count at CPL 0 answers 2", 0
c_wp1:        db "REP INSB into the read-only page at CPL 0 with CR0.WP=1: #PF, error 3", 0
c_wp0:        db "REP INSB into the read-only page at CPL 0 with CR0.WP=0 writes", 0
c_ins_sup0:   db "REP INSB into the supervisor page at CPL 0 writes", 0
c_ins_hole0:  db "REP INSB into the unmapped page at CPL 0: #PF, error 2", 0

last_error: dd 0
last_cr2:   dd 0
fault_ecx:  dd 0
fault_edi:  dd 0
fault_esi:  dd 0
ud_count:   dd 0

section .bss nobits alloc write align=4096
page_dir:  resb 4096
page_tab:  resb 4096
user_page: resb 4096                    ; the four test pages, in this order
sup_page:  resb 4096
ro_page:   resb 4096
hole_page: resb 4096
sup_ref:   resb 4096
ro_ref:    resb 4096
idt:       resb 256 * 8
tss:       resb 104
alignb 16
stack0:    resb 4096
stack0_top:
stack3:    resb 4096
stack3_top:
