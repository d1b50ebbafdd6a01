; VM entry and exit (SDM Vol. 3C 26, 27). vmx_enter(regs, launched) loads
; the guest's general registers from *regs and executes VMLAUNCH (first
; entry) or VMRESUME. A VM exit lands at vmx_exit_point with RSP = HOST_RSP,
; which vmx_enter pointed at its own frame, so the exit path saves the
; guest's registers into the same *regs and returns to vmx_enter's caller.
;
; Returns 0 after a VM exit, 1 on VMfailInvalid (CF), 2 on VMfailValid (ZF:
; read the VM-instruction error).

bits 64
section .text

; struct guest_regs layout (include/hv/vcpu.h)
%define R_RAX 0
%define R_RBX 8
%define R_RCX 16
%define R_RDX 24
%define R_RSI 32
%define R_RDI 40
%define R_RBP 48
%define R_R8  56
%define R_R9  64
%define R_R10 72
%define R_R11 80
%define R_R12 88
%define R_R13 96
%define R_R14 104
%define R_R15 112
%define V_HOST_RSP 120                  ; struct vcpu.host_rsp, right after the registers

%define VMCS_HOST_RSP 0x6c14

global vmx_enter
global vmx_exit_point
vmx_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; regs pointer, found again at exit
    ; HOST_RSP only when it changed: the same call site gives the same
    ; frame, so most entries skip the VMWRITE.
    cmp rsp, [rdi + V_HOST_RSP]
    je .rsp_ok
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
    jbe .fail_early                     ; CF or ZF: the VMCS is not current
    mov [rdi + V_HOST_RSP], rsp
.rsp_ok:
    mov rax, rdi
    test esi, esi
    mov rbx, [rax + R_RBX]
    mov rcx, [rax + R_RCX]
    mov rdx, [rax + R_RDX]
    mov rsi, [rax + R_RSI]              ; flags from TEST survive the loads
    mov rdi, [rax + R_RDI]
    mov rbp, [rax + R_RBP]
    mov r8,  [rax + R_R8]
    mov r9,  [rax + R_R9]
    mov r10, [rax + R_R10]
    mov r11, [rax + R_R11]
    mov r12, [rax + R_R12]
    mov r13, [rax + R_R13]
    mov r14, [rax + R_R14]
    mov r15, [rax + R_R15]
    mov rax, [rax + R_RAX]
    jnz .resume
    vmlaunch
    jmp .failed
.resume:
    vmresume
.failed:
    ; Still in the host, guest registers loaded: get our frame back.
    mov eax, 1
    jc .restore
    mov eax, 2
    jmp .restore
.fail_early:
    mov eax, 1
    jc .restore
    mov eax, 2
.restore:
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

vmx_exit_point:
    push rax                            ; guest RAX
    mov rax, [rsp + 8]                  ; regs pointer
    mov [rax + R_RBX], rbx
    mov [rax + R_RCX], rcx
    mov [rax + R_RDX], rdx
    mov [rax + R_RSI], rsi
    mov [rax + R_RDI], rdi
    mov [rax + R_RBP], rbp
    mov [rax + R_R8],  r8
    mov [rax + R_R9],  r9
    mov [rax + R_R10], r10
    mov [rax + R_R11], r11
    mov [rax + R_R12], r12
    mov [rax + R_R13], r13
    mov [rax + R_R14], r14
    mov [rax + R_R15], r15
    pop qword [rax + R_RAX]
    xor eax, eax
    jmp vmx_enter.restore
