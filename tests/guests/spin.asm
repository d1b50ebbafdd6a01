; A CPU-bound test guest for the partitioning tests. It spins, printing
; "tick N" each time another 100 ms of TSC time has passed, and reads its
; serial port: a typed line comes back as "got: LINE", and "quit" stops
; it. Command line words (multiboot):
;   ticks=N   stop with status 0 after N ticks (default: never)
;   halt      between two checks of the time, sleep (HLT) until a 10 ms
;             one-shot of the local APIC timer: a heartbeat that leaves its
;             CPU idle (an emulator then spends nothing on it)
;   every=N   print only every Nth tick ("tick N", "tick 2N", ...): a quiet
;             heartbeat (make run's demo); ticks= still counts every tick
;   bench     fairness: count loop iterations inside one window of TSC
;             time common to every guest, print "share: N", stop
;   manage    management hypercalls: list every guest, restart guest 1
;   storm     an exit per loop iteration (CPUID): a busy neighbour
bits 32

%define UART 0x3f8
%define APIC_BASE 0xfee00000
%define HC_GUEST_COUNT   16
%define HC_GUEST_INFO    17
%define HC_GUEST_RESTART 20

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    ; The command line (multiboot info flags bit 2, field at +16).
    test dword [ebx], 1 << 2
    jz .no_cmdline
    mov eax, [ebx + 16]
    mov [cmdline], eax
.no_cmdline:
    mov eax, 0x40000010                 ; TSC kHz
    cpuid
    imul eax, eax, 100                  ; ticks per 100 ms (fits 32 bits below 42 GHz)
    mov [period], eax

    mov esi, w_ticks
    call find_word
    jc .no_ticks
    call parse_uint
    mov [max_ticks], eax
.no_ticks:
    mov esi, w_every
    call find_word
    jc .no_every
    call parse_uint
    mov [every], eax
.no_every:
    mov esi, w_halt
    call find_word
    jc .no_halt
    call setup_halt
.no_halt:
    mov esi, w_bench
    call find_word
    jnc bench
    mov esi, w_manage
    call find_word
    jnc manage
    mov esi, w_storm
    call find_word
    jc .spin
    mov dword [storm], 1
.spin:
    mov esi, s_hello
    call puts
    rdtsc
    add eax, [period]
    adc edx, 0
    mov [next_lo], eax
    mov [next_hi], edx
.loop:
    cmp dword [storm], 0
    je .no_storm
    push ebx
    xor eax, eax
    cpuid
    pop ebx
.no_storm:
    cmp dword [halt_counts], 0
    je .no_halt_wait
    ; Halt mode: a 10 ms one-shot (xAPIC initial count), then sleep until
    ; its interrupt; the time check below decides whether a tick is due.
    mov eax, [halt_counts]
    mov [APIC_BASE + 0x380], eax
    sti
    hlt
    cli
    call poll_uart
.no_halt_wait:
    inc dword [iter]                    ; the serial port every 4096 turns:
    test dword [iter], 0xfff            ; CPU-bound between, so slices end
    jnz .no_poll                        ; by the preemption timer
    call poll_uart
.no_poll:
    rdtsc
    cmp edx, [next_hi]
    jb .loop
    ja .tick
    cmp eax, [next_lo]
    jb .loop
.tick:
    mov eax, [period]
    add [next_lo], eax
    adc dword [next_hi], 0
    inc dword [ticks]
    mov ecx, [every]
    test ecx, ecx
    jz .print
    mov eax, [ticks]
    xor edx, edx
    div ecx
    test edx, edx
    jnz .printed
.print:
    mov esi, s_tick
    call puts
    mov eax, [ticks]
    call putdec32
    mov esi, s_nl
    call puts
.printed:
    mov eax, [max_ticks]
    test eax, eax
    jz .loop
    cmp [ticks], eax
    jb .loop
    jmp finish

; Halt mode (xAPIC, SDM Vol. 3A 11.5): the APIC software-enabled, its
; timer one-shot on vector 0x40, divide by 1, 10 ms of its bus clock
; (CPUID 0x40000010 EBX, kHz) per sleep; the handler only says EOI.
setup_halt:
    mov eax, halt_timer
    mov edi, idt + 0x40 * 8
    call set_gate
    mov eax, 0x40000010
    cpuid
    imul ebx, ebx, 10                   ; counts per 10 ms
    test ebx, ebx
    jnz .counts
    mov ebx, 1000000
.counts:
    mov [halt_counts], ebx
    mov dword [APIC_BASE + 0xf0], 0x1ff ; SVR: enabled, spurious 0xff
    mov dword [APIC_BASE + 0x3e0], 0xb  ; divide by 1
    mov dword [APIC_BASE + 0x320], 0x40 ; LVT timer: one-shot, vector 0x40
    ret

halt_timer:
    mov dword [APIC_BASE + 0xb0], 0     ; EOI
    iret

; Serial input: collect a line; CR ends it.
poll_uart:
    mov dx, UART + 5
    in al, dx
    test al, 1                          ; data ready
    jz .none
    mov dx, UART
    in al, dx
    cmp al, 13
    je .line
    cmp al, 10
    je .line
    mov ecx, [line_len]
    cmp ecx, 62
    jae .none
    mov [line + ecx], al
    inc dword [line_len]
.none:
    ret
.line:
    mov ecx, [line_len]
    mov byte [line + ecx], 0
    mov dword [line_len], 0
    mov esi, s_got
    call puts
    mov esi, line
    call puts
    mov esi, s_nl
    call puts
    cmp dword [line], 'quit'
    jne .none
    cmp byte [line + 4], 0
    jne .none
    jmp finish

; ---- bench: what this vCPU got of one window of TSC time ----
; The window starts at the first multiple of 2^29 TSC ticks at least 2^29
; after start-up (every guest of the run has started by then) and lasts
; 2^30 ticks; every guest sees the same window (one TSC, no offsets).
; Inside it, consecutive RDTSCs less than GAP apart are time this vCPU
; ran; a larger step is an interruption (an exit, or other vCPUs ran).
; Prints "share: run=R interruptions=N" in TSC ticks.
%define GAP 2000
bench:
    rdtsc
    add eax, (1 << 29) + (1 << 29) - 1
    adc edx, 0
    and eax, ~((1 << 29) - 1)
    mov [next_lo], eax
    mov [next_hi], edx
.wait:
    rdtsc
    cmp edx, [next_hi]
    jb .wait
    ja .start
    cmp eax, [next_lo]
    jb .wait
.start:
    mov ecx, [next_lo]                  ; the window's end
    add ecx, 1 << 30
    mov [next_lo], ecx
    jnc .no_carry
    inc dword [next_hi]
.no_carry:
    rdtsc
    mov ebx, eax                        ; previous reading (low half)
    xor edi, edi                        ; ticks run
    xor esi, esi                        ; interruptions
.count:
    rdtsc
    mov ecx, eax
    sub ecx, ebx
    mov ebx, eax
    cmp ecx, GAP
    jae .gap
    add edi, ecx
    jmp .end_test
.gap:
    inc esi
.end_test:
    cmp edx, [next_hi]
    jb .count
    ja .done
    cmp eax, [next_lo]
    jb .count
.done:
    mov [count], esi
    mov esi, s_share
    call puts
    mov eax, edi
    call putdec32
    mov esi, s_intr
    call puts
    mov eax, [count]
    call putdec32
    mov esi, s_nl
    call puts
    jmp finish

; ---- manage: the management hypercalls ----
manage:
    mov eax, HC_GUEST_COUNT
    vmcall
    mov [count], eax
    cmp eax, 2
    setge al
    cmp al, 1
    mov esi, c_count
    call check
    xor ebx, ebx
.info:
    cmp ebx, [count]
    jae .listed
    push ebx
    mov eax, HC_GUEST_INFO
    mov ecx, info
    vmcall
    pop ebx
    test eax, eax
    jnz .bad_info
    mov esi, s_guest
    call puts
    mov esi, info                       ; name
    call puts
    mov esi, s_state
    call puts
    mov eax, [info + 32]
    call putdec32
    mov esi, s_vcpus
    call puts
    mov eax, [info + 36]
    call putdec32
    mov esi, s_nl
    call puts
    inc ebx
    jmp .info
.bad_info:
    inc dword [failures]
.listed:
    mov eax, HC_GUEST_INFO              ; beyond the last guest: -ENOENT
    mov ebx, [count]
    mov ecx, info
    vmcall
    cmp eax, -2
    mov esi, c_enoent
    call check
    mov eax, HC_GUEST_RESTART
    mov ebx, 1
    vmcall
    test eax, eax
    mov esi, c_restart
    call check
    jmp finish

; find_word: ESI = "key" (NUL-terminated); CF clear if it is on the
; command line, with ESI just past it.
find_word:
    mov edi, [cmdline]
    test edi, edi
    jz .no
.try:
    cmp byte [edi], 0
    je .no
    push esi
    push edi
.cmp:
    mov al, [esi]
    test al, al
    jz .found
    cmp al, [edi]
    jne .next
    inc esi
    inc edi
    jmp .cmp
.next:
    pop edi
    pop esi
    inc edi
    jmp .try
.found:
    mov esi, edi
    add esp, 8
    clc
    ret
.no:
    stc
    ret

parse_uint:                             ; ESI = digits -> EAX
    xor eax, eax
.d:
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 9
    ja .end
    imul eax, eax, 10
    add eax, ecx
    inc esi
    jmp .d
.end:
    ret

%include "common.inc"

section .data
w_ticks:  db "ticks=", 0
w_every:  db "every=", 0
w_halt:   db "halt", 0
w_bench:  db "bench", 0
w_manage: db "manage", 0
w_storm:  db "storm", 0
s_hello:  db "spinning", 10, 0
s_tick:   db "tick ", 0
s_got:    db "got: ", 0
s_share:  db "share: run=", 0
s_intr:   db " interruptions=", 0
s_guest:  db "guest ", 0
s_state:  db " state ", 0
s_vcpus:  db " vcpus ", 0
c_count:  db "guest count hypercall", 0
c_enoent: db "info beyond the last guest is -ENOENT", 0
c_restart: db "restart hypercall accepted", 0

section .bss
alignb 16
cmdline:   resd 1
period:    resd 1
max_ticks: resd 1
every:     resd 1
halt_counts: resd 1
ticks:     resd 1
storm:     resd 1
iter:      resd 1
next_lo:   resd 1
next_hi:   resd 1
count:     resd 1
line_len:  resd 1
line:      resb 64
info:      resb 64
idt:       resb 256 * 8
stack:     resb 8192
stack_top:
