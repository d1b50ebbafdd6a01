; A hostile multiboot guest: it resets itself through the reset ports,
; writes the ACPI sleep ports, sends IPIs to another guest's APIC, tries
; VMX, storms its own virtual devices (device_storm, below) and finally
; reaches for memory outside its RAM. The hypervisor must stop it (EPT
; violation) and report it, while other guests carry on. If the read ever
; succeeds, it says so and exits 1.
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

    call device_storm

    mov esi, s_start
    call puts
    mov eax, [0x10000000]               ; 256 MiB: far beyond its 16 MiB
    mov esi, s_leak
    call puts
    mov dword [failures], 1
    jmp finish

; ---------------------------------------------------------------------
; The device storm: the guest abuses its own virtual platform
; (docs/devices.md) with hostile values, with interrupts disabled
; throughout: its I/O APIC (every redirection entry with every delivery
; mode, absent registers, EOIs, 1- to 8-byte accesses anywhere in the
; page), its 8254 (every control word, counts of 1, 0 and all ones),
; its 8259 pair (garbage initialisation), its CMOS RTC (every index; all
; interrupts on at their fastest), PCI configuration space (random
; addresses, every access size), the ACPI PM registers (random values,
; every size) and ports nothing models. It leaves IRQ 0 and IRQ 8 as
; NMIs to itself at the highest rates the models give. Every access is
; counted in [accesses]. The hypervisor must neither fail nor let any of
; it reach the other guests; the few values the models must give back
; are checked (ok:/FAIL: lines), and one line reports the counts. Left
; out on purpose: 0xcf9 and 0x64 (they reset this guest, tested above), a
; pvpanic write with bit 0 or 1 set (it stops it), SLP_EN in PM1a_CNT
; (S5 powers it off; tested elsewhere), bit 0 of port 0x92 (fast reset on
; a PC) and the UART it prints on (0x3f8-0x3ff).
; ---------------------------------------------------------------------
%define IOAPIC      0xfec00000
%define IOREGSEL    (IOAPIC + 0x00)
%define IOWIN       (IOAPIC + 0x10)
%define IOAPIC_EOI  (IOAPIC + 0x40)
%define IOAPIC_VER  0x00170020          ; version 0x20, 24 entries (dm/ioapic.c)
%define RTE_NMI     0x00000400          ; delivery mode NMI, edge, physical, unmasked
%define PM1A_CNT_HI 0x605               ; SLP_EN is bit 5 of this byte
%define PM_TMR      0x608

; STEP: ECX = the next value of the 32-bit Galois LFSR in [lfsr]
; (x^32 + x^22 + x^2 + x + 1, period 2^32 - 1). Flags clobbered.
%macro STEP 0
    mov ecx, [lfsr]
    shr ecx, 1
    jnc %%same
    xor ecx, 0x80200003
%%same:
    mov [lfsr], ecx
%endmacro

; Counted I/O: DX = port, value in AL/AX/EAX.
%macro OUT8 0
    out dx, al
    inc dword [accesses]
%endmacro
%macro OUT16 0
    out dx, ax
    inc dword [accesses]
%endmacro
%macro OUT32 0
    out dx, eax
    inc dword [accesses]
%endmacro
%macro IN8 0
    in al, dx
    inc dword [accesses]
%endmacro
%macro IN16 0
    in ax, dx
    inc dword [accesses]
%endmacro
%macro IN32 0
    in eax, dx
    inc dword [accesses]
%endmacro

device_storm:
    pushad
    cli                                 ; and so it stays: only NMIs come
    mov eax, nmi_handler                ; pins 2 and 8 become NMI sources
    mov edi, idt + 2 * 8
    call set_gate

    call storm_ioapic_wide
    call storm_ioapic
    mov eax, [accesses]
    mov [n_ioapic], eax
    call storm_pit
    call storm_pic
    call storm_rtc
    call storm_pci
    call storm_acpi_pm
    call storm_legacy

    mov esi, s_storm
    call puts
    mov eax, [accesses]
    call putdec32
    mov esi, s_storm2
    call puts
    mov eax, [n_ioapic]
    call putdec32
    mov esi, s_storm_pit
    call puts
    mov eax, [n_pit]
    call putdec32
    mov esi, s_storm_pic
    call puts
    mov eax, [n_pic]
    call putdec32
    mov esi, s_storm_rtc
    call puts
    mov eax, [n_rtc]
    call putdec32
    mov esi, s_storm_pci
    call puts
    mov eax, [n_pci]
    call putdec32
    mov esi, s_storm_pm
    call puts
    mov eax, [n_pm]
    call putdec32
    mov esi, s_storm_legacy
    call puts
    mov eax, [n_legacy]
    call putdec32
    mov esi, s_storm_nmi
    call puts
    mov eax, [nmis]
    call putdec32
    mov esi, s_storm_end
    call puts

    call storm_checks
    popad
    ret

; Its pins 2 and 8 (the PIT's IRQ 0, the RTC's IRQ 8) are made NMI
; sources: count what arrives.
nmi_handler:
    inc dword [nmis]
    iret

; --- I/O APIC, 8-byte accesses: only 64-bit code has them (a 32-bit MOV
; moves at most 4 bytes), so the guest goes to long mode for them and
; comes back (SDM Vol. 3A 10.8.5 and 10.8.5.4). Nothing can interrupt it
; there: every pin is still masked and no line is up yet (its devices
; were powered on when this instance was created).
storm_ioapic_wide:
    mov edi, lm_pml4                    ; PML4, PDPT, PD for 0-1 GiB, PD
    xor eax, eax                        ; for 3-4 GiB (the I/O APIC's page)
    mov ecx, 4 * 4096 / 4
    rep stosd
    mov dword [lm_pml4], lm_pdpt + 3
    mov dword [lm_pdpt], lm_pd0 + 3
    mov dword [lm_pdpt + 3 * 8], lm_pd3 + 3
    xor ecx, ecx
.pde:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                        ; present, writable, 2 MiB
    mov [lm_pd0 + ecx * 8], eax
    add eax, 0xc0000000
    mov [lm_pd3 + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .pde
    lgdt [lm_gdt_ptr]
    mov eax, lm_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, 1 << 5                      ; PAE
    mov cr4, eax
    mov ecx, 0xc0000080                 ; EFER.LME
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 1 << 31                     ; paging: IA-32e mode
    mov cr0, eax
    jmp 0x18:lm_wide

bits 64
; Each offset: an 8-byte read, 8-byte writes of a random value, all ones
; and zero, a read back. Those over IOREGSEL, IOWIN and EOI select, write
; and acknowledge whatever the value says.
lm_wide:
    mov edi, IOAPIC
    mov r8d, [lfsr]
    xor ecx, ecx
.next:
    movzx esi, word [wide_offsets + rcx * 2]
    mov rax, [rdi + rsi]
    shr r8d, 1
    jnc .a
    xor r8d, 0x80200003
.a:
    mov eax, r8d
    shl rax, 32
    shr r8d, 1
    jnc .b
    xor r8d, 0x80200003
.b:
    or rax, r8
    mov [rdi + rsi], rax
    mov rax, -1
    mov [rdi + rsi], rax
    xor eax, eax
    mov [rdi + rsi], rax
    mov rax, [rdi + rsi]
    add dword [accesses], 5
    inc ecx
    cmp ecx, WIDE_OFFSETS
    jb .next
    mov [lfsr], r8d
    jmp dword far [lm_back]             ; m16:32: to 32-bit code, compatibility mode

bits 32
lm_compat:
    mov eax, cr0
    and eax, ~(1 << 31)                 ; paging off: IA-32e mode off
    mov cr0, eax
    mov ecx, 0xc0000080
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    mov eax, cr4
    and eax, ~(1 << 5)
    mov cr4, eax
    lgdt [gdt_ptr]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    ret

; --- I/O APIC, 1-, 2- and 4-byte accesses.
storm_ioapic:
    ; Every redirection entry, with every combination of delivery mode
    ; (fixed, lowest priority, SMI, reserved 3, NMI, INIT, reserved 6,
    ; ExtINT), destination mode, trigger mode and mask over the vectors
    ; 0-15 and 0xff; polarity and the read-only bits (delivery status,
    ; remote IRR) set in turn; destinations 0xff (broadcast), its own 0
    ; and APIC IDs it does not have; garbage in the reserved bits. The
    ; entry is pin i mod 24 for the i-th combination.
    xor ebx, ebx                        ; bits 2:0 mode, 3 logical, 4 level, 5 masked
    xor esi, esi                        ; i
.combo:
    xor ebp, ebp                        ; vector index
.vector:
    movzx eax, byte [rte_vectors + ebp]
    mov edx, ebx
    and edx, 7
    shl edx, 8
    or eax, edx
    test ebx, 8
    jz .phys
    or eax, 1 << 11
.phys:
    test ebx, 16
    jz .edge
    or eax, 1 << 15
.edge:
    test ebx, 32
    jz .unmasked
    or eax, 1 << 16
.unmasked:
    test esi, 1
    jz .high_active
    or eax, 1 << 13
.high_active:
    test esi, 2
    jz .rw_only
    or eax, (1 << 12) | (1 << 14)
.rw_only:
    push eax                            ; the low dword
    mov eax, esi
    xor edx, edx
    mov ecx, 24
    div ecx
    lea edi, [0x10 + edx * 2]           ; the entry's low dword register
    mov eax, esi
    xor edx, edx
    mov ecx, RTE_DESTS
    div ecx
    movzx eax, byte [rte_dests + edx]
    shl eax, 24
    or eax, esi                         ; reserved bits 55:32
    mov ecx, eax
    lea eax, [edi + 1]
    mov [IOREGSEL], eax                 ; high dword: the destination
    mov [IOWIN], ecx
    mov [IOREGSEL], edi
    pop eax
    mov [IOWIN], eax                    ; low dword
    mov eax, [IOWIN]
    add dword [accesses], 5
    inc esi
    inc ebp
    cmp ebp, RTE_VECTORS
    jb .vector
    inc ebx
    cmp ebx, 64
    jb .combo

    ; Every redirection register once more, with a random value.
    mov edi, 0x10
.random_rte:
    STEP
    mov [IOREGSEL], edi
    mov [IOWIN], ecx
    mov eax, [IOWIN]
    add dword [accesses], 3
    inc edi
    cmp edi, 0x40
    jb .random_rte

    ; The registers that are not there (0x03-0x0f, 0x40-0xff): each must
    ; read 0 before and after all ones and a random value are written,
    ; and IOREGSEL must read back what selected it.
    mov edi, 0x03
.reserved:
    cmp edi, 0x10
    jne .selected
    mov edi, 0x40
.selected:
    mov [IOREGSEL], edi
    mov eax, [IOREGSEL]
    cmp eax, edi
    je .sel_ok
    inc dword [ioapic_bad]
.sel_ok:
    mov eax, [IOWIN]
    or [ioapic_junk], eax
    mov dword [IOWIN], 0xffffffff
    STEP
    mov [IOWIN], ecx
    mov eax, [IOWIN]
    or [ioapic_junk], eax
    add dword [accesses], 6
    inc edi
    cmp edi, 0x100
    jb .reserved

    ; IOREGSEL with its reserved bits 31:8 set: only 7:0 select.
    mov dword [IOREGSEL], 0xffffff01
    mov eax, [IOREGSEL]
    cmp eax, 0x01
    je .sel_bits_ok
    inc dword [ioapic_bad]
.sel_bits_ok:
    add dword [accesses], 2

    ; ID (writable 27:24), version and arbitration (read-only).
    mov ebx, id_values
.id:
    mov eax, [ebx]
    xor edi, edi
.id_reg:
    mov [IOREGSEL], edi
    mov [IOWIN], eax
    mov edx, [IOWIN]
    add dword [accesses], 3
    inc edi
    cmp edi, 3
    jb .id_reg
    add ebx, 4
    cmp ebx, id_values_end
    jb .id

    ; EOI with every vector, as a dword and as a byte.
    xor eax, eax
.eoi:
    mov [IOAPIC_EOI], eax
    mov [IOAPIC_EOI], al
    add dword [accesses], 2
    inc eax
    cmp eax, 0x100
    jb .eoi

    ; Other offsets of the page, aligned or not: byte, word and dword
    ; reads and writes of random values (those over IOREGSEL, IOWIN and
    ; EOI do what they say).
    xor ebx, ebx
.offset:
    movzx edi, word [narrow_offsets + ebx * 2]
    add edi, IOAPIC
    mov al, [edi]
    STEP
    mov [edi], cl
    mov ax, [edi]
    STEP
    mov [edi], cx
    add dword [accesses], 4
    lea eax, [edi + 4]
    cmp eax, IOAPIC + 0x1000
    ja .no_dword                        ; no access across the page's end
    mov eax, [edi]
    STEP
    mov [edi], ecx
    add dword [accesses], 2
.no_dword:
    inc ebx
    cmp ebx, NARROW_OFFSETS
    jb .offset

    ; Pin 2, where the PIT's IRQ 0 arrives, is left an NMI to all of its
    ; APICs: the PIT storm below raises it at up to 5 kHz.
    mov dword [IOREGSEL], 0x15
    mov dword [IOWIN], 0xff000000
    mov dword [IOREGSEL], 0x14
    mov dword [IOWIN], RTE_NMI
    add dword [accesses], 4
    ret

; --- 8254: every control word, each followed by counts (1: the fastest
; rate, 0: the longest, 0xff...) to the three counters and reads of all
; four ports; port 0x61 with every value; wide accesses over them. Left
; running: counter 0 in mode 2 with a count of 1 (IRQ 0 as fast as the
; model allows), counter 2 in mode 3 with a count of 1, gate on.
storm_pit:
    xor ebx, ebx                        ; control word
.cmd:
    mov al, bl
    mov dx, 0x43
    OUT8
    xor esi, esi                        ; counter
.counter:
    lea edi, [ebx + esi]
    and edi, PIT_PAIRS - 1
    mov ax, [pit_pairs + edi * 2]
    lea edx, [0x40 + esi]
    OUT8                                ; LSB (or the only byte)
    mov al, ah
    OUT8                                ; MSB (or the next count)
    inc esi
    cmp esi, 3
    jb .counter
    mov dx, 0x40
.read:
    IN8
    inc dx
    cmp dx, 0x44
    jb .read
    inc ebx
    cmp ebx, 0x100
    jb .cmd

    xor ebx, ebx                        ; port 0x61: every value
.p61:
    mov al, bl
    mov dx, 0x61
    OUT8
    IN8
    inc ebx
    cmp ebx, 0x100
    jb .p61

    mov ebx, 64                         ; word and dword accesses over
.wide:                                  ; 0x40-0x43 and 0x61
    STEP
    mov eax, ecx
    mov dx, 0x40
    OUT32
    IN32
    mov dx, 0x42
    OUT16
    IN16
    mov dx, 0x61
    OUT16
    IN16
    IN32
    dec ebx
    jnz .wide

    mov esi, pit_final
.final:
    mov dx, [esi]
    mov al, [esi + 2]
    OUT8
    add esi, 3
    cmp esi, pit_final_end
    jb .final
    mov eax, [accesses]
    sub eax, [n_ioapic]
    mov [n_pit], eax
    ret

; --- 8259 pair: initialisation sequences with garbage words, random
; OCWs and masks, reads of all four ports.
storm_pic:
    mov eax, [accesses]
    push eax
    mov ebx, 256
.round:
    STEP
    mov eax, ecx
    or al, 0x10                         ; ICW1 to the master
    mov dx, 0x20
    OUT8
    mov al, ch                          ; ICW2-ICW4: garbage
    mov dx, 0x21
    OUT8
    shr ecx, 16
    mov al, cl
    OUT8
    mov al, ch
    OUT8
    STEP
    mov eax, ecx                        ; then whatever: OCW2/3 or ICW1
    mov dx, 0xa0
    OUT8
    mov al, ch
    mov dx, 0xa1
    OUT8
    shr ecx, 16
    mov al, cl
    mov dx, 0x20
    OUT8
    mov al, ch
    mov dx, 0xa1
    OUT8
    mov dx, 0x20
    IN8
    mov dx, 0x21
    IN8
    mov dx, 0xa0
    IN8
    mov dx, 0xa1
    IN8
    STEP
    mov eax, ecx                        ; and wider accesses
    mov dx, 0x20
    OUT16
    IN16
    mov dx, 0xa0
    OUT32
    IN32
    dec ebx
    jnz .round
    pop ebx
    mov eax, [accesses]
    sub eax, ebx
    mov [n_pic], eax
    ret

; --- CMOS RTC: every index (bit 7, a PC's NMI mask, set and clear) read,
; written with a random value and read again; then its interrupts all on
; at their fastest (periodic at 8192 Hz, alarm every second, update) and
; register C read again and again, each read letting the next IRQ 8 come,
; which pin 8 makes an NMI. Its own clock and CMOS only: the witness owns
; the machine's and checks that its byte at 0x40 stays.
storm_rtc:
    mov eax, [accesses]
    push eax
    mov dword [IOREGSEL], 0x21          ; pin 8: NMI to all of its APICs
    mov dword [IOWIN], 0xff000000
    mov dword [IOREGSEL], 0x20
    mov dword [IOWIN], RTE_NMI
    add dword [accesses], 4
    xor ebx, ebx
.index:
    mov al, bl
    mov dx, 0x70
    OUT8
    inc dx
    IN8
    STEP
    mov al, cl
    OUT8
    IN8
    inc ebx
    cmp ebx, 0x100
    jb .index
    mov esi, rtc_final
.final:
    mov al, [esi]
    mov dx, 0x70
    OUT8
    mov al, [esi + 1]
    inc dx
    OUT8
    add esi, 2
    cmp esi, rtc_final_end
    jb .final
    mov al, 0x0c                        ; C: reading it lowers IRQF
    mov dx, 0x70
    OUT8
    inc dx
    mov ebx, 1024
.c:
    IN8
    dec ebx
    jnz .c
    pop ebx
    mov eax, [accesses]
    sub eax, ebx
    mov [n_rtc], eax
    ret

; --- PCI configuration mechanism #1: CONFIG_ADDRESS random, all ones,
; with the enable bit clear, or enabled at a random register of a random
; or of the host bridge's function; then byte, word and dword reads and
; writes at 0xcfc-0xcff, aligned or not; byte and word accesses to
; 0xcf8, 0xcfa and 0xcfb and a dword at 0xcfa (0xcf9 is the reset
; control register: left alone).
storm_pci:
    mov eax, [accesses]
    push eax
    xor ebx, ebx
.round:
    STEP
    mov eax, ecx
    mov edx, ebx
    and edx, 3
    jz .address                         ; 0: random
    cmp edx, 1
    jne .not_ones
    mov eax, 0xffffffff                 ; 1: all ones
    jmp .address
.not_ones:
    cmp edx, 2
    jne .host
    and eax, 0x7fffffff                 ; 2: enable bit clear
    jmp .address
.host:
    and eax, 0x00fffffc                 ; 3: enabled, a random bus/device/
    or eax, 0x80000000                  ; function or the host bridge's
    test ebx, 4
    jz .address
    and eax, 0x800000fc
.address:
    mov dx, 0xcf8
    OUT32
    IN32
    mov edi, ebx                        ; a port of CONFIG_DATA
    shr edi, 2
    and edi, 3
    lea edx, [0xcfc + edi]
    IN8
    IN16                                ; at 0xcfd-0xcff it runs past 0xcff
    IN32
    STEP
    mov eax, ecx
    OUT8
    OUT16
    OUT32
    mov dx, 0xcfc
    IN32
    STEP
    mov eax, ecx
    OUT32
    ; CONFIG_ADDRESS at the wrong size: nothing.
    mov edi, ebx
    and edi, 3
    movzx edx, word [pci_odd_ports + edi * 2]
    STEP
    mov eax, ecx
    OUT8
    IN8
    mov dx, 0xcf8
    and eax, ~0x0400                    ; 0xcf9's byte: RST_CPU clear
    OUT16
    IN16
    mov dx, 0xcfa
    OUT16
    OUT32
    IN32
    inc ebx
    cmp ebx, 1024
    jb .round
    pop ebx
    mov eax, [accesses]
    sub eax, ebx
    mov [n_pci], eax
    ret

; --- ACPI PM1a event and control blocks and PM timer (0x600-0x60b):
; random values at random ports of every size, SLP_EN (PM1a_CNT bit 13,
; bit 5 of port 0x605) kept clear; the timer read between them, which
; must never go backwards.
storm_acpi_pm:
    mov eax, [accesses]
    push eax
    mov dx, PM_TMR
    IN32
    mov [pm_last], eax
    mov ebx, 1024
.round:
    STEP
    movzx eax, cl                       ; port 0x600 + (byte 0 mod 12)
    xor edx, edx
    mov edi, 12
    div edi
    lea edi, [0x600 + edx]              ; the port
    mov esi, ecx
    shr esi, 8
    and esi, 3
    movzx esi, byte [pm_sizes + esi]    ; the size
    STEP
    mov eax, ecx                        ; the value
    mov edx, PM1A_CNT_HI
    sub edx, edi                        ; 0x605 is byte edx of the access
    jb .safe
    cmp edx, esi
    jae .safe
    lea ecx, [edx * 8 + 5]
    btr eax, ecx                        ; SLP_EN clear
.safe:
    mov edx, edi
    cmp esi, 2
    je .word
    ja .dword
    OUT8
    IN8
    jmp .timer
.word:
    OUT16
    IN16
    jmp .timer
.dword:
    OUT32
    IN32
.timer:
    mov dx, PM_TMR
    IN32
    cmp eax, [pm_last]
    jae .forward
    inc dword [pm_backwards]
.forward:
    mov [pm_last], eax
    dec ebx
    jnz .round
    pop ebx
    mov eax, [accesses]
    sub eax, ebx
    mov [n_pm], eax
    ret

; --- Ports nothing models that a PC guest touches: each read must give
; all ones before and after a random write (0x92 with bit 0 clear). Then
; pvpanic read and written with its two event bits clear.
storm_legacy:
    mov eax, [accesses]
    push eax
    mov ebx, legacy_ports
.port:
    movzx edx, word [ebx]
    movzx esi, byte [ebx + 2]           ; size
    call legacy_read
    STEP
    mov eax, ecx
    cmp dx, 0x92
    jne .write
    and al, 0xfe                        ; fast reset: never
.write:
    cmp esi, 2
    je .w16
    ja .w32
    OUT8
    jmp .written
.w16:
    OUT16
    jmp .written
.w32:
    OUT32
.written:
    call legacy_read
    add ebx, 3
    cmp ebx, legacy_ports_end
    jb .port

    mov dx, 0x505                       ; pvpanic: reads its events, and
    IN8                                 ; writes without them do nothing
    mov al, 0
    OUT8
    mov al, 0xfc
    OUT8
    mov eax, 0xfffffffc
    OUT32
    IN8
    pop ebx
    mov eax, [accesses]
    sub eax, ebx
    mov [n_legacy], eax
    ret

; DX = port, ESI = size: read it, count a value other than all ones.
legacy_read:
    cmp esi, 2
    je .r16
    ja .r32
    IN8
    cmp al, 0xff
    jmp .check
.r16:
    IN16
    cmp ax, 0xffff
    jmp .check
.r32:
    IN32
    cmp eax, 0xffffffff
.check:
    je .ones
    cmp dword [legacy_bad], 0
    jne .counted
    mov [legacy_bad_port], edx          ; the first one, for the report
    mov [legacy_bad_value], eax
.counted:
    inc dword [legacy_bad]
.ones:
    inc dword [legacy_reads]
    ret

; --- After the storm: its devices still answer as docs/devices.md says.
storm_checks:
    mov dword [IOREGSEL], 0x01          ; I/O APIC version register
    mov eax, [IOWIN]
    mov [ioapic_ver], eax
    cmp eax, IOAPIC_VER
    mov esi, c_ioapic_ver
    call check
    jz .ver_ok
    mov esi, s_read
    call puts
    mov eax, [ioapic_ver]
    call puthex32
    mov esi, s_nl
    call puts
.ver_ok:
    mov dword [IOREGSEL], 0x1a          ; pin 5: a fixed, masked, edge entry
    mov dword [IOWIN], 0x000170f5       ; with delivery status and remote
    mov eax, [IOWIN]                    ; IRR written: both read 0
    cmp eax, 0x000120f5
    jne .rte
    mov dword [IOREGSEL], 0x14          ; pin 2 kept its NMI entry
    mov eax, [IOWIN]
    cmp eax, RTE_NMI
.rte:
    mov esi, c_ioapic_rte
    call check
    mov eax, [ioapic_bad]
    or eax, [ioapic_junk]
    mov esi, c_ioapic_reserved
    call check

    mov dx, 0xcf8                       ; PCI 00:00.0 is still the 82441FX
    mov eax, 0x80000000
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    cmp eax, 0x12378086
    mov esi, c_pci
    call check

    cmp dword [pm_backwards], 0
    mov esi, c_pm_timer
    call check

    cmp dword [legacy_bad], 0
    mov esi, c_legacy
    call check
    jz .legacy_ok
    mov esi, s_port
    call puts
    mov eax, [legacy_bad_port]
    call puthex32
    mov esi, s_reads
    call puts
    mov eax, [legacy_bad_value]
    call puthex32
    mov esi, s_nl
    call puts
.legacy_ok:
    ret

; puthex32: EAX as 8 hex digits. Registers kept.
puthex32:
    pushad
    mov edi, numbuf_end
    mov byte [edi], 0
    mov ecx, 8
.digit:
    mov edx, eax
    and edx, 15
    mov dl, [hexdigits + edx]
    dec edi
    mov [edi], dl
    shr eax, 4
    loop .digit
    mov esi, edi
    call puts
    popad
    ret

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

s_storm:  db "stormed its I/O APIC, PIT, PIC, RTC, PCI and ACPI PM: ", 0
s_storm2: db " accesses", 10, "by device: I/O APIC ", 0
s_storm_pit: db ", PIT ", 0
s_storm_pic: db ", PIC ", 0
s_storm_rtc: db ", RTC ", 0
s_storm_pci: db ", PCI ", 0
s_storm_pm:  db ", ACPI PM ", 0
s_storm_legacy: db ", other ports ", 0
s_storm_nmi: db "; ", 0
s_storm_end: db " NMIs taken", 10, 0
s_read:   db "  it reads 0x", 0
s_port:   db "  port 0x", 0
s_reads:  db " reads 0x", 0
c_ioapic_ver: db "its I/O APIC still answers: version register 0x00170020", 0
c_ioapic_rte: db "its I/O APIC's redirection entries read back (read-only bits clear)", 0
c_ioapic_reserved: db "its I/O APIC's absent registers read 0, IOREGSEL reads back bits 7:0", 0
c_pci:    db "PCI 00:00.0 still reads 8086:1237", 0
c_pm_timer: db "its PM timer never went backwards", 0
c_legacy: db "unmodelled ports read all ones", 0
hexdigits: db "0123456789abcdef"

; The storm's state and counts.
align 4
lfsr:         dd 0x1badf00d
accesses:     dd 0
n_ioapic:     dd 0
n_pit:        dd 0
n_pic:        dd 0
n_rtc:        dd 0
n_pci:        dd 0
n_pm:         dd 0
n_legacy:     dd 0
nmis:         dd 0
ioapic_bad:   dd 0
ioapic_junk:  dd 0
ioapic_ver:   dd 0
pm_last:      dd 0
pm_backwards: dd 0
legacy_bad:   dd 0
legacy_reads: dd 0
legacy_bad_port:  dd 0
legacy_bad_value: dd 0

; Long mode for the 8-byte accesses: the same 0x08 and 0x10 as
; common.inc's GDT and a 64-bit code segment at 0x18.
align 8
lm_gdt:
    dq 0
    dq 0x00cf9a000000ffff
    dq 0x00cf92000000ffff
    dq 0x00af9a000000ffff
lm_gdt_ptr:
    dw 4 * 8 - 1
    dd lm_gdt
lm_back:
    dd lm_compat
    dw 0x08

; I/O APIC page offsets of the 8-byte accesses (none crosses the page).
wide_offsets:
    dw 0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x018, 0x01c, 0x020, 0x038
    dw 0x03c, 0x040, 0x044, 0x048, 0x080, 0x100, 0x400, 0x800, 0xff0, 0xff8
    dw 0x001, 0x002, 0x003, 0x005, 0x00e, 0x00f, 0x011, 0x03d, 0x03f, 0x041
    dw 0xff7
WIDE_OFFSETS equ ($ - wide_offsets) / 2
; ... and of the 1-, 2- and 4-byte ones.
narrow_offsets:
    dw 0x000, 0x001, 0x002, 0x003, 0x004, 0x005, 0x006, 0x007, 0x008, 0x00c
    dw 0x00d, 0x00f, 0x010, 0x011, 0x012, 0x013, 0x014, 0x017, 0x018, 0x01c
    dw 0x020, 0x024, 0x030, 0x03c, 0x03e, 0x03f, 0x040, 0x041, 0x042, 0x043
    dw 0x044, 0x048, 0x050, 0x060, 0x080, 0x0a0, 0x0f0, 0x100, 0x200, 0x400
    dw 0x800, 0xc00, 0xff0, 0xffc, 0xffd, 0xffe
NARROW_OFFSETS equ ($ - narrow_offsets) / 2
rte_vectors:
    db 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff
RTE_VECTORS equ $ - rte_vectors
rte_dests:                              ; broadcast, its own APIC, and IDs
    db 0xff, 0x00, 0x01, 0x0f, 0x7e, 0xfe, 0x80  ; it does not have
RTE_DESTS equ $ - rte_dests
align 4
id_values:
    dd 0xffffffff, 0x0f000000, 0x05000000, 0xf0ffffff, 0x00000000
id_values_end:
; Count bytes to the counters, low byte first: a count of 1 (the fastest
; rate), 0 (the longest), all ones, 2, ...; as one byte each when the
; control word says so.
pit_pairs:
    dw 0x0001, 0x0000, 0xffff, 0x0002, 0x00ff, 0x0101, 0xff00, 0x0100
PIT_PAIRS equ ($ - pit_pairs) / 2
; Port (word), value (byte): what it leaves running.
pit_final:
    dw 0x43
    db 0x34                             ; counter 0: LSB/MSB, mode 2
    dw 0x40
    db 0x01
    dw 0x40
    db 0x00                             ; count 1
    dw 0x43
    db 0x74                             ; counter 1: mode 2, count 1
    dw 0x41
    db 0x01
    dw 0x41
    db 0x00
    dw 0x43
    db 0xb6                             ; counter 2: mode 3, count 1
    dw 0x42
    db 0x01
    dw 0x42
    db 0x00
    dw 0x61
    db 0x03                             ; gate 2 and speaker on
pit_final_end:
; Index, value: what the RTC is left doing.
rtc_final:
    db 0x0a, 0x23                       ; A: divider on, rate 3 (8192 Hz)
    db 0x01, 0xc0                       ; alarm seconds, minutes, hours:
    db 0x03, 0xc0                       ; "don't care", every second
    db 0x05, 0xc0
    db 0x0b, 0x72                       ; B: PIE, AIE, UIE, 24-hour, BCD
rtc_final_end:
pci_odd_ports:
    dw 0xcf8, 0xcfa, 0xcfb, 0xcf8
pm_sizes:
    db 1, 2, 4, 1
; Unmodelled ports (word) and the size (byte) to read and write them at:
; POST code, COM4, COM3, LPT1, floppy (not 0x3f8 on), port A, 0xa20,
; the 8042's data port, QEMU's fw_cfg.
legacy_ports:
%macro LEGACY 2
    dw %1
    db %2
%endmacro
    LEGACY 0x80, 1
    LEGACY 0x80, 2
    LEGACY 0x80, 4
%assign port 0x2e8
%rep 8
    LEGACY port, 1
%assign port port + 1
%endrep
    LEGACY 0x2e8, 2
    LEGACY 0x2ec, 4
%assign port 0x3e8
%rep 8
    LEGACY port, 1
%assign port port + 1
%endrep
    LEGACY 0x3e8, 2
    LEGACY 0x3ec, 4
    LEGACY 0x278, 1
    LEGACY 0x279, 1
    LEGACY 0x27a, 1
    LEGACY 0x278, 2
%assign port 0x3f0
%rep 8
    LEGACY port, 1
%assign port port + 1
%endrep
    LEGACY 0x3f0, 2
    LEGACY 0x3f4, 4
    LEGACY 0x3f6, 2
    LEGACY 0x92, 1
    LEGACY 0xa20, 1
    LEGACY 0x60, 1
    LEGACY 0x510, 2
    LEGACY 0x511, 1
legacy_ports_end:

section .bss
alignb 16
idt:      resb 256 * 8
alignb 4096
scratch:  resb 4096
stack:    resb 4096
stack_top:
alignb 4096
lm_pml4:  resb 4096                     ; long mode's page tables (storm_ioapic_wide)
lm_pdpt:  resb 4096
lm_pd0:   resb 4096
lm_pd3:   resb 4096
