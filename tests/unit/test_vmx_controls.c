/* VM-execution/exit/entry control computation against fake capabilities:
 * required bits present or a clear error; optional bits only when allowed;
 * bits the CPU forces to 1 kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/vmx_controls.h>

static uint64_t cap(uint32_t must1, uint32_t may1)
{
    return ((uint64_t)may1 << 32) | must1;
}

static struct vmx_caps everything(void)
{
    struct vmx_caps c;
    memset(&c, 0, sizeof(c));
    c.pin.msr = cap(0x16, 0xff);
    c.proc.msr = cap(0x0401e172, 0xfff9fffe);
    c.proc2.msr = cap(0, 0x001fffff);
    c.exit.msr = cap(0x00036dff, 0x00ffffff);
    c.entry.msr = cap(0x000011ff, 0x0000ffff);
    c.proc.allowed1 = 0xfff9fffe;
    return c;
}

static void test_all_available(void **state)
{
    (void)state;
    struct vmx_caps c = everything();
    struct vmx_controls o;
    char why[128] = "";
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), 0);
    assert_true(o.pin & VMX_PIN_EXT_INTR_EXITING);
    assert_true(o.pin & VMX_PIN_NMI_EXITING);
    assert_true(o.pin & VMX_PIN_VIRTUAL_NMIS);
    assert_int_equal(o.pin & 0x16, 0x16);               /* forced bits kept */
    assert_true(o.proc & VMX_PROC_HLT_EXITING);
    assert_true(o.proc & VMX_PROC_IO_BITMAPS);
    assert_true(o.proc & VMX_PROC_MSR_BITMAPS);
    assert_true(o.proc & VMX_PROC_SECONDARY_CTLS);
    /* CR8 is the virtual APIC's TPR, never the real one. */
    assert_true(o.proc & VMX_PROC_CR8_LOAD_EXITING);
    assert_true(o.proc & VMX_PROC_CR8_STORE_EXITING);
    /* DR7 and DEBUGCTL are the guest's across exits. */
    assert_true(o.exit & VMX_EXIT_SAVE_DEBUG_CTLS);
    assert_true(o.entry & VMX_ENTRY_LOAD_DEBUG_CTLS);
    assert_true(o.proc2 & VMX_PROC2_ENABLE_EPT);
    assert_true(o.proc2 & VMX_PROC2_UNRESTRICTED_GUEST);
    assert_true(o.proc2 & VMX_PROC2_ENABLE_VPID);
    assert_true(o.proc2 & VMX_PROC2_ENABLE_RDTSCP);
    assert_true(o.vpid);
    assert_true(o.exit & VMX_EXIT_HOST_ADDR_SPACE_SIZE);
    assert_true(o.exit & VMX_EXIT_ACK_INTR_ON_EXIT);
    assert_true(o.exit & VMX_EXIT_LOAD_PAT);
    assert_true(o.entry & VMX_ENTRY_LOAD_EFER);
    assert_false(o.entry & VMX_ENTRY_IA32E_MODE_GUEST);
    /* Nothing we did not ask for, beyond the forced bits. */
    assert_false(o.proc & VMX_PROC_RDTSC_EXITING);
    assert_false(o.proc2 & VMX_PROC2_ENABLE_PML);
}

static void test_optional_dropped(void **state)
{
    (void)state;
    struct vmx_caps c = everything();
    struct vmx_controls o;
    char why[128];
    c.proc2.msr = cap(0, VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST);
    c.exit.msr = cap(0x00036dff, 0x00ffffff & ~(uint32_t)(VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT));
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), 0);
    assert_false(o.vpid);
    assert_false(o.proc2 & VMX_PROC2_ENABLE_VPID);
    assert_false(o.exit & VMX_EXIT_LOAD_PAT);
}

static void test_required_missing(void **state)
{
    (void)state;
    struct vmx_caps c = everything();
    struct vmx_controls o;
    char why[128];

    c.proc2.msr = cap(0, VMX_PROC2_UNRESTRICTED_GUEST);   /* no EPT */
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), -1);
    assert_string_equal(why, "required secondary processor-based control bit 1 is not supported by this CPU");

    c = everything();
    c.proc.allowed1 &= ~(uint32_t)VMX_PROC_SECONDARY_CTLS;
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), -1);
    assert_string_equal(why, "no secondary processor-based controls (no EPT)");

    c = everything();
    c.exit.msr = cap(0x00036dff, 0x00ffffff & ~(uint32_t)VMX_EXIT_ACK_INTR_ON_EXIT);
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), -1);
    assert_string_equal(why, "required VM-exit control bit 15 is not supported by this CPU");
}

static void test_forced_ia32e(void **state)
{
    (void)state;
    struct vmx_caps c = everything();
    struct vmx_controls o;
    char why[128];
    c.entry.msr = cap(0x000011ff | VMX_ENTRY_IA32E_MODE_GUEST, 0x0000ffff);
    assert_int_equal(vmx_controls_compute(&c, &o, why, sizeof(why)), -1);
    assert_string_equal(why, "VM-entry control 'IA-32e mode guest' is forced to 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_available),
        cmocka_unit_test(test_optional_dropped),
        cmocka_unit_test(test_required_missing),
        cmocka_unit_test(test_forced_ia32e),
    };
    return cmocka_run_group_tests_name("vmx_controls", tests, NULL, NULL);
}
