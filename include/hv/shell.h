/*
 * The operator console (docs/console.md). The host serial line carries
 * every guest's output, each line prefixed with the guest's name; what the
 * operator types goes to the hypervisor shell, or to one guest's virtual
 * UART after `console NAME`. Ctrl-] (0x1d) always returns to the shell.
 *
 * shell_line_* and shell_parse are pure (mgmt/shell_parse.c, unit-tested);
 * shell_poll is the hypervisor's side (mgmt/shell.c).
 */
#ifndef HV_SHELL_H
#define HV_SHELL_H

#include <hv/compiler.h>

#define SHELL_ESCAPE    0x1d    /* Ctrl-]: back to the shell */
#define SHELL_LINE_MAX  80

/* Line editing: printable characters, backspace/DEL, Ctrl-U, CR or LF. */
struct shell_line {
    char buf[SHELL_LINE_MAX];
    unsigned len;
    bool last_cr;               /* CR LF counts as one end of line */
};

enum shell_feed {
    SHELL_MORE = 0,             /* keep typing; `echo` says what to print */
    SHELL_DONE,                 /* a complete line is in buf (NUL-terminated) */
};

/* Feed one byte; writes what to echo (at most 8 bytes, NUL-terminated). */
enum shell_feed shell_line_feed(struct shell_line *l, char c, char echo[8]);
void shell_line_reset(struct shell_line *l);

enum shell_cmd_kind {
    SHELL_CMD_NONE = 0,         /* empty line */
    SHELL_CMD_HELP,
    SHELL_CMD_LIST,
    SHELL_CMD_STATS,
    SHELL_CMD_STOP,
    SHELL_CMD_START,
    SHELL_CMD_RESTART,
    SHELL_CMD_CONSOLE,
    SHELL_CMD_BAD,              /* `error` says why */
};

struct shell_cmd {
    enum shell_cmd_kind kind;
    char arg[32];               /* the guest name, for commands that take one */
    char error[64];
};

/* Split a line into a command and its guest name, checking the count. */
void shell_parse(const char *line, struct shell_cmd *cmd);

/* mgmt/shell.c: read the serial line and act on it (the console CPU
 * calls this from its run loop, plugged in by mgmt_init). */
void shell_poll(void);

#endif
