; SMP test guest: the boot vCPU reads its topology from CPUID, starts the
; other vCPUs with INIT-SIPI-SIPI (they begin in real mode at the SIPI
; vector, as on a PC), every vCPU adds to a shared counter with LOCK, and
; the boot vCPU plays IPI ping-pong with each of the others. Checks from
; inside, reported as "ok:"/"FAIL:" lines; status = failures.
bits 32

%define APIC 0xfee00000
%define TRAMPOLINE 0x8000           ; SIPI vector 0x08
%define ADDS 20000                  ; per vCPU
%define PINGS 10                    ; per AP
%define MAX_VCPUS 16

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov eax, ping_handler
    mov edi, idt + 0x41 * 8
    call set_gate
    mov eax, pong_handler
    mov edi, idt + 0x42 * 8
    call set_gate
    mov esi, s_hello
    call puts
    mov dword [APIC + 0xf0], 0x1ff      ; software-enable the APIC

    ; Topology: CPUID.0xB level 1 counts the vCPUs; CPUID.1 agrees.
    mov eax, 0xb
    mov ecx, 1
    cpuid
    and ebx, 0xffff
    mov [nvcpus], ebx
    cmp ebx, 2
    setae al
    cmp al, 1
    mov esi, c_topology
    call check
    mov eax, 1
    cpuid
    shr ebx, 24                         ; initial APIC ID
    cmp ebx, 0
    mov esi, c_bsp_id
    call check

    ; Copy the real-mode trampoline below 1 MiB.
    mov esi, trampoline
    mov edi, TRAMPOLINE
    mov ecx, trampoline_end - trampoline
    rep movsb

    ; INIT, then SIPI twice (SDM Vol. 3A 9.4.4), to all but self.
    mov dword [APIC + 0x310], 0
    mov dword [APIC + 0x300], 0x000c4500    ; INIT, assert, all excluding self
    mov dword [APIC + 0x300], 0x000c0500    ; INIT de-assert: must be ignored
    mov dword [APIC + 0x300], 0x000c4600 | (TRAMPOLINE >> 12)
    mov dword [APIC + 0x300], 0x000c4600 | (TRAMPOLINE >> 12)

    ; Wait for every AP to say it is alive (bounded).
    mov ecx, 2000000000
.wait_alive:
    mov eax, [alive]
    inc eax
    cmp eax, [nvcpus]
    je .all_alive
    pause
    loop .wait_alive
.all_alive:
    mov eax, [alive]
    inc eax
    cmp eax, [nvcpus]
    mov esi, c_started
    call check

    ; Every AP reported a distinct APIC ID 1..n-1 (ap_ids[id] = id).
    mov ebx, 1
    xor edx, edx
.ids:
    cmp ebx, [nvcpus]
    jae .ids_done
    cmp [ap_ids + ebx * 4], ebx
    je .id_ok
    inc edx
.id_ok:
    inc ebx
    jmp .ids
.ids_done:
    test edx, edx
    mov esi, c_ids
    call check

    ; Our share of the counter, concurrently with the APs'.
    mov ecx, ADDS
.add:
    lock inc dword [counter]
    loop .add
    mov ecx, 2000000000
.wait_done:
    mov eax, [done]
    inc eax
    cmp eax, [nvcpus]
    je .counted
    pause
    loop .wait_done
.counted:
    mov eax, [nvcpus]
    imul eax, ADDS
    cmp [counter], eax
    mov esi, c_counter
    call check

    ; Ping-pong: fixed IPI 0x41 to each AP by APIC ID, which answers with
    ; 0x42 to APIC ID 0. The answer wakes our HLT.
    mov ebx, 1
.ping_ap:
    cmp ebx, [nvcpus]
    jae .pinged
    mov edi, PINGS
.ping:
    mov eax, [pongs]
    mov [pongs_before], eax
    mov eax, ebx
    shl eax, 24
    cli
    mov dword [APIC + 0x310], eax
    mov dword [APIC + 0x300], 0x41      ; fixed, physical
    mov ecx, 100000
