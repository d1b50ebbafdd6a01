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
#include <hv/exit.h>

#define STUB(n) enum exit_action n(struct vcpu *v) { (void)v; return EXIT_RESUME; }
STUB(exit_unexpected) STUB(exit_vmx_insn) STUB(exit_triple_fault)
STUB(exit_external_interrupt) STUB(exit_exception_nmi) STUB(exit_cpuid) STUB(exit_hlt)
STUB(exit_io) STUB(exit_rdmsr) STUB(exit_wrmsr) STUB(exit_resume) STUB(exit_vmcall)
STUB(exit_ept_violation) STUB(exit_invalid_state) STUB(exit_cache) STUB(exit_xsetbv)
STUB(exit_cr_access) STUB(exit_hidden_insn)

static void test_complete(void **state)
{
    (void)state;
    assert_int_equal(EXIT_REASON_COUNT, 70);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        assert_non_null(vmx_exit_name(r));
        assert_true(strlen(vmx_exit_name(r)) > 0);
        assert_string_not_equal(vmx_exit_name(r), "unknown");
        assert_non_null(exit_table[r]);
    }
    assert_string_equal(vmx_exit_name(EXIT_REASON_CPUID), "CPUID");
    assert_string_equal(vmx_exit_name(EXIT_REASON_EPT_VIOLATION), "EPT violation");
    assert_string_equal(vmx_exit_name(70), "unknown");
    assert_string_equal(vmx_exit_name(0xffff), "unknown");
}

static void test_routing(void **state)
{
    (void)state;
    static const struct { unsigned reason; exit_handler_t h; } want[] = {
        { EXIT_REASON_EXCEPTION_NMI, exit_exception_nmi },
        { EXIT_REASON_EXTERNAL_INTERRUPT, exit_external_interrupt },
        { EXIT_REASON_TRIPLE_FAULT, exit_triple_fault },
        { EXIT_REASON_INTERRUPT_WINDOW, exit_resume }, { EXIT_REASON_CPUID, exit_cpuid },
        { EXIT_REASON_HLT, exit_hlt }, { EXIT_REASON_INVD, exit_cache },
        { EXIT_REASON_VMCALL, exit_vmcall }, { EXIT_REASON_CR_ACCESS, exit_cr_access },
        { EXIT_REASON_IO_INSTRUCTION, exit_io }, { EXIT_REASON_RDMSR, exit_rdmsr },
        { EXIT_REASON_WRMSR, exit_wrmsr },
        { EXIT_REASON_ENTRY_FAIL_INVALID_GUEST_STATE, exit_invalid_state },
        { EXIT_REASON_EPT_VIOLATION, exit_ept_violation },
        { EXIT_REASON_PREEMPTION_TIMER, exit_resume }, { EXIT_REASON_WBINVD, exit_cache },
        { EXIT_REASON_XSETBV, exit_xsetbv },
        /* the numbers of the SDM's table, once */
        { 10, exit_cpuid }, { 30, exit_io }, { 48, exit_ept_violation },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_ptr_equal(exit_table[want[i].reason], want[i].h);
    /* Every VMX instruction raises #UD in the guest. */
    static const unsigned vmx_insns[] = { 19, 20, 21, 22, 23, 24, 25, 26, 27, 50, 53, 59 };
    for (size_t i = 0; i < sizeof(vmx_insns) / sizeof(vmx_insns[0]); i++)
        assert_ptr_equal(exit_table[vmx_insns[i]], exit_vmx_insn);
    /* Instructions of features CPUID hides raise #UD. */
    static const unsigned hidden[] = { EXIT_REASON_GETSEC, EXIT_REASON_MWAIT, EXIT_REASON_MONITOR,
                                       EXIT_REASON_UMWAIT, EXIT_REASON_TPAUSE, EXIT_REASON_ENCLS };
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        assert_ptr_equal(exit_table[hidden[i]], exit_hidden_insn);
    /* Reasons we never enable stop the guest with a dump. */
    static const unsigned never[] = { 3, 4, 5, 6, 17, 35, 38, 42, 65, 69 };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        assert_ptr_equal(exit_table[never[i]], exit_unexpected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_routing),
    };
    return cmocka_run_group_tests_name("exit_table", tests, NULL, NULL);
}
