; The victim of the isolation test (isolation.cfg), pinned to CPU 0 with
; the real CMOS/RTC ports 0x70-0x71 passed through. While the intruder on
; CPU 1 throws IPIs, NMIs, INIT/SIPI, port writes and an exit storm at the
; hypervisor, it checks from inside that none of it reaches it:
;  - a byte it writes into CMOS NVRAM (the real device) reads back, and is
;    still there at the end although the intruder writes the same index;
;  - its periodic APIC timer delivers 20 ticks, each measured with RDTSC
;    against the period grid: none late by more than 3 periods, none early;
;  - no interrupt on any other vector and no NMI arrives;
;  - management hypercalls are refused (it is not the management guest).
; Exit status: the number of failed checks.
bits 32

%define APIC 0xfee00000
%define TIMER_VEC 0x40
%define TICKS 20                        ; timer interrupts to measure
%define HALT_TICKS 10                   ; the first ones wait in HLT, the rest spin
%define PERIOD_COUNT 10000000           ; APIC timer counts per period (divide by 1)
%define LATE_PERIODS 3                  ; a tick later than this many periods fails
%define CMOS_INDEX 0x40                 ; a free NVRAM byte (0x40-0x7f are unused)
%define CMOS_VALUE 0xa5
%define HC_GUEST_COUNT 16
%define HC_GUEST_STOP 18

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    ; Every vector goes to a stub: exceptions are fatal, NMI and every
    ; interrupt vector count as foreign, except the timer's.
    xor ecx, ecx
.gates:
    mov eax, ecx
    shl eax, 4
    add eax, stubs
    lea edi, [idt + ecx * 8]
    call set_gate
    inc ecx
    cmp ecx, 256
    jb .gates
    mov eax, timer_handler
    mov edi, idt + TIMER_VEC * 8
    call set_gate
    mov esi, s_hello
    call puts

    ; (a) The passthrough CMOS ports reach the real device: two different
    ; values written to an NVRAM byte read back (an unclaimed port would
    ; read 0xff, a virtual one nothing we wrote).
    mov al, CMOS_INDEX
    out 0x70, al
    mov al, ~CMOS_VALUE & 0xff
    out 0x71, al
    mov al, CMOS_INDEX
    out 0x70, al
    in al, 0x71
    cmp al, ~CMOS_VALUE & 0xff
    jne .cmos_a
    mov al, CMOS_INDEX
    out 0x70, al
    mov al, CMOS_VALUE
    out 0x71, al
    mov al, CMOS_INDEX
    out 0x70, al
    in al, 0x71
    cmp al, CMOS_VALUE
.cmos_a:
    mov esi, c_cmos
    call check

    ; (b) The periodic APIC timer. One period in TSC ticks: counts times
    ; TSC kHz / APIC timer kHz (CPUID 0x40000010).
    mov eax, 0x40000010
    cpuid
    test ebx, ebx
    jnz .ratio
    mov eax, 1
    mov ebx, 1
.ratio:
    mov ecx, PERIOD_COUNT
    mul ecx
    div ebx
    mov [period], eax
    mov ecx, LATE_PERIODS
    mul ecx
    mov [bound], eax
    mov [bound + 4], edx
    mov esi, s_period
    call puts
    mov eax, [period]
    xor edx, edx
    call putdec
    mov esi, s_period2
    call puts

    mov dword [APIC + 0xf0], 0x1ff      ; software enable, spurious vector 0xff
    mov dword [APIC + 0x3e0], 0xb       ; divide by 1
    mov dword [APIC + 0x320], 0x20000 | TIMER_VEC   ; periodic
    rdtsc
    add eax, [period]
    adc edx, 0
    mov [next_due], eax
    mov [next_due + 4], edx
    mov dword [APIC + 0x380], PERIOD_COUNT

    ; Ticks 1..HALT_TICKS: wait in HLT (the vCPU blocks; its CPU must wake
    ; it on time). Checking and halting with IF=0 until the STI shadow
    ; covers HLT, so no tick is missed in between; printing with IF=1, so
    ; printing delays no tick.
.halt_wait:
    cli
    mov eax, [printed]
    cmp eax, [ticks]
    jb .halt_print
    cmp eax, HALT_TICKS
    jae .spin_wait
    sti
    hlt
    jmp .halt_wait
.halt_print:
    sti
    call print_tick
    jmp .halt_wait

    ; The rest: spin with interrupts on (the vCPU never exits by itself;
    ; the hypervisor must come back for its timer).
.spin_wait:
    sti
.spin:
    mov eax, [printed]
    cmp eax, [ticks]
    jb .spin_print
    cmp eax, TICKS
    jae .ticks_done
    pause
    jmp .spin
.spin_print:
    call print_tick
    jmp .spin

.ticks_done:
    cli
    mov dword [APIC + 0x320], 0x10000 | TIMER_VEC  ; masked
    mov dword [APIC + 0x380], 0                    ; stopped

    ; Largest and smallest lateness over the ticks (signed 64-bit).
    mov dword [max_late], 0
    mov dword [max_late + 4], 0x80000000
    mov dword [min_late], 0xffffffff
    mov dword [min_late + 4], 0x7fffffff
    xor ecx, ecx
.scan:
    mov eax, [late + ecx * 8]
    mov edx, [late + ecx * 8 + 4]
    cmp eax, [max_late]                 ; 64-bit signed: late > max?
    mov ebx, edx
    sbb ebx, [max_late + 4]
    jl .not_max
    mov [max_late], eax
    mov [max_late + 4], edx
