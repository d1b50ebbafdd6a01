; tprhalt: the guest's task priority is its own (tprhalt.cfg, two guests
; time-sharing one CPU). A 64-bit guest (long64.inc); its local APIC in
; x2APIC mode. Command line:
;
;   tpr        CR8 and the APIC's TPR are one register (SDM Vol. 3A
;              11.8.6.5): CR8 = 3 lets the timer's vector 0x40 (class 4)
;              through, CR8 = 4 holds it back, lowering CR8 to 0 delivers
;              it at once; MSR 0x808 (TPR) reads CR8 << 4 and a TPR
;              written there reads back through CR8. Then CR8 = 15 and
;              HLT with interrupts enabled and nothing armed: it never
;              wakes. If the TPR were the real APIC's, the CPU could take
;              no host timer or kick any more: its neighbour would stop.
;   heartbeat  the neighbour: a periodic APIC timer wakes HLT; "tick N: L
;              TSC ticks late" per tick; after TICKS ticks it checks that
;              every one came, none more than LATE_PERIODS periods late;
;              then SLOW_TICKS ticks SLOW_MS apart, more than the host's
;              tick, so that its CPU halts until its timer interrupt comes
;              (with the real TPR at 15 it never would); then it stops
;              with the number of failed checks.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0
%include "long64.inc"

%define TIMER_VEC    0x40
%define TICKS        20
%define SLOW_TICKS   3
%define SLOW_MS      30                 ; longer than the host's 10 ms tick
%define PERIOD_COUNT 2000000            ; APIC timer counts per period (divide by 1):
                                        ; well above what printing a tick line costs
%define LATE_PERIODS 10
%define MSR_APIC_BASE 0x1b
%define X2_TPR       0x808
%define X2_EOI       0x80b
%define X2_SVR       0x80f
%define X2_LVT_TIMER 0x832
%define X2_INIT      0x838
%define X2_DIVIDE    0x83e

section .text
bits 64
long_main:
    mov ecx, TIMER_VEC
    mov eax, timer_handler
    call set_gate64
    ; x2APIC mode, software-enabled, timer divide by 1.
    mov ecx, MSR_APIC_BASE
    rdmsr
    or eax, (1 << 11) | (1 << 10)
    wrmsr
    mov ecx, X2_SVR
    mov eax, 0x1ff
    xor edx, edx
    wrmsr
    mov ecx, X2_DIVIDE
    mov eax, 0xb
    wrmsr
    ; One period in TSC ticks: counts times TSC kHz / APIC timer kHz.
    mov eax, 0x40000010
    cpuid
    test ebx, ebx
    jnz .ratio
    mov eax, 1
    mov ebx, 1
.ratio:
    mov ecx, PERIOD_COUNT
    mul rcx
    div rbx
    mov [period], rax
    mov esi, w_heartbeat
    call find_word
    jnc heartbeat
    mov esi, w_tpr
    call find_word
    jnc tpr
    mov esi, s_no_mode
    call puts
    inc dword [failures]
    jmp finish

; ---------------------------------------------------------------- tpr
tpr:
    mov esi, s_tpr_hello
    call puts

    ; CR8 = 3: class 4 passes.
    mov eax, 3
    mov cr8, rax
    call arm_oneshot
    sti
    mov rcx, [period]
    imul rcx, rcx, 20
    call wait_tick
    cli
    cmp qword [ticks], 1
    mov esi, c_cr8_3
    call check

    ; CR8 = 4: class 4 waits...
    mov qword [ticks], 0
    mov eax, 4
    mov cr8, rax
    call arm_oneshot
    sti
    mov rcx, [period]
    imul rcx, rcx, 3
    call wait_tick
    cli
    cmp qword [ticks], 0
    mov esi, c_cr8_4
    call check
    ; ... until CR8 drops below it: then at once.
    sti
    xor eax, eax
    mov cr8, rax
    mov ecx, 1000
.soon:
    cmp qword [ticks], 0
    jne .came
    dec ecx
    jnz .soon
.came:
    cli
    cmp qword [ticks], 1
    mov esi, c_cr8_0
    call check

    ; CR8 and the APIC's TPR are one register.
    mov eax, 6
    mov cr8, rax
    mov ecx, X2_TPR
    rdmsr
    cmp eax, 0x60
    mov esi, c_tpr_read
    call check
    mov ecx, X2_TPR
    mov eax, 0x90
    xor edx, edx
    wrmsr
    mov rax, cr8
    cmp rax, 9
    mov esi, c_tpr_write
    call check

    ; CR8 = 15, then halt with interrupts on and nothing armed.
    mov eax, 15
    mov cr8, rax
    mov rax, cr8
    cmp rax, 15
    mov esi, c_cr8_15
    call check
    mov esi, s_halting
    call puts
.halt:
    sti
    hlt
    cli
    cmp byte [woke], 0
    jne .halt
    mov byte [woke], 1
    mov esi, s_woke
    call puts
    inc dword [failures]
    jmp .halt

; arm_oneshot: the timer once, PERIOD_COUNT counts from now.
arm_oneshot:
    mov ecx, X2_LVT_TIMER
    mov eax, TIMER_VEC
    xor edx, edx
    wrmsr
    mov ecx, X2_INIT
    mov eax, PERIOD_COUNT
    wrmsr
    ret

; wait_tick: RCX = TSC ticks at most; returns when [ticks] is non-zero.
wait_tick:
    push rcx
    rdtsc
    shl rdx, 32
    or rax, rdx
    pop rcx
    add rcx, rax
.w:
    cmp qword [ticks], 0
    jne .done
    rdtsc
    shl rdx, 32
    or rax, rdx
    cmp rax, rcx
    jb .w
.done:
    ret

; ---------------------------------------------------------------- heartbeat
heartbeat:
    mov esi, s_hb_hello
    call puts
    mov byte [measure], 1
    ; Fast: TICKS ticks, PERIOD_COUNT apart; none more than LATE_PERIODS
    ; periods late.
    mov eax, PERIOD_COUNT
    mov ecx, TICKS
    mov esi, s_tick
    call run_ticks
    mov rax, [period]
    imul rax, rax, LATE_PERIODS
    call report_late
    mov esi, c_heartbeat
    call check
    ; Slow: SLOW_TICKS ticks SLOW_MS apart, longer than the host's own
    ; tick: between them the CPU has nothing to run and halts until its
    ; timer interrupt. None more than a period late.
    mov eax, 0x40000010
    cpuid
    mov r8d, eax
    imul r8, r8, SLOW_MS                ; TSC ticks (kHz times ms)
    mov [period], r8
    imul eax, ebx, SLOW_MS              ; APIC timer counts
    test ebx, ebx
    jnz .slow
    mov eax, r8d
.slow:
    mov ecx, SLOW_TICKS
    mov esi, s_slow_tick
    call run_ticks
    mov rax, [period]
    call report_late
    mov esi, c_slow
    call check
    mov esi, s_hb_done
    call puts
    jmp finish

; run_ticks: EAX = APIC timer counts per period ([period] = the same in
; TSC ticks), ECX = ticks, RSI = line prefix. Returns when that many
; ticks have come and been printed, timer masked; RBX = largest lateness.
run_ticks:
    mov [want_ticks], rcx
    mov [prefix], rsi
    mov [count], eax
    mov qword [ticks], 0
    mov qword [printed], 0
    mov ecx, X2_LVT_TIMER
    mov eax, 0x20000 | TIMER_VEC        ; periodic
    xor edx, edx
    wrmsr
    rdtsc
    shl rdx, 32
    or rax, rdx
    add rax, [period]
    mov [next_due], rax
    mov ecx, X2_INIT
    mov eax, [count]
    xor edx, edx
    wrmsr
    ; Check and halt with IF=0 until the STI shadow covers HLT, so no
    ; tick is missed in between; print with IF=1.
.wait:
    cli
    mov rax, [printed]
    cmp rax, [ticks]
    jb .print
    cmp rax, [want_ticks]
    jae .done
    sti
    hlt
    jmp .wait
.print:
    sti
    mov rsi, [prefix]
    call puts
    mov rax, [printed]
    inc rax
    call putdec
    mov esi, s_colon
    call puts
    mov rcx, [printed]
    mov rax, [late + rcx * 8]
    call putdec
    mov esi, s_late
    call puts
    inc qword [printed]
    jmp .wait
.done:
    mov ecx, X2_LVT_TIMER
    mov eax, 0x10000 | TIMER_VEC        ; masked
    xor edx, edx
    wrmsr
    ; The largest lateness (ticks are never early: the handler counts
    ; from the due time).
    xor ebx, ebx
    xor ecx, ecx
.max:
    mov rax, [late + rcx * 8]
    cmp rax, rbx
    jbe .not_max
    mov rbx, rax
.not_max:
    inc rcx
    cmp rcx, [want_ticks]
    jb .max
    ret

; report_late: RBX = largest lateness, RAX = allowed; prints both, ZF=1
; when within.
report_late:
    push rax
    mov esi, s_max
    call puts
    mov rax, rbx
    call putdec
    mov esi, s_bound
    call puts
    mov rax, [rsp]
    call putdec
    mov esi, s_nl
    call puts
    pop rax
    cmp rbx, rax
    seta al
    cmp al, 0
    ret

; The timer: count it; in heartbeat mode, how late against its period
; grid (0 when early, which a periodic timer never is).
timer_handler:
    push rax
    push rcx
    push rdx
    cmp byte [measure], 0
    je .count
    mov rcx, [ticks]
    cmp rcx, [want_ticks]
    jae .eoi
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, [next_due]
    jae .late
    xor eax, eax
.late:
    mov [late + rcx * 8], rax
    mov rax, [period]
    add [next_due], rax
.count:
    inc qword [ticks]
.eoi:
    mov ecx, X2_EOI
    xor eax, eax
    xor edx, edx
    wrmsr
    pop rdx
    pop rcx
    pop rax
    iretq

section .data
w_tpr:        db "tpr", 0
w_heartbeat:  db "heartbeat", 0
s_no_mode:    db "FAIL: command line names neither tpr nor heartbeat", 10, 0
s_tpr_hello:  db "CR8 is the task priority: checks, then CR8 = 15 and HLT", 10, 0
c_cr8_3:      db "CR8 = 3 lets the timer's vector 0x40 through", 0
c_cr8_4:      db "CR8 = 4 holds vector 0x40 back", 0
c_cr8_0:      db "lowering CR8 to 0 delivers the held-back interrupt at once", 0
c_tpr_read:   db "CR8 = 6 reads as TPR 0x60 through the x2APIC MSR", 0
c_tpr_write:  db "TPR 0x90 written through the x2APIC MSR reads as CR8 = 9", 0
c_cr8_15:     db "CR8 = 15 reads back", 0
s_halting:    db "CR8 = 15: halting with interrupts enabled and nothing armed, for good", 10, 0
s_woke:       db "FAIL: woke up from HLT with CR8 = 15 and nothing armed", 10, 0
s_hb_hello:   db "heartbeat: periodic APIC timer, HLT between ticks", 10, 0
s_tick:       db "tick ", 0
s_colon:      db ": ", 0
s_late:       db " TSC ticks late", 10, 0
s_max:        db "lateness: largest ", 0
s_bound:      db ", allowed up to ", 0
c_heartbeat:  db "20 ticks, none more than 10 periods late", 0
c_slow:       db "3 ticks 30 ms apart (the CPU halts between them), none more than a period late", 0
s_slow_tick:  db "slow tick ", 0
s_hb_done:    db "heartbeat done", 10, 0

section .bss
alignb 8
period:    resq 1
ticks:     resq 1
printed:   resq 1
next_due:  resq 1
late:      resq TICKS
want_ticks: resq 1
prefix:    resq 1
count:     resd 1
measure:   resb 1
woke:      resb 1
