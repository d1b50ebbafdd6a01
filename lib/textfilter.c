/* Guest text made safe for the operator's terminal (include/hv/textfilter.h).
 * Pure. C0, DEL and C1 as in ECMA-48 (ISO 6429) section 5. */
#include <hv/textfilter.h>

int text_filter_byte(uint8_t c)
{
    if (c == '\n')
        return TEXT_EOL;
    if (c == '\r')
        return TEXT_NONE;
    if (c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0xa0)
        return c;
    return TEXT_SHOWN_FOR_CONTROL;     /* C0, DEL, C1 */
}