.not_max:
    mov ebx, [min_late]                 ; min > late?
    cmp ebx, eax
    mov ebx, [min_late + 4]
    sbb ebx, edx
    jl .not_min
    mov [min_late], eax
    mov [min_late + 4], edx
.not_min:
    inc ecx
    cmp ecx, TICKS
    jb .scan

    mov esi, s_max
    call puts
    mov eax, [max_late]
    mov edx, [max_late + 4]
    call putsdec
    mov esi, s_min
    call puts
    mov eax, [min_late]
    mov edx, [min_late + 4]
    call putsdec
    mov esi, s_bound
    call puts
    mov eax, [bound]
    mov edx, [bound + 4]
    call putdec
    mov esi, s_nl
    call puts

    mov eax, [bound]                    ; bound < max_late (signed): too late
    mov edx, [bound + 4]
    cmp eax, [max_late]
    sbb edx, [max_late + 4]
    setl bl
    cmp dword [ticks], TICKS            ; or not all of them came
    setb bh
    or bl, bh
    cmp bl, 0
    mov esi, c_on_time
    call check

    cmp dword [min_late + 4], 0         ; never before its time: nothing
    setl al                             ; else raised the timer's vector
    cmp al, 0
    mov esi, c_early
    call check

    mov esi, s_foreign
    call puts
    mov eax, [foreign]
    xor edx, edx
    call putdec
    mov esi, s_nl
    call puts
    cmp dword [foreign], 0
    mov esi, c_foreign
    call check

    ; (c) The intruder wrote index 0x40 and garbage to its own 0x70/0x71
    ; all along: the real byte must still be ours.
    mov al, CMOS_INDEX
    out 0x70, al
    in al, 0x71
    cmp al, CMOS_VALUE
    mov esi, c_cmos_kept
    call check

    ; (d) Not the management guest: the management hypercalls say EPERM.
    mov eax, HC_GUEST_STOP
    mov ebx, 1                          ; the intruder
    vmcall
    cmp eax, -1
    jne .hc
    mov eax, HC_GUEST_COUNT
    vmcall
    cmp eax, -1
.hc:
    mov esi, c_hc
    call check

    mov esi, s_done
    call puts
    jmp finish

; The timer: how late this tick is against its place on the period grid.
timer_handler:
    push eax
    push ecx
    push edx
    rdtsc
    mov ecx, [ticks]
    cmp ecx, TICKS
    jae .eoi                            ; after the last measured one
    sub eax, [next_due]
    sbb edx, [next_due + 4]
    mov [late + ecx * 8], eax
    mov [late + ecx * 8 + 4], edx
    mov eax, [period]
    add [next_due], eax
    adc dword [next_due + 4], 0
    inc dword [ticks]
.eoi:
    mov dword [APIC + 0xb0], 0
    pop edx
    pop ecx
    pop eax
    iret

; "tick N: L TSC ticks late" for the next unprinted tick.
print_tick:
    pushad
    mov ecx, [printed]
    mov esi, s_tick
    call puts
    lea eax, [ecx + 1]
    xor edx, edx
    call putdec
    mov esi, s_colon
    call puts
    mov eax, [late + ecx * 8]
    mov edx, [late + ecx * 8 + 4]
    call putsdec
    mov esi, s_late
    call puts
    inc dword [printed]
    popad
    ret

; Vector stubs, 16 bytes each: push the vector, go to the common part.
align 16
stubs:
%assign vec 0
%rep 256
    push strict dword vec
    jmp strict near vector_common
    times 6 nop
%assign vec vec + 1
%endrep

vector_common:
    push eax
    mov eax, [esp + 4]
    cmp eax, 2
    je .foreign                         ; NMI: nobody here sends one
    cmp eax, 32
    jb .fatal
    mov dword [APIC + 0xb0], 0          ; EOI
.foreign:
    inc dword [foreign]
    pop eax
    add esp, 4
    iret
.fatal:
    mov esi, s_exception
    call puts
    xor edx, edx
    call putdec
    mov esi, s_nl
    call puts
    inc dword [failures]
    jmp finish

; putsdec: EDX:EAX signed, in decimal (putdec, common.inc, is unsigned).
putsdec:
    test edx, edx
    jns putdec
    push esi
    mov esi, s_minus
    call puts
    pop esi
    neg eax
    adc edx, 0
    neg edx
    jmp putdec

%include "common.inc"

section .data
s_hello:     db "hello: passthrough CMOS, APIC timer, and nothing from the intruder", 10, 0
s_period:    db "timer period ", 0
s_period2:   db " TSC ticks", 10, 0
s_tick:      db "tick ", 0
s_colon:     db ": ", 0
s_late:      db " TSC ticks late", 10, 0
s_max:       db "lateness: largest ", 0
s_min:       db ", smallest ", 0
s_bound:     db ", allowed up to ", 0
s_foreign:   db "foreign interrupts and NMIs: ", 0
s_exception: db "FAIL: unexpected exception, vector ", 0
s_minus:     db "-", 0
s_done:      db "victim checks done", 10, 0
c_cmos:      db "passthrough port reaches the hardware", 0
c_on_time:   db "20 ticks on time while the intruder storms", 0
c_early:     db "no tick came early (nothing else raised the timer vector)", 0
c_foreign:   db "no foreign interrupts", 0
c_cmos_kept: db "passthrough byte untouched by the intruder", 0
c_hc:        db "management hypercalls refused", 0

section .bss
alignb 16
ticks:     resd 1
printed:   resd 1
foreign:   resd 1
period:    resd 1
bound:     resq 1
next_due:  resq 1
max_late:  resq 1
min_late:  resq 1
late:      resq TICKS
alignb 8
idt:       resb 256 * 8
stack:     resb 8192
stack_top:
