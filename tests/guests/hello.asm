; A multiboot (v1) test guest that checks, from inside, what the hypervisor
; shows it: the boot protocol, CPUID, an unclaimed port, MSRs, hypercalls,
; and that VMX instructions are not there.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0x00000002             ; memory information wanted

section .text
global _start
_start:
    mov esp, stack_top
    mov [mb_magic], eax
    mov [mb_info], ebx
    call setup_tables

    mov esi, s_hello
    call puts

    cmp dword [mb_magic], 0x2badb002
    mov esi, c_magic
    call check

    mov ebx, [mb_info]                  ; flags bit 0: mem_lower/upper
    test dword [ebx], 1
    setz al
    cmp al, 0
    mov esi, c_meminfo
    call check

    mov ebx, [mb_info]                  ; cmdline starts with the kernel's name,
    mov esi, [ebx + 16]                 ; then a space or the end (GRUB's form)
    mov edi, s_kname
    mov ecx, 9
    repe cmpsb
    jne .cmdline_done
    mov al, [esi]
    cmp al, ' '
    je .cmdline_done
    cmp al, 0
.cmdline_done:
    mov esi, c_cmdline
    call check

    mov eax, 1                          ; VMX hidden, hypervisor bit set
    cpuid
    and ecx, (1 << 5) | (1 << 31)
    cmp ecx, (1 << 31)
    mov esi, c_cpuid1
    call check

    mov eax, 0x40000000                 ; our signature
    cpuid
    cmp ebx, 'hvhv'
    jne .sig
    cmp ecx, 'hype'
    jne .sig
    cmp edx, 'rvsr'
.sig:
    mov esi, c_sig
    call check

    mov eax, 0x40000010                 ; TSC frequency in kHz, non-zero
    cpuid
    cmp eax, 0
    setz al
    cmp al, 0
    mov esi, c_tsc
    call check

    mov dx, 0x2e0                       ; nobody's port reads all ones
    in al, dx
    cmp al, 0xff
    mov esi, c_port
    call check

    mov ecx, 0x3a                       ; IA32_FEATURE_CONTROL: locked, VMX off
    rdmsr
    cmp eax, 1
    mov esi, c_fc
    call check

    mov dword [last_vector], 0          ; VMX capability MSR: #GP
    mov dword [skip_len], .rdmsr_end - .rdmsr
    mov ecx, 0x480
.rdmsr:
    rdmsr
.rdmsr_end:
    cmp dword [last_vector], 13
    mov esi, c_vmxmsr
    call check

    mov dword [last_vector], 0          ; VMXON: #UD (no VMX in the guest)
    mov dword [skip_len], .vmxon_end - .vmxon
.vmxon:
    vmxon [vmxon_area]
.vmxon_end:
    cmp dword [last_vector], 6
    mov esi, c_vmxon
    call check

    mov dword [last_vector], 0          ; CR4.VMXE is not the guest's: #GP
    mov dword [skip_len], .cr4w_end - .cr4w
    mov eax, cr4
    or eax, 1 << 13
.cr4w:
    mov cr4, eax
.cr4w_end:
    cmp dword [last_vector], 13
    mov esi, c_cr4vmxe
    call check

    mov eax, cr4                        ; and CR4 reads without it
    test eax, 1 << 13
    mov esi, c_cr4read
    call check

    mov eax, cr4                        ; a CR4 bit the guest owns round-trips
    or eax, 1 << 9                      ; OSFXSR
    mov cr4, eax
    mov eax, cr4
    and eax, 1 << 9
    cmp eax, 1 << 9
    mov esi, c_cr4osfx
    call check

    mov eax, cr0                        ; CR0.TS set, then CLTS
    or eax, 1 << 3
    mov cr0, eax
    clts
    mov eax, cr0
    test eax, 1 << 3
    mov esi, c_clts
    call check

    mov ecx, 0x2ff                      ; MTRR default type round-trips
    mov eax, 0xc06
    xor edx, edx
    wrmsr
    xor eax, eax
    rdmsr
    cmp eax, 0xc06
    mov esi, c_mtrr
    call check

    mov ecx, 0x277                      ; PAT starts at its power-on value
    rdmsr
    cmp eax, 0x00070406
    mov esi, c_pat
    call check

    mov dword [last_vector], 0          ; EFER reserved bit: #GP
    mov dword [skip_len], .efer_end - .efer
    mov ecx, 0xc0000080
    mov eax, 1 << 12
    xor edx, edx
.efer:
    wrmsr
.efer_end:
    cmp dword [last_vector], 13
    mov esi, c_efer
    call check

    mov esi, s_outs                     ; string I/O: REP OUTSB to the UART
    mov ecx, s_outs_end - s_outs
    mov dx, 0x3f8
    cld
    rep outsb
    mov edi, insbuf                     ; REP INSB from nobody's port
    mov ecx, 4
    mov dx, 0x2e0
    rep insb
    cmp dword [insbuf], 0xffffffff
    mov esi, c_insb
    call check

    mov eax, 0                          ; VMCALL version
    vmcall
    cmp eax, 0x200                      ; ABI 0.2.0
    mov esi, c_version
    call check

    mov eax, 1                          ; VMCALL console write
    mov ebx, s_hc
    mov ecx, s_hc_end - s_hc
    vmcall
    cmp eax, 0
    mov esi, c_hcwrite
    call check

    mov eax, 99                         ; unknown hypercall: -ENOSYS
    vmcall
    cmp eax, -38
    mov esi, c_enosys
    call check

    mov esi, s_done
    call puts
    jmp finish

%include "common.inc"

section .data
s_hello:   db "hello from a multiboot guest", 10, 0
s_kname:   db "hello.elf"
c_magic:   db "EAX holds the multiboot magic", 0
c_meminfo: db "memory information present", 0
c_cmdline: db "command line starts with the kernel name", 0
c_cpuid1:  db "CPUID.1: VMX hidden, hypervisor bit set", 0
c_sig:     db "CPUID 0x40000000 signature", 0
c_tsc:     db "CPUID 0x40000010 TSC frequency", 0
c_port:    db "unclaimed port reads 0xff", 0
c_fc:      db "IA32_FEATURE_CONTROL locked with VMX off", 0
c_vmxmsr:  db "VMX capability MSR raises #GP", 0
c_vmxon:   db "VMXON raises #UD", 0
c_version: db "version hypercall", 0
c_cr4vmxe: db "setting CR4.VMXE raises #GP", 0
c_cr4read: db "CR4 reads without VMXE", 0
c_cr4osfx: db "CR4.OSFXSR round-trips", 0
c_clts:    db "CLTS clears CR0.TS", 0
c_mtrr:    db "MTRR default type round-trips", 0
c_pat:     db "PAT reads its power-on value", 0
c_efer:    db "EFER reserved bit raises #GP", 0
c_insb:    db "REP INSB from an unclaimed port reads 0xff", 0
s_outs:    db "written with REP OUTSB", 10
s_outs_end:
c_hcwrite: db "console hypercall", 0
c_enosys:  db "unknown hypercall returns -ENOSYS", 0
s_hc:      db "written through a hypercall", 10
s_hc_end:
s_done:    db "all checks done", 10, 0

section .bss
alignb 16
mb_magic: resd 1
mb_info:  resd 1
insbuf:   resd 1
idt:      resb 256 * 8
alignb 4096
vmxon_area: resb 4096
stack:    resb 8192
stack_top:
