; The intruder of the isolation test (isolation.cfg), pinned to CPU 1 next
; to the victim on CPU 0. From inside its guest it tries everything a guest
; can do to reach another one, right from the start:
;  - fixed IPIs (the victim's timer vector 0x40, and 0xf0), lowest
;    priority, NMI, INIT and SIPI to physical APIC IDs 0..15 and broadcast,
;    logical broadcast, and the "all excluding self" / "all including
;    self" shorthands, through the xAPIC ICR (0xfee00300/0xfee00310);
;  - the same through the x2APIC ICR (MSR 0x830) after switching its APIC
;    to x2APIC mode;
;  - the victim's passthrough CMOS ports 0x70/0x71: they reach its own
;    virtual CMOS (dm/vrtc.c), never the real one: its byte reads back
;    what it wrote, the index port 0xff (the victim checks its real byte);
;  - an exit storm: CPUID, OUTs to 0x70/0x71 and an x2APIC IPI to "all
;    excluding self" with the victim's timer vector 0x40, per round;
;  - the management hypercalls, which must say EPERM (-1).
; It must survive all of it (its own INIT via "all excluding self" does
; not reach it) and ends with the number of failed checks.
bits 32

%define APIC 0xfee00000
%define STORM 60000                     ; rounds of the exit storm
%define HC_GUEST_COUNT 16
%define HC_GUEST_RESTART 20

%include "multiboot.inc"
MULTIBOOT_HEADER 0

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    ; Every vector to a stub: exceptions are fatal; an NMI or interrupt
    ; (of its own IPIs) is counted. It runs with IF=0 anyway.
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
    mov esi, s_hello
    call puts

    ; xAPIC: each ICR value to each physical destination 0..15 and 0xff.
    xor ebx, ebx
.x_dest:
    mov eax, ebx
    shl eax, 24
    mov [APIC + 0x310], eax
    mov esi, icr_values
.x_value:
    lodsd
    test eax, eax
    jz .x_next
    mov [APIC + 0x300], eax
    inc dword [sent]
    jmp .x_value
.x_next:
    cmp ebx, 0xff
    je .x_shorthand
    inc ebx
    cmp ebx, 16
    jb .x_dest
    mov ebx, 0xff
    jmp .x_dest
.x_shorthand:
    mov dword [APIC + 0x310], 0xff000000   ; logical, every APIC (flat model)
    mov dword [APIC + 0x300], 0x000008f0   ; fixed 0xf0
    mov dword [APIC + 0x300], 0x00000c00   ; NMI
    mov dword [APIC + 0x300], 0x00004d00   ; INIT
    mov dword [APIC + 0x300], 0x00004e10   ; SIPI
    add dword [sent], 4
    mov dword [APIC + 0x310], 0
    mov esi, shorthand_values
.x_sh_value:
    lodsd
    test eax, eax
    jz .x_done
    mov [APIC + 0x300], eax
    inc dword [sent]
    jmp .x_sh_value
.x_done:
    mov esi, s_xapic
    call puts
    mov eax, [sent]
    xor edx, edx
    call putdec
    mov esi, s_ipis
    call puts

    ; x2APIC mode (IA32_APIC_BASE bit 10), then the same by MSR 0x830.
    mov ecx, 0x1b
    rdmsr
    or eax, (1 << 11) | (1 << 10)
    wrmsr
    rdmsr
    test eax, 1 << 10
    jz .x2_mode
    mov ecx, 0x802                      ; its own x2APIC ID: 0
    rdmsr
    cmp eax, 0
.x2_mode:
    mov esi, c_x2apic
    call check

    mov dword [sent], 0
    xor ebp, ebp                        ; destination
.m_dest:
    mov esi, x2_values
.m_value:
    lodsd
    test eax, eax
    jz .m_next
    mov edx, ebp
    mov ecx, 0x830
    wrmsr
    inc dword [sent]
    jmp .m_value
.m_next:
    cmp ebp, 0xffffffff
    je .m_shorthand
    inc ebp
    cmp ebp, 16
    jb .m_dest
    mov ebp, 0xffffffff
    jmp .m_dest
.m_shorthand:
    mov esi, shorthand_values
.m_sh_value:
    lodsd
    test eax, eax
    jz .m_done
    xor edx, edx
    mov ecx, 0x830
    wrmsr
    inc dword [sent]
    jmp .m_sh_value
.m_done:
    mov esi, s_x2apic
    call puts
    mov eax, [sent]
    xor edx, edx
    call putdec
    mov esi, s_ipis
    call puts

    ; Still here: no INIT reset it, no NMI or SIPI derailed it.
    cmp esp, stack_top
    mov esi, c_alive
    call check

    ; The victim's CMOS ports are not ours: the same ports reach our own
    ; virtual CMOS, whose byte 0x40 reads back what we wrote (the real
    ; one is the victim's, which checks that it stays), and whose index
    ; port reads all ones as a PC's does.
    mov al, 0x40
    out 0x70, al
    mov al, 0x5a
    out 0x71, al
    in al, 0x71
    mov ah, al
    in al, 0x70
    cmp ax, 0x5aff
    mov esi, c_ports
    call check

    ; The storm: many exits of several kinds, as fast as it can.
    mov esi, s_storm
    call puts
    rdtsc
    mov [t0], eax
    mov [t0 + 4], edx
    mov ebp, STORM
.storm:
    xor eax, eax
    cpuid
    mov al, 0x40
    out 0x70, al
    mov eax, ebp
    out 0x71, al                        ; garbage into our CMOS 0x40
    mov ecx, 0x830
    mov eax, 0x000c0040                 ; all excluding self, vector 0x40
    xor edx, edx
    wrmsr
    dec ebp
    jnz .storm
    rdtsc
    sub eax, [t0]
    sbb edx, [t0 + 4]
    mov esi, s_storm_done
    call puts
    push edx
    push eax
    mov eax, STORM * 4
    xor edx, edx
    call putdec
    mov esi, s_storm_in
    call puts
    pop eax
    pop edx
    call putdec
    mov esi, s_storm_tsc
    call puts

    ; Not the management guest: each management hypercall says EPERM and
    ; writes nothing.
    xor edi, edi                        ; wrong results
    mov eax, HC_GUEST_COUNT
.hc:
    push eax
    xor ebx, ebx                        ; guest 0: the victim
    mov ecx, info
    vmcall
    cmp eax, -1
    setne al
    movzx eax, al
    add edi, eax
    pop eax
    inc eax
    cmp eax, HC_GUEST_RESTART
    jbe .hc
    mov esi, info
    mov ecx, 16
.info:
    lodsd
    or edi, eax
    loop .info
    cmp edi, 0
    mov esi, c_hc
    call check

    mov esi, s_taken
    call puts
    mov eax, [nmis]
    xor edx, edx
    call putdec
    mov esi, s_taken2
    call puts
    mov eax, [taken]
    call putdec
    mov esi, s_taken3
    call puts
    mov esi, s_done
    call puts
    jmp finish

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
    jne .not_nmi
    inc dword [nmis]
    jmp .out
.not_nmi:
    cmp eax, 32
    jb .fatal
    inc dword [taken]
.out:
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


%include "common.inc"

section .data
align 4
; ICR low words per destination (0-terminated): fixed 0x40 (the victim's
; timer vector), fixed 0xf0, lowest priority 0xf0, NMI, INIT (assert),
; SIPI to 0x10000.
icr_values:
    dd 0x00000040, 0x000000f0, 0x000001f0, 0x00000400, 0x00004500, 0x00004610, 0
; x2APIC: the same without lowest priority.
x2_values:
    dd 0x00000040, 0x000000f0, 0x00000400, 0x00004500, 0x00004610, 0
; Shorthands: all excluding self (everything), all including self (fixed
; and NMI; INIT/SIPI to self are not valid uses).
shorthand_values:
    dd 0x000c0040, 0x000c00f0, 0x000c0400, 0x000c4500, 0x000c4610
    dd 0x000800f0, 0x00080400, 0

s_hello:      db "attacking: IPIs, NMIs, INIT/SIPI, the victim's ports, an exit storm, management hypercalls", 10, 0
s_xapic:      db "xAPIC ICR: ", 0
s_x2apic:     db "x2APIC ICR MSR: ", 0
s_ipis:       db " IPIs sent (fixed, NMI, INIT, SIPI) to APIC IDs 0-15, broadcast and shorthands", 10, 0
s_storm:      db "storm started", 10, 0
s_storm_done: db "storm done: ", 0
s_storm_in:   db " exits (CPUID, OUT 0x70, OUT 0x71, x2APIC broadcast) in ", 0
s_storm_tsc:  db " TSC ticks", 10, 0
s_taken:      db "its own IPIs came back as ", 0
s_taken2:     db " NMIs and ", 0
s_taken3:     db " interrupts (it runs with IF=0, its APIC software-disabled)", 10, 0
s_exception:  db "FAIL: unexpected exception, vector ", 0
s_done:       db "intruder done", 10, 0
c_x2apic:     db "APIC in x2APIC mode, ID 0", 0
c_alive:      db "still running after every IPI, NMI, INIT and SIPI", 0
c_ports:      db "another guest's passthrough ports are not reachable", 0
c_hc:         db "management hypercalls refused", 0

section .bss
alignb 16
sent:      resd 1
taken:     resd 1
nmis:      resd 1
t0:        resq 1
info:      resb 64
alignb 8
idt:       resb 256 * 8
stack:     resb 8192
stack_top:
