; GRUB's ASCII Unifont (grub-common), read by lib/pf2.c for the
; framebuffer console.
section .rodata
global font_pf2, font_pf2_end
font_pf2:
    incbin "/usr/share/grub/ascii.pf2"
font_pf2_end:
section .note.GNU-stack noalloc noexec nowrite progbits
