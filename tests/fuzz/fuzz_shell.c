/* Fuzz the operator console's input side: any bytes typed on the serial
 * line are edited into lines and parsed into commands without crashing;
 * a line stays NUL-terminated within its buffer, echo stays short, and a
 * parsed command either names a known kind with a bounded argument or
 * carries an error message. */
#include <hv/shell.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct shell_line l;
    char echo[8];

    shell_line_reset(&l);
    for (size_t i = 0; i < size; i++) {
        enum shell_feed r = shell_line_feed(&l, (char)data[i], echo);
        if (memchr(echo, 0, sizeof(echo)) == NULL || l.len >= SHELL_LINE_MAX)
            __builtin_trap();
        if (r != SHELL_DONE)
            continue;
        if (strlen(l.buf) != l.len)
            __builtin_trap();
        struct shell_cmd c;
        shell_parse(l.buf, &c);
        if (c.kind > SHELL_CMD_BAD || memchr(c.arg, 0, sizeof(c.arg)) == NULL ||
            memchr(c.error, 0, sizeof(c.error)) == NULL)
            __builtin_trap();
        if (c.kind == SHELL_CMD_BAD && !c.error[0])
            __builtin_trap();
        l.len = 0;
    }
    return 0;
}
