; nmiwindow: an NMI that arrives while the vCPU is in its NMI handler is
; held until the handler's IRET and delivered right then, once: not lost,
; not nested (SDM Vol. 3A 6.7.1; Vol. 3C 25.3 virtual-NMI blocking and
; NMI-window exiting). nmiwindow.cfg: two vCPUs pinned to CPUs 0 and 1.
;  a) self: the boot vCPU sends itself an NMI; its handler sends itself
;     another and spins a while before IRET;
;  b) cross-CPU: the boot vCPU sends the AP (on the other CPU, where
;     nothing else makes it exit) an NMI; while the AP's handler spins,
;     the second one; then lets the handler return.
; After the IRET the receiver counts loop iterations until the second NMI
; has run: it must come within SOON of them (an NMI held until some later
; exit would come much later, or never on a CPU with nothing to exit for).
; The AP runs with interrupts enabled, in its NMI handler too (NMIs stay
; blocked until IRET whatever IF says): Bochs takes no host interrupt
; while a guest that was entered with IF = 0 keeps IF = 0, although
; external-interrupt exiting is on (it applies the guest's IF before it
; counts itself in VMX non-root operation), so the hypervisor's kick
; would not bring such a vCPU out. On hardware IF does not matter there
; (SDM Vol. 3C 25.2).
bits 32

%define APIC 0xfee00000
%define TRAMPOLINE 0x8000               ; SIPI vector 0x08
%define WAIT_AFTER 2000000              ; iterations waited after the IRET
%define SOON 1000                       ; "right after the IRET"
%define HOLD 300000                     ; iterations the handler / sender hold
%define ICR_NMI 0x4400                  ; NMI, assert, physical, no shorthand

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, nmi_handler
    mov edi, idt + 2 * 8
    call set_gate
    mov esi, s_hello
    call puts
    mov dword [APIC + 0xf0], 0x1ff

    ; ---- a) NMI to self, and again from inside the handler ----
    mov dword [APIC + 0x310], 0         ; APIC ID 0: this vCPU
    mov dword [APIC + 0x300], ICR_NMI
    mov ecx, WAIT_AFTER                 ; the first one (then the handler
.first:                                 ; has run and returned)
    cmp dword [nmis], 0
    jne .returned
    dec ecx
    jnz .first
.returned:
    xor ecx, ecx
.self_wait:
    cmp dword [nmis], 2
    jae .self_got
    inc ecx
    cmp ecx, WAIT_AFTER
    jb .self_wait
.self_got:
    mov [self_latency], ecx
    mov eax, [nmis]
    mov [self_count], eax
    cmp dword [self_count], 0
    setz al
    cmp al, 0
    mov esi, c_self_first
    call check
    cmp dword [self_count], 2
    mov esi, c_self_second
    call check
    cmp dword [self_latency], SOON
    setae al
    cmp al, 0
    mov esi, c_self_soon
    call check
    cmp dword [nested], 0
    mov esi, c_self_nested
    call check
    call print_self

    ; ---- b) across CPUs ----
    mov esi, trampoline
    mov edi, TRAMPOLINE
    mov ecx, trampoline_end - trampoline
    rep movsb
    mov dword [APIC + 0x310], 1 << 24   ; APIC ID 1
    mov dword [APIC + 0x300], 0x4500    ; INIT
    mov dword [APIC + 0x300], 0x4600 | (TRAMPOLINE >> 12)
    mov dword [APIC + 0x300], 0x4600 | (TRAMPOLINE >> 12)
    mov ecx, 20000000
.alive:
    cmp dword [ap_alive], 0
    jne .started
    pause
    dec ecx
    jnz .alive
    mov esi, s_no_ap
    call puts
    inc dword [failures]
    jmp finish
.started:
    mov dword [APIC + 0x310], 1 << 24
    mov dword [APIC + 0x300], ICR_NMI
    mov ecx, 5000000
.in_handler:
    cmp dword [ap_in_handler], 0
    jne .second
    pause
    dec ecx
    jnz .in_handler
.second:
    mov dword [APIC + 0x310], 1 << 24   ; while the AP's handler runs
    mov dword [APIC + 0x300], ICR_NMI
    mov ecx, HOLD
.hold:
    pause
    dec ecx
    jnz .hold
    mov dword [release], 1
    mov ecx, 20000000
.ap_done:
    cmp dword [ap_done], 0
    jne .report
    pause
    dec ecx
    jnz .ap_done
