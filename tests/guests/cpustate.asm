; cpustate: the architectural registers a hypervisor must keep per vCPU,
; checked from inside a 64-bit guest (long64.inc). Two modes, chosen on
; the command line:
;
;   seed=S [rounds=N] [rounds2=N]   (cpustate.cfg: two guests time-sharing
;       one CPU with different seeds) Fill every register class below with
;       values derived from S, then N rounds: spin until another vCPU has
;       run (a gap in the TSC), exit once (CPUID), re-read everything and
;       compare. Phase 1 covers the state any CPU has; phase 2 then sets
;       XCR0 by XSETBV (odd seeds: x87|SSE|AVX and AVX-512 when the CPU has
;       it; even seeds: one level less) and adds the YMM/ZMM/opmask state.
;       A changed class is printed at once ("FAIL: NAME changed: ...") and
;       everything is written again; at the end one line per class:
;       "ok: NAME kept its value over N rounds" or "FAIL: NAME changed in K
;       of N rounds". IA32_TSC_ADJUST is written once: the TSC must move
;       by the same amount, and never jump otherwise.
;
;   reset   (resetregs.cfg, on_stop = restart) Each instance first checks
;       that every class is at its power-on value (SDM Vol. 3A 10.1.1,
;       table 10-1; the x87 unit may also be in the FNINIT/XRSTOR initial
;       configuration, FCW 0x37f with every register empty), and the 8259
;       masks read 0. Instance 1 then writes its values into the legacy
;       state (no XSETBV) and the 8259 masks and triple-faults; instance 2
;       sets XCR0 (checking YMM/ZMM/opmask read 0 once enabled), writes
;       everything including XCR0 and crashes again; instance 3 checks
;       and stops with the number of failed checks.
;
; The classes: XMM0-15; YMM upper halves; ZMM0-15 upper halves, ZMM16-31
; and k0-k7 (AVX-512); the x87 stack (4 integers), control, status and
; tag words; MXCSR; DR0-DR3, DR6, DR7 (enabled execute breakpoints on
; addresses never executed); CR2; CR8; XCR0; IA32_KERNEL_GS_BASE (by
; RDMSR and through SWAPGS, which swaps it without an exit); IA32_STAR,
; LSTAR, CSTAR, FMASK; IA32_TSC_AUX (by RDMSR and RDTSCP);
; IA32_TSC_ADJUST; FS and GS base; SYSENTER_CS/ESP/EIP.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0
%include "long64.inc"

%define GP_SENTINEL 0x4750475047504750   ; "a read raised a fault" marker
%define HC_INSTANCE 3

; What a class needs to be compared.
%define N_AVX    (1 << 0)
%define N_ZMM    (1 << 1)
%define N_RDTSCP (1 << 2)
%define N_XSAVE  (1 << 3)
%define N_TSCADJ (1 << 4)
%define N_RESET  (1 << 5)               ; reset mode only
%define N_EXT    (N_AVX | N_ZMM)

%define K_BYTES 0
%define K_VEC   1
%define K_X87   2

struc rec
    .vec:       resb 32 * 64            ; ZMM0-31 (XMM/YMM are their low parts)
    .k:         resw 8
    .fcw:       resw 1
    .fsw:       resw 1
    .ftw:       resb 1                  ; FXSAVE's abridged tag byte
    .pad1:      resb 3
    .st:        resb 8 * 10             ; ST0-ST7, 80 bits each
    .mxcsr:     resd 1
    .pad2:      resd 1
    .dr:        resq 4
    .dr6:       resq 1
    .dr7:       resq 1
    .cr2:       resq 1
    .cr8:       resq 1
    .xcr0:      resq 1
    .kgs:       resq 1
    .kgs_swapgs: resq 1
    .star:      resq 1
    .lstar:     resq 1
    .cstar:     resq 1
    .fmask:     resq 1
    .tscaux:    resq 1
    .tscaux_p:  resq 1
    .tscadj:    resq 1
    .fsbase:    resq 1
    .gsbase:    resq 1
    .sysenter:  resq 3
    .pic:       resq 1
endstruc

; A class: name, kind, offset, length, first register, registers, needs.
%macro CLASS 7
    dd %1, 0
    dd %2, %3, %4, %5, %6, %7
%endmacro
%define CLASS_SIZE 32

section .text
bits 64
long_main:
    call features
    mov esi, w_reset
    call find_word
    jnc reset_mode

; ---------------------------------------------------------------- share
share_mode:
    mov esi, w_seed
    mov eax, 1
    call word_value
    mov [seed], rax
    mov esi, w_rounds
    mov eax, 100
    call word_value
    mov [rounds1], rax
    mov esi, w_rounds2
    mov eax, 100
    call word_value
    mov [rounds2], rax
    mov esi, s_seed
    call puts
    mov rax, [seed]
    call putdec
    mov esi, s_seed2
    call puts
    mov rax, [full_xcr0]
    call puthex
    mov esi, s_nl
    call puts

    mov rax, [seed]
    call build_want
    mov qword [want + rec.xcr0], 1      ; phase 1: XCR0 as it came
    and dword [flags], ~N_RESET

    ; IA32_TSC_ADJUST: a write moves the TSC by the difference (SDM Vol.
    ; 3B 18.17.3). Written once, here.
    test dword [flags], N_TSCADJ
    jz .no_adjust
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    mov ecx, 0x3b
    mov rax, [want + rec.tscadj]
    call wrmsr_safe
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r12
    sub rax, [want + rec.tscadj]        ; what is left: the few ticks in between
    mov rcx, 1 << 36
    cmp rax, rcx
    setae al
    cmp al, 0
    mov esi, c_tscmove
    call check
.no_adjust:

    call fill_legacy
    mov qword [round], 0
    call read_state
    call compare_round                  ; round 0: right after writing
    mov esi, s_phase1
    call puts
    mov rcx, [rounds1]
    call run_rounds

    ; Phase 2: XCR0 and the extended state.
    mov rax, [full_xcr0]
    test eax, 4
    jz .summary
    test qword [seed], 1
    jnz .xcr0_chosen
    cmp rax, 7                          ; even seeds: one level less
    mov eax, 7
    je .xcr0_lower
    jmp .xcr0_chosen
.xcr0_lower:
    mov eax, 3
.xcr0_chosen:
    mov [want + rec.xcr0], rax
    mov esi, s_phase2
    call puts
    mov rax, [want + rec.xcr0]
    call puthex
    mov esi, s_nl
    call puts
    mov rax, [want + rec.xcr0]
    call set_xcr0
    jnc .xcr0_set
    mov esi, s_xsetbv_fault
    call puts
    mov rax, [last_vector]
    call putdec
    mov esi, s_nl
    call puts
    inc dword [failures]
    jmp .summary
.xcr0_set:
    call ext_flags
    call fill_ext
    call read_state
    call compare_round
    mov rcx, [rounds2]
    call run_rounds

.summary:
    call summary
    ; Both guests alternated: the TSC showed other vCPUs running.
    mov esi, s_switches
    call puts
    mov rax, [switches]
    call putdec
    mov esi, s_switches2
    call puts
    mov rax, [round]
    call putdec
    mov esi, s_nl
    call puts
    mov rax, [round]
    shr rax, 2
    cmp [switches], rax
    setb al
    cmp al, 0
    mov esi, c_switches
    call check
    cmp qword [tsc_jumps], 0
    mov esi, c_tsc_jumps
    call check
    mov esi, s_done
    call puts
    jmp finish

; run_rounds: RCX rounds of spin, exit, read, compare.
run_rounds:
    test rcx, rcx
    jz .done
    push rcx
    call spin_round
    xor eax, eax                        ; an exit of our own
    cpuid
    inc qword [round]
    call read_state
    call compare_round
    mov rax, [round]
    xor edx, edx
    mov ecx, 10
    div rcx
    test rdx, rdx
    jnz .quiet
    mov esi, s_round
    call puts
    mov rax, [round]
    call putdec
    mov esi, s_round2
    call puts
    mov rax, [switches]
    call putdec
    mov esi, s_nl
    call puts
.quiet:
    pop rcx
    dec rcx
    jmp run_rounds
.done:
    ret

; spin_round: spin until the TSC jumps by at least [gap] between two
; reads (another vCPU ran here), or [round_max] ticks have passed.
spin_round:
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    mov r13, rax
.l:
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rcx, rax
    sub rcx, r13
    mov r13, rax
    mov rdx, 1 << 39                    ; minutes, or backwards: a jump
    cmp rcx, rdx
    jb .no_jump
    inc qword [tsc_jumps]
.no_jump:
    cmp rcx, [gap]
    jae .switched
    mov rcx, rax
    sub rcx, r12
    cmp rcx, [round_max]
    jae .out
    pause
    jmp .l
.switched:
    inc qword [switches]
.out:
    ret

; compare_round: every class that applies, got against want. A change is
; printed once per class, counted, and everything is written again.
compare_round:
    mov byte [changed], 0
    mov ebx, classes
    xor r14d, r14d                      ; class index
.next:
    cmp qword [rbx], 0
    je .end
    call class_applies
    jnz .skip
    inc dword [class_rounds + r14 * 4]
    call compare_class
    je .skip
    mov byte [changed], 1
    inc dword [class_fails + r14 * 4]
    cmp dword [class_fails + r14 * 4], 1
    jne .skip
    mov esi, s_fail
    call puts
    mov rsi, [rbx]
    call puts
    mov esi, s_changed
    call puts
    call print_diff
    cmp qword [round], 0
    jne .in_round
    mov esi, s_right_after
    call puts
    jmp .nl
.in_round:
    mov esi, s_in_round
    call puts
    mov rax, [round]
    call putdec
.nl:
    mov esi, s_nl
    call puts
.skip:
    add ebx, CLASS_SIZE
    inc r14d
    jmp .next
.end:
    cmp byte [changed], 0
    je .ret
    call fill_legacy
    test dword [flags], N_AVX
    jz .ret
    mov rax, [want + rec.xcr0]
    call set_xcr0
    call fill_ext
.ret:
    ret

; summary: one line per class compared.
summary:
    mov ebx, classes
    xor r14d, r14d
.next:
    cmp qword [rbx], 0
    je .end
    mov eax, [class_rounds + r14 * 4]
    test eax, eax
    jz .skip
    cmp dword [class_fails + r14 * 4], 0
    jne .failed
    mov esi, s_ok
    call puts
    mov rsi, [rbx]
    call puts
    mov esi, s_kept
    call puts
    mov eax, [class_rounds + r14 * 4]
    call putdec
    mov esi, s_rounds
    call puts
    jmp .skip
.failed:
    inc dword [failures]
    mov esi, s_fail
    call puts
    mov rsi, [rbx]
    call puts
    mov esi, s_changed_in
    call puts
    mov eax, [class_fails + r14 * 4]
    call putdec
    mov esi, s_of
    call puts
    mov eax, [class_rounds + r14 * 4]
    call putdec
    mov esi, s_rounds
    call puts
.skip:
    add ebx, CLASS_SIZE
    inc r14d
    jmp .next
.end:
    ret

; ---------------------------------------------------------------- reset
reset_mode:
    or dword [flags], N_RESET
    mov eax, HC_INSTANCE
    vmcall
    mov [instance], rax
    mov esi, s_instance
    call puts
    mov rax, [instance]
    call putdec
    mov esi, s_nl
    call puts
    call build_reset_want

    ; Everything but the extended state, which needs XSETBV first.
    call read_state
    xor ebp, ebp
    call compare_reset
    cmp qword [instance], 1
    je .dirty_legacy

    ; Instance 2 and later: enable the extended state; it reads 0.
    mov rax, [full_xcr0]
    test eax, 4
    jz .ext_done
    call set_xcr0
    jnc .ext_on
    mov esi, s_xsetbv_fault
    call puts
    mov rax, [last_vector]
    call putdec
    mov esi, s_nl
    call puts
    inc dword [failures]
    jmp .ext_done
.ext_on:
    mov esi, s_inst
    call puts
    mov rax, [instance]
    call putdec
    mov esi, s_ext_on
    call puts
    mov rax, [full_xcr0]
    call puthex
    mov esi, s_nl
    call puts
    mov rax, [full_xcr0]
    mov [want + rec.xcr0], rax
    call ext_flags
    call read_state
    mov ebp, N_EXT
    call compare_reset
.ext_done:
    cmp qword [instance], 2
    je .dirty_all
    mov esi, s_done
    call puts
    jmp finish

.dirty_legacy:
    mov esi, s_dirty1
    call puts
    mov eax, 1
    call build_want
    mov qword [want + rec.xcr0], 1
    call dirty_common
    jmp crash
.dirty_all:
    mov esi, s_dirty2
    call puts
    mov eax, 2
    call build_want
    mov rax, [full_xcr0]
    mov [want + rec.xcr0], rax
    call dirty_common
    call fill_ext
    jmp crash

dirty_common:
    test dword [flags], N_TSCADJ
    jz .no_adj
    mov ecx, 0x3b
    mov rax, [want + rec.tscadj]
    call wrmsr_safe
.no_adj:
    call fill_legacy
    mov al, 0x5a                        ; 8259 masks (OCW1)
    out 0x21, al
    mov al, 0xa5
    out 0xa1, al
    ret

crash:
    mov esi, s_crash
    call puts
    lidt [null_idt]
    int3                                ; no IDT: triple fault
    jmp crash

; compare_reset: got against the power-on values, one line per class.
; EBP = 0: the classes without N_EXT; else only those with EBP's bits.
compare_reset:
    mov ebx, classes
.next:
    cmp qword [rbx], 0
    je .end
    call class_applies
    jnz .skip
    mov eax, [rbx + 28]                 ; needs
    test ebp, ebp
    jnz .ext_only
    test eax, N_EXT
    jnz .skip
    jmp .cmp
.ext_only:
    test eax, ebp
    jz .skip
.cmp:
    cmp dword [rbx + 8], K_X87
    jne .plain
    call x87_at_reset
    jmp .result
.plain:
    call compare_class
.result:
    je .ok
    inc dword [failures]
    mov esi, s_fail
    call puts
    call print_instance
    mov rsi, [rbx]
    call puts
    mov esi, s_not_reset
    call puts
    cmp dword [rbx + 8], K_X87
    jne .diff
    call print_x87
    jmp .nl
.diff:
    call print_diff
.nl:
    mov esi, s_nl
    call puts
    jmp .skip
.ok:
    mov esi, s_ok
    call puts
    call print_instance
    mov rsi, [rbx]
    call puts
    mov esi, s_at_reset
    call puts
.skip:
    add ebx, CLASS_SIZE
    jmp .next
.end:
    ret

print_instance:
    mov esi, s_inst
    call puts
    mov rax, [instance]
    call putdec
    mov esi, s_colon
    call puts
    ret

; The x87 unit after power-on (FCW 0x40, all registers +0.0, tag 5555h:
; abridged 0xff) or in its initial configuration (FNINIT, XRSTOR of the
; init state: FCW 0x37f, all registers empty: abridged 0x00, contents 0).
; ZF=1 when it is either.
x87_at_reset:
    cmp word [got + rec.fsw], 0
    jne .ret
    mov esi, got + rec.st
    mov ecx, 80
.z:
    cmp byte [rsi], 0
    jne .ret
    inc rsi
    dec ecx
    jnz .z
    cmp word [got + rec.fcw], 0x37f
    jne .power_on
    cmp byte [got + rec.ftw], 0
    ret
.power_on:
    cmp word [got + rec.fcw], 0x40
    jne .ret
    cmp byte [got + rec.ftw], 0xff
.ret:
    ret

print_x87:
    mov esi, s_x87_fcw
    call puts
    movzx eax, word [got + rec.fcw]
    call puthex
    mov esi, s_x87_fsw
    call puts
    movzx eax, word [got + rec.fsw]
    call puthex
    mov esi, s_x87_ftw
    call puts
    movzx eax, byte [got + rec.ftw]
    call puthex
    mov esi, s_x87_st0
    call puts
    mov rax, [got + rec.st]
    call puthex
    ret

; ---------------------------------------------------------------- state

; features: what the CPU offers, the TSC rate, the spin thresholds.
features:
    mov eax, 0x40000010
    cpuid
    test eax, eax
    jnz .khz
    mov eax, 1000000
.khz:
    mov [tsc_khz], rax
    xor edx, edx                        ; a gap: 50 us of TSC time
    mov ecx, 20
    div rcx
    mov [gap], rax
    mov rax, [tsc_khz]                  ; a round gives up after 5 ms
    imul rax, rax, 5
    mov [round_max], rax
    cmp byte [has_xsave], 0
    je .no_xsave
    or dword [flags], N_XSAVE
    xor ecx, ecx
    mov eax, 0xd
    cpuid
    shl rdx, 32
    or rax, rdx
    mov r8, rax                         ; XCR0 bits the CPU supports
    mov r9d, 3
    mov eax, 1
    cpuid
    test ecx, 1 << 28                   ; AVX
    jz .xcr0_done
    test r8d, 4
    jz .xcr0_done
    or r9d, 4
    mov eax, 7
    xor ecx, ecx
    cpuid
    test ebx, 1 << 16                   ; AVX512F
    jz .xcr0_done
    mov eax, r8d
    and eax, 0xe0
    cmp eax, 0xe0
    jne .xcr0_done
    or r9d, 0xe0
.xcr0_done:
    mov [full_xcr0], r9
.no_xsave:
    mov eax, 7
    xor ecx, ecx
    cpuid
    test ebx, 1 << 1                    ; IA32_TSC_ADJUST
    jz .no_adj
    or dword [flags], N_TSCADJ
.no_adj:
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 27                   ; RDTSCP, IA32_TSC_AUX
    jz .no_rdtscp
    or dword [flags], N_RDTSCP
.no_rdtscp:
    ret

; ext_flags: N_AVX / N_ZMM from the XCR0 in want.
ext_flags:
    and dword [flags], ~N_EXT
    mov rax, [want + rec.xcr0]
    test eax, 4
    jz .done
    or dword [flags], N_AVX
    and eax, 0xe0
    cmp eax, 0xe0
    jne .done
    or dword [flags], N_ZMM
.done:
    ret

; class_applies: RBX = class; ZF=1 when its needs are met.
class_applies:
    mov eax, [rbx + 28]
    not eax
    or eax, [flags]
    not eax
    test eax, eax
    ret

; build_want: RAX = seed -> want holds every value for that seed.
build_want:
    push rax
    mov edi, want
    mov ecx, rec_size
    xor eax, eax
    rep stosb
    pop rbx                             ; the seed
    mov rax, 0x0101010101010101
    imul rax, rbx
    mov r10, rax
    mov r8, 0x9e3779b97f4a7c15
    xor ecx, ecx
.vec:
    mov rax, rcx
    inc rax
    imul rax, r8
    xor rax, r10
    mov [want + rec.vec + rcx * 8], rax
    inc ecx
    cmp ecx, 32 * 64 / 8
    jb .vec
    xor ecx, ecx
.k:
    imul eax, ebx, 0x1357
    imul edx, ecx, 0x1111
    add eax, edx
    mov [want + rec.k + rcx * 2], ax
    inc ecx
    cmp ecx, 8
    jb .k
    ; x87: the control word, then four integers pushed: ST0 is the last.
    mov eax, ebx
    and eax, 3
    movzx eax, word [fcw_tab + rax * 2]
    mov [want + rec.fcw], ax
    mov word [want + rec.fsw], 0x2000   ; TOP = 4
    mov byte [want + rec.ftw], 0xf0     ; R4-R7 valid
    imul eax, ebx, 1000
    xor ecx, ecx
.ints:
    lea edx, [rax + rcx + 1]
    mov [ints + rcx * 8], rdx
    inc ecx
    cmp ecx, 4
    jb .ints
    xor ecx, ecx
.st:
    mov edx, 3
    sub edx, ecx
    mov rax, [ints + rdx * 8]
    imul edi, ecx, 10
    add edi, want + rec.st
    call f80
    inc ecx
    cmp ecx, 4
    jb .st
    mov eax, ebx
    and eax, 3
    mov eax, [mxcsr_tab + rax * 4]
    mov [want + rec.mxcsr], eax
    ; debug registers: execute breakpoints on addresses never executed
    mov eax, ebx
    shl eax, 16
    add eax, 0x3f000000
    xor ecx, ecx
.dr:
    mov [want + rec.dr + rcx * 8], rax
    add eax, 0x1000
    inc ecx
    cmp ecx, 4
    jb .dr
    mov ecx, ebx
    and ecx, 3
    mov eax, 1
    shl eax, cl
    or eax, 0xffff0ff0
    mov [want + rec.dr6], rax
    mov eax, 0x755                      ; LE, GE, L0-L3
    test ebx, 1
    jnz .dr7
    mov eax, 0x4aa                      ; G0-G3
.dr7:
    mov [want + rec.dr7], rax
    mov rax, 0x0000500000000000
    imul rdx, rbx, 0x1234
    add rax, rdx
    mov [want + rec.cr2], rax
    mov eax, ebx                        ; CR8: 1 or 0, which masks none of
    and eax, 1                          ; the host's vectors if it leaks
    mov [want + rec.cr8], rax
    mov rdx, 0x111111000
    imul rdx, rbx
    mov rax, 0x00007f0000000000
    add rax, rdx
    mov [want + rec.kgs], rax
    mov [want + rec.kgs_swapgs], rax
    mov rax, 0x0023001000000000
    imul rdx, rbx, 0x01010101
    add rax, rdx
    mov [want + rec.star], rax
    mov rax, 0xffffffff81000000
    mov rdx, rbx
    shl rdx, 12
    add rax, rdx
    mov [want + rec.lstar], rax
    mov rax, 0xffffffff82000000
    shl rdx, 1
    add rax, rdx
    mov [want + rec.cstar], rax
    lea eax, [rbx + 0x47700]
    mov [want + rec.fmask], rax
    imul eax, ebx, 0x11
    add eax, 0x100
    mov [want + rec.tscaux], rax
    mov [want + rec.tscaux_p], rax
    mov rax, rbx
    shl rax, 40
    mov [want + rec.tscadj], rax
    mov rax, 0x0000100000000000
    mov rdx, rbx
    shl rdx, 16
    add rax, rdx
    mov [want + rec.fsbase], rax
    mov rax, 0x0000200000000000
    add rax, rdx
    mov [want + rec.gsbase], rax
    lea eax, [rbx * 8 + 8]
    mov [want + rec.sysenter], rax
    mov rax, 0x0000300000000000
    add rax, rdx
    mov [want + rec.sysenter + 8], rax
    mov rax, 0x0000400000000000
    add rax, rdx
    mov [want + rec.sysenter + 16], rax
    mov qword [want + rec.xcr0], 1
    ret

; build_reset_want: the power-on values (SDM Vol. 3A table 10-1).
build_reset_want:
    mov edi, want
    mov ecx, rec_size
    xor eax, eax
    rep stosb
    mov dword [want + rec.mxcsr], 0x1f80
    mov eax, 0xffff0ff0
    mov [want + rec.dr6], rax
    mov qword [want + rec.dr7], 0x400
    mov qword [want + rec.xcr0], 1
    ret

; f80: RAX = n > 0 -> [RDI] = n as an 80-bit extended real.
f80:
    push rcx
    push rdx
    bsr rdx, rax
    mov ecx, 63
    sub ecx, edx
    shl rax, cl
    mov [rdi], rax
    add edx, 0x3fff
    mov [rdi + 8], dx
    pop rdx
    pop rcx
    ret

; fill_legacy: write want into everything but the extended state.
fill_legacy:
    fninit
    fldcw [want + rec.fcw]
    fild qword [ints]
    fild qword [ints + 8]
    fild qword [ints + 16]
    fild qword [ints + 24]
    ldmxcsr [want + rec.mxcsr]
%assign i 0
%rep 16
    movdqu xmm %+ i, [want + rec.vec + i * 64]
%assign i i + 1
%endrep
    mov rax, [want + rec.dr]
    mov dr0, rax
    mov rax, [want + rec.dr + 8]
    mov dr1, rax
    mov rax, [want + rec.dr + 16]
    mov dr2, rax
    mov rax, [want + rec.dr + 24]
    mov dr3, rax
    mov rax, [want + rec.dr6]
    mov dr6, rax
    mov rax, [want + rec.dr7]
    mov dr7, rax
    mov rax, [want + rec.cr2]
    mov cr2, rax
    mov rax, [want + rec.cr8]
    mov cr8, rax
    mov esi, msr_table
.msr:
    mov ecx, [rsi]
    test ecx, ecx
    jz .msr_done
    cmp dword [rsi + 8], 0
    je .msr_next
    mov eax, [rsi + 4]
    mov rax, [want + rax]
    call wrmsr_safe
.msr_next:
    add esi, 12
    jmp .msr
.msr_done:
    ; KERNEL_GS_BASE once more without WRMSR: SWAPGS exchanges it with
    ; GS base, and never exits.
    mov ecx, 0xc0000101
    mov rax, [want + rec.kgs]
    call wrmsr_safe
    swapgs
    mov ecx, 0xc0000101
    mov rax, [want + rec.gsbase]
    call wrmsr_safe
    ret

; fill_ext: the YMM/ZMM/opmask state (after XCR0 enables it).
fill_ext:
    test dword [flags], N_ZMM
    jz .ymm
%assign i 0
%rep 32
    vmovdqu64 zmm %+ i, [want + rec.vec + i * 64]
%assign i i + 1
%endrep
%assign i 0
%rep 8
    kmovw k %+ i, [want + rec.k + i * 2]
%assign i i + 1
%endrep
    ret
.ymm:
    test dword [flags], N_AVX
    jz .done
%assign i 0
%rep 16
    vmovdqu ymm %+ i, [want + rec.vec + i * 64]
%assign i i + 1
%endrep
.done:
    ret

; read_state: every register into got (faulting reads: GP_SENTINEL).
read_state:
    mov edi, got
    mov ecx, rec_size
    xor eax, eax
    rep stosb
    fxsave [fxbuf]
    mov ax, [fxbuf]
    mov [got + rec.fcw], ax
    mov ax, [fxbuf + 2]
    mov [got + rec.fsw], ax
    mov al, [fxbuf + 4]
    mov [got + rec.ftw], al
    xor ecx, ecx
.st:
    imul esi, ecx, 16
    add esi, fxbuf + 32
    imul edi, ecx, 10
    add edi, got + rec.st
    mov rax, [rsi]
    mov [rdi], rax
    mov ax, [rsi + 8]
    mov [rdi + 8], ax
    inc ecx
    cmp ecx, 8
    jb .st
    stmxcsr [got + rec.mxcsr]
    test dword [flags], N_ZMM
    jz .ymm
%assign i 0
%rep 32
    vmovdqu64 [got + rec.vec + i * 64], zmm %+ i
%assign i i + 1
%endrep
%assign i 0
%rep 8
    kmovw [got + rec.k + i * 2], k %+ i
%assign i i + 1
%endrep
    jmp .vec_done
.ymm:
    test dword [flags], N_AVX
    jz .xmm
%assign i 0
%rep 16
    vmovdqu [got + rec.vec + i * 64], ymm %+ i
%assign i i + 1
%endrep
    jmp .vec_done
.xmm:
%assign i 0
%rep 16
    movdqu [got + rec.vec + i * 64], xmm %+ i
%assign i i + 1
%endrep
.vec_done:
    mov rax, dr0
    mov [got + rec.dr], rax
    mov rax, dr1
    mov [got + rec.dr + 8], rax
    mov rax, dr2
    mov [got + rec.dr + 16], rax
    mov rax, dr3
    mov [got + rec.dr + 24], rax
    mov rax, dr6
    mov [got + rec.dr6], rax
    mov rax, dr7
    mov [got + rec.dr7], rax
    mov rax, cr2
    mov [got + rec.cr2], rax
    mov rax, cr8
    mov [got + rec.cr8], rax
    test dword [flags], N_XSAVE
    jz .no_xgetbv
    xor ecx, ecx
    xgetbv
    shl rdx, 32
    or rax, rdx
    mov [got + rec.xcr0], rax
.no_xgetbv:
    mov esi, msr_table
.msr:
    mov ecx, [rsi]
    test ecx, ecx
    jz .msr_done
    call rdmsr_safe
    mov edx, [rsi + 4]
    mov [got + rdx], rax
    add esi, 12
    jmp .msr
.msr_done:
    swapgs                              ; KERNEL_GS_BASE as SWAPGS sees it
    mov ecx, 0xc0000101
    call rdmsr_safe
    swapgs
    mov [got + rec.kgs_swapgs], rax
    test dword [flags], N_RDTSCP
    jz .no_rdtscp
    mov rax, GP_SENTINEL
    TRY .rdtscp_fault
    rdtscp
    END_TRY
    mov eax, ecx
.rdtscp_fault:
    mov [got + rec.tscaux_p], rax
.no_rdtscp:
    in al, 0x21
    mov [got + rec.pic], al
    in al, 0xa1
    mov [got + rec.pic + 1], al
    ret

; wrmsr_safe: ECX = MSR, RAX = value; CF set if it raised a fault.
wrmsr_safe:
    push rdx
    mov rdx, rax
    shr rdx, 32
    TRY .fault
    wrmsr
    END_TRY
    pop rdx
    clc
    ret
.fault:
    pop rdx
    stc
    ret

; rdmsr_safe: ECX = MSR -> RAX (GP_SENTINEL and CF set on a fault).
rdmsr_safe:
    push rdx
    TRY .fault
    rdmsr
    END_TRY
    shl rdx, 32
    or rax, rdx
    pop rdx
    clc
    ret
.fault:
    mov rax, GP_SENTINEL
    pop rdx
    stc
    ret

; set_xcr0: RAX = value; CF set if XSETBV raised a fault.
set_xcr0:
    push rcx
    push rdx
    mov rdx, rax
    shr rdx, 32
    xor ecx, ecx
    TRY .fault
    xsetbv
    END_TRY
    pop rdx
    pop rcx
    clc
    ret
.fault:
    pop rdx
    pop rcx
    stc
    ret

