/* Guest MSR policy: what a guest reads and may write, and what faults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/vmsr.h>
#include <arch/vmcs.h>

static void test_reset_values(void **state)
{
    (void)state;
    struct vmsr s;
    uint64_t v = 0;
    uint32_t f = 0;
    vmsr_reset(&s, true);
    assert_int_equal(vmsr_read(&s, 0x1b, &v, &f), VMSR_OK);
    assert_int_equal(v, 0xfee00900);                 /* enabled, BSP */
    vmsr_reset(&s, false);
    vmsr_read(&s, 0x1b, &v, &f);
    assert_int_equal(v, 0xfee00800);
    assert_int_equal(vmsr_read(&s, 0x3a, &v, &f), VMSR_OK);
    assert_int_equal(v, 1);                          /* locked, VMX off */
    assert_int_equal(vmsr_read(&s, 0xfe, &v, &f), VMSR_OK);
    assert_int_equal(v & 0xff, 8);
    assert_int_equal(vmsr_read(&s, 0x2ff, &v, &f), VMSR_OK);
    assert_int_equal(v, 0);                          /* MTRRs off at reset */
}

static void test_vmcs_backed(void **state)
{
    (void)state;
    struct vmsr s;
    uint64_t v;
    uint32_t f = 0;
    vmsr_reset(&s, true);
    assert_int_equal(vmsr_read(&s, 0xc0000080, &v, &f), VMSR_VMCS);
    assert_int_equal(f, VMCS_GUEST_EFER);
    assert_int_equal(vmsr_read(&s, 0x277, &v, &f), VMSR_VMCS);
    assert_int_equal(f, VMCS_GUEST_PAT);
    assert_int_equal(vmsr_write(&s, 0x174, 8, &f), VMSR_VMCS);
    assert_int_equal(f, VMCS_GUEST_SYSENTER_CS);
    assert_int_equal(vmsr_write(&s, 0xc0000100, 0x1000, &f), VMSR_VMCS);
    assert_int_equal(f, VMCS_GUEST_FS_BASE);
    assert_int_equal(vmsr_read(&s, 0x10, &v, &f), VMSR_TSC);
    assert_int_equal(vmsr_write(&s, 0x10, 5, &f), VMSR_TSC);
}

static void test_faults(void **state)
{
    (void)state;
    struct vmsr s;
    uint64_t v;
    uint32_t f;
    vmsr_reset(&s, true);
    /* VMX capability MSRs and unknown ones: #GP */
    for (uint32_t m = 0x480; m <= 0x492; m++)
        assert_int_equal(vmsr_read(&s, m, &v, &f), VMSR_GP);
    assert_int_equal(vmsr_read(&s, 0x12345, &v, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, 0x3a, 5, &f), VMSR_GP);       /* FEATURE_CONTROL */
    assert_int_equal(vmsr_write(&s, 0xc0000080, 1ULL << 12, &f), VMSR_GP); /* EFER reserved */
    assert_int_equal(vmsr_write(&s, 0x277, 0x0202020202020202ULL, &f), VMSR_GP); /* PAT type 2 */
    assert_int_equal(vmsr_write(&s, 0xc0000100, 0x0000800000000000ULL, &f), VMSR_GP); /* non-canonical */
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfec00800, &f), VMSR_GP);   /* moving the APIC */
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00400, &f), VMSR_GP);   /* x2APIC without enable */
    assert_int_equal(vmsr_write(&s, 0x2ff, 0x2, &f), VMSR_GP);         /* MTRR type 2 */
    assert_int_equal(vmsr_write(&s, 0x200, 0x103, &f), VMSR_GP);       /* reserved base bits */
    assert_int_equal(vmsr_write(&s, 0x201, 0x400, &f), VMSR_GP);       /* reserved mask bits */
    assert_int_equal(vmsr_write(&s, 0x17a, 1, &f), VMSR_GP);
}

static void test_writes_read_back(void **state)
{
    (void)state;
    struct vmsr s;
    uint64_t v;
    uint32_t f;
    vmsr_reset(&s, true);
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00c00, &f), VMSR_OK);   /* x2APIC on */
    vmsr_read(&s, 0x1b, &v, &f);
    assert_int_equal(v, 0xfee00d00);                                   /* BSP kept */
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00000, &f), VMSR_OK);   /* APIC off */
    vmsr_read(&s, 0x1b, &v, &f);
    assert_int_equal(v, 0xfee00100);
    assert_int_equal(vmsr_write(&s, 0x2ff, 0xc06, &f), VMSR_OK);
    vmsr_read(&s, 0x2ff, &v, &f);
    assert_int_equal(v, 0xc06);
    assert_int_equal(vmsr_write(&s, 0x200, 0x6, &f), VMSR_OK);
    assert_int_equal(vmsr_write(&s, 0x201, 0xfffff0000800ULL, &f), VMSR_OK);
    vmsr_read(&s, 0x201, &v, &f);
    assert_int_equal(v, 0xfffff0000800ULL);
    assert_int_equal(vmsr_write(&s, 0x268, 0x0606060606060606ULL, &f), VMSR_OK);
    vmsr_read(&s, 0x268, &v, &f);
    assert_int_equal(v, 0x0606060606060606ULL);
    assert_int_equal(vmsr_write(&s, 0x1a0, 0xffffffffULL, &f), VMSR_OK);
    vmsr_read(&s, 0x1a0, &v, &f);
    assert_int_equal(v, (1 << 0) | (1 << 11) | (1 << 12) | (1 << 18)); /* only writable bits */
    assert_int_equal(vmsr_write(&s, 0x6e0, 12345, &f), VMSR_OK);
    vmsr_read(&s, 0x6e0, &v, &f);
    assert_int_equal(v, 12345);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_vmcs_backed),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_writes_read_back),
    };
    return cmocka_run_group_tests_name("vmsr", tests, NULL, NULL);
}
