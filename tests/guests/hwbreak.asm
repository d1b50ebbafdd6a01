; hwbreak: the guest's debug registers work across VM exits (SDM Vol. 3B
; 18.2, 18.3; Vol. 3C 27.3.3 for RF on VM exits):
;  a) an instruction breakpoint (DR0, DR7.L0) fires on every one of 50
;     executions, with CPUID and OUT exits in between;
;  b) a data breakpoint (DR1, write, 4 bytes) likewise;
;  c) RF: an instruction breakpoint on a WRMSR to an unknown MSR fires
;     once; the #GP the hypervisor injects for it carries RF in its
;     EFLAGS image, so when the #GP handler fixes ECX and returns to the
;     WRMSR the breakpoint does not fire again;
;  d) an instruction breakpoint on the instruction right after one the
;     hypervisor emulates for an EPT violation (a read of the xAPIC page)
;     fires: an EPT violation saves RF = 1, the emulation that moves RIP
;     on must clear it;
;  e) single-stepping (TF) traps after instructions the hypervisor
;     emulates (CPUID, OUT) as after any other.
; The #DB handler counts by DR6 and sets RF in the frame it returns to.
bits 32

%define N 50                            ; executions in a) and b)
%define M 5                             ; in c) and d)
%define APIC 0xfee00000
%define DR7_EXEC0 0x401                 ; L0, execute, 1 byte
%define DR7_WRITE1 0x00d00404           ; L1, write, 4 bytes

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, db_handler
    mov edi, idt + 1 * 8
    call set_gate
    mov eax, gp_fix_handler
    mov edi, idt + 13 * 8
    call set_gate
    mov esi, s_hello
    call puts

    ; ---- a) instruction breakpoint, exits in between ----
    mov dword [hits0], 0
    mov eax, .bp_exec
    mov dr0, eax
    mov eax, DR7_EXEC0
    mov dr7, eax
    mov esi, N
.a:
    xor eax, eax
    cpuid
    out 0x80, al
.bp_exec:
    nop
    dec esi
    jnz .a
    mov eax, 0x400
    mov dr7, eax
    mov eax, [hits0]
    cmp eax, N
    mov esi, c_exec
    call check_counted

    ; ---- b) data breakpoint, exits in between ----
    mov dword [hits1], 0
    mov eax, watched
    mov dr1, eax
    mov eax, DR7_WRITE1
    mov dr7, eax
    mov esi, N
.b:
    xor eax, eax
    cpuid
    out 0x80, al
    mov [watched], esi
    dec esi
    jnz .b
    mov eax, 0x400
    mov dr7, eax
    mov eax, [hits1]
    cmp eax, N
    mov esi, c_data
    call check_counted

    ; ---- c) RF on the #GP the hypervisor injects ----
    mov dword [hits0], 0
    mov dword [gp_fixes], 0
    mov eax, .wrmsr
    mov dr0, eax
    mov eax, DR7_EXEC0
    mov dr7, eax
    mov esi, M
.c:
    mov byte [gp_fix], 1
    mov ecx, 0x4b5a9                    ; no such MSR: #GP from the hypervisor
    mov eax, 0xc06                      ; then, fixed: MTRR default type
    xor edx, edx
.wrmsr:
    wrmsr
    mov byte [gp_fix], 0
    dec esi
    jnz .c
    mov eax, 0x400
    mov dr7, eax
    cmp dword [gp_fixes], M
    mov esi, c_gp_taken
    call check
    mov eax, [hits0]
    cmp eax, M
    mov esi, c_rf
    call check_counted

    ; ---- d) breakpoint right after an emulated MMIO read ----
    mov dword [hits0], 0
    mov eax, .after_mmio
    mov dr0, eax
    mov eax, DR7_EXEC0
    mov dr7, eax
    mov esi, M
.d:
    mov eax, [APIC + 0x30]              ; EPT violation, emulated
.after_mmio:
    nop
    dec esi
    jnz .d
    mov eax, 0x400
    mov dr7, eax
    mov eax, [hits0]
    cmp eax, M
    mov esi, c_mmio
    call check_counted

    ; ---- e) single-step over emulated instructions ----
    mov dword [nsteps], 0
    mov dword [step_stop], .ss_end
    pushfd
    or dword [esp], 0x100               ; TF: traps from the next instruction
    popfd
    xor eax, eax                        ; (CPUID leaf 0)
.ss_a:
    cpuid                               ; emulated: trap at .ss_b
.ss_b:
    nop                                 ; trap at .ss_c
.ss_c:
    out 0x80, al                        ; emulated: trap at .ss_d
.ss_d:
    nop                                 ; trap at .ss_end, TF off
.ss_end:
    ; The trap after "xor eax, eax" is the first: at .ss_a.
    mov dword [want_steps], .ss_a
    mov dword [want_steps + 4], .ss_b
    mov dword [want_steps + 8], .ss_c
    mov dword [want_steps + 12], .ss_d
    mov dword [want_steps + 16], .ss_end
    xor edx, edx
    cmp dword [nsteps], 5
    jne .steps_done
    xor ecx, ecx
.step:
    mov eax, [steps + ecx * 4]
    cmp eax, [want_steps + ecx * 4]
    je .step_ok
    inc edx
.step_ok:
    inc ecx
    cmp ecx, 5
    jb .step
    test edx, edx
.steps_done:
    pushf
    mov esi, s_steps
    call puts
    xor ecx, ecx
.print_step:
    cmp ecx, [nsteps]
    jae .printed
    cmp ecx, 16
    jae .printed
    mov esi, s_space
    call puts
    mov eax, [steps + ecx * 4]
    call puthex32
    inc ecx
    jmp .print_step
.printed:
    mov esi, s_steps2
    call puts
    xor ecx, ecx
.print_want:
    mov esi, s_space
    call puts
    mov eax, [want_steps + ecx * 4]
    call puthex32
    inc ecx
    cmp ecx, 5
    jb .print_want
    mov esi, s_nl
    call puts
    popf
    mov esi, c_step
    call check

    mov esi, s_done
    call puts
    jmp finish

; check_counted: as check, with " (N #DB)" from EAX... simpler: prints the
; count on its own line first, then the check. ZF and ESI as for check.
check_counted:
    pushf
    push esi
    mov esi, s_count
    call puts
    call putdec32
    mov esi, s_nl
    call puts
    pop esi
    popf
    jmp check

; #DB: count by DR6 (B0, B1, BS), clear DR6, resume with RF set.
; Frame after the pushes: [esp+8] EIP, +12 CS, +16 EFLAGS.
db_handler:
    push eax
    push ecx
    mov eax, dr6
    test eax, 1
    jz .no_b0
    inc dword [hits0]
.no_b0:
    test eax, 2
    jz .no_b1
    inc dword [hits1]
.no_b1:
    test eax, 1 << 14
    jz .no_bs
    mov ecx, [nsteps]
    cmp ecx, 16
    jae .stop_tf
    mov eax, [esp + 8]
    mov [steps + ecx * 4], eax
    inc dword [nsteps]
    cmp eax, [step_stop]
    jb .no_bs
.stop_tf:
    and dword [esp + 16], ~0x100
.no_bs:
    mov eax, 0xffff0ff0
    mov dr6, eax
    or dword [esp + 16], 1 << 16        ; RF
    pop ecx
    pop eax
    iret

; #GP: in c), point ECX at a real MSR and return to the WRMSR (it runs
; again); elsewhere skip the instruction as common.inc's handler does.
gp_fix_handler:
    cmp byte [gp_fix], 0
    je gp_handler
    add esp, 4                          ; error code
    inc dword [gp_fixes]
    mov ecx, 0x2ff
    iret

; puthex32: EAX as 0x...
puthex32:
    pushad
    mov edi, numbuf_end
    mov byte [edi], 0
.h:
    mov edx, eax
    and edx, 15
    mov dl, [hexdigits + edx]
    dec edi
    mov [edi], dl
    shr eax, 4
    jnz .h
    dec edi
    mov byte [edi], 'x'
    dec edi
    mov byte [edi], '0'
    mov esi, edi
    call puts
    popad
    ret

%include "common.inc"

section .data
hexdigits: db "0123456789abcdef"
s_hello:   db "hardware breakpoints across VM exits", 10, 0
s_count:   db "#DB count: ", 0
c_exec:    db "an instruction breakpoint fired on each of 50 executions, CPUID and OUT exits between", 0
c_data:    db "a data write breakpoint fired on each of 50 writes, CPUID and OUT exits between", 0
c_gp_taken: db "a WRMSR to an unknown MSR raised #GP each of 5 times", 0
c_rf:      db "an instruction breakpoint on that WRMSR fired once per execution (RF in the injected #GP's frame)", 0
c_mmio:    db "an instruction breakpoint right after an emulated xAPIC read fired each of 5 times (RF cleared)", 0
c_step:    db "single-step traps after CPUID and OUT (emulated) as after any instruction", 0
s_steps:   db "single-step traps at", 0
s_steps2:  db "; expected", 0
s_space:   db " ", 0
s_done:    db "breakpoint checks done", 10, 0

section .bss
alignb 4
watched:    resd 1
hits0:      resd 1
hits1:      resd 1
gp_fixes:   resd 1
nsteps:     resd 1
step_stop:  resd 1
steps:      resd 16
want_steps: resd 5
gp_fix:     resb 1
alignb 16
idt:        resb 256 * 8
stack:      resb 8192
stack_top:
