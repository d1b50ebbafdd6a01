/* The exit table is complete: every basic exit reason 0-69 (SDM Vol. 3D
 * appendix C) has a name and a handler, nothing falls into a silent
 * default, and the reasons a guest causes all the time go to their own
 * handlers. The handlers are stubs here: only the table is under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/vmexit.h>

#define STUB(n) enum exit_action n(struct vcpu *v) { (void)v; return EXIT_RESUME; }
STUB(exit_unexpected) STUB(exit_vmx_insn) STUB(exit_triple_fault)
STUB(exit_external_interrupt) STUB(exit_exception_nmi) STUB(exit_cpuid) STUB(exit_hlt)
STUB(exit_io) STUB(exit_rdmsr) STUB(exit_wrmsr) STUB(exit_resume) STUB(exit_vmcall)
STUB(exit_ept_violation) STUB(exit_invalid_state) STUB(exit_cache) STUB(exit_xsetbv)
STUB(exit_cr_access)

static void test_complete(void **state)
{
    (void)state;
    assert_int_equal(EXIT_REASON_COUNT, 70);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        assert_non_null(exit_table[r].name);
        assert_true(strlen(exit_table[r].name) > 0);
        assert_non_null(exit_table[r].handler);
    }
    assert_string_equal(vmexit_name(70), "unknown");
    assert_string_equal(vmexit_name(0xffff), "unknown");
}

static void test_routing(void **state)
{
    (void)state;
    static const struct { unsigned reason; exit_handler_t h; } want[] = {
        { 0, exit_exception_nmi }, { 1, exit_external_interrupt }, { 2, exit_triple_fault },
        { 7, exit_resume }, { 10, exit_cpuid }, { 12, exit_hlt }, { 13, exit_cache },
        { 18, exit_vmcall }, { 28, exit_cr_access }, { 30, exit_io }, { 31, exit_rdmsr },
        { 32, exit_wrmsr }, { 33, exit_invalid_state }, { 48, exit_ept_violation },
        { 52, exit_resume }, { 54, exit_cache }, { 55, exit_xsetbv },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_ptr_equal(exit_table[want[i].reason].handler, want[i].h);
    /* Every VMX instruction raises #UD in the guest. */
    static const unsigned vmx_insns[] = { 19, 20, 21, 22, 23, 24, 25, 26, 27, 50, 53, 59 };
    for (size_t i = 0; i < sizeof(vmx_insns) / sizeof(vmx_insns[0]); i++)
        assert_ptr_equal(exit_table[vmx_insns[i]].handler, exit_vmx_insn);
    /* Reasons we never enable stop the guest with a dump. */
    static const unsigned never[] = { 3, 4, 5, 6, 11, 17, 35, 38, 42, 60, 65, 69 };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        assert_ptr_equal(exit_table[never[i]].handler, exit_unexpected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_routing),
    };
    return cmocka_run_group_tests_name("exit_table", tests, NULL, NULL);
}
