; xsetbv: XSETBV at CPL 0 by the rules of SDM Vol. 1 13.3 and Vol. 2D
; (xsetbv.cfg: one guest pinned to CPU 0, one to CPU 1). With
; CR4.OSXSAVE clear it raises #UD. Valid values (3, 7, 0xe7 when the CPU
; has AVX-512, 1) are accepted, XGETBV reads them back and they take
; effect: AVX instructions raise #UD under XCR0 = 3 and run under 7,
; AVX-512 ones raise #UD under 7 and run under 0xe7, and CPUID.(EAX=0DH,
; ECX=0):EBX gives the XSAVE area size for the XCR0 now enabled. Invalid
; ones raise #GP and leave XCR0 as it was: ECX other than 0, the x87 bit
; clear, AVX without SSE, a bit the CPU does not support, a supervisor
; state bit, AVX-512 bits not all set or set without AVX. CPUID.1:ECX.
; OSXSAVE follows CR4.OSXSAVE. Command line: "invalid-first" tries the
; invalid values before the valid ones (the default is the other order).
bits 32

%include "multiboot.inc"
MULTIBOOT_HEADER 0

%define CR4_OSFXSR  (1 << 9)
%define CR4_OSXSAVE (1 << 18)

section .text
global _start
_start:
    mov esp, stack_top
    test dword [ebx], 1 << 2
    jz .no_cmdline
    mov eax, [ebx + 16]
    mov [cmdline], eax
.no_cmdline:
    call setup_tables
    mov esi, s_hello
    call puts

    mov eax, 1
    cpuid
    test ecx, 1 << 26
    jnz .xsave
    mov esi, s_no_xsave
    call puts
    inc dword [failures]
    jmp finish
.xsave:
    test ecx, 1 << 28
    setnz [has_avx]
    mov eax, 0xd
    xor ecx, ecx
    cpuid
    mov [sup_lo], eax
    mov [sup_hi], edx
    test eax, 4
    jnz .avx_state
    mov byte [has_avx], 0
.avx_state:
    mov eax, 7
    xor ecx, ecx
    cpuid
    test ebx, 1 << 16
    jz .no512
    mov eax, [sup_lo]
    and eax, 0xe0
    cmp eax, 0xe0
    jne .no512
    cmp byte [has_avx], 0
    je .no512
    mov byte [has_512], 1
.no512:
    mov esi, s_support
    call puts
    mov eax, [sup_lo]
    call puthex32
    mov esi, s_avx512_no
    cmp byte [has_512], 0
    je .say512
    mov esi, s_avx512_yes
.say512:
    call puts

    ; CR4.OSXSAVE clear: #UD, and CPUID says OSXSAVE = 0.
    mov eax, cr4
    and eax, ~CR4_OSXSAVE
    or eax, CR4_OSFXSR
    mov cr4, eax
    xor ecx, ecx
    mov eax, 3
    xor edx, edx
    call try_xsetbv
    cmp dword [last_vector], 6
    mov esi, c_ud
    call check
    mov eax, 1
    cpuid
    test ecx, 1 << 27
    mov esi, c_cpuid_off
    call check

    mov eax, cr4
    or eax, CR4_OSXSAVE
    mov cr4, eax
    mov eax, 1
    cpuid
    test ecx, 1 << 27
    setz al
    cmp al, 0
    mov esi, c_cpuid_on
    call check
    xor ecx, ecx
    xgetbv
    cmp eax, 1
    jne .start_xcr0
    test edx, edx
.start_xcr0:
    mov esi, c_start
    call check

    mov esi, w_invalid_first
    call find_word
    jc .valid_first
    call invalid_values
    call valid_values
    jmp .done
.valid_first:
    call valid_values
    call invalid_values
.done:
    mov esi, s_done
    call puts
    jmp finish

; ---- valid values ----
valid_values:
    mov esi, s_valid
    call puts
    ; 3: x87 and SSE. AVX instructions raise #UD.
    mov eax, 3
    call set_valid
    mov dword [last_vector], 0
    mov dword [skip_len], .avx3_end - .avx3
.avx3:
    vxorps ymm0, ymm0, ymm0
.avx3_end:
    cmp dword [last_vector], 6
    mov esi, c_avx_ud
    call check
    call check_size
    cmp byte [has_avx], 0
    je .back_to_1
    ; 7: AVX runs; AVX-512 raises #UD.
    mov eax, 7
    call set_valid
    mov dword [last_vector], 0
    mov dword [skip_len], .avx7_end - .avx7
.avx7:
    vxorps ymm0, ymm0, ymm0
.avx7_end:
    cmp dword [last_vector], 0
    mov esi, c_avx_runs
    call check
    call check_size
    cmp byte [has_512], 0
    je .back_to_1
    mov dword [last_vector], 0
    mov dword [skip_len], .e7_ud_end - .e7_ud
.e7_ud:
    vpxord zmm0, zmm0, zmm0
.e7_ud_end:
    cmp dword [last_vector], 6
    mov esi, c_512_ud
    call check
    ; 0xe7: AVX-512 runs.
    mov eax, 0xe7
    call set_valid
    mov dword [last_vector], 0
    mov dword [skip_len], .e7_end - .e7
.e7:
    vpxord zmm0, zmm0, zmm0
    kmovw k1, eax
.e7_end:
    cmp dword [last_vector], 0
    mov esi, c_512_runs
    call check
    call check_size
.back_to_1:
    mov eax, 1
    call set_valid
    ret

; set_valid: EAX = XCR0 (EDX = 0); checks it is accepted and reads back.
set_valid:
    mov [value], eax
    xor ecx, ecx
    xor edx, edx
    call try_xsetbv
    cmp dword [last_vector], 0
    jne .report
    xor ecx, ecx
    xgetbv
    cmp eax, [value]
    jne .report
    test edx, edx
.report:
    pushf
    mov esi, s_ok
    jz .ok
    mov esi, s_fail
    inc dword [failures]
.ok:
    call puts
    mov esi, s_xcr0
    call puts
    mov eax, [value]
    call puthex32
    mov esi, s_accepted
    call puts
    popf
    jz .nl
    mov esi, s_vector
    call puts
    mov eax, [last_vector]
    call putdec32
    mov esi, s_xcr0_now
    call puts
    xor ecx, ecx
    xgetbv
    call puthex32
.nl:
    mov esi, s_nl
    call puts
    ret

; check_size: CPUID.(EAX=0DH,ECX=0):EBX is the size of the XSAVE area for
; the XCR0 now set: the largest end of an enabled component (2 and up:
; CPUID.(EAX=0DH,ECX=i) EAX size, EBX offset), at least 512 + 64.
check_size:
    xor ecx, ecx
    xgetbv
    mov [value], eax
    mov edi, 576
    mov esi, 2
.comp:
    bt [value], esi
    jnc .next
    mov eax, 0xd
    mov ecx, esi
    cpuid
    add eax, ebx
    cmp eax, edi
    jbe .next
    mov edi, eax
.next:
    inc esi
    cmp esi, 32
    jb .comp
    mov [expect_size], edi
    mov eax, 0xd
    xor ecx, ecx
    cpuid
    mov [got_size], ebx
    cmp ebx, [expect_size]
    pushf
    mov esi, s_ok
    jz .ok
    mov esi, s_fail
    inc dword [failures]
.ok:
    call puts
    mov esi, s_size
    call puts
    mov eax, [value]
    call puthex32
    mov esi, s_size2
    call puts
    mov eax, [got_size]
    call putdec32
    mov esi, s_size3
    call puts
    mov eax, [expect_size]
    call putdec32
    mov esi, s_close
    call puts
    popf
    ret

; ---- invalid values ----
invalid_values:
    mov esi, s_invalid
    call puts
    mov eax, 3                          ; a known valid value to start from
    cmp byte [has_avx], 0
    je .base
    mov eax, 7
.base:
    xor ecx, ecx
    xor edx, edx
    call try_xsetbv
    mov ebx, invalid_table
.next:
    cmp dword [ebx], 0xffffffff
    je .unsupported
    mov eax, [ebx + 16]                 ; needs AVX-512?
    test eax, eax
    jz .try
    cmp byte [has_512], 0
    je .skip
.try:
    mov ecx, [ebx]
    mov eax, [ebx + 4]
    mov edx, [ebx + 8]
    mov esi, [ebx + 12]
    call expect_gp
.skip:
    add ebx, 20
    jmp .next
.unsupported:
    ; The lowest bit from 9 up the CPU does not support in XCR0.
    mov ecx, 9
.bit:
    bt [sup_lo], ecx
    jnc .found
    inc ecx
    cmp ecx, 32
    jb .bit
    ret
.found:
    mov eax, 1
    shl eax, cl
    or eax, 3
    xor edx, edx
    xor ecx, ecx
    mov esi, c_unsupported
    call expect_gp
    ret

; expect_gp: ECX, EDX:EAX, ESI = description: XSETBV raises #GP and XCR0
; stays.
expect_gp:
    push esi
    push eax
    push ecx
    push edx
    xor ecx, ecx
    xgetbv
    mov [before], eax
    mov [before + 4], edx
    pop edx
    pop ecx
    pop eax
    call try_xsetbv
    xor ecx, ecx
    xgetbv
    cmp eax, [before]
    jne .result
    cmp edx, [before + 4]
    jne .result
    cmp dword [last_vector], 13
.result:
    pop esi
    pushf
    mov [desc], esi
    mov esi, s_ok
    jz .ok
    mov esi, s_fail
    inc dword [failures]
.ok:
    call puts
    mov esi, [desc]
    call puts
    mov esi, s_refused
    call puts
    popf
    jz .ret
    mov esi, s_vector
    call puts
    mov eax, [last_vector]
    call putdec32
    mov esi, s_xcr0_now
    call puts
    xor ecx, ecx
    xgetbv
    call puthex32
.ret:
    mov esi, s_nl
    call puts
    ret

; try_xsetbv: ECX, EDX:EAX; last_vector = the fault's vector or 0.
try_xsetbv:
    mov dword [last_vector], 0
    mov dword [skip_len], .end - .insn
.insn:
    xsetbv
.end:
    ret

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

; find_word: ESI = "key"; CF clear if it is on the command line.
find_word:
    mov edi, [cmdline]
    test edi, edi
    jz .no
.try:
    cmp byte [edi], 0
    je .no
    push esi
    push edi
.cmp:
    mov al, [esi]
    test al, al
    jz .found
    cmp al, [edi]
    jne .next
    inc esi
    inc edi
    jmp .cmp
.next:
    pop edi
    pop esi
    inc edi
    jmp .try
.found:
    add esp, 8
    clc
    ret
.no:
    stc
    ret

%include "common.inc"

section .data
; ECX, EAX, EDX, description, needs AVX-512; ends with ECX = -1
invalid_table:
    dd 1, 3, 0, c_ecx1, 0
    dd 0, 0, 0, c_zero, 0
    dd 0, 2, 0, c_two, 0
    dd 0, 5, 0, c_avx_no_sse, 0
    dd 0, 3, 0x80000000, c_bit63, 0
    dd 0, 0x103, 0, c_bit8, 0
    dd 0, 0x27, 0, c_x27, 1
    dd 0, 0x47, 0, c_x47, 1
    dd 0, 0x87, 0, c_x87, 1
    dd 0, 0x67, 0, c_x67, 1
    dd 0, 0xa7, 0, c_xa7, 1
    dd 0, 0xc7, 0, c_xc7, 1
    dd 0, 0xe3, 0, c_xe3, 1
    dd 0xffffffff
w_invalid_first: db "invalid-first", 0
hexdigits:   db "0123456789abcdef"
s_hello:     db "XSETBV at CPL 0: valid values take effect, invalid ones raise #GP", 10, 0
s_no_xsave:  db "FAIL: CPUID.1:ECX.XSAVE is clear", 10, 0
s_support:   db "XCR0 bits the CPU supports (CPUID.(EAX=0DH,ECX=0):EAX): ", 0
s_avx512_yes: db "; AVX-512: yes", 10, 0
s_avx512_no: db "; AVX-512: no", 10, 0
s_valid:     db "valid values", 10, 0
s_invalid:   db "invalid values", 10, 0
c_ud:        db "XSETBV with CR4.OSXSAVE clear raises #UD", 0
c_cpuid_off: db "CPUID.1:ECX.OSXSAVE is clear while CR4.OSXSAVE is", 0
c_cpuid_on:  db "CPUID.1:ECX.OSXSAVE is set once CR4.OSXSAVE is", 0
c_start:     db "XCR0 starts as 1 (x87 only)", 0
c_avx_ud:    db "XCR0 = 0x3: an AVX instruction raises #UD", 0
c_avx_runs:  db "XCR0 = 0x7: an AVX instruction runs", 0
c_512_ud:    db "XCR0 = 0x7: an AVX-512 instruction raises #UD", 0
c_512_runs:  db "XCR0 = 0xe7: AVX-512 instructions run", 0
c_ecx1:      db "XSETBV with ECX = 1 (no such XCR)", 0
c_zero:      db "XCR0 = 0x0 (x87 bit clear)", 0
c_two:       db "XCR0 = 0x2 (x87 bit clear)", 0
c_avx_no_sse: db "XCR0 = 0x5 (AVX without SSE)", 0
c_bit63:     db "XCR0 = 0x8000000000000003 (bit 63, reserved)", 0
c_bit8:      db "XCR0 = 0x103 (bit 8, a supervisor state, never in XCR0)", 0
c_x27:       db "XCR0 = 0x27 (opmask without the ZMM state)", 0
c_x47:       db "XCR0 = 0x47 (ZMM_Hi256 alone)", 0
c_x87:       db "XCR0 = 0x87 (Hi16_ZMM alone)", 0
c_x67:       db "XCR0 = 0x67 (AVX-512 without Hi16_ZMM)", 0
c_xa7:       db "XCR0 = 0xa7 (AVX-512 without ZMM_Hi256)", 0
c_xc7:       db "XCR0 = 0xc7 (AVX-512 without the opmask state)", 0
c_xe3:       db "XCR0 = 0xe3 (AVX-512 without AVX)", 0
c_unsupported: db "XCR0 with the lowest bit from 9 up the CPU does not support", 0
s_refused:   db " raises #GP, XCR0 unchanged", 0
s_vector:    db ": vector ", 0
s_xcr0_now:  db ", XCR0 now ", 0
s_xcr0:      db "XCR0 = ", 0
s_accepted:  db " accepted, XGETBV reads it back", 0
s_size:      db "CPUID.(EAX=0DH,ECX=0):EBX follows XCR0 = ", 0
s_size2:     db " (", 0
s_size3:     db " bytes, expected ", 0
s_close:     db ")", 10, 0
s_done:      db "XSETBV checks done", 10, 0

section .bss
alignb 8
cmdline:     resd 1
sup_lo:      resd 1
sup_hi:      resd 1
value:       resd 1
before:      resd 2
desc:        resd 1
expect_size: resd 1
got_size:    resd 1
has_avx:     resb 1
has_512:     resb 1
alignb 16
idt:         resb 256 * 8
stack:       resb 8192
stack_top:
