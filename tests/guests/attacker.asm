; A hostile multiboot guest: it reaches for memory outside its RAM. The
; hypervisor must stop it (EPT violation) and report it, while other
; guests carry on. If the read ever succeeds, it says so and exits 1.
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    ; Machine-wide switches reached through ports: PCI reset control,
    ; the keyboard controller's reset line, and the ACPI sleep registers
    ; of QEMU (0x604) and Bochs (0xb004) asking for S5. None may reach
    ; the hardware; the machine must keep running the victim. The two
    ; resets are this guest's own (dm/vpci.c, dm/vkbc.c): each re-creates
    ; it (on_reboot = restart), so instance 1 tries 0xcf9, instance 2 the
    ; keyboard controller, and instance 3 goes on.
    mov eax, 3                          ; which instance am I?
    vmcall
    cmp eax, 1
    jne .not_first
    mov esi, s_cf9
    call puts
    mov dx, 0xcf9
    mov al, 0x06
    out dx, al
    jmp .reset_failed
.not_first:
    cmp eax, 2
    jne .resets_done
    mov esi, s_kbc
    call puts
    mov al, 0xfe
    out 0x64, al
.reset_failed:
    mov esi, c_reset                    ; only reached when no reset came
    or esp, esp                         ; ZF = 0: FAIL
    call check
    jmp finish
.resets_done:
    mov dx, 0x604                       ; SLP_EN, sleep type 0: no state of ours
    mov ax, 0x2000
    out dx, ax
    mov dx, 0xb004
    out dx, ax
    mov esi, s_ports
    call puts

    ; Somebody else's local APIC: a fixed IPI, an INIT and a SIPI to APIC
    ; IDs that are not ours. They must go nowhere.
    mov dword [0xfee00310], 1 << 24     ; destination APIC 1 (the victim's CPU)
    mov dword [0xfee00300], 0x000040f0  ; fixed, vector 0xf0
    mov dword [0xfee00300], 0x00004500  ; INIT
    mov dword [0xfee00300], 0x00004610  ; SIPI
    mov esi, s_ipis
    call puts

    mov dword [last_vector], 0          ; VMX capability MSR: #GP
    mov dword [skip_len], .rdmsr_end - .rdmsr
    mov ecx, 0x480
.rdmsr:
    rdmsr
.rdmsr_end:
    cmp dword [last_vector], 13
    mov esi, c_vmxmsr
    call check

    mov dword [last_vector], 0          ; VMXON: #UD
    mov dword [skip_len], .vmxon_end - .vmxon
.vmxon:
    vmxon [scratch]
.vmxon_end:
    cmp dword [last_vector], 6
    mov esi, c_vmxon
    call check

    mov esi, s_start
    call puts
    mov eax, [0x10000000]               ; 256 MiB: far beyond its 16 MiB
    mov esi, s_leak
    call puts
    mov dword [failures], 1
    jmp finish

%include "common.inc"

section .data
s_start: db "reading guest-physical 0x10000000, outside my memory", 10, 0
s_cf9:   db "instance 1: writing 0x06 to the reset control register 0xcf9", 10, 0
s_kbc:   db "instance 2: pulsing the keyboard controller's reset line", 10, 0
c_reset: db "the reset request reset this guest", 0
s_ports: db "wrote reset and ACPI sleep ports", 10, 0
s_ipis:  db "sent IPI, INIT and SIPI to APIC 1", 10, 0
c_vmxmsr: db "VMX capability MSR raises #GP", 0
c_vmxon: db "VMXON raises #UD", 0
s_leak:  db "FAIL: the read outside my memory succeeded", 10, 0

section .bss
alignb 16
idt:      resb 256 * 8
alignb 4096
scratch:  resb 4096
stack:    resb 4096
stack_top:
