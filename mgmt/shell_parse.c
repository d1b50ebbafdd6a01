/* Operator console: line editing and command parsing (include/hv/shell.h).
 * Pure: no hardware, no globals. */
#include <hv/shell.h>
#include <hv/string.h>
#include <hv/fmt.h>

void shell_line_reset(struct shell_line *l)
{
    l->len = 0;
    l->buf[0] = '\0';
    l->last_cr = false;
}

enum shell_feed shell_line_feed(struct shell_line *l, char c, char echo[8])
{
    echo[0] = '\0';
    bool after_cr = l->last_cr;
    l->last_cr = false;
    if (c == '\r' || c == '\n') {
        if (c == '\n' && after_cr)
            return SHELL_MORE;              /* the LF of a CR LF */
        l->last_cr = c == '\r';
        l->buf[l->len] = '\0';
        hv_strlcpy(echo, "\n", 8);
        return SHELL_DONE;
    }
    if (c == '\b' || c == 0x7f) {
        if (l->len) {
            l->len--;
            hv_strlcpy(echo, "\b \b", 8);
        }
        return SHELL_MORE;
    }
    if (c == 0x15) {                        /* Ctrl-U: drop the line */
        l->len = 0;
        hv_strlcpy(echo, " ^U\n", 8);
        return SHELL_MORE;
    }
    if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
        return SHELL_MORE;                  /* other control bytes, 8-bit: ignored */
    if (l->len + 1 >= SHELL_LINE_MAX)
        return SHELL_MORE;                  /* full: the rest of the line is dropped */
    l->buf[l->len++] = c;
    echo[0] = c;
    echo[1] = '\0';
    return SHELL_MORE;
}

static const struct {
    const char *name;
    enum shell_cmd_kind kind;
    bool needs_guest;
} commands[] = {
    { "help", SHELL_CMD_HELP, false },
    { "list", SHELL_CMD_LIST, false },
    { "stats", SHELL_CMD_STATS, true },
    { "stop", SHELL_CMD_STOP, true },
    { "start", SHELL_CMD_START, true },
    { "restart", SHELL_CMD_RESTART, true },
    { "console", SHELL_CMD_CONSOLE, true },
};

/* The next word of s from *pos: its start and length (0 at the end). */
static size_t word(const char *s, size_t *pos, const char **start)
{
    size_t i = *pos;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    *start = s + i;
    size_t n = 0;
    while (s[i + n] && s[i + n] != ' ' && s[i + n] != '\t')
        n++;
    *pos = i + n;
    return n;
}

void shell_parse(const char *line, struct shell_cmd *cmd)
{
    size_t pos = 0;
    const char *w, *a, *extra;
    size_t wn = word(line, &pos, &w);

    *cmd = (struct shell_cmd){ .kind = SHELL_CMD_NONE };
    if (!wn)
        return;
    size_t an = word(line, &pos, &a);
    size_t xn = word(line, &pos, &extra);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (strlen(commands[i].name) != wn || memcmp(commands[i].name, w, wn) != 0)
            continue;
        cmd->kind = SHELL_CMD_BAD;
        if (commands[i].needs_guest && !an) {
            hv_snprintf(cmd->error, sizeof(cmd->error), "%s: which guest? (%s NAME)",
                        commands[i].name, commands[i].name);
        } else if (xn || (!commands[i].needs_guest && an)) {
            hv_snprintf(cmd->error, sizeof(cmd->error), "%s: too many words", commands[i].name);
        } else if (an >= sizeof(cmd->arg)) {
            hv_snprintf(cmd->error, sizeof(cmd->error), "%s: no guest has so long a name",
                        commands[i].name);
        } else {
            cmd->kind = commands[i].kind;
            memcpy(cmd->arg, a, an);
            cmd->arg[an] = '\0';
        }
        return;
    }
    cmd->kind = SHELL_CMD_BAD;
    hv_snprintf(cmd->error, sizeof(cmd->error), "unknown command '%.*s' (try help)",
                (int)(wn > 20 ? 20 : wn), w);
}
