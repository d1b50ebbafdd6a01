/* Configuration parser: valid files, and every malformed form named with
 * its file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include <hv/config.h>

struct errs {
    int n;
    char msg[8][256];
};

static void collect(void *ctx, const char *msg)
{
    struct errs *e = ctx;
    if (e->n < 8)
        snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
    e->n++;
}

static int parse(const char *text, struct hv_config *cfg, struct errs *e)
{
    memset(e, 0, sizeof(*e));
    config_defaults(cfg);
    return config_parse(text, strlen(text), "hv.cfg", cfg, collect, e);
}

static void test_defaults_and_empty(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("", &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_POWEROFF);
    assert_false(cfg.test_exits);
    assert_int_equal(parse("# only a comment\n\n   \n", &cfg, &e), 0);
}

static void test_valid(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    const char *text =
        "; example\n"
        "[hypervisor]\n"
        "on_idle = halt          # stop quietly\n"
        "test_exits=yes\r\n";
    assert_int_equal(parse(text, &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_HALT);
    assert_true(cfg.test_exits);

    assert_int_equal(parse("[ hypervisor ]\non_idle = reboot\ntest_exits = off", &cfg, &e), 0);
    assert_int_equal(cfg.on_idle, ON_IDLE_REBOOT);
    assert_false(cfg.test_exits);
}

static void test_errors_name_line(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    const char *text =
        "[hypervisor]\n"
        "on_idle = sleep\n"
        "colour = blue\n"
        "test_exits = maybe\n"
        "just words\n"
        "= 3\n"
        "on_idle =\n";
    assert_int_equal(parse(text, &cfg, &e), 6);
    assert_string_equal(e.msg[0], "hv.cfg:2: on_idle: 'sleep' is not poweroff, halt or reboot");
    assert_string_equal(e.msg[1], "hv.cfg:3: unknown key 'colour' in [hypervisor]");
    assert_string_equal(e.msg[2], "hv.cfg:4: test_exits: 'maybe' is not yes or no");
    assert_string_equal(e.msg[3], "hv.cfg:5: expected 'key = value' or '[section]'");
    assert_string_equal(e.msg[4], "hv.cfg:6: missing key before '='");
    assert_string_equal(e.msg[5], "hv.cfg:7: on_idle: missing value");
    /* the bad values left the defaults in place */
    assert_int_equal(cfg.on_idle, ON_IDLE_POWEROFF);
    assert_false(cfg.test_exits);
}

static void test_sections(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    assert_int_equal(parse("on_idle = halt\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: 'on_idle' outside any section");

    /* keys of an unknown section are not reported again */
    assert_int_equal(parse("[network]\nip = 1\nmask = 2\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: unknown section [network]");

    assert_int_equal(parse("[hypervisor\n", &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: malformed section header (expected [name])");
}

static void test_hostile_bytes(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct errs e;
    char text[2048];

    /* an embedded NUL inside the given length, a line too long */
    const char nul[] = "[hypervisor]\non_\0idle = halt\n";
    memset(&e, 0, sizeof(e));
    config_defaults(&cfg);
    assert_int_equal(config_parse(nul, sizeof(nul) - 1, "x.cfg", &cfg, collect, &e), 1);
    assert_string_equal(e.msg[0], "x.cfg:2: control character in line");

    memset(text, 'a', sizeof(text));
    text[sizeof(text) - 1] = 0;
    assert_int_equal(parse(text, &cfg, &e), 1);
    assert_string_equal(e.msg[0], "hv.cfg:1: line longer than 512 characters");

    /* no trailing newline, no callback: still counted */
    config_defaults(&cfg);
    assert_int_equal(config_parse("[x", 2, "y.cfg", &cfg, NULL, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_empty),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors_name_line),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_hostile_bytes),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
