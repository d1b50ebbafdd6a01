/*
 * What reaches the operator's terminal of text a guest writes
 * (lib/textfilter.c, pure; docs/console.md "Output"). A guest's bytes are
 * shown only if no terminal can take them for a command: printable ASCII,
 * tab, and 0xa0-0xff (Latin-1 letters; in a UTF-8 terminal at worst an
 * invalid sequence, never a C1 control, since those are C2 80-9F and
 * 0x80-0x9f never passes). Every other control byte, C0 but tab and the
 * line ending, DEL (0x7f) and C1 (0x80-0x9f, among them 0x9b, the 8-bit
 * CSI), is shown as '?': it is visible that something was there, and the
 * line keeps its length.
 */
#ifndef HV_TEXTFILTER_H
#define HV_TEXTFILTER_H

#include <hv/compiler.h>

#define TEXT_EOL   (-1)     /* '\n': the line ends */
#define TEXT_NONE  (-2)     /* '\r': part of a line ending, nothing to show */
#define TEXT_SHOWN_FOR_CONTROL '?'

/* The byte to show for c, TEXT_EOL or TEXT_NONE. */
int text_filter_byte(uint8_t c);

#endif
