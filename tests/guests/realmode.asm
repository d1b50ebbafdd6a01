; A raw real-mode guest, loaded at 0x7c00 and started at 0000:7c00 with
; unrestricted guest. It prints through its UART with BIOS-free port I/O,
; checks that it really runs in real mode (CR0.PE clear, 16-bit segments),
; and exits with the number of failed checks.
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
failures: db 0
