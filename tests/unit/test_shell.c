/* Operator console: line editing and command parsing (mgmt/shell_parse.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <hv/shell.h>

/* Feed a string; returns the number of completed lines, last one in l. */
static int feed(struct shell_line *l, const char *s, char *echoed, size_t cap)
{
    int done = 0;
    char echo[8];
    if (echoed)
        echoed[0] = '\0';
    for (; *s; s++) {
        if (shell_line_feed(l, *s, echo) == SHELL_DONE)
            done++;
        if (echoed)
            strncat(echoed, echo, cap - strlen(echoed) - 1);
    }
    return done;
}

static void test_line_editing(void **state)
{
    (void)state;
    struct shell_line l;
    char echoed[128];
    shell_line_reset(&l);
    assert_int_equal(feed(&l, "lisx\bt\r", echoed, sizeof(echoed)), 1);
    assert_string_equal(l.buf, "list");
    assert_string_equal(echoed, "lisx\b \bt\n");

    /* CR LF is one end of line; a lone LF is one too. */
    shell_line_reset(&l);
    assert_int_equal(feed(&l, "a\r\n", NULL, 0), 1);
    l.len = 0;
    assert_int_equal(feed(&l, "b\n", NULL, 0), 1);
    assert_string_equal(l.buf, "b");

    /* Backspace on an empty line echoes nothing; DEL works like BS. */
    shell_line_reset(&l);
    feed(&l, "\b", echoed, sizeof(echoed));
    assert_string_equal(echoed, "");
    feed(&l, "ab\x7f\r", NULL, 0);
    assert_string_equal(l.buf, "a");

    /* Ctrl-U drops the line; control and 8-bit bytes are ignored. */
    shell_line_reset(&l);
    assert_int_equal(feed(&l, "junk\x15stop a\x01\x80\r", NULL, 0), 1);
    assert_string_equal(l.buf, "stop a");
}

static void test_line_overflow(void **state)
{
    (void)state;
    struct shell_line l;
    char big[200];
    shell_line_reset(&l);
    memset(big, 'x', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\r';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(feed(&l, big, NULL, 0), 1);
    assert_int_equal(strlen(l.buf), SHELL_LINE_MAX - 1);
}

static void test_parse(void **state)
{
    (void)state;
    struct shell_cmd c;
    shell_parse("", &c);
    assert_int_equal(c.kind, SHELL_CMD_NONE);
    shell_parse("   ", &c);
    assert_int_equal(c.kind, SHELL_CMD_NONE);
    shell_parse("list", &c);
    assert_int_equal(c.kind, SHELL_CMD_LIST);
    shell_parse("  stats   web  ", &c);
    assert_int_equal(c.kind, SHELL_CMD_STATS);
    assert_string_equal(c.arg, "web");
    shell_parse("stop a", &c);
    assert_int_equal(c.kind, SHELL_CMD_STOP);
    shell_parse("start a", &c);
    assert_int_equal(c.kind, SHELL_CMD_START);
    shell_parse("restart a", &c);
    assert_int_equal(c.kind, SHELL_CMD_RESTART);
    shell_parse("console rtos", &c);
    assert_int_equal(c.kind, SHELL_CMD_CONSOLE);
    assert_string_equal(c.arg, "rtos");
    shell_parse("help", &c);
    assert_int_equal(c.kind, SHELL_CMD_HELP);
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct shell_cmd c;
    shell_parse("stop", &c);
    assert_int_equal(c.kind, SHELL_CMD_BAD);
    assert_string_equal(c.error, "stop: which guest? (stop NAME)");
    shell_parse("list all", &c);
    assert_int_equal(c.kind, SHELL_CMD_BAD);
    assert_string_equal(c.error, "list: too many words");
    shell_parse("stop a b", &c);
    assert_string_equal(c.error, "stop: too many words");
    shell_parse("frobnicate now", &c);
    assert_string_equal(c.error, "unknown command 'frobnicate' (try help)");
    shell_parse("stopp a", &c);
    assert_int_equal(c.kind, SHELL_CMD_BAD);
    shell_parse("stats aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &c);
    assert_string_equal(c.error, "stats: no guest has so long a name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_editing),
        cmocka_unit_test(test_line_overflow),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