.report:
    cmp dword [ap_in_handler], 0
    setz al
    cmp al, 0
    mov esi, c_ap_first
    call check
    cmp dword [ap_count], 2
    mov esi, c_ap_second
    call check
    cmp dword [ap_latency], SOON
    setae al
    cmp al, 0
    mov esi, c_ap_soon
    call check
    cmp dword [nested + 4], 0
    mov esi, c_ap_nested
    call check
    mov esi, s_ap_info
    call puts
    mov eax, [ap_count]
    call putdec32
    mov esi, s_ap_info2
    call puts
    mov eax, [ap_latency]
    call putdec32
    mov esi, s_nl
    call puts
    mov esi, s_done
    call puts
    jmp finish

print_self:
    mov esi, s_self_info
    call puts
    mov eax, [self_count]
    call putdec32
    mov esi, s_ap_info2
    call puts
    mov eax, [self_latency]
    call putdec32
    mov esi, s_nl
    call puts
    ret

; The NMI handler of both vCPUs (per-vCPU counters by APIC ID). The first
; NMI of each does the test's work before its IRET: the boot vCPU sends
; itself another and spins; the AP says so and spins until released.
nmi_handler:
    pushad
    mov ebx, [APIC + 0x20]
    shr ebx, 24
    and ebx, 1
    lock inc dword [nmis + ebx * 4]
    cmp dword [in_nmi + ebx * 4], 0
    je .level1
    lock inc dword [nested + ebx * 4]   ; inside ourselves: must not happen
    jmp .out
.level1:
    mov dword [in_nmi + ebx * 4], 1
    cmp dword [nmis + ebx * 4], 1
    jne .leave
    test ebx, ebx
    jnz .ap
    mov dword [APIC + 0x310], 0
    mov dword [APIC + 0x300], ICR_NMI
    mov ecx, HOLD
.spin:
    pause
    dec ecx
    jnz .spin
    jmp .leave
.ap:
    sti                                 ; see the top: kicks must reach us
    mov dword [ap_in_handler], 1
    mov ecx, 20000000
.wait_release:
    cmp dword [release], 0
    jne .leave
    pause
    dec ecx
    jnz .wait_release
.leave:
    mov dword [in_nmi + ebx * 4], 0
.out:
    popad
    iret

; ---- the AP ----
bits 16
trampoline:
    cli
    mov ax, cs
    mov ds, ax
    lgdt [tr_gdt_ptr - trampoline]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword 0x08:ap_entry
align 4
tr_gdt_ptr:
    dw 23
    dd gdt
trampoline_end:

bits 32
ap_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, ap_stack_top
    lidt [idt_ptr]
    mov dword [APIC + 0xf0], 0x1ff
    mov dword [ap_alive], 1
    sti                                 ; see the top; no interrupt comes
    ; Wait for the first NMI to have run and returned.
    mov ecx, 20000000
.first:
    cmp dword [nmis + 4], 0
    jne .returned
    pause
    dec ecx
    jnz .first
.returned:
    xor ecx, ecx
.wait:
    cmp dword [nmis + 4], 2
    jae .got
    inc ecx
    cmp ecx, WAIT_AFTER
    jb .wait
.got:
    mov [ap_latency], ecx
    mov eax, [nmis + 4]
    mov [ap_count], eax
    mov dword [ap_done], 1
.idle:
    cli
    hlt
    jmp .idle

%include "common.inc"

section .data
s_hello:       db "an NMI inside the NMI handler: held until IRET, then delivered once", 10, 0
c_self_first:  db "self: the first NMI arrived", 0
c_self_second: db "self: the NMI sent from inside the handler arrived after its IRET", 0
c_self_soon:   db "self: it arrived right after the IRET", 0
c_self_nested: db "self: no NMI nested inside the handler", 0
s_self_info:   db "self: NMIs taken ", 0
c_ap_first:    db "cross-CPU: the AP took the first NMI", 0
c_ap_second:   db "cross-CPU: the NMI sent while the AP was in its handler arrived after its IRET", 0
c_ap_soon:     db "cross-CPU: it arrived right after the IRET", 0
c_ap_nested:   db "cross-CPU: no NMI nested inside the AP's handler", 0
s_ap_info:     db "cross-CPU: NMIs taken by the AP ", 0
s_ap_info2:    db ", loop iterations from the IRET to the second one ", 0
s_no_ap:       db "FAIL: the AP did not start", 10, 0
s_done:        db "NMI checks done", 10, 0

section .bss
alignb 4
nmis:          resd 2
in_nmi:        resd 2
nested:        resd 2
self_latency:  resd 1
self_count:    resd 1
ap_alive:      resd 1
ap_in_handler: resd 1
release:       resd 1
ap_done:       resd 1
ap_latency:    resd 1
ap_count:      resd 1
idt:           resb 256 * 8
alignb 16
ap_stack:      resb 4096
ap_stack_top:
stack:         resb 8192
stack_top:
