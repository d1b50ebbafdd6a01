; A multiboot (v1) test guest that checks, as an operating system would at
; boot, that CPUID and the MSRs agree (docs/cpu-policy.md): every feature
; bit that names an MSR or an instruction is set exactly when the MSR
; answers (no #GP) or the instruction runs (no #UD); the APIC bit follows
; IA32_APIC_BASE.EN and OSXSAVE follows CR4.OSXSAVE; leaf 0xa shows no PMU;
; and every MSR Linux 6.x reads unconditionally at boot answers. A #GP or
; #UD is recorded and the instruction skipped (common.inc).
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0x00000000

; CPUID(leaf, subleaf) bit REG:BIT -> [adv] = 0/1
%macro ADVERTISED 4
    mov eax, %1
    mov ecx, %2
    cpuid
    bt %3, %4
    setc byte [adv]
%endmacro

; [adv] set exactly when MSR %1 can be read. %2: description.
%macro READABLE_IFF 2
    mov ecx, %1
    call probe_rd
    cmp al, [adv]
    mov esi, %2
    call check
%endmacro

; bit (leaf, subleaf, REG, BIT) set exactly when MSR can be read.
%macro CONSISTENT 6
    ADVERTISED %1, %2, %3, %4
    READABLE_IFF %5, %6
%endmacro

section .text
global _start
_start:
    mov esp, stack_top
    call setup_tables
    mov esi, s_hello
    call puts

    ; What the guest is shown, for the log.
    mov eax, 1
    cpuid
    mov esi, i_leaf1
    call info2                          ; ECX EDX
    mov eax, 7
    xor ecx, ecx
    cpuid
    mov [tmp], edx
    mov edx, ecx
    mov ecx, ebx
    mov esi, i_leaf7
    call info2                          ; EBX ECX
    mov esi, i_leaf7d
    mov ecx, [tmp]
    mov edx, 0
    call info2
    mov eax, 0x80000001
    cpuid
    mov esi, i_ext1
    call info2                          ; ECX EDX

    ; --- Performance monitoring: none, and nothing says otherwise.
    CONSISTENT 1, 0, ecx, 15, 0x345, c_pdcm

    mov eax, 0xa
    xor ecx, ecx
    cpuid
    or eax, ebx
    or eax, ecx
    or eax, edx
    mov esi, c_leafa
    call check

    mov eax, 0xa                        ; a PMU version > 0 needs PMC0 and PERFEVTSEL0
    xor ecx, ecx
    cpuid
    test al, al
    setnz byte [adv]
    READABLE_IFF 0xc1, c_pmc0
    READABLE_IFF 0x186, c_evtsel0

    mov ecx, 0x1a0                      ; MISC_ENABLE.7 "performance monitoring available"
    call probe_rd
    mov eax, [msr_lo]
    bt eax, 7
    setc bl
    cmp bl, [adv]
    mov esi, c_misc_pm
    call check

    ; --- Speculation controls.
    CONSISTENT 7, 0, edx, 29, 0x10a, c_archcap
    ADVERTISED 7, 0, edx, 26            ; IBRS/IBPB, STIBP or SSBD: SPEC_CTRL
    mov al, [adv]
    mov [tmp], al
    ADVERTISED 7, 0, edx, 27
    mov al, [adv]
    or [tmp], al
    ADVERTISED 7, 0, edx, 31
    mov al, [tmp]
    or [adv], al
    READABLE_IFF 0x48, c_specctrl
    ADVERTISED 7, 0, edx, 26            ; IBPB: PRED_CMD is write-only
    mov ecx, 0x49
    call probe_wr0
    cmp al, [adv]
    mov esi, c_predcmd
    call check
    ADVERTISED 7, 0, edx, 28            ; L1D_FLUSH: FLUSH_CMD is write-only
    mov ecx, 0x10b
    call probe_wr0
    cmp al, [adv]
    mov esi, c_flushcmd
    call check
    CONSISTENT 7, 0, edx, 30, 0xcf, c_corecap

    ; --- MTRRs and PAT.
    CONSISTENT 1, 0, edx, 12, 0xfe, c_mtrrcap
    call check_mtrrs
    mov esi, c_mtrrs
    call check
    CONSISTENT 1, 0, edx, 16, 0x277, c_pat

    ; --- Machine check.
    CONSISTENT 1, 0, edx, 14, 0x179, c_mcgcap
    call check_mc_banks
    mov esi, c_mcbanks
    call check
    mov ecx, 0x179                      ; MCG_CAP.MCG_CTL_P <=> IA32_MCG_CTL
    call probe_rd
    mov eax, [msr_lo]
    bt eax, 8
    setc byte [adv]
    READABLE_IFF 0x17b, c_mcgctl

    ; --- APIC: CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN.
    ADVERTISED 1, 0, edx, 9
    cmp byte [adv], 1
    mov esi, c_apic_on
    call check
    mov ecx, 0x1b
    rdmsr
    mov [apic_base], eax
    and eax, ~(1 << 11)
    wrmsr
    ADVERTISED 1, 0, edx, 9
    cmp byte [adv], 0
    mov esi, c_apic_off
    call check
    mov ecx, 0x1b
    mov eax, [apic_base]
    xor edx, edx
    wrmsr
    ADVERTISED 1, 0, edx, 9
    cmp byte [adv], 1
    mov esi, c_apic_back
    call check
    CONSISTENT 1, 0, ecx, 24, 0x6e0, c_tscdl

    ; --- XSAVE: OSXSAVE follows CR4.OSXSAVE, sizes follow XCR0, XSS.
    ADVERTISED 1, 0, ecx, 26
    mov al, [adv]
    mov [has_xsave], al
    ADVERTISED 1, 0, ecx, 27
    cmp byte [adv], 0                   ; CR4.OSXSAVE is clear at boot
    mov esi, c_osxsave_off
    call check
    cmp byte [has_xsave], 0
    je .no_xsave
    mov eax, cr4
    or eax, 1 << 18
    mov cr4, eax
    ADVERTISED 1, 0, ecx, 27
    cmp byte [adv], 1
    mov esi, c_osxsave_on
    call check
    xor ecx, ecx                        ; XGETBV works now: XCR0 = x87 at reset
    xgetbv
    cmp eax, 1
    mov esi, c_xcr0
    call check
    mov eax, 0xd                        ; the XSAVE area for XCR0 = x87: 576 bytes
    xor ecx, ecx
    cpuid
    cmp ebx, 576
    mov esi, c_xsize
    call check
    mov eax, cr4
    and eax, ~(1 << 18)
    mov cr4, eax
    ADVERTISED 1, 0, ecx, 27
    cmp byte [adv], 0
    mov esi, c_osxsave_back
    call check
    CONSISTENT 0xd, 1, eax, 3, 0xda0, c_xss
    jmp .xsave_done
.no_xsave:
    mov esi, s_no_xsave
    call puts
.xsave_done:

    ; --- TSC.
    CONSISTENT 7, 0, ebx, 1, 0x3b, c_tscadj
    ADVERTISED 0x80000001, 0, edx, 27   ; RDTSCP runs exactly when advertised
    mov dword [last_vector], 0
    mov dword [skip_len], .rdtscp_end - .rdtscp
.rdtscp:
    rdtscp
.rdtscp_end:
    cmp dword [last_vector], 6
    setne al
    cmp al, [adv]
    mov esi, c_rdtscp
    call check
    ADVERTISED 7, 0, ecx, 22            ; RDPID
    mov dword [last_vector], 0
    mov dword [skip_len], .rdpid_end - .rdpid
.rdpid:
    rdpid eax
.rdpid_end:
    cmp dword [last_vector], 6
    setne al
    cmp al, [adv]
    mov esi, c_rdpid
    call check
    ADVERTISED 7, 0, ebx, 10            ; INVPCID (type 2: everything)
    mov dword [last_vector], 0
    mov dword [skip_len], .invpcid_end - .invpcid
    mov eax, 2
.invpcid:
    invpcid eax, [invpcid_desc]
.invpcid_end:
    cmp dword [last_vector], 6
    setne al
    cmp al, [adv]
    mov esi, c_invpcid
    call check

    ; --- Thermal and power management (leaf 6, 1:ECX.EST, 1:EDX.ACPI/TM).
    CONSISTENT 6, 0, ecx, 3, 0x1b0, c_epb
    CONSISTENT 6, 0, eax, 0, 0x19c, c_dts
    CONSISTENT 6, 0, ecx, 0, 0xe8, c_aperf
    CONSISTENT 6, 0, eax, 7, 0x770, c_hwp
    CONSISTENT 1, 0, edx, 22, 0x19b, c_acpi
    CONSISTENT 1, 0, ecx, 7, 0x198, c_est

    ; --- Features whose MSRs are not virtualized.
    CONSISTENT 1, 0, edx, 21, 0x600, c_ds
    CONSISTENT 1, 0, ecx, 11, 0xc80, c_sdbg
    CONSISTENT 1, 0, ecx, 18, 0x1f8, c_dca
    CONSISTENT 7, 0, ebx, 14, 0xd90, c_mpx
    CONSISTENT 7, 0, ebx, 25, 0x570, c_pt
    CONSISTENT 7, 0, ecx, 7, 0x6a0, c_cet
    CONSISTENT 7, 0, ecx, 5, 0xe1, c_waitpkg

    ADVERTISED 1, 0, ecx, 3             ; MONITOR/MWAIT would stop the guest
    cmp byte [adv], 0
    mov esi, c_monitor
    call check
    mov ecx, 0x1a0                      ; and MISC_ENABLE.18 agrees
    call probe_rd
    bt dword [msr_lo], 18
    setc al
    cmp al, [adv]
    mov esi, c_misc_mon
    call check

    mov dword [tmp], 0                  ; SGX and PT leaves empty when hidden
    xor eax, eax
    cpuid
    cmp eax, 0x14                       ; (beyond the highest leaf they are not theirs)
    jb .sgxpt
    mov eax, 0x12
    xor ecx, ecx
    cpuid
    or eax, ebx
    or eax, ecx
    or eax, edx
    mov [tmp], eax
    mov eax, 0x14
    xor ecx, ecx
    cpuid
    or eax, ebx
    or eax, ecx
    or eax, edx
    or [tmp], eax
.sgxpt:
    cmp dword [tmp], 0
    mov esi, c_sgxpt
    call check

    mov eax, 1                          ; leaf 0xb's x2APIC ID is the APIC ID
    cpuid
    shr ebx, 24
    mov [tmp], ebx
    mov eax, 0xb
    xor ecx, ecx
    cpuid
    cmp edx, [tmp]
    mov esi, c_x2apicid
    call check

    ; --- What Linux reads without asking CPUID first.
    mov ecx, 0x8b                       ; microcode revision: write 0, CPUID, read
    xor eax, eax
    xor edx, edx
    wrmsr
    mov eax, 1
    cpuid
    mov ecx, 0x8b
    call probe_rd
    cmp al, 1
    mov esi, c_ucode
    call check

    mov esi, boot_msrs
.boot_msr:
    mov ecx, [esi]
    test ecx, ecx
    jz .boot_done
    push esi
    call probe_rd
    cmp al, 1
    mov esi, [esp]
    mov esi, [esi + 4]
    call check
    pop esi
    add esi, 8
    jmp .boot_msr
.boot_done:

    mov esi, s_done
    call puts
    jmp finish

; ECX = MSR -> EAX = 1 if RDMSR did not fault (value in msr_lo/msr_hi).
probe_rd:
    mov dword [last_vector], 0
    mov dword [skip_len], 2
    rdmsr
    mov [msr_lo], eax
    mov [msr_hi], edx
    xor eax, eax
    cmp dword [last_vector], 13
    setne al
    ret

; ECX = MSR -> EAX = 1 if WRMSR of 0 did not fault.
probe_wr0:
    mov dword [last_vector], 0
    mov dword [skip_len], 2
    xor eax, eax
    xor edx, edx
    wrmsr
    cmp dword [last_vector], 13
    setne al
    ret

; With MTRRs advertised: every variable pair MTRRCAP counts and the fixed
; ranges (if MTRRCAP.FIX) read, the next variable MSR does not. ZF=1: ok.
check_mtrrs:
    ADVERTISED 1, 0, edx, 12
    cmp byte [adv], 0
    je .ok
    mov ecx, 0xfe
    call probe_rd
    mov eax, [msr_lo]
    movzx ebx, al                       ; VCNT
    mov [tmp], eax
    test ebx, ebx
    jz .bad
    lea edi, [0x200 + ebx * 2]
    mov ecx, 0x200
.var:
    push ecx
    call probe_rd
    pop ecx
    test eax, eax
    jz .bad
    inc ecx
    cmp ecx, edi
    jb .var
    call probe_rd                       ; one past the last pair
    test eax, eax
    jnz .bad
    test dword [tmp], 1 << 8            ; FIX
    jz .ok
    mov esi, fixed_mtrrs
.fix:
    mov ecx, [esi]
    test ecx, ecx
    jz .ok
    call probe_rd
    test eax, eax
    jz .bad
    add esi, 4
    jmp .fix
.ok:
    xor eax, eax                        ; ZF=1
    ret
.bad:
    or eax, 1                           ; ZF=0
    ret

; With MCA advertised: MCi_CTL..MCi_MISC of every bank MCG_CAP counts
; read, the next bank's MCi_CTL does not. ZF=1: ok.
check_mc_banks:
    ADVERTISED 1, 0, edx, 14
    cmp byte [adv], 0
    je .ok
    mov ecx, 0x179
    call probe_rd
    movzx ebx, byte [msr_lo]            ; bank count
    lea edi, [0x400 + ebx * 4]
    mov ecx, 0x400
.bank:
    cmp ecx, edi
    jae .next
    push ecx
    call probe_rd
    pop ecx
    test eax, eax
    jz .bad
    inc ecx
    jmp .bank
.next:
    call probe_rd
    test eax, eax
    jnz .bad
.ok:
    xor eax, eax
    ret
.bad:
    or eax, 1
    ret

; "info: WHAT ECX=xxxxxxxx EDX=xxxxxxxx" with ESI = WHAT.
info2:
    push esi
    mov esi, s_info
    call puts
    pop esi
    call puts
    mov eax, ecx
    call puthex
    mov esi, s_space
    call puts
    mov eax, edx
    call puthex
    mov esi, s_nl
    call puts
    ret

; EAX as 8 hex digits.
puthex:
    pushad
    mov edi, hexbuf
    mov ecx, 8
.digit:
    rol eax, 4
    mov ebx, eax
    and ebx, 15
    mov bl, [hexdigits + ebx]
    mov [edi], bl
    inc edi
    loop .digit
    mov byte [edi], 0
    mov esi, hexbuf
    call puts
    popad
    ret

%include "common.inc"

section .data
align 4
; MSRs Linux 6.x reads (or writes and reads back) at boot whatever CPUID
; says, with the check each one is.
boot_msrs:
    dd 0x10, c_m_tsc
    dd 0x17, c_m_platid
    dd 0x1b, c_m_apicbase
    dd 0x3a, c_m_featctl
    dd 0xce, c_m_platinfo
    dd 0x1a0, c_m_misc
    dd 0x174, c_m_sysenter_cs
    dd 0x175, c_m_sysenter_esp
    dd 0x176, c_m_sysenter_eip
    dd 0x17a, c_m_mcgstatus
    dd 0x1d9, c_m_debugctl
    dd 0x2ff, c_m_deftype
    dd 0xc0000080, c_m_efer
    dd 0xc0000100, c_m_fsbase
    dd 0xc0000101, c_m_gsbase
    dd 0, 0
fixed_mtrrs:
    dd 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f, 0
align 16
invpcid_desc: dq 0, 0

s_hello:        db "cpupolicy: CPUID against MSRs and instructions", 10, 0
s_info:         db "info: ", 0
s_space:        db " ", 0
i_leaf1:        db "CPUID.1 ECX EDX ", 0
i_leaf7:        db "CPUID.7.0 EBX ECX ", 0
i_leaf7d:       db "CPUID.7.0 EDX ", 0
i_ext1:         db "CPUID.80000001 ECX EDX ", 0
hexdigits:      db "0123456789abcdef"
s_no_xsave:     db "info: no XSAVE: OSXSAVE and XSS checks skipped", 10, 0
s_done:         db "all checks done", 10, 0

c_pdcm:         db "PDCM matches IA32_PERF_CAPABILITIES", 0
c_leafa:        db "CPUID leaf 0xa is empty (no PMU)", 0
c_pmc0:         db "PMU version matches IA32_PMC0", 0
c_evtsel0:      db "PMU version matches IA32_PERFEVTSEL0", 0
c_misc_pm:      db "MISC_ENABLE performance monitoring bit matches leaf 0xa", 0
c_archcap:      db "ARCH_CAPABILITIES bit matches IA32_ARCH_CAPABILITIES", 0
c_specctrl:     db "IBRS/STIBP/SSBD bits match IA32_SPEC_CTRL", 0
c_predcmd:      db "IBPB bit matches IA32_PRED_CMD", 0
c_flushcmd:     db "L1D_FLUSH bit matches IA32_FLUSH_CMD", 0
c_corecap:      db "CORE_CAPABILITIES bit matches MSR 0xcf", 0
c_mtrrcap:      db "MTRR bit matches IA32_MTRRCAP", 0
c_mtrrs:        db "every MTRR that MTRRCAP announces reads, the next one faults", 0
c_pat:          db "PAT bit matches IA32_PAT", 0
c_mcgcap:       db "MCA bit matches IA32_MCG_CAP", 0
c_mcbanks:      db "every bank MCG_CAP counts reads, the next one faults", 0
c_mcgctl:       db "MCG_CAP.MCG_CTL_P matches IA32_MCG_CTL", 0
c_apic_on:      db "APIC bit set while IA32_APIC_BASE.EN is set", 0
c_apic_off:     db "APIC bit clear after clearing IA32_APIC_BASE.EN", 0
c_apic_back:    db "APIC bit set again with IA32_APIC_BASE.EN", 0
c_tscdl:        db "TSC-deadline bit matches IA32_TSC_DEADLINE", 0
c_osxsave_off:  db "OSXSAVE clear while CR4.OSXSAVE is clear", 0
c_osxsave_on:   db "OSXSAVE set after setting CR4.OSXSAVE", 0
c_xcr0:         db "XGETBV: XCR0 is x87 only at reset", 0
c_xsize:        db "CPUID 0xd: 576-byte XSAVE area for XCR0 = x87", 0
c_osxsave_back: db "OSXSAVE clear again after clearing CR4.OSXSAVE", 0
c_xss:          db "XSAVES bit matches IA32_XSS", 0
c_tscadj:       db "TSC_ADJUST bit matches IA32_TSC_ADJUST", 0
c_rdtscp:       db "RDTSCP bit matches the instruction", 0
c_rdpid:        db "RDPID bit matches the instruction", 0
c_invpcid:      db "INVPCID bit matches the instruction", 0
c_epb:          db "EPB bit matches IA32_ENERGY_PERF_BIAS", 0
c_dts:          db "thermal sensor bit matches IA32_THERM_STATUS", 0
c_aperf:        db "APERF/MPERF bit matches IA32_APERF", 0
c_hwp:          db "HWP bit matches IA32_PM_ENABLE", 0
c_acpi:         db "ACPI bit matches IA32_THERM_INTERRUPT", 0
c_est:          db "EST bit matches IA32_PERF_STATUS", 0
c_ds:           db "DS bit matches IA32_DS_AREA", 0
c_sdbg:         db "SDBG bit matches IA32_DEBUG_INTERFACE", 0
c_dca:          db "DCA bit matches IA32_PLATFORM_DCA_CAP", 0
c_mpx:          db "MPX bit matches IA32_BNDCFGS", 0
c_pt:           db "Intel PT bit matches IA32_RTIT_CTL", 0
c_cet:          db "CET_SS bit matches IA32_U_CET", 0
c_waitpkg:      db "WAITPKG bit matches IA32_UMWAIT_CONTROL", 0
c_monitor:      db "MONITOR/MWAIT hidden", 0
c_misc_mon:     db "MISC_ENABLE MONITOR bit matches CPUID", 0
c_sgxpt:        db "SGX and PT leaves 0x12 and 0x14 are empty", 0
c_x2apicid:     db "leaf 0xb x2APIC ID matches the APIC ID of leaf 1", 0
c_ucode:        db "IA32_UCODE_REV reads after writing 0", 0
c_m_tsc:        db "Linux boot MSR IA32_TIME_STAMP_COUNTER reads", 0
c_m_platid:     db "Linux boot MSR IA32_PLATFORM_ID reads", 0
c_m_apicbase:   db "Linux boot MSR IA32_APIC_BASE reads", 0
c_m_featctl:    db "Linux boot MSR IA32_FEATURE_CONTROL reads", 0
c_m_platinfo:   db "Linux boot MSR PLATFORM_INFO reads", 0
c_m_misc:       db "Linux boot MSR IA32_MISC_ENABLE reads", 0
c_m_sysenter_cs: db "Linux boot MSR IA32_SYSENTER_CS reads", 0
c_m_sysenter_esp: db "Linux boot MSR IA32_SYSENTER_ESP reads", 0
c_m_sysenter_eip: db "Linux boot MSR IA32_SYSENTER_EIP reads", 0
c_m_mcgstatus:  db "Linux boot MSR IA32_MCG_STATUS reads", 0
c_m_debugctl:   db "Linux boot MSR IA32_DEBUGCTL reads", 0
c_m_deftype:    db "Linux boot MSR IA32_MTRR_DEF_TYPE reads", 0
c_m_efer:       db "Linux boot MSR IA32_EFER reads", 0
c_m_fsbase:     db "Linux boot MSR IA32_FS_BASE reads", 0
c_m_gsbase:     db "Linux boot MSR IA32_GS_BASE reads", 0

section .bss
alignb 16
idt:        resb 256 * 8
tmp:        resd 1
msr_lo:     resd 1
msr_hi:     resd 1
apic_base:  resd 1
adv:        resb 1
has_xsave:  resb 1
hexbuf:     resb 12
alignb 16
stack:      resb 8192
stack_top:
