; A raw real-mode guest, loaded at 0x7c00 and started at 0000:7c00 with
; unrestricted guest. It prints through its UART with BIOS-free port I/O,
; checks that it really runs in real mode (CR0.PE clear, 16-bit segments),
; that string I/O past a segment limit raises #GP (#SS through SS)
; through its IVT, with no error code and a REP stopped at the iteration
; that faults, and exits with the number of failed checks.
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov si, s_hello
    call puts

    smsw ax                             ; CR0.PE must be clear
    test ax, 1
    mov si, c_pe
    call check

    mov ax, 0x1234                      ; segment arithmetic: base = sel << 4
    mov es, ax
    mov byte [es:0x0010], 0x5a          ; linear 0x12350
    mov ax, 0x1235
    mov fs, ax
    cmp byte [fs:0], 0x5a
    mov si, c_seg
    call check

    ; String I/O past the 64 KiB limit of a real-mode segment: #GP, or
    ; #SS through SS (SDM Vol. 3A 21.1.4: no error code in real mode).
    mov word [12 * 4], ss_rm
    mov word [12 * 4 + 2], 0
    mov word [13 * 4], gp_rm
    mov word [13 * 4 + 2], 0
    xor ax, ax
    mov es, ax
    mov ax, 0x1000
    mov fs, ax                          ; fs:0 = linear 0x10000
    mov word [0xfffe], 0x1111
    mov byte [fs:0], 0x11
    mov byte [fs:1], 0x11
    cld

    ; a32 REP INSB from ES:0xfffe, 4 bytes: two land, #GP at 0x10000.
    mov byte [last_vec], 0
    mov word [skip], 3                  ; 67 f3 6c
    mov edi, 0xfffe
    mov ecx, 4
    mov dx, 0x2e0                       ; nobody's port: reads 0xff
    a32 rep insb
    cmp byte [last_vec], 13
    jne .ins_done
    cmp dword [f_ecx], 2
    jne .ins_done
    cmp dword [f_edi], 0x10000
    jne .ins_done
    cmp word [0xfffe], 0xffff
    jne .ins_done
    cmp word [fs:0], 0x1111
.ins_done:
    mov si, c_ins_gp
    call check

    ; INSW at offset 0xffff with 16-bit addresses: the word would end
    ; at 0x10000. #GP, nothing written.
    mov byte [0xffff], 0x22
    mov byte [last_vec], 0
    mov word [skip], 1                  ; 6d
    mov edi, 0xffff
    insw
    cmp byte [last_vec], 13
    jne .insw_done
    cmp byte [0xffff], 0x22
    jne .insw_done
    cmp byte [fs:0], 0x11
.insw_done:
    mov si, c_insw_gp
    call check

    ; a32 OUTSB from DS:0x10000: #GP; through SS: #SS.
    mov byte [last_vec], 0
    mov word [skip], 2                  ; 67 6e
    mov esi, 0x10000
    mov dx, 0x2e0
    a32 outsb
    cmp byte [last_vec], 13
    jne .outs_done
    cmp dword [f_esi], 0x10000
.outs_done:
    mov si, c_outs_gp
    call check

    mov byte [last_vec], 0
    mov word [skip], 3                  ; 36 67 6e
    mov esi, 0x10000
    db 0x36                             ; SS override
    a32 outsb
    cmp byte [last_vec], 12
    mov si, c_outs_ss
    call check

    ; Inside the limit it works.
    mov byte [last_vec], 0
    mov edi, 0x8000
    mov ecx, 2
    a32 rep insb
    cmp byte [last_vec], 0
    jne .ok_done
    cmp edi, 0x8002
    jne .ok_done
    cmp word [0x8000], 0xffff
.ok_done:
    mov si, c_ins_ok
    call check

    mov si, s_done
    call puts
    mov al, [failures]
    out 0xf4, al
    hlt

puts:
    push ax
    push dx
.next:
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    lodsb
    test al, al
    jz .done
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
    pop dx
    pop ax
    ret

; #GP and #SS through the IVT: record, skip the faulting instruction
; (no error code on the stack in real mode).
gp_rm:
    mov byte [last_vec], 13
    jmp fault_rm
ss_rm:
    mov byte [last_vec], 12
fault_rm:
    mov [f_ecx], ecx
    mov [f_edi], edi
    mov [f_esi], esi
    push bp
    mov bp, sp
    push ax
    mov ax, [skip]
    add [bp + 2], ax
    pop ax
    pop bp
    iret

check:                                  ; ZF=1: pass; SI = what
    pushf
    push si
    jz .pass
    mov si, s_fail
    call puts
    inc byte [failures]
    jmp .what
.pass:
    mov si, s_ok
    call puts
.what:
    pop si
    call puts
    mov si, s_nl
    call puts
    popf
    ret

s_hello: db "hello from real mode", 10, 0
c_pe:    db "CR0.PE is clear", 0
c_seg:   db "real-mode segment bases", 0
s_ok:    db "ok: ", 0
s_fail:  db "FAIL: ", 0
s_nl:    db 10, 0
s_done:  db "real-mode checks done", 10, 0
c_ins_gp:  db "a32 REP INSB past the ES limit raises #GP at the iteration (ECX, EDI there)", 0
c_insw_gp: db "INSW at ES:0xffff raises #GP, nothing written", 0
c_outs_gp: db "a32 OUTSB past the DS limit raises #GP", 0
c_outs_ss: db "a32 OUTSB past the SS limit raises #SS", 0
c_ins_ok:  db "a32 REP INSB inside the limit works", 0
failures: db 0
last_vec: db 0
skip:     dw 0
f_ecx:    dd 0
f_edi:    dd 0
f_esi:    dd 0