.wait_pong:
    mov eax, [pongs]
    cmp eax, [pongs_before]
    jne .ponged
    sti
    hlt                                 ; the pong (or nothing, then give up)
    cli
    loop .wait_pong
.ponged:
    sti
    dec edi
    jnz .ping
    inc ebx
    jmp .ping_ap
.pinged:
    mov eax, [nvcpus]
    dec eax
    imul eax, PINGS
    cmp [pongs], eax
    mov esi, c_pingpong
    call check
    ; Each AP took exactly its pings.
    mov ebx, 1
    xor edx, edx
.per_ap:
    cmp ebx, [nvcpus]
    jae .per_ap_done
    cmp dword [pings + ebx * 4], PINGS
    je .per_ok
    inc edx
.per_ok:
    inc ebx
    jmp .per_ap
.per_ap_done:
    test edx, edx
    mov esi, c_per_ap
    call check

    ; Tell the APs to halt for good, then end.
    mov dword [quit], 1
    mov dword [APIC + 0x300], 0x000c0041    ; wake them: fixed 0x41 to all but self
    mov esi, s_done
    call puts
    jmp finish

; ---- application vCPUs ----

; Real mode at TRAMPOLINE (CS = 0x0800, IP = 0): load the GDT, enter
; protected mode and jump to the 32-bit code in the image.
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
    mov eax, 1
    cpuid
    shr ebx, 24                         ; our APIC ID
    and ebx, MAX_VCPUS - 1
    mov esp, ebx
    inc esp
    shl esp, 12
    add esp, ap_stacks
    lidt [idt_ptr]
    mov dword [APIC + 0xf0], 0x1ff
    mov eax, [APIC + 0x20]              ; the APIC's ID register agrees with CPUID
    shr eax, 24
    cmp eax, ebx
    jne .no_id
    mov [ap_ids + ebx * 4], ebx
.no_id:
    lock inc dword [alive]
    mov ecx, ADDS
.add:
    lock inc dword [counter]
    loop .add
    lock inc dword [done]
.idle:
    sti
    hlt                                 ; pings arrive as interrupts
    cmp dword [quit], 0
    je .idle
    cli
    hlt

; On an AP: count the ping by our APIC ID and answer the boot vCPU.
ping_handler:
    push eax
    push ebx
    mov ebx, [APIC + 0x20]
    shr ebx, 24
    and ebx, MAX_VCPUS - 1
    cmp dword [quit], 0
    jne .eoi
    lock inc dword [pings + ebx * 4]
    mov dword [APIC + 0x310], 0         ; to APIC ID 0
    mov dword [APIC + 0x300], 0x42
.eoi:
    mov dword [APIC + 0xb0], 0
    pop ebx
    pop eax
    iret

pong_handler:
    lock inc dword [pongs]
    mov dword [APIC + 0xb0], 0
    iret

%include "common.inc"

section .data
s_hello:    db "hello from the SMP test guest", 10, 0
c_topology: db "CPUID reports more than one vCPU", 0
c_bsp_id:   db "boot vCPU has APIC ID 0", 0
c_started:  db "INIT-SIPI-SIPI started every AP", 0
c_ids:      db "APs have distinct APIC IDs 1..n-1 (CPUID and APIC agree)", 0
c_counter:  db "shared counter agrees across vCPUs", 0
c_pingpong: db "IPI ping-pong with every AP", 0
c_per_ap:   db "each AP received exactly its IPIs", 0
s_done:     db "SMP checks done", 10, 0

section .bss
alignb 16
nvcpus:       resd 1
alive:        resd 1
done:         resd 1
counter:      resd 1
quit:         resd 1
pongs:        resd 1
pongs_before: resd 1
ap_ids:       resd MAX_VCPUS
pings:        resd MAX_VCPUS
idt:          resb 256 * 8
alignb 4096
ap_stacks:    resb 4096 * (MAX_VCPUS + 1)
stack:        resb 8192
stack_top:
