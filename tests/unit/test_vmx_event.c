/* Re-injection decisions after an exit during event delivery
 * (vmx/event.c; SDM Vol. 3C 27.2.4, 28.2.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/vmx_event.h>
#include <arch/vmcs.h>

static void test_nothing_to_do(void **state)
{
    (void)state;
    struct vmx_reinject r;
    assert_false(vmx_reinject_decide(0, 0, &r));
    assert_false(vmx_reinject_decide(0x30, 0, &r));            /* not valid */
}

static void test_external_interrupt(void **state)
{
    (void)state;
    struct vmx_reinject r;
    uint32_t idt = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x30 | (1u << 12);
    assert_true(vmx_reinject_decide(idt, 0, &r));
    assert_int_equal(r.info, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x30);   /* bit 12 gone */
    assert_false(r.error_code);
    assert_false(r.insn_len);
    assert_true(r.wake);
}

static void test_exception_with_error_code(void **state)
{
    (void)state;
    struct vmx_reinject r;
    uint32_t idt = INTR_INFO_VALID | INTR_TYPE_HW_EXC | INTR_INFO_DELIVER_CODE | 14;
    assert_true(vmx_reinject_decide(idt, 0, &r));
    assert_int_equal(r.info, idt);
    assert_true(r.error_code);
    assert_false(r.insn_len);
    assert_false(r.wake);
}

static void test_software_interrupt_needs_length(void **state)
{
    (void)state;
    struct vmx_reinject r;
    assert_true(vmx_reinject_decide(INTR_INFO_VALID | INTR_TYPE_SW_INTR | 0x80, 0, &r));
    assert_true(r.insn_len);
    assert_true(vmx_reinject_decide(INTR_INFO_VALID | INTR_TYPE_SW_EXC | 3, 0, &r));    /* INT3 */
    assert_true(r.insn_len);
    assert_true(vmx_reinject_decide(INTR_INFO_VALID | INTR_TYPE_PRIV_SW_EXC | 1, 0, &r)); /* INT1 */
    assert_true(r.insn_len);
}

static void test_nmi(void **state)
{
    (void)state;
    struct vmx_reinject r;
    assert_true(vmx_reinject_decide(INTR_INFO_VALID | INTR_TYPE_NMI | 2, 0, &r));
    assert_int_equal(r.info, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    assert_true(r.wake);
}

static void test_handler_event_wins(void **state)
{
    (void)state;
    struct vmx_reinject r;
    uint32_t queued = INTR_INFO_VALID | INTR_TYPE_HW_EXC | INTR_INFO_DELIVER_CODE | 13;
    assert_false(vmx_reinject_decide(INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x40, queued, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_to_do),
        cmocka_unit_test(test_external_interrupt),
        cmocka_unit_test(test_exception_with_error_code),
        cmocka_unit_test(test_software_interrupt_needs_length),
        cmocka_unit_test(test_nmi),
        cmocka_unit_test(test_handler_event_wins),
    };
    return cmocka_run_group_tests_name("vmx_event", tests, NULL, NULL);
}
