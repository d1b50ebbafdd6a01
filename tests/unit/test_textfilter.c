/* Guest text for the operator's terminal (lib/textfilter.c): no control
 * byte of any kind gets through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/textfilter.h>

static void test_every_byte(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++) {
        int r = text_filter_byte((uint8_t)c);
        if (c == '\n')
            assert_int_equal(r, TEXT_EOL);
        else if (c == '\r')
            assert_int_equal(r, TEXT_NONE);
        else if (c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0xa0)
            assert_int_equal(r, (int)c);
        else
            assert_int_equal(r, '?');
        /* Whatever is shown is never a control byte itself. */
        if (r >= 0) {
            assert_true(r == '\t' || (r >= 0x20 && r != 0x7f));
            assert_false(r >= 0x80 && r <= 0x9f);
        }
    }
}

static void test_named_controls(void **state)
{
    (void)state;
    assert_int_equal(text_filter_byte(0x1b), '?');      /* ESC */
    assert_int_equal(text_filter_byte(0x07), '?');      /* BEL */
    assert_int_equal(text_filter_byte(0x08), '?');      /* BS */
    assert_int_equal(text_filter_byte(0x00), '?');
    assert_int_equal(text_filter_byte(0x7f), '?');      /* DEL */
    assert_int_equal(text_filter_byte(0x80), '?');      /* first C1 */
    assert_int_equal(text_filter_byte(0x9b), '?');      /* CSI */
    assert_int_equal(text_filter_byte(0x9d), '?');      /* OSC */
    assert_int_equal(text_filter_byte(0x9f), '?');      /* last C1 (APC) */
    assert_int_equal(text_filter_byte(0xa0), 0xa0);     /* NBSP: printable */
    assert_int_equal(text_filter_byte(0xe9), 0xe9);     /* e acute in Latin-1 */
    assert_int_equal(text_filter_byte('\t'), '\t');
    assert_int_equal(text_filter_byte('~'), '~');
    assert_int_equal(text_filter_byte(' '), ' ');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_named_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