; compare_class: RBX = class; ZF=1 when got equals want. Otherwise
; diff_reg (-1 if not a vector class), diff_want and diff_got hold the
; first differing 8 bytes.
compare_class:
    mov qword [diff_reg], -1
    cmp dword [rbx + 8], K_VEC
    je .vec
    mov esi, [rbx + 12]                 ; K_BYTES, K_X87 (48 bytes: FCW to ST3)
    mov ecx, [rbx + 16]
    call cmp_range
    ret
.vec:
    mov r8d, [rbx + 20]                 ; first register
    mov r9d, [rbx + 24]                 ; count
.reg:
    imul esi, r8d, 64
    add esi, [rbx + 12]
    mov ecx, [rbx + 16]
    call cmp_range
    jne .differs
    inc r8d
    dec r9d
    jnz .reg
    ret                                 ; ZF=1 from cmp_range
.differs:
    mov [diff_reg], r8
    ret

; cmp_range: ESI = offset into the records, ECX = length; ZF=1 equal.
cmp_range:
    push rdi
    push rsi
    xor edx, edx
.b:
    mov al, [want + rsi + rdx]
    cmp al, [got + rsi + rdx]
    jne .diff
    inc edx
    cmp edx, ecx
    jb .b
    pop rsi
    pop rdi
    xor eax, eax                        ; ZF=1
    ret
.diff:
    and edx, ~7
    add esi, edx
    mov rax, [want + rsi]
    mov [diff_want], rax
    mov rax, [got + rsi]
    mov [diff_got], rax
    pop rsi
    pop rdi
    or eax, 1                           ; ZF=0
    ret

; print_diff: "[register N: ]expected X got Y"
print_diff:
    cmp qword [diff_reg], -1
    je .vals
    mov esi, s_register
    call puts
    mov rax, [diff_reg]
    call putdec
    mov esi, s_colon
    call puts
.vals:
    mov esi, s_expected
    call puts
    mov rax, [diff_want]
    call puthex
    mov esi, s_got
    call puts
    mov rax, [diff_got]
    mov rdx, GP_SENTINEL
    cmp rax, rdx
    je .gp
    call puthex
    ret
.gp:
    mov esi, s_gp
    call puts
    ret

section .data
align 8
; name, kind, offset, length, first register, registers, needs
classes:
    CLASS c_xmm,    K_VEC,   0,  16,  0, 16, 0
    CLASS c_ymm,    K_VEC,   16, 16,  0, 16, N_AVX
    CLASS c_zmm_hi, K_VEC,   32, 32,  0, 16, N_ZMM
    CLASS c_zmm16,  K_VEC,   0,  64, 16, 16, N_ZMM
    CLASS c_opmask, K_BYTES, rec.k, 16, 0, 0, N_ZMM
    CLASS c_x87,    K_X87,   rec.fcw, 48, 0, 0, 0
    CLASS c_mxcsr,  K_BYTES, rec.mxcsr, 4, 0, 0, 0
    CLASS c_dr03,   K_BYTES, rec.dr, 32, 0, 0, 0
    CLASS c_dr6,    K_BYTES, rec.dr6, 8, 0, 0, 0
    CLASS c_dr7,    K_BYTES, rec.dr7, 8, 0, 0, 0
    CLASS c_cr2,    K_BYTES, rec.cr2, 8, 0, 0, 0
    CLASS c_cr8,    K_BYTES, rec.cr8, 8, 0, 0, 0
    CLASS c_xcr0,   K_BYTES, rec.xcr0, 8, 0, 0, N_XSAVE
    CLASS c_kgs,    K_BYTES, rec.kgs, 8, 0, 0, 0
    CLASS c_kgs_sw, K_BYTES, rec.kgs_swapgs, 8, 0, 0, 0
    CLASS c_star,   K_BYTES, rec.star, 8, 0, 0, 0
    CLASS c_lstar,  K_BYTES, rec.lstar, 8, 0, 0, 0
    CLASS c_cstar,  K_BYTES, rec.cstar, 8, 0, 0, 0
    CLASS c_fmask,  K_BYTES, rec.fmask, 8, 0, 0, 0
    CLASS c_tscaux, K_BYTES, rec.tscaux, 8, 0, 0, N_RDTSCP
    CLASS c_tscaux_p, K_BYTES, rec.tscaux_p, 8, 0, 0, N_RDTSCP
    CLASS c_tscadj, K_BYTES, rec.tscadj, 8, 0, 0, N_TSCADJ
    CLASS c_fsbase, K_BYTES, rec.fsbase, 8, 0, 0, 0
    CLASS c_gsbase, K_BYTES, rec.gsbase, 8, 0, 0, 0
    CLASS c_sysenter, K_BYTES, rec.sysenter, 24, 0, 0, 0
    CLASS c_pic,    K_BYTES, rec.pic, 8, 0, 0, N_RESET
    dd 0, 0
; MSR, offset in the record, written by fill_legacy (GS base and
; TSC_ADJUST are written apart)
msr_table:
    dd 0xc0000102, rec.kgs, 1
    dd 0xc0000081, rec.star, 1
    dd 0xc0000082, rec.lstar, 1
    dd 0xc0000083, rec.cstar, 1
    dd 0xc0000084, rec.fmask, 1
    dd 0xc0000103, rec.tscaux, 1
    dd 0xc0000100, rec.fsbase, 1
    dd 0xc0000101, rec.gsbase, 0
    dd 0x174, rec.sysenter, 1
    dd 0x175, rec.sysenter + 8, 1
    dd 0x176, rec.sysenter + 16, 1
    dd 0x3b, rec.tscadj, 0
    dd 0, 0, 0
fcw_tab:    dw 0x0b7f, 0x067f, 0x0f7f, 0x0a7f  ; rounding/precision, all masked
mxcsr_tab:  dd 0xff80, 0x3f80, 0x5f80, 0x9f80  ; rounding, FZ, all masked
null_idt:   dw 0
            dq 0

w_reset:    db "reset", 0
w_seed:     db "seed=", 0
w_rounds:   db "rounds=", 0
w_rounds2:  db "rounds2=", 0
c_xmm:      db "XMM0-15", 0
c_ymm:      db "YMM0-15 upper halves", 0
c_zmm_hi:   db "ZMM0-15 upper halves", 0
c_zmm16:    db "ZMM16-31", 0
c_opmask:   db "opmask k0-k7", 0
c_x87:      db "x87 stack, control, status and tag words", 0
c_mxcsr:    db "MXCSR", 0
c_dr03:     db "DR0-DR3", 0
c_dr6:      db "DR6", 0
c_dr7:      db "DR7", 0
c_cr2:      db "CR2", 0
c_cr8:      db "CR8", 0
c_xcr0:     db "XCR0", 0
c_kgs:      db "IA32_KERNEL_GS_BASE (RDMSR)", 0
c_kgs_sw:   db "IA32_KERNEL_GS_BASE (SWAPGS)", 0
c_star:     db "IA32_STAR", 0
c_lstar:    db "IA32_LSTAR", 0
c_cstar:    db "IA32_CSTAR", 0
c_fmask:    db "IA32_FMASK", 0
c_tscaux:   db "IA32_TSC_AUX (RDMSR)", 0
c_tscaux_p: db "IA32_TSC_AUX (RDTSCP)", 0
c_tscadj:   db "IA32_TSC_ADJUST", 0
c_fsbase:   db "FS base", 0
c_gsbase:   db "GS base", 0
c_sysenter: db "SYSENTER_CS/ESP/EIP", 0
c_pic:      db "8259 masks", 0
c_tscmove:  db "a write to IA32_TSC_ADJUST moves the TSC by as much", 0
c_switches: db "the other guest ran in between (TSC gaps in at least a quarter of the rounds)", 0
c_tsc_jumps: db "the TSC never jumped (no other guest's TSC_ADJUST or offset)", 0
s_seed:     db "seed ", 0
s_seed2:    db ": filling every register class; the CPU's full XCR0 is ", 0
s_phase1:   db "phase 1: legacy state written; XCR0 left as it came", 10, 0
s_phase2:   db "phase 2: XSETBV, XCR0 = ", 0
s_xsetbv_fault: db "FAIL: XSETBV with a valid value raised vector ", 0
s_round:    db "round ", 0
s_round2:   db ": interruptions so far ", 0
s_changed:  db " changed: ", 0
s_right_after: db ", right after it was written", 0
s_in_round: db ", in round ", 0
s_kept:     db " kept its value over ", 0
s_rounds:   db " rounds", 10, 0
s_changed_in: db " changed in ", 0
s_of:       db " of ", 0
s_switches: db "interruptions seen: ", 0
s_switches2: db " in rounds: ", 0
s_done:     db "cpustate checks done", 10, 0
s_instance: db "instance ", 0
s_inst:     db "instance ", 0
s_colon:    db ": ", 0
s_not_reset: db " not at its reset value: ", 0
s_at_reset: db " at its reset value", 10, 0
s_dirty1:   db "instance 1: writing the legacy state and the 8259 masks, then crashing", 10, 0
s_dirty2:   db "instance 2: writing everything, XCR0 included, then crashing", 10, 0
s_crash:    db "triple fault now", 10, 0
s_ext_on:   db ": extended state enabled by XSETBV, XCR0 = ", 0
s_x87_fcw:  db "FCW ", 0
s_x87_fsw:  db " FSW ", 0
s_x87_ftw:  db " abridged FTW ", 0
s_x87_st0:  db " ST0 mantissa ", 0
s_register: db "register ", 0
s_expected: db "expected ", 0
s_got:      db " got ", 0
s_gp:       db "a fault (#GP/#UD)", 0

section .bss
alignb 64
want:       resb rec_size
alignb 64
got:        resb rec_size
alignb 64
fxbuf:      resb 512
ints:       resq 4
seed:       resq 1
rounds1:    resq 1
rounds2:    resq 1
round:      resq 1
instance:   resq 1
tsc_khz:    resq 1
gap:        resq 1
round_max:  resq 1
switches:   resq 1
tsc_jumps:  resq 1
full_xcr0:  resq 1
diff_reg:   resq 1
diff_want:  resq 1
diff_got:   resq 1
flags:      resd 1
changed:    resb 1
alignb 4
class_rounds: resd 32
class_fails:  resd 32
