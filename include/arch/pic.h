#ifndef ARCH_PIC_H
#define ARCH_PIC_H

#define PIC_VECTOR_BASE 0xe0    /* 0xe0-0xef: the masked 8259s' vectors */

/* Remap the 8259 PICs away from the exception vectors and mask them. */
void pic_disable(void);

#endif
